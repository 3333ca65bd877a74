//! The requests of the KV commands (`put`, `get`, `del`) from their parsed flags, also as
//! txn operations, and the global flags every command takes (target, output format).

use kv::{DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, SortOrder, SortTarget};

use super::flags::{self, flag, Kind, Parsed, Spec};
use super::lexer;
use super::{goquote, Command, Consistency, OutputFormat, ParseError, Target, MAX_REQUEST_BYTES};

fn err(msg: impl AsRef<str>) -> ParseError {
    ParseError::new(msg)
}

pub(super) const PUT: &[Spec] = &[
    flag("lease", Kind::Str),
    flag("prev-kv", Kind::Bool),
    flag("ignore-value", Kind::Bool),
    flag("ignore-lease", Kind::Bool),
];
pub(super) const GET: &[Spec] = &[
    flag("consistency", Kind::Str),
    flag("order", Kind::Str),
    flag("sort-by", Kind::Str),
    flag("limit", Kind::Int),
    flag("prefix", Kind::Bool),
    flag("from-key", Kind::Bool),
    flag("rev", Kind::Int),
    flag("keys-only", Kind::Bool),
    flag("count-only", Kind::Bool),
    flag("print-value-only", Kind::Bool),
];
pub(super) const DEL: &[Spec] = &[
    flag("prefix", Kind::Bool),
    flag("prev-kv", Kind::Bool),
    flag("from-key", Kind::Bool),
];

/// The global flags: target and output format.
pub(crate) fn globals(p: &Parsed) -> Result<(Target, OutputFormat), ParseError> {
    let output = match p.str("write-out") {
        // `--hex` changes only the simple printer.
        None | Some("simple") if p.bool("hex") => OutputFormat::Hex,
        None | Some("simple") => OutputFormat::Simple,
        Some("json") => OutputFormat::Json,
        Some("table") => OutputFormat::Table,
        Some("fields") => OutputFormat::Fields,
        Some(f @ "protobuf") => {
            return Err(err(format!(
                "output format {} is not supported by raftlab (use simple, json or table)",
                goquote::quote(f.as_bytes())
            )))
        }
        Some(_) => return Err(err("unsupported output format")),
    };
    let from_endpoints = p.str("endpoints").map(endpoint).transpose()?;
    let from_node = p.str("node").map(endpoint).transpose()?;
    let target = match (from_endpoints, from_node) {
        (Some(a), Some(b)) if a != b => {
            return Err(err("--endpoints and --node name different nodes"));
        }
        (Some(a), _) | (None, Some(a)) => Target::Node(a),
        (None, None) => Target::Default,
    };
    Ok((target, output))
}

/// `node3`, `3`, `http://node3:2379`, `node3:2379` → 3.
fn endpoint(s: &str) -> Result<u64, ParseError> {
    if s.contains(',') {
        return Err(err(format!(
            "raftlab sends a request to one endpoint; got {}",
            goquote::quote(s.as_bytes())
        )));
    }
    let mut t = s.trim();
    for scheme in ["http://", "https://", "unix://", "unixs://"] {
        if let Some(r) = t.strip_prefix(scheme) {
            t = r;
        }
    }
    let t = t.trim_end_matches('/');
    let host = match t.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => t,
    };
    let digits = host.strip_prefix("node").unwrap_or(host);
    match digits.parse::<u64>() {
        Ok(n) if n > 0 && !digits.starts_with('+') => Ok(n),
        _ => Err(err(format!(
            "unknown endpoint {} (use node1, node2, ... or a node id)",
            goquote::quote(s.as_bytes())
        ))),
    }
}

pub(super) fn too_large(n: usize) -> Result<(), String> {
    if n > MAX_REQUEST_BYTES {
        return Err("etcdserver: request is too large".into());
    }
    Ok(())
}

/// `put` (errors without the `Error: ` prefix; also used for txn ops).
pub(crate) fn put(p: &Parsed) -> Result<PutRequest, String> {
    let ignore_value = p.bool("ignore-value");
    const NEEDS: &str = "put command needs 1 argument and input from stdin or 2 arguments";
    let (key, value) = match (p.args.as_slice(), ignore_value) {
        ([], _) => return Err(NEEDS.into()),
        ([k], true) => (k.clone(), Vec::new()),
        (_, true) => {
            return Err("put command needs only 1 argument when 'ignore-value' is set".into())
        }
        // etcdctl takes the value from the second argument and ignores any further ones.
        ([k, v, ..], false) => (k.clone(), v.clone()),
        (_, false) => return Err(NEEDS.into()),
    };
    let lease = goquote::parse_int(p.str("lease").unwrap_or("0"), 16)
        .map_err(|e| format!("bad lease ID ({e}), expecting ID in Hex"))?;
    too_large(key.len() + value.len())?;
    Ok(PutRequest {
        key,
        value,
        lease,
        prev_kv: p.bool("prev-kv"),
        ignore_value,
        ignore_lease: p.bool("ignore-lease"),
    })
}

/// Key and range end for `--prefix` / `--from-key` / an explicit range end, as clientv3 does.
pub(super) fn key_range(p: &Parsed, what: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let needs =
        format!("{what} command needs one argument as key and an optional argument as range_end");
    // `get` ignores arguments after the range end; `del` refuses them.
    if p.args.is_empty() || (p.args.len() > 2 && what != "get") {
        return Err(needs);
    }
    let (prefix, from_key) = (p.bool("prefix"), p.bool("from-key"));
    if prefix && from_key {
        return Err(
            "`--prefix` and `--from-key` cannot be set at the same time, choose one".into(),
        );
    }
    let mut key = p.args[0].clone();
    let mut end = Vec::new();
    if let Some(e) = p.args.get(1) {
        if prefix || from_key {
            return Err(
                "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"
                    .into(),
            );
        }
        end = e.clone();
    }
    if prefix {
        if key.is_empty() {
            key = vec![0];
            end = vec![0];
        } else {
            end = kv::prefix_end(&key);
        }
    }
    if from_key {
        if key.is_empty() {
            key = vec![0];
        }
        end = vec![0];
    }
    too_large(key.len() + end.len())?;
    Ok((key, end))
}

/// `get`.
pub(crate) fn get(p: &Parsed, output: OutputFormat) -> Result<Command, String> {
    let (key, range_end) = key_range(p, "get")?;
    if p.bool("keys-only") && p.bool("count-only") {
        return Err(
            "`--keys-only` and `--count-only` cannot be set at the same time, choose one".into(),
        );
    }
    let consistency = match p.str("consistency").unwrap_or("l") {
        "l" => Consistency::Linearizable,
        "s" => Consistency::Serializable,
        c => {
            return Err(format!(
                "unknown consistency flag {}",
                goquote::quote(c.as_bytes())
            ))
        }
    };
    let mut sort_order = match p.str("order").unwrap_or("").to_ascii_uppercase().as_str() {
        "ASCEND" => SortOrder::Ascend,
        "DESCEND" => SortOrder::Descend,
        "" => SortOrder::None,
        _ => return Err(format!("bad sort order {}", p.str("order").unwrap_or(""))),
    };
    let sort_target = match p.str("sort-by").unwrap_or("").to_ascii_uppercase().as_str() {
        "CREATE" => SortTarget::Create,
        "KEY" | "" => SortTarget::Key,
        "MODIFY" => SortTarget::Mod,
        "VALUE" => SortTarget::Value,
        "VERSION" => SortTarget::Version,
        _ => {
            return Err(format!(
                "bad sort target {}",
                p.str("sort-by").unwrap_or("")
            ))
        }
    };
    // clientv3.WithSort: ascending by key is the natural order.
    if sort_target == SortTarget::Key && sort_order == SortOrder::Ascend {
        sort_order = SortOrder::None;
    }
    if p.bool("count-only") && output != OutputFormat::Fields {
        return Err("--count-only is only for `--write-out=fields`".into());
    }
    if p.bool("print-value-only") && !matches!(output, OutputFormat::Simple | OutputFormat::Hex) {
        return Err("print-value-only is only for `--write-out=simple`".into());
    }
    let rev = p.int("rev", 0);
    Ok(Command::Get {
        req: RangeRequest {
            key,
            range_end,
            limit: p.int("limit", 0),
            revision: rev.max(0),
            sort_order,
            sort_target,
            serializable: consistency == Consistency::Serializable,
            keys_only: p.bool("keys-only"),
            count_only: p.bool("count-only"),
            ..Default::default()
        },
        print_value_only: p.bool("print-value-only"),
        consistency,
    })
}

/// `del`.
pub(crate) fn del(p: &Parsed) -> Result<DeleteRangeRequest, String> {
    let (key, range_end) = key_range(p, "del")?;
    Ok(DeleteRangeRequest {
        key,
        range_end,
        prev_kv: p.bool("prev-kv"),
    })
}

/// A txn request line (`put k v`, `get k`, `del k`), with etcdctl's errors.
pub(crate) fn txn_op(line: &str) -> Result<RequestOp, String> {
    let invalid = || format!("invalid txn request: {line}");
    let words = lexer::split(line).map_err(|_| invalid())?;
    if words.len() < 2 {
        return Err(format!("invalid txn compare request: {line}"));
    }
    let specs = match words[0].text().as_str() {
        "put" => PUT,
        "get" => GET,
        "del" => DEL,
        _ => return Err(invalid()),
    };
    let p = flags::parse(&words[1..], &[specs]).map_err(|_| invalid())?;
    Ok(match words[0].text().as_str() {
        "put" => RequestOp::Put(put(&p)?),
        "get" => match get(&p, OutputFormat::Simple)? {
            Command::Get { req, .. } => RequestOp::Range(req),
            _ => return Err(invalid()),
        },
        _ => RequestOp::DeleteRange(del(&p)?),
    })
}
