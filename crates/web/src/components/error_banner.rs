//! A stopped run or a bad option, in words, with the seed.

use leptos::prelude::*;

use crate::model::use_ui;

/// The banner above the page when the run stopped.
#[component]
pub fn ErrorBanner() -> impl IntoView {
    let ui = use_ui();
    view! {
        {move || ui.error.with(Option::is_some).then(|| view! {
            <div class="banner" role="alert">
                <span>{move || ui.error.get().unwrap_or_default()}</span>
                <button on:click=move |_| ui.error.set(None) aria-label="Dismiss">"×"</button>
            </div>
        }.into_any())}
    }
}
