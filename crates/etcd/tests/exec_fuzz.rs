//! Property tests: whatever well-formed commands a person types, in whatever order and with
//! whatever numbers, running them neither panics nor breaks an invariant. (`ctl_fuzz.rs` covers parsing; this runs what parses, on a live cluster, through
//! the same `Playground::exec` the browser console uses.)

use etcd::{Playground, Repl};
use proptest::prelude::*;
use sim::ClusterConfig;

/// Numbers at the edges: zero, one, negatives, and the limits of the integer types.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2".to_string()),
        Just("3".to_string()),
        Just("-1".to_string()),
        Just("5".to_string()),
        Just("60".to_string()),
        Just("4294967296".to_string()),
        Just("9223372036854775807".to_string()),
        Just("9223372036854775808".to_string()),
        Just("18446744073709551615".to_string()),
        Just("ffffffffffffffff".to_string()),
        Just("7fffffffffffffff".to_string()),
        (0u64..40).prop_map(|n| n.to_string()),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0ms".to_string()),
        Just("1ms".to_string()),
        Just("500ms".to_string()),
        Just("3s".to_string()),
        Just("1m".to_string()),
        Just("99999999h".to_string()),
        Just("0.5s".to_string()),
        number().prop_map(|n| format!("{n}ms")),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("k".to_string()),
        Just("a".to_string()),
        Just("\"\"".to_string()),
        Just("\"\\x00\"".to_string()),
        Just("\"\\xff\\xff\"".to_string()),
        "[a-c]{1,2}",
    ]
}

fn node() -> impl Strategy<Value = String> {
    prop_oneof![(0u64..6).prop_map(|n| n.to_string()), number()]
}

fn groups() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1,2 3".to_string()),
        Just("1 2 3".to_string()),
        Just("1,2,3".to_string()),
        Just("1,1 1".to_string()),
        Just("4,5 1".to_string()),
        Just("0 99".to_string()),
    ]
}

/// One command line of the console's language, with arguments from the pools above.
fn line() -> impl Strategy<Value = String> {
    let flag = prop_oneof![
        Just(""),
        Just("--prefix"),
        Just("--from-key"),
        Just("--prev-kv"),
        Just("--keys-only"),
        Just("--count-only"),
        Just("--print-value-only"),
        Just("--consistency=s"),
        Just("--order=DESCEND"),
        Just("--sort-by=VALUE"),
        Just("--sort-by=VERSION"),
        Just("-w json"),
        Just("-w table"),
        Just("--node 2"),
        Just("--endpoints=node3"),
        Just("--ignore-lease"),
        Just("--ignore-value"),
        Just("--physical"),
        Just("--learner"),
        Just("--cluster"),
        Just("--keys"),
        Just("--once"),
        Just("--progress-notify"),
    ];
    let numbered_flag = (
        prop_oneof![
            Just("--rev"),
            Just("--limit"),
            Just("--lease"),
            Just("--ttl")
        ],
        number(),
    )
        .prop_map(|(f, n)| format!("{f}={n}"));
    let flags = prop::collection::vec(
        prop_oneof![flag.prop_map(str::to_string), numbered_flag],
        0..3,
    )
    .prop_map(|v| v.join(" "));
    prop_oneof![
        (flags.clone(), key(), key()).prop_map(|(f, k, v)| format!("put {f} {k} {v}")),
        (flags.clone(), key()).prop_map(|(f, k)| format!("get {f} {k}")),
        (flags.clone(), key(), key()).prop_map(|(f, k, e)| format!("get {f} {k} {e}")),
        (flags.clone(), key()).prop_map(|(f, k)| format!("del {f} {k}")),
        ("[a-c]{1,2}", number(), key()).prop_map(|(k, n, v)| format!(
            "txn mod(\"{k}\") > \"{n}\", version(\"{k}\") = \"{n}\"; put {k} {v}, del {k}; get {k}"
        )),
        (flags.clone(), key()).prop_map(|(f, k)| format!("watch {f} {k}")),
        number().prop_map(|n| format!("lease grant {n}")),
        number().prop_map(|n| format!("lease revoke {n}")),
        (flags.clone(), number()).prop_map(|(f, n)| format!("lease timetolive {f} {n}")),
        (flags.clone(), number()).prop_map(|(f, n)| format!("lease keep-alive {f} {n}")),
        Just("lease list".to_string()),
        (flags.clone(), key()).prop_map(|(f, k)| format!("lock {f} {k}")),
        (key(), key()).prop_map(|(n, p)| format!("elect {n} {p}")),
        key().prop_map(|n| format!("elect -l {n}")),
        flags.clone().prop_map(|f| format!("endpoint status {f}")),
        flags.clone().prop_map(|f| format!("endpoint health {f}")),
        number().prop_map(|n| format!("endpoint hashkv --rev={n}")),
        Just("member list".to_string()),
        flags.clone().prop_map(|f| format!("member add m {f}")),
        number().prop_map(|n| format!("member remove {n}")),
        number().prop_map(|n| format!("member promote {n}")),
        number().prop_map(|n| format!("move-leader {n}")),
        (flags, number()).prop_map(|(f, n)| format!("compaction {f} {n}")),
        Just("defrag".to_string()),
        groups().prop_map(|g| format!("partition {g}")),
        Just("heal".to_string()),
        node().prop_map(|n| format!("crash {n}")),
        node().prop_map(|n| format!("restart {n}")),
        node().prop_map(|n| format!("pause {n}")),
        node().prop_map(|n| format!("resume {n}")),
        node().prop_map(|n| format!("campaign {n}")),
        (node(), node()).prop_map(|(a, b)| format!("cut {a}->{b}")),
        (node(), node()).prop_map(|(a, b)| format!("restore {a}->{b}")),
        (node(), node()).prop_map(|(a, b)| format!("hold {a}->{b}")),
        (node(), node(), number()).prop_map(|(a, b, m)| format!("release {a}->{b} {m}")),
        (node(), node(), number()).prop_map(|(a, b, m)| format!("drop {a}->{b} {m}")),
        (node(), node(), duration(), duration()).prop_map(|(a, b, lo, hi)| format!(
            "link {a}->{b} drop=0.5 latency={lo}-{hi} dup=0.1 reorder=on"
        )),
        (duration(), duration()).prop_map(|(lo, hi)| format!("network drop=0.1 latency={lo}-{hi}")),
        duration().prop_map(|d| format!("sleep {d}")),
        duration().prop_map(|d| format!("run {d}")),
        number().prop_map(|n| format!("tick {n}")),
        Just("cancel".to_string()),
        number().prop_map(|n| format!("cancel {n}")),
        Just("plant apply-before-commit".to_string()),
        Just("plant none".to_string()),
        (key(), key()).prop_map(|(k, v)| format!(
            "POST /v3/kv/put {{\"key\":\"{k}\",\"value\":\"{v}\",\"lease\":\"9223372036854775807\"}}"
        )),
        number().prop_map(|n| format!("POST /v3/lease/grant {{\"TTL\":\"{n}\"}}")),
        number().prop_map(|n| format!("POST /v3/kv/range {{\"key\":\"aw==\",\"revision\":\"{n}\",\"limit\":\"{n}\"}}")),
        number().prop_map(|n| format!("POST /v3/kv/compaction {{\"revision\":\"{n}\"}}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn running_any_commands_never_panics_nor_breaks_an_invariant(
        nodes in 1usize..=4,
        seed in 0u64..1000,
        lines in prop::collection::vec(line(), 1..12),
    ) {
        let pg = Playground::new(ClusterConfig::new(nodes, seed)).unwrap();
        let mut repl = Repl::new(pg).unwrap();
        for l in &lines {
            let out = repl.line(l);
            prop_assert!(out.is_ok(), "{l:?} broke an invariant: {:?}\nscript: {lines:#?}", out.err());
        }
    }
}
