//! Random histories that are linearizable by construction, for tests and benchmarks.
//!
//! Operations are executed one at a time against [`KvModel`] at strictly increasing
//! linearization points; each gets a call time before its point and a return time after it,
//! with clients issuing one call at a time. Some writes time out (applied or not, at random)
//! and some reads fail.

use crate::history::{CmpOp, CmpTarget, Comparison, History, Input, Operation, Output, TxnWrite};
use crate::model::{KvModel, KvState};

/// Shape of a generated history.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// Number of operations.
    pub ops: usize,
    /// Number of clients.
    pub clients: u32,
    /// Number of distinct keys (`k0`, `k1`, ...).
    pub keys: usize,
    /// Largest latency between a call (or return) and the linearization point, in ms.
    pub max_latency_ms: u64,
    /// Percentage of writes whose outcome is unknown.
    pub unknown_write_percent: u64,
    /// Percentage of reads that fail.
    pub failed_read_percent: u64,
    /// Include lease grants, puts with leases and revokes.
    pub leases: bool,
    /// Include reads at older revisions.
    pub historical_reads: bool,
    /// Turn some deletes into range deletes (over two keys, or every key).
    pub range_deletes: bool,
    /// Turn some compare-and-sets into transactions with several comparisons and writes.
    pub txns: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            ops: 200,
            clients: 8,
            keys: 4,
            max_latency_ms: 20,
            unknown_write_percent: 3,
            failed_read_percent: 3,
            leases: true,
            historical_reads: true,
            range_deletes: false,
            txns: false,
        }
    }
}

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::hash::mix(self.0.wrapping_sub(0x9e37_79b9_7f4a_7c15))
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Generate a linearizable history from `seed`.
pub fn generate(seed: u64, config: &GenConfig) -> History {
    let mut rng = Rng::new(seed);
    let model = KvModel {
        keep_versions: true,
        compare_meta: true,
    };
    let mut state = KvState::default();
    let clients = config.clients.max(1) as usize;
    let mut ready = vec![0u64; clients];
    let mut history = Vec::with_capacity(config.ops);
    let mut point = 0u64;
    for i in 0..config.ops {
        point += 1 + rng.below(2);
        // A client that is free at the linearization point.
        let free: Vec<usize> = (0..clients).filter(|&c| ready[c] <= point).collect();
        let client = if free.is_empty() {
            let c = (0..clients).min_by_key(|&c| ready[c]).expect("a client");
            point = ready[c];
            c
        } else {
            free[rng.below(free.len() as u64) as usize]
        };
        let lat = config.max_latency_ms + 1;
        let call_ms = ready[client].max(point.saturating_sub(rng.below(lat)));
        let return_at = point + rng.below(lat);
        let mut input = random_input(&mut rng, config, &state, i);
        let unknown = input.is_write() && rng.chance(config.unknown_write_percent);
        if unknown {
            if let Input::LeaseGrant { id, .. } = &mut input {
                // A server-chosen ID that nobody learns cannot be used: name it instead.
                *id = 1000 + i as i64;
            }
        }
        let (output, return_ms) = if unknown {
            if rng.chance(50) {
                state = model.apply(&state, &input).1.unwrap_or(state);
            }
            let ret = rng.chance(50).then_some(return_at);
            (Output::Unknown, ret)
        } else {
            let (out, next) = model.apply(&state, &input);
            if let Some(next) = next {
                state = next;
            }
            let failed = !input.is_write() && rng.chance(config.failed_read_percent);
            (if failed { Output::Unknown } else { out }, Some(return_at))
        };
        ready[client] = return_ms.unwrap_or(return_at) + 1;
        history.push(Operation {
            client: client as u32,
            call_ms,
            return_ms,
            input,
            output,
        });
    }
    order::sort_by_key(&mut history, |op| op.call_ms);
    history
}

fn random_input(rng: &mut Rng, config: &GenConfig, state: &KvState, i: usize) -> Input {
    let key = format!("k{}", rng.below(config.keys.max(1) as u64));
    let value = format!("v{i}");
    let lease = |rng: &mut Rng| match state
        .leases
        .iter()
        .nth(rng.below(state.leases.len() as u64 + 1) as usize)
    {
        Some(id) => *id,
        None => 1 + rng.below(3) as i64,
    };
    loop {
        let roll = rng.below(100);
        return match roll {
            0..=34 => Input::Get {
                key,
                revision: None,
            },
            35..=59 => Input::Put { key, value },
            60..=67 if config.range_deletes && rng.chance(40) => {
                // [k3, k5) takes k3, k4 (and k30..k49 if there are that many); "\0" everything.
                let n: u64 = key[1..].parse().unwrap_or(0);
                let range_end = match rng.chance(25) {
                    true => "\0".to_string(),
                    false => format!("k{}", n + 2),
                };
                Input::DeleteRange { key, range_end }
            }
            60..=67 => Input::Delete { key },
            68..=77 if config.txns && rng.chance(50) => random_txn(rng, config, state, i),
            68..=77 => {
                let current = state.keys.get(key.as_str()).map_or(0, |kv| kv.mod_revision);
                let expected_mod_revision = match rng.below(3) {
                    0 => rng.below(state.revision as u64 + 1) as i64,
                    _ => current,
                };
                Input::Cas {
                    key,
                    expected_mod_revision,
                    value,
                }
            }
            78..=82 => Input::Range {
                key: "k".into(),
                range_end: if rng.chance(50) {
                    "l".into()
                } else {
                    "\0".into()
                },
                limit: 0,
                count_only: false,
            },
            83..=86 if config.historical_reads => Input::Get {
                key,
                revision: Some(1 + rng.below(state.revision as u64) as i64),
            },
            87..=89 if config.leases => Input::LeaseGrant {
                id: if rng.chance(50) {
                    0
                } else {
                    1 + rng.below(8) as i64
                },
                ttl: 60,
            },
            90..=95 if config.leases => Input::PutWithLease {
                key,
                value,
                lease: lease(rng),
            },
            96..=99 if config.leases => Input::LeaseRevoke { id: lease(rng) },
            _ => continue,
        };
    }
}

/// A transaction over random keys: one or two comparisons (mostly true of `state`), one or two
/// writes on success, at most one on failure, never a key twice in a branch.
fn random_txn(rng: &mut Rng, config: &GenConfig, state: &KvState, i: usize) -> Input {
    let mut key = || format!("k{}", rng.below(config.keys.max(1) as u64));
    let keys: Vec<String> = (0..4).map(|_| key()).collect();
    let compares = (0..1 + rng.below(2) as usize)
        .map(|j| {
            let key = keys[j].clone();
            let kv = state.keys.get(key.as_str());
            let near = |n: i64, rng: &mut Rng| n + rng.below(3) as i64 - 1;
            let (op, target) = match rng.below(5) {
                0 => (
                    CmpOp::Equal,
                    CmpTarget::Mod(kv.map_or(0, |kv| kv.mod_revision)),
                ),
                1 => (
                    CmpOp::Greater,
                    CmpTarget::Version(near(kv.map_or(0, |kv| kv.version), rng)),
                ),
                2 => (
                    CmpOp::Less,
                    CmpTarget::Create(near(kv.map_or(0, |kv| kv.create_revision), rng)),
                ),
                3 => (
                    CmpOp::Equal,
                    CmpTarget::Value(
                        kv.map_or_else(|| "v0".to_string(), |kv| kv.value.to_string()),
                    ),
                ),
                _ => (CmpOp::NotEqual, CmpTarget::Lease(0)),
            };
            Comparison { key, op, target }
        })
        .collect();
    let writes = |rng: &mut Rng, from: usize, n: u64| -> Vec<TxnWrite> {
        let mut used: Vec<String> = Vec::new();
        (0..n)
            .filter_map(|j| {
                let key = keys[from + j as usize].clone();
                if used.contains(&key) {
                    return None;
                }
                used.push(key.clone());
                Some(match rng.chance(70) {
                    true => TxnWrite::Put {
                        key,
                        value: format!("v{i}.{j}"),
                        lease: 0,
                    },
                    false => TxnWrite::Delete {
                        key,
                        range_end: String::new(),
                    },
                })
            })
            .collect()
    };
    let n = 1 + rng.below(2);
    let success = writes(rng, 0, n);
    let n = rng.below(2);
    let failure = writes(rng, 2, n);
    Input::Txn {
        compares,
        success,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let c = GenConfig::default();
        let a = generate(7, &c);
        assert_eq!(a, generate(7, &c));
        assert_ne!(a, generate(8, &c));
        crate::history::validate(&a).unwrap();
        assert_eq!(a.len(), c.ops);
        // Range deletes come only when asked for.
        let ranged = |h: &History| {
            h.iter()
                .filter(|o| matches!(o.input, Input::DeleteRange { .. }))
                .count()
        };
        assert_eq!(ranged(&a), 0);
        let r = generate(
            7,
            &GenConfig {
                range_deletes: true,
                ..c
            },
        );
        assert!(ranged(&r) > 3, "{}", ranged(&r));
        crate::history::validate(&r).unwrap();
        let t = generate(
            7,
            &GenConfig {
                txns: true,
                ..GenConfig::default()
            },
        );
        let txns = t
            .iter()
            .filter(|o| matches!(o.input, Input::Txn { .. }))
            .count();
        assert!(txns > 3, "{txns}");
        let failed = t
            .iter()
            .filter(|o| {
                matches!(
                    o.output,
                    Output::Cas {
                        succeeded: false,
                        ..
                    }
                )
            })
            .count();
        assert!(failed > 0, "some comparisons fail");
    }
}
