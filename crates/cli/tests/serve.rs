//! `raftlab serve`'s command line: bad options and a port in use are one-line errors.

use std::process::Command;

fn raftlab(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(args)
        .output()
        .expect("raftlab runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_options_are_one_line_errors() {
    let (code, err) = raftlab(&["serve", "--speed", "0"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("invalid speed"), "{err}");
    let (code, err) = raftlab(&["serve", "--nodes", "0"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_port_in_use_is_an_error() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port().to_string();
    let (code, err) = raftlab(&["serve", "--nodes", "1", "--port", &port]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("raftlab: cannot listen on 127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
