//! A keyed list (leptos's `<For>`) that every list of the page shares: rows come type-erased, a
//! key and a boxed builder of their view, so the keyed diff is compiled once rather than once
//! per item, key and closure type.

use leptos::prelude::*;

/// One row: rows with the same key keep their elements from one update to the next.
pub struct Row {
    /// The key.
    pub key: [u64; 3],
    /// Builds the row's view (called once, when a row with this key appears).
    pub view: Box<dyn FnOnce() -> AnyView + Send>,
}

impl Row {
    /// A row with `key` whose view `view` builds.
    pub fn new(key: [u64; 3], view: impl FnOnce() -> AnyView + Send + 'static) -> Self {
        Row {
            key,
            view: Box::new(view),
        }
    }
}

/// A keyed list over the rows `rows` returns (re-run when the signals it reads change).
pub fn keyed_list(rows: impl Fn() -> Vec<Row> + Send + Sync + 'static) -> AnyView {
    list(Box::new(rows))
}

fn list(rows: Box<dyn Fn() -> Vec<Row> + Send + Sync>) -> AnyView {
    view! { <For each=move || rows() key=|r: &Row| r.key children=|r: Row| (r.view)()/> }.into_any()
}
