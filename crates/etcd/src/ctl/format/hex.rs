//! `--hex`: etcdctl's simple printer shows keys and values as `\x66\x6f\x6f`.

use kv::{
    DeleteRangeResponse, Event, KeyValue, PutResponse, RangeResponse, ResponseOp, TxnResponse,
    WatchResponse,
};

fn bytes(b: &[u8]) -> Vec<u8> {
    b.iter()
        .flat_map(|c| format!("\\x{c:02x}").into_bytes())
        .collect()
}

fn kv(k: &KeyValue) -> KeyValue {
    KeyValue {
        key: bytes(&k.key),
        value: bytes(&k.value),
        ..k.clone()
    }
}

pub(crate) fn put(r: &PutResponse) -> PutResponse {
    PutResponse {
        prev_kv: r.prev_kv.as_ref().map(kv),
    }
}

pub(crate) fn range(r: &RangeResponse) -> RangeResponse {
    RangeResponse {
        kvs: r.kvs.iter().map(kv).collect(),
        ..r.clone()
    }
}

pub(crate) fn del(r: &DeleteRangeResponse) -> DeleteRangeResponse {
    DeleteRangeResponse {
        prev_kvs: r.prev_kvs.iter().map(kv).collect(),
        ..r.clone()
    }
}

pub(crate) fn txn(r: &TxnResponse) -> TxnResponse {
    TxnResponse {
        responses: r
            .responses
            .iter()
            .map(|op| match op {
                ResponseOp::Put(p) => ResponseOp::Put(put(p)),
                ResponseOp::Range(g) => ResponseOp::Range(range(g)),
                ResponseOp::DeleteRange(d) => ResponseOp::DeleteRange(del(d)),
                ResponseOp::Txn(t) => ResponseOp::Txn(txn(t)),
            })
            .collect(),
        ..r.clone()
    }
}

pub(crate) fn watch(r: &WatchResponse) -> WatchResponse {
    WatchResponse {
        events: r
            .events
            .iter()
            .map(|e| Event {
                kv: kv(&e.kv),
                prev_kv: e.prev_kv.as_ref().map(kv),
                ..e.clone()
            })
            .collect(),
        ..r.clone()
    }
}
