//! A strip under the toolbar while the cluster is deliberately broken (bugs planted from the
//! teaching menu), with a way back to a healthy cluster.

use etcd::planted::{PlantedBug, PlantedBugs};
use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_panels;

/// A strip under the toolbar while the cluster is deliberately broken.
#[component]
pub fn BrokenBanner() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    let names = move || {
        panels
            .planted
            .get()
            .iter()
            .map(PlantedBug::title)
            .collect::<Vec<_>>()
            .join(" · ")
    };
    view! {
        {move || (!panels.planted.get().is_empty()).then(|| view! {
            <div class="broken-banner" role="status" aria-label="Planted bugs">
                <strong>"Deliberately broken cluster"</strong>
                <span>{move || names()}</span>
                <span class="hint">"for teaching: the Check panel should catch it"</span>
                <button class="ghost" on:click=move |_| {
                    if let Err(e) = ctl.set_planted(PlantedBugs::NONE) {
                        panels.error.set(Some(format!("Could not repair the cluster: {e}")));
                    }
                }>"Repair"</button>
            </div>
        }.into_any())}
    }
}
