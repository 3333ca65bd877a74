//! The lessons menu: every built-in lesson in teaching order, then the classic reproductions.
//! Choosing one starts its cluster and opens the lesson panel.

use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_panels;

/// A built-in's title (its `@title` line), or its name.
pub fn title_of(name: &str, text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("@title"))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| name.to_string())
}

/// The menu button and its list.
#[component]
pub fn LessonsMenu() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    let open = RwSignal::new(false);
    let choose = move |name: &'static str| {
        open.set(false);
        if let Err(e) = ctl.open_lesson(name) {
            panels
                .error
                .set(Some(format!("Could not open the lesson: {e}")));
        }
    };
    // The learner's progress, kept in the browser: finished lessons get a tick.
    let progress = move || {
        crate::lesson::Progress::parse(
            &crate::browser::stored(crate::control::PROGRESS_KEY).unwrap_or_default(),
        )
    };
    let item = move |(name, text): &'static (&'static str, &'static str), numbered: bool| {
        let title = title_of(name, text);
        let n = name.split('-').next().unwrap_or("").to_string();
        let finished = progress().finished(name);
        view! {
            <li>
                <button role="menuitem" class="menu-item" on:click=move |_| choose(name)>
                    {numbered.then(|| view! { <span class="num">{n.clone()}</span> }).map(IntoAny::into_any)}
                    <span>{title}</span>
                    {finished.then(|| view! { <span class="finished" title="You have done every step">"✓"</span> }).map(IntoAny::into_any)}
                </button>
            </li>
        }
    };
    view! {
        <div class="menu-wrap" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                title="Guided lessons and classic scenarios"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Lessons ▾"
            </button>
            {move || open.get().then(|| view! {
                <div class="scrim clear" on:click=move |_| open.set(false)></div>
                <div class="menu panel" role="menu" aria-label="Lessons">
                    <h3>"Lessons"</h3>
                    <ul>
                        {etcd::scenario::builtin::LESSONS
                            .iter()
                            .map(|l| item(l, true))
                            .map(IntoAny::into_any)
                            .collect_view()}
                    </ul>
                    <h3>"Classic scenarios"</h3>
                    <ul>
                        {etcd::scenario::builtin::CLASSICS
                            .iter()
                            .map(|l| item(l, false))
                            .map(IntoAny::into_any)
                            .collect_view()}
                    </ul>
                    <p class="hint">
                        "Your own lessons: write one in the scenario format and Import it, or drop the file on the page."
                    </p>
                </div>
            }.into_any())}
        </div>
    }
}
