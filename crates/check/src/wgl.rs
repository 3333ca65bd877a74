//! The Wing–Gong–Lowe search, as in Porcupine: the history is a doubly linked list of call and
//! return entries ordered by time; the search repeatedly picks a call that precedes every
//! pending return, applies it to the model, and lifts it (and its return) out of the list. When
//! it meets a return entry, the operation it belongs to cannot be linearized before its
//! deadline, so it backtracks. A cache of (linearized set, state) pairs already explored
//! prunes the search (Lowe's memoization).

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::bitset::Bitset;
use crate::hash::{fx_hash, mix, BuildIdentity};
use crate::history::{Input, Output};
use crate::model::{Model, Outcome};

/// One operation as the search sees it.
#[derive(Debug, Clone)]
pub(crate) struct SearchOp {
    /// Index in the original history (what results report).
    pub index: usize,
    /// Call time.
    pub call: u64,
    /// Return time; `None` = never (the operation may take effect at any time after its call).
    pub ret: Option<u64>,
    /// The request.
    pub input: Input,
    /// The response (a write of unknown outcome that a read proves took effect has its
    /// known output here).
    pub output: Output,
}

/// How a search ended.
#[derive(Debug)]
pub(crate) enum SearchResult {
    /// A full linearization, as original indices.
    Linearizable(Vec<usize>),
    /// No linearization exists.
    Violation {
        /// The longest linearizable prefix found, as original indices.
        prefix: Vec<usize>,
        /// The operation that could not be linearized after it.
        stuck: usize,
        /// The model's account of why.
        explanation: String,
    },
}

const NIL: usize = usize::MAX;
const HEAD: usize = 0;

/// The linked list of entries. Node 0 is the head sentinel; node `1 + 2i` is the call of
/// operation `i` (in time order), its return some later node.
struct Entries {
    next: Vec<usize>,
    prev: Vec<usize>,
    /// For each node: the operation (index into the search ops), or NIL for the head.
    op: Vec<usize>,
    /// For a call node, its return node; NIL for return nodes and the head.
    matching: Vec<usize>,
}

impl Entries {
    fn new(ops: &[SearchOp]) -> Entries {
        // (time, is_return, op): calls before returns at equal times, so that operations
        // touching at a millisecond count as concurrent.
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, false, i));
            events.push((op.ret.unwrap_or(u64::MAX), true, i));
        }
        order::sort(&mut events);
        let n = events.len() + 1;
        let mut e = Entries {
            next: (1..=n).map(|i| if i == n { NIL } else { i }).collect(),
            prev: (0..n).map(|i| i.wrapping_sub(1)).collect(),
            op: vec![NIL; n],
            matching: vec![NIL; n],
        };
        e.prev[HEAD] = NIL;
        let mut call_node = vec![NIL; ops.len()];
        for (k, &(_, is_return, i)) in events.iter().enumerate() {
            let node = k + 1;
            e.op[node] = i;
            if is_return {
                e.matching[call_node[i]] = node;
            } else {
                call_node[i] = node;
            }
        }
        e
    }

    fn is_call(&self, node: usize) -> bool {
        self.matching[node] != NIL
    }

    fn lift(&mut self, call: usize) {
        let (p, n) = (self.prev[call], self.next[call]);
        self.next[p] = n;
        self.prev[n] = p;
        let ret = self.matching[call];
        let (p, n) = (self.prev[ret], self.next[ret]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    fn unlift(&mut self, call: usize) {
        let ret = self.matching[call];
        let (p, n) = (self.prev[ret], self.next[ret]);
        self.next[p] = ret;
        if n != NIL {
            self.prev[n] = ret;
        }
        let (p, n) = (self.prev[call], self.next[call]);
        self.next[p] = call;
        self.prev[n] = call;
    }
}

/// A model state with its hash, shared between the stack and the cache.
type Shared<S> = Rc<(S, u64)>;

fn share<S: std::hash::Hash>(s: S) -> Shared<S> {
    let h = fx_hash(&s);
    Rc::new((s, h))
}

/// A multiset of progress ceilings.
#[derive(Default)]
struct Ceilings(BTreeMap<i64, usize>);

impl Ceilings {
    fn add(&mut self, c: i64) {
        *self.0.entry(c).or_default() += 1;
    }

    fn remove(&mut self, c: i64) {
        match self.0.get_mut(&c) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                self.0.remove(&c);
            }
        }
    }

    /// The smallest ceiling, or `i64::MAX` if there is none.
    fn min(&self) -> i64 {
        self.0.first_key_value().map_or(i64::MAX, |(c, _)| *c)
    }
}

/// The deepest point the search reached (operations as indices into the search ops).
struct Deepest<S> {
    prefix: Vec<usize>,
    /// The operation whose deadline could not be met after `prefix`.
    stuck: usize,
    state: Shared<S>,
    linearized: Bitset,
}

/// Describe the failure found at the deepest point.
fn violation<M: Model>(
    model: &M,
    ops: &[SearchOp],
    ceiling: &[Option<i64>],
    best: Deepest<M::State>,
) -> SearchResult {
    let op = &ops[best.stuck];
    let mut explanation = model.explain(&best.state.0, &op.input, &op.output);
    let after = match model.step(&best.state.0, &op.input, &op.output) {
        Outcome::Changed(s) | Outcome::Either(s) => Some(model.progress(&s)),
        Outcome::Unchanged => Some(model.progress(&best.state.0)),
        Outcome::Illegal => None,
    };
    // If the step itself was legal, a pending operation's ceiling must have blocked it.
    let blocker = (0..ops.len())
        .filter(|&i| i != best.stuck && !best.linearized.get(i))
        .filter_map(|i| ceiling[i].map(|c| (c, i)))
        .min();
    if let (Some(progress), Some((c, i))) = (after, blocker) {
        if progress > c {
            explanation.push_str(&format!(
                "; applying it would take the store to revision {progress}, but operation #{}, \
                 not yet linearized, needs the revision to be at most {c} when it runs",
                ops[i].index
            ));
        }
    }
    SearchResult::Violation {
        prefix: best.prefix.iter().map(|&i| ops[i].index).collect(),
        stuck: op.index,
        explanation,
    }
}

/// An operation linearized on the current path.
struct Frame<S> {
    node: usize,
    before: Shared<S>,
    /// The scan phase it was linearized in.
    second_phase: bool,
}

/// The memo cache: (linearized set, state) pairs already reached.
struct Cache<S> {
    buckets: HashMap<u64, Vec<(Bitset, Shared<S>)>, BuildIdentity>,
}

impl<S: Eq> Cache<S> {
    /// Add `op` to `linearized`; if (that set, `state`) is new, remember it and return true
    /// (leaving `op` in the set), else undo and return false.
    fn visit(&mut self, linearized: &mut Bitset, op: usize, state: &Shared<S>) -> bool {
        linearized.set(op);
        let key = mix(linearized.hash() ^ state.1);
        let bucket = self.buckets.entry(key).or_default();
        let seen = bucket
            .iter()
            .any(|(set, s)| s.1 == state.1 && set == linearized && s.0 == state.0);
        if seen {
            linearized.clear(op);
            return false;
        }
        bucket.push((linearized.clone(), state.clone()));
        true
    }
}

/// A Wing–Gong–Lowe search that can stop after any number of model steps and go on later
/// from exactly where it stopped: driven in slices it reaches the same result, in the same
/// number of steps, as driven in one go.
///
/// Operations that never return (`ret == None`) need not be linearized at all: leaving one
/// out is the same as it never taking effect. So for them [`Outcome::Either`] only explores
/// the "took effect" branch. Among the candidates at each point, operations that do return
/// are tried first: a write of unknown outcome is usually better left for later.
pub(crate) struct Search<M: Model> {
    model: M,
    ops: Vec<SearchOp>,
    entries: Entries,
    linearized: Bitset,
    cache: Cache<M::State>,
    frames: Vec<Frame<M::State>>,
    state: Shared<M::State>,
    best: Option<Deepest<M::State>>,
    /// Operations with a deadline not yet linearized: the search is done when none is left.
    due: usize,
    /// The model's progress ceiling of each operation with a deadline.
    ceiling: Vec<Option<i64>>,
    /// The ceilings of the operations not yet linearized (a multiset).
    ceilings: Ceilings,
    /// The entry the scan is at.
    entry: usize,
    /// Phase one scans forward from the head for candidates that have a deadline, up to the
    /// first return entry. Phase two then scans backward from there for open-ended ones, most
    /// recently called first (the ones called long ago most likely never took effect).
    second_phase: bool,
}

impl<M: Model> Search<M> {
    /// A search for a linearization of `ops` under `model`, not started yet.
    pub(crate) fn new(model: M, ops: Vec<SearchOp>) -> Self {
        let entries = Entries::new(&ops);
        let ceiling: Vec<Option<i64>> = ops
            .iter()
            .map(|op| op.ret.and(model.ceiling(&op.input, &op.output)))
            .collect();
        let mut ceilings = Ceilings::default();
        ceiling.iter().flatten().for_each(|&c| ceilings.add(c));
        let state = share(model.init());
        Search {
            linearized: Bitset::new(ops.len()),
            cache: Cache {
                buckets: HashMap::default(),
            },
            frames: Vec::new(),
            state,
            best: None,
            due: ops.iter().filter(|op| op.ret.is_some()).count(),
            ceiling,
            ceilings,
            entry: entries.next[HEAD],
            second_phase: false,
            entries,
            model,
            ops,
        }
    }

    /// The operations searched.
    pub(crate) fn ops(&self) -> &[SearchOp] {
        &self.ops
    }

    fn open_ended(&self, node: usize) -> bool {
        self.ops[self.entries.op[node]].ret.is_none()
    }

    fn advance(&self, node: usize) -> usize {
        match self.second_phase {
            false => self.entries.next[node],
            true => self.entries.prev[node],
        }
    }

    /// Goes on with the search, spending at most `budget` model steps (the budget is
    /// decremented by the steps used). `None` if the budget ran out first: call again to go on.
    pub(crate) fn run(&mut self, budget: &mut u64) -> Option<SearchResult> {
        loop {
            if self.due == 0 {
                // Every operation that returned is linearized; the rest never took effect.
                let order = self
                    .frames
                    .iter()
                    .map(|f| self.ops[self.entries.op[f.node]].index);
                return Some(SearchResult::Linearizable(order.collect()));
            }
            let entry = self.entry;
            if entry != HEAD && self.entries.is_call(entry) {
                if self.open_ended(entry) != self.second_phase {
                    self.entry = self.advance(entry);
                    continue;
                }
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                self.try_candidate(entry);
            } else if !self.second_phase {
                // `entry` is the first return entry.
                self.second_phase = true;
                self.entry = self.entries.prev[entry];
            } else if let Some(result) = self.backtrack() {
                return Some(result);
            }
        }
    }

    /// Applies the call at `entry` to the model: linearizes it if that leads somewhere new,
    /// else moves on to the next candidate.
    fn try_candidate(&mut self, entry: usize) {
        let op = self.entries.op[entry];
        let (input, output) = (&self.ops[op].input, &self.ops[op].output);
        let next_state = match self.model.step(&self.state.0, input, output) {
            Outcome::Illegal => None,
            // Linearizing an open-ended no-op is the same as leaving it out.
            Outcome::Unchanged if self.second_phase => None,
            Outcome::Unchanged => Some(self.state.clone()),
            Outcome::Changed(s) | Outcome::Either(s) => Some(share(s)),
        };
        if let Some(c) = self.ceiling[op] {
            self.ceilings.remove(c);
        }
        let next_state =
            next_state.filter(|next| self.model.progress(&next.0) <= self.ceilings.min());
        match next_state {
            Some(next) if self.cache.visit(&mut self.linearized, op, &next) => {
                self.frames.push(Frame {
                    node: entry,
                    before: std::mem::replace(&mut self.state, next),
                    second_phase: self.second_phase,
                });
                self.entries.lift(entry);
                self.due -= usize::from(!self.second_phase);
                self.entry = self.entries.next[HEAD];
                self.second_phase = false;
            }
            _ => {
                if let Some(c) = self.ceiling[op] {
                    self.ceilings.add(c);
                }
                self.entry = self.advance(entry);
            }
        }
    }

    /// Back at the head: nothing can be linearized before the first deadline. Undoes the last
    /// linearized operation, or ends the search with a violation if there is none.
    fn backtrack(&mut self) -> Option<SearchResult> {
        if self
            .best
            .as_ref()
            .is_none_or(|b| b.prefix.len() < self.frames.len())
        {
            let mut first_return = self.entries.next[HEAD];
            while self.entries.is_call(first_return) {
                first_return = self.entries.next[first_return];
            }
            self.best = Some(Deepest {
                prefix: self
                    .frames
                    .iter()
                    .map(|f| self.entries.op[f.node])
                    .collect(),
                stuck: self.entries.op[first_return],
                state: self.state.clone(),
                linearized: self.linearized.clone(),
            });
        }
        let Some(frame) = self.frames.pop() else {
            let best = self.best.take().expect("recorded above");
            return Some(violation(&self.model, &self.ops, &self.ceiling, best));
        };
        let op = self.entries.op[frame.node];
        self.linearized.clear(op);
        if let Some(c) = self.ceiling[op] {
            self.ceilings.add(c);
        }
        self.entries.unlift(frame.node);
        self.state = frame.before;
        self.second_phase = frame.second_phase;
        self.due += usize::from(!self.second_phase);
        self.entry = self.advance(frame.node);
        None
    }
}
