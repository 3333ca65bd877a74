//! Output against what etcdctl v3.5 prints.

use super::*;
use crate::ctl::{EndpointHealthRow, EndpointStatusRow, MemberRow};
use kv::{Event, EventType, KeyValue, ResponseOp};

fn h() -> Header {
    Header {
        cluster_id: 14841639068965178418,
        member_id: 10276657743932975437,
        revision: 3,
        raft_term: 2,
    }
}

fn kv(k: &str, v: &str, c: i64, m: i64, ver: i64) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: v.into(),
        create_revision: c,
        mod_revision: m,
        version: ver,
        lease: 0,
    }
}

#[test]
fn put_simple_and_json() {
    let r = PutResponse { prev_kv: None };
    assert_eq!(put(&h(), &r, OutputFormat::Simple), "OK\n");
    let r = PutResponse {
        prev_kv: Some(kv("foo", "bar", 2, 2, 1)),
    };
    assert_eq!(put(&h(), &r, OutputFormat::Simple), "OK\nfoo\nbar\n");
    assert_eq!(
        put(&h(), &PutResponse::default(), OutputFormat::Json),
        "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2}}\n"
    );
}

#[test]
fn get_simple_and_json() {
    let r = RangeResponse {
        kvs: vec![kv("foo", "bar", 2, 2, 1), kv("foo2", "baz", 3, 3, 1)],
        more: false,
        count: 2,
    };
    assert_eq!(
        get(&h(), &r, OutputFormat::Simple, false, false),
        "foo\nbar\nfoo2\nbaz\n"
    );
    assert_eq!(
        get(&h(), &r, OutputFormat::Simple, true, false),
        "bar\nbaz\n"
    );
    assert_eq!(
        get(&h(), &r, OutputFormat::Simple, false, true),
        "foo\n\nfoo2\n\n"
    );
    assert_eq!(
        get(
            &h(),
            &RangeResponse::default(),
            OutputFormat::Simple,
            false,
            false
        ),
        ""
    );
    let one = RangeResponse {
        kvs: vec![kv("foo", "bar", 2, 2, 1)],
        more: true,
        count: 2,
    };
    assert_eq!(
        get(&h(), &one, OutputFormat::Json, false, false),
        "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":2,\"version\":1,\"value\":\"YmFy\"}],\"more\":true,\"count\":2}\n"
    );
    assert_eq!(
        get(&h(), &one, OutputFormat::Table, false, false),
        "Error: table not supported as output format\n"
    );
}

#[test]
fn del_and_txn() {
    let r = DeleteRangeResponse {
        deleted: 1,
        prev_kvs: vec![kv("a", "1", 2, 2, 1)],
    };
    assert_eq!(del(&h(), &r, OutputFormat::Simple), "1\na\n1\n");
    assert_eq!(
        del(&h(), &DeleteRangeResponse::default(), OutputFormat::Simple),
        "0\n"
    );
    let t = TxnResponse {
        succeeded: true,
        responses: vec![
            ResponseOp::Put(PutResponse::default()),
            ResponseOp::Range(RangeResponse {
                kvs: vec![kv("k", "v", 2, 3, 2)],
                more: false,
                count: 1,
            }),
        ],
    };
    assert_eq!(
        txn(&h(), &t, OutputFormat::Simple),
        "SUCCESS\n\nOK\n\nk\nv\n"
    );
    assert_eq!(
        txn(&h(), &TxnResponse::default(), OutputFormat::Simple),
        "FAILURE\n"
    );
    let t = TxnResponse {
        succeeded: true,
        responses: vec![ResponseOp::Put(PutResponse::default())],
    };
    assert_eq!(
        txn(&h(), &t, OutputFormat::Json),
        "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2},\"succeeded\":true,\"responses\":[{\"Response\":{\"response_put\":{\"header\":{\"revision\":3}}}}]}\n"
    );
}

#[test]
fn watch_events() {
    let r = WatchResponse {
        watch_id: 0,
        revision: 3,
        events: vec![
            Event {
                kind: EventType::Put,
                kv: kv("foo", "bar", 3, 3, 1),
                prev_kv: None,
            },
            Event {
                kind: EventType::Delete,
                kv: KeyValue {
                    key: "foo".into(),
                    mod_revision: 4,
                    ..Default::default()
                },
                prev_kv: Some(kv("foo", "bar", 3, 3, 1)),
            },
        ],
        ..Default::default()
    };
    assert_eq!(
        watch(&h(), &r, OutputFormat::Simple),
        "PUT\nfoo\nbar\nDELETE\nfoo\nbar\nfoo\n\n"
    );
    let created = WatchResponse {
        created: true,
        ..Default::default()
    };
    assert_eq!(watch(&h(), &created, OutputFormat::Simple), "");
    let compacted = WatchResponse {
        canceled: true,
        compact_revision: 5,
        ..Default::default()
    };
    assert_eq!(
        watch(&h(), &compacted, OutputFormat::Simple),
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)\n"
    );
    assert_eq!(
        watch(&h(), &WatchResponse::default(), OutputFormat::Simple),
        "progress notify: 3\n"
    );
    let put_only = WatchResponse {
        events: vec![r.events[1].clone()],
        ..Default::default()
    };
    assert_eq!(
        watch(&h(), &put_only, OutputFormat::Json),
        "{\"Header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2},\"Events\":[{\"type\":1,\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":4},\"prev_kv\":{\"key\":\"Zm9v\",\"create_revision\":3,\"mod_revision\":3,\"version\":1,\"value\":\"YmFy\"}}],\"CompactRevision\":0,\"Canceled\":false,\"Created\":false}\n"
    );
}

#[test]
fn leases() {
    let id = 0x694d77aa9e38260f;
    assert_eq!(
        lease_grant(&h(), id, 60, OutputFormat::Simple),
        "lease 694d77aa9e38260f granted with TTL(60s)\n"
    );
    assert_eq!(
        lease_grant(&h(), 0x20, 60, OutputFormat::Simple),
        "lease 0000000000000020 granted with TTL(60s)\n"
    );
    assert_eq!(
        lease_grant(&h(), id, 60, OutputFormat::Json),
        "{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2,\"ID\":7587852521871779343,\"TTL\":60,\"Error\":\"\"}\n"
    );
    assert_eq!(
        lease_revoke(&h(), id, OutputFormat::Simple),
        "lease 694d77aa9e38260f revoked\n"
    );
    assert_eq!(
        lease_keepalive(&h(), id, 60, OutputFormat::Simple),
        "lease 694d77aa9e38260f keepalived with TTL(60)\n"
    );
    assert_eq!(
        lease_keepalive_end(id, OutputFormat::Simple),
        "lease 694d77aa9e38260f expired or revoked.\n"
    );
    let info = LeaseInfo {
        id,
        ttl: 52,
        granted_ttl: 60,
        keys: vec![b"foo".to_vec(), b"bar".to_vec()],
    };
    assert_eq!(
        lease_ttl(&h(), &info, false, OutputFormat::Simple),
        "lease 694d77aa9e38260f granted with TTL(60s), remaining(52s)\n"
    );
    assert_eq!(
        lease_ttl(&h(), &info, true, OutputFormat::Simple),
        "lease 694d77aa9e38260f granted with TTL(60s), remaining(52s), attached keys([foo bar])\n"
    );
    let gone = LeaseInfo {
        id,
        ttl: -1,
        granted_ttl: 0,
        keys: vec![],
    };
    assert_eq!(
        lease_ttl(&h(), &gone, false, OutputFormat::Simple),
        "lease 694d77aa9e38260f already expired\n"
    );
    assert_eq!(
        lease_list(&h(), &[id, 5], OutputFormat::Simple),
        "found 2 leases\n694d77aa9e38260f\n0000000000000005\n"
    );
    assert_eq!(
        lease_list(&h(), &[], OutputFormat::Simple),
        "found 0 leases\n"
    );
}

fn status_rows() -> Vec<EndpointStatusRow> {
    vec![
        EndpointStatusRow {
            endpoint: "node1".into(),
            id: 1,
            version: "3.5.0".into(),
            db_size: 20480,
            is_leader: true,
            raft_term: 2,
            raft_index: 8,
            raft_applied_index: 8,
            leader: 1,
            ..Default::default()
        },
        EndpointStatusRow {
            endpoint: "node2".into(),
            id: 2,
            version: "3.5.0".into(),
            db_size: 20480,
            raft_term: 2,
            raft_index: 8,
            raft_applied_index: 7,
            leader: 1,
            ..Default::default()
        },
    ]
}

#[test]
fn endpoint_status_formats() {
    assert_eq!(
        endpoint_status(&status_rows(), OutputFormat::Simple),
        "node1, 1, 3.5.0, 20 kB, true, false, 2, 8, 8, \nnode2, 2, 3.5.0, 20 kB, false, false, 2, 8, 7, \n"
    );
    let want = "\
+----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
| ENDPOINT | ID | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |
+----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
|    node1 |  1 |   3.5.0 |   20 kB |      true |      false |         2 |          8 |                  8 |        |
|    node2 |  2 |   3.5.0 |   20 kB |     false |      false |         2 |          8 |                  7 |        |
+----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
";
    assert_eq!(endpoint_status(&status_rows(), OutputFormat::Table), want);
    assert_eq!(
        endpoint_status(&status_rows()[..1], OutputFormat::Json),
        "[{\"Endpoint\":\"node1\",\"Status\":{\"header\":{\"member_id\":1,\"raft_term\":2},\"version\":\"3.5.0\",\"dbSize\":20480,\"leader\":1,\"raftIndex\":8,\"raftTerm\":2,\"raftAppliedIndex\":8}}]\n"
    );
}

#[test]
fn endpoint_health_formats() {
    let rows = vec![
        EndpointHealthRow {
            endpoint: "node1".into(),
            health: true,
            took_ms: 3,
            error: None,
        },
        EndpointHealthRow {
            endpoint: "node2".into(),
            health: false,
            took_ms: 5000,
            error: Some("context deadline exceeded".into()),
        },
    ];
    assert_eq!(
        endpoint_health(&rows, OutputFormat::Simple),
        "node1 is healthy: successfully committed proposal: took = 3ms\nnode2 is unhealthy: failed to commit proposal: context deadline exceeded\nError: unhealthy cluster\n"
    );
    assert_eq!(
        endpoint_health(&rows[..1], OutputFormat::Json),
        "[{\"endpoint\":\"node1\",\"health\":true,\"took\":\"3ms\"}]\n"
    );
    let want = "\
+----------+--------+------+-------+
| ENDPOINT | HEALTH | TOOK | ERROR |
+----------+--------+------+-------+
|    node1 |   true |  3ms |       |
+----------+--------+------+-------+
";
    assert_eq!(endpoint_health(&rows[..1], OutputFormat::Table), want);
}

#[test]
fn members() {
    let ms = vec![
        MemberRow {
            id: 1,
            status: "started".into(),
            name: "node1".into(),
            peer_urls: vec!["http://node1:2380".into()],
            client_urls: vec!["http://node1:2379".into()],
            is_learner: false,
        },
        MemberRow {
            id: 4,
            status: "unstarted".into(),
            peer_urls: vec!["http://node4:2380".into()],
            is_learner: true,
            ..Default::default()
        },
    ];
    assert_eq!(
        member_list(&h(), &ms, OutputFormat::Simple),
        "1, started, node1, http://node1:2380, http://node1:2379, false\n4, unstarted, , http://node4:2380, , true\n"
    );
    let table = member_list(&h(), &ms[..1], OutputFormat::Table);
    assert!(table.starts_with("+----+---------+-------+-------------------+-------------------+------------+\n| ID | STATUS  | NAME  |    PEER ADDRS     |   CLIENT ADDRS    | IS LEARNER |\n"), "{table}");
    assert_eq!(
        member_list(&h(), &ms[..1], OutputFormat::Json),
        "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"raft_term\":2},\"members\":[{\"ID\":1,\"name\":\"node1\",\"peerURLs\":[\"http://node1:2380\"],\"clientURLs\":[\"http://node1:2379\"]}]}\n"
    );
    let added = MemberRow {
        name: "node4".into(),
        ..ms[1].clone()
    };
    assert_eq!(
        member_add(&h(), &added, &ms, OutputFormat::Simple),
        "Member                4 added to cluster cdf818194e3a8c32\n\nETCD_NAME=\"node4\"\nETCD_INITIAL_CLUSTER=\"node1=http://node1:2380,node4=http://node4:2380\"\nETCD_INITIAL_ADVERTISE_PEER_URLS=\"http://node4:2380\"\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n"
    );
    assert_eq!(
        member_remove(&h(), 3, &ms, OutputFormat::Simple),
        "Member                3 removed from cluster cdf818194e3a8c32\n"
    );
    assert_eq!(
        move_leader(1, 3, OutputFormat::Simple),
        "Leadership transferred from 1 to 3\n"
    );
    assert_eq!(move_leader(1, 3, OutputFormat::Json), "{}\n");
    // A membership change's JSON is its header (no revision) and the members after it.
    assert_eq!(
        member_remove(&h(), 3, &ms[..1], OutputFormat::Json),
        member_list(&h(), &ms[..1], OutputFormat::Json)
    );
    assert_eq!(
        member_update(&h(), 3, &ms, OutputFormat::Table),
        "Error: table not supported as output format\n"
    );
}

#[test]
fn misc() {
    assert_eq!(compaction(5), "compacted revision 5\n");
    assert_eq!(
        defrag("node1"),
        "Finished defragmenting etcd member[node1]\n"
    );
    assert_eq!(
        error("etcdserver: request timed out"),
        "Error: etcdserver: request timed out\n"
    );
}

#[test]
fn gateway_json() {
    let one = RangeResponse {
        kvs: vec![kv("foo", "bar", 2, 2, 1)],
        more: false,
        count: 1,
    };
    assert_eq!(
        gateway_range(&h(), &one),
        "{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\",\"revision\":\"3\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}\n"
    );
    let hh = Header {
        revision: 2,
        ..Default::default()
    };
    assert_eq!(
        gateway_put(&hh, &PutResponse::default()),
        "{\"header\":{\"revision\":\"2\"}}\n"
    );
    let t = TxnResponse {
        succeeded: true,
        responses: vec![ResponseOp::Put(PutResponse::default())],
    };
    assert_eq!(
        gateway_txn(&hh, &t),
        "{\"header\":{\"revision\":\"2\"},\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"2\"}}}]}\n"
    );
    assert_eq!(
        gateway_lease_grant(&hh, 7, 30),
        "{\"header\":{\"revision\":\"2\"},\"ID\":\"7\",\"TTL\":\"30\"}\n"
    );
    assert_eq!(
        gateway_lease_keepalive(&hh, 7, 30),
        "{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"7\",\"TTL\":\"30\"}}\n"
    );
    assert_eq!(
        gateway_health(true, ""),
        "{\"health\":\"true\",\"reason\":\"\"}\n"
    );
    assert_eq!(
        gateway_error("etcdserver: requested lease not found"),
        "{\"error\":\"etcdserver: requested lease not found\",\"code\":5,\"message\":\"etcdserver: requested lease not found\"}\n"
    );
    assert_eq!(
        gateway_status(&status_rows()[0]),
        "{\"header\":{\"member_id\":\"1\",\"raft_term\":\"2\"},\"version\":\"3.5.0\",\"dbSize\":\"20480\",\"leader\":\"1\",\"raftIndex\":\"8\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"8\"}\n"
    );
}
