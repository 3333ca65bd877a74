//! `window.raftlab` itself: one wasm-bindgen closure that takes the method's name first, bound
//! to each name with `Function.prototype.bind`, rather than one closure (and its glue) per method.

use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::prelude::GetUntracked;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{
    headless, state, Builtin, CheckProgress, ErrorReply, ExecReply, Perf, ReplayProgress, Session,
};
use crate::control::{self, Control};
use crate::model::Origin;

/// The methods of `window.raftlab`.
const METHODS: &[&str] = &[
    "exec",
    "execUntilDone",
    "replay",
    "cancelReplay",
    "state",
    "view",
    "pause",
    "play",
    "step",
    "runFor",
    "load",
    "reset",
    "perf",
    "headless",
    "check",
    "checkProgress",
    "cancelCheck",
    "plantBugs",
    "planted",
    "exportScenario",
    "importScenario",
    "loadScenario",
    "seek",
    "stepBack",
    "fork",
    "session",
    "shareLink",
    "openLesson",
    "lesson",
    "lessonLink",
    "lessonGo",
    "showMe",
    "builtins",
    "builtinText",
    "pace",
];

/// Installs `window.raftlab`.
pub fn install(ctl: Control) {
    let call: Function =
        Closure::<dyn Fn(String, JsValue, JsValue, JsValue, JsValue) -> JsValue>::new(
            move |name, a, b, c, d| call(ctl, name, a, b, c, d),
        )
        .into_js_value()
        .unchecked_into();
    let api = Object::new();
    for name in METHODS {
        let name = JsValue::from_str(name);
        let _ = Reflect::set(&api, &name, &call.bind1(&JsValue::NULL, &name));
    }
    if let Some(w) = web_sys::window() {
        let _ = Reflect::set(&w, &JsValue::from_str("raftlab"), &api);
    }
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

fn num(v: &JsValue) -> Option<f64> {
    v.as_f64()
}

/// A number argument as a JS function parameter converts it (NaN when it is none).
fn number(v: &JsValue) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn text(v: &JsValue) -> String {
    v.as_string().unwrap_or_default()
}

fn result(r: Result<(), String>) -> JsValue {
    match r {
        Ok(()) => JsValue::NULL,
        Err(e) => JsValue::from_str(&e),
    }
}

/// A number field of an options object.
fn field(opts: &JsValue, k: &str) -> Option<f64> {
    Reflect::get(opts, &JsValue::from_str(k))
        .ok()
        .and_then(|v| v.as_f64())
}

/// A promise that `start` settles through the `Done` it is given, with `value` of the outcome.
fn outcome(
    start: impl FnOnce(control::Done),
    value: impl Fn(control::Outcome) -> JsValue + 'static,
) -> JsValue {
    let mut start = Some(start);
    let mut value = Some(value);
    Promise::new(&mut |resolve, _reject| {
        if let (Some(start), Some(value)) = (start.take(), value.take()) {
            start(Box::new(move |o| {
                let _ = resolve.call1(&JsValue::NULL, &value(o));
            }));
        }
    })
    .into()
}

/// What `exec` and `execUntilDone` answer for command `cmd`.
fn exec_reply(ctl: Control, cmd: etcd::CommandId, printed: String) -> ExecReply {
    use etcd::session::CommandState;
    ctl.with_session(|e| {
        let o = e.output(cmd);
        let (status, text) = match o {
            Some(o) => (
                match (o.state, o.settled) {
                    (CommandState::Done, _) => "done",
                    (CommandState::Failed, _) => "failed",
                    (CommandState::Running, true) => "settled",
                    (CommandState::Running, false) => "waiting",
                },
                o.text.clone(),
            ),
            None => ("done", String::new()),
        };
        ExecReply {
            status,
            id: Some(cmd),
            text,
            printed: printed.clone(),
            time_ms: e.now(),
            note: match status {
                "waiting" => "the line is in flight and completes when virtual time runs: play(), step(n), runFor(ms), or execUntilDone(line)",
                _ => "",
            },
        }
    })
    .unwrap_or(ExecReply {
        status: "failed",
        id: Some(cmd),
        text: "the playground is busy".into(),
        printed,
        time_ms: 0,
        note: "",
    })
}

/// Runs method `name` with its arguments (missing ones are `undefined`).
fn call(ctl: Control, name: String, a: JsValue, b: JsValue, c: JsValue, d: JsValue) -> JsValue {
    match name.as_str() {
        "exec" => {
            let line = text(&a);
            Promise::new(&mut |resolve, _reject| {
                let r = resolve.clone();
                let waiter: control::Waiter = Box::new(move |text: String| {
                    let _ = r.call1(&JsValue::NULL, &JsValue::from_str(&text));
                });
                let paused = ctl.with(|c| !c.playing()).unwrap_or(false);
                let cmd = ctl.exec(&line, Origin::Script, Some(waiter));
                // While paused, a line that needs time would wait for Play: answer at once
                // that it waits (it stays in flight); the clock is not moved.
                if let Some(cmd) = cmd.filter(|_| paused) {
                    if ctl.forget_waiter(cmd).is_some() {
                        let reply = exec_reply(ctl, cmd, String::new());
                        let _ = resolve.call1(&JsValue::NULL, &to_js(&reply));
                    }
                }
            })
            .into()
        }
        "execUntilDone" => {
            let line = text(&a);
            let limit = field(&b, "limitMs").map_or(etcd::repl::LINE_LIMIT_MS, |l| {
                l.clamp(0.0, etcd::repl::LINE_LIMIT_MS as f64) as u64
            });
            let mark = ctl.with_session(|e| e.printed()).unwrap_or(0);
            let cmd = ctl.exec(&line, Origin::Script, None);
            if let Some(cmd) = cmd {
                ctl.settle(cmd, limit);
            }
            // As `raftlab repl` prints after a line: what the session answered itself (`cancel`
            // finding nothing to stop), then everything printed meanwhile.
            let printed = ctl
                .with_session(|e| {
                    let own = cmd
                        .filter(|c| e.is_note(*c))
                        .and_then(|c| e.output(c))
                        .map_or("", |o| o.text.as_str());
                    format!("{own}{}", e.printed_since(mark))
                })
                .unwrap_or_default();
            let reply = match cmd {
                Some(cmd) => exec_reply(ctl, cmd, printed),
                None => ExecReply {
                    status: "done",
                    id: None,
                    text: String::new(),
                    printed,
                    time_ms: ctl.with_session(|e| e.now()).unwrap_or(0),
                    note: "",
                },
            };
            Promise::resolve(&to_js(&reply)).into()
        }
        "replay" => {
            let run = ctl
                .with(|c| c.ui().session.replay.get_untracked())
                .flatten();
            to_js(&run.map(|r| ReplayProgress {
                elapsed_ms: r.elapsed_ms,
                events: r.events,
                fraction: r.fraction,
                now_ms: r.now_ms,
                what: r.what,
            }))
        }
        "cancelReplay" => {
            ctl.cancel_replay();
            JsValue::UNDEFINED
        }
        "state" => to_js(&state(ctl)),
        "view" => to_js(&ctl.with_session(|e| e.cluster().view())),
        "pause" => {
            ctl.pause();
            JsValue::UNDEFINED
        }
        "play" => {
            let speed = if a.as_string().as_deref() == Some("max") {
                Some(f64::INFINITY)
            } else {
                num(&a)
            };
            ctl.play(speed);
            JsValue::UNDEFINED
        }
        "step" => {
            ctl.step(num(&a).unwrap_or(1.0).max(0.0) as u64);
            JsValue::UNDEFINED
        }
        "runFor" => {
            ctl.run_for(num(&a).unwrap_or(0.0).max(0.0) as u64);
            to_js(&state(ctl))
        }
        "load" => {
            ctl.set_load(num(&a).unwrap_or(0.0));
            JsValue::UNDEFINED
        }
        "reset" => {
            let mut s = ctl.with(|c| c.settings()).unwrap_or_default();
            if let Some(n) = field(&a, "nodes") {
                s.nodes = n as usize;
            }
            if let Some(seed) = field(&a, "seed") {
                s.seed = seed as u64;
            }
            if let Some(l) = field(&a, "load") {
                s.load = l;
            }
            result(ctl.reset(s))
        }
        "perf" => {
            let p = ctl.with(|c| c.perf()).unwrap_or_default();
            to_js(&Perf {
                achieved_speed: p.achieved,
                events_per_s: p.events_per_s,
                frame_work_p95_ms: ctl.frame_work_p95(),
            })
        }
        "headless" => to_js(&headless(
            number(&a) as u64,
            number(&b) as usize,
            c.is_truthy(),
            number(&d) as u64,
        )),
        "check" => {
            let mut settings = crate::check_run::CheckSettings::default();
            if let Some(n) = field(&a, "maxSteps") {
                settings.max_steps = n.max(0.0) as u64;
            }
            settings.slice_steps = field(&a, "sliceSteps").map(|n| n.max(1.0) as u64);
            Promise::new(&mut |resolve, _reject| {
                let done: crate::check_run::CheckWaiter = Box::new(move |v| {
                    let _ = resolve.call1(&JsValue::NULL, &to_js(&v));
                });
                ctl.check(settings, Some(done));
            })
            .into()
        }
        "checkProgress" => {
            let run = ctl
                .with(|c| c.ui().panels.check_run.get_untracked())
                .flatten();
            to_js(&run.map(|r| CheckProgress {
                elapsed_ms: r.elapsed_ms,
                max_steps: r.progress.max_steps,
                operations: r.progress.operations,
                stage: r.progress.stage,
                steps: r.progress.steps,
            }))
        }
        "cancelCheck" => {
            crate::check_run::cancel();
            JsValue::UNDEFINED
        }
        "plantBugs" => {
            let names: Vec<String> = Array::from(&a)
                .iter()
                .filter_map(|v| v.as_string())
                .collect();
            let bugs = match names.is_empty() {
                true => Ok(etcd::planted::PlantedBugs::NONE),
                false => etcd::planted::PlantedBugs::parse_list(&names.join(",")),
            };
            result(bugs.and_then(|b| ctl.set_planted(b)))
        }
        "planted" => {
            let bugs = ctl.with_session(|e| e.planted()).unwrap_or_default();
            to_js(&bugs.iter().map(|b| b.name()).collect::<Vec<_>>())
        }
        "exportScenario" => JsValue::from_str(&ctl.export_text()),
        "importScenario" => {
            let t = text(&a);
            outcome(
                |done| ctl.import(&t, Some(done)),
                |o| match o {
                    control::Outcome::Arrived => JsValue::NULL,
                    control::Outcome::Failed(e) | control::Outcome::Stopped(e) => {
                        JsValue::from_str(&e)
                    }
                },
            )
        }
        "loadScenario" => {
            let t = text(&a);
            outcome(
                |done| ctl.load(&t, "script", Some(done)),
                |o| match o {
                    control::Outcome::Arrived => JsValue::NULL,
                    control::Outcome::Failed(e) | control::Outcome::Stopped(e) => {
                        JsValue::from_str(&e)
                    }
                },
            )
        }
        "seek" => {
            let t = num(&a).map_or(u64::MAX, |m| {
                if m.is_finite() {
                    m.max(0.0) as u64
                } else {
                    u64::MAX
                }
            });
            outcome(|done| ctl.seek(t, Some(done)), move |_| to_js(&state(ctl)))
        }
        "stepBack" => outcome(
            |done| ctl.step_back(Some(done)),
            move |_| to_js(&state(ctl)),
        ),
        "fork" => {
            ctl.fork();
            JsValue::UNDEFINED
        }
        "session" => {
            let s = ctl.with_session(|e| e.point()).unwrap_or_default();
            to_js(&Session {
                end_ms: s.end_ms,
                in_past: s.in_past,
                lines: ctl.with_session(|e| e.lines().len()).unwrap_or(0),
                now_ms: s.now_ms,
                steps: s.steps,
            })
        }
        "shareLink" => match ctl.share_fragment() {
            Ok(f) => JsValue::from_str(&crate::browser::set_fragment(&f)),
            Err(error) => to_js(&ErrorReply { error }),
        },
        "openLesson" => result(ctl.open_lesson(&text(&a))),
        "lesson" => to_js(&ctl.with(|c| c.ui().lesson.open.get_untracked()).flatten()),
        "lessonLink" => ctl.lesson_link().map_or(JsValue::NULL, |f| {
            JsValue::from_str(&crate::browser::set_fragment(&f))
        }),
        "lessonGo" => {
            ctl.lesson_go(number(&a).max(0.0) as usize);
            JsValue::UNDEFINED
        }
        "showMe" => {
            ctl.show_me();
            JsValue::UNDEFINED
        }
        "builtins" => {
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
        }
        "builtinText" => {
            etcd::scenario::builtin::get(&text(&a)).map_or(JsValue::NULL, JsValue::from_str)
        }
        "pace" => {
            if let Some(p) = a.as_string().and_then(|s| crate::pace::Pace::parse(&s)) {
                ctl.set_pace(p);
            }
            let p = ctl
                .with(|c| c.ui().clock.pace.get_untracked())
                .unwrap_or_default();
            JsValue::from_str(p.as_str())
        }
        _ => JsValue::UNDEFINED,
    }
}
