//! The Check panel's first sentence on a violation: the operation that cannot be placed, and
//! why, in plain words ("get x through node 1 at 10.0 s returned 1, but put x=2 had finished at
//! 8.7 s: a stale read"). The checker's own account stays below it.
//!
//! A stale read is proved by revisions alone: etcd's store revision only grows, so a read whose
//! answer carries a revision older than a write that had finished before the read began saw
//! the store as it was before that write. When no such read explains the violation, the
//! sentence names the operation where the checker's search got stuck.

use check::history::{Input, Operation, Output};

use crate::op_words::describe;

/// The operation a learner should look at, and the sentence about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Culprit {
    /// Index in the history.
    pub index: usize,
    /// One plain sentence.
    pub sentence: String,
}

/// A virtual time as a learner reads it.
fn at(ms: u64) -> String {
    sim::explain::secs(ms)
}

/// "through node 1" (the history's clients are the members the requests went to).
fn through(client: u32) -> String {
    if client == harness::history::SERVER_CLIENT {
        "by the leader (a lease expiry)".to_string()
    } else {
        format!("through node {client}")
    }
}

/// A write's words and the revision it made: `put x=2`, 3.
fn write_on(o: &Operation, key: &str) -> Option<(String, i64)> {
    match (&o.input, &o.output) {
        (Input::Put { key: k, value }, Output::Put { revision })
        | (Input::PutWithLease { key: k, value, .. }, Output::Put { revision })
            if k == key =>
        {
            Some((format!("put {k}={value}"), *revision))
        }
        (Input::Delete { key: k }, Output::Delete { deleted, revision })
            if k == key && *deleted > 0 =>
        {
            Some((format!("del {k}"), *revision))
        }
        _ => None,
    }
}

/// The stale read that best explains a violation found at `stuck`: a linearizable get on the
/// stuck operation's key (else on any key) whose revision is older than a write on its key that
/// had finished before the get was called.
fn stale_read(history: &[Operation], stuck: usize) -> Option<Culprit> {
    let stuck_key = history.get(stuck).and_then(|o| o.input.key());
    let mut found: Vec<(bool, u64, usize, String)> = Vec::new();
    for (i, r) in history.iter().enumerate() {
        let (
            Input::Get {
                key,
                revision: None,
            },
            Output::Get { kv, revision: rr },
        ) = (&r.input, &r.output)
        else {
            continue;
        };
        let newest = history
            .iter()
            .filter(|w| w.return_ms.is_some_and(|t| t < r.call_ms))
            .filter_map(|w| write_on(w, key).map(|(words, rev)| (rev, words, w.return_ms)))
            .filter(|(rev, ..)| rev > rr)
            .max_by_key(|(rev, ..)| *rev);
        let Some((rev, words, Some(done))) = newest else {
            continue;
        };
        let got = match kv {
            Some((v, _)) => v.clone(),
            None => "nothing".to_string(),
        };
        let sentence = format!(
            "get {key} {} at {} returned {got}, but {words} had finished at {}: a stale read \
             (the get saw revision {rr}; the {} made revision {rev}).",
            through(r.client),
            at(r.call_ms),
            at(done),
            words.split(' ').next().unwrap_or("write"),
        );
        found.push((Some(key.as_str()) != stuck_key, r.call_ms, i, sentence));
    }
    order::sort(&mut found);
    found
        .into_iter()
        .next()
        .map(|(_, _, index, sentence)| Culprit { index, sentence })
}

/// The culprit of a violation the checker found stuck at operation `stuck`.
pub fn culprit(history: &[Operation], stuck: usize) -> Option<Culprit> {
    if let Some(c) = stale_read(history, stuck) {
        return Some(c);
    }
    let o = history.get(stuck)?;
    let words = describe(&o.input, &o.output);
    let when = match o.return_ms {
        Some(t) => format!("called at {} and answered at {}", at(o.call_ms), at(t)),
        None => format!("called at {} and never answered", at(o.call_ms)),
    };
    Some(Culprit {
        index: stuck,
        sentence: format!(
            "{words} {}, {when}, cannot be placed: no order of the operations in which each takes \
             effect between its call and its answer explains what it returned.",
            through(o.client)
        ),
    })
}

/// The note on serializable reads, which the check leaves out on purpose ("" when none).
pub fn left_out_note(serializable: usize) -> String {
    match serializable {
        0 => String::new(),
        1 => "1 serializable read (--consistency=s) was left out on purpose: etcd answers it from \
              the member's own store, which may be behind, so it may be stale by design."
            .to_string(),
        n => format!(
            "{n} serializable reads (--consistency=s) were left out on purpose: etcd answers them \
             from the member's own store, which may be behind, so they may be stale by design."
        ),
    }
}

/// Whether a console line is a serializable read (left out of the history).
pub fn is_serializable_read(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("get ") && (l.contains("--consistency=s") || l.contains("--consistency s"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd::planted::{PlantedBug, PlantedBugs};
    use etcd::Playground;
    use sim::ClusterConfig;

    /// A session on a cluster whose followers answer linearizable reads locally (planted).
    fn stale_session() -> Playground {
        let bugs = PlantedBugs::NONE.with(PlantedBug::FollowerLocalRead);
        let mut pg = Playground::with_planted_bugs(ClusterConfig::new(3, 6), bugs).unwrap();
        for line in [
            "sleep 3s",
            "put x 1",
            "sleep 300ms",
            "partition 1",
            "put x 2 --endpoints=node3",
            "sleep 500ms",
            "get x --endpoints=node1",
            "get x --consistency=s --endpoints=node1",
        ] {
            let id = pg.exec(line).expect("a command");
            pg.run_until_settled(id, 10_000).unwrap();
        }
        pg
    }

    #[test]
    fn a_planted_stale_read_is_named_in_one_sentence() {
        let pg = stale_session();
        assert_eq!(
            pg.cluster().leader(),
            Some(3),
            "node 3 leads, node 1 is cut off"
        );
        let history = harness::session::SessionHistory::of(&pg).operations;
        let lines: Vec<String> = pg.given().iter().map(|r| r.line.to_string()).collect();
        let serializable = lines.iter().filter(|l| is_serializable_read(l)).count();
        assert_eq!(serializable, 1);
        let v = crate::checking::SessionCheck::start(history.clone(), &[], pg.now(), 1_000_000)
            .with_serializable(serializable)
            .advance(u64::MAX)
            .unwrap();
        assert_eq!(v.verdict, "Not linearizable", "{}", v.explanation);
        assert!(
            v.headline.starts_with("get x through node 1 at ")
                && v.headline
                    .contains(" returned 1, but put x=2 had finished at ")
                && v.headline.contains(": a stale read"),
            "{}",
            v.headline
        );
        assert!(
            v.left_out.starts_with("1 serializable read"),
            "{}",
            v.left_out
        );
        // The culprit is the highlighted bar: the get, not the put.
        let culprit: Vec<&crate::checking::OpBar> = v
            .bars
            .iter()
            .filter(|b| b.role == "stuck culprit")
            .collect();
        assert_eq!(culprit.len(), 1, "{:?}", v.bars);
        assert!(
            culprit[0].label.starts_with("get x → 1"),
            "{:?}",
            culprit[0]
        );
        assert_eq!(culprit[0].client, 1);
        // The checker's own account stays.
        assert!(!v.explanation.is_empty());
    }

    #[test]
    fn without_a_stale_read_the_stuck_operation_is_named() {
        let op = |client, call, ret, input, output| Operation {
            client,
            call_ms: call,
            return_ms: Some(ret),
            input,
            output,
        };
        // A get that returns a value nobody wrote.
        let h = vec![
            op(
                1,
                0,
                10,
                Input::Put {
                    key: "x".into(),
                    value: "1".into(),
                },
                Output::Put { revision: 2 },
            ),
            op(
                2,
                1_500,
                1_600,
                Input::Get {
                    key: "x".into(),
                    revision: None,
                },
                Output::Get {
                    kv: Some(("9".into(), 2)),
                    revision: 2,
                },
            ),
        ];
        let c = culprit(&h, 1).unwrap();
        assert_eq!(c.index, 1);
        assert!(
            c.sentence.starts_with("get x → 9 (mod 2) @2 through node 2, called at 1.5 s and answered at 1.6 s, cannot be placed"),
            "{}",
            c.sentence
        );
        assert_eq!(left_out_note(0), "");
        assert!(is_serializable_read("get a --consistency=s"));
        assert!(!is_serializable_read("get a"));
    }
}
