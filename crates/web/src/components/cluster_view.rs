//! The cluster as a circle of nodes (SVG): roles, terms, commit and applied indices, election
//! timers, links in both directions, messages in flight and messages lost.

use leptos::prelude::*;
use sim::network::{InFlightView, LinkMode};
use sim::{MsgKind, NodeStatus, Role};
use wasm_bindgen::JsCast;

use super::keyed::{keyed_list, Row};
use super::legend::Legend;
use crate::control::{act, DROP_SHOW_MS};
use crate::model::{role_label, use_ui, Selection};
use crate::partition::{group_color, group_name, Draft, Target};

const W: f64 = 560.0;
const H: f64 = 450.0;
const CX: f64 = W / 2.0;
const CY: f64 = H / 2.0 + 2.0;
const RADIUS: f64 = 162.0;
/// Offset of each direction's lane from the line between two nodes.
const LANE: f64 = 4.5;

/// Node centres and radius for `n` nodes on the circle.
fn layout(ids: &[u64]) -> (Vec<(u64, f64, f64)>, f64) {
    let n = ids.len().max(1) as f64;
    let nr = (std::f64::consts::TAU * RADIUS / n * 0.28).clamp(9.0, 28.0);
    let pos = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n;
            (*id, CX + RADIUS * cos(a), CY + RADIUS * sin(a))
        })
        .collect();
    (pos, nr)
}

// The browser's own sine and cosine: Rust's would add libm's (about 7 KB) to the bundle. Only
// the picture uses them, nothing that must be deterministic.
#[cfg(target_arch = "wasm32")]
fn cos(a: f64) -> f64 {
    js_sys::Math::cos(a)
}
#[cfg(target_arch = "wasm32")]
fn sin(a: f64) -> f64 {
    js_sys::Math::sin(a)
}
#[cfg(not(target_arch = "wasm32"))]
fn cos(a: f64) -> f64 {
    a.cos()
}
#[cfg(not(target_arch = "wasm32"))]
fn sin(a: f64) -> f64 {
    a.sin()
}

/// The lane from `a` to `b`: start and end points just outside the two nodes.
fn lane(a: (f64, f64), b: (f64, f64), nr: f64) -> ((f64, f64), (f64, f64)) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    let (ux, uy) = (dx / len, dy / len);
    let (nx, ny) = (-uy * LANE, ux * LANE);
    let gap = nr + 3.0;
    (
        (a.0 + ux * gap + nx, a.1 + uy * gap + ny),
        (b.0 - ux * gap + nx, b.1 - uy * gap + ny),
    )
}

/// A message kind's color and short label.
pub fn msg_style(k: MsgKind) -> (&'static str, &'static str) {
    match k {
        MsgKind::Append => ("#2563eb", "append"),
        MsgKind::AppendResp => ("#60a5fa", "ack"),
        MsgKind::Heartbeat => ("#94a3b8", "hb"),
        MsgKind::HeartbeatResp => ("#cbd5e1", "hb ack"),
        MsgKind::Vote => ("#d97706", "vote?"),
        MsgKind::VoteResp => ("#fbbf24", "vote"),
        MsgKind::PreVote => ("#7c3aed", "pre-vote?"),
        MsgKind::PreVoteResp => ("#a78bfa", "pre-vote"),
        MsgKind::Snapshot => ("#059669", "snapshot"),
        MsgKind::Propose => ("#db2777", "propose"),
        MsgKind::ReadIndex => ("#0d9488", "read-index"),
        MsgKind::ReadIndexResp => ("#5eead4", "read-index ack"),
        MsgKind::TransferLeader | MsgKind::TimeoutNow => ("#dc2626", "timeout-now"),
        MsgKind::Other => ("#64748b", "msg"),
    }
}

fn is_response(k: MsgKind) -> bool {
    matches!(
        k,
        MsgKind::AppendResp
            | MsgKind::HeartbeatResp
            | MsgKind::VoteResp
            | MsgKind::PreVoteResp
            | MsgKind::ReadIndexResp
    )
}

/// A node being dragged in partition mode.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Drag {
    id: u64,
    /// Where the pointer went down (client pixels).
    start: (f64, f64),
    /// Where it is now (picture coordinates).
    at: (f64, f64),
    /// Whether it has moved far enough to be a drag rather than a click.
    moved: bool,
    /// The drop target under the pointer.
    over: Option<Target>,
}

/// The drop target at a point of the page: the nearest element with a `data-part-target`, or
/// empty space in the picture (a new group).
fn target_at(x: f64, y: f64) -> Option<Target> {
    let el = document().element_from_point(x as f32, y as f32)?;
    if let Some(t) = el.closest("[data-part-target]").ok().flatten() {
        return Target::parse(&t.get_attribute("data-part-target")?);
    }
    el.closest(".cluster-svg")
        .ok()
        .flatten()
        .map(|_| Target::NewGroup)
}

/// The node under a pointer event's target, if any.
fn node_of(ev: &web_sys::PointerEvent) -> Option<u64> {
    let el: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let g = el.closest("[data-part-target^='node:']").ok().flatten()?;
    match Target::parse(&g.get_attribute("data-part-target")?)? {
        Target::Node(id) => Some(id),
        _ => None,
    }
}

/// The cluster picture.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
pub fn ClusterView() -> impl IntoView {
    let ui = use_ui();
    let part = ui.partition;
    let drag = RwSignal::new(None::<Drag>);
    // True between the end of a drag and the click the browser sends after it (which is then
    // not taken as a click).
    let after_drag = StoredValue::new(false);
    let ids = Memo::new(move |_| {
        ui.view
            .with(|v| v.nodes.iter().map(|n| n.id).collect::<Vec<u64>>())
    });
    let geo = Memo::new(move |_| ids.with(|ids| layout(ids)));
    let now = Memo::new(move |_| ui.view.with(|v| v.time_ms));
    let pos_of = move |id: u64| -> Option<(f64, f64)> {
        geo.with(|(p, _)| {
            p.iter()
                .find(|(i, _, _)| *i == id)
                .map(|(_, x, y)| (*x, *y))
        })
    };
    let nr = move || geo.with(|(_, r)| *r);

    // Pairs of nodes to draw a link between (all of them for small clusters).
    let pairs = Memo::new(move |_| {
        ui.view.with(|v| {
            let ids: Vec<u64> = v.nodes.iter().map(|n| n.id).collect();
            let mut out = Vec::new();
            for (i, a) in ids.iter().enumerate() {
                for b in &ids[i + 1..] {
                    let involved = v.leader == Some(*a) || v.leader == Some(*b);
                    let odd = v
                        .links
                        .iter()
                        .any(|l| (l.from, l.to) == (*a, *b) || (l.from, l.to) == (*b, *a));
                    if ids.len() <= 15 || involved || odd {
                        out.push((*a, *b));
                    }
                }
            }
            out
        })
    });
    let link_mode = move |from: u64, to: u64| {
        ui.view.with(|v| {
            v.links
                .iter()
                .find(|l| l.from == from && l.to == to)
                .map(|l| (l.mode, l.held.len(), l.custom))
        })
    };
    let in_flight = Memo::new(move |_| ui.view.with(|v| v.in_flight.clone()));
    let crowded = move || in_flight.with(Vec::len) > 24 || ids.with(Vec::len) > 9;

    let lanes = move || {
        pairs
            .get()
            .into_iter()
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .map(|(from, to)| {
                // The ends move only when the layout does, and a new layout brings new pairs:
                // read here (tracked by this closure), they are plain values below.
                let ((x1, y1), (x2, y2)) = pos_of(from)
                    .zip(pos_of(to))
                    .map_or(((0.0, 0.0), (0.0, 0.0)), |(a, b)| lane(a, b, nr()));
                let class = move || match link_mode(from, to) {
                    Some((LinkMode::Cut, _, _)) => "lane cut",
                    Some((LinkMode::Held, _, _)) => "lane held",
                    Some((_, _, true)) => "lane custom",
                    _ => "lane",
                };
                let selected = move || ui.selection.with(|s| *s == Selection::Link(from, to));
                let label = format!("Link {from} to {to}");
                view! {
                    <g class="lane-group" class:selected=move || selected()>
                        <line class=move || class() x1=x1 y1=y1 x2=x2 y2=y2/>
                        <line
                            class="lane-hit"
                            role="button"
                            aria-label=label
                            x1=x1
                            y1=y1
                            x2=x2
                            y2=y2
                            on:click=move |ev| {
                                ev.stop_propagation();
                                ui.selection.set(Selection::Link(from, to));
                            }
                        />
                    </g>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };

    let badges = move || {
        ui.view.with(|v| {
            v.links
                .iter()
                .filter(|l| l.mode != LinkMode::Healthy)
                .filter_map(|l| {
                    let (s, e) = lane(pos_of(l.from)?, pos_of(l.to)?, nr());
                    let (x, y) = (s.0 + (e.0 - s.0) * 0.3, s.1 + (e.1 - s.1) * 0.3);
                    let (text, class) = match l.mode {
                        LinkMode::Cut => ("✕".to_string(), "badge cut"),
                        _ => (format!("{}", l.held.len()), "badge held"),
                    };
                    Some(view! {
                        <g class=class transform=format!("translate({x:.1},{y:.1})")>
                            <circle r="7"/>
                            <text dy="3.5">{text}</text>
                        </g>
                    })
                })
                .map(IntoAny::into_any)
                .collect_view()
        })
    };

    // One element per message, kept while it flies (keyed); only its position changes.
    let message = move |m: InFlightView| {
        let (color, label) = msg_style(m.summary.kind);
        let resp = is_response(m.summary.kind);
        let rad = if resp { 4.0 } else { 5.5 };
        let id = m.id;
        let aria = format!(
            "Message {id}: {} from {} to {}",
            m.summary.kind.as_str(),
            m.from,
            m.to
        );
        let show_label =
            !crowded() && !matches!(m.summary.kind, MsgKind::Heartbeat | MsgKind::HeartbeatResp);
        let mv = m.clone();
        let transform = move || {
            let t = now.get();
            let Some((s, e)) = pos_of(m.from)
                .zip(pos_of(m.to))
                .map(|(a, b)| lane(a, b, nr()))
            else {
                return "translate(-100,-100)".to_string();
            };
            let p = match m.deliver_at {
                Some(d) if d > m.sent_at => {
                    (t.saturating_sub(m.sent_at) as f64 / (d - m.sent_at) as f64).clamp(0.0, 1.0)
                }
                Some(_) => 1.0,
                None => 0.12,
            };
            format!(
                "translate({:.1},{:.1})",
                s.0 + (e.0 - s.0) * p,
                s.1 + (e.1 - s.1) * p
            )
        };
        let selected = move || {
            ui.selection
                .with(|s| matches!(s, Selection::Msg(x) if x.id == id))
        };
        view! {
            <g
                class=if m.summary.reject { "msg reject" } else { "msg" }
                class:selected=move || selected()
                transform=move || transform()
                role="button"
                aria-label=aria
                on:click=move |ev| {
                    ev.stop_propagation();
                    ui.selection.set(Selection::Msg(mv.clone()));
                }
            >
                <circle r=rad fill=color/>
                {show_label.then(|| view! { <text class="msg-label" dy="-8">{label}</text> }).map(IntoAny::into_any)}
            </g>
        }
    };

    let drops = move || {
        let wall = ui.wall.get();
        let r = nr();
        ui.drops.with(|d| {
            d.iter()
                .filter_map(|m| {
                    let (s, e) = lane(pos_of(m.from)?, pos_of(m.to)?, r);
                    let (x, y) = (s.0 + (e.0 - s.0) * 0.55, s.1 + (e.1 - s.1) * 0.55);
                    let age = ((wall - m.wall) / DROP_SHOW_MS).clamp(0.0, 1.0);
                    Some(view! {
                        <text
                            class="drop"
                            x=format!("{x:.1}")
                            y=format!("{:.1}", y + 4.0 - 6.0 * age)
                            opacity=format!("{:.2}", 1.0 - age)
                        >
                            "✕"
                        </text>
                    })
                })
                .map(IntoAny::into_any)
                .collect_view()
        })
    };

    // Every glyph is built again when the ids change, and the layout changes only then: its
    // place and size are plain values.
    let nodes = move || {
        let ids = ids.get();
        let (n, radius) = (ids.len(), nr());
        ids.into_iter()
            .map(|id| {
                let pos = pos_of(id).unwrap_or((CX, CY));
                view! { <NodeGlyph id=id pos=pos radius=radius small={n > 15} compact={n > 7} drag=drag after_drag=after_drag/> }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };

    // Client pixels to picture coordinates (the picture keeps its aspect ratio, centred).
    let to_svg = move |x: f64, y: f64| -> (f64, f64) {
        let Some(svg) = document().query_selector(".cluster-svg").ok().flatten() else {
            return (x, y);
        };
        let rect = svg.get_bounding_client_rect();
        let k = (rect.width() / W).min(rect.height() / H).max(1e-6);
        let (ox, oy) = (
            rect.left() + (rect.width() - W * k) / 2.0,
            rect.top() + (rect.height() - H * k) / 2.0,
        );
        ((x - ox) / k, (y - oy) / k)
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        if part.with_untracked(Option::is_none) || ev.button() != 0 {
            return;
        }
        if let Some(id) = node_of(&ev) {
            ev.prevent_default();
            let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            drag.set(Some(Drag {
                id,
                start: (x, y),
                at: to_svg(x, y),
                moved: false,
                over: None,
            }));
        }
    };
    let listeners = [
        window_event_listener(leptos::ev::pointermove, move |ev| {
            let Some(mut d) = drag.get_untracked() else {
                return;
            };
            let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            let (dx, dy) = (x - d.start.0, y - d.start.1);
            if !d.moved && dx * dx + dy * dy < 25.0 {
                return;
            }
            d.moved = true;
            d.at = to_svg(x, y);
            d.over = target_at(x, y).filter(|t| *t != Target::Node(d.id));
            drag.set(Some(d));
        }),
        window_event_listener(leptos::ev::pointerup, move |ev| {
            let Some(d) = drag.get_untracked() else {
                return;
            };
            drag.set(None);
            if !d.moved {
                return; // a click: the node's click handler picks it up
            }
            // The browser sends its click right after this, in the same task.
            after_drag.set_value(true);
            set_timeout(
                move || after_drag.set_value(false),
                std::time::Duration::ZERO,
            );
            let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            if let Some(t) = target_at(x, y) {
                part.update(|p| {
                    if let Some(p) = p {
                        p.picked = None;
                        p.place(d.id, t);
                    }
                });
            }
        }),
    ];
    on_cleanup(move || listeners.into_iter().for_each(|l| l.remove()));
    // Nodes joining or leaving while a partition is drawn.
    Effect::new(move |_| {
        let ids = ids.get();
        part.maybe_update(|p| p.as_mut().is_some_and(|d| d.sync(&ids)));
    });
    let on_background = move |_| {
        if part.with_untracked(Option::is_some) {
            if !after_drag.get_value() {
                part.update(|p| {
                    if let Some(p) = p {
                        p.click_target(Target::NewGroup);
                    }
                });
            }
        } else {
            ui.selection.set(Selection::None);
        }
    };
    let start_drawing = move |_| {
        ui.selection.set(Selection::None);
        part.set(Some(ui.view.with_untracked(Draft::from_view)));
    };

    // Re-rendered only when the condition flips, as <Show> does.
    let drawing = Memo::new(move |_| part.with(Option::is_none));
    view! {
        <div class="cluster">
            {move || drawing.get().then(|| view! {
                <button
                    class="small part-toggle"
                    title="Drag nodes into groups, then apply: the same partition line as typing it"
                    on:click=start_drawing
                >
                    "Draw a partition"
                </button>
            }.into_any())}
            <svg
                viewBox=format!("0 0 {W} {H}")
                class="cluster-svg"
                class:partitioning=move || part.with(Option::is_some)
                class:dragging=move || drag.with(|d| d.is_some_and(|d| d.moved))
                role="img"
                aria-label="Cluster"
                on:click=on_background
                on:pointerdown=on_down
            >
                <g class="lanes">{move || lanes().into_any()}</g>
                <g class="badges">{move || badges().into_any()}</g>
                <g class="nodes">{move || nodes().into_any()}</g>
                <g class="msgs">
                    {keyed_list(move || {
                        in_flight.get().into_iter().map(|m| {
                            let key = [m.id, m.deliver_at.is_some() as u64, m.deliver_at.unwrap_or(0)];
                            Row::new(key, move || message(m).into_any())
                        }).collect()
                    })}
                </g>
                <g class="drops">{move || drops().into_any()}</g>
            </svg>
            {move || {
                if part.with(Option::is_some) {
                    view! { <PartitionPanel drag=drag after_drag=after_drag/> }.into_any()
                } else {
                    view! { <Legend/> }.into_any()
                }
            }}
        </div>
    }
}

/// Partition mode's panel under the picture: the groups (drop targets too), the line that
/// applying runs, Apply and Cancel.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
fn PartitionPanel(drag: RwSignal<Option<Drag>>, after_drag: StoredValue<bool>) -> impl IntoView {
    let ui = use_ui();
    let part = ui.partition;
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
            act(l);
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

/// One node: role color, election timer ring, id, term and indices.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
fn NodeGlyph(
    id: u64,
    /// Centre in the picture.
    pos: (f64, f64),
    /// Radius of the node.
    radius: f64,
    /// Too many nodes for the indices under each one.
    small: bool,
    /// Too many nodes for the role above each one.
    compact: bool,
    drag: RwSignal<Option<Drag>>,
    after_drag: StoredValue<bool>,
) -> impl IntoView {
    let ui = use_ui();
    let part = ui.partition;
    let node = Memo::new(move |_| {
        ui.view
            .with(|v| v.nodes.iter().find(|n| n.id == id).cloned())
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
            ui.selection.set(Selection::Node(id));
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
    let role = move || node.with(|n| n.as_ref().map_or("unknown", role_label));
    let class = move || {
        let n = node.get();
        let status = match n.as_ref().map(|n| n.status) {
            Some(NodeStatus::Paused) => " paused",
            Some(NodeStatus::Crashed) => " crashed",
            _ => "",
        };
        format!("node {}{status}", role())
    };
    let aria = move || {
        node.with(|n| match n {
            Some(n) => format!(
                "Node {id}: {}{}, term {}, commit {}, applied {}{}",
                role_label(n),
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
    let selected = move || ui.selection.with(|s| *s == Selection::Node(id));
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
            {(!compact).then(|| view! {
                <text class="node-role" dy=format!("{:.1}", -radius - 13.0)>{move || top()}</text>
            }).map(IntoAny::into_any)}
            {(!small).then(|| view! {
                <text class="node-sub" dy=format!("{:.1}", radius + 20.0)>{move || sub()}</text>
            }).map(IntoAny::into_any)}
            <g class="part-tag" transform=tag_at>
                <circle r="8.5" fill=move || ring_color()/>
                <text dy="3.6">{move || group.get().map(group_name)}</text>
            </g>
        </g>
    }
}
