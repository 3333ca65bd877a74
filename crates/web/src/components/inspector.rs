//! Details and actions for what is selected: a node (crash, restart, pause, resume, transfer
//! leadership, isolate), a link (cut, restore, hold, release or drop one message, drop rate and
//! latency) or a message (its fields). With nothing selected: partition presets and the network.

use leptos::prelude::*;
use sim::network::LinkMode;
use sim::{NodeStatus, Role};

use crate::components::why_panel::{WhyPanel, WhySubject};
use crate::control::use_control;
use crate::model::{role_label, status_label, Selection};
use crate::signals::{use_panels, use_picture};

/// The panel for what is selected (beside the cluster).
#[component]
pub fn Inspector() -> impl IntoView {
    let pic = use_picture();
    let kind = Memo::new(move |_| {
        pic.selection.with(|s| match s {
            Selection::None => 0u8,
            Selection::Node(_) => 1,
            Selection::Link(..) => 2,
            Selection::Msg(_) => 3,
            Selection::Entry(..) => 4,
        })
    });
    view! {
        <div class="inspector panel" aria-live="polite">
            {move || match kind.get() {
                1 => view! { <NodePanel/> }.into_any(),
                2 => view! { <LinkPanel/> }.into_any(),
                3 => view! { <MsgPanel/> }.into_any(),
                4 => view! { <EntryPanel/> }.into_any(),
                _ => view! { <ClusterPanel/> }.into_any(),
            }}
        </div>
    }
}

fn groups_line(groups: &[Vec<u64>]) -> String {
    let parts: Vec<String> = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| g.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
        .collect();
    format!("partition {}", parts.join(" "))
}

/// A node's log as words: which entries it holds (after its snapshot).
pub fn log_range(first: u64, last: u64) -> String {
    match last.checked_sub(first) {
        None => format!("empty (up to index {last} in its snapshot)"),
        Some(0) => format!("entry {first}"),
        Some(_) => format!("entries {first} to {last}"),
    }
}

#[component]
fn ClusterPanel() -> impl IntoView {
    let pic = use_picture();
    let ctl = use_control();
    let shown = RwSignal::new(false);
    let presets = move || {
        pic.view.with(|v| {
            let ids: Vec<u64> = v.nodes.iter().map(|n| n.id).collect();
            let mut out: Vec<(String, String)> = Vec::new();
            if ids.len() < 2 {
                return out;
            }
            // The presets split the cluster around its leader: without one there is nothing to
            // split around (they come back with the next leader).
            let Some(leader) = v.leader else {
                return out;
            };
            let rest: Vec<u64> = ids.iter().copied().filter(|i| *i != leader).collect();
            out.push((
                format!("Isolate leader {leader}"),
                groups_line(&[vec![leader], rest.clone()]),
            ));
            if ids.len() >= 3 {
                let minority = (ids.len() - 1) / 2;
                let mut small = vec![leader];
                small.extend(rest.iter().take(minority.saturating_sub(1)));
                let big: Vec<u64> = ids.iter().copied().filter(|i| !small.contains(i)).collect();
                if small.len() > 1 {
                    out.push((
                        "Leader in the minority".to_string(),
                        groups_line(&[small, big]),
                    ));
                }
                let mut maj = vec![leader];
                maj.extend(rest.iter().take(ids.len() / 2));
                let min: Vec<u64> = ids.iter().copied().filter(|i| !maj.contains(i)).collect();
                out.push((
                    "Leader in the majority".to_string(),
                    groups_line(&[maj, min]),
                ));
            }
            out
        })
    };
    view! {
        <details class="faults" on:toggle=move |ev| {
            use wasm_bindgen::JsCast;
            let open = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
                .is_some_and(|d| d.open());
            shown.set(open);
        }>
        <summary><h2>"Faults, network and run figures"</h2></summary>
        <p class="hint">
            "Click a node to crash, pause or promote it; click a link (each direction has its own lane) to cut, hold or slow it; click a message to read it."
        </p>
        <div class="buttons">
            {move || {
                presets()
                    .into_iter()
                    .map(|(label, line)| {
                        let title = line.clone();
                        view! { <button title=title on:click=move |_| ctl.act(line.clone())>{label}</button> }
                    })
                    .map(IntoAny::into_any)
                    .collect_view()
            }}
            {move || pic.view.with(|v| v.leader.is_none() && v.nodes.len() >= 2).then(|| view! {
                <span class="hint">"The split presets come back once a leader is elected."</span>
            }.into_any())}
            <button on:click=move |_| ctl.act("heal")>"Heal all"</button>
        </div>
        <NetworkForm from=None/>
        <h2 class="gap">"Run"</h2>
        <dl class="kv">
            {move || {
                // Read only while the panel is open: no work for figures nobody sees.
                if !shown.get() {
                    return ().into_any();
                }
                let c = pic.counters.get();
                [
                    ("events", c.events.to_string()),
                    ("messages sent", c.sent.to_string()),
                    ("delivered · lost", format!("{} · {}", c.delivered, c.dropped)),
                    ("leaders elected", c.elections.to_string()),
                    ("highest commit", c.max_commit.to_string()),
                    ("requests ok · failed", format!("{} · {}", c.ok, c.failed)),
                ]
                .into_iter()
                .map(|(k, v)| view! { <div><dt>{k}</dt><dd class="mono">{v}</dd></div> })
                .map(IntoAny::into_any)
                .collect_view()
                .into_any()
            }}
        </dl>
        </details>
    }
}

/// Drop rate and latency for one link (or the whole network).
#[component]
fn NetworkForm(from: Option<(u64, u64)>) -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    let init = panels.settings.get_untracked();
    let drop_pct = RwSignal::new(init.drop_pct);
    let lat_min = RwSignal::new(init.latency_min_ms);
    let lat_max = RwSignal::new(init.latency_max_ms);
    let apply = move |_| {
        let lo = lat_min.get_untracked();
        let hi = lat_max.get_untracked().max(lo);
        let d = drop_pct.get_untracked().clamp(0.0, 100.0) / 100.0;
        let line = match from {
            Some((a, b)) => format!("link {a}->{b} drop={d} latency={lo}-{hi}ms"),
            None => format!("network drop={d} latency={lo}-{hi}ms"),
        };
        ctl.act(line);
    };
    let title = if from.is_some() {
        "This link"
    } else {
        "Every link"
    };
    view! {
        <fieldset class="netform">
            <legend>{title}</legend>
            <label>
                "drop %"
                <input type="number" min="0" max="100" step="1"
                    prop:value=move || drop_pct.get().to_string()
                    on:change=move |ev| drop_pct.set(event_target_value(&ev).parse().unwrap_or(0.0))/>
            </label>
            <label>
                "latency ms"
                <input type="number" min="0" max="60000"
                    prop:value=move || lat_min.get().to_string()
                    on:change=move |ev| lat_min.set(event_target_value(&ev).parse().unwrap_or(0))/>
                "–"
                <input type="number" min="0" max="60000"
                    prop:value=move || lat_max.get().to_string()
                    on:change=move |ev| lat_max.set(event_target_value(&ev).parse().unwrap_or(0))/>
            </label>
            <button on:click=apply>"Apply"</button>
        </fieldset>
    }
}

#[component]
fn NodePanel() -> impl IntoView {
    let pic = use_picture();
    let ctl = use_control();
    let id = move || match pic.selection.get() {
        Selection::Node(id) => id,
        _ => 0,
    };
    let node = Memo::new(move |_| {
        let id = id();
        pic.view
            .with(|v| v.nodes.iter().find(|n| n.id == id).cloned())
    });
    let others = move || {
        let id = id();
        pic.view.with(|v| {
            v.nodes
                .iter()
                .map(|n| n.id)
                .filter(|n| *n != id)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let panel = move || {
        let Some(n) = node.get() else {
            return view! { <p class="hint">"That node is gone."</p> }.into_any();
        };
        let id = n.id;
        let crashed = n.status == NodeStatus::Crashed;
        let paused = n.status == NodeStatus::Paused;
        let leader = n.role == Some(Role::Leader);
        let rows = vec![
            ("status", status_label(n.status).to_string()),
            ("role", role_label(&n).to_string()),
            ("term", n.term.to_string()),
            (
                "voted for",
                if n.vote == 0 {
                    "—".into()
                } else {
                    n.vote.to_string()
                },
            ),
            (
                "knows leader",
                if n.leader == 0 {
                    "—".into()
                } else {
                    n.leader.to_string()
                },
            ),
            ("commit", n.commit.to_string()),
            ("applied", n.applied.to_string()),
            ("log", log_range(n.first_index, n.last_index)),
            ("snapshot", n.snapshot_index.to_string()),
            (
                "election timer",
                if leader || crashed {
                    "—".into()
                } else {
                    format!("{}/{} ticks", n.election_elapsed, n.election_timeout)
                },
            ),
        ];
        let progress = n.progress.clone();
        view! {
            <h2>{format!("Node {id}")}</h2>
            <div class="buttons">
                {if crashed {
                    view! { <button class="primary" on:click=move |_| ctl.act(format!("restart {id}"))>{format!("Restart node {id}")}</button> }.into_any()
                } else {
                    view! { <button class="danger" on:click=move |_| ctl.act(format!("crash {id}"))>{format!("Crash node {id}")}</button> }.into_any()
                }}
                {(!crashed).then(|| if paused {
                    view! { <button on:click=move |_| ctl.act(format!("resume {id}"))>{format!("Resume node {id}")}</button> }.into_any()
                } else {
                    view! { <button on:click=move |_| ctl.act(format!("pause {id}"))>{format!("Pause node {id}")}</button> }.into_any()
                })}
                {(!crashed && !leader).then(|| view! {
                    <button title="Ask the leader to hand over leadership (MsgTimeoutNow)"
                        on:click=move |_| ctl.act(format!("move-leader {id:x}"))>"Make leader"</button>
                    <button title="Start an election at this node now"
                        on:click=move |_| ctl.act(format!("campaign {id}"))>"Campaign"</button>
                }).map(IntoAny::into_any)}
                <button title="Cut every link to and from this node"
                    on:click=move |_| ctl.act(format!("partition {id} {}", others()))>"Isolate"</button>
            </div>
            <dl class="kv">
                {rows.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd class="mono">{v}</dd></div> }).map(IntoAny::into_any).collect_view()}
            </dl>
            <WhyPanel subject=WhySubject::Node(id)/>
            {(!progress.is_empty()).then(|| view! {
                <table class="progress">
                    <caption>"Replication progress (leader's view)"</caption>
                    <thead><tr><th>"peer"</th><th>"match"</th><th>"next"</th><th>"state"</th></tr></thead>
                    <tbody>
                        {progress.into_iter().map(|p| view! {
                            <tr><td>{p.id}</td><td>{p.matched}</td><td>{p.next}</td><td>{p.state}</td></tr>
                        }).map(IntoAny::into_any).collect_view()}
                    </tbody>
                </table>
            }).map(IntoAny::into_any)}
        }
        .into_any()
    };
    view! { {move || panel()} }
}

#[component]
fn LinkPanel() -> impl IntoView {
    let pic = use_picture();
    let ctl = use_control();
    let ends = move || match pic.selection.get() {
        Selection::Link(a, b) => (a, b),
        _ => (0, 0),
    };
    let state = Memo::new(move |_| {
        let (a, b) = ends();
        pic.view.with(|v| {
            let link = v.links.iter().find(|l| l.from == a && l.to == b);
            let in_flight = v
                .in_flight
                .iter()
                .filter(|m| m.from == a && m.to == b)
                .count();
            (
                link.map_or(LinkMode::Healthy, |l| l.mode),
                link.map_or(0, |l| l.held.len()),
                in_flight,
            )
        })
    });
    // What the link holds, oldest first: "Deliver oldest" delivers the first of these.
    let held_list = Memo::new(move |_| {
        let (a, b) = ends();
        pic.view.with(|v| crate::picture::held_messages(v, a, b))
    });
    let panel = move || {
        let (a, b) = ends();
        let (mode, held, flying) = state.get();
        let mode_text = match mode {
            LinkMode::Healthy => "healthy",
            LinkMode::Cut => "cut: messages are lost",
            LinkMode::Held => "held: messages wait for you",
        };
        view! {
            <h2>{format!("Link {a} → {b}")}</h2>
            <p class="hint">{format!("{mode_text} · {flying} in flight · {held} held")}</p>
            <div class="buttons">
                {match mode {
                    LinkMode::Healthy => view! {
                        <button class="danger" on:click=move |_| ctl.act(format!("cut {a}->{b}"))>"Cut"</button>
                        <button title="Messages wait on the link until you release or drop them"
                            on:click=move |_| ctl.act(format!("hold {a}->{b}"))>"Hold"</button>
                    }.into_any(),
                    _ => view! {
                        <button class="primary" on:click=move |_| ctl.act(format!("restore {a}->{b}"))>"Restore"</button>
                    }.into_any(),
                }}
                {(mode == LinkMode::Held).then(|| view! {
                    <button disabled=held == 0 on:click=move |_| ctl.act(format!("release {a}->{b}"))>"Deliver oldest"</button>
                    <button disabled=held == 0 on:click=move |_| ctl.act(format!("drop {a}->{b}"))>"Drop oldest"</button>
                }).map(IntoAny::into_any)}
                <button on:click=move |_| pic.selection.set(Selection::Link(b, a))>{format!("Show {b} → {a}")}</button>
            </div>
            {(mode == LinkMode::Held).then(|| view! {
                <ol class="held-list" aria-label="Held messages">
                    {move || held_list.get().into_iter().enumerate().map(|(i, (id, text))| view! {
                        <li>
                            <span class="mono">{text}</span>
                            <span class="hint">{format!(" · message {id}")}</span>
                            {(i == 0).then(|| view! { <span class="next-up">" ← delivered or dropped next"</span> }).map(IntoAny::into_any)}
                        </li>
                    }).map(IntoAny::into_any).collect_view()}
                </ol>
            }).map(IntoAny::into_any)}
            <NetworkForm from=Some((a, b))/>
        }
        .into_any()
    };
    view! { {move || panel()} }
}

#[component]
fn MsgPanel() -> impl IntoView {
    let pic = use_picture();
    let panel = move || {
        let Selection::Msg(m) = pic.selection.get() else {
            return ().into_any();
        };
        let still = pic.view.with(|v| v.in_flight.iter().any(|x| x.id == m.id));
        let s = &m.summary;
        let rows = vec![
            ("says", crate::picture::label(s)),
            ("kind", s.kind.as_str().to_string()),
            ("from → to", format!("{} → {}", m.from, m.to)),
            ("term", s.term.to_string()),
            ("index", s.index.to_string()),
            ("log term", s.log_term.to_string()),
            ("commit", s.commit.to_string()),
            ("entries", s.entries.to_string()),
            ("reject", s.reject.to_string()),
            ("snapshot index", s.snapshot_index.to_string()),
            ("sent at", sim::time::format_ms(m.sent_at)),
            (
                "arrives at",
                m.deliver_at
                    .map_or("held".to_string(), sim::time::format_ms),
            ),
        ];
        view! {
            <h2>{format!("Message {}", m.id)}</h2>
            <p class="hint">{if still { "in flight" } else { "delivered or lost" }}</p>
            <dl class="kv">
                {rows.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd class="mono">{v}</dd></div> }).map(IntoAny::into_any).collect_view()}
            </dl>
            <WhyPanel subject=WhySubject::Msg(m.id)/>
        }
        .into_any()
    };
    view! { {move || panel()} }
}

#[component]
fn EntryPanel() -> impl IntoView {
    let pic = use_picture();
    let panel = move || {
        let Selection::Entry(node, index) = pic.selection.get() else {
            return ().into_any();
        };
        view! {
            <h2>{format!("Entry {index} of node {node}")}</h2>
            <WhyPanel subject=WhySubject::Entry(node, index)/>
        }
        .into_any()
    };
    view! { {move || panel()} }
}

#[cfg(test)]
mod tests {
    use super::log_range;

    #[test]
    fn a_log_range_reads_as_words() {
        assert_eq!(log_range(2, 2), "entry 2");
        assert_eq!(log_range(3, 9), "entries 3 to 9");
        assert_eq!(log_range(11, 10), "empty (up to index 10 in its snapshot)");
        assert_eq!(log_range(1, 0), "empty (up to index 0 in its snapshot)");
    }
}
