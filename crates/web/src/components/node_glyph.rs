//! One node of the cluster picture: role color, election timer ring, id, term and indices; in
//! partition mode a drag handle and its group's ring.

use leptos::prelude::*;
use sim::{NodeStatus, Role};

use super::drag::Drag;
use crate::model::{role_label, Selection};
use crate::partition::{group_color, group_name, Target};
use crate::picture::{member, Member};
use crate::signals::use_picture;

/// One node: role color, election timer ring, id, term and indices.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
pub fn NodeGlyph(
    id: u64,
    /// Centre in the picture.
    pos: (f64, f64),
    /// Radius of the node.
    radius: f64,
    /// Too many nodes for the indices under each one: shown on hover or selection.
    small: bool,
    /// Too many nodes for the role above each one: shown on hover or selection.
    compact: bool,
    drag: RwSignal<Option<Drag>>,
    after_drag: StoredValue<bool>,
) -> impl IntoView {
    let pic = use_picture();
    let part = pic.partition;
    let node = Memo::new(move |_| {
        pic.view
            .with(|v| v.nodes.iter().find(|n| n.id == id).cloned())
    });
    // Out of the configuration (removed by a membership change): drawn apart, not as a follower.
    let gone = Memo::new(move |_| {
        pic.view.with(|v| {
            v.nodes.iter().find(|n| n.id == id).map(|n| member(v, n)) == Some(Member::Removed)
        })
    });
    // In partition mode a click or Enter picks the node up or places the one picked up (not the
    // click that ends a drag).
    let choose = move |click: bool| {
        if part.with_untracked(Option::is_some) {
            if !(click && after_drag.get_value()) {
                part.update(|p| {
                    if let Some(p) = p {
                        p.click_node(id);
                    }
                });
            }
        } else {
            pic.selection.set(Selection::Node(id));
        }
    };
    // Partition mode: a ring and a tag in the color of the node's group (shown by CSS only
    // while a partition is drawn).
    let group = Memo::new(move |_| part.with(|p| p.as_ref().and_then(|d| d.group_of(id))));
    let ring_color = move || group.get().map_or("none", group_color);
    let hot = move || {
        let over = drag.with(|d| d.and_then(|d| d.over));
        over.is_some()
            && (over == Some(Target::Node(id))
                || over
                    .zip(group.get())
                    .is_some_and(|(o, g)| o == Target::Group(g)))
    };
    let picked = move || part.with(|p| p.as_ref().is_some_and(|d| d.picked == Some(id)));
    // The node being dragged follows the pointer.
    let lifted = move || drag.with(|d| d.is_some_and(|d| d.moved && d.id == id));
    let tag_at = {
        let k = radius * 0.78 + 6.0;
        format!("translate({k:.1},{:.1})", -k)
    };
    let aria_group = move || {
        group
            .get()
            .map(|g| format!(", group {}", group_name(g)))
            .unwrap_or_default()
    };
    let role = move || match gone.get() {
        true => "removed",
        false => node.with(|n| n.as_ref().map_or("unknown", role_label)),
    };
    let class = move || {
        let n = node.get();
        let status = match n.as_ref().map(|n| n.status) {
            Some(NodeStatus::Paused) => " paused",
            Some(NodeStatus::Crashed) => " crashed",
            _ => "",
        };
        // The size classes are part of this string: a reactive `class` replaces the attribute.
        let size = match (small, compact) {
            (true, true) => " small compact",
            (true, false) => " small",
            (false, true) => " compact",
            (false, false) => "",
        };
        format!("node {}{status}{size}", role())
    };
    let aria = move || {
        node.with(|n| match n {
            Some(n) => format!(
                "Node {id}: {}{}, term {}, commit {}, applied {}{}",
                match gone.get() {
                    true => "removed from the cluster",
                    false => role_label(n),
                },
                match n.status {
                    NodeStatus::Paused => " (paused)",
                    _ => "",
                },
                n.term,
                n.commit,
                n.applied,
                aria_group()
            ),
            None => format!("Node {id}{}", aria_group()),
        })
    };
    let timer = move || {
        node.with(|n| match n {
            Some(n)
                if n.status == NodeStatus::Up
                    && n.role != Some(Role::Leader)
                    && n.election_timeout > 0 =>
            {
                (n.election_elapsed as f64 / n.election_timeout as f64).clamp(0.0, 1.0)
            }
            _ => 0.0,
        })
    };
    let ring = move || {
        let c = std::f64::consts::TAU * (radius + 5.0);
        format!("{:.1} {:.1}", c * timer(), c)
    };
    let selected = move || pic.selection.with(|s| *s == Selection::Node(id));
    let sub = move || {
        node.with(|n| match n {
            Some(n) if n.status == NodeStatus::Crashed => format!("crashed · T{}", n.term),
            Some(n) => format!("T{} · c{} · a{}", n.term, n.commit, n.applied),
            None => String::new(),
        })
    };
    let top = move || {
        node.with(|n| match n {
            Some(n) if n.status == NodeStatus::Paused => "paused".to_string(),
            Some(n) if n.status == NodeStatus::Crashed => String::new(),
            Some(_) if gone.get() => "removed".to_string(),
            Some(n) => role_label(n).to_string(),
            None => String::new(),
        })
    };
    view! {
        <g
            class=move || class()
            class:selected=move || selected()
            class:lifted=move || lifted()
            transform=move || {
                let (x, y) = drag
                    .with(|d| d.filter(|d| d.moved && d.id == id).map(|d| d.at))
                    .unwrap_or(pos);
                format!("translate({x:.1},{y:.1})")
            }
            role="button"
            tabindex="0"
            aria-label=move || aria()
            data-part-target=Target::Node(id).attr()
            on:click=move |ev| {
                ev.stop_propagation();
                choose(true);
            }
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    choose(false);
                }
            }
        >
            <circle
                class="part-ring"
                class:hot=move || hot()
                class:picked=move || picked()
                r=radius + 10.0
                stroke=move || ring_color()
            />
            <circle class="halo" r=radius + 9.0/>
            <circle class="track" r=radius + 5.0/>
            <circle
                class="timer"
                r=radius + 5.0
                stroke-dasharray=move || ring()
                transform="rotate(-90)"
            />
            <circle class="body" r=radius/>
            <text class="node-id" dy=format!("{:.1}", radius * 0.3)
                font-size=format!("{:.1}", radius * 0.85)>
                {id}
            </text>
            <text class="node-role" dy=format!("{:.1}", -radius - 12.0)>{move || top()}</text>
            <text class="node-sub" dy=format!("{:.1}", radius + 21.0)>{move || sub()}</text>
            <g class="part-tag" transform=tag_at>
                <circle r="8.5" fill=move || ring_color()/>
                <text dy="3.6">{move || group.get().map(group_name)}</text>
            </g>
        </g>
    }
}
