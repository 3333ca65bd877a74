//! Reading a scenario file, with a line number and a reason for anything wrong.

use std::fmt;

use sim::time::parse_duration;
use sim::{ClusterConfig, ReadMode, MAX_NODES};

use super::{bound, Expect, Line, Scenario, Step, MAX_SCENARIO_BYTES, MAX_SCENARIO_FILE_BYTES};
use crate::ctl::{Feed, LineParser};
use crate::planted::PlantedBugs;

/// A scenario that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Line number (1-based; 0 for the file as a whole).
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "scenario: {}", self.reason)
        } else {
            write!(f, "scenario line {}: {}", self.line, self.reason)
        }
    }
}

impl std::error::Error for ScenarioError {}

fn err<T>(line: usize, reason: impl Into<String>) -> Result<T, ScenarioError> {
    Err(ScenarioError {
        line,
        reason: reason.into(),
    })
}

fn on_off(v: &str) -> Option<bool> {
    match v {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn set_option(cfg: &mut ClusterConfig, name: &str, v: &str) -> Result<(), String> {
    let num = |v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("{name}: {v:?} is not a number"))
    };
    match name {
        "pre-vote" => cfg.raft.pre_vote = on_off(v).ok_or(format!("{name}: use on or off"))?,
        "check-quorum" => cfg.raft.check_quorum = on_off(v).ok_or(format!("{name}: use on or off"))?,
        "election-tick" => cfg.raft.election_tick = num(v)? as usize,
        "heartbeat-tick" => cfg.raft.heartbeat_tick = num(v)? as usize,
        "compaction" => cfg.raft.compaction_threshold = num(v)?,
        "max-inflight" => cfg.raft.max_inflight_msgs = num(v)? as usize,
        "read-mode" => {
            cfg.raft.read_mode = match v {
                "safe" => ReadMode::Safe,
                "lease" => ReadMode::LeaseBased,
                _ => return Err(format!("{name}: use safe or lease")),
            }
        }
        "tick" => cfg.tick_ms = parse_duration(v)?,
        "request-timeout" => cfg.request_timeout_ms = parse_duration(v)?,
        "latency" => {
            let (a, b) = v
                .trim_end_matches("ms")
                .split_once('-')
                .ok_or(format!("{name}: use MIN-MAXms, e.g. 2-10ms"))?;
            cfg.link.latency_min_ms = num(a)?;
            cfg.link.latency_max_ms = num(b)?;
        }
        "drop" => {
            cfg.link.drop_prob = v
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or(format!("{name}: use a probability between 0 and 1"))?
        }
        _ => {
            return Err(format!(
                "unknown option {name:?} (pre-vote, check-quorum, election-tick, heartbeat-tick, read-mode, compaction, max-inflight, tick, request-timeout, latency, drop)"
            ))
        }
    }
    Ok(())
}

/// Splits `at 12.5s[@6789] rest` into its time, event count and command.
fn timed(rest: &str, n: usize) -> Result<(u64, Option<u64>, String), ScenarioError> {
    let (when, cmd) = rest
        .trim_start()
        .split_once(char::is_whitespace)
        .unwrap_or((rest.trim(), ""));
    if cmd.trim().is_empty() {
        return err(n, "`at TIME` needs a command after it");
    }
    let (time, step) = match when.split_once('@') {
        Some((t, s)) => (
            t,
            Some(s.parse::<u64>().map_err(|_| ScenarioError {
                line: n,
                reason: format!("bad event count {s:?}"),
            })?),
        ),
        None => (when, None),
    };
    let ms = parse_duration(time).map_err(|e| ScenarioError { line: n, reason: e })?;
    if let Some(reason) = bound::time_refused(ms).or_else(|| step.and_then(bound::events_refused)) {
        return err(n, reason);
    }
    Ok((ms, step, cmd.trim_start().to_string()))
}

/// Reads a scenario given as a share link or imported in the page: at most
/// [`MAX_SCENARIO_BYTES`], and within the work bound of [`super::bound`].
///
/// # Errors
/// The first problem, with its line number.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    parse_sized(text, MAX_SCENARIO_BYTES)
}

/// Reads a scenario file given to the command line: at most [`MAX_SCENARIO_FILE_BYTES`] (a
/// recorded hour fits), and within the same work bound as [`parse`].
///
/// # Errors
/// The first problem, with its line number.
pub fn parse_file(text: &str) -> Result<Scenario, ScenarioError> {
    parse_sized(text, MAX_SCENARIO_FILE_BYTES)
}

fn parse_sized(text: &str, max_bytes: usize) -> Result<Scenario, ScenarioError> {
    if text.len() > max_bytes {
        return err(0, format!("larger than {} KiB", max_bytes / 1024));
    }
    let mut cfg = ClusterConfig::default();
    let mut planted = PlantedBugs::NONE;
    let mut title = String::new();
    let mut lesson = false;
    let mut steps: Vec<Step> = vec![Step::default()];
    let mut started = false;
    let mut parser = LineParser::new();
    let mut last_at = 0u64;
    // A lower bound of the virtual time reached so far: the last `at` or `@until`, plus what
    // the untimed `sleep`, `run` and `tick` lines since ask for.
    let mut reached = 0u64;
    let mut last_option_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        if parser.pending() {
            // Inside a multi-line txn every line, blank ones too, belongs to the command.
            let step = steps.last_mut().expect("a step");
            step.lines.push(Line {
                number: n,
                at_ms: None,
                at_step: None,
                text: line.into(),
            });
            if let Feed::Done(Err(e)) = parser.feed(line) {
                let reason =
                    e.0.lines()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches("Error: ");
                // `cancel` abandons the txn, as in the console: the session goes on.
                if reason != crate::ctl::TXN_ABANDONED {
                    return err(n, reason.to_string());
                }
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(directive) = t.strip_prefix('@') {
            let (name, rest) = directive
                .split_once(char::is_whitespace)
                .unwrap_or((directive, ""));
            let rest = rest.trim();
            let header = matches!(name, "nodes" | "seed" | "option" | "planted");
            if header && started {
                return err(
                    n,
                    format!("@{name} must come before the first command or step"),
                );
            }
            match name {
                "title" => title = rest.to_string(),
                "lesson" => lesson = true,
                "nodes" => {
                    let v: usize = rest.parse().map_err(|_| ScenarioError { line: n, reason: format!("bad node count {rest:?}") })?;
                    if v == 0 || v > MAX_NODES {
                        return err(n, format!("node count {v} is out of range (1 to {MAX_NODES})"));
                    }
                    cfg.nodes = v;
                }
                "seed" => {
                    cfg.seed = rest.parse().map_err(|_| ScenarioError { line: n, reason: format!("bad seed {rest:?}") })?;
                }
                "option" => {
                    for kv in rest.split_whitespace() {
                        let (k, v) = kv.split_once('=').ok_or(ScenarioError { line: n, reason: format!("option {kv:?} needs NAME=VALUE") })?;
                        set_option(&mut cfg, k, v).map_err(|e| ScenarioError { line: n, reason: e })?;
                    }
                    last_option_line = n;
                }
                "planted" => {
                    planted = PlantedBugs::parse_list(rest).map_err(|e| ScenarioError { line: n, reason: e })?;
                    planted.configure(&mut cfg);
                }
                "step" => {
                    lesson = true;
                    started = true;
                    let first_empty = steps.len() == 1 && steps[0] == Step::default();
                    let step = Step { title: rest.to_string(), ..Step::default() };
                    if first_empty {
                        steps[0] = step;
                    } else {
                        steps.push(step);
                    }
                }
                "until" => {
                    let (ms, step, _) = timed(&format!("{rest} -"), n)?;
                    if ms < last_at {
                        return err(n, format!("time {ms} ms is before the previous line's {last_at} ms"));
                    }
                    last_at = ms;
                    reached = reached.max(ms);
                    steps.last_mut().expect("a step").until = Some((ms, step));
                }
                "say" => steps.last_mut().expect("a step").narration.push(rest.to_string()),
                "expect" => {
                    let e = Expect::parse(rest).map_err(|e| ScenarioError { line: n, reason: e })?;
                    steps.last_mut().expect("a step").expects.push((n, e));
                }
                other => return err(n, format!("unknown directive @{other} (title, nodes, seed, option, planted, lesson, step, say, expect, until)")),
            }
            continue;
        }
        started = true;
        let (at_ms, at_step, cmd) = match t.strip_prefix("at ") {
            Some(rest) => {
                let (ms, step, cmd) = timed(rest, n)?;
                if ms < last_at {
                    return err(
                        n,
                        format!("time {ms} ms is before the previous line's {last_at} ms"),
                    );
                }
                last_at = ms;
                reached = reached.max(ms);
                (Some(ms), step, cmd)
            }
            None => (None, None, line.to_string()),
        };
        if !cmd.trim_start().starts_with("cancel") {
            // Aliases (`leader`, `follower`) are resolved when the line runs; check the rest.
            let first = cmd.split_whitespace().next().unwrap_or("");
            let check = if crate::playground::ALIAS_VERBS.contains(&first) {
                cmd.replace("leader", "1")
                    .replace("follower", "2")
                    .replace("crashed", "3")
            } else {
                cmd.clone()
            };
            match parser.feed(&check) {
                Feed::Done(Err(e)) => {
                    return err(
                        n,
                        e.0.lines()
                            .next()
                            .unwrap_or("")
                            .trim_start_matches("Error: ")
                            .to_string(),
                    )
                }
                Feed::Done(Ok(inv)) => {
                    let timed = at_ms.is_some();
                    let asks = bound::asks_for(&inv.command, cfg.tick_ms, timed);
                    reached = reached.saturating_add(asks);
                    if let Some(reason) = bound::total_refused(reached) {
                        return err(n, reason);
                    }
                }
                Feed::NeedMore | Feed::Nothing => {}
            }
        }
        steps.last_mut().expect("a step").lines.push(Line {
            number: n,
            at_ms,
            at_step,
            text: cmd.into(),
        });
    }
    if parser.pending() {
        return err(
            text.lines().count(),
            "the last txn is not finished (it needs three blank lines)",
        );
    }
    if let Err(e) = cfg.validate() {
        return err(last_option_line, e);
    }
    Ok(Scenario {
        title,
        config: cfg,
        planted,
        lesson,
        steps,
    })
}
