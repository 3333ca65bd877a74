//! The logs: one row per node, entries colored by term with their index; commit and applied
//! markers; the leader's match and next index for each follower; entries just overwritten by a
//! new leader; the compacted prefix. Only the visible window of indices is rendered.

use leptos::prelude::*;

use crate::control::{self, LOG_CELLS};
use crate::model::{term_color, use_ui, LogRow, Selection};

/// The log panel.
#[component]
pub fn LogView() -> impl IntoView {
    let ui = use_ui();
    let window = move || ui.logs.with(|l| (l.from, l.to, l.max_index));
    let max_from = move || {
        ui.logs
            .with(|l| l.max_index.saturating_sub(LOG_CELLS - 1).max(1))
    };
    view! {
        <div class="panel-head">
            <h2>"Logs"</h2>
            <span class="hint">{move || {
                let (f, t, m) = window();
                format!("indices {f}–{} of {m}", t.min(m.max(f)))
            }}</span>
            <details class="log-key">
            <summary>"key"</summary>
            <div class="log-legend" aria-hidden="true">
                <span><i class="swatch committed"></i>"committed"</span>
                <span><i class="swatch uncommitted"></i>"not committed"</span>
                <span><i class="swatch applied"></i>"applied"</span>
                <span><i class="swatch overwritten"></i>"overwritten"</span>
                <span><i class="swatch snap"></i>"in snapshot"</span>
                <span><i class="swatch match"></i>"match"</span>
                <span><i class="swatch next"></i>"next (leader's view)"</span>
            </div>
            </details>
            <label class="scrub">
                <span class="sr-only">"Log position"</span>
                <input
                    type="range"
                    aria-label="Log position"
                    min="1"
                    max=move || max_from().to_string()
                    prop:value=move || window().0.to_string()
                    on:input=move |ev| {
                        let v: u64 = event_target_value(&ev).parse().unwrap_or(1);
                        control::set_log_from(if v >= max_from() { None } else { Some(v) });
                    }
                />
            </label>
            <button class="ghost small" disabled=move || ui.log_from.with(Option::is_none) on:click=move |_| control::set_log_from(None)>
                "Follow"
            </button>
        </div>
        <div class="log-grid" role="table" aria-label="Logs">
            {move || {
                let (from, to, _) = window();
                ui.logs.with(|l| l.rows.iter().map(|r| row(r.clone(), from, to)).map(IntoAny::into_any).collect_view())
            }}
        </div>
    }
}

fn row(r: LogRow, from: u64, to: u64) -> impl IntoView {
    let ui = use_ui();
    let cells = (from..=to)
        .map(|i| {
            let entry = r.entries.iter().find(|e| e.index == i);
            let mut class = String::from("cell");
            let mut style = String::new();
            let mut title = format!("index {i}");
            let mut text = String::new();
            if i < r.first_index && i >= 1 {
                class.push_str(" snap");
                title.push_str(": in the snapshot (compacted)");
            } else if let Some(e) = entry {
                text = i.to_string();
                style = format!("--term:{}", term_color(e.term));
                class.push_str(if i <= r.commit {
                    " committed"
                } else {
                    " uncommitted"
                });
                if i <= r.applied {
                    class.push_str(" applied");
                }
                if e.kind != "normal" {
                    class.push_str(" meta");
                }
                title = format!(
                    "index {i}, term {}{}{}",
                    e.term,
                    match e.kind {
                        "empty" => " · leader's no-op".to_string(),
                        "conf" => format!(" · config: {}", e.desc),
                        _ if e.desc.is_empty() => String::new(),
                        _ => format!(" · {}", e.desc),
                    },
                    if i <= r.commit { " · committed" } else { "" }
                );
            } else {
                class.push_str(" empty");
            }
            if r.overwritten.contains(&i) {
                class.push_str(" overwritten");
            }
            if let Some((m, n)) = r.progress {
                if i == m && m > 0 {
                    class.push_str(" is-match");
                }
                if i == n {
                    class.push_str(" is-next");
                }
            }
            let node = r.node;
            let pick = move |_| ui.selection.set(Selection::Entry(node, i));
            view! { <div class=class style=style title=title role="cell" data-index=i on:click=pick>{text}</div> }
        })
        .map(IntoAny::into_any)
        .collect_view();
    let summary = match r.progress {
        Some((m, n)) => format!("c{} a{} · m{m} n{n}", r.commit, r.applied),
        None => format!("c{} a{}", r.commit, r.applied),
    };
    let label = format!("Log of node {}", r.node);
    view! {
        <div class=if r.down { "log-row down" } else { "log-row" } role="row" aria-label=label>
            <div class="log-head" role="rowheader">
                <span class="nid">{format!("n{}", r.node)}</span>
                <span class=format!("tag {}", r.label.replace(' ', "-"))>{r.label.clone()}</span>
            </div>
            <div class="cells">{cells}</div>
            <div class="log-tail mono">{summary}</div>
        </div>
    }
}
