//! Follow mode: the page follows a `raftlab serve --ui` in deterministic lockstep. Opened as
//! `?follow=/raftlab/follow` (the server redirects its `/` there), the page reads the server's
//! stream (Server-Sent Events, see `crates/serve/src/follow.rs`): the set-up builds the same
//! cluster, each line is applied at exactly its (virtual time, event count), by the rule a
//! scenario's replay uses, and the page runs its own simulation only up to the points the
//! server reports, checking its trace hash against the server's at each. Its console and fault
//! buttons send their lines to the server (`POST /raftlab/line`), which applies them and sends
//! them back through the stream; a line refused comes back as a one-line error.
//!
//! Time while following: the live end is the server's. Play, step and run are refused (with a
//! note), as are a new cluster, an import and a lesson; seeking into the past and stepping back
//! work as in any session, and the page stops applying the stream until it is moved back to the
//! end, then catches up. If the server goes away the page keeps the cluster as it last was and
//! says so; the browser reconnects, and a reconnection starts the cluster over from the stream.

use std::cell::RefCell;
use std::collections::VecDeque;

use etcd::playground::Recorded;
use leptos::prelude::*;

use super::{now_wall, Control, Controller};
use crate::model::{Origin, Settings};
use etcd::session::{CommandId, Session};

/// Wall ms a frame may spend catching up.
const FRAME_BUDGET_MS: f64 = 12.0;

/// One thing the stream said.
#[cfg_attr(test, derive(Clone, Debug, PartialEq))]
pub enum Item {
    /// The cluster's set-up: a scenario's header.
    Setup(String),
    /// A line, at its virtual time and event count (or a txn's continuation).
    Line(Recorded),
    /// The server's point: (virtual ms, events, trace hash).
    Reach(u64, u64, String),
}

/// Reads one stream message (`event`, `data`) as an item.
pub fn parse(event: &str, data: &str) -> Option<Item> {
    match event {
        "setup" => Some(Item::Setup(data.to_string())),
        "line" => Some(Item::Line(match data.strip_prefix("+ ") {
            Some(l) => Recorded {
                at_ms: 0,
                step: 0,
                line: l.into(),
                continuation: true,
            },
            None => {
                let mut p = data.splitn(3, ' ');
                Recorded {
                    at_ms: p.next()?.parse().ok()?,
                    step: p.next()?.parse().ok()?,
                    line: p.next()?.into(),
                    continuation: false,
                }
            }
        })),
        "tick" => {
            let mut p = data.split(' ');
            Some(Item::Reach(
                p.next()?.parse().ok()?,
                p.next()?.parse().ok()?,
                p.next()?.to_string(),
            ))
        }
        _ => None,
    }
}

/// What applying an item did.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Applied {
    /// The line ran (its command, if it started one).
    Line(Option<CommandId>),
    /// The point is reached and the hashes agree.
    Reached,
    /// Not yet: the wall-time budget ran out first.
    More,
    /// The page and the server differ (a bug): what differs.
    OutOfStep(String),
}

/// Applies a line or a point to `session`, as a scenario's replay reaches a recorded line: the
/// line's event count by counted steps, then its virtual time; a point by counted steps only,
/// as the server ran between lines. `out_of_time` is asked now and then while stepping.
///
/// # Errors
/// The invariant violation that stopped the run.
pub fn apply(
    session: &mut Session,
    item: &Item,
    mut out_of_time: impl FnMut() -> bool,
) -> Result<Applied, String> {
    let (n, at) = match item {
        Item::Setup(_) => return Ok(Applied::Reached),
        Item::Line(r) if r.continuation => return Ok(Applied::Line(session.exec(&r.line))),
        Item::Line(r) => (r.step, r.at_ms),
        Item::Reach(_, n, _) => (*n, 0),
    };
    let mut k = 0u32;
    while session.playground().steps() < n {
        k += 1;
        if k.is_multiple_of(64) && out_of_time() {
            return Ok(Applied::More);
        }
        session.step()?;
    }
    let steps = session.playground().steps();
    if steps > n {
        return Ok(Applied::OutOfStep(format!(
            "the page ran {steps} events where the server ran {n}"
        )));
    }
    match item {
        Item::Line(r) => {
            if session.now() < at {
                session.run_until(at)?;
            }
            Ok(Applied::Line(session.exec(&r.line)))
        }
        Item::Reach(_, _, hash) => {
            let mine = session.cluster().trace_hash();
            Ok(match mine == *hash {
                true => Applied::Reached,
                false => Applied::OutOfStep(format!(
                    "trace hash {mine} where the server has {hash} after {n} events"
                )),
            })
        }
        Item::Setup(_) => Ok(Applied::Reached),
    }
}

/// How the page stands with the server (the connection's states are set by the browser's
/// stream only).
#[cfg_attr(test, derive(Clone, Debug, PartialEq))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
enum Status {
    Connecting,
    Live,
    /// The connection dropped; the browser retries.
    Lost,
    /// The server refused the page or is gone for good (no retry).
    Closed,
    OutOfStep(String),
}

/// The page following a server.
struct Link {
    /// The stream's host, and where lines go.
    host: String,
    line_url: String,
    queue: VecDeque<Item>,
    status: Status,
    /// The last point reached in step with the server: (virtual ms, events).
    point: (u64, u64),
    /// The banner's text now (set on the page only when it changes).
    shown: String,
    /// The page's controller, for what the server answers later (none in tests).
    ctl: Option<Control>,
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// Whether the page follows a server.
pub fn active() -> bool {
    LINK.with(|l| l.borrow().is_some())
}

fn with_link<R>(f: impl FnOnce(&mut Link) -> R) -> Option<R> {
    LINK.with(|l| l.borrow_mut().as_mut().map(f))
}

/// Takes one message of the stream.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn heard(item: Item) {
    with_link(|l| {
        if let (Some(Item::Reach(..)), Item::Reach(..)) = (l.queue.back(), &item) {
            // A point after a point: only the later one matters (bounds the queue while the
            // page looks at the past).
            l.queue.pop_back();
        }
        if matches!(item, Item::Setup(_)) {
            // A (re)connection: the cluster starts over from the stream.
            l.queue.clear();
        }
        if !matches!(l.status, Status::Closed | Status::OutOfStep(_)) {
            l.status = Status::Live;
        }
        if l.queue.len() >= QUEUE_MAX {
            // The server runs far ahead of what this page can simulate: stop rather than
            // hold an unbounded backlog.
            l.queue.clear();
            l.status = Status::OutOfStep(format!(
                "the server is more than {QUEUE_MAX} lines ahead of this page"
            ));
            return;
        }
        l.queue.push_back(item);
    });
}

/// Stream messages waiting to be applied, at most.
const QUEUE_MAX: usize = 100_000;

impl Control {
    /// Refuses an action that would make the page's run differ from the server's while it
    /// follows one (saying so); returns whether it did.
    pub fn following_refuses(self) -> bool {
        if !active() {
            return false;
        }
        self.with(|c| {
            c.note("Following raftlab serve: its time and its cluster are the server's. Send lines from the console; the scrubber still moves into the past.".into());
        });
        true
    }
}

impl Controller {
    /// One frame of following: applies what the stream said, within a wall-time budget. Not
    /// while the page looks at the past (it catches up once moved back to the end).
    pub(super) fn follow_frame(&mut self) {
        if self.halted || self.session.point().in_past {
            self.follow_banner();
            return;
        }
        let t0 = now_wall();
        let next = || {
            with_link(|l| match l.status {
                Status::OutOfStep(_) => None,
                _ => l.queue.pop_front(),
            })
            .flatten()
        };
        while let Some(item) = next() {
            if let Item::Setup(text) = &item {
                self.follow_setup(text);
                continue;
            }
            let r = apply(&mut self.session, &item, || {
                now_wall() - t0 > FRAME_BUDGET_MS
            });
            match r {
                Err(e) => {
                    self.halt_on(Err(e));
                    break;
                }
                Ok(Applied::More) => {
                    with_link(|l| l.queue.push_front(item));
                    break;
                }
                Ok(Applied::Line(cmd)) => {
                    if let Item::Line(r) = &item {
                        self.echo_line(&r.line, cmd, Origin::Server);
                    }
                }
                Ok(Applied::Reached) => {
                    if let Item::Reach(ms, n, _) = item {
                        with_link(|l| l.point = (ms, n));
                    }
                }
                Ok(Applied::OutOfStep(why)) => {
                    with_link(|l| l.status = Status::OutOfStep(why));
                    break;
                }
            }
        }
        self.follow_banner();
    }

    /// Builds the server's cluster from its set-up.
    fn follow_setup(&mut self, text: &str) {
        let s = match Session::parse(text) {
            Ok(s) => s,
            Err(e) => {
                with_link(|l| l.status = Status::OutOfStep(format!("its set-up: {e}")));
                return;
            }
        };
        let session = match Session::new(s.config.clone(), s.planted) {
            Ok(e) => e,
            Err(e) => {
                with_link(|l| l.status = Status::OutOfStep(format!("its cluster: {e}")));
                return;
            }
        };
        self.close_lesson();
        let mut settings = Settings::from_config(&s.config);
        settings.load = 0.0;
        self.adopt(session, settings);
        self.stop_clock();
        // The console starts with the server's session too.
        self.ui.console.entries.set(Vec::new());
        let host = with_link(|l| l.host.clone()).unwrap_or_default();
        self.note(format!(
            "Following raftlab serve at {host}: {} nodes, seed {}. Its lines run here at the same virtual time and event count; what you type or click is sent to it.",
            s.config.nodes, s.config.seed
        ));
    }

    /// Puts the banner's text on the page if it changed.
    fn follow_banner(&mut self) {
        let past = self.session.point().in_past;
        let now = sim::time::format_ms(self.session.now());
        let Some((text, class)) = with_link(|l| {
            let h = &l.host;
            let (text, class) = match &l.status {
                Status::Connecting => (format!("Following raftlab serve at {h}: connecting…"), "follow-banner"),
                Status::Live if past => (format!("Following raftlab serve at {h}: looking at the past ({now}); move back to the end to follow again"), "follow-banner"),
                Status::Live => (format!("Following raftlab serve at {h}: in step at {} ({} events); time is the server's, lines you give are sent to it", sim::time::format_ms(l.point.0), l.point.1), "follow-banner"),
                Status::Lost => (format!("Lost raftlab serve at {h}: showing the cluster as it was at {now}; reconnecting (a reconnection starts over from the server's session)"), "follow-banner lost"),
                Status::Closed => (format!("raftlab serve at {h} refused this page or is gone: showing the cluster as it was at {now}; reload to follow again"), "follow-banner lost"),
                Status::OutOfStep(why) => (format!("Out of step with raftlab serve at {h}: {why}. Stopped following; reload to start over."), "follow-banner lost"),
            };
            if text == l.shown {
                return None;
            }
            l.shown = text.clone();
            Some((text, class))
        })
        .flatten() else {
            return;
        };
        show_banner(&text, class);
    }

    /// Sends a line to the server instead of running it here; `done` hears `""` once it is
    /// taken, or its error. A refused line is a one-line note.
    pub(super) fn send_line(&mut self, line: &str, done: Option<super::Waiter>) {
        let url = with_link(|l| l.line_url.clone()).unwrap_or_default();
        let line = line.to_string();
        let ctl = with_link(|l| l.ctl).flatten();
        post(&url, &line.clone(), move |result| {
            let text = match result {
                Ok(()) => String::new(),
                Err(e) => {
                    let e = e.lines().next().unwrap_or("").to_string();
                    if let Some(ctl) = ctl {
                        ctl.with(|c| {
                            c.note(format!("`{line}` was not taken by raftlab serve: {e}"))
                        });
                    }
                    e
                }
            };
            if let Some(d) = done {
                d(text);
            }
        });
    }
}

/// The `follow` parameter of the page's query (`?follow=/raftlab/follow`), if any: a path on
/// the page's own server only (a link cannot point the page at another site's stream).
pub fn follow_param(query: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("follow="))
        .map(|v| v.replace("%2F", "/").replace("%2f", "/"))
        .filter(|v| {
            v.starts_with('/')
                && !v.starts_with("//")
                && !v.contains(['\\', '%'])
                && !v.chars().any(char::is_control)
        })
}

/// Starts following if the page was opened with `?follow=URL`.
pub fn start(ctl: Control) {
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ctl;
    #[cfg(target_arch = "wasm32")]
    {
        let Some(loc) = web_sys::window().map(|w| w.location()) else {
            return;
        };
        let Some(url) = follow_param(&loc.search().unwrap_or_default()) else {
            return;
        };
        let href = loc.href().unwrap_or_default();
        let abs = web_sys::Url::new_with_base(&url, &href).ok();
        let host = abs.as_ref().map(|u| u.host()).unwrap_or_default();
        let line_url =
            web_sys::Url::new_with_base("line", &abs.map(|u| u.href()).unwrap_or_default())
                .map(|u| u.href())
                .unwrap_or_default();
        begin(host, line_url, Some(ctl));
        if let Err(e) = open(&url) {
            with_link(|l| l.status = Status::OutOfStep(format!("cannot open {url}: {e}")));
        }
    }
}

/// The page follows the server at `host`, sending lines to `line_url`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn begin(host: String, line_url: String, ctl: Option<Control>) {
    LINK.with(|l| {
        *l.borrow_mut() = Some(Link {
            host,
            line_url,
            queue: VecDeque::new(),
            status: Status::Connecting,
            point: (0, 0),
            shown: String::new(),
            ctl,
        })
    });
}

/// Opens the stream; its messages go to [`heard`].
#[cfg(target_arch = "wasm32")]
fn open(url: &str) -> Result<(), String> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let es = web_sys::EventSource::new(url).map_err(|_| "not a stream's address".to_string())?;
    for name in ["setup", "line", "tick"] {
        let cb =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if let Some(item) = ev.data().as_string().and_then(|d| parse(name, &d)) {
                    heard(item);
                }
            });
        let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        cb.forget();
    }
    let es2 = es.clone();
    let err = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(move |_| {
        let closed = es2.ready_state() == web_sys::EventSource::CLOSED;
        with_link(|l| {
            if !matches!(l.status, Status::OutOfStep(_)) {
                l.status = if closed { Status::Closed } else { Status::Lost };
            }
        });
    });
    es.set_onerror(Some(err.as_ref().unchecked_ref()));
    err.forget();
    // Kept open for the page's life.
    std::mem::forget(es);
    Ok(())
}

/// POSTs `body` to `url`; `done` hears whether it was taken, or the answer's text.
fn post(url: &str, body: &str, done: impl FnOnce(Result<(), String>) + 'static) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            return done(Err("cannot send".into()));
        };
        if xhr.open_with_async("POST", url, true).is_err() {
            return done(Err("cannot send".into()));
        }
        let x = xhr.clone();
        let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
            let status = x.status().unwrap_or(0);
            let text = x.response_text().ok().flatten().unwrap_or_default();
            done(match status {
                200 => Ok(()),
                0 => Err("raftlab serve cannot be reached".into()),
                _ => Err(text.trim().to_string()),
            });
        });
        xhr.set_onloadend(Some(cb.unchecked_ref()));
        let _ = xhr.send_with_opt_str(Some(body));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (url, body);
        done(Err("not in a browser".into()));
    }
}

/// Shows the banner at the top of the page.
fn show_banner(text: &str, class: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let el = match doc.get_element_by_id("follow-banner") {
            Some(el) => el,
            None => {
                let Ok(el) = doc.create_element("div") else {
                    return;
                };
                el.set_id("follow-banner");
                let _ = el.set_attribute("role", "status");
                if let Some(body) = doc.body() {
                    let _ = body.prepend_with_node_1(&el);
                }
                el
            }
        };
        el.set_class_name(class);
        el.set_text_content(Some(text));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (text, class);
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd::scenario::parse as parse_scenario;

    #[test]
    fn stream_messages() {
        assert_eq!(
            parse("line", "12 34 put a 1"),
            Some(Item::Line(Recorded {
                at_ms: 12,
                step: 34,
                line: "put a 1".into(),
                continuation: false
            }))
        );
        assert!(
            matches!(parse("line", "+  put b 2"), Some(Item::Line(r)) if r.continuation && &*r.line == " put b 2")
        );
        assert_eq!(
            parse("tick", "5 6 abc"),
            Some(Item::Reach(5, 6, "abc".into()))
        );
        assert_eq!(parse("tick", "5 x abc"), None);
        assert_eq!(parse("what", "1"), None);
        assert_eq!(
            follow_param("?nodes=3&follow=%2Fraftlab%2Ffollow"),
            Some("/raftlab/follow".into())
        );
        assert_eq!(follow_param("?follow="), None);
        assert_eq!(
            follow_param("?follow=http://elsewhere/raftlab/follow"),
            None
        );
        assert_eq!(follow_param("?follow=//elsewhere/raftlab/follow"), None);
        assert_eq!(follow_param("?follow=/\\elsewhere/x"), None);
        assert_eq!(follow_param(""), None);
    }

    #[test]
    fn points_after_points_are_one_and_a_setup_starts_over() {
        begin("h:1".into(), "http://h:1/raftlab/line".into(), None);
        assert!(active());
        heard(Item::Setup("@nodes 3".into()));
        heard(Item::Reach(1, 2, "a".into()));
        heard(Item::Reach(3, 4, "b".into()));
        let line = parse("line", "5 6 heal").unwrap();
        heard(line.clone());
        heard(Item::Reach(7, 8, "c".into()));
        let q = with_link(|l| l.queue.iter().cloned().collect::<Vec<_>>()).unwrap();
        assert_eq!(q.len(), 4);
        assert_eq!(q[1], Item::Reach(3, 4, "b".into()));
        assert_eq!(with_link(|l| l.status.clone()), Some(Status::Live));
        heard(Item::Setup("@nodes 5".into()));
        assert_eq!(with_link(|l| l.queue.len()), Some(1));
        LINK.with(|l| l.borrow_mut().take());
        assert!(!active());
    }

    /// A session run as the server runs it (lines at recorded points), streamed as items, is
    /// followed to the same trace hash at each point, in slices as small as a budget makes them.
    #[test]
    fn following_reaches_the_servers_points() {
        let s = parse_scenario(
            "@nodes 3\n@seed 3\nat 1500ms put a 1\nat 1600ms watch a\nat 2500ms partition leader\nat 4000ms heal\nat 4200ms cancel 2\nat 4300ms put b 2\n@until 6000ms\n",
        )
        .unwrap();
        let (pg, lines) = s.run_recorded().unwrap();
        let mut items: Vec<Item> = Vec::new();
        for (i, r) in lines.iter().enumerate() {
            items.push(Item::Line(r.clone()));
            // A point between this line and the next, as ticks come.
            if let Some(next) = lines.get(i + 1) {
                let mid = (r.step + next.step) / 2;
                let probe = etcd::scenario::Scenario::from_recording(
                    pg.cluster().config().clone(),
                    pg.planted_at_start(),
                    "",
                    lines[..=i].iter().cloned().collect(),
                    (0, mid),
                );
                let (p, _) = probe.run().unwrap();
                items.push(Item::Reach(p.now(), mid, p.cluster().trace_hash()));
            }
        }
        items.push(Item::Reach(pg.now(), pg.steps(), pg.cluster().trace_hash()));
        for budget in [u32::MAX, 3] {
            let mut e = Session::new(pg.cluster().config().clone(), pg.planted_at_start()).unwrap();
            for item in &items {
                let mut calls = 0;
                loop {
                    let r = apply(&mut e, item, || {
                        calls += 1;
                        calls % budget == 0
                    })
                    .unwrap();
                    match r {
                        Applied::More => continue,
                        Applied::OutOfStep(why) => panic!("{why}"),
                        _ => break,
                    }
                }
            }
            assert_eq!(e.cluster().trace_hash(), pg.cluster().trace_hash());
        }
    }
}
