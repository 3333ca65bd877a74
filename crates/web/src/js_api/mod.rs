//! `window.raftlab`: the running playground for scripts and tests. Every function goes through
//! the controller, the same code path as the console and the buttons.
//!
//! ```js
//! await raftlab.exec("crash 1")      // resolves with the output text once the line completes
//! raftlab.state()                    // {time_ms, leader, seed, trace_hash, nodes: [...]}
//! raftlab.pause(); raftlab.play(10); raftlab.step(5); raftlab.runFor(2000)
//! raftlab.reset({nodes: 5, seed: 42})
//! raftlab.exportScenario()           // the session as scenario text
//! raftlab.importScenario(text)       // replays it to its end; null, or the error in words
//! raftlab.seek(12000); raftlab.stepBack(); raftlab.fork(); raftlab.session()
//! raftlab.shareLink()                // puts #s=... in the address bar, returns the address
//! raftlab.openLesson("01-leader-election"); raftlab.lesson(); raftlab.lessonGo(1); raftlab.showMe()
//! await raftlab.check()            // runs in slices; {verdict, operations, explanation, steps, max_steps, at_ms, wall_ms, slices, longest_slice_ms, bars}
//! raftlab.check({maxSteps: 500, sliceSteps: 10}) // a smaller budget, fixed slices (tests)
//! raftlab.checkProgress()          // {steps, max_steps, stage, operations, elapsed_ms} while one runs, else null
//! raftlab.cancelCheck()            // the running check's promise resolves with verdict "Cancelled"
//! raftlab.plantBugs(["follower-local-read"]) // as the teaching menu: exactly these bugs ([] = none); null, or the error in words
//! raftlab.planted()                // the bugs planted now, e.g. ["follower-local-read"]
//! raftlab.builtins()                 // [{name, kind, title}]; raftlab.builtinText(name)
//! ```

use crate::control;

mod replies;

pub use replies::{Builtin, CheckProgress, ErrorReply, Headless, NodeState, Perf, Session, State};

/// The current state, as `window.raftlab.state()` returns it.
pub fn state() -> Option<State> {
    let playing = control::with(|c| c.playing())?;
    control::with_engine(|e| {
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
/// state machine ([`crate::engine::Machine`]; the nemesis's proposals are not etcd requests, so
/// the machine answers each with an error), not on `sim`'s `DigestMachine`, which would put a
/// second copy of the whole simulator into the bundle. Its trace hashes are pinned in
/// `tests/golden/web_trace_hashes.txt`, checked natively (`cargo test -p web`) and in the page.
pub fn headless(seed: u64, nodes: usize, faults: bool, ms: u64) -> Headless {
    let nem = sim::nemesis::NemesisConfig {
        faults,
        ..Default::default()
    };
    let cfg = sim::ClusterConfig::new(nodes, seed);
    match sim::nemesis::headless_run_on::<crate::engine::Machine>(cfg, nem, ms) {
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

/// Installs `window.raftlab`.
#[cfg(target_arch = "wasm32")]
pub fn install() {
    use crate::model::Origin;
    use serde::Serialize;
    use wasm_bindgen::prelude::*;

    fn to_js<T: Serialize>(v: &T) -> JsValue {
        serde_json::to_string(v)
            .ok()
            .and_then(|s| js_sys::JSON::parse(&s).ok())
            .unwrap_or(JsValue::NULL)
    }
    fn num(v: &JsValue) -> Option<f64> {
        v.as_f64()
    }
    fn set(obj: &js_sys::Object, name: &str, f: JsValue) {
        let _ = js_sys::Reflect::set(obj, &JsValue::from_str(name), &f);
    }

    let api = js_sys::Object::new();
    set(
        &api,
        "exec",
        Closure::<dyn Fn(String) -> js_sys::Promise>::new(|line: String| {
            js_sys::Promise::new(&mut |resolve, _reject| {
                let r = resolve;
                let waiter: control::Waiter = Box::new(move |text: String| {
                    let _ = r.call1(&JsValue::NULL, &JsValue::from_str(&text));
                });
                control::exec(&line, Origin::Script, Some(waiter));
            })
        })
        .into_js_value(),
    );
    set(
        &api,
        "state",
        Closure::<dyn Fn() -> JsValue>::new(|| to_js(&state())).into_js_value(),
    );
    set(
        &api,
        "view",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            to_js(&control::with_engine(|e| e.cluster().view()))
        })
        .into_js_value(),
    );
    set(
        &api,
        "pause",
        Closure::<dyn Fn()>::new(control::pause).into_js_value(),
    );
    set(
        &api,
        "play",
        Closure::<dyn Fn(JsValue)>::new(|s: JsValue| {
            let speed = if s.as_string().as_deref() == Some("max") {
                Some(f64::INFINITY)
            } else {
                num(&s)
            };
            control::play(speed)
        })
        .into_js_value(),
    );
    set(
        &api,
        "step",
        Closure::<dyn Fn(JsValue)>::new(|n: JsValue| {
            control::step(num(&n).unwrap_or(1.0).max(0.0) as u64)
        })
        .into_js_value(),
    );
    set(
        &api,
        "runFor",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|ms: JsValue| {
            control::run_for(num(&ms).unwrap_or(0.0).max(0.0) as u64);
            to_js(&state())
        })
        .into_js_value(),
    );
    set(
        &api,
        "load",
        Closure::<dyn Fn(JsValue)>::new(|n: JsValue| control::set_load(num(&n).unwrap_or(0.0)))
            .into_js_value(),
    );
    set(
        &api,
        "reset",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|opts: JsValue| {
            let get = |k: &str| {
                js_sys::Reflect::get(&opts, &JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            let mut s = control::with(|c| c.settings()).unwrap_or_default();
            if let Some(n) = get("nodes") {
                s.nodes = n as usize;
            }
            if let Some(seed) = get("seed") {
                s.seed = seed as u64;
            }
            if let Some(l) = get("load") {
                s.load = l;
            }
            match control::reset(s) {
                Ok(()) => JsValue::NULL,
                Err(e) => JsValue::from_str(&e),
            }
        })
        .into_js_value(),
    );
    set(
        &api,
        "perf",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            let p = control::with(|c| c.perf()).unwrap_or_default();
            to_js(&Perf {
                achieved_speed: p.achieved,
                events_per_s: p.events_per_s,
                frame_work_p95_ms: control::frame_work_p95(),
            })
        })
        .into_js_value(),
    );
    set(
        &api,
        "headless",
        Closure::<dyn Fn(f64, f64, bool, f64) -> JsValue>::new(
            |seed: f64, nodes: f64, faults: bool, ms: f64| {
                to_js(&headless(seed as u64, nodes as usize, faults, ms as u64))
            },
        )
        .into_js_value(),
    );
    fn result(r: Result<(), String>) -> JsValue {
        match r {
            Ok(()) => JsValue::NULL,
            Err(e) => JsValue::from_str(&e),
        }
    }
    set(
        &api,
        "check",
        Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(|opts: JsValue| {
            let get = |k: &str| {
                js_sys::Reflect::get(&opts, &JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            let mut settings = crate::check_run::CheckSettings::default();
            if let Some(n) = get("maxSteps") {
                settings.max_steps = n.max(0.0) as u64;
            }
            settings.slice_steps = get("sliceSteps").map(|n| n.max(1.0) as u64);
            js_sys::Promise::new(&mut |resolve, _reject| {
                let done: crate::check_run::CheckWaiter = Box::new(move |v| {
                    let _ = resolve.call1(&JsValue::NULL, &to_js(&v));
                });
                control::check(settings, Some(done));
            })
        })
        .into_js_value(),
    );
    set(
        &api,
        "checkProgress",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            use leptos::prelude::GetUntracked;
            let run = control::with(|c| c.ui().check_run.get_untracked()).flatten();
            to_js(&run.map(|r| CheckProgress {
                elapsed_ms: r.elapsed_ms,
                max_steps: r.progress.max_steps,
                operations: r.progress.operations,
                stage: r.progress.stage,
                steps: r.progress.steps,
            }))
        })
        .into_js_value(),
    );
    set(
        &api,
        "cancelCheck",
        Closure::<dyn Fn()>::new(crate::check_run::cancel).into_js_value(),
    );
    set(
        &api,
        "plantBugs",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|names: JsValue| {
            let names: Vec<String> = js_sys::Array::from(&names)
                .iter()
                .filter_map(|v| v.as_string())
                .collect();
            let bugs = match names.is_empty() {
                true => Ok(etcd::planted::PlantedBugs::NONE),
                false => etcd::planted::PlantedBugs::parse_list(&names.join(",")),
            };
            result(bugs.and_then(control::set_planted))
        })
        .into_js_value(),
    );
    set(
        &api,
        "planted",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            let bugs = control::with_engine(|e| e.planted()).unwrap_or_default();
            to_js(&bugs.iter().map(|b| b.name()).collect::<Vec<_>>())
        })
        .into_js_value(),
    );
    set(
        &api,
        "exportScenario",
        Closure::<dyn Fn() -> String>::new(control::export_text).into_js_value(),
    );
    set(
        &api,
        "importScenario",
        Closure::<dyn Fn(String) -> JsValue>::new(|text: String| result(control::import(&text)))
            .into_js_value(),
    );
    set(
        &api,
        "loadScenario",
        Closure::<dyn Fn(String) -> JsValue>::new(|text: String| {
            result(control::load(&text, "script"))
        })
        .into_js_value(),
    );
    set(
        &api,
        "seek",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|ms: JsValue| {
            let t = num(&ms).map_or(u64::MAX, |m| {
                if m.is_finite() {
                    m.max(0.0) as u64
                } else {
                    u64::MAX
                }
            });
            control::seek(t);
            to_js(&state())
        })
        .into_js_value(),
    );
    set(
        &api,
        "stepBack",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            control::step_back();
            to_js(&state())
        })
        .into_js_value(),
    );
    set(
        &api,
        "fork",
        Closure::<dyn Fn()>::new(control::fork).into_js_value(),
    );
    set(
        &api,
        "session",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            let s = control::with_engine(|e| e.session()).unwrap_or_default();
            to_js(&Session {
                end_ms: s.end_ms,
                in_past: s.in_past,
                lines: control::with_engine(|e| e.lines().len()).unwrap_or(0),
                now_ms: s.now_ms,
                steps: s.steps,
            })
        })
        .into_js_value(),
    );
    set(
        &api,
        "shareLink",
        Closure::<dyn Fn() -> JsValue>::new(|| match control::share_fragment() {
            Ok(f) => JsValue::from_str(&crate::browser::set_fragment(&f)),
            Err(error) => to_js(&ErrorReply { error }),
        })
        .into_js_value(),
    );
    set(
        &api,
        "openLesson",
        Closure::<dyn Fn(String) -> JsValue>::new(|name: String| {
            result(control::open_lesson(&name))
        })
        .into_js_value(),
    );
    set(
        &api,
        "lesson",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            use leptos::prelude::GetUntracked;
            to_js(&control::with(|c| c.ui().lesson.get_untracked()).flatten())
        })
        .into_js_value(),
    );
    set(
        &api,
        "lessonLink",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            control::lesson_link().map_or(JsValue::NULL, |f| {
                JsValue::from_str(&crate::browser::set_fragment(&f))
            })
        })
        .into_js_value(),
    );
    set(
        &api,
        "lessonGo",
        Closure::<dyn Fn(f64)>::new(|i: f64| control::lesson_go(i.max(0.0) as usize))
            .into_js_value(),
    );
    set(
        &api,
        "showMe",
        Closure::<dyn Fn()>::new(control::show_me).into_js_value(),
    );
    set(
        &api,
        "builtins",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            use etcd::scenario::builtin;
            let list: Vec<Builtin> = builtin::LESSONS
                .iter()
                .map(|l| (l, "lesson"))
                .chain(builtin::CLASSICS.iter().map(|l| (l, "classic")))
                .map(|((name, text), kind)| Builtin {
                    kind,
                    name,
                    title: crate::components::lessons_menu::title_of(name, text),
                })
                .collect();
            to_js(&list)
        })
        .into_js_value(),
    );
    set(
        &api,
        "builtinText",
        Closure::<dyn Fn(String) -> JsValue>::new(|name: String| {
            etcd::scenario::builtin::get(&name).map_or(JsValue::NULL, JsValue::from_str)
        })
        .into_js_value(),
    );
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str("raftlab"), &api);
    }
}

/// Installs `window.raftlab` (nothing to do off the web).
#[cfg(not(target_arch = "wasm32"))]
pub fn install() {}
