//! The page: toolbar; the cluster picture, logs, timeline and scrubber; beside them the lesson,
//! the inspector, the console, watches, leases and check.

use leptos::prelude::*;

use super::broken_banner::BrokenBanner;
use super::check_panel::CheckPanel;
use super::cluster_view::ClusterView;
use super::config_panel::ConfigPanel;
use super::console::Console;
use super::error_banner::ErrorBanner;
use super::inspector::Inspector;
use super::lease_panel::LeasePanel;
use super::lesson_panel::LessonPanel;
use super::log_view::LogView;
use super::replay_bar::ReplayBar;
use super::scrubber::Scrubber;
use super::timeline::Timeline;
use super::toolbar::Toolbar;
use super::watch_panel::WatchPanel;
use crate::control;
use crate::driver::use_animation_frame;
use crate::model::Settings;

/// The whole playground.
#[component]
pub fn App(
    settings: Settings,
    /// The address fragment: a share link (`s=...`) or a lesson (`lesson=NAME`).
    #[prop(optional)]
    fragment: String,
) -> impl IntoView {
    let (ctl, ui) = match control::install(settings.clone()) {
        Ok(installed) => installed,
        Err(e) => {
            // Bad options in the address: fall back to the defaults and say why.
            let (ctl, ui) =
                control::install(Settings::default()).expect("default settings are valid");
            ui.panels
                .error
                .set(Some(format!("{e}; started the default cluster instead")));
            (ctl, ui)
        }
    };
    ui.provide();
    provide_context(ctl);
    crate::js_api::install(ctl);
    control::follow::start(ctl);
    // A share link rebuilds its run (in slices, with a progress bar); a bad one leaves the
    // default cluster and says why.
    let open_link = move |f: &str| {
        if f.trim_start_matches('#').is_empty() {
            return;
        }
        ctl.open_fragment(
            f,
            Some(Box::new(move |o| {
                if let control::Outcome::Failed(e) = o {
                    ui.panels.error.set(Some(format!(
                        "This link could not be opened: {e}. Started a default cluster instead."
                    )));
                }
            })),
        );
    };
    open_link(&fragment);
    let hash = window_event_listener(leptos::ev::hashchange, move |_| {
        open_link(&crate::browser::fragment());
    });
    on_cleanup(move || hash.remove());
    use_animation_frame(move |ts| ctl.frame(ts));

    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| {
                use wasm_bindgen::JsCast;
                t.dyn_into::<web_sys::Element>().ok()
            })
            .is_some_and(|el| {
                matches!(
                    el.tag_name().as_str(),
                    "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                )
            });
        if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                ctl.toggle();
            }
            "ArrowRight" => {
                ev.prevent_default();
                ctl.step(1);
            }
            "ArrowLeft" => {
                ev.prevent_default();
                ctl.step_back(None);
            }
            "Escape" => ui.picture.selection.set(crate::model::Selection::None),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <ErrorBanner/>
        <ReplayBar/>
        <Toolbar/>
        <BrokenBanner/>
        // The picture, the logs and the time controls share the left column and, on a wide
        // screen, the height of the window; everything else is in the side column, which
        // scrolls on its own (see web/style.css).
        <main class="layout">
            <section class="stage panel" aria-label="Cluster">
                <ClusterView/>
            </section>
            <section class="logs panel" aria-label="Logs">
                <LogView/>
            </section>
            <section class="time panel" aria-label="Timeline">
                <Timeline/>
                <Scrubber/>
            </section>
            <section class="side">
                <LessonPanel/>
                <Inspector/>
                <Console/>
                <div class="side-panels">
                    <WatchPanel/>
                    <LeasePanel/>
                </div>
                <CheckPanel/>
            </section>
        </main>
        <ConfigPanel/>
    }
}
