//! The differential test against real etcd 3.5.1: every session of the corpus
//! (`tests/cases/etcd_diff/*.txt`, one file per command family) runs on `raftlab repl`'s
//! playground and its transcript, normalized (ids, URLs, timings, sizes, Raft indexes; see
//! `etcd_diff/normalize.rs`), must equal real etcd's, recorded in
//! `tests/cases/etcd_diff/recorded/`.
//!
//! When etcd 3.5.1 is installed (`scripts/lib.sh`'s `ensure_etcd`, found through
//! `$RAFTLAB_ETCD_DIR` or `~/.cache/raftlab/etcd-3.5.1`), the test also re-runs every session on
//! real etcd (fresh clusters on 127.0.0.1, a fresh data dir each, several at once) and checks
//! the recordings are current; `RAFTLAB_BLESS=1` rewrites them. `RAFTLAB_ETCD_DIFF=recorded`
//! skips real etcd; `RAFTLAB_ETCD_DIFF_FAMILY=member` runs (and blesses) one family only.

#[path = "etcd_diff/corpus.rs"]
mod corpus;
#[path = "etcd_diff/normalize.rs"]
mod normalize;
#[path = "etcd_diff/real.rs"]
mod real;
#[path = "etcd_diff/sim.rs"]
mod sim_run;
#[path = "etcd_diff/transcript.rs"]
mod transcript;

use std::collections::BTreeMap;
use std::sync::Mutex;

use corpus::Session;

/// Sessions run on real etcd at once (each mostly waits on its own processes).
const PARALLEL: usize = 6;

fn key(s: &Session) -> (String, String) {
    (s.family.clone(), s.name.clone())
}

fn recorded_path(family: &str) -> std::path::PathBuf {
    corpus::dir().join("recorded").join(format!("{family}.txt"))
}

/// Reads a family's recordings: session name → normalized transcript.
fn read_recorded(family: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(recorded_path(family)) else {
        return map;
    };
    let mut name: Option<String> = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("=== ") {
            name = Some(n.trim().to_string());
            map.insert(n.trim().to_string(), String::new());
            continue;
        }
        if let Some(n) = &name {
            let t = map.get_mut(n).unwrap();
            t.push_str(line);
            t.push('\n');
        }
    }
    map
}

fn write_recorded(family: &str, sessions: &[&Session], got: &BTreeMap<(String, String), String>) {
    let mut text = String::new();
    for s in sessions {
        text.push_str(&format!("=== {}\n", s.name));
        text.push_str(&got[&key(s)]);
    }
    std::fs::write(recorded_path(family), text).unwrap();
}

fn run_real(bin: &std::path::Path, sessions: &[Session]) -> BTreeMap<(String, String), String> {
    let next = Mutex::new(0usize);
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(s) = sessions.get(i) else { break };
                let out = real::run(bin, s);
                let t = transcript::render(s, &out.outputs);
                let norm = normalize::normalize(&t, &out.members, &out.ports);
                results.lock().unwrap().insert(key(s), norm);
            });
        }
    });
    results.into_inner().unwrap()
}

#[test]
fn raftlab_matches_real_etcd() {
    let mut sessions = corpus::load();
    assert!(
        sessions.len() >= 100,
        "the corpus has {} sessions",
        sessions.len()
    );
    if let Ok(only) = std::env::var("RAFTLAB_ETCD_DIFF_FAMILY") {
        sessions.retain(|s| s.family == only);
    }
    let mut families: BTreeMap<String, Vec<&Session>> = BTreeMap::new();
    for s in &sessions {
        families.entry(s.family.clone()).or_default().push(s);
    }
    let bless = std::env::var_os("RAFTLAB_BLESS").is_some();
    let only_recorded = std::env::var("RAFTLAB_ETCD_DIFF").is_ok_and(|v| v == "recorded");
    let mut failures = Vec::new();

    // Real etcd, when installed: the recordings must be current.
    let mut recorded: BTreeMap<(String, String), String> = BTreeMap::new();
    for (family, list) in &families {
        let rec = read_recorded(family);
        for s in list {
            if let Some(t) = rec.get(&s.name) {
                recorded.insert(key(s), t.clone());
            }
        }
    }
    match real::find().filter(|_| !only_recorded) {
        Some(bin) => {
            let started = std::time::Instant::now();
            let real = run_real(&bin, &sessions);
            eprintln!(
                "real etcd 3.5.1: {} sessions in {:.1} s",
                sessions.len(),
                started.elapsed().as_secs_f64()
            );
            for s in &sessions {
                let k = key(s);
                if recorded.get(&k) != real.get(&k) && !bless {
                    failures.push(format!(
                        "recording of {}/{} is not current (RAFTLAB_BLESS=1 rewrites it):\n--- recorded\n{}--- real etcd now\n{}",
                        s.family,
                        s.name,
                        recorded.get(&k).map_or("(none)\n", String::as_str),
                        real[&k]
                    ));
                }
            }
            if bless {
                for (family, list) in &families {
                    write_recorded(family, list, &real);
                }
            }
            recorded = real;
        }
        None => eprintln!("etcd 3.5.1 not installed: comparing with the recordings"),
    }

    // raftlab against the recordings.
    let mut figures = Vec::new();
    for (family, list) in &families {
        let mut matching = 0;
        for s in list {
            let outputs = sim_run::run(s);
            let t = transcript::render(s, &outputs);
            let members: Vec<u64> = (1..=s.members as u64)
                .map(|n| etcd::ids::member_id(1, n))
                .collect();
            let got = normalize::normalize(&t, &members, &[]);
            match recorded.get(&key(s)) {
                Some(want) if *want == got => matching += 1,
                want => {
                    if let Some(dir) = std::env::var_os("RAFTLAB_ETCD_DIFF_OUT") {
                        let base =
                            std::path::Path::new(&dir).join(format!("{}-{}", s.family, s.name));
                        let _ = std::fs::create_dir_all(&dir);
                        let _ = std::fs::write(
                            base.with_extension("etcd"),
                            want.map_or("", String::as_str),
                        );
                        let _ = std::fs::write(base.with_extension("raftlab"), &got);
                    }
                    failures.push(format!(
                        "{}/{}: raftlab differs from etcd 3.5.1\n--- etcd\n{}--- raftlab\n{}",
                        s.family,
                        s.name,
                        want.map_or("(not recorded)\n", String::as_str),
                        got
                    ))
                }
            }
        }
        figures.push(format!("{family}: {matching}/{}", list.len()));
    }
    eprintln!("matching sessions per family: {}", figures.join(", "));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The normalization hides ids, URLs, timings and sizes, and nothing else.
#[test]
fn normalization_hides_only_what_varies() {
    let real = "> put foo bar -w json\n{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":2,\"raft_term\":2}}\n> endpoint status\n127.0.0.1:23791, bdae9bbc11dd390d, 3.5.1, 20 kB, true, false, 2, 5, 5, \n> endpoint health\n127.0.0.1:23791 is healthy: successfully committed proposal: took = 2.566317ms\n";
    let ports = [real::Ports {
        client: 23791,
        peer: 23801,
    }];
    let sim = |rev: i64, leader: bool| {
        format!("> put foo bar -w json\n{{\"header\":{{\"cluster_id\":13594624368752441473,\"member_id\":13179417261865601488,\"revision\":{rev},\"raft_term\":2}}}}\n> endpoint status\nnode1, b6e6b22c102689d0, 3.5.1, 48 B, {leader}, false, 2, 2, 2, \n> endpoint health\nnode1 is healthy: successfully committed proposal: took = 8ms\n")
    };
    let want = normalize::normalize(real, &[13668033151171901709], &ports);
    let norm = |t: &str| normalize::normalize(t, &[13179417261865601488], &[]);
    assert_eq!(norm(&sim(2, true)), want);
    assert_ne!(norm(&sim(3, true)), want, "a wrong revision must show");
    assert_ne!(norm(&sim(2, false)), want, "a wrong leader flag must show");
    // A real member id whose hex has no letter (0x1234567890123456) is still that member.
    let digits = real
        .replace("bdae9bbc11dd390d", "1234567890123456")
        .replace("13668033151171901709", "1311768467284833366");
    assert_eq!(
        normalize::normalize(&digits, &[0x1234567890123456], &ports),
        want
    );
}

/// A planted bug (a watch that drops an event) makes its session differ from real etcd.
#[test]
fn a_planted_bug_is_caught() {
    let sessions = corpus::load();
    let s = sessions
        .iter()
        .find(|s| s.family == "watch" && s.name == "watch-many")
        .expect("watch-many session");
    let want = read_recorded("watch")["watch-many"].clone();
    let norm = |outputs: &[String]| {
        let members = [etcd::ids::member_id(1, 1)];
        normalize::normalize(&transcript::render(s, outputs), &members, &[])
    };
    assert_eq!(norm(&sim_run::run(s)), want);
    let planted = sim_run::run_with(s, &["plant drop-watch-event"]);
    assert_ne!(
        norm(&planted),
        want,
        "the dropped watch event went unnoticed"
    );
}
