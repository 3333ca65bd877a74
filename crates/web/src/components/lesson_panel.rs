//! The lesson panel: table of contents, the step's narration, what the learner should bring
//! about (checked against the live cluster, ✓ when it holds), previous/next and "Show me".

use leptos::prelude::*;

use crate::control::use_control;
use crate::model::LessonStep;
use crate::signals::{use_lesson, use_panels};

/// The panel, shown while a lesson is open.
#[component]
pub fn LessonPanel() -> impl IntoView {
    let lesson = use_lesson();
    let ctl = use_control();
    let lesson = lesson.open;
    let current = move || lesson.with(|l| l.as_ref().map_or(0, |l| l.current));
    let count = move || lesson.with(|l| l.as_ref().map_or(0, |l| l.steps.len()));
    let step = move || -> Option<LessonStep> {
        lesson.with(|l| l.as_ref().and_then(|l| l.steps.get(l.current).cloned()))
    };
    let waiting = move || lesson.with(|l| l.as_ref().is_some_and(|l| l.waiting));
    let toc = move || {
        lesson.with(|l| {
            let Some(l) = l else {
                return Vec::new();
            };
            l.steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let class = match (i == l.current, s.done) {
                        (true, _) => "current",
                        (false, true) => "done",
                        _ => "",
                    };
                    let mark = if s.done { "✓" } else { "" };
                    view! {
                        <li class=class>
                            <button
                                class="toc-item"
                                aria-current=(i == l.current).then_some("step")
                                on:click=move |_| ctl.lesson_go(i)
                            >
                                <span class="toc-n">{(i + 1).to_string()}</span>
                                <span class="toc-t">{s.title.clone()}</span>
                                <span class="toc-done" aria-hidden="true">{mark}</span>
                            </button>
                        </li>
                    }
                    .into_any()
                })
                .collect::<Vec<_>>()
        })
    };
    let body = move || {
        step().map(|s| {
            let expects = s
                .expects
                .iter()
                .map(|(text, met)| {
                    let (class, icon, state) = if *met {
                        ("met", "✓", "met")
                    } else {
                        ("", "○", "not yet")
                    };
                    view! {
                        <li class=class aria-label=format!("{text}: {state}")>
                            <span class="check" aria-hidden="true">{icon}</span>
                            <span>{text.clone()}</span>
                        </li>
                    }
                })
                .map(IntoAny::into_any)
                .collect_view();
            let lines = s.lines.join("\n");
            let has_lines = !s.lines.is_empty();
            let has_expects = !s.expects.is_empty();
            view! {
                <h3 class="step-title">{s.title.clone()}</h3>
                {s.narration.iter().map(|p| view! { <p class="say">{p.clone()}</p> }).map(IntoAny::into_any).collect_view()}
                {has_expects.then(|| view! {
                    <div class="expects-head">"Make this happen"</div>
                    <ul class="expects" aria-label="Expectations">{expects}</ul>
                }).map(IntoAny::into_any)}
                {waiting().then(|| view! {
                    <p class="hint waiting">"Some of this is already true from before: it is ticked once you act in this step (a line, a click, Play or Show me)."</p>
                }).map(IntoAny::into_any)}
                {has_lines.then(|| view! {
                    <details class="script">
                        <summary>"The lines “Show me” runs"</summary>
                        <pre>{lines}</pre>
                    </details>
                }).map(IntoAny::into_any)}
            }
        })
    };
    let title = move || lesson.with(|l| l.as_ref().map(|l| l.title.clone()).unwrap_or_default());
    let showing = move || lesson.with(|l| l.as_ref().is_some_and(|l| l.showing));
    let next_lesson = move || {
        lesson.with(|l| {
            l.as_ref()
                .filter(|l| l.current + 1 >= l.steps.len())
                .and_then(|l| l.next.clone())
        })
    };
    // Re-rendered only when the condition flips, as <Show> does.
    let open = Memo::new(move |_| lesson.with(Option::is_some));
    view! {
        {move || open.get().then(|| view! {
            <section class="lesson panel" aria-label="Lesson">
                <div class="panel-head">
                    <h2>"Lesson"</h2>
                    <span class="lesson-title">{move || title()}</span>
                    <span class="grow"></span>
                    <button
                        class="ghost small"
                        title="Copy a link that opens this lesson at its start (for a class)"
                        on:click=move |_| {
                            if let Some(f) = ctl.lesson_link() {
                                let url = crate::browser::set_fragment(&f);
                                crate::browser::copy(&url);
                                ctl.toast("Link to this lesson copied");
                            }
                        }
                    >
                        "Copy link"
                    </button>
                    <button class="ghost small" title="Start this lesson again on a fresh cluster" on:click=move |_| ctl.restart_lesson()>
                        "Restart"
                    </button>
                    <button class="ghost small" aria-label="Close the lesson" on:click=move |_| ctl.close_lesson()>
                        "×"
                    </button>
                </div>
                <div class="lesson-body">
                    <ol class="toc" aria-label="Steps">{move || toc().into_any()}</ol>
                    <div class="step">
                        <div class="step-count">{move || format!("Step {} of {}", current() + 1, count())}</div>
                        {move || body().into_any()}
                        <div class="buttons lesson-nav">
                            <button
                                disabled=move || current() == 0
                                on:click=move |_| ctl.lesson_go(current().saturating_sub(1))
                            >
                                "← Previous"
                            </button>
                            <button
                                class="show-me"
                                title="Run this step's lines for you, in virtual time"
                                disabled=move || showing() || step().is_none_or(|s| s.lines.is_empty())
                                on:click=move |_| ctl.show_me()
                            >
                                {move || if showing() { "Showing…" } else { "Show me" }}
                            </button>
                            {move || match next_lesson() {
                                // The last step leads on to the next lesson.
                                Some((name, title)) => view! {
                                    <button
                                        class="primary"
                                        title=format!("Open the next lesson: {title}")
                                        on:click=move |_| {
                                            if let Err(e) = ctl.open_lesson(&name) {
                                                use_panels().error.set(Some(format!("Could not open the lesson: {e}")));
                                            }
                                        }
                                    >
                                        {format!("Next lesson: {title} →")}
                                    </button>
                                }.into_any(),
                                None => view! {
                                    <button
                                        class="primary"
                                        disabled=move || { current() + 1 >= count() }
                                        on:click=move |_| ctl.lesson_go(current() + 1)
                                    >
                                        "Next →"
                                    </button>
                                }.into_any(),
                            }}
                        </div>
                    </div>
                </div>
            </section>
        }.into_any())}
    }
}
