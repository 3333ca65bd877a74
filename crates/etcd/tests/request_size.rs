//! etcd's request size limit (`--max-request-bytes`, 1.5 MiB) counts the request's protobuf
//! (`InternalRaftRequest`), on every path: a 1.4 MiB value is stored and read back, a 1.6 MiB
//! value is refused with etcd's error and changes nothing, through the console and the gateway.

use base64::Engine;
use etcd::ctl::MAX_REQUEST_BYTES;
use etcd::{EtcdRequest, Playground, Repl};
use kv::PutRequest;
use sim::ClusterConfig;

const MIB: usize = 1024 * 1024;
const TOO_LARGE: &str = "etcdserver: request is too large";

fn repl() -> Repl {
    Repl::new(Playground::new(ClusterConfig::new(3, 1)).unwrap()).unwrap()
}

/// A value of `n` printable bytes (so the console can carry it as one argument).
fn value(n: usize) -> String {
    "0123456789abcdef".repeat(n / 16 + 1)[..n].to_string()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn console_accepts_1_4_mib_and_refuses_1_6_mib() {
    let mut r = repl();
    let small = value(MIB * 14 / 10);
    assert_eq!(r.line(&format!("put big {small}")).unwrap(), "OK\n");
    let got = r.line("get big --print-value-only").unwrap();
    assert_eq!(got.trim_end(), small);

    let large = value(MIB * 16 / 10);
    let out = r.line(&format!("put big {large}")).unwrap();
    assert!(out.contains(TOO_LARGE), "{out}");
    // Nothing changed: the old value is still there, at the same revision.
    let got = r.line("get big --print-value-only").unwrap();
    assert_eq!(got.trim_end(), small);
    assert!(r
        .line("get big -w json")
        .unwrap()
        .contains("\"revision\":2"));
}

#[test]
fn gateway_accepts_1_4_mib_and_refuses_1_6_mib() {
    let mut r = repl();
    let small = value(MIB * 14 / 10);
    let out = r
        .line(&format!(
            r#"POST /v3/kv/put {{"key":"{}","value":"{}"}}"#,
            b64("big"),
            b64(&small)
        ))
        .unwrap();
    assert!(
        out.contains("\"revision\":\"2\""),
        "{}",
        &out[..out.len().min(300)]
    );

    let large = value(MIB * 16 / 10);
    let out = r
        .line(&format!(
            r#"POST /v3/kv/put {{"key":"{}","value":"{}"}}"#,
            b64("big"),
            b64(&large)
        ))
        .unwrap();
    assert!(out.contains(TOO_LARGE), "{}", &out[..out.len().min(300)]);
    let out = r
        .line(&format!(r#"POST /v3/kv/range {{"key":"{}"}}"#, b64("big")))
        .unwrap();
    assert!(out.contains(&b64(&small)), "the stored value is unchanged");
    assert!(out.contains("\"mod_revision\":\"2\""));
}

#[test]
fn the_limit_is_the_protobuf_size_at_the_byte() {
    // The largest value that fits: the put's protobuf is exactly the limit.
    let fits = |n: usize| {
        EtcdRequest::Put(PutRequest {
            key: b"k".to_vec(),
            value: vec![0; n],
            ..Default::default()
        })
        .encoded_len()
            <= MAX_REQUEST_BYTES
    };
    let mut n = MAX_REQUEST_BYTES - 16;
    while fits(n + 1) {
        n += 1;
    }
    // key: 3 bytes, value: 1 tag + 3 length bytes, the put: 1 tag + 3 length bytes.
    assert_eq!(n, MAX_REQUEST_BYTES - 11);
    let mut r = repl();
    let at = "x".repeat(n);
    assert_eq!(r.line(&format!("put k {at}")).unwrap(), "OK\n");
    let over = "x".repeat(n + 1);
    assert!(r
        .line(&format!("put k {over}"))
        .unwrap()
        .contains(TOO_LARGE));
    // Zero bytes count one byte each, as in etcd (their JSON took up to four).
    let zeros = base64::engine::general_purpose::STANDARD.encode(vec![0u8; n]);
    let out = r
        .line(&format!(
            r#"POST /v3/kv/put {{"key":"aw==","value":"{zeros}"}}"#
        ))
        .unwrap();
    assert!(!out.contains("error"), "{}", &out[..out.len().min(300)]);
}
