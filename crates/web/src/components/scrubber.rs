//! Time travel: a scrubber over the session's virtual time, step back one event, and fork from
//! the past. Moving replays the recorded session from the start (a straight run to that point);
//! the later part is kept until you act, which forks the run there.

use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_session;

/// The scrubber under the timeline.
#[component]
pub fn Scrubber() -> impl IntoView {
    let session = use_session();
    let ctl = use_control();
    let session = session.point;
    // While the thumb is dragged: the time it points at (the jump happens on release).
    let preview: RwSignal<Option<u64>> = RwSignal::new(None);
    let shown = move || preview.get().unwrap_or_else(|| session.with(|s| s.now_ms));
    let end = move || session.with(|s| s.end_ms);
    let in_past = move || session.with(|s| s.in_past);
    let pct = move || (shown() as f64 / end().max(1) as f64 * 100.0).clamp(0.0, 100.0);
    let later = move || session.with(|s| sim::time::format_ms(s.end_ms.saturating_sub(s.now_ms)));
    // Re-rendered only when the condition flips, as <Show> does.
    let past = Memo::new(move |_| in_past());
    view! {
        <div class="scrubber" class:past=move || session.with(|s| s.in_past) role="group" aria-label="Time travel">
            <div class="scrub-track">
                <input
                    type="range"
                    aria-label="Session time"
                    aria-valuetext=move || sim::time::format_ms(shown())
                    min="0"
                    max=move || end().to_string()
                    step="1"
                    disabled=move || end() == 0
                    style=move || format!("--at:{:.2}%", pct())
                    prop:value=move || shown().to_string()
                    on:input=move |ev| {
                        preview.set(event_target_value(&ev).parse().ok());
                    }
                    on:change=move |ev| {
                        preview.set(None);
                        if let Ok(t) = event_target_value(&ev).parse::<u64>() {
                            ctl.seek(t, None);
                        }
                    }
                />
            </div>
            <div class="scrub-row">
                <button
                    aria-label="Step back one event"
                    title="Step back one event (←): replays the session to one event fewer"
                    disabled=move || session.with(|s| s.steps == 0)
                    on:click=move |_| ctl.step_back(None)
                >
                    "◀ Step back"
                </button>
                <span class="scrub-time mono" aria-label="Time in the session">
                    {move || format!("{} / {}", sim::time::format_ms(shown()), sim::time::format_ms(end()))}
                </span>
                {move || if past.get() {
                    view! {
                        <span class="past-note">
                            {move || format!("Looking at the past — {} of the session is kept after this point. Playing or acting here forks the run and drops it.", later())}
                        </span>
                        <span class="grow"></span>
                        <button title="Forget the later part and go on from here" on:click=move |_| ctl.fork()>
                            "Fork from here"
                        </button>
                        <button class="primary" title="Back to where the session ended" on:click=move |_| ctl.seek(u64::MAX, None)>
                            "Back to the end"
                        </button>
                    }.into_any()
                } else {
                    view! { <span class="hint">"Drag to any moment of the session: it is replayed from the start. Nothing is lost until you act."</span> }.into_any()
                }}
            </div>
        </div>
    }
}
