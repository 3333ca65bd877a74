//! The corpus: sessions of etcdctl lines, one file per command family.
//!
//! A file holds sessions, each opened by `=== name` (optionally `members=N`, default 1) and
//! followed by its lines exactly as typed at a shell or in `raftlab repl`. A `txn` line in its
//! interactive form takes the following lines up to its third blank line as its input. Lines
//! starting with `#` before the first session are comments.

use std::path::{Path, PathBuf};

/// One session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Command family (the file's stem).
    pub family: String,
    /// Name, unique in its family.
    pub name: String,
    /// Members of the cluster it runs on.
    pub members: usize,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One command of a session: the lines that make it (one, or a txn and its input).
#[derive(Clone, Debug)]
pub struct Step {
    /// The command line.
    pub line: String,
    /// A txn's input lines.
    pub input: Vec<String>,
}

impl Step {
    /// The command line without a leading `etcdctl` / `ETCDCTL_API=3 etcdctl`.
    pub fn bare(&self) -> &str {
        bare(&self.line)
    }

    /// How the real harness runs it.
    pub fn kind(&self) -> Kind {
        let b = self.bare().trim();
        let words: Vec<&str> = b.split_whitespace().collect();
        let positional = words.iter().skip(1).filter(|w| !w.starts_with('-')).count();
        match words.as_slice() {
            ["sleep", ..] => Kind::Sleep,
            ["cancel", ..] => Kind::Cancel,
            ["curl", ..] => Kind::Curl,
            ["watch", ..] => Kind::Background,
            ["lock", ..] if positional <= 1 => Kind::Background,
            ["elect", ..] => Kind::Background,
            ["lease", "keep-alive", ..] if !b.contains("--once") => Kind::Background,
            _ => Kind::Foreground,
        }
    }
}

/// How a step runs against real etcd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An etcdctl command that ends on its own.
    Foreground,
    /// An etcdctl command that runs until the session ends or `cancel`.
    Background,
    /// A curl line against the JSON gateway.
    Curl,
    /// `sleep Ns`.
    Sleep,
    /// `cancel`: stop the latest background command.
    Cancel,
}

/// `etcdctl put a b` and `ETCDCTL_API=3 etcdctl put a b` → `put a b`; curl lines stay.
pub fn bare(line: &str) -> &str {
    let t = line.trim_start();
    let t = t.strip_prefix("ETCDCTL_API=3 ").unwrap_or(t).trim_start();
    match t.strip_prefix("etcdctl") {
        Some(r) if r.is_empty() || r.starts_with(' ') => r.trim_start(),
        _ => t,
    }
}

/// The corpus directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/etcd_diff")
}

/// Every session of every family file, in file then session order.
pub fn load() -> Vec<Session> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for f in files {
        let family = f.file_stem().unwrap().to_string_lossy().into_owned();
        all.extend(parse(&family, &std::fs::read_to_string(&f).unwrap()));
    }
    all
}

/// Parses one family file.
pub fn parse(family: &str, text: &str) -> Vec<Session> {
    let mut sessions: Vec<Session> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(head) = line.strip_prefix("=== ") {
            let mut words = head.split_whitespace();
            let name = words.next().expect("session name").to_string();
            let mut members = 1;
            for w in words {
                if let Some(n) = w.strip_prefix("members=") {
                    members = n.parse().expect("members=N");
                }
            }
            assert!(
                !sessions.iter().any(|s| s.name == name),
                "{family}: session {name} twice"
            );
            sessions.push(Session {
                family: family.to_string(),
                name,
                members,
                steps: Vec::new(),
            });
            continue;
        }
        let Some(s) = sessions.last_mut() else {
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        let mut step = Step {
            line: line.to_string(),
            input: Vec::new(),
        };
        let b = step.bare().trim();
        if (b == "txn" || b.starts_with("txn ")) && !b.contains(';') {
            let mut blanks = 0;
            while blanks < 3 {
                let Some(next) = lines.peek() else { break };
                if next.starts_with("=== ") {
                    break;
                }
                let next = lines.next().unwrap();
                if next.trim().is_empty() {
                    blanks += 1;
                }
                step.input.push(next.to_string());
            }
        }
        s.steps.push(step);
    }
    sessions
}

/// Placeholders for ids a session cannot know in advance: `$LEASE1`, `$LEASE2`, ... the leases
/// granted so far (`$LEASE` the latest), `$MEMBER1`... the members by name, `$NEWMEMBER` the
/// member added last, all in hex as etcdctl takes them; `$MEMBER1_DEC`... a member's id in
/// decimal, as the JSON gateway takes it.
pub fn substitute(line: &str, prior: &[String], members: &[u64]) -> String {
    if !line.contains('$') {
        return line.to_string();
    }
    let mut leases: Vec<String> = Vec::new();
    let mut added: Option<String> = None;
    for out in prior {
        for l in out.lines() {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words.as_slice() {
                ["lease", id, "granted", ..] => leases.push(id.to_string()),
                ["Member", id, "added", ..] => added = Some(id.to_string()),
                _ => {}
            }
        }
    }
    let mut s = line.to_string();
    for (i, id) in leases.iter().enumerate().rev() {
        s = s.replace(&format!("$LEASE{}", i + 1), id);
    }
    if let Some(last) = leases.last() {
        s = s.replace("$LEASE", last);
    }
    for (i, id) in members.iter().enumerate().rev() {
        s = s.replace(&format!("$MEMBER{}_DEC", i + 1), &id.to_string());
        s = s.replace(&format!("$MEMBER{}", i + 1), &format!("{id:x}"));
    }
    if let Some(a) = added {
        s = s.replace("$NEWMEMBER", &a);
    }
    s
}
