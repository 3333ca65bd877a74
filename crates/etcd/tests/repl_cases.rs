//! Text-driven cases: each file under tests/cases/repl is a transcript. Lines starting with
//! `> ` (or a lone `>` for a blank line inside a txn) are the script; everything else is the
//! output the script must print, exactly as etcdctl would. A case's first line may set the
//! cluster: `# nodes=3 seed=1`.
//!
//! After an intended change, regenerate with `RAFTLAB_BLESS=1 cargo test -p etcd --test
//! repl_cases` and read the diff: every changed line must be right by etcd's semantics.

use etcd::{Playground, Repl};
use sim::ClusterConfig;

fn script_of(text: &str) -> String {
    let mut s = String::new();
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("> ") {
            s.push_str(cmd);
            s.push('\n');
        } else if line == ">" {
            s.push('\n');
        } else if line.starts_with('#') {
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

fn settings(text: &str) -> (usize, u64) {
    let mut nodes = 3;
    let mut seed = 1;
    if let Some(first) = text.lines().next() {
        for word in first.trim_start_matches('#').split_whitespace() {
            if let Some(v) = word.strip_prefix("nodes=") {
                nodes = v.parse().expect("nodes=N");
            }
            if let Some(v) = word.strip_prefix("seed=") {
                seed = v.parse().expect("seed=N");
            }
        }
    }
    (nodes, seed)
}

#[test]
fn repl_cases() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/repl");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let bless = std::env::var_os("RAFTLAB_BLESS").is_some();
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (nodes, seed) = settings(&text);
        let pg = Playground::new(ClusterConfig::new(nodes, seed)).unwrap();
        let mut repl = Repl::new(pg).unwrap();
        let got = repl.transcript(&script_of(&text)).unwrap();
        if bless {
            std::fs::write(&path, &got).unwrap();
        } else if got != text {
            failures.push(format!(
                "{}:\n--- expected\n{text}\n--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
