//! Why a log entry is where it is: who wrote it, when it reached a node, when and by which
//! majority it was committed, whether it replaced other entries after a heal, whether it lives
//! on only in a snapshot.

use super::messages::commit_sentence;
use super::replay::Replay;
use super::{note_partial, secs, Case, Params, Source, Why};
use crate::trace::{Role, TraceEvent, TraceKind};

/// Explains the entry at `index` in node `id`'s log (as of the last kept event).
pub fn entry(events: &[TraceEvent], p: &Params, id: u64, index: u64) -> Why {
    let all = Replay::until(events, u64::MAX);
    let Some(n) = all.get(id) else {
        return Why::new(
            Case::Unknown,
            format!("Node {id} is not in the kept trace."),
        );
    };
    let overwrites: Vec<_> = all
        .overwrites
        .iter()
        .filter(|o| o.node == id && o.from <= index && index <= o.old_last)
        .collect();
    if index <= n.log.base {
        let installed = events.iter().rev().find_map(|e| match e.kind {
            TraceKind::SnapshotInstalled { node, index: i } if node == id && i >= index => {
                Some(e.time_ms)
            }
            _ => None,
        });
        if installed.is_none() && index <= 1 {
            return Why::new(
                Case::Entry,
                format!(
                    "Index {index} is the initial configuration every node starts from: raftlab \
                     bootstraps each member from a snapshot at index 1, term 1, listing the \
                     voters."
                ),
            );
        }
        let how = match installed {
            Some(t) => format!(
                "node {id} installed a snapshot from the leader at {}",
                secs(t)
            ),
            None => format!("node {id} compacted its log into a snapshot"),
        };
        return Why::new(
            Case::Entry,
            format!(
                "Index {index} is no longer in node {id}'s log: {how}, which holds the state of \
                 every entry up to index {}.",
                n.log.base
            ),
        )
        .detail(
            "Committed, applied entries can be replaced by a snapshot of the state they built, \
             so the log does not grow forever (§7).",
        )
        .source(Source::Paper("7"));
    }
    let Some(term) = n.log.term_of(index) else {
        let mut why = Why::new(
            Case::Entry,
            format!(
                "Node {id}'s log ends at index {}: it has no entry at index {index}.",
                n.log.last_index()
            ),
        );
        if let Some(o) = overwrites.last() {
            why = overwritten(why, o);
        }
        return note_partial(why, events);
    };
    let leader = events.iter().find_map(|e| match e.kind {
        TraceKind::Role {
            node,
            role: Role::Leader,
            term: t,
            ..
        } if t == term => Some(node),
        _ => None,
    });
    let mut why = Why::new(
        Case::Entry,
        format!("Node {id}'s entry at index {index} has term {term}."),
    );
    if let Some(l) = leader {
        why.headline = format!(
            "Node {id}'s entry at index {index} was written by node {l} as leader of term {term}.",
        );
        why = why.detail(origin(events, l, term, index));
    }
    if let Some(t) = reached(events, id, index, term) {
        if leader != Some(id) {
            why = why.detail(format!(
                "It reached node {id} in an append at {}, which node {id} accepted because its \
                 log matched the leader's just before it (§5.3).",
                secs(t)
            ));
        }
    }
    why = why.source(Source::Paper("5.3"));
    match committed(events, p, index, term) {
        Some(sentence) if n.commit >= index => {
            why = why.detail(sentence).source(Source::Paper("5.4.2"));
        }
        _ => {
            let holders: Vec<u64> = all
                .nodes
                .iter()
                .filter(|(_, m)| m.log.term_of(index) == Some(term))
                .map(|(i, _)| *i)
                .collect();
            why = why.detail(format!(
                "It is not committed at node {id} (commit index {}): as far as the trace shows, \
                 node(s) {} hold it; it commits once a majority ({} of {}) does and a leader of \
                 its term (or a later leader, with an entry of its own term after it) counts \
                 them (§5.3, §5.4.2).",
                n.commit,
                super::ids(&holders),
                p.majority_at(id, u64::MAX),
                p.voters_at(id, u64::MAX)
            ));
        }
    }
    if let Some(o) = overwrites.last() {
        why = overwritten(why, o);
    }
    note_partial(why, events)
}

/// Marks an explanation as being about entries replaced after a heal.
fn overwritten(mut why: Why, o: &super::replay::Overwrite) -> Why {
    let old: Vec<String> = o.old_terms.iter().map(u64::to_string).collect();
    let by = if o.leader != 0 {
        format!("leader {}'s", o.leader)
    } else {
        "the leader's".to_string()
    };
    why.case = Case::Overwritten;
    let first = if o.from == o.old_last {
        format!(
            "At {} node {}'s entry {} (of term {}) was replaced by {by} entry of term {}.",
            secs(o.time_ms),
            o.node,
            o.from,
            old.join(", "),
            o.new_term
        )
    } else {
        format!(
            "At {} node {}'s entries {} to {} (of term(s) {}) were replaced by {by} entries (up \
             to term {}).",
            secs(o.time_ms),
            o.node,
            o.from,
            o.old_last,
            old.join(", "),
            o.new_term
        )
    };
    why.details.insert(0, why.headline.clone());
    why.headline = first;
    why.detail(
        "They had never been committed: a leader cut off from the majority could append them \
         but not commit them. When the node hears from the newer leader, its conflicting \
         entries lose: a follower deletes a conflicting entry and everything after it, and takes \
         the leader's (§5.3).",
    )
    .source(Source::Paper("5.3"))
}

/// The write behind an entry: a client request, or a new leader's empty entry.
fn origin(events: &[TraceEvent], leader: u64, term: u64, index: u64) -> String {
    let written = format!("written at {index}");
    let request = events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Response { id, outcome, .. } if *outcome == written => Some(*id),
        _ => None,
    });
    if let Some(rid) = request {
        let what = events.iter().find_map(|e| match &e.kind {
            TraceKind::Request { id, node, what } if *id == rid => Some((*node, what.clone())),
            _ => None,
        });
        if let Some((node, what)) = what {
            let what = what.strip_prefix("propose ").unwrap_or(&what).to_string();
            return format!(
                "A client asked node {node} for `{what}` (request {rid}); node {leader} appended \
                 it to its log, and only a leader appends new entries."
            );
        }
    }
    let first_of_term = events.iter().find_map(|e| match e.kind {
        TraceKind::Append {
            node,
            first,
            term: t,
            ..
        } if node == leader && t == term => Some(first),
        _ => None,
    });
    if first_of_term == Some(index) {
        return format!(
            "It is the empty entry node {leader} appended on becoming leader: a leader commits \
             entries of earlier terms only by committing one of its own term, so it writes one \
             at once (§5.4.2, §8)."
        );
    }
    format!("Node {leader} appended it to its log as leader of term {term}.")
}

/// When the entry reached node `id` (its last append covering the index with that term).
fn reached(events: &[TraceEvent], id: u64, index: u64, term: u64) -> Option<u64> {
    let mut at = None;
    for e in events {
        if let TraceKind::Append {
            node, first, last, ..
        } = e.kind
        {
            if node == id && first <= index && index <= last {
                at = Some(e.time_ms);
            }
        }
    }
    let _ = term;
    at
}

/// How the entry was committed: the first commit at a leader covering it.
fn committed(events: &[TraceEvent], p: &Params, index: u64, term: u64) -> Option<String> {
    let mut leaders = std::collections::BTreeMap::new();
    for e in events {
        match e.kind {
            TraceKind::Role {
                node,
                role,
                term: t,
                ..
            } => {
                if role == Role::Leader {
                    leaders.insert(node, t);
                } else {
                    leaders.remove(&node);
                }
            }
            TraceKind::Commit { node, index: c } if c >= index => {
                let Some(lt) = leaders.get(&node).copied().filter(|lt| *lt >= term) else {
                    continue;
                };
                let r = Replay::until(events, e.seq + 1);
                let lm = r.get(node)?;
                if lm.log.term_of(index) != Some(term) {
                    continue;
                }
                let mut s = format!(
                    "It was committed at {}. {}",
                    secs(e.time_ms),
                    commit_sentence(node, lm, c, e.seq, p)
                );
                if lt > term {
                    s.push_str(&format!(
                        " Entry {index} is of term {term}, older than the leader's term {lt}: it \
                         was committed indirectly, along with the leader's own entries up to \
                         index {c}."
                    ));
                }
                return Some(s);
            }
            _ => {}
        }
    }
    None
}
