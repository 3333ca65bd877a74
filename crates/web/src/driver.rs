//! A `use_interval`-style driver: calls back on every animation frame with its timestamp until
//! the owning component is cleaned up. The timestamp decides how far virtual time advances; the
//! simulation itself never reads a clock.

/// Calls `f(timestamp_ms)` on every animation frame while the current owner lives.
#[cfg(target_arch = "wasm32")]
pub fn use_animation_frame(f: impl Fn(f64) + 'static) {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use wasm_bindgen::prelude::*;

    let alive = Arc::new(AtomicBool::new(true));
    type Slot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;
    let slot: Slot = Rc::new(RefCell::new(None));
    let again = slot.clone();
    let live = alive.clone();
    *slot.borrow_mut() = Some(Closure::new(move |ts: f64| {
        if !live.load(Ordering::Relaxed) {
            return;
        }
        f(ts);
        if let (Some(w), Some(cb)) = (web_sys::window(), again.borrow().as_ref()) {
            let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    if let (Some(w), Some(cb)) = (web_sys::window(), slot.borrow().as_ref()) {
        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
    }
    leptos::prelude::on_cleanup(move || alive.store(false, Ordering::Relaxed));
}

/// Off the web there are no frames.
#[cfg(not(target_arch = "wasm32"))]
pub fn use_animation_frame(f: impl Fn(f64) + 'static) {
    let _ = f;
}
