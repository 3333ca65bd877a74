//! Property tests on generated histories: valid ones pass, corrupted reads are caught.

use check::generate::{generate, GenConfig};
use check::history::{Input, Operation, Output};
use check::{check_with, CheckOptions, Verdict};
use proptest::prelude::*;

fn config(ops: usize, clients: u32, keys: usize, unknown: u64) -> GenConfig {
    GenConfig {
        ops,
        clients,
        keys,
        max_latency_ms: 15,
        unknown_write_percent: unknown,
        failed_read_percent: 5,
        leases: true,
        historical_reads: true,
        // Half the shapes have range deletes.
        range_deletes: keys % 2 == 0,
        // Some have transactions.
        txns: clients % 2 == 1,
    }
}

fn verdict(h: &[Operation], per_key_pass: bool) -> Verdict {
    let options = CheckOptions {
        per_key_pass,
        ..CheckOptions::default()
    };
    check_with(h, &options).expect("well-formed").verdict
}

/// The revision and value an acknowledged write to `key` produced, if it is one.
fn known_write(op: &Operation, key: &str) -> Option<(String, i64)> {
    let value = match &op.input {
        Input::Put { key: k, value }
        | Input::PutWithLease { key: k, value, .. }
        | Input::Cas { key: k, value, .. }
            if k == key =>
        {
            value
        }
        _ => return None,
    };
    match op.output {
        Output::Put { revision }
        | Output::Cas {
            succeeded: true,
            revision,
        } => Some((value.clone(), revision)),
        _ => None,
    }
}

/// Corrupt the `pick`-th acknowledged latest read so that no linearization explains it:
/// either a value never written, or (if the key's current version came from an acknowledged
/// write) an older version, whose mod revision is below that write's revision.
fn corrupt(h: &mut [Operation], pick: usize, stale: bool) -> bool {
    let reads: Vec<usize> = (0..h.len())
        .filter(|&i| {
            matches!(h[i].input, Input::Get { revision: None, .. })
                && matches!(h[i].output, Output::Get { .. })
        })
        .collect();
    if reads.is_empty() {
        return false;
    }
    let i = reads[pick % reads.len()];
    let Input::Get { key, .. } = h[i].input.clone() else {
        unreachable!()
    };
    let Output::Get { kv, revision } = h[i].output.clone() else {
        unreachable!()
    };
    let mut new_kv = Some((
        "never-written".to_string(),
        kv.as_ref().map_or(1, |kv| kv.1),
    ));
    if let (true, Some((_, m))) = (stale, &kv) {
        let writes: Vec<(String, i64)> = h.iter().filter_map(|op| known_write(op, &key)).collect();
        if writes.iter().any(|(_, r)| r == m) {
            if let Some(old) = writes.iter().filter(|(_, r)| r < m).max_by_key(|(_, r)| *r) {
                new_kv = Some(old.clone());
            }
        }
    }
    h[i].output = Output::Get {
        kv: new_kv,
        revision,
    };
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_histories_are_linearizable(
        seed in any::<u64>(),
        ops in 1usize..150,
        clients in 1u32..10,
        keys in 1usize..5,
        unknown in 0u64..20,
    ) {
        let h = generate(seed, &config(ops, clients, keys, unknown));
        prop_assert_eq!(verdict(&h, true), Verdict::Linearizable);
        prop_assert_eq!(verdict(&h, false), Verdict::Linearizable);
    }

    #[test]
    fn a_corrupted_read_is_caught(
        seed in any::<u64>(),
        ops in 2usize..150,
        clients in 1u32..10,
        keys in 1usize..5,
        unknown in 0u64..20,
        pick in any::<usize>(),
        stale in any::<bool>(),
    ) {
        let mut h = generate(seed, &config(ops, clients, keys, unknown));
        prop_assume!(corrupt(&mut h, pick, stale));
        let per_key = verdict(&h, true);
        let global = verdict(&h, false);
        prop_assert!(matches!(per_key, Verdict::NotLinearizable { .. }), "{:?}", per_key);
        prop_assert!(matches!(global, Verdict::NotLinearizable { .. }), "{:?}", global);
    }

    #[test]
    fn json_lines_round_trip(seed in any::<u64>(), ops in 0usize..60) {
        let h = generate(seed, &config(ops, 4, 3, 10));
        let text = check::jsonl::to_json_lines(&h);
        prop_assert_eq!(check::jsonl::from_json_lines(text.as_bytes()).unwrap(), h);
    }
}
