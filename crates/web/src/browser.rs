//! The few browser services the session features need: saving a text file, reading a dropped
//! or picked file, the address fragment, the clipboard, a zero-delay timer and the wall clock
//! (for pacing work, never for the simulation). Plain DOM calls; text is only ever handled as
//! text. Off the web they do nothing.

/// Offers `text` as a download named `name`.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let fail = |_| "the browser refused the download".to_string();
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("text/plain;charset=utf-8");
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(fail)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let a: web_sys::HtmlAnchorElement = doc
            .create_element("a")
            .map_err(fail)?
            .dyn_into()
            .map_err(|_| "no anchor".to_string())?;
        a.set_href(&url);
        a.set_download(name);
        a.click();
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (name, text);
        Ok(())
    }
}

/// Reads `file` as text, then calls `done(name, text)` (or `done(name, Err)`).
#[cfg(target_arch = "wasm32")]
pub fn read_file(file: web_sys::File, done: impl FnOnce(String, Result<String, String>) + 'static) {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;

    let name = file.name();
    if file.size() > etcd::scenario::MAX_SCENARIO_BYTES as f64 {
        done(
            name,
            Err(format!(
                "the file is larger than {} KiB",
                etcd::scenario::MAX_SCENARIO_BYTES / 1024
            )),
        );
        return;
    }
    let done = Rc::new(RefCell::new(Some(done)));
    let (d1, d2, n1, n2) = (done.clone(), done, name.clone(), name);
    let ok = Closure::once_into_js(move |v: JsValue| {
        if let Some(f) = d1.borrow_mut().take() {
            f(n1, v.as_string().ok_or("the file is not text".to_string()));
        }
    });
    let err = Closure::once_into_js(move |_: JsValue| {
        if let Some(f) = d2.borrow_mut().take() {
            f(n2, Err("the file could not be read".to_string()));
        }
    });
    then(&file.text(), &ok, &err);
}

/// `promise.then(ok, err)` with plain JS functions.
#[cfg(target_arch = "wasm32")]
fn then(promise: &wasm_bindgen::JsValue, ok: &wasm_bindgen::JsValue, err: &wasm_bindgen::JsValue) {
    use wasm_bindgen::JsCast;
    if let Some(f) = js_sys::Reflect::get(promise, &"then".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = f.call2(promise, ok, err);
    }
}

/// The address fragment, without `#` (empty if none).
pub fn fragment() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default()
            .trim_start_matches('#')
            .to_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    String::new()
}

/// Puts `#fragment` in the address bar without reloading or adding a history entry; returns
/// the whole address.
pub fn set_fragment(fragment: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(w) = web_sys::window() else {
            return String::new();
        };
        let loc = w.location();
        let base = format!(
            "{}{}{}",
            loc.origin().unwrap_or_default(),
            loc.pathname().unwrap_or_default(),
            loc.search().unwrap_or_default()
        );
        let url = format!("{base}#{fragment}");
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        url
    }
    #[cfg(not(target_arch = "wasm32"))]
    format!("#{fragment}")
}

/// Copies `text` to the clipboard (best effort: a page without clipboard access still has the
/// link in its address bar).
pub fn copy(text: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let Some(w) = web_sys::window() else {
            return;
        };
        let clip = js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("clipboard"))
            .ok()
            .filter(|c| !c.is_undefined() && !c.is_null());
        let Some(clip) = clip else {
            return;
        };
        let write = js_sys::Reflect::get(&clip, &JsValue::from_str("writeText"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(p) = write.and_then(|f| f.call1(&clip, &JsValue::from_str(text)).ok()) {
            // A refusal (no permission, page not focused) is not an error worth showing.
            let ignore = wasm_bindgen::closure::Closure::once_into_js(|_: JsValue| {});
            then(&p, &JsValue::UNDEFINED, &ignore);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = text;
}

/// Runs `f` once the browser has had its turn (a zero-delay timer: rendering, input and
/// animation frames come first). Off the web `f` runs at once.
pub fn later(f: impl FnOnce() + 'static) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let cb = wasm_bindgen::closure::Closure::once_into_js(f);
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 0);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    f()
}

/// Wall-clock milliseconds (`performance.now()`) for pacing work; 0 off the web. Never reaches
/// the simulation.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// The value stored under `key` in the browser's local storage (none off the web, when storage
/// is unavailable, or when nothing is stored).
pub fn stored(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()?
            .local_storage()
            .ok()??
            .get_item(key)
            .ok()?
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        None
    }
}

/// Stores `value` under `key` in the browser's local storage (best effort: a page without
/// storage simply does not remember).
pub fn store(key: &str, value: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item(key, value);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (key, value);
}
