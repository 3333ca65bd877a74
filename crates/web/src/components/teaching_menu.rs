//! The teaching menu: switch planted bugs on in the running cluster (a deliberately broken
//! cluster), so the Check panel has something to catch. A switch is a `plant` line of the
//! session (apply-before-commit starts a new cluster with it from the start), so Export, Share
//! and the scrubber reproduce it.

use etcd::planted::{PlantedBug, PlantedBugs};
use leptos::prelude::*;

use crate::control::use_control;
use crate::signals::use_panels;

/// Which checker catches `bug`, and how to see it, in a few words.
pub fn how_to_catch(bug: PlantedBug) -> &'static str {
    match bug {
        PlantedBug::FollowerLocalRead => {
            "Check: linearizability. Partition a follower, put, then get through it (--endpoints)."
        }
        PlantedBug::ApplyBeforeCommit => {
            "Raft's safety invariants stop the run once a follower applies an entry a new leader overwrites. Starts a new cluster."
        }
        PlantedBug::DropWatchEvent => "Check: watch streams (reliable). Watch a key, then put it a few times.",
        PlantedBug::SkipLeaseRevoke => {
            "Check: leases. Grant a short lease (lease grant 2), put a key with it, wait."
        }
        PlantedBug::LockWithoutRecheck => {
            "Check: locks. lock l twice, revoke the waiter's session lease, cancel the holder. Lesson 13."
        }
        PlantedBug::LeaderLocalRead => {
            "Check: linearizability. Without check-quorum, partition the leader, put through another node, get through the old leader. Lesson 12."
        }
        PlantedBug::CompactionLosesDelete => {
            "Check: watch streams (reliable). put k, del k, put k, compact at the delete's revision, watch k from there. Lesson 14."
        }
    }
}

/// `text` with a capital letter and a full stop.
fn sentence(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).chain(['.']).collect())
        .unwrap_or_default()
}

/// The menu button and its list.
#[component]
pub fn TeachingMenu() -> impl IntoView {
    let panels = use_panels();
    let ctl = use_control();
    let open = RwSignal::new(false);
    let broken = move || !panels.planted.get().is_empty();
    let toggle = move |bug: PlantedBug, on: bool| {
        let now = panels.planted.get_untracked();
        let next = if on { now.with(bug) } else { now.without(bug) };
        if let Err(e) = ctl.set_planted(next) {
            panels
                .error
                .set(Some(format!("Could not plant the bug: {e}")));
        }
    };
    let item = move |bug: PlantedBug| {
        let id = format!("plant-{}", bug.name());
        view! {
            <li class="plant-item">
                <input type="checkbox" id=id.clone()
                    prop:checked=move || panels.planted.get().contains(bug)
                    on:change=move |ev| toggle(bug, event_target_checked(&ev))/>
                <label for=id>
                    <strong>{bug.title()}</strong>
                    <span class="plant-what">{sentence(bug.describe())}</span>
                    <span class="plant-how">{how_to_catch(bug)}</span>
                </label>
            </li>
        }
    };
    view! {
        <div class="menu-wrap" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                class=move || if broken() { "teaching broken" } else { "teaching" }
                aria-haspopup="true"
                aria-expanded=move || open.get().to_string()
                title=move || match broken() {
                    true => "This cluster is broken on purpose: planted bugs",
                    false => "Plant a bug in this cluster, for the Check panel to catch",
                }
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if broken() { "⚠ Teaching ▾" } else { "Teaching ▾" }}
            </button>
            <Show when=move || open.get()>
                <div class="scrim clear" on:click=move |_| open.set(false)></div>
                <div class="menu panel teaching-menu" role="group" aria-label="Teaching">
                    <h3>"Teaching: a deliberately broken cluster"</h3>
                    <p class="hint">
                        "Each switch plants a known mistake in this cluster. Then run the session and press "
                        <em>"Check this session"</em>
                        ". The switch is a line of the session (plant …), so Export, Share and the scrubber replay it."
                    </p>
                    <ul>{PlantedBug::ALL.into_iter().map(item).collect_view()}</ul>
                    <Show when=broken>
                        <button class="menu-repair" on:click=move |_| {
                            if let Err(e) = ctl.set_planted(PlantedBugs::NONE) {
                                panels.error.set(Some(format!("Could not repair the cluster: {e}")));
                            }
                        }>"Repair: no planted bugs"</button>
                    </Show>
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_reads_as_a_sentence_with_a_way_to_catch_it() {
        assert_eq!(
            sentence("one watch event is lost"),
            "One watch event is lost."
        );
        for bug in PlantedBug::ALL {
            assert!(sentence(bug.describe()).starts_with(char::is_uppercase));
            assert!(how_to_catch(bug).ends_with('.'), "{bug:?}");
        }
    }
}
