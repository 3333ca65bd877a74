//! The playground's fault and time lines (not etcdctl): `partition 1,2 3,4,5`, `heal`,
//! `crash 3`, `cut 1->2`, `link 1->2 drop=0.2 latency=5-50ms`, `sleep 5s`, `tick 3`, ...; and
//! the teaching menu's `plant NAME,...`.

use sim::{Action, LinkConfig};

use super::lexer::Word;
use super::{Command, ParseError};

/// If `name` is a fault or time line's first word, parses the line.
pub(crate) fn parse(name: &str, args: &[Word]) -> Option<Result<Command, ParseError>> {
    let args: Vec<String> = args.iter().map(Word::text).collect();
    let r = match name {
        "partition" => partition(&args),
        "heal" => none(name, &args).map(|()| Command::Fault(Action::Heal)),
        "crash" => node(name, &args).map(|n| Command::Fault(Action::Crash(n))),
        "restart" => node(name, &args).map(|n| Command::Fault(Action::Restart(n))),
        "pause" => node(name, &args).map(|n| Command::Fault(Action::Pause(n))),
        "resume" => node(name, &args).map(|n| Command::Fault(Action::Resume(n))),
        "campaign" => node(name, &args).map(|n| Command::Fault(Action::Campaign(n))),
        "cut" => link_only(name, &args).map(|(from, to)| Command::Fault(Action::Cut { from, to })),
        "restore" => {
            link_only(name, &args).map(|(from, to)| Command::Fault(Action::Restore { from, to }))
        }
        "hold" => {
            link_only(name, &args).map(|(from, to)| Command::Fault(Action::Hold { from, to }))
        }
        "release" => link_msg(name, &args)
            .map(|(from, to, msg)| Command::Fault(Action::Release { from, to, msg })),
        "drop" | "discard" => link_msg(name, &args)
            .map(|(from, to, msg)| Command::Fault(Action::Discard { from, to, msg })),
        "link" => set_link(&args),
        "network" => link_config(&args).map(|c| Command::Fault(Action::SetNetwork(c))),
        "sleep" => duration(name, &args).map(|ms| Command::Sleep { ms }),
        "run" => duration(name, &args).and_then(run_length),
        "tick" => tick(&args),
        "plant" => match args.is_empty() {
            true => Ok(Command::Plant(None)),
            false => crate::planted::PlantedBugs::parse_list(&args.join(" "))
                .map(|b| Command::Plant(Some(b))),
        },
        _ => return None,
    };
    Some(r.map_err(ParseError::new))
}

fn none(name: &str, args: &[String]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("{name} takes no arguments"))
    }
}

/// `3` or `node3`.
fn node_id(s: &str) -> Result<u64, String> {
    let d = s.strip_prefix("node").unwrap_or(s);
    match d.parse::<u64>() {
        Ok(n) if n > 0 && d.chars().all(|c| c.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "bad node id {s:?} (want 1, 2, ... or node1, node2, ...)"
        )),
    }
}

fn node(name: &str, args: &[String]) -> Result<u64, String> {
    match args {
        [n] => node_id(n),
        _ => Err(format!("{name} needs one node id, e.g. {name} 3")),
    }
}

fn partition(args: &[String]) -> Result<Command, String> {
    if args.is_empty() {
        return Err("partition needs groups of node ids, e.g. partition 1,2 3,4,5".into());
    }
    let mut groups = Vec::new();
    let mut seen = Vec::new();
    for g in args {
        let mut group = Vec::new();
        for n in g.split(',').filter(|s| !s.is_empty()) {
            let id = node_id(n)?;
            if seen.contains(&id) {
                return Err(format!("node {id} is in two partition groups"));
            }
            seen.push(id);
            group.push(id);
        }
        if !group.is_empty() {
            groups.push(group);
        }
    }
    Ok(Command::Fault(Action::Partition(groups)))
}

/// `1->2` (or `1 -> 2`), returning the link and how many words it used.
fn link_arg(name: &str, args: &[String]) -> Result<((u64, u64), usize), String> {
    let usage = || format!("{name} needs a link, e.g. {name} 1->2");
    let (text, used) = match args {
        [a, arrow, b, ..] if arrow == "->" => (format!("{a}->{b}"), 3),
        [a, ..] => (a.clone(), 1),
        [] => return Err(usage()),
    };
    let (from, to) = text.split_once("->").ok_or_else(usage)?;
    let (from, to) = (node_id(from)?, node_id(to)?);
    if from == to {
        return Err(format!(
            "a link joins two different nodes, got {from}->{to}"
        ));
    }
    Ok(((from, to), used))
}

fn link_only(name: &str, args: &[String]) -> Result<(u64, u64), String> {
    let (link, used) = link_arg(name, args)?;
    if args.len() > used {
        return Err(format!("{name} takes only a link, e.g. {name} 1->2"));
    }
    Ok(link)
}

fn link_msg(name: &str, args: &[String]) -> Result<(u64, u64, Option<u64>), String> {
    let ((from, to), used) = link_arg(name, args)?;
    let msg = match &args[used..] {
        [] => None,
        [m] => Some(
            m.parse::<u64>()
                .map_err(|_| format!("bad message number {m:?}"))?,
        ),
        _ => {
            return Err(format!(
                "{name} takes a link and an optional message number"
            ))
        }
    };
    Ok((from, to, msg))
}

fn set_link(args: &[String]) -> Result<Command, String> {
    let ((from, to), used) = link_arg("link", args)?;
    let config = link_config(&args[used..])?;
    Ok(Command::Fault(Action::SetLink { from, to, config }))
}

fn prob(k: &str, v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{k}={v}: want a probability between 0 and 1")),
    }
}

/// `drop=0.2 latency=5-50ms dup=0.1 reorder=on`, starting from the default link.
fn link_config(args: &[String]) -> Result<LinkConfig, String> {
    if args.is_empty() {
        return Err("give link settings, e.g. drop=0.1 latency=5-50ms dup=0.1 reorder=on".into());
    }
    let mut c = LinkConfig::default();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("bad link setting {a:?} (want key=value)"))?;
        match k {
            "drop" => c.drop_prob = prob(k, v)?,
            "dup" | "duplicate" => c.duplicate_prob = prob(k, v)?,
            "reorder" => {
                c.reorder = match v {
                    "on" | "true" | "yes" | "1" => true,
                    "off" | "false" | "no" | "0" => false,
                    _ => return Err(format!("reorder={v}: want on or off")),
                }
            }
            "latency" => {
                let (lo, hi) = match v.split_once('-') {
                    Some((lo, hi)) => {
                        let unit: String = hi
                            .chars()
                            .skip_while(|c| c.is_ascii_digit() || *c == '.')
                            .collect();
                        let lo = if lo.chars().all(|c| c.is_ascii_digit() || c == '.') {
                            format!("{lo}{unit}")
                        } else {
                            lo.to_string()
                        };
                        (lo, hi.to_string())
                    }
                    None => (v.to_string(), v.to_string()),
                };
                c.latency_min_ms = sim::time::parse_duration(&lo)?;
                c.latency_max_ms = sim::time::parse_duration(&hi)?;
            }
            _ => {
                return Err(format!(
                    "unknown link setting {k:?} (drop, latency, dup, reorder)"
                ))
            }
        }
    }
    c.validate()?;
    Ok(c)
}

fn duration(name: &str, args: &[String]) -> Result<u64, String> {
    match args {
        [d] => sim::time::parse_duration(d),
        _ => Err(format!("{name} needs a duration, e.g. {name} 5s")),
    }
}

/// The most virtual time one `run` or `tick` line may cover: the work one line asks for stays
/// bounded (the repl runs it before the next line; the page fast-forwards over frames, and a
/// `cancel` stops it); ten minutes of a 51-node cluster take about a second natively.
pub const MAX_RUN_MS: u64 = 10 * 60 * 1000;

/// The most ticks one `tick` line may ask for: ten minutes at the default 100 ms tick.
pub const MAX_TICKS: u64 = MAX_RUN_MS / 100;

fn run_length(ms: u64) -> Result<Command, String> {
    if ms > MAX_RUN_MS {
        return Err(
            "run covers at most 10m of virtual time at once; run again to go further".into(),
        );
    }
    Ok(Command::Run { ms })
}

fn tick(args: &[String]) -> Result<Command, String> {
    let n = match args {
        [] => 1,
        [n] => n
            .parse::<u64>()
            .map_err(|_| format!("bad tick count {n:?}"))?,
        _ => return Err("tick takes an optional count, e.g. tick 3".into()),
    };
    if n > MAX_TICKS {
        return Err(format!(
            "tick runs at most {MAX_TICKS} ticks at once (got {n}); tick again to go further"
        ));
    }
    Ok(Command::Tick { n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctl::parse_line;

    fn cmd(s: &str) -> Command {
        parse_line(s).unwrap().unwrap().command
    }

    #[test]
    fn faults() {
        assert_eq!(
            cmd("partition 1,2 3,4,5"),
            Command::Fault(Action::Partition(vec![vec![1, 2], vec![3, 4, 5]]))
        );
        assert_eq!(cmd("heal"), Command::Fault(Action::Heal));
        assert_eq!(cmd("crash node3"), Command::Fault(Action::Crash(3)));
        assert_eq!(
            cmd("cut 1->2"),
            Command::Fault(Action::Cut { from: 1, to: 2 })
        );
        assert_eq!(
            cmd("restore 1 -> 2"),
            Command::Fault(Action::Restore { from: 1, to: 2 })
        );
        assert_eq!(
            cmd("release 1->2 7"),
            Command::Fault(Action::Release {
                from: 1,
                to: 2,
                msg: Some(7)
            })
        );
        assert_eq!(
            cmd("drop 2->1"),
            Command::Fault(Action::Discard {
                from: 2,
                to: 1,
                msg: None
            })
        );
        let Command::Fault(Action::SetLink { config, .. }) =
            cmd("link 1->2 drop=0.2 latency=5-50ms dup=0.1 reorder=on")
        else {
            panic!()
        };
        assert_eq!(
            (config.latency_min_ms, config.latency_max_ms, config.reorder),
            (5, 50, true)
        );
        assert_eq!(config.drop_prob, 0.2);
        let Command::Fault(Action::SetNetwork(c)) = cmd("network latency=1s-2s") else {
            panic!()
        };
        assert_eq!((c.latency_min_ms, c.latency_max_ms), (1000, 2000));
    }

    #[test]
    fn time() {
        assert_eq!(cmd("sleep 5s"), Command::Sleep { ms: 5000 });
        use crate::planted::{PlantedBug, PlantedBugs};
        assert_eq!(cmd("plant"), Command::Plant(None));
        assert_eq!(cmd("plant none"), Command::Plant(Some(PlantedBugs::NONE)));
        let two = PlantedBugs::NONE
            .with(PlantedBug::FollowerLocalRead)
            .with(PlantedBug::DropWatchEvent);
        assert_eq!(
            cmd("plant follower-local-read,drop-watch-event"),
            Command::Plant(Some(two))
        );
        let e = parse_line("plant lose-everything").unwrap_err();
        assert!(e.0.contains("no planted bug"), "{e:?}");
        assert_eq!(cmd("run 1.5s"), Command::Run { ms: 1500 });
        assert_eq!(cmd("run 10m"), Command::Run { ms: MAX_RUN_MS });
        assert_eq!(cmd("tick 6000"), Command::Tick { n: MAX_TICKS });
        for long in [
            "run 600001ms",
            "run 99999999h",
            "tick 6001",
            "tick 18446744073709551615",
        ] {
            let e = parse_line(long).unwrap_err().0;
            assert!(e.contains("at once") && e.contains("again"), "{long}: {e}");
        }
        assert_eq!(cmd("tick"), Command::Tick { n: 1 });
        assert_eq!(cmd("tick 4"), Command::Tick { n: 4 });
    }

    #[test]
    fn errors() {
        for bad in [
            "crash",
            "crash x",
            "crash 0",
            "cut 1",
            "cut 1->1",
            "partition",
            "partition 1,2 2,3",
            "link 1->2 drop=2",
            "link 1->2 latency=50-5ms",
            "link 1->2 color=red",
            "sleep",
            "sleep 5",
            "tick x",
            "heal now",
            "release 1->2 x",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
