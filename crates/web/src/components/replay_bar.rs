//! The bar above the page while a replay runs (an import, a link, a seek, a step back): what it
//! does, how far it got, and Cancel, which leaves the page as it was before the replay began.

use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_session;

/// The replay's progress bar with its Cancel button.
#[component]
pub fn ReplayBar() -> impl IntoView {
    let session = use_session();
    let ctl = use_control();
    let run = session.replay;
    let pct = move || run.with(|r| r.as_ref().map_or(0.0, |r| r.fraction * 100.0));
    let facts = move || {
        run.with(|r| {
            r.as_ref().map_or_else(String::new, |r| {
                format!(
                    "{:.0}% · {} of virtual time, {} events · {:.1} s",
                    r.fraction * 100.0,
                    sim::time::format_ms(r.now_ms),
                    r.events,
                    r.elapsed_ms / 1000.0
                )
            })
        })
    };
    view! {
        <Show when=move || run.with(Option::is_some)>
            <div class="banner replay-bar" role="status" aria-label="Replay">
                <strong>{move || run.with(|r| r.as_ref().map(|r| format!("{}…", capital(&r.what))))}</strong>
                <div class="check-bar" role="progressbar" aria-label="Share of the replay done"
                    aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || format!("{:.0}", pct())>
                    <span style=move || format!("width: {:.1}%", pct())></span>
                </div>
                <span class="hint mono">{facts}</span>
                <button class="ghost small" title="Stop: the page stays as it was before" on:click=move |_| ctl.cancel_replay()>
                    "Cancel"
                </button>
            </div>
        </Show>
    }
}

/// `text` with its first letter a capital.
fn capital(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
