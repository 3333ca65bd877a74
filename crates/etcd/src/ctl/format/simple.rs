//! etcdctl's `simple` printer helpers (printer_simple.go).

use kv::{DeleteRangeResponse, KeyValue, PutResponse, RangeResponse, ResponseOp, TxnResponse};

/// `printKV`: the key (unless value-only) and the value, each on its own line.
pub(crate) fn kv(out: &mut String, kv: &KeyValue, value_only: bool) {
    if !value_only {
        out.push_str(&String::from_utf8_lossy(&kv.key));
        out.push('\n');
    }
    out.push_str(&String::from_utf8_lossy(&kv.value));
    out.push('\n');
}

/// Go's `%016x` of an int64 (the sign counts in the width).
pub(crate) fn hex16(id: i64) -> String {
    if id < 0 {
        format!("-{:015x}", id.unsigned_abs())
    } else {
        format!("{id:016x}")
    }
}

/// Go's `%16x` of a uint64 (space-padded).
pub(crate) fn hex16_spaces(id: u64) -> String {
    format!("{id:>16x}")
}

pub(crate) fn put(out: &mut String, r: &PutResponse) {
    out.push_str("OK\n");
    if let Some(p) = &r.prev_kv {
        kv(out, p, false);
    }
}

pub(crate) fn get(out: &mut String, r: &RangeResponse, value_only: bool) {
    for k in &r.kvs {
        kv(out, k, value_only);
    }
}

pub(crate) fn del(out: &mut String, r: &DeleteRangeResponse) {
    out.push_str(&format!("{}\n", r.deleted));
    for k in &r.prev_kvs {
        kv(out, k, false);
    }
}

pub(crate) fn txn(out: &mut String, r: &TxnResponse) {
    out.push_str(if r.succeeded {
        "SUCCESS\n"
    } else {
        "FAILURE\n"
    });
    for op in &r.responses {
        out.push('\n');
        match op {
            ResponseOp::DeleteRange(d) => del(out, d),
            ResponseOp::Put(p) => put(out, p),
            ResponseOp::Range(g) => get(out, g, false),
            ResponseOp::Txn(t) => txn(out, t),
        }
    }
}
