//! What a client can send that it should not: oversized requests, malformed gRPC frames,
//! invalid JSON, many idle connections. Each gets etcd's error (or a closed connection), and the
//! server goes on serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use etcd_client::Client;

fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Writes raw bytes to the member and reads what comes back (bounded).
fn raw(url: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr(url)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || out.len() > 64 * 1024 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_errors_and_the_server_goes_on() {
    let s = common::start(7, 2.0);
    let leader = s.leader();
    let url = s.url(leader);
    let mut c = Client::connect([url.as_str()], None)
        .await
        .expect("connect");

    // A value over etcd's 1.5 MiB request limit but within gRPC's message limit.
    let big = vec![b'x'; 3 * 512 * 1024 + 10];
    let e = c.put("big", big, None).await.expect_err("too large");
    match e {
        etcd_client::Error::GRpcStatus(st) => {
            assert_eq!(st.code(), tonic::Code::InvalidArgument, "{st:?}");
            assert_eq!(st.message(), "etcdserver: request is too large");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Over gRPC's message limit: refused before it is decoded.
    let huge = vec![b'x'; 3 * 1024 * 1024];
    let e = c
        .put("huge", huge, None)
        .await
        .expect_err("over the message limit");
    assert!(
        matches!(e, etcd_client::Error::GRpcStatus(ref st) if st.code() == tonic::Code::OutOfRange || st.code() == tonic::Code::ResourceExhausted),
        "{e:?}"
    );
    // An empty key: etcd's error.
    let e = c.put("", "v", None).await.expect_err("empty key");
    assert!(e.to_string().contains("key is not provided"), "{e}");

    // Garbage where HTTP/2 or HTTP/1.1 is expected: the connection is closed (or answered
    // 400), nothing else happens.
    let out = raw(
        &url,
        b"\x00\x01\x02garbage that is no protocol at all\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&out);
    assert!(out.is_empty() || text.starts_with("HTTP/1.1 400"), "{text}");
    // A gRPC request whose frame says 100 bytes and carries 3 bytes of protobuf garbage, over
    // HTTP/2 prior knowledge: the preface, then a broken frame. The connection ends.
    let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2.extend_from_slice(&[0, 0, 3, 0xff, 0, 0, 0, 0, 1, 1, 2, 3]);
    let _ = raw(&url, &h2);
    // Invalid JSON on the gateway: etcd's code 3.
    let bad = raw(
        &url,
        b"POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope",
    );
    let text = String::from_utf8_lossy(&bad);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("\"code\":3"), "{text}");

    // Many idle connections (bounded: 300) while a client works.
    let idle: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect(addr(&url)).ok())
        .collect();
    assert!(idle.len() >= 250, "{} connections", idle.len());
    let r = c.put("after", "ok", None).await.expect("still serving");
    assert!(r.header().expect("header").revision() > 1);
    drop(idle);
    let g = c.get("after", None).await.expect("get");
    assert_eq!(g.kvs()[0].value(), b"ok");
    s.check_replay();
}

#[test]
fn connections_beyond_the_bound_are_closed_and_the_rest_served() {
    let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let p2 = printed.clone();
    let sink: serve::Sink = std::sync::Arc::new(move |l: &str| {
        if let Ok(mut v) = p2.lock() {
            v.push(l.to_string());
        }
    });
    let config = serve::Config {
        nodes: 1,
        port: 0,
        max_connections: 4,
        ..Default::default()
    };
    let server = serve::Server::start(config, sink).expect("starts");
    let url = server.url(1).expect("url");
    let held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(addr(&url)).expect("connect"))
        .collect();
    // Let the server accept the four first.
    std::thread::sleep(Duration::from_millis(200));
    // The fifth is accepted by the kernel and closed by the server at once.
    let out = raw(
        &url,
        b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    drop(held);
    // Once they close, a request is answered again (bounded retries: the server notices the
    // closed connections when it reads them).
    let mut answered = String::new();
    for _ in 0..50 {
        let out = raw(
            &url,
            b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        answered = String::from_utf8_lossy(&out).into_owned();
        if !answered.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answered.contains("\"etcdserver\":\"3.5.1\""), "{answered}");
    server.stop();
}
