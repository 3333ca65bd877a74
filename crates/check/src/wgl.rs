//! The Wing–Gong–Lowe search, as in Porcupine: the history is a doubly linked list of call and
//! return entries ordered by time; the search repeatedly picks a call that precedes every
//! pending return, applies it to the model, and lifts it (and its return) out of the list. When
//! it meets a return entry, the operation it belongs to cannot be linearized before its
//! deadline, so it backtracks. A cache of (linearized set, state) pairs already explored
//! prunes the search (Lowe's memoization).

use std::collections::HashMap;
use std::rc::Rc;

use crate::bitset::Bitset;
use crate::hash::{fx_hash, mix, BuildIdentity};
use crate::history::{Input, Output};
use crate::model::{Model, Outcome};

/// One operation as the search sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchOp<'a> {
    /// Index in the original history (what results report).
    pub index: usize,
    /// Call time.
    pub call: u64,
    /// Return time; `None` = never (the operation may take effect at any time after its call).
    pub ret: Option<u64>,
    /// The request.
    pub input: &'a Input,
    /// The response.
    pub output: &'a Output,
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
    /// The step budget ran out.
    OutOfBudget,
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
    fn new(ops: &[SearchOp<'_>]) -> Entries {
        // (time, is_return, op): calls before returns at equal times, so that operations
        // touching at a millisecond count as concurrent.
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, false, i));
            events.push((op.ret.unwrap_or(u64::MAX), true, i));
        }
        events.sort_unstable();
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

/// The deepest point the search reached: (prefix length, stuck op, state there, prefix).
type Deepest<S> = (usize, usize, Shared<S>, Vec<usize>);

/// An operation linearized on the current path.
struct Frame<S> {
    node: usize,
    before: Shared<S>,
    /// An alternative outcome not tried yet (the "had no effect" branch of an unknown write).
    untried: Option<Shared<S>>,
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

/// Search for a linearization of `ops` under `model`, spending at most `budget` model steps
/// (the budget is decremented by the steps used).
pub(crate) fn search<M: Model>(model: &M, ops: &[SearchOp<'_>], budget: &mut u64) -> SearchResult {
    let mut entries = Entries::new(ops);
    let mut linearized = Bitset::new(ops.len());
    let mut cache = Cache {
        buckets: HashMap::default(),
    };
    let mut frames: Vec<Frame<M::State>> = Vec::new();
    let mut state = share(model.init());
    let mut best: Option<Deepest<M::State>> = None;

    let mut entry = entries.next[HEAD];
    while entries.next[HEAD] != NIL {
        if entries.is_call(entry) {
            if *budget == 0 {
                return SearchResult::OutOfBudget;
            }
            *budget -= 1;
            let op = entries.op[entry];
            let (first, second) = match model.step(&state.0, ops[op].input, ops[op].output) {
                Outcome::Illegal => (None, None),
                Outcome::Unchanged => (Some(state.clone()), None),
                Outcome::Changed(s) => (Some(share(s)), None),
                Outcome::Either(s) => (Some(share(s)), Some(state.clone())),
            };
            let mut untried = None;
            let taken = match (first, second) {
                (Some(a), b) if cache.visit(&mut linearized, op, &a) => {
                    untried = b;
                    Some(a)
                }
                (_, Some(b)) if cache.visit(&mut linearized, op, &b) => Some(b),
                _ => None,
            };
            match taken {
                Some(next_state) => {
                    frames.push(Frame {
                        node: entry,
                        before: std::mem::replace(&mut state, next_state),
                        untried,
                    });
                    entries.lift(entry);
                    entry = entries.next[HEAD];
                }
                None => entry = entries.next[entry],
            }
        } else {
            if best.as_ref().is_none_or(|b| frames.len() > b.0) {
                let prefix = frames
                    .iter()
                    .map(|f| ops[entries.op[f.node]].index)
                    .collect();
                best = Some((frames.len(), entries.op[entry], state.clone(), prefix));
            }
            let Some(frame) = frames.pop() else {
                let (_, stuck, at, prefix) = best.expect("recorded above");
                let op = &ops[stuck];
                return SearchResult::Violation {
                    prefix,
                    stuck: op.index,
                    explanation: model.explain(&at.0, op.input, op.output),
                };
            };
            let op = entries.op[frame.node];
            linearized.clear(op);
            entries.unlift(frame.node);
            state = frame.before;
            match frame.untried {
                Some(alt) if cache.visit(&mut linearized, op, &alt) => {
                    frames.push(Frame {
                        node: frame.node,
                        before: state,
                        untried: None,
                    });
                    state = alt;
                    entries.lift(frame.node);
                    entry = entries.next[HEAD];
                }
                _ => entry = entries.next[frame.node],
            }
        }
    }
    SearchResult::Linearizable(
        frames
            .iter()
            .map(|f| ops[entries.op[f.node]].index)
            .collect(),
    )
}
