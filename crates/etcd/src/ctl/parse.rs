//! From a command line to an [`Invocation`]: which kind of line it is (a curl or gateway line,
//! a fault, an etcdctl command), then for etcdctl the global flags, the command tree and each
//! command's flags, with etcdctl's error messages. The commands' arguments are read by
//! `kv_args` (put, get, del, txn's ops) and `cmd_args` (the others).

use super::cmd_args::{args, elect, group, is_group, lock, watch};
use super::flags::{self, flag, short, Kind, Parsed, Spec};
use super::kv_args::{del, get, globals, put, DEL, GET, PUT};
use super::lexer::{self, Word};
use super::usage;
use super::{
    curl, fault, gateway_request, goquote, txn, Command, Invocation, OutputFormat, ParseError,
    Target,
};

/// What one line turned out to be.
pub(crate) enum Outcome {
    /// Blank or a comment.
    Empty,
    /// A complete command.
    Done(Invocation),
    /// `txn` in its interactive form: compares and requests follow on the next lines.
    TxnInteractive {
        /// Where the txn goes.
        target: Target,
        /// How to print it.
        output: OutputFormat,
    },
}

/// Parses one line. `txn` in its interactive form needs the following lines, so it is an error
/// here; use [`super::LineParser`] for it, or the one-line form
/// `txn <compares, ...>; <success ops, ...>; <failure ops, ...>`.
pub fn parse_line(line: &str) -> Result<Option<Invocation>, ParseError> {
    match parse(line)? {
        Outcome::Empty => Ok(None),
        Outcome::Done(inv) => Ok(Some(inv)),
        Outcome::TxnInteractive { .. } => Err(ParseError::new(
            "txn reads its compares and requests from the following lines (use a LineParser), \
             or give them on one line: txn <compares, ...>; <success ops, ...>; <failure ops, ...>",
        )),
    }
}

const TXN: &[Spec] = &[short("interactive", 'i', Kind::Bool)];
const WATCH: &[Spec] = &[
    short("interactive", 'i', Kind::Bool),
    flag("prefix", Kind::Bool),
    flag("rev", Kind::Int),
    flag("prev-kv", Kind::Bool),
    flag("progress-notify", Kind::Bool),
];
const NONE: &[Spec] = &[];
const TTL_KEYS: &[Spec] = &[flag("keys", Kind::Bool)];
const KEEPALIVE: &[Spec] = &[flag("once", Kind::Bool)];
const LOCK: &[Spec] = &[flag("ttl", Kind::Int)];
const ELECT: &[Spec] = &[short("listen", 'l', Kind::Bool)];
const ENDPOINT: &[Spec] = &[flag("cluster", Kind::Bool)];
const HASHKV: &[Spec] = &[flag("cluster", Kind::Bool), flag("rev", Kind::Int)];
const MEMBER_ADD: &[Spec] = &[flag("peer-urls", Kind::Str), flag("learner", Kind::Bool)];
const MEMBER_UPDATE: &[Spec] = &[flag("peer-urls", Kind::Str)];
const COMPACTION: &[Spec] = &[flag("physical", Kind::Bool)];
const DEFRAG: &[Spec] = &[flag("cluster", Kind::Bool), flag("data-dir", Kind::Str)];

/// etcdctl commands raftlab knows but does not simulate.
const UNSUPPORTED: &[&str] = &[
    "alarm",
    "auth",
    "check",
    "make-mirror",
    "migrate",
    "role",
    "snapshot",
    "user",
    "version",
    "downgrade",
];

fn err(msg: impl AsRef<str>) -> ParseError {
    ParseError::new(msg)
}

/// Parses one line into an [`Outcome`].
pub(crate) fn parse(line: &str) -> Result<Outcome, ParseError> {
    // Lines as the etcd docs write them: `etcdctl put k v`, `ETCDCTL_API=3 etcdctl get k`.
    let stripped = strip_etcdctl(line);
    if stripped.trim().is_empty() && !line.trim().is_empty() {
        // `etcdctl` alone: its help.
        return Ok(done(Target::Default, OutputFormat::Simple, Command::Help));
    }
    let line = stripped;
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Outcome::Empty);
    }
    if let Some(req) = curl::detect(trimmed) {
        let req = req?;
        let target = req.node.map_or(Target::Default, Target::Node);
        return gateway_request::request(&req.method, &req.path, &req.body).map(|g| {
            Outcome::Done(Invocation {
                target,
                output: OutputFormat::Simple,
                command: Command::Gateway(g),
            })
        });
    }
    if let Some(req) = gateway_request::detect(trimmed) {
        return req.map(|g| {
            Outcome::Done(Invocation {
                target: Target::Default,
                output: OutputFormat::Simple,
                command: Command::Gateway(g),
            })
        });
    }
    let words = lexer::split(line).map_err(err)?;
    let Some(first) = words.first() else {
        return Ok(Outcome::Empty);
    };
    if let Some(cmd) = fault::parse(&first.text(), &words[1..]) {
        return cmd.map(|command| {
            Outcome::Done(Invocation {
                target: Target::Default,
                output: OutputFormat::Simple,
                command,
            })
        });
    }
    parse_etcdctl(line, &words)
}

/// `etcdctl put k v` and `ETCDCTL_API=3 etcdctl put k v` → `put k v`.
pub(crate) fn strip_etcdctl(line: &str) -> &str {
    let t = line.trim_start();
    let t = match t.strip_prefix("ETCDCTL_API=3") {
        Some(r) if r.starts_with(char::is_whitespace) => r.trim_start(),
        _ => t,
    };
    match t.strip_prefix("etcdctl") {
        Some(r) if r.is_empty() || r.starts_with(char::is_whitespace) => r,
        _ => line,
    }
}

/// Finds the command path (`put`, `lease grant`) among `words`, skipping global flags.
/// Returns the path's word indexes.
fn command_path(words: &[Word]) -> Vec<usize> {
    let mut path = Vec::new();
    let mut i = 0;
    while i < words.len() && path.len() < 2 {
        let t = words[i].text();
        if t == "--" {
            break;
        }
        if t.starts_with('-') && t.len() > 1 {
            let takes_value = flags::GLOBAL.iter().any(|s| {
                s.kind != Kind::Bool
                    && (t == format!("--{}", s.name)
                        || s.short.is_some_and(|c| t == format!("-{c}")))
            });
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        let first = path.first().map(|&j: &usize| words[j].text());
        match first {
            None => path.push(i),
            Some(f) if is_group(&f).is_some() => path.push(i),
            Some(_) => break,
        }
        i += 1;
    }
    path
}

fn parse_etcdctl(line: &str, words: &[Word]) -> Result<Outcome, ParseError> {
    let path = command_path(words);
    let rest: Vec<Word> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| !path.contains(i))
        .map(|(_, w)| w.clone())
        .collect();
    let names: Vec<String> = path.iter().map(|&i| words[i].text()).collect();
    let Some(name) = names.first() else {
        // Only flags: `--help`, or flags without a command.
        let p = flags::parse(&rest, &[flags::GLOBAL]).map_err(err)?;
        if p.bool("help") {
            return Ok(done(Target::Default, OutputFormat::Simple, Command::Help));
        }
        return Err(err("no command given (try help)"));
    };
    let sub = names.get(1).map(String::as_str);
    // A group without a known subcommand: etcdctl prints the group's help.
    if let Some(subs) = is_group(name) {
        let help = p_help(&rest);
        if !help && sub.is_none_or(|s| !subs.contains(&s)) {
            if let Some(u) = usage::usage(name) {
                return Err(ParseError::text(u));
            }
        }
    }
    let specs: &[Spec] = match (name.as_str(), sub) {
        ("put", _) => PUT,
        ("get", _) => GET,
        ("del", _) => DEL,
        ("txn", _) => TXN,
        ("watch", _) => WATCH,
        ("lease", Some("timetolive")) => TTL_KEYS,
        ("lease", Some("keep-alive")) => KEEPALIVE,
        ("lock", _) => LOCK,
        ("elect", _) => ELECT,
        ("endpoint", Some("hashkv")) => HASHKV,
        ("endpoint", _) => ENDPOINT,
        ("member", Some("add")) => MEMBER_ADD,
        ("member", Some("update")) => MEMBER_UPDATE,
        ("compaction", _) => COMPACTION,
        ("defrag", _) => DEFRAG,
        _ => NONE,
    };
    // A one-line txn keeps its compares' quoting, so it is cut from the raw line.
    if name == "txn" && lexer::split_unquoted(line, ';').len() > 1 {
        return txn::parse_one_line(line).map(Outcome::Done);
    }
    let known = matches!(
        name.as_str(),
        "put"
            | "get"
            | "del"
            | "txn"
            | "watch"
            | "lease"
            | "lock"
            | "elect"
            | "endpoint"
            | "member"
            | "move-leader"
            | "compaction"
            | "defrag"
            | "help"
    );
    if !known && !UNSUPPORTED.contains(&name.as_str()) {
        return Err(ParseError::text(usage::unknown_command(&goquote::quote(
            name.as_bytes(),
        ))));
    }
    let p = flags::parse(&rest, &[specs, flags::GLOBAL])
        .map_err(|e| ParseError::text(usage::flag_error(&names.join(" "), &e)))?;
    if p.bool("help") || name == "help" {
        return Ok(done(Target::Default, OutputFormat::Simple, Command::Help));
    }
    let (target, output) = globals(&p)?;
    let command = match name.as_str() {
        "put" => Command::Put(put(&p).map_err(err)?),
        "get" => get(&p, output).map_err(err)?,
        "del" => Command::Del {
            req: del(&p).map_err(err)?,
        },
        "txn" => {
            if !p.args.is_empty() {
                return Err(err("txn command does not accept argument"));
            }
            return Ok(Outcome::TxnInteractive { target, output });
        }
        "watch" => watch(&p)?,
        "lease" | "endpoint" | "member" => group(name, sub, &p)?,
        "lock" => lock(&p)?,
        "elect" => elect(&p)?,
        "move-leader" => {
            let [id] = args::<1>(&p, "move-leader command needs 1 argument")?;
            Command::MoveLeader {
                id: goquote::parse_uint(&id, 16).map_err(err)?,
            }
        }
        "compaction" => {
            let [rev] = args::<1>(&p, "compaction command needs 1 argument")?;
            Command::Compaction {
                rev: goquote::parse_int(&rev, 10).map_err(err)?,
                physical: p.bool("physical"),
            }
        }
        "defrag" => {
            if !p.args.is_empty() {
                return Err(err("defrag command does not accept argument"));
            }
            Command::Defrag
        }
        n if UNSUPPORTED.contains(&n) => {
            return Err(err(format!(
                "{} is not supported by raftlab",
                goquote::quote(n.as_bytes())
            )))
        }
        n => {
            return Err(ParseError::text(usage::unknown_command(&goquote::quote(
                n.as_bytes(),
            ))))
        }
    };
    check_output(&command, output, &p)?;
    Ok(done(target, output, command))
}

/// Whether `-h`/`--help` is among the words (a group's help is asked for).
fn p_help(words: &[Word]) -> bool {
    words.iter().any(|w| {
        let t = w.text();
        t == "-h" || t == "--help"
    })
}

fn done(target: Target, output: OutputFormat, command: Command) -> Outcome {
    Outcome::Done(Invocation {
        target,
        output,
        command,
    })
}

/// Table output is etcdctl's only for the cluster commands (a membership change or
/// `move-leader` is made first and refuses to print after, as etcdctl's printer does);
/// `--print-value-only` only for simple output.
fn check_output(cmd: &Command, output: OutputFormat, p: &Parsed) -> Result<(), ParseError> {
    let table_ok = matches!(
        cmd,
        Command::EndpointStatus { .. }
            | Command::EndpointHealth { .. }
            | Command::EndpointHashKv { .. }
            | Command::MemberList
            | Command::MemberAdd { .. }
            | Command::MemberRemove { .. }
            | Command::MemberPromote { .. }
            | Command::MemberUpdate { .. }
            | Command::MoveLeader { .. }
            | Command::Help
    );
    if output == OutputFormat::Table && !table_ok {
        return Err(err("table not supported as output format"));
    }
    if p.bool("print-value-only") && !matches!(output, OutputFormat::Simple | OutputFormat::Hex) {
        return Err(err("print-value-only is only for `--write-out=simple`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctl::MAX_REQUEST_BYTES;
    use kv::PutRequest;

    fn ok(s: &str) -> Invocation {
        parse_line(s).unwrap().unwrap()
    }

    fn fail(s: &str) -> String {
        parse_line(s).unwrap_err().0
    }

    #[test]
    fn put_forms() {
        let i = ok("put foo bar");
        assert_eq!(
            i.command,
            Command::Put(PutRequest {
                key: b"foo".to_vec(),
                value: b"bar".to_vec(),
                ..Default::default()
            })
        );
        let i = ok("put --lease=694d77aa9e38260f --prev-kv foo bar -w json --endpoints=node2");
        let Command::Put(r) = i.command else { panic!() };
        assert_eq!((r.lease, r.prev_kv), (0x694d77aa9e38260f, true));
        assert_eq!((i.output, i.target), (OutputFormat::Json, Target::Node(2)));
        assert_eq!(
            fail("put foo"),
            "Error: put command needs 1 argument and input from stdin or 2 arguments"
        );
        assert_eq!(
            fail("put --lease=xyz a b"),
            r#"Error: bad lease ID (strconv.ParseInt: parsing "xyz": invalid syntax), expecting ID in Hex"#
        );
    }

    #[test]
    fn too_large() {
        let big = "x".repeat(MAX_REQUEST_BYTES);
        assert_eq!(
            fail(&format!("put k {big}")),
            "Error: etcdserver: request is too large"
        );
        assert_eq!(
            fail(&format!("get {big}x")),
            "Error: etcdserver: request is too large"
        );
        assert!(parse_line(&format!("put k {}", &big[1..])).is_ok());
        let txn = format!("txn ; put a {big}, put b c;");
        assert_eq!(fail(&txn), "Error: etcdserver: request is too large");
    }

    #[test]
    fn endpoints() {
        for e in [
            "node3",
            "3",
            "http://node3:2379",
            "node3:2379",
            "https://node3/",
        ] {
            assert_eq!(
                ok(&format!("get k --endpoints={e}")).target,
                Target::Node(3),
                "{e}"
            );
        }
        assert_eq!(ok("get k --node 4").target, Target::Node(4));
        assert!(fail("get k --endpoints=node1,node2").contains("one endpoint"));
        assert!(fail("get k --endpoints=localhost:2379").contains("unknown endpoint"));
        assert!(fail("get k --endpoints=node0").contains("unknown endpoint"));
    }

    #[test]
    fn unknown() {
        assert_eq!(
            fail("fly"),
            "Error: unknown command \"fly\" for \"etcdctl\"\nRun 'etcdctl --help' for usage.\nError: unknown command \"fly\" for \"etcdctl\""
        );
        assert!(fail("lease fly").starts_with("NAME:\n\tlease - Lease related commands\n"));
        let e = fail("get --fly k");
        assert!(
            e.starts_with("Error: unknown flag: --fly\nNAME:\n\tget - "),
            "{e}"
        );
        assert!(e.ends_with("\n\nError: unknown flag: --fly"), "{e}");
        assert_eq!(fail("get k -w xml"), "Error: unsupported output format");
    }
}
