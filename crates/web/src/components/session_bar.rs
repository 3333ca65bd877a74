//! Import, Export and Share: the session as a scenario file or a link. Files load from a
//! picker or by dropping them anywhere on the page; a file that does not parse changes nothing
//! and the reason (with its line number) shows in the banner.

use leptos::html;
use leptos::prelude::*;

use crate::control::{self, use_control, Control};
use crate::signals::{use_panels, use_session};

/// Loads a file's text: a lesson opens at its first step, any other scenario replays (in
/// slices, with a progress bar and Cancel). Errors go to the banner.
pub fn load_text(ctl: Control, name: String, text: Result<String, String>) {
    let panels = ctl.with(|c| c.ui().panels);
    let fail = move |name: &str, e: String| {
        if let Some(panels) = panels {
            panels.error.set(Some(format!(
                "Could not load {name}: {e}. Nothing changed."
            )));
        }
    };
    match text {
        Err(e) => fail(&name, e),
        Ok(t) => ctl.load(
            &t,
            &name.clone(),
            Some(Box::new(move |o| match o {
                control::Outcome::Arrived => ctl.toast(format!("Loaded {name}")),
                control::Outcome::Failed(e) => fail(&name, e),
                // The console says so; nothing changed.
                control::Outcome::Stopped(_) => {}
            })),
        ),
    }
}

/// The session buttons, and the drop zone over the page.
#[component]
pub fn SessionBar() -> impl IntoView {
    let session = use_session();
    let panels = use_panels();
    let ctl = use_control();
    let picker = NodeRef::<html::Input>::new();
    let dragging = RwSignal::new(false);

    #[cfg(target_arch = "wasm32")]
    {
        let has_files = |ev: &web_sys::DragEvent| {
            ev.data_transfer()
                .is_some_and(|d| d.types().includes(&"Files".into(), 0))
        };
        let over = window_event_listener(leptos::ev::dragover, move |ev| {
            if has_files(&ev) {
                ev.prevent_default();
                if !dragging.get_untracked() {
                    dragging.set(true);
                }
            }
        });
        let leave = window_event_listener(leptos::ev::dragleave, move |ev| {
            // Leaving the window (no element to enter) ends the drag over the page.
            if ev.related_target().is_none() {
                dragging.set(false);
            }
        });
        let drop = window_event_listener(leptos::ev::drop, move |ev| {
            dragging.set(false);
            let file = ev
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                ev.prevent_default();
                crate::browser::read_file(file, move |n, t| load_text(ctl, n, t));
            }
        });
        on_cleanup(move || {
            over.remove();
            leave.remove();
            drop.remove();
        });
    }

    let on_pick = move |_| {
        #[cfg(target_arch = "wasm32")]
        if let Some(input) = picker.get() {
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                crate::browser::read_file(file, move |n, t| load_text(ctl, n, t));
            }
            // Picking the same file again loads it again.
            input.set_value("");
        }
    };
    let export = move |_| {
        let text = ctl.export_text();
        match crate::browser::download(&ctl.export_name(), &text) {
            Ok(()) => ctl.toast("Session saved as a scenario file"),
            Err(e) => panels.error.set(Some(format!("Could not export: {e}"))),
        }
    };
    let share = move |_| match ctl.share_fragment() {
        Ok(f) => {
            let url = crate::browser::set_fragment(&f);
            crate::browser::copy(&url);
            ctl.toast(format!(
                "Link copied ({} characters) — it is also in the address bar",
                url.len()
            ));
        }
        Err(e) => panels.error.set(Some(format!("Could not share: {e}"))),
    };
    view! {
        <div class="session-bar" role="group" aria-label="Session">
            <button
                title="Load a scenario or lesson file (or drop one anywhere on the page)"
                on:click=move |_| {
                    if let Some(i) = picker.get() {
                        i.click();
                    }
                }
            >
                "Import"
            </button>
            <input
                type="file"
                accept=".txt,.scenario,text/plain"
                class="sr-only"
                tabindex="-1"
                aria-label="Scenario file"
                node_ref=picker
                on:change=on_pick
            />
            <button title="Save this session as a scenario file (it replays exactly)" on:click=export>
                "Export"
            </button>
            <button title="Put a link to this run in the address bar and copy it" on:click=share>
                "Share"
            </button>
            <span class="toast" role="status" aria-live="polite">
                {move || session.toast.get().map(|t| t.0).unwrap_or_default()}
            </span>
        </div>
        {move || dragging.get().then(|| view! {
            <div class="dropzone" aria-hidden="true">
                <div>"Drop a scenario or lesson file to load it"</div>
            </div>
        }.into_any())}
    }
}
