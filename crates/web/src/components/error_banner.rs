//! A stopped run or a bad option, in words, with the seed.

use crate::signals::use_panels;
use leptos::prelude::*;

/// The banner above the page when the run stopped.
#[component]
pub fn ErrorBanner() -> impl IntoView {
    let panels = use_panels();
    view! {
        {move || panels.error.with(Option::is_some).then(|| view! {
            <div class="banner" role="alert">
                <span>{move || panels.error.get().unwrap_or_default()}</span>
                <button on:click=move |_| panels.error.set(None) aria-label="Dismiss">"×"</button>
            </div>
        }.into_any())}
    }
}
