//! `window.raftlab.headless()` natively: the trace hashes the page must reproduce (the e2e test
//! "the wasm build reproduces the native trace hashes" reads the same file). The runs are
//! `sim`'s golden cases on the playground's state machine.

/// If this fails after an intended change of behaviour, regenerate the file with
/// `RAFTLAB_BLESS=1 cargo test -p web --test headless_golden`.
#[test]
fn golden_hashes_match() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/web_trace_hashes.txt"
    );
    let mut lines = Vec::new();
    for (seed, nodes, faults) in sim::nemesis::GOLDEN_CASES {
        let r = web::js_api::headless(*seed, *nodes, *faults, 20_000);
        assert_eq!(r.error, None, "seed {seed}");
        assert_eq!(
            r.trace_hash,
            web::js_api::headless(*seed, *nodes, *faults, 20_000).trace_hash,
            "same seed, same hash"
        );
        let hash = r.trace_hash.expect("a hash");
        lines.push(format!("{seed} {nodes} {faults} {hash}"));
    }
    let text = lines.join("\n") + "\n";
    if std::env::var_os("RAFTLAB_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("golden file exists");
    assert_eq!(golden, text);
}
