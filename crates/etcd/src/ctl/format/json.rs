//! etcd's JSON shapes, shared by etcdctl's `-w json` ([`Style::Go`]) and the gateway
//! ([`Style::Proto`]): headers, key-values and the KV responses.

use kv::{
    DeleteRangeResponse, Event, EventType, KeyValue, PutResponse, RangeResponse, ResponseOp,
    TxnResponse,
};

use super::obj::{Obj, Style};
use crate::ctl::Header;

/// `{"cluster_id":..,"member_id":..,"revision":..,"raft_term":..}` without zero fields.
pub(crate) fn header(h: &Header, style: Style) -> String {
    Obj::new(style)
        .int_nz("cluster_id", h.cluster_id)
        .int_nz("member_id", h.member_id)
        .int_nz("revision", h.revision)
        .int_nz("raft_term", h.raft_term)
        .done()
}

/// The header's fields inline (Go structs that embed `*ResponseHeader`).
pub(crate) fn header_inline(o: &mut Obj, h: &Header) {
    o.int_nz("cluster_id", h.cluster_id)
        .int_nz("member_id", h.member_id)
        .int_nz("revision", h.revision)
        .int_nz("raft_term", h.raft_term);
}

/// A key-value (mvccpb.KeyValue); `keys_only` leaves the value out.
pub(crate) fn kv(kv: &KeyValue, style: Style, keys_only: bool) -> String {
    let mut o = Obj::new(style);
    o.bytes_nz("key", &kv.key)
        .int_nz("create_revision", kv.create_revision)
        .int_nz("mod_revision", kv.mod_revision)
        .int_nz("version", kv.version);
    if !keys_only {
        o.bytes_nz("value", &kv.value);
    }
    o.int_nz("lease", kv.lease).done()
}

fn kvs(list: &[KeyValue], style: Style, keys_only: bool) -> Vec<String> {
    list.iter().map(|k| kv(k, style, keys_only)).collect()
}

/// PutResponse.
pub(crate) fn put(h: &str, r: &PutResponse, style: Style) -> String {
    let mut o = Obj::new(style);
    o.raw("header", h);
    if let Some(p) = &r.prev_kv {
        o.raw("prev_kv", &kv(p, style, false));
    }
    o.done()
}

/// RangeResponse.
pub(crate) fn range(h: &str, r: &RangeResponse, style: Style, keys_only: bool) -> String {
    Obj::new(style)
        .raw("header", h)
        .list_nz("kvs", &kvs(&r.kvs, style, keys_only))
        .bool_nz("more", r.more)
        .int_nz("count", r.count)
        .done()
}

/// DeleteRangeResponse.
pub(crate) fn delete_range(h: &str, r: &DeleteRangeResponse, style: Style) -> String {
    Obj::new(style)
        .raw("header", h)
        .int_nz("deleted", r.deleted)
        .list_nz("prev_kvs", &kvs(&r.prev_kvs, style, false))
        .done()
}

/// TxnResponse. Nested responses carry a header with only the revision, as etcd's do; the
/// Go style wraps each in `{"Response":{...}}` (the oneof field etcdctl marshals).
/// The revision in each nested response header of a txn, as etcd's apply sets it: a read
/// reports the revision it read at (the txn's start, plus one once the txn has changed
/// something), a put the new revision, a delete the revision after it.
pub(crate) fn nested_revisions(revision: i64, r: &TxnResponse) -> Vec<i64> {
    let writes = |op: &ResponseOp| match op {
        ResponseOp::Put(_) => true,
        ResponseOp::DeleteRange(d) => d.deleted > 0,
        ResponseOp::Range(_) | ResponseOp::Txn(_) => false,
    };
    let begin = revision - i64::from(r.responses.iter().any(writes));
    let mut changed = false;
    r.responses
        .iter()
        .map(|op| {
            changed |= writes(op);
            match op {
                ResponseOp::Txn(_) => revision,
                _ => begin + i64::from(changed),
            }
        })
        .collect()
}

pub(crate) fn txn(h: &Header, r: &TxnResponse, style: Style) -> String {
    let revisions = nested_revisions(h.revision, r);
    let responses: Vec<String> = r
        .responses
        .iter()
        .zip(revisions)
        .map(|(op, revision)| {
            let sub = Header {
                revision,
                ..Header::default()
            };
            let sub_h = header(&sub, style);
            let (name, body) = match op {
                ResponseOp::Range(r) => ("response_range", range(&sub_h, r, style, false)),
                ResponseOp::Put(r) => ("response_put", put(&sub_h, r, style)),
                ResponseOp::DeleteRange(r) => {
                    ("response_delete_range", delete_range(&sub_h, r, style))
                }
                ResponseOp::Txn(t) => ("response_txn", txn(&sub, t, style)),
            };
            let inner = Obj::new(style).raw(name, &body).done();
            match style {
                Style::Go => Obj::new(style).raw("Response", &inner).done(),
                Style::Proto => inner,
            }
        })
        .collect();
    Obj::new(style)
        .raw("header", &header(h, style))
        .bool_nz("succeeded", r.succeeded)
        .list_nz("responses", &responses)
        .done()
}

/// mvccpb.Event (`type` is left out for PUT, which is 0).
pub(crate) fn event(e: &Event, style: Style) -> String {
    let mut o = Obj::new(style);
    if e.kind == EventType::Delete {
        match style {
            Style::Go => o.raw("type", "1"),
            Style::Proto => o.raw("type", "\"DELETE\""),
        };
    }
    o.raw("kv", &kv(&e.kv, style, false));
    if let Some(p) = &e.prev_kv {
        o.raw("prev_kv", &kv(p, style, false));
    }
    o.done()
}
