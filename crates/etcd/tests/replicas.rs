//! Replica agreement: after random nemesis runs under a random etcd workload (puts, deletes,
//! txns, leases that expire or are revoked, compactions), every member's HashKV agrees at the
//! same revision, and they hold the same leases.

use etcd::{EtcdRequest, Service};
use kv::{Compare, CompareResult, DeleteRangeRequest, PutRequest, RequestOp, TxnRequest};
use sim::nemesis::{NemesisConfig, RandomNemesis};
use sim::rng::SimRng;
use sim::ClusterConfig;

fn random_request(rng: &mut SimRng, leases: &[i64]) -> EtcdRequest {
    let key = format!("k{}", rng.below(12));
    match rng.below(10) {
        0..=3 => EtcdRequest::Put(PutRequest {
            key: key.into_bytes(),
            value: format!("v{}", rng.below(1000)).into_bytes(),
            lease: if !leases.is_empty() && rng.chance(0.3) {
                leases[rng.below(leases.len() as u64) as usize]
            } else {
                0
            },
            ..Default::default()
        }),
        4 => EtcdRequest::DeleteRange(DeleteRangeRequest {
            key: key.into_bytes(),
            range_end: if rng.chance(0.3) {
                b"k5".to_vec()
            } else {
                Vec::new()
            },
            ..Default::default()
        }),
        5 | 6 => EtcdRequest::Txn(TxnRequest {
            compare: vec![Compare::version(key.clone(), CompareResult::Greater, 0)],
            success: vec![RequestOp::Put(PutRequest {
                key: key.clone().into_bytes(),
                value: b"txn".to_vec(),
                ..Default::default()
            })],
            failure: vec![RequestOp::DeleteRange(DeleteRangeRequest {
                key: format!("k{}", rng.below(12)).into_bytes(),
                ..Default::default()
            })],
        }),
        7 if !leases.is_empty() => EtcdRequest::LeaseRevoke {
            id: leases[rng.below(leases.len() as u64) as usize],
        },
        8 => EtcdRequest::Compaction {
            rev: rng.below(20) as i64 + 1,
        },
        _ => EtcdRequest::LeaseGrant {
            id: rng.below(1_000_000) as i64 + 1,
            ttl: rng.range_inclusive(2, 8) as i64,
        },
    }
}

fn run_seed(seed: u64) {
    let mut s = Service::new(ClusterConfig::new(5, seed)).unwrap();
    let mut nemesis = RandomNemesis::new(
        seed,
        NemesisConfig {
            proposals_per_sec: 0,
            ..NemesisConfig::default()
        },
    );
    let mut rng = SimRng::new(seed ^ 0xE7CD);
    let mut leases: Vec<i64> = Vec::new();
    let mut next_op = 1_000;
    let end = 20_000;
    while s.now() < end {
        let t = nemesis.next_due().min(next_op).min(end);
        s.run_until(t).unwrap();
        if s.now() >= nemesis.next_due() {
            nemesis.act(s.cluster_mut()).unwrap();
        }
        if s.now() >= next_op {
            let req = random_request(&mut rng, &leases);
            if let EtcdRequest::LeaseGrant { id, .. } = req {
                leases.push(id);
            }
            let nodes = s.cluster().node_ids();
            let node = nodes[rng.below(nodes.len() as u64) as usize];
            s.write(node, req);
            next_op = s.now() + rng.range_inclusive(20, 120);
        }
        s.take_events();
    }
    nemesis.undo(s.cluster_mut()).unwrap();
    s.run_until(s.now() + 15_000).unwrap();
    let c = s.cluster();
    let leader = c
        .leader()
        .unwrap_or_else(|| panic!("seed {seed}: no leader after healing"));
    let want = c.state_machine(leader).unwrap();
    let rev = want.store.current_revision();
    let want_hash = want.store.hash_kv(rev).unwrap();
    assert!(rev > 20, "seed {seed}: the workload wrote (revision {rev})");
    for n in c.node_ids() {
        let sm = c.state_machine(n).unwrap();
        assert_eq!(
            sm.store.current_revision(),
            rev,
            "seed {seed}: node {n} revision"
        );
        assert_eq!(
            sm.store.hash_kv(rev).unwrap(),
            want_hash,
            "seed {seed}: node {n} HashKV differs"
        );
        assert_eq!(
            sm.lessor.leases(),
            want.lessor.leases(),
            "seed {seed}: node {n} leases differ"
        );
    }
}

#[test]
fn replicas_agree_after_random_nemesis_runs() {
    for seed in 0..40 {
        run_seed(seed);
    }
}
