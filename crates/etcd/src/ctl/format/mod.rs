//! What etcdctl v3.5 prints for each result, as pure functions.
//!
//! Convention: every function returns the complete text etcdctl writes (stdout and stderr
//! together, in order), **including the trailing newline of each line**, so outputs can be
//! concatenated as they arrive; an empty string means etcdctl prints nothing (e.g. `get` of a
//! missing key). JSON output is one line, as etcdctl's `json.Marshal` + `Println`.
//!
//! `-w table` is etcdctl's only for the cluster commands (`endpoint status|health|hashkv`,
//! `member list`); the parser already rejects it elsewhere, and these functions print
//! etcdctl's error (`Error: table not supported as output format`) if asked anyway.
//!
//! Commands that print a key-value (`lock`, `elect`, `elect -l`) print it with [`get`], as
//! etcdctl does (`lock` prints the lock key and an empty value line).

mod cluster;
mod fields;
mod gateway_json;
mod hex;
mod json;
mod obj;
mod simple;
mod table;

pub use cluster::*;
pub use gateway_json::*;

use kv::lease::LeaseInfo;
use kv::{DeleteRangeResponse, PutResponse, RangeResponse, TxnResponse, WatchResponse};

use super::{Header, OutputFormat};
use obj::{Obj, Style};

const NO_TABLE: &str = "Error: table not supported as output format\n";

fn line(s: String) -> String {
    s + "\n"
}

/// `put`: `OK`, then the previous key and value with `--prev-kv`.
pub fn put(h: &Header, r: &PutResponse, f: OutputFormat) -> String {
    let hexed;
    let r = if f == OutputFormat::Hex {
        hexed = hex::put(r);
        &hexed
    } else {
        r
    };
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            let mut out = String::new();
            simple::put(&mut out, r);
            out
        }
        OutputFormat::Json => line(json::put(&json::header(h, Style::Go), r, Style::Go)),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::put(&mut out, h, r);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `get`: each key and value on its own line (only values with `print_value_only`; with
/// `keys_only` the value line is empty, as etcdctl prints it).
pub fn get(
    h: &Header,
    r: &RangeResponse,
    f: OutputFormat,
    print_value_only: bool,
    keys_only: bool,
) -> String {
    let hexed;
    let r = if f == OutputFormat::Hex {
        hexed = hex::range(r);
        &hexed
    } else {
        r
    };
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            let mut out = String::new();
            if keys_only {
                let mut r = r.clone();
                r.kvs.iter_mut().for_each(|kv| kv.value.clear());
                simple::get(&mut out, &r, print_value_only);
            } else {
                simple::get(&mut out, r, print_value_only);
            }
            out
        }
        OutputFormat::Json => line(json::range(
            &json::header(h, Style::Go),
            r,
            Style::Go,
            keys_only,
        )),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::get(&mut out, h, r);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `del`: the number of deleted keys, then the deleted keys and values with `--prev-kv`.
pub fn del(h: &Header, r: &DeleteRangeResponse, f: OutputFormat) -> String {
    let hexed;
    let r = if f == OutputFormat::Hex {
        hexed = hex::del(r);
        &hexed
    } else {
        r
    };
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            let mut out = String::new();
            simple::del(&mut out, r);
            out
        }
        OutputFormat::Json => line(json::delete_range(
            &json::header(h, Style::Go),
            r,
            Style::Go,
        )),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::del(&mut out, h, r);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `txn`: `SUCCESS` or `FAILURE`, then each response after a blank line.
pub fn txn(h: &Header, r: &TxnResponse, f: OutputFormat) -> String {
    let hexed;
    let r = if f == OutputFormat::Hex {
        hexed = hex::txn(r);
        &hexed
    } else {
        r
    };
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            let mut out = String::new();
            simple::txn(&mut out, r);
            out
        }
        OutputFormat::Json => line(json::txn(h, r, Style::Go)),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::txn(&mut out, h, r);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// clientv3's `WatchResponse.Err()` text for a cancelled watch.
fn watch_error(r: &WatchResponse) -> String {
    if r.compact_revision != 0 {
        "etcdserver: mvcc: required revision has been compacted".into()
    } else if r.cancel_reason.is_empty() {
        "etcdserver: mvcc: required revision is a future revision".into()
    } else if r.cancel_reason.starts_with("etcdserver: ") {
        r.cancel_reason.clone()
    } else {
        format!(
            "rpc error: code = FailedPrecondition desc = {}",
            r.cancel_reason
        )
    }
}

/// One watch response as `etcdctl watch` prints it: for each event its type (`PUT`/`DELETE`),
/// the previous key and value (with `--prev-kv`), then the key and value. A cancelled watch
/// prints `watch was canceled (<reason>)` and a progress notification `progress notify: <rev>`.
/// The `created` response prints nothing (clientv3 does not pass it on).
///
/// When the watch ends after a cancel, etcdctl exits with [`watch_end`].
pub fn watch(h: &Header, r: &WatchResponse, f: OutputFormat) -> String {
    let hexed;
    let r = if f == OutputFormat::Hex {
        hexed = hex::watch(r);
        &hexed
    } else {
        r
    };
    let mut out = String::new();
    if r.created && r.events.is_empty() && !r.canceled {
        return out;
    }
    if r.canceled {
        out.push_str(&format!("watch was canceled ({})\n", watch_error(r)));
    }
    let progress = r.events.is_empty() && !r.canceled && !r.created && r.compact_revision == 0;
    if progress {
        out.push_str(&format!("progress notify: {}\n", h.revision));
    }
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            for e in &r.events {
                out.push_str(match e.kind {
                    kv::EventType::Put => "PUT\n",
                    kv::EventType::Delete => "DELETE\n",
                });
                if let Some(p) = &e.prev_kv {
                    simple::kv(&mut out, p, false);
                }
                simple::kv(&mut out, &e.kv, false);
            }
        }
        OutputFormat::Json => {
            let events: Vec<String> = r.events.iter().map(|e| json::event(e, Style::Go)).collect();
            let events = if events.is_empty() {
                "null".to_string()
            } else {
                format!("[{}]", events.join(","))
            };
            out.push_str(&line(
                Obj::new(Style::Go)
                    .raw("Header", &json::header(h, Style::Go))
                    .raw("Events", &events)
                    .int("CompactRevision", r.compact_revision)
                    .bool("Canceled", r.canceled)
                    .bool("Created", r.created)
                    .done(),
            ));
        }
        OutputFormat::Fields => fields::watch(&mut out, h, r),
        OutputFormat::Table => return NO_TABLE.into(),
    }
    out
}

/// What etcdctl prints when a watch stream ends (after the server cancelled it).
pub fn watch_end() -> String {
    "Error: watch is canceled by the server\n".into()
}

/// `lease grant`: `lease 694d77aa9e38260f granted with TTL(60s)`.
pub fn lease_grant(h: &Header, id: i64, ttl: i64, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            format!("lease {} granted with TTL({ttl}s)\n", simple::hex16(id))
        }
        OutputFormat::Json => {
            let mut o = Obj::new(Style::Go);
            json::header_inline(&mut o, h);
            line(o.int("ID", id).int("TTL", ttl).str("Error", "").done())
        }
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::lease_grant(&mut out, h, id, ttl);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `lease revoke`: `lease 694d77aa9e38260f revoked`.
pub fn lease_revoke(h: &Header, id: i64, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            format!("lease {} revoked\n", simple::hex16(id))
        }
        OutputFormat::Json => line(
            Obj::new(Style::Go)
                .raw("header", &json::header(h, Style::Go))
                .done(),
        ),
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::hdr(&mut out, h);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `lease timetolive`: `lease 694d77aa9e38260f granted with TTL(60s), remaining(52s)`, with
/// `, attached keys([a b])` for `--keys`; `lease ... already expired` for a lease that is gone
/// (`granted_ttl == 0 && ttl == -1`, as etcd answers for an unknown lease).
pub fn lease_ttl(h: &Header, info: &LeaseInfo, with_keys: bool, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            if info.granted_ttl == 0 && info.ttl == -1 {
                return format!("lease {} already expired\n", simple::hex16(info.id));
            }
            let mut s = format!(
                "lease {} granted with TTL({}s), remaining({}s)",
                simple::hex16(info.id),
                info.granted_ttl,
                info.ttl
            );
            if with_keys {
                let keys: Vec<String> = info
                    .keys
                    .iter()
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect();
                s.push_str(&format!(", attached keys([{}])", keys.join(" ")));
            }
            line(s)
        }
        OutputFormat::Json => {
            let mut o = Obj::new(Style::Go);
            json::header_inline(&mut o, h);
            o.int("id", info.id)
                .int("ttl", info.ttl)
                .int("granted-ttl", info.granted_ttl);
            if with_keys && !info.keys.is_empty() {
                let keys: Vec<String> = info.keys.iter().map(|k| obj::b64(k)).collect();
                o.raw("keys", &format!("[{}]", keys.join(",")));
            } else {
                o.raw("keys", "null");
            }
            line(o.done())
        }
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::lease_ttl(&mut out, h, info, with_keys);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// One `lease keep-alive` response: `lease 694d77aa9e38260f keepalived with TTL(60)`.
pub fn lease_keepalive(h: &Header, id: i64, ttl: i64, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            format!("lease {} keepalived with TTL({ttl})\n", simple::hex16(id))
        }
        OutputFormat::Json => {
            let mut o = Obj::new(Style::Go);
            json::header_inline(&mut o, h);
            line(o.int("ID", id).int("TTL", ttl).done())
        }
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::lease_grant(&mut out, h, id, ttl);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// What `lease keep-alive` (without `--once`) prints when the lease is gone (simple only).
pub fn lease_keepalive_end(id: i64, f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            format!("lease {} expired or revoked.\n", simple::hex16(id))
        }
        _ => String::new(),
    }
}

/// `lease list`: `found N leases`, then one id per line.
pub fn lease_list(h: &Header, ids: &[i64], f: OutputFormat) -> String {
    match f {
        OutputFormat::Simple | OutputFormat::Hex => {
            let mut out = format!("found {} leases\n", ids.len());
            for id in ids {
                out.push_str(&line(simple::hex16(*id)));
            }
            out
        }
        OutputFormat::Json => {
            let mut o = Obj::new(Style::Go);
            json::header_inline(&mut o, h);
            let leases: Vec<String> = ids
                .iter()
                .map(|id| Obj::new(Style::Go).int("id", *id).done())
                .collect();
            line(o.raw("leases", &format!("[{}]", leases.join(","))).done())
        }
        OutputFormat::Fields => {
            let mut out = String::new();
            fields::lease_list(&mut out, h, ids);
            out
        }
        OutputFormat::Table => NO_TABLE.into(),
    }
}

/// `compaction`: `compacted revision N` (etcdctl prints this whatever `-w` says).
pub fn compaction(rev: i64) -> String {
    format!("compacted revision {rev}\n")
}

/// `defrag`: `Finished defragmenting etcd member[node1]`, one line per endpoint.
pub fn defrag(endpoint: &str) -> String {
    format!("Finished defragmenting etcd member[{endpoint}]\n")
}

/// An error as etcdctl prints it: `Error: <msg>` (e.g. `Error: etcdserver: request timed out`).
pub fn error(e: &str) -> String {
    format!("Error: {e}\n")
}

#[cfg(test)]
mod tests;
