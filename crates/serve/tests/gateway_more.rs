//! `curl` against `raftlab serve`'s JSON gateway: the v3lock, v3election and membership
//! endpoints, and `POST /v3/watch` and `POST /v3/election/observe` streaming `{"result":...}`
//! lines as etcd's gateway does.
//! Skipped (with the reason) without curl. Each session replays.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn have_curl() -> bool {
    Command::new("curl").arg("--version").output().is_ok()
}

/// `curl -s -w ' %{http_code}' URL -d BODY`: the body and the HTTP status.
fn post(url: &str, path: &str, body: &str) -> (String, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-w",
            " %{http_code}",
            &format!("{url}{path}"),
            "-d",
            body,
        ])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once(' ').expect("a status");
    (body.to_string(), code.to_string())
}

#[test]
fn lock_election_and_member_endpoints() {
    if !have_curl() {
        eprintln!("skipped: no curl");
        return;
    }
    let s = common::start(51, 2.0);
    let url = s.url(s.leader());
    let (b, code) = post(&url, "/v3/lease/grant", r#"{"TTL": 30, "ID": 1234}"#);
    assert_eq!(code, "200", "{b}");
    let (b, code) = post(
        &url,
        "/v3/lock/lock",
        r#"{"name": "bXlsb2Nr", "lease": 1234}"#,
    );
    assert_eq!(code, "200", "{b}");
    assert!(b.ends_with(r#""key":"bXlsb2NrLzRkMg=="}"#), "{b}");
    assert!(b.starts_with(r#"{"header":{"cluster_id":""#), "{b}");
    let (b, code) = post(&url, "/v3/lock/unlock", r#"{"key": "bXlsb2NrLzRkMg=="}"#);
    assert_eq!(code, "200", "{b}");
    let (b, code) = post(&url, "/v3/lock/lock", r#"{"name": "bQ==", "lease": 999}"#);
    assert_eq!(code, "500");
    assert_eq!(
        b,
        r#"{"error":"etcdserver: requested lease not found","code":2,"message":"etcdserver: requested lease not found"}"#
    );
    let (b, code) = post(
        &url,
        "/v3/election/campaign",
        r#"{"name": "ZQ==", "lease": 1234, "value": "dg=="}"#,
    );
    assert_eq!(code, "200", "{b}");
    assert!(
        b.contains(r#""leader":{"name":"ZQ==","key":"ZS80ZDI=","rev":""#),
        "{b}"
    );
    let (b, code) = post(&url, "/v3/election/leader", r#"{"name": "ZQ=="}"#);
    assert_eq!(code, "200", "{b}");
    assert!(b.contains(r#""value":"dg==","lease":"1234"}"#), "{b}");
    let (b, code) = post(&url, "/v3/election/resign", "{}");
    assert_eq!(code, "500");
    assert!(
        b.contains(r#""error":"\"leader\" field must be provided","code":2"#),
        "{b}"
    );
    let (b, code) = post(&url, "/v3/cluster/member/remove", r#"{"ID": "123"}"#);
    assert_eq!(code, "404", "{b}");
    let (b, code) = post(&url, "/v3/cluster/member/add", r#"{"peerURLs": "x"}"#);
    assert_eq!(code, "400", "{b}");
    let (b, code) = post(
        &url,
        "/v3/cluster/member/add",
        r#"{"peerURLs": ["http://127.0.0.1:42380"], "isLearner": true}"#,
    );
    assert_eq!(code, "200", "{b}");
    assert!(
        b.contains(r#""peerURLs":["http://127.0.0.1:42380"],"isLearner":true}"#),
        "{b}"
    );
    s.check_replay();
}

#[test]
fn watch_streams_results_until_the_client_goes() {
    if !have_curl() {
        eprintln!("skipped: no curl");
        return;
    }
    let s = common::start(52, 2.0);
    let url = s.url(s.leader());
    let (b, code) = post(&url, "/v3/watch", r#"{"create_request": {"key": 5}}"#);
    assert_eq!(code, "500");
    assert_eq!(
        b,
        r#"{"error":"json: cannot unmarshal number into Go value of type []uint8","code":2,"message":"json: cannot unmarshal number into Go value of type []uint8"}"#
    );
    let (mut child, rx) = stream(
        &url,
        "/v3/watch",
        r#"{"create_request": {"key": "Zm9v", "prev_kv": true}}"#,
    );
    let next = || {
        rx.recv_timeout(Duration::from_secs(15))
            .expect("a watch line")
    };
    let created = next();
    assert!(
        created.starts_with(r#"{"result":{"header":{"cluster_id":""#),
        "{created}"
    );
    assert!(created.ends_with(r#""created":true}}"#), "{created}");
    post(&url, "/v3/kv/put", r#"{"key": "Zm9v", "value": "YmFy"}"#);
    post(
        &url,
        "/v3/kv/put",
        r#"{"key": "b3RoZXI=", "value": "eA=="}"#,
    );
    post(&url, "/v3/kv/put", r#"{"key": "Zm9v", "value": "YmF6"}"#);
    post(&url, "/v3/kv/deleterange", r#"{"key": "Zm9v"}"#);
    let put = next();
    assert!(
        put.ends_with(r#""events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}]}}"#),
        "{put}"
    );
    let again = next();
    assert!(
        again.contains(r#""prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}"#),
        "the other key is not watched; the second put carries its previous value: {again}"
    );
    let del = next();
    assert!(
        del.contains(r#""events":[{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"5"}"#),
        "{del}"
    );
    let _ = child.kill();
    let _ = child.wait();
    // The watch ends with its client: the recording cancels its command.
    let mut cancelled = false;
    for _ in 0..100 {
        let rec = s.server.recording().expect("recording");
        if rec
            .lines()
            .any(|l| l.ends_with("cancel 1") || l.contains(" cancel "))
        {
            cancelled = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        cancelled,
        "the watch is cancelled once its client went away"
    );
    s.check_replay();
}

/// A streaming `curl -N` whose lines arrive on a channel.
fn stream(
    url: &str,
    path: &str,
    body: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new("curl")
        .args(["-s", "-N", "-m", "30", &format!("{url}{path}"), "-d", body])
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The response header's revision in a `{"result":{"header":{...}}}` line.
fn header_revision(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
    v["result"]["header"]["revision"]
        .as_str()
        .expect("a revision")
        .to_string()
}

/// The election's leaders as etcd 3.5.1's gateway streams them: the current leader, a new
/// value proclaimed, nothing for a resignation, the next leader (checked against etcd 3.5.1:
/// `curl -N .../v3/election/observe -d '{"name":"ZjI="}'` while campaigning, proclaiming and
/// resigning through the gateway printed these lines, header and all).
#[test]
fn observe_streams_each_leader() {
    if !have_curl() {
        eprintln!("skipped: no curl");
        return;
    }
    let s = common::start(53, 2.0);
    let url = s.url(s.leader());
    // A body of the wrong type is refused before the stream starts, as etcd does.
    let (b, code) = post(&url, "/v3/election/observe", r#"{"name": 5}"#);
    assert_eq!(code, "400");
    assert_eq!(
        b,
        r#"{"error":"json: cannot unmarshal number into Go value of type []uint8","code":3,"message":"json: cannot unmarshal number into Go value of type []uint8"}"#
    );
    for id in [2000, 2001] {
        let (b, code) = post(
            &url,
            "/v3/lease/grant",
            &format!(r#"{{"TTL": 60, "ID": {id}}}"#),
        );
        assert_eq!(code, "200", "{b}");
    }
    let (b, code) = post(
        &url,
        "/v3/election/campaign",
        r#"{"name": "ZjI=", "lease": 2000, "value": "YQ=="}"#,
    );
    assert_eq!(code, "200", "{b}");
    let leader = r#"{"name":"ZjI=","key":"ZjIvN2Qw","rev":"2","lease":"2000"}"#;
    assert!(b.ends_with(&format!(r#""leader":{leader}}}"#)), "{b}");
    // Unknown fields are ignored.
    let (mut child, rx) = stream(&url, "/v3/election/observe", r#"{"name": "ZjI=", "zz": 1}"#);
    let next = || {
        rx.recv_timeout(Duration::from_secs(15))
            .expect("an observe line")
    };
    let first = next();
    assert!(
        first.starts_with(r#"{"result":{"header":{"cluster_id":""#),
        "{first}"
    );
    assert!(
        first.ends_with(r#""kv":{"key":"ZjIvN2Qw","create_revision":"2","mod_revision":"2","version":"1","value":"YQ==","lease":"2000"}}}"#),
        "{first}"
    );
    assert_eq!(header_revision(&first), "2");
    let (b, code) = post(
        &url,
        "/v3/election/proclaim",
        &format!(r#"{{"leader": {leader}, "value": "Yg=="}}"#),
    );
    assert_eq!(code, "200", "{b}");
    let proclaimed = next();
    assert!(
        proclaimed.ends_with(r#""kv":{"key":"ZjIvN2Qw","create_revision":"2","mod_revision":"3","version":"2","value":"Yg==","lease":"2000"}}}"#),
        "{proclaimed}"
    );
    assert_eq!(header_revision(&proclaimed), "3");
    let (b, code) = post(
        &url,
        "/v3/election/resign",
        &format!(r#"{{"leader": {leader}}}"#),
    );
    assert_eq!(code, "200", "{b}");
    let (b, code) = post(
        &url,
        "/v3/election/campaign",
        r#"{"name": "ZjI=", "lease": 2001, "value": "Yw=="}"#,
    );
    assert_eq!(code, "200", "{b}");
    let next_leader = next();
    assert!(
        next_leader.ends_with(r#""kv":{"key":"ZjIvN2Qx","create_revision":"5","mod_revision":"5","version":"1","value":"Yw==","lease":"2001"}}}"#),
        "the resignation prints nothing, the next leader does: {next_leader}"
    );
    assert_eq!(header_revision(&next_leader), "5");
    let _ = child.kill();
    let _ = child.wait();
    let mut cancelled = false;
    for _ in 0..100 {
        let rec = s.server.recording().expect("recording");
        if rec.lines().any(|l| l.contains(" cancel ")) {
            cancelled = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        cancelled,
        "the observer is cancelled once its client went away"
    );
    s.check_replay();
}
