//! Text-driven tests of the etcdctl command language (raft-rs datadriven style).
//!
//! Each file in `tests/cases/ctl/*.txt` holds cases:
//!
//! ```text
//! parse
//! <lines fed one by one to a LineParser>
//! ----
//! <one line per finished command: the command as compact JSON, or the error line>
//! ```
//!
//! The expected block ends at a blank line; when it needs blank lines, open it with two
//! `----` lines and close it with two. Lines starting with `#` between cases are comments.
//! Run with `UPDATE_CASES=1` to rewrite the expected blocks from the actual output.
//!
//! In the JSON, false/0/empty/null fields are left out and byte fields (`key`, `value`,
//! `range_end`) are shown as strings.

use std::fmt::Write;
use std::path::Path;

use etcd::ctl::{Feed, LineParser};
use serde_json::Value;

/// TargetUnion variants: their 0 is meaningful.
const UNION_FIELDS: &[&str] = &["Version", "CreateRevision", "ModRevision", "Lease"];
const BYTE_FIELDS: &[&str] = &["key", "value", "range_end", "Value"];

/// Drops default values and turns byte arrays into strings.
fn compact(v: Value, field: Option<&str>) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::Number(ref n)
            if n.as_f64() == Some(0.0) && !field.is_some_and(|f| UNION_FIELDS.contains(&f)) =>
        {
            None
        }
        Value::String(ref s) if s.is_empty() => None,
        Value::Array(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|i| i.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            match (field.is_some_and(|f| BYTE_FIELDS.contains(&f)), bytes) {
                (true, Some(b)) if !b.is_empty() => {
                    Some(Value::String(String::from_utf8_lossy(&b).into_owned()))
                }
                (true, Some(_)) => None,
                _ => {
                    let items: Vec<Value> = items
                        .into_iter()
                        .map(|i| compact(i, None).unwrap_or(Value::Null))
                        .collect();
                    (!items.is_empty()).then_some(Value::Array(items))
                }
            }
        }
        Value::Object(m) => {
            let m: serde_json::Map<String, Value> = m
                .into_iter()
                .filter_map(|(k, v)| compact(v, Some(&k)).map(|v| (k, v)))
                .collect();
            Some(Value::Object(m))
        }
        other => Some(other),
    }
}

fn run_parse(input: &[&str]) -> String {
    let mut p = LineParser::new();
    let mut out = String::new();
    for line in input {
        if let Feed::Done(r) = p.feed(line) {
            match r {
                Ok(inv) => {
                    let v =
                        compact(serde_json::to_value(&inv).unwrap(), None).unwrap_or(Value::Null);
                    writeln!(out, "{v}").unwrap();
                }
                // etcdctl's usage text (after a flag error, or for a group without a
                // subcommand) is shown by its first line; the etcd diff test checks it whole.
                Err(e) => match e.0.split_once('\n') {
                    Some((first, _)) if e.0.contains("\nUSAGE:\n") => {
                        writeln!(out, "{first} [+ usage]").unwrap()
                    }
                    Some((first, _)) => writeln!(out, "{first} [+ etcdctl's hint]").unwrap(),
                    None => writeln!(out, "{e}").unwrap(),
                },
            }
        }
    }
    if p.pending() {
        out.push_str("(txn pending)\n");
    }
    out
}

struct Case {
    directive: String,
    input: Vec<String>,
    expected: String,
    /// Line range of the expected block in the file (for rewriting).
    expected_lines: (usize, usize),
    double: bool,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end();
        if l.is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        let directive = l.to_string();
        i += 1;
        let mut input = Vec::new();
        while i < lines.len() && lines[i] != "----" {
            input.push(lines[i].to_string());
            i += 1;
        }
        assert!(i < lines.len(), "case {directive:?}: missing ----");
        i += 1;
        let double = lines.get(i) == Some(&"----");
        if double {
            i += 1;
        }
        let start = i;
        let mut expected = String::new();
        if double {
            while i + 1 < lines.len() && !(lines[i] == "----" && lines[i + 1] == "----") {
                expected.push_str(lines[i]);
                expected.push('\n');
                i += 1;
            }
            cases.push(Case {
                directive,
                input,
                expected,
                expected_lines: (start, i),
                double,
            });
            i += 2;
        } else {
            while i < lines.len() && !lines[i].is_empty() {
                expected.push_str(lines[i]);
                expected.push('\n');
                i += 1;
            }
            cases.push(Case {
                directive,
                input,
                expected,
                expected_lines: (start, i),
                double,
            });
        }
    }
    cases
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap();
    let cases = parse_cases(&text);
    let mut failures = String::new();
    let mut rewritten: Vec<String> = text.lines().map(str::to_string).collect();
    for c in cases.iter().rev() {
        let input: Vec<&str> = c.input.iter().map(String::as_str).collect();
        let got = match c.directive.as_str() {
            "parse" => run_parse(&input),
            d => panic!("{}: unknown directive {d:?}", path.display()),
        };
        if got != c.expected {
            writeln!(
                failures,
                "{}:{}: {}\n--- input\n{}\n--- want\n{}--- got\n{}",
                path.display(),
                c.expected_lines.0,
                c.directive,
                c.input.join("\n"),
                c.expected,
                got
            )
            .unwrap();
            let mut new: Vec<String> = got.lines().map(str::to_string).collect();
            let needs_double = new.iter().any(String::is_empty);
            let (s, e) = c.expected_lines;
            if needs_double && !c.double {
                new.insert(0, "----".into());
                new.push("----".into());
                new.push("----".into());
            }
            rewritten.splice(s..e, new);
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    if std::env::var_os("UPDATE_CASES").is_some() {
        std::fs::write(path, rewritten.join("\n") + "\n").unwrap();
    }
    Err(failures)
}

#[test]
fn ctl_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/ctl");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let errors: Vec<String> = files.iter().filter_map(|f| run_file(f).err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
