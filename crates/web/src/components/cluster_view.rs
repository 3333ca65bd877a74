//! The cluster picture (SVG): nodes on a ring that fills the space it has, links with a lane per
//! direction, messages in flight as labelled pills (heartbeats as small dots) at their real
//! virtual times, messages lost, and in big clusters a partition as shaded groups. What goes
//! where is [`crate::picture`]'s; this file turns it into elements.

use leptos::prelude::*;
use sim::network::{InFlightView, LinkMode};

use super::drag::{node_of, target_at, Drag};
use super::keyed::{keyed_list, Row};
use super::legend::Legend;
use super::msg_style::{is_response, msg_style, pill_width};
use super::node_glyph::NodeGlyph;
use super::partition_panel::PartitionPanel;
use crate::model::Selection;
use crate::partition::{group_color, group_name, Draft, Target};
use crate::picture::{self, Geometry, LabelRoom, Member, Weight, BIG};
use crate::projection::DROP_SHOW_MS;
use crate::signals::{use_clock, use_picture};

/// Offset of each direction's lane from the line between two nodes, small and big pictures.
const LANE: f64 = 9.0;
const LANE_BIG: f64 = 4.0;
/// Above this many pills in flight, pills drop their text (it stays in their name and on hover).
const CROWD: usize = 14;

/// Keeps `size` equal to the CSS size of the element `.cluster-box` (the picture's
/// coordinates are its pixels, so text keeps its size and the drawing fills the box).
fn watch_size(size: RwSignal<(f64, f64)>) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::prelude::*;
        let measure = move || {
            let Some(el) = document().query_selector(".cluster-box").ok().flatten() else {
                return;
            };
            let r = el.get_bounding_client_rect();
            let s = (r.width().round().max(120.0), r.height().round().max(120.0));
            if size.get_untracked() != s {
                size.set(s);
            }
        };
        let cb = Closure::<dyn Fn()>::new(measure);
        if let Ok(obs) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
            // Observe once the element is in the document (after this render).
            let o = obs.clone();
            request_animation_frame(move || {
                if let Some(el) = document().query_selector(".cluster-box").ok().flatten() {
                    o.observe(&el);
                }
            });
            on_cleanup(move || obs.disconnect());
        }
        cb.forget();
        request_animation_frame(measure);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = size;
}

/// The cluster picture.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
pub fn ClusterView() -> impl IntoView {
    let pic = use_picture();
    let clock = use_clock();
    let part = pic.partition;
    let drag = RwSignal::new(None::<Drag>);
    // True between the end of a drag and the click the browser sends after it (which is then
    // not taken as a click).
    let after_drag = StoredValue::new(false);
    watch_size(pic.size);

    // What the drawing depends on, each recomputed only when its inputs change.
    let links = Memo::new(move |_| pic.view.with(|v| v.links.clone()));
    let ids = Memo::new(move |_| {
        pic.view
            .with(|v| v.nodes.iter().map(|n| n.id).collect::<Vec<u64>>())
    });
    let big = Memo::new(move |_| ids.with(Vec::len) > BIG);
    let groups = Memo::new(move |_| {
        links.track();
        ids.track();
        pic.view.with_untracked(picture::partition_groups)
    });
    let order = Memo::new(move |_| {
        ids.track();
        groups.with(|g| {
            pic.view
                .with_untracked(|v| picture::drawing_order(v, g.as_deref()))
        })
    });
    let geo = Memo::new(move |_| {
        let (w, h) = pic.size.get();
        order.with(|o| picture::geometry(o, w, h))
    });
    let offset = move || if big.get() { LANE_BIG } else { LANE };
    let gone = Memo::new(move |_| {
        pic.view.with(|v| {
            v.nodes
                .iter()
                .filter(|n| picture::member(v, n) == Member::Removed)
                .map(|n| n.id)
                .collect::<Vec<u64>>()
        })
    });

    // Pairs of nodes to draw a link between (see `picture::shows_pair`).
    let leader = Memo::new(move |_| pic.view.with(|v| v.leader));
    let pairs = Memo::new(move |_| {
        leader.track();
        ids.track();
        links.track();
        groups.with(|g| {
            pic.view.with_untracked(|v| {
                let ids: Vec<u64> = v.nodes.iter().map(|n| n.id).collect();
                let mut out = Vec::new();
                for (i, a) in ids.iter().enumerate() {
                    for b in &ids[i + 1..] {
                        if picture::shows_pair(v, g.as_deref(), *a, *b) {
                            out.push((*a, *b));
                        }
                    }
                }
                out
            })
        })
    });
    let link_mode = move |from: u64, to: u64| {
        links.with(|ls| {
            ls.iter()
                .find(|l| l.from == from && l.to == to)
                .map(|l| (l.mode, l.custom))
        })
    };

    let lanes = move || {
        let g = geo.get();
        let off = offset();
        let gone = gone.get();
        pairs
            .get()
            .into_iter()
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .map(|(from, to)| {
                let ((x1, y1), (x2, y2)) = g
                    .pos(from)
                    .zip(g.pos(to))
                    .map_or(((0.0, 0.0), (0.0, 0.0)), |(a, b)| {
                        picture::lane(a, b, g.radius, off)
                    });
                let class = move || match link_mode(from, to) {
                    Some((LinkMode::Cut, _)) => "lane cut",
                    Some((LinkMode::Held, _)) => "lane held",
                    Some((_, true)) => "lane custom",
                    _ => "lane",
                };
                let selected = move || pic.selection.with(|s| *s == Selection::Link(from, to));
                let faded = gone.contains(&from) || gone.contains(&to);
                let label = format!("Link {from} to {to}");
                view! {
                    <g class="lane-group" class:selected=move || selected() class:faded=faded>
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
                                pic.selection.set(Selection::Link(from, to));
                            }
                        />
                    </g>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };

    // Cut and held links get a badge; a held one lists what it holds on hover. The cut links
    // between the groups of a partition in a big picture are shown by the shaded groups.
    let badges = move || {
        let g = geo.get();
        let off = offset();
        let shown = pairs.get();
        links.with(|ls| {
            ls.iter()
                .filter(|l| l.mode != LinkMode::Healthy)
                .filter(|l| {
                    shown
                        .iter()
                        .any(|p| *p == (l.from, l.to) || *p == (l.to, l.from))
                })
                .filter_map(|l| {
                    let (s, e) = picture::lane(g.pos(l.from)?, g.pos(l.to)?, g.radius, off);
                    let (x, y) = (s.0 + (e.0 - s.0) * 0.3, s.1 + (e.1 - s.1) * 0.3);
                    let (text, class) = match l.mode {
                        LinkMode::Cut => ("✕".to_string(), "badge cut"),
                        _ => (format!("{}", l.held.len()), "badge held"),
                    };
                    let title = match l.mode {
                        LinkMode::Held => {
                            let held = pic
                                .view
                                .with_untracked(|v| picture::held_messages(v, l.from, l.to));
                            let list: Vec<String> = held.into_iter().map(|h| h.1).collect();
                            format!(
                                "Link {} → {} held: {}",
                                l.from,
                                l.to,
                                if list.is_empty() {
                                    "nothing yet".into()
                                } else {
                                    list.join(", ")
                                }
                            )
                        }
                        _ => format!("Link {} → {} cut", l.from, l.to),
                    };
                    Some(view! {
                        <g class=class transform=format!("translate({x:.1},{y:.1})")>
                            <title>{title}</title>
                            <circle r="8"/>
                            <text dy="3.5">{text}</text>
                        </g>
                    })
                })
                .map(IntoAny::into_any)
                .collect_view()
        })
    };

    // A partition in a big picture: each group a shaded band along its arc of the ring.
    let shading = move || {
        if !big.get() {
            return ().into_any();
        }
        let g = geo.get();
        let Some(groups) = groups.get() else {
            return ().into_any();
        };
        groups
            .iter()
            .enumerate()
            .map(|(i, grp)| {
                let pts: Vec<(f64, f64)> = grp.iter().filter_map(|id| g.pos(*id)).collect();
                let mut d = String::new();
                for (k, (x, y)) in pts.iter().enumerate() {
                    d.push_str(&format!("{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" }));
                }
                let (cx, cy) = (g.w / 2.0, g.h / 2.0);
                let mid = pts.get(pts.len() / 2).copied().unwrap_or((cx, cy));
                // The group's letter just inside the ring, by its middle node.
                let (lx, ly) = (mid.0 + (cx - mid.0) * 0.16, mid.1 + (cy - mid.1) * 0.16);
                let label = format!("group {} · {} nodes", group_name(i), grp.len());
                view! {
                    <g class="group-shade" style=format!("--c:{}", group_color(i))>
                        <path d=d stroke-width=format!("{:.1}", g.radius * 2.0 + 18.0)/>
                        <text x=format!("{lx:.1}") y=format!("{ly:.1}")>{label}</text>
                    </g>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
            .into_any()
    };

    let in_flight = Memo::new(move |_| pic.view.with(|v| v.in_flight.clone()));
    let crowded = move || {
        in_flight.with(|m| {
            m.iter()
                .filter(|m| picture::weight(m.summary.kind) == Weight::Loud)
                .count()
        }) > CROWD
    };

    // One element per message, kept while it flies (keyed); only its position changes, with the
    // clock (fractional virtual ms, so it glides in slow motion).
    let message = move |m: InFlightView| {
        let (color, _) = msg_style(m.summary.kind);
        let id = m.id;
        let aria = format!(
            "Message {id}: {} from {} to {}",
            m.summary.kind.as_str(),
            m.from,
            m.to
        );
        let loud = picture::weight(m.summary.kind) == Weight::Loud;
        let text = picture::label(&m.summary);
        let mv = m.clone();
        let transform = move || {
            let t = pic.clock.get();
            let off = offset();
            geo.with(|g| match picture::message_at(g, &m, t, off) {
                Some((x, y)) => format!("translate({x:.1},{y:.1})"),
                None => "translate(-100,-100)".to_string(),
            })
        };
        let selected = move || {
            pic.selection
                .with(|s| matches!(s, Selection::Msg(x) if x.id == id))
        };
        let class = match (loud, is_response(mv.summary.kind), mv.summary.reject) {
            (false, _, _) => "msg quiet",
            (true, false, _) => "msg loud",
            (true, true, false) => "msg loud resp",
            (true, true, true) => "msg loud resp reject",
        };
        let labelled = loud && !crowded();
        let w = pill_width(&text);
        let mn = mv.clone();
        // Near either end of its lane in a big picture, a pill is a dot (see `label_shown`); in a
        // smaller one it never is, so its pill does not follow the clock for that.
        let bursts = labelled && geo.with_untracked(|g| g.nodes.len() >= picture::BURST_NODES);
        let near = move || {
            bursts && {
                let t = pic.clock.get();
                let off = offset();
                !geo.with(|g| picture::label_shown(g, &mn, t, off, w))
            }
        };
        let body = if labelled {
            view! {
                <rect x=format!("{:.1}", -w / 2.0) y="-10" width=format!("{w:.1}") height="20" rx="10"/>
                <text class="msg-text" dy="3.8">{text}</text>
                <circle class="msg-dot" r="7"/>
            }
            .into_any()
        } else if loud {
            view! {
                <circle r="7"/>
                <title>{text}</title>
            }
            .into_any()
        } else {
            view! { <circle r="4.5"/> }.into_any()
        };
        view! {
            <g
                class=class
                style=format!("--c:{color}")
                class:selected=move || selected()
                class:near=near
                transform=move || transform()
                role="button"
                aria-label=aria
                on:click=move |ev| {
                    ev.stop_propagation();
                    pic.selection.set(Selection::Msg(mv.clone()));
                }
            >
                {body}
            </g>
        }
    };

    let drops = move || {
        let wall = pic.wall.get();
        let g = geo.get();
        let off = offset();
        // In a big picture the losses between a partition's groups are what the shading says.
        let across = move |a: u64, b: u64| {
            big.get_untracked()
                && groups.with_untracked(|gs| {
                    gs.as_ref().is_some_and(|gs| {
                        let of = |x: u64| gs.iter().position(|grp| grp.contains(&x));
                        of(a) != of(b)
                    })
                })
        };
        pic.drops.with(|d| {
            d.iter()
                .filter(|m| !across(m.from, m.to))
                .filter_map(|m| {
                    let (s, e) = picture::lane(g.pos(m.from)?, g.pos(m.to)?, g.radius, off);
                    let (x, y) = (s.0 + (e.0 - s.0) * 0.55, s.1 + (e.1 - s.1) * 0.55);
                    let age = ((wall - m.wall) / DROP_SHOW_MS).clamp(0.0, 1.0);
                    Some(view! {
                        <text
                            class="drop"
                            x=format!("{x:.1}")
                            y=format!("{:.1}", y + 5.0 - 6.0 * age)
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

    // Every glyph is built again when the layout changes: its place and size are plain values.
    let nodes = move || {
        let g: Geometry = geo.get();
        let radius = g.radius;
        let (small, compact) = match g.room {
            LabelRoom::All => (false, false),
            LabelRoom::Role => (true, false),
            LabelRoom::None => (true, true),
        };
        g.nodes
            .into_iter()
            .map(|(id, x, y)| {
                view! {
                    <NodeGlyph id=id pos=(x, y) radius=radius small=small compact=compact
                        drag=drag after_drag=after_drag/>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };

    // Client pixels to picture coordinates (one unit is one pixel).
    let to_svg = move |x: f64, y: f64| -> (f64, f64) {
        let Some(svg) = document().query_selector(".cluster-svg").ok().flatten() else {
            return (x, y);
        };
        let rect = svg.get_bounding_client_rect();
        (x - rect.left(), y - rect.top())
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
            pic.selection.set(Selection::None);
        }
    };
    let start_drawing = move |_| {
        pic.selection.set(Selection::None);
        part.set(Some(pic.view.with_untracked(Draft::from_view)));
    };

    // Re-rendered only when the condition flips, as <Show> does.
    let drawing = Memo::new(move |_| part.with(Option::is_none));
    view! {
        <div class="cluster">
            <div class="cluster-box">
                <svg
                    viewBox=move || geo.with(|g| format!("0 0 {} {}", g.w, g.h))
                    class="cluster-svg"
                    class:big=move || big.get()
                    class:fast=move || clock.speed.with(|s| *s > 2.0)
                    class:partitioning=move || part.with(Option::is_some)
                    class:dragging=move || drag.with(|d| d.is_some_and(|d| d.moved))
                    role="img"
                    aria-label="Cluster"
                    on:click=on_background
                    on:pointerdown=on_down
                >
                    // A white plate the size of a node's label, so messages pass under the
                    // label rather than through its letters.
                    <defs>
                        <filter id="plate" x="-0.04" y="0" width="1.08" height="1">
                            <feFlood flood-color="#fff"/>
                            <feComposite in="SourceGraphic"/>
                        </filter>
                    </defs>
                    <g class="groups">{move || shading()}</g>
                    <g class="lanes">{move || lanes().into_any()}</g>
                    <g class="badges">{move || badges().into_any()}</g>
                    <g class="msgs">
                        {keyed_list(move || {
                            in_flight.get().into_iter().map(|m| {
                                let key = [m.id, m.deliver_at.is_some() as u64, m.deliver_at.unwrap_or(0)];
                                Row::new(key, move || message(m).into_any())
                            }).collect()
                        })}
                    </g>
                    <g class="nodes">{move || nodes().into_any()}</g>
                    <g class="drops">{move || drops().into_any()}</g>
                </svg>
                {move || drawing.get().then(|| view! {
                    <button
                        class="small part-toggle"
                        title="Drag nodes into groups, then apply: the same partition line as typing it"
                        on:click=start_drawing
                    >
                        "Draw a partition"
                    </button>
                }.into_any())}
                {move || drawing.get().then(|| view! { <Legend/> }.into_any())}
            </div>
            {move || (!drawing.get()).then(|| view! {
                <PartitionPanel drag=drag after_drag=after_drag/>
            }.into_any())}
        </div>
    }
}
