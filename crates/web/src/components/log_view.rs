//! The logs: one row per node, entries colored by term with their index; commit and applied
//! markers; the leader's match and next index for each follower; entries just overwritten by a
//! new leader; the compacted prefix. Only the visible window of indices is rendered.

use leptos::prelude::*;

use super::keyed::{keyed_list, Row};
use crate::control::use_control;
use crate::model::{term_color, LogRow, Selection};
use crate::projection::LOG_CELLS;
use crate::signals::{use_clock, use_logs, use_picture};

/// The log panel.
#[component]
pub fn LogView() -> impl IntoView {
    let logs = use_logs();
    let ctl = use_control();
    let window = move || logs.window.with(|l| (l.from, l.to, l.max_index));
    let max_from = move || {
        logs.window
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
                        ctl.set_log_from(if v >= max_from() { None } else { Some(v) });
                    }
                />
            </label>
            <button class="ghost small" disabled=move || logs.from.with(Option::is_none) on:click=move |_| ctl.set_log_from(None)>
                "Follow"
            </button>
        </div>
        <div class="log-grid" role="table" aria-label="Logs">
            {keyed_list(move || {
                logs.window.with(|l| {
                    l.rows
                        .iter()
                        .map(|r| {
                            let node = r.node;
                            Row::new([node, 0, 0], move || row(node))
                        })
                        .collect()
                })
            })}
        </div>
    }
}

/// What one cell shows: class, style, tooltip and text.
#[derive(Clone, Default, PartialEq)]
struct Look {
    class: String,
    style: String,
    title: String,
    text: String,
}

/// The look of the cell of index `i` in row `r`.
fn look(r: &LogRow, i: u64) -> Look {
    let mut l = Look {
        class: String::from("cell"),
        title: format!("index {i}"),
        ..Look::default()
    };
    if i < r.first_index && i >= 1 {
        l.class.push_str(" snap");
        l.title.push_str(": in the snapshot (compacted)");
    } else if let Some(e) = r.entries.iter().find(|e| e.index == i) {
        l.text = i.to_string();
        l.style = format!("--term:{}", term_color(e.term));
        l.class.push_str(if i <= r.commit {
            " committed"
        } else {
            " uncommitted"
        });
        if i <= r.applied {
            l.class.push_str(" applied");
        }
        if e.kind != "normal" {
            l.class.push_str(" meta");
        }
        l.title = format!(
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
        l.class.push_str(" empty");
    }
    if r.overwritten.contains(&i) {
        l.class.push_str(" overwritten");
    }
    if let Some((m, n)) = r.progress {
        if i == m && m > 0 {
            l.class.push_str(" is-match");
        }
        if i == n {
            l.class.push_str(" is-next");
        }
    }
    l
}

/// Runs `f` after `n` animation frames (now if `n` is 0).
fn after_frames(n: u32, f: impl FnOnce() + 'static) {
    if n == 0 {
        f();
    } else {
        request_animation_frame(move || after_frames(n - 1, f));
    }
}

/// One node's row. Its cells are made once and then changed in place (only what changed), as
/// the window moves several times a second while the cluster runs: building the row's elements
/// again each time was most of a frame's work.
#[allow(clippy::redundant_closure)]
fn row(node: u64) -> AnyView {
    let pic = use_picture();
    let logs = use_logs();
    let clock = use_clock();
    let data = Memo::new(move |_| {
        logs.window
            .with(|l| l.rows.iter().find(|r| r.node == node).cloned())
    });
    let from = Memo::new(move |_| logs.window.with(|l| l.from));
    let cells_ref = NodeRef::<leptos::html::Div>::new();
    // What each cell was last given, so that only changes reach the document.
    let shown = StoredValue::new(Vec::<Look>::new());
    let apply = move || {
        // A row removed meanwhile (a new cluster) has its node ref and memos disposed: nothing to do.
        let (Some(el), Some(from)) = (
            cells_ref.try_get_untracked().flatten(),
            from.try_get_untracked(),
        ) else {
            return;
        };
        data.try_with_untracked(|r| {
            let Some(r) = r else {
                return;
            };
            shown.try_update_value(|shown| {
                shown.resize(LOG_CELLS as usize, Look::default());
                let mut next = el.first_element_child();
                for (k, old) in shown.iter_mut().enumerate() {
                    let Some(cell) = next.take() else {
                        break;
                    };
                    next = cell.next_element_sibling();
                    let i = from + k as u64;
                    let new = look(r, i);
                    if new.class != old.class {
                        cell.set_class_name(&new.class);
                    }
                    if new.style != old.style {
                        let _ = cell.set_attribute("style", &new.style);
                    }
                    if new.title != old.title {
                        let _ = cell.set_attribute("title", &new.title);
                    }
                    if new.text != old.text {
                        cell.set_text_content(Some(&new.text));
                    }
                    let _ = cell.set_attribute("data-index", &i.to_string());
                    *old = new;
                }
            });
        });
    };
    Effect::new(move |_| {
        from.track();
        data.track();
        if cells_ref.get().is_none() {
            return;
        }
        // While the cluster runs, the rows take their new cells a third at a time in three
        // consecutive frames (laying out every cell's new text in one frame made it miss its
        // deadline); paused, at once.
        let lag = match clock.playing.get_untracked() {
            true => (node % 3) as u32,
            false => 0,
        };
        after_frames(lag, apply);
    });
    // One listener for the row's cells: the cell under the pointer says its index.
    let pick = move |ev: web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        let cell = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(".cell").ok().flatten());
        if let Some(i) = cell
            .and_then(|c| c.get_attribute("data-index"))
            .and_then(|i| i.parse().ok())
        {
            pic.selection.set(Selection::Entry(node, i));
        }
    };
    let summary = move || {
        data.with(|r| match r {
            Some(r) => match r.progress {
                Some((m, n)) => format!("c{} a{} · m{m} n{n}", r.commit, r.applied),
                None => format!("c{} a{}", r.commit, r.applied),
            },
            None => String::new(),
        })
    };
    let label = move || data.with(|r| r.as_ref().map(|r| r.label.clone()).unwrap_or_default());
    let down = move || data.with(|r| r.as_ref().is_some_and(|r| r.down));
    let cells: Vec<AnyView> = (0..LOG_CELLS)
        .map(|_| view! { <div class="cell empty" role="cell"></div> }.into_any())
        .collect();
    view! {
        <div class="log-row" class:down=move || down() role="row" aria-label=format!("Log of node {node}")>
            <div class="log-head" role="rowheader">
                <span class="nid">{format!("n{node}")}</span>
                <span class=move || format!("tag {}", label().replace(' ', "-"))>{move || label()}</span>
            </div>
            <div class="cells" node_ref=cells_ref on:click=pick>{cells}</div>
            <div class="log-tail mono">{move || summary()}</div>
        </div>
    }
    .into_any()
}
