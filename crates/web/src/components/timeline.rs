//! Terms and leaders over virtual time, with faults and client requests marked on it.

use leptos::prelude::*;

use crate::model::{term_color, MarkKind};
use crate::signals::use_session;

/// Virtual ms the timeline spans at most (older history scrolls off to the left).
const SPAN_MS: u64 = 120_000;

/// The timeline panel.
#[component]
pub fn Timeline() -> impl IntoView {
    let session = use_session();
    let hover = RwSignal::new(String::new());
    let now = session.slow_now;
    let range = move || {
        // While looking at the past, the axis spans the whole session, as the scrubber does.
        let end = now
            .get()
            .max(session.point.with(|s| if s.in_past { s.end_ms } else { 0 }))
            .max(10_000);
        (end.saturating_sub(SPAN_MS), end)
    };
    let pct = move |t: u64, (a, b): (u64, u64)| {
        ((t.saturating_sub(a)) as f64 / (b - a).max(1) as f64 * 100.0).clamp(0.0, 100.0)
    };
    let bands = move || {
        let r = range();
        let t_now = now.get();
        session.timeline.with(|tl| {
            tl.spans
                .iter()
                .filter(|s| s.end.unwrap_or(t_now) >= r.0)
                .map(|s| {
                    let left = pct(s.start, r);
                    let right = pct(s.end.unwrap_or(t_now), r);
                    let width = (right - left).max(0.3);
                    let text = format!(
                        "term {}: node {} led from {} to {}",
                        s.term,
                        s.node,
                        sim::time::format_ms(s.start),
                        s.end.map_or("now".to_string(), sim::time::format_ms)
                    );
                    let t2 = text.clone();
                    let label = if width > 6.0 {
                        format!("T{} · n{}", s.term, s.node)
                    } else if width > 2.5 {
                        format!("n{}", s.node)
                    } else {
                        String::new()
                    };
                    view! {
                        <div
                            class="band"
                            style=format!(
                                "left:{left:.2}%;width:{width:.2}%;--term:{}",
                                term_color(s.term),
                            )
                            title=text.clone()
                            aria-label=text
                            on:mouseenter=move |_| hover.set(t2.clone())
                        >
                            {label}
                        </div>
                    }
                })
                .map(IntoAny::into_any)
                .collect_view()
        })
    };
    // Faults are few: an element each (with its title). Requests can be hundreds: one path of
    // dots per outcome, redrawn as a whole (two elements, not one per request), read on hover.
    let faults = move || {
        let r = range();
        session.timeline.with(|tl| {
            tl.marks
                .iter()
                .filter(|m| m.time_ms >= r.0 && m.kind == MarkKind::Fault)
                .map(|m| {
                    let text = format!("{} · {}", sim::time::format_ms(m.time_ms), m.text);
                    let t2 = text.clone();
                    view! {
                        <div
                            class="mark fault"
                            style=format!("left:{:.2}%", pct(m.time_ms, r))
                            title=text
                            on:mouseenter=move |_| hover.set(t2.clone())
                        ></div>
                    }
                })
                .map(IntoAny::into_any)
                .collect_view()
        })
    };
    let dots = move |kind: MarkKind| {
        let r = range();
        session.timeline.with(|tl| {
            let mut d = String::new();
            for m in tl
                .marks
                .iter()
                .filter(|m| m.time_ms >= r.0 && m.kind == kind)
            {
                d.push_str(&format!("M{:.1} 0v0", pct(m.time_ms, r) * 10.0));
            }
            d
        })
    };
    // The request nearest the pointer (within a few pixels), in words.
    let on_move = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast;
        let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = el.get_bounding_client_rect();
        let x = (f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0) * 100.0;
        let r = range();
        let near = session.timeline.with_untracked(|tl| {
            tl.marks
                .iter()
                .filter(|m| m.time_ms >= r.0 && m.kind != MarkKind::Fault)
                .map(|m| ((pct(m.time_ms, r) - x).abs(), m))
                .filter(|(d, _)| *d * rect.width() / 100.0 <= 4.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, m)| format!("{} · {}", sim::time::format_ms(m.time_ms), m.text))
        });
        if let Some(t) = near {
            hover.set(t);
        }
    };
    let ticks = move || {
        let (a, b) = range();
        let step = [1_000u64, 2_000, 5_000, 10_000, 20_000, 30_000]
            .into_iter()
            .find(|s| (b - a) / s <= 12)
            .unwrap_or(60_000);
        let first = a.div_ceil(step) * step;
        (0..)
            .map(move |k| first + k * step)
            .take_while(move |t| *t <= b)
            .map(move |t| {
                view! {
                    <span class="tick" style=format!("left:{:.2}%", pct(t, (a, b)))>
                        {sim::time::format_ms(t)}
                    </span>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };
    view! {
        <div class="panel-head">
            <h2>"Timeline"</h2>
            <span class="hint">
                {move || {
                    let h = hover.get();
                    if h.is_empty() { "terms and leaders · ◆ faults · ● requests — hover for details".to_string() } else { h }
                }}
            </span>
        </div>
        <div class="tl" on:mouseleave=move |_| hover.set(String::new())>
            <div class="tl-lane terms" aria-label="Leaders by term">{move || bands().into_any()}</div>
            <div class="tl-lane marks" aria-label="Faults and requests" on:mousemove=on_move>
                <svg class="tl-dots" viewBox="0 -10 1000 20" preserveAspectRatio="none" aria-hidden="true">
                    <path class="ok" d=move || dots(MarkKind::Ok)/>
                    <path class="failed" d=move || dots(MarkKind::Failed)/>
                </svg>
                {move || faults().into_any()}
            </div>
            <div class="tl-now" style=move || format!("left:{:.2}%", pct(now.get(), range()))></div>
            <div class="tl-axis">{move || ticks().into_any()}</div>
        </div>
    }
}
