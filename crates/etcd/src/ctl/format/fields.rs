//! etcdctl's `-w fields` printer (printer_fields.go): one `"Name" : value` line per field,
//! strings quoted as Go's `%q`, numbers and booleans as Go's `Println`.

use kv::lease::LeaseInfo;
use kv::{
    DeleteRangeResponse, EventType, KeyValue, PutResponse, RangeResponse, ResponseOp, TxnResponse,
    WatchResponse,
};

use super::super::goquote::quote;
use crate::ctl::{EndpointHashKvRow, EndpointHealthRow, EndpointStatusRow, Header, MemberRow};

/// What etcdctl prints for a response the fields printer does not know.
pub(crate) const UNSUPPORTED: &str = "Error: fields not supported as output format\n";

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    out.push_str(&format!("\"{name}\" : {value}\n"));
}

pub(crate) fn hdr(out: &mut String, h: &Header) {
    field(out, "ClusterID", h.cluster_id);
    field(out, "MemberID", h.member_id);
    field(out, "Revision", h.revision);
    field(out, "RaftTerm", h.raft_term);
}

fn kv(out: &mut String, pfx: &str, kv: &KeyValue) {
    field(out, &format!("{pfx}Key"), quote(&kv.key));
    field(out, &format!("{pfx}CreateRevision"), kv.create_revision);
    field(out, &format!("{pfx}ModRevision"), kv.mod_revision);
    field(out, &format!("{pfx}Version"), kv.version);
    field(out, &format!("{pfx}Value"), quote(&kv.value));
    field(out, &format!("{pfx}Lease"), kv.lease);
}

pub(crate) fn put(out: &mut String, h: &Header, r: &PutResponse) {
    hdr(out, h);
    if let Some(p) = &r.prev_kv {
        kv(out, "Prev", p);
    }
}

pub(crate) fn get(out: &mut String, h: &Header, r: &RangeResponse) {
    hdr(out, h);
    for k in &r.kvs {
        kv(out, "", k);
    }
    field(out, "More", r.more);
    field(out, "Count", r.count);
}

pub(crate) fn del(out: &mut String, h: &Header, r: &DeleteRangeResponse) {
    hdr(out, h);
    field(out, "Deleted", r.deleted);
    for k in &r.prev_kvs {
        kv(out, "Prev", k);
    }
}

/// A txn: its responses print with their own headers (only a revision), as etcd's.
pub(crate) fn txn(out: &mut String, h: &Header, r: &TxnResponse) {
    hdr(out, h);
    field(out, "Succeeded", r.succeeded);
    let revisions = super::json::nested_revisions(h.revision, r);
    for (resp, revision) in r.responses.iter().zip(revisions) {
        let inner = Header {
            revision,
            ..Header::default()
        };
        match resp {
            ResponseOp::Put(p) => put(out, &inner, p),
            ResponseOp::Range(g) => get(out, &inner, g),
            ResponseOp::DeleteRange(d) => del(out, &inner, d),
            ResponseOp::Txn(t) => txn(out, &inner, t),
        }
    }
}

pub(crate) fn watch(out: &mut String, h: &Header, r: &WatchResponse) {
    hdr(out, h);
    for e in &r.events {
        field(
            out,
            "Type",
            match e.kind {
                EventType::Put => "PUT",
                EventType::Delete => "DELETE",
            },
        );
        if let Some(p) = &e.prev_kv {
            kv(out, "Prev", p);
        }
        kv(out, "", &e.kv);
    }
}

pub(crate) fn lease_grant(out: &mut String, h: &Header, id: i64, ttl: i64) {
    hdr(out, h);
    field(out, "ID", id);
    field(out, "TTL", ttl);
}

pub(crate) fn lease_ttl(out: &mut String, h: &Header, info: &LeaseInfo, with_keys: bool) {
    hdr(out, h);
    field(out, "ID", info.id);
    field(out, "TTL", info.ttl);
    field(out, "GrantedTTL", info.granted_ttl);
    if with_keys {
        for k in &info.keys {
            field(out, "Key", quote(k));
        }
    }
}

pub(crate) fn lease_list(out: &mut String, h: &Header, ids: &[i64]) {
    hdr(out, h);
    for id in ids {
        field(out, "ID", id);
    }
}

pub(crate) fn member_list(out: &mut String, h: &Header, members: &[MemberRow]) {
    hdr(out, h);
    for m in members {
        field(out, "ID", m.id);
        field(out, "Name", quote(m.name.as_bytes()));
        for u in &m.peer_urls {
            field(out, "PeerURL", quote(u.as_bytes()));
        }
        for u in &m.client_urls {
            field(out, "ClientURL", quote(u.as_bytes()));
        }
        field(out, "IsLearner", m.is_learner);
        out.push('\n');
    }
}

pub(crate) fn endpoint_status(out: &mut String, rows: &[EndpointStatusRow]) {
    for r in rows {
        hdr(
            out,
            &Header {
                cluster_id: r.cluster_id,
                member_id: r.id,
                revision: r.revision,
                raft_term: r.raft_term,
            },
        );
        field(out, "Version", quote(r.version.as_bytes()));
        field(out, "DBSize", r.db_size);
        field(out, "Leader", r.leader);
        field(out, "IsLearner", r.is_learner);
        field(out, "RaftIndex", r.raft_index);
        field(out, "RaftTerm", r.raft_term);
        field(out, "RaftAppliedIndex", r.raft_applied_index);
        field(out, "Errors", format!("[{}]", r.errors.join(" ")));
        field(out, "Endpoint", quote(r.endpoint.as_bytes()));
        out.push('\n');
    }
}

pub(crate) fn endpoint_health(
    out: &mut String,
    rows: &[EndpointHealthRow],
    took: impl Fn(u64) -> String,
) {
    for r in rows {
        field(out, "Endpoint", quote(r.endpoint.as_bytes()));
        field(out, "Health", r.health);
        field(out, "Took", took(r.took_ms));
        field(out, "Error", r.error.as_deref().unwrap_or(""));
        out.push('\n');
    }
}

pub(crate) fn endpoint_hashkv(out: &mut String, rows: &[EndpointHashKvRow]) {
    for r in rows {
        hdr(out, &r.header);
        field(out, "Endpoint", quote(r.endpoint.as_bytes()));
        field(out, "Hash", r.hash);
        out.push('\n');
    }
}
