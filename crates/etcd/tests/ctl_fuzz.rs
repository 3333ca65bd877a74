//! Property tests: nothing in the command language panics, whatever the input.

use etcd::ctl::{self, Feed, LineParser};
use proptest::prelude::*;

/// Lines made of the language's own pieces, so that the parser gets deep into commands.
fn tokens() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("put".to_string()),
        Just("get".to_string()),
        Just("del".to_string()),
        Just("txn".to_string()),
        Just("watch".to_string()),
        Just("lease".to_string()),
        Just("grant".to_string()),
        Just("member".to_string()),
        Just("endpoint".to_string()),
        Just("status".to_string()),
        Just("--prefix".to_string()),
        Just("--rev".to_string()),
        Just("-w".to_string()),
        Just("json".to_string()),
        Just("--".to_string()),
        Just("-".to_string()),
        Just(";".to_string()),
        Just(",".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("mod(\"k\") > \"1\"".to_string()),
        Just("1->2".to_string()),
        Just("partition".to_string()),
        Just("link".to_string()),
        Just("latency=5-50ms".to_string()),
        Just("POST /v3/kv/txn".to_string()),
        Just("{\"compare\":[{".to_string()),
        Just("\\xff".to_string()),
        Just("\\u{".to_string()),
        "[a-z0-9=.-]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.join(" "))
}

/// An error is one line, except where etcdctl prints more: a command's usage (after a flag
/// error, or for a group without a subcommand) and the unknown-command hint.
fn one_line_or_usage(e: &str) -> bool {
    !e.contains('\n')
        || e.contains("\nUSAGE:\n")
        || e.contains("\nRun 'etcdctl --help' for usage.\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_line_never_panics(s in any::<String>()) {
        let _ = ctl::parse_line(&s);
    }

    #[test]
    fn token_lines_never_panic(s in tokens()) {
        if let Err(e) = ctl::parse_line(&s) {
            prop_assert!(one_line_or_usage(&e.0), "multi-line error {:?}", e.0);
        }
    }

    #[test]
    fn line_parser_never_panics(lines in prop::collection::vec(prop_oneof![tokens(), Just(String::new()), any::<String>()], 0..20)) {
        let mut p = LineParser::new();
        for l in &lines {
            if let Feed::Done(Err(e)) = p.feed(l) {
                prop_assert!(one_line_or_usage(&e.0), "multi-line error {:?}", e.0);
            }
        }
    }

    #[test]
    fn gateway_bodies_never_panic(path in prop_oneof![
        Just("/v3/kv/put"), Just("/v3/kv/range"), Just("/v3/kv/deleterange"), Just("/v3/kv/txn"),
        Just("/v3/lease/grant"), Just("/v3/lease/timetolive"), Just("/v3/kv/compaction"), Just("/health"),
    ], body in prop_oneof![any::<String>(), "[{}\\[\\]\":,a-z0-9 =+/]{0,40}"]) {
        let _ = ctl::parse_line(&format!("POST {path} {body}"));
    }

    #[test]
    fn byte_ish_and_quoted_lines_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = ctl::parse_line(&s);
        let _ = ctl::parse_line(&format!("put \"{s}\" '{s}'"));
        let _ = ctl::parse_line(&format!("txn {s}; {s}; {s}"));
    }
}

#[test]
fn long_lines_never_panic() {
    let long = "a".repeat(3 << 20);
    for line in [
        format!("put k {long}"),
        format!("get {long}"),
        format!("\"{long}"),
        format!("POST /v3/kv/put {{\"key\":\"{long}\"}}"),
        "[".repeat(100_000),
        format!(
            "POST /v3/kv/txn {}",
            "{\"success\":[{\"request_txn\":".repeat(5_000)
        ),
        "'".repeat(10_001),
        "\\".repeat(10_001),
        format!("txn {}", ";".repeat(10_000)),
    ] {
        let _ = ctl::parse_line(&line);
        let mut p = LineParser::new();
        let _ = p.feed(&line);
    }
}
