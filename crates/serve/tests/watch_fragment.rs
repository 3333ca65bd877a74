//! The watch `fragment` option over gRPC, with the Rust `etcd-client` crate: a watch that
//! catches up over more than etcd's watch limit (its 1.5 MiB request limit plus gRPC's
//! 512 KiB overhead: 2 MiB) gets them as several responses (etcd splits a response of at least
//! that size with two or more events into parts of whole events under it, all but the last
//! marked `fragment`), without the option as one response. The same session runs against real etcd 3.5.1 when it is installed
//! (`$RAFTLAB_ETCD_DIR` or `~/.cache/raftlab/etcd-3.5.1`), and both must agree.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, WatchOptions};

/// One value: 600 KiB, so three events (1.8 MiB) stay under the 2 MiB limit and four go over.
const VALUE: usize = 600 * 1024;

/// The events of each response of a watch on `f/` from `rev` (created response left out),
/// until `want` events came.
async fn responses(c: &mut Client, rev: i64, fragment: bool, want: usize) -> Vec<usize> {
    let mut opts = WatchOptions::new().with_prefix().with_start_revision(rev);
    if fragment {
        opts = opts.with_fragment();
    }
    let (mut w, mut stream) = c.watch("f/", Some(opts)).await.expect("watch");
    let mut sizes = Vec::new();
    while sizes.iter().sum::<usize>() < want {
        let r = tokio::time::timeout(Duration::from_secs(20), stream.message())
            .await
            .expect("a response in time")
            .expect("stream")
            .expect("a response");
        if !r.events().is_empty() {
            for e in r.events() {
                assert_eq!(e.kv().expect("kv").value().len(), VALUE);
            }
            sizes.push(r.events().len());
        }
    }
    w.cancel().await.expect("cancel");
    sizes
}

/// Puts four big values, then watches them from the first one's revision with and without
/// `fragment`: each response's event count.
async fn session(url: &str) -> (Vec<usize>, Vec<usize>) {
    let opts = ConnectOptions::new();
    let mut c = Client::connect([url], Some(opts)).await.expect("connects");
    let mut first = 0;
    for i in 0..4 {
        let r = c
            .put(format!("f/{i}"), vec![b'a' + i as u8; VALUE], None)
            .await
            .expect("put");
        if i == 0 {
            first = r.header().expect("header").revision();
        }
    }
    let plain = responses(&mut c, first, false, 4).await;
    let fragmented = responses(&mut c, first, true, 4).await;
    (plain, fragmented)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_catch_up_is_fragmented_as_etcd_does() {
    let s = common::start(5, 2.0);
    let leader = s.leader();
    let (plain, fragmented) = session(&s.url(leader)).await;
    // Without the option: one response of all four events (2.4 MiB).
    assert_eq!(plain, vec![4], "without fragment");
    // With it: parts of whole events under 2 MiB.
    assert_eq!(fragmented, vec![3, 1], "with fragment");
    s.check_replay();
    if let Some(etcd) = RealEtcd::start() {
        let real = session(&etcd.url).await;
        assert_eq!(real, (plain, fragmented), "real etcd 3.5.1 differs");
    } else {
        eprintln!("etcd 3.5.1 not installed: raftlab alone");
    }
}

/// A one-member etcd 3.5.1 on 127.0.0.1 with a fresh data dir, stopped on drop.
struct RealEtcd {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl RealEtcd {
    fn start() -> Option<RealEtcd> {
        let dir = std::env::var_os("RAFTLAB_ETCD_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/raftlab/etcd-3.5.1"))
            })?;
        let bin = dir.join("etcd");
        if !bin.exists() {
            return None;
        }
        let port = |()| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port")
        };
        let (client, peer) = (port(()), port(()));
        let data =
            std::env::temp_dir().join(format!("raftlab-fragment-{}-{client}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new(bin)
            .args(["--name", "node1", "--data-dir"])
            .arg(&data)
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("node1={peer_url}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let etcd = RealEtcd {
            child,
            dir: data,
            url,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", client)).is_ok() {
                std::thread::sleep(Duration::from_millis(500));
                return Some(etcd);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("etcd 3.5.1 did not start");
    }
}

impl Drop for RealEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
