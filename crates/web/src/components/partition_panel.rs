//! Partition mode's panel under the picture: the groups (drop targets too), the line that
//! applying runs, Apply and Cancel.

use leptos::prelude::*;

use super::drag::Drag;
use crate::control::use_control;
use crate::partition::{group_color, group_name, Draft, Target};
use crate::signals::use_picture;

/// Partition mode's panel under the picture: the groups (drop targets too), the line that
/// applying runs, Apply and Cancel.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
pub fn PartitionPanel(
    drag: RwSignal<Option<Drag>>,
    after_drag: StoredValue<bool>,
) -> impl IntoView {
    let pic = use_picture();
    let ctl = use_control();
    let part = pic.partition;
    let over = move || drag.with(|d| d.and_then(|d| d.over));
    let click = move |t: Target| {
        if !after_drag.get_value() {
            part.update(|p| {
                if let Some(p) = p {
                    p.click_target(t);
                }
            });
        }
    };
    let picked = move || part.with(|p| p.as_ref().and_then(|d| d.picked));
    let zones = move || {
        let groups = part.with(|p| p.as_ref().map(|d| d.groups.clone()).unwrap_or_default());
        let lone = groups.len() < 2;
        groups
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let name = group_name(i);
                let nodes = g.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
                let label = move || match picked() {
                    Some(n) => format!("Move node {n} to group {name}"),
                    None => format!("Group {name}: nodes {nodes}"),
                };
                view! {
                    <button
                        class="zone"
                        class:hot=move || over() == Some(Target::Group(i))
                        data-part-target=Target::Group(i).attr()
                        style=format!("--c:{}", group_color(i))
                        aria-label=move || label()
                        on:click=move |_| click(Target::Group(i))
                    >
                        <span class="zone-name">{group_name(i)}</span>
                        {g.iter()
                            .map(|n| view! { <span class="zone-node">{*n}</span> })
                            .map(IntoAny::into_any)
                            .collect_view()}
                        {lone.then(|| view! { <span class="zone-note">"everyone"</span> }).map(IntoAny::into_any)}
                    </button>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };
    let line = move || part.with(|p| p.as_ref().map(Draft::line).unwrap_or_default());
    let apply = move |_| {
        if let Some(l) = part.with_untracked(|p| p.as_ref().map(Draft::line)) {
            part.set(None);
            ctl.act(l);
        }
    };
    view! {
        <div class="part-panel" role="region" aria-label="Partition groups">
            <p class="hint">
                {move || match picked() {
                    Some(n) => format!("Node {n} picked up: click another node or a group to move it there, or empty space for a group of its own."),
                    None => "Drag a node onto another node or a group to join it, or onto empty space for a group of its own. (Or click a node, then where it goes.)".to_string(),
                }}
            </p>
            <div class="zones">
                {move || zones().into_any()}
                <button
                    class="zone new"
                    class:hot=move || over() == Some(Target::NewGroup)
                    data-part-target=Target::NewGroup.attr()
                    aria-label=move || match picked() {
                        Some(n) => format!("New group for node {n}"),
                        None => "New group (drop a node here)".to_string(),
                    }
                    on:click=move |_| click(Target::NewGroup)
                >
                    "+ new group"
                </button>
            </div>
            <div class="part-actions">
                <code class="part-line" aria-label="Line to run">{move || line()}</code>
                <button class="primary" aria-label="Apply partition" on:click=apply>"Apply"</button>
                <button aria-label="Cancel drawing" on:click=move |_| part.set(None)>"Cancel"</button>
            </div>
        </div>
    }
}
