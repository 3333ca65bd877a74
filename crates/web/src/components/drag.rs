//! A node dragged in partition mode: the drag itself, and what is under the pointer (the node
//! a drag starts on, the group or empty space it is dropped on).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::partition::Target;

/// A node being dragged in partition mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drag {
    /// The node.
    pub id: u64,
    /// Where the pointer went down (client pixels).
    pub start: (f64, f64),
    /// Where it is now (picture coordinates).
    pub at: (f64, f64),
    /// Whether it has moved far enough to be a drag rather than a click.
    pub moved: bool,
    /// The drop target under the pointer.
    pub over: Option<Target>,
}

/// The drop target at a point of the page: the nearest element with a `data-part-target`, or
/// empty space in the picture (a new group).
pub fn target_at(x: f64, y: f64) -> Option<Target> {
    let el = document().element_from_point(x as f32, y as f32)?;
    if let Some(t) = el.closest("[data-part-target]").ok().flatten() {
        return Target::parse(&t.get_attribute("data-part-target")?);
    }
    el.closest(".cluster-svg")
        .ok()
        .flatten()
        .map(|_| Target::NewGroup)
}

/// The node under a pointer event's target, if any.
pub fn node_of(ev: &web_sys::PointerEvent) -> Option<u64> {
    let el: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let g = el.closest("[data-part-target^='node:']").ok().flatten()?;
    match Target::parse(&g.get_attribute("data-part-target")?)? {
        Target::Node(id) => Some(id),
        _ => None,
    }
}
