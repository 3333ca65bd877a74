//! "Why?": the plain-words explanation of the selected node, message or log entry, derived from
//! the trace by `etcd::explain` (which builds on `sim::explain`). It is computed when asked for
//! (the button), not on every frame: an explanation replays the kept trace.

use leptos::prelude::*;
use sim::explain::Why;

use crate::control::{use_control, Control};

/// What to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhySubject {
    /// A node's role and term.
    Node(u64),
    /// A message, by network id.
    Msg(u64),
    /// The entry at an index of a node's log.
    Entry(u64, u64),
}

fn explain(ctl: Control, subject: WhySubject) -> Option<Why> {
    ctl.with_session(|e| {
        let pg = e.playground();
        match subject {
            WhySubject::Node(id) => etcd::explain::node(pg, id),
            WhySubject::Msg(id) => etcd::explain::message(pg, id),
            WhySubject::Entry(node, index) => etcd::explain::entry(pg, node, index),
        }
    })
}

/// A "Why?" button and, once pressed, the explanation (recomputed on each press).
#[component]
pub fn WhyPanel(subject: WhySubject) -> impl IntoView {
    let ctl = use_control();
    let why = RwSignal::new(None::<Why>);
    let ask = move |_| why.set(explain(ctl, subject));
    let body = move || {
        why.get().map(|w| {
            let sources = w
                .sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            view! {
                <div class="why" data-case=format!("{:?}", w.case)>
                    <p class="why-headline">{w.headline.clone()}</p>
                    {w.details.into_iter().map(|d| view! { <p class="why-detail">{d}</p> }).collect_view()}
                    {(!sources.is_empty()).then(|| view! { <p class="why-sources hint">{format!("Source: {sources}")}</p> })}
                </div>
            }
        })
    };
    view! {
        <div class="why-panel">
            <button class="why-button" title="Explain, from the trace, which Raft rule produced this" on:click=ask>
                {move || if why.with(Option::is_some) { "Why? (again)" } else { "Why?" }}
            </button>
            {body}
        </div>
    }
}
