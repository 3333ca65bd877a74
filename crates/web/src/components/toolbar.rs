//! Time controls: play/pause, step, speed, run until; the clock, the leader and the seed; the
//! lessons and teaching menus and the session buttons (import, export, share).

use leptos::prelude::*;

use super::lessons_menu::LessonsMenu;
use super::session_bar::SessionBar;
use super::teaching_menu::TeachingMenu;
use crate::control::{use_control, Until};
use crate::model::SPEEDS;
use crate::signals::{use_clock, use_panels, use_picture};

/// The bar across the top.
// The view macro shares one implementation among the syntactic closures (`move || ..`) of an
// output type; a closure passed by name gets one of its own. `move || f()` is on purpose.
#[allow(clippy::redundant_closure)]
#[component]
pub fn Toolbar() -> impl IntoView {
    let pic = use_picture();
    let clock = use_clock();
    let panels = use_panels();
    let ctl = use_control();
    // A speed set through `window.raftlab.play(speed)` that is not one of the presets shows as
    // the hidden "custom" option, so the select never goes blank.
    let is_preset = Memo::new(move |_| clock.speed.with(|s| SPEEDS.iter().any(|(v, _)| v == s)));
    let on_speed = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let s = match v.as_str() {
            "max" => f64::INFINITY,
            "custom" => return,
            _ => v.parse().unwrap_or(1.0),
        };
        clock.speed.set(s);
    };
    let time_text = move || sim::time::format_ms(pic.view.with(|v| v.time_ms));
    let leader = move || {
        pic.view.with(|v| match v.leader {
            Some(l) => {
                let term = v.nodes.iter().find(|n| n.id == l).map_or(0, |n| n.term);
                format!("node {l} · term {term}")
            }
            None => "none".to_string(),
        })
    };
    let lagging = move || {
        let p = clock.perf.get();
        let s = clock.speed.get();
        // Slow motion is on purpose, not lag.
        !clock.slowed.get()
            && clock.playing.get()
            && s.is_finite()
            && p.achieved > 0.0
            && p.achieved < s * 0.8
    };
    let follow = move || clock.pace.get() == crate::pace::Pace::Follow;
    let on_pace = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        ctl.set_pace(if on {
            crate::pace::Pace::Follow
        } else {
            crate::pace::Pace::Steady
        });
    };
    // Re-rendered only when the condition flips, as <Show> does.
    let lag = Memo::new(move |_| lagging());
    view! {
        <header class="toolbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"◉"</span>
                <span class="name">"raftlab"</span>
            </div>
            <div class="controls" role="group" aria-label="Time controls">
                <button
                    class="primary play"
                    aria-label=move || if clock.playing.get() { "Pause" } else { "Play" }
                    title="Play or pause (space)"
                    on:click=move |_| ctl.toggle()
                >
                    {move || if clock.playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                </button>
                <button
                    aria-label="Step one event"
                    title="Step one event (→)"
                    on:click=move |_| ctl.step(1)
                >
                    "Step"
                </button>
                <label class="speed">
                    <span class="sr-only">"Speed"</span>
                    <select aria-label="Speed" prop:value=move || {
                        let s = clock.speed.get();
                        if !is_preset.get() {
                            "custom".to_string()
                        } else if s.is_infinite() {
                            "max".to_string()
                        } else {
                            s.to_string()
                        }
                    } on:change=on_speed>
                        {SPEEDS
                            .iter()
                            .map(|(v, label)| {
                                let value = if v.is_infinite() { "max".to_string() } else { v.to_string() };
                                view! { <option value=value>{*label}</option> }
                            })
                            .map(IntoAny::into_any)
                            .collect_view()}
                        <option value="custom" hidden=move || is_preset.get()>
                            {move || format!("{}×", clock.speed.get())}
                        </option>
                    </select>
                </label>
                <label
                    class="pace"
                    class:active=move || clock.slowed.get()
                    title="Slow motion: at 1× and below, the clock slows down while an append, vote, snapshot or read-index is in flight, so each stays on screen for about 0.7 s, and catches up in between. Every message still leaves and arrives at its real virtual time."
                >
                    <input type="checkbox" aria-label="Slow motion" prop:checked=move || follow() on:change=on_pace/>
                    <span>"slow-mo"</span>
                </label>
                <button
                    aria-label="Run until the next leader change"
                    title="Run until a new leader is elected"
                    on:click=move |_| ctl.run_until(Until::LeaderChange)
                >
                    "Next leader"
                </button>
                <button
                    aria-label="Run until the next commit"
                    title="Run until some node's commit index rises"
                    on:click=move |_| ctl.run_until(Until::Commit)
                >
                    "Next commit"
                </button>
            </div>
            <dl class="facts">
                <div>
                    <dt>"time"</dt>
                    <dd class="mono" aria-label="Virtual time">{move || time_text()}</dd>
                </div>
                <div>
                    <dt>"leader"</dt>
                    <dd aria-label="Leader">{move || leader()}</dd>
                </div>
                <div class="seed-fact">
                    <dt>"seed"</dt>
                    <dd class="mono">{move || pic.view.with(|v| v.seed)}</dd>
                </div>
                {move || lag.get().then(|| view! {
                    <div class="lag" title="The simulation cannot keep up with this speed">
                        <dt>"running at"</dt>
                        <dd class="mono">{move || format!("{:.1}×", clock.perf.get().achieved)}</dd>
                    </div>
                }.into_any())}
            </dl>
            <LessonsMenu/>
            <TeachingMenu/>
            <SessionBar/>
            <button class="ghost" on:click=move |_| panels.config_open.update(|o| *o = !*o)>
                "New cluster…"
            </button>
        </header>
    }
}
