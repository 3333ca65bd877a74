//! The raftlab playground in the browser: a Leptos (client-side rendered) app over the simulated
//! cluster, and the `window.raftlab` JavaScript API.
//!
//! `main.rs` only calls [`start`]. The [`session`] module is the one place that knows what runs
//! underneath; [`control`] owns it, advances virtual time from animation frames and writes the
//! signals of [`signals`] (plain data of [`model`]) (what is drawn comes from the pure [`projection`]), which the
//! [`components`] read. The console, the buttons and `window.raftlab` ([`js_api`]) all go
//! through [`control`].
//!
//! ```no_run
//! web::start(); // mounts the playground on <body> (in a browser)
//! ```

pub mod browser;
pub mod check_run;
pub mod checking;
pub mod components;
pub mod control;
pub mod culprit;
pub mod driver;
pub mod js_api;
pub mod lease_check;
pub mod lesson;
pub mod lock_check;
pub mod model;
pub mod op_words;
pub mod pace;
pub mod partition;
pub mod picture;
pub mod projection;
pub mod signals;
pub mod watch_check;

use model::Settings;

/// Reads `?nodes=&seed=&speed=` style options from the page address. (A share link's
/// `#s=...` fragment, read by the app, takes precedence.)
pub fn settings_from_query(query: &str) -> Settings {
    let mut s = Settings::default();
    for pair in query.trim_start_matches('?').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "nodes" => {
                if let Ok(n) = v.parse::<usize>() {
                    s.nodes = n.clamp(1, sim::MAX_NODES);
                }
            }
            "seed" => {
                if let Ok(n) = v.parse() {
                    s.seed = n;
                }
            }
            "load" => {
                if let Ok(n) = v.parse::<f64>() {
                    s.load = n.clamp(0.0, 1000.0);
                }
            }
            _ => {}
        }
    }
    s
}

/// Shows a fatal error above everything, with the seed, using plain DOM calls (the reactive
/// system may be the thing that broke). Text only, never markup.
pub fn show_fatal(message: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let el = match doc.get_element_by_id("fatal") {
            Some(e) => e,
            None => {
                let Ok(e) = doc.create_element("div") else {
                    return;
                };
                e.set_id("fatal");
                let _ = e.set_attribute("role", "alert");
                if let Some(b) = doc.body() {
                    let _ = b.prepend_with_node_1(&e);
                }
                e
            }
        };
        el.set_text_content(Some(&format!(
            "raftlab stopped: {message} — seed {}. Reload the page to start again; the same \
             seed and actions replay the run.",
            control::current_seed()
        )));
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("raftlab stopped: {message}");
}

/// Mounts the playground on the page.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        #[cfg(target_arch = "wasm32")]
        web_sys::console::error_1(&wasm_bindgen::JsValue::from_str(&msg));
        show_fatal(&msg);
    }));
    #[cfg(target_arch = "wasm32")]
    {
        let query = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let settings = settings_from_query(&query);
        let fragment = browser::fragment();
        leptos::mount::mount_to_body(move || {
            leptos::view! { <components::app::App settings=settings.clone() fragment=fragment.clone()/> }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_settings() {
        let s = settings_from_query("?nodes=9&seed=42&x=1");
        assert_eq!((s.nodes, s.seed), (9, 42));
        assert_eq!(settings_from_query("?nodes=999").nodes, sim::MAX_NODES);
        assert_eq!(settings_from_query("").nodes, 5);
    }
}
