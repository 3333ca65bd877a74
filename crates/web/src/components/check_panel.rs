//! The Check panel: the session's client operations through the linearizability checker (in
//! slices, with a progress bar and Cancel), the verdict, and for a violation the offending
//! operations on a timeline (one lane per client); then the watch streams' verdict, with the
//! broken guarantees, the leases' and the locks'.

use leptos::prelude::*;

use crate::check_run::{self, CheckSettings};
use crate::checking::{CheckView, OpBar};
use crate::control::use_control;
use crate::lease_check::LeaseCheckView;
use crate::lock_check::LockCheckView;
use crate::model::CheckRunView;
use crate::signals::use_panels;
use crate::watch_check::WatchCheckView;

const W: f64 = 560.0;
const LEFT: f64 = 64.0;
const LANE: f64 = 30.0;

/// The Check panel.
#[component]
pub fn CheckPanel() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    view! {
        <section class="panel mini check-panel" aria-label="Check">
            <div class="panel-head">
                <h2>"Check"</h2>
                <Show
                    when=move || panels.check_run.with(Option::is_none)
                    fallback=|| view! {
                        <button on:click=move |_| check_run::cancel()>"Cancel"</button>
                    }
                >
                    <button on:click=move |_| ctl.check(CheckSettings::default(), None)>
                        "Check this session"
                    </button>
                </Show>
            </div>
            {move || panels.check_run.get().map(progress)}
            {move || match panels.check.get() {
                _ if panels.check_run.with(Option::is_some) => ().into_any(),
                None => view! {
                    <p class="empty">
                        "Checks the session's puts, gets, deletes, compare-and-set txns and leases for linearizability (one client per member), and its watch streams against the committed log."
                    </p>
                }
                .into_any(),
                Some(v) => result(v).into_any(),
            }}
        </section>
    }
}

/// Millions of steps, short: `1.2 M`.
fn millions(n: u64) -> String {
    format!("{:.1} M", n as f64 / 1e6)
}

fn progress(r: CheckRunView) -> impl IntoView {
    let p = r.progress;
    let pct = (p.steps as f64 / p.max_steps.max(1) as f64 * 100.0).clamp(0.0, 100.0);
    let facts = format!(
        "{} of {} model steps · {:.1} s",
        millions(p.steps),
        millions(p.max_steps),
        r.elapsed_ms / 1000.0
    );
    view! {
        <div class="check-progress" aria-live="polite">
            <div class="row">
                <strong>{format!("Checking {} operations…", p.operations)}</strong>
                <span class="hint">{p.stage}</span>
            </div>
            <div class="check-bar" role="progressbar" aria-label="Model steps spent of the budget"
                aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{pct:.0}")>
                <span style=format!("width: {pct:.1}%")></span>
            </div>
            <p class="hint">{facts}" — the page stays usable; the budget ends in Unknown."</p>
        </div>
    }
}

fn result(v: CheckView) -> impl IntoView {
    let class = match v.verdict {
        "Linearizable" => "verdict ok",
        "Not linearizable" => "verdict bad",
        _ => "verdict unknown",
    };
    let searched = matches!(v.verdict, "Linearizable" | "Not linearizable") || v.steps > 0;
    let facts = match searched {
        true => format!(
            "{} · {} model steps in {:.2} s · session at {:.1} s",
            count(v.operations, "operation", "operations"),
            v.steps,
            v.wall_ms / 1000.0,
            v.at_ms as f64 / 1000.0
        ),
        false => count(v.operations, "operation", "operations"),
    };
    let bars = v.bars.clone();
    let planted = (!v.planted.is_empty()).then(|| {
        view! {
            <p class="check-planted">
                "Checked a deliberately broken cluster (planted: "{v.planted.join(", ")}")."
            </p>
        }
    });
    view! {
        <div class="check-result">
            {planted}
            <div class="check-section">
                <h3 class="check-kind">"Linearizability"</h3>
                <div class="row">
                    <strong class=class data-verdict=v.verdict>{v.verdict}</strong>
                    <span class="hint">{facts}</span>
                </div>
                {(!v.headline.is_empty()).then(|| view! { <p class="check-headline">{v.headline}</p> })}
                {(!bars.is_empty()).then(|| timeline(bars))}
                {(!v.left_out.is_empty()).then(|| view! { <p class="check-left-out hint">{v.left_out}</p> })}
                {if v.verdict == "Not linearizable" {
                    view! {
                        <details class="check-account">
                            <summary>"The checker's own account"</summary>
                            <p class="check-explanation">{v.explanation}</p>
                        </details>
                    }.into_any()
                } else {
                    view! { <p class="check-explanation">{v.explanation}</p> }.into_any()
                }}
            </div>
            {section(watches(v.watch))}
            {section(leases(v.leases))}
            {section(locks(v.locks))}
        </div>
    }
}

/// What one checker of the session found, as a section of the panel.
struct Finding {
    /// Heading.
    title: &'static str,
    /// `data-check`, for scripts and tests.
    id: &'static str,
    /// `Valid`, `Invalid`, `Unknown`, `None` or `Expected`.
    verdict: &'static str,
    /// The words for `None`.
    none: &'static str,
    /// Counts, in a few words.
    facts: String,
    explanation: String,
    /// Each broken rule: (tag, what).
    items: Vec<(String, String)>,
}

fn section(f: Finding) -> impl IntoView {
    let (class, label) = match f.verdict {
        "Valid" => ("verdict ok", "Valid"),
        "Invalid" => ("verdict bad", "Invalid"),
        "Expected" => ("verdict unknown", "Two holders (allowed under partitions)"),
        "None" => ("verdict none", f.none),
        _ => ("verdict unknown", "Unknown"),
    };
    // Nothing to check: one quiet line.
    if f.verdict == "None" {
        return view! {
            <div class="check-section quiet" data-check=f.id>
                <div class="row">
                    <h3 class="check-kind">{f.title}</h3>
                    <span class=class data-state=f.verdict>{label}</span>
                    <span class="hint">{f.explanation}</span>
                </div>
            </div>
        }
        .into_any();
    }
    let items = f
        .items
        .into_iter()
        .map(|(tag, what)| view! { <li><span class="rule">{tag}</span>{what}</li> })
        .collect_view();
    view! {
        <div class="check-section" data-check=f.id>
            <h3 class="check-kind">{f.title}</h3>
            <div class="row">
                <strong class=class data-state=f.verdict>{label}</strong>
                <span class="hint">{f.facts}</span>
            </div>
            <p class="check-explanation">{f.explanation}</p>
            <ul class="check-findings">{items}</ul>
        </div>
    }
    .into_any()
}

fn watches(w: WatchCheckView) -> Finding {
    Finding {
        title: "Watch streams",
        id: "watch",
        verdict: w.verdict,
        none: "No watches",
        facts: format!(
            "{} · {}",
            count(w.watches, "watch", "watches"),
            count(w.events, "event", "events")
        ),
        explanation: w.explanation,
        items: w
            .findings
            .into_iter()
            .map(|f| (f.rule.to_string(), format!("{}: {}", f.line, f.detail)))
            .collect(),
    }
}

fn leases(l: LeaseCheckView) -> Finding {
    Finding {
        title: "Leases",
        id: "leases",
        verdict: l.verdict,
        none: "No leases",
        facts: count(l.leases, "lease alive", "leases alive"),
        explanation: l.explanation,
        items: l
            .findings
            .into_iter()
            .map(|f| ("TTL".to_string(), f))
            .collect(),
    }
}

fn locks(l: LockCheckView) -> Finding {
    let tag = if l.verdict == "Expected" {
        "overlap"
    } else {
        "never granted"
    };
    Finding {
        title: "Locks",
        id: "locks",
        verdict: l.verdict,
        none: "No locks",
        facts: count(l.holds, "hold", "holds"),
        explanation: l.explanation,
        items: l
            .findings
            .into_iter()
            .map(|f| (tag.to_string(), f))
            .collect(),
    }
}

/// `1 watch`, `3 watches`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A lane's name: the member a client talked to, or the leader for its expiry revokes.
fn lane_name(client: u32) -> String {
    match client {
        harness::history::SERVER_CLIENT => "expiry".to_string(),
        c => format!("node {c}"),
    }
}

fn timeline(bars: Vec<OpBar>) -> impl IntoView {
    let mut clients: Vec<u32> = bars.iter().map(|b| b.client).collect();
    order::sort(&mut clients);
    clients.dedup();
    let t0 = bars.iter().map(|b| b.call_ms).min().unwrap_or(0);
    let t1 = bars
        .iter()
        .map(|b| b.return_ms.unwrap_or(b.call_ms + 1).max(b.call_ms + 1))
        .max()
        .unwrap_or(t0 + 1);
    // Compressed time (as Porcupine draws it): every call and return gets its own evenly spaced
    // position, so the real-time order that decides linearizability reads at a glance. At equal
    // times calls come before returns (such operations are concurrent), so an instantaneous
    // answer still gets a bar.
    let mut times: Vec<(u64, u8)> = bars
        .iter()
        .flat_map(|b| [(b.call_ms, 0), (b.return_ms.unwrap_or(t1), 1)])
        .collect();
    order::sort(&mut times);
    times.dedup();
    let step = (W - LEFT - 8.0) / (times.len().max(2) - 1) as f64;
    let x = move |t: (u64, u8)| LEFT + times.partition_point(|u| *u < t) as f64 * step;
    let h = LANE * clients.len() as f64 + 18.0;
    let lanes = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let y = LANE * i as f64;
            view! {
                <g class="check-lane">
                    <line x1=LEFT x2=W - 8.0 y1=y + LANE - 4.0 y2=y + LANE - 4.0/>
                    <text x=4 y=y + 18.0>{lane_name(*c)}</text>
                </g>
            }
        })
        .collect_view();
    let ops = bars
        .into_iter()
        .map(|b| {
            let lane = clients.iter().position(|c| *c == b.client).unwrap_or(0) as f64;
            let y = LANE * lane + 4.0;
            let x0 = x((b.call_ms, 0));
            let x1 = x((b.return_ms.unwrap_or(t1), 1)).max(x0 + 3.0);
            // Mono text at 10.5px is about 6.3px a character; the whole label is in the title.
            let fit = ((x1 - x0 - 6.0) / 6.3).max(0.0) as usize;
            let short = if b.label.chars().count() <= fit {
                b.label.clone()
            } else {
                let mut s: String = b.label.chars().take(fit.saturating_sub(1)).collect();
                s.push('…');
                s
            };
            let when = match b.return_ms {
                Some(r) => format!("#{} {} ({}–{} ms)", b.index, b.label, b.call_ms, r),
                None => format!("#{} {} ({} ms, pending)", b.index, b.label, b.call_ms),
            };
            view! {
                <g class=format!("check-op {}", b.role)>
                    <title>{when}</title>
                    <rect x=x0 y=y width=x1 - x0 height=LANE - 10.0 rx=3/>
                    <text x=x0 + 3.0 y=y + 14.0>{short}</text>
                </g>
            }
        })
        .collect_view();
    let axis = format!("{t0} ms … {t1} ms (time compressed: calls and returns in order)");
    view! {
        <svg class="check-timeline" viewBox=format!("0 0 {W} {h}") role="img"
            aria-label="Operations around the violation, one lane per client">
            {lanes}
            {ops}
            <text class="axis" x=LEFT y=h - 4.0>{axis}</text>
        </svg>
        <p class="hint">"Red: the operation that cannot be placed. Filled: the longest linearizable prefix. Hover for times."</p>
    }
}
