//! A fresh cluster: node count, seed, Raft options, network defaults, client load.

use leptos::prelude::*;

use crate::control::use_control;
use crate::model::Settings;
use crate::signals::use_panels;

fn num<T: std::str::FromStr>(ev: &leptos::ev::Event, fallback: T) -> T {
    event_target_value(ev).parse().unwrap_or(fallback)
}

/// The new-cluster form (a dialog).
#[component]
pub fn ConfigPanel() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    let form: RwSignal<Settings> = RwSignal::new(panels.settings.get_untracked());
    let error = RwSignal::new(String::new());
    Effect::new(move |_| {
        if panels.config_open.get() {
            form.set(panels.settings.get_untracked());
            error.set(String::new());
        }
    });
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match ctl.reset(form.get_untracked()) {
            Ok(()) => panels.config_open.set(false),
            Err(e) => error.set(e),
        }
    };
    let random_seed = move |_| {
        // The seed is the user's choice; the page may pick one from the clock for them.
        let s = (js_sys::Date::now() as u64) % 1_000_000;
        form.update(|f| f.seed = s);
    };
    view! {
        {move || panels.config_open.get().then(|| view! {
            <div class="scrim" on:click=move |_| panels.config_open.set(false)></div>
            <form class="dialog panel" role="dialog" aria-label="New cluster" on:submit=start>
                <h2>"New cluster"</h2>
                <div class="form-grid">
                    <label>"nodes"
                        <input type="number" min="1" max="51" aria-label="Nodes"
                            prop:value=move || form.with(|f| f.nodes.to_string())
                            on:change=move |ev| form.update(|f| f.nodes = num(&ev, 5))/>
                    </label>
                    <label>"seed"
                        <span class="inline">
                            <input type="number" min="0" aria-label="Seed"
                                prop:value=move || form.with(|f| f.seed.to_string())
                                on:change=move |ev| form.update(|f| f.seed = num(&ev, 1))/>
                            <button type="button" class="ghost small" on:click=random_seed>"random"</button>
                        </span>
                    </label>
                    <label>"election timeout (ticks)"
                        <input type="number" min="2" max="1000"
                            prop:value=move || form.with(|f| f.election_tick.to_string())
                            on:change=move |ev| form.update(|f| f.election_tick = num(&ev, 10))/>
                    </label>
                    <label>"heartbeat (ticks)"
                        <input type="number" min="1" max="100"
                            prop:value=move || form.with(|f| f.heartbeat_tick.to_string())
                            on:change=move |ev| form.update(|f| f.heartbeat_tick = num(&ev, 1))/>
                    </label>
                    <label>"latency min (ms)"
                        <input type="number" min="0"
                            prop:value=move || form.with(|f| f.latency_min_ms.to_string())
                            on:change=move |ev| form.update(|f| f.latency_min_ms = num(&ev, 2))/>
                    </label>
                    <label>"latency max (ms)"
                        <input type="number" min="0"
                            prop:value=move || form.with(|f| f.latency_max_ms.to_string())
                            on:change=move |ev| form.update(|f| f.latency_max_ms = num(&ev, 10))/>
                    </label>
                    <label>"drop %"
                        <input type="number" min="0" max="100" step="0.5"
                            prop:value=move || form.with(|f| f.drop_pct.to_string())
                            on:change=move |ev| form.update(|f| f.drop_pct = num(&ev, 0.0))/>
                    </label>
                    <label>"client writes / s"
                        <input type="number" min="0" max="1000"
                            prop:value=move || form.with(|f| f.load.to_string())
                            on:change=move |ev| form.update(|f| f.load = num(&ev, 0.0))/>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || form.with(|f| f.pre_vote)
                            on:change=move |ev| form.update(|f| f.pre_vote = event_target_checked(&ev))/>
                        "pre-vote"
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || form.with(|f| f.check_quorum)
                            on:change=move |ev| form.update(|f| f.check_quorum = event_target_checked(&ev))/>
                        "check-quorum"
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || form.with(|f| f.lease_reads)
                            on:change=move |ev| form.update(|f| f.lease_reads = event_target_checked(&ev))/>
                        "lease-based reads (instead of ReadIndex)"
                    </label>
                </div>
                <p class="error" role="alert">{move || error.get()}</p>
                <div class="buttons end">
                    <button type="button" class="ghost" on:click=move |_| panels.config_open.set(false)>"Cancel"</button>
                    <button type="submit" class="primary">"Start"</button>
                </div>
            </form>
        }.into_any())}
    }
}
