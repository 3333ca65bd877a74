//! `window.raftlab`: the running playground for scripts and tests. Every function goes through
//! the controller, the same code path as the console and the buttons.
//!
//! ```js
//! await raftlab.exec("crash 1")      // resolves with the output text once the line completes;
//!                                     // while paused, a line that needs time resolves at once with
//!                                     // {status: "waiting", id, text, ...}: it stays in flight and
//!                                     // completes when time runs (the clock is not moved)
//! await raftlab.execUntilDone("put a 1") // runs virtual time until the line completes or settles
//!                                     // (at most 2 virtual minutes, or {limitMs}), as `raftlab repl`;
//!                                     // {status, id, text, printed, time_ms}; a paused page stays paused
//! raftlab.state()                    // {time_ms, leader, seed, trace_hash, nodes: [...]}
//! raftlab.pause(); raftlab.play(10); raftlab.step(5); raftlab.runFor(2000)
//! raftlab.reset({nodes: 5, seed: 42})
//! raftlab.exportScenario()           // the session as scenario text
//! await raftlab.importScenario(text) // replays it to its end in slices (progress bar, Cancel);
//!                                     // null, or the error in words (or the line saying it stopped)
//! await raftlab.loadScenario(text)   // the same, but a lesson opens at its first step
//! await raftlab.seek(12000); await raftlab.stepBack() // replay in slices; resolve with state()
//! raftlab.replay()                   // {what, fraction, now_ms, events, elapsed_ms} while one runs, else null
//! raftlab.cancelReplay()             // stops it: the page stays as it was before it began
//! raftlab.fork(); raftlab.session()
//! raftlab.shareLink()                // puts #s=... in the address bar, returns the address
//! raftlab.openLesson("01-leader-election"); raftlab.lesson(); raftlab.lessonGo(1); raftlab.showMe()
//! await raftlab.check()            // runs in slices; {verdict, operations, explanation, steps, max_steps, at_ms, wall_ms, slices, longest_slice_ms, bars}
//! raftlab.check({maxSteps: 500, sliceSteps: 10}) // a smaller budget, fixed slices (tests)
//! raftlab.checkProgress()          // {steps, max_steps, stage, operations, elapsed_ms} while one runs, else null
//! raftlab.cancelCheck()            // the running check's promise resolves with verdict "Cancelled"
//! raftlab.plantBugs(["follower-local-read"]) // as the teaching menu: exactly these bugs ([] = none); null, or the error in words
//! raftlab.planted()                // the bugs planted now, e.g. ["follower-local-read"]
//! raftlab.builtins()                 // [{name, kind, title}]; raftlab.builtinText(name)
//! raftlab.pace("steady")             // or "follow" (the default: slow motion around messages at 1x and below); returns the pace
//! ```

use crate::control::Control;

mod replies;

pub use replies::{
    Builtin, CheckProgress, ErrorReply, ExecReply, Headless, NodeState, Perf, ReplayProgress,
    Session, State,
};

/// The current state, as `window.raftlab.state()` returns it.
pub fn state(ctl: Control) -> Option<State> {
    let playing = ctl.with(|c| c.playing())?;
    ctl.with_session(|e| {
        let c = e.cluster();
        let v = c.view();
        State {
            time_ms: v.time_ms,
            leader: v.leader,
            seed: v.seed,
            trace_hash: v.trace_hash.clone(),
            events: c.stats().events,
            leaders: c.stats().leaders.clone(),
            nodes: v
                .nodes
                .iter()
                .map(|n| NodeState {
                    id: n.id,
                    role: (n.status != sim::NodeStatus::Crashed)
                        .then(|| crate::model::role_label(n)),
                    term: n.term,
                    commit: n.commit,
                    applied: n.applied,
                    last_index: n.last_index,
                    status: crate::model::status_label(n.status),
                })
                .collect(),
            playing,
        }
    })
}

/// Runs a headless seeded nemesis run of the simulator and reports its trace hash and how fast
/// it ran: the determinism and speed checks of the browser. It runs on the playground's own
/// state machine ([`etcd::session::Machine`]; the nemesis's proposals are not etcd requests, so
/// the machine answers each with an error), not on `sim`'s `DigestMachine`, which would put a
/// second copy of the whole simulator into the bundle. Its trace hashes are pinned in
/// `tests/golden/web_trace_hashes.txt`, checked natively (`cargo test -p web`) and in the page.
pub fn headless(seed: u64, nodes: usize, faults: bool, ms: u64) -> Headless {
    let nem = sim::nemesis::NemesisConfig {
        faults,
        ..Default::default()
    };
    let cfg = sim::ClusterConfig::new(nodes, seed);
    match sim::nemesis::headless_run_on::<etcd::session::Machine>(cfg, nem, ms) {
        Ok(c) => Headless {
            trace_hash: Some(c.trace_hash()),
            events: c.stats().events,
            leaders: c.stats().leaders.len(),
            error: None,
        },
        Err(e) => Headless {
            trace_hash: None,
            events: 0,
            leaders: 0,
            error: Some(e.to_string()),
        },
    }
}

#[cfg(target_arch = "wasm32")]
mod install;
#[cfg(target_arch = "wasm32")]
pub use install::install;

/// Installs `window.raftlab` (nothing to do off the web).
#[cfg(not(target_arch = "wasm32"))]
pub fn install(ctl: Control) {
    let _ = ctl;
}
