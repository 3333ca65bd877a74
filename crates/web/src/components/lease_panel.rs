//! Leases with their remaining TTL in virtual time and attached keys (filled by the etcd service).

use crate::signals::use_panels;
use leptos::prelude::*;

/// The lease panel.
#[component]
pub fn LeasePanel() -> impl IntoView {
    let panels = use_panels();
    // Re-rendered only when the condition flips, as <Show> does.
    let any = Memo::new(move |_| panels.leases.with(|l| !l.is_empty()));
    view! {
        <section class="panel mini" aria-label="Leases">
            <div class="panel-head"><h2>"Leases"</h2></div>
            {move || if any.get() {
                view! {
                    <ul class="leases">
                        {move || panels.leases.get().into_iter().map(|l| {
                            let rem = l.remaining_ms.unwrap_or(0);
                            let pct = if l.ttl <= 0 { 0.0 } else { (rem as f64 / (l.ttl as f64 * 1000.0) * 100.0).clamp(0.0, 100.0) };
                            let left = match l.remaining_ms {
                                Some(ms) => format!("{:.1}s of {}s", ms as f64 / 1000.0, l.ttl),
                                None => format!("no leader · TTL {}s", l.ttl),
                            };
                            view! {
                                <li>
                                    <div class="row">
                                        <code>{l.id}</code>
                                        <span class="mono">{left}</span>
                                    </div>
                                    <div class="bar"><i style=format!("width:{pct:.1}%")></i></div>
                                    <div class="keys">{if l.keys.is_empty() { "no keys".to_string() } else { l.keys.join(", ") }}</div>
                                </li>
                            }
                        }).map(IntoAny::into_any).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! { <p class="empty">"No leases. Try " <code>"lease grant 10"</code> " and watch its TTL count down."</p> }.into_any()
            }}
        </section>
    }
}
