//! Open watches and their events (filled by the etcd service).

use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_panels;

/// The watch panel.
#[component]
pub fn WatchPanel() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    // Re-rendered only when the condition flips, as <Show> does.
    let any = Memo::new(move |_| panels.watches.with(|w| !w.is_empty()));
    view! {
        <section class="panel mini" aria-label="Watches">
            <div class="panel-head"><h2>"Watches"</h2></div>
            {move || if any.get() {
                view! {
                    <ul class="watches">
                        {move || panels.watches.get().into_iter().map(|w| {
                            let id = w.command;
                            view! {
                                <li>
                                    <div class="row">
                                        <code>{w.line}</code>
                                        <span class="hint">{format!("via node {}", w.node)}</span>
                                        <button class="link" on:click=move |_| ctl.cancel(id)>"cancel"</button>
                                    </div>
                                    <pre class="events">{w.events}</pre>
                                </li>
                            }
                        }).map(IntoAny::into_any).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! { <p class="empty">"No open watches. Try " <code>"watch foo"</code> ", then " <code>"put foo 1"</code> "."</p> }.into_any()
            }}
        </section>
    }
}
