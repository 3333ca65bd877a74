//! Runs a session against real etcd 3.5.1: a fresh cluster of `members` etcd processes on
//! 127.0.0.1 (free ports, a fresh data dir each), every line through `sh -c` as a person would
//! type it (so quoting and `$(...)` work as in a shell), stdout and stderr together.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::corpus::{substitute, Kind, Session, Step};

/// How long a background command gets to settle, and the session at its end.
const SETTLE: Duration = Duration::from_millis(300);
/// The longest a foreground command may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(15);

/// Where etcd and etcdctl 3.5.1 are, if installed (`scripts/lib.sh`'s `ensure_etcd`).
pub fn find() -> Option<PathBuf> {
    let dir = std::env::var_os("RAFTLAB_ETCD_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/raftlab/etcd-3.5.1"))
        })?;
    let out = Command::new(dir.join("etcd"))
        .arg("--version")
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout);
    (v.lines().next() == Some("etcd Version: 3.5.1") && dir.join("etcdctl").exists()).then_some(dir)
}

/// A member's ports.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    /// Client port.
    pub client: u16,
    /// Peer port.
    pub peer: u16,
}

/// What a session printed, with the cluster's ports (for normalization).
pub struct Outcome {
    /// One output per step.
    pub outputs: Vec<String>,
    /// Each member's ports, node1 first.
    pub ports: Vec<Ports>,
    /// Each member's id, node1 first.
    pub members: Vec<u64>,
}

/// The next port to try. Ports come from below the kernel's ephemeral range (32768 and up on
/// Linux): a port taken from the ephemeral range by binding to port 0 can be handed, before etcd
/// binds it, to one of the many outgoing connections the parallel clusters open, and then etcd
/// fails to start.
static NEXT_PORT: AtomicUsize = AtomicUsize::new(0);

/// A port nobody listens on now, from 20000..32000, starting at a place that depends on the
/// process id so that two test processes seldom try the same ports.
fn free_port() -> u16 {
    const LOW: usize = 20_000;
    const SPAN: usize = 12_000;
    let _ = NEXT_PORT.compare_exchange(
        0,
        (std::process::id() as usize * 97) % SPAN + 1,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let n = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        let port = (LOW + n % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Where the members' data dirs go: /dev/shm when there is one (each member preallocates a
/// 64 MB write-ahead log, and six clusters at once on a small CI disk is over a gigabyte), the
/// temp dir otherwise.
fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable = std::fs::metadata(shm).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
    if writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

struct Cluster {
    procs: Vec<Child>,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts a cluster; a cluster that does not come up (a port taken between choosing and
/// binding it) is torn down and started again on other ports, at most three times.
fn start(bin: &Path, members: usize) -> (Cluster, Vec<Ports>) {
    let mut failures = Vec::new();
    for _ in 0..3 {
        match try_start(bin, members) {
            Ok(started) => return started,
            Err(why) => failures.push(why),
        }
    }
    panic!("etcd did not start:\n{}", failures.join("\n"));
}

fn try_start(bin: &Path, members: usize) -> Result<(Cluster, Vec<Ports>), String> {
    let dir = scratch().join(format!(
        "raftlab-etcd-diff-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ports: Vec<Ports> = (0..members)
        .map(|_| Ports {
            client: free_port(),
            peer: free_port(),
        })
        .collect();
    let initial: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("node{}=http://127.0.0.1:{}", i + 1, p.peer))
        .collect();
    let mut cluster = Cluster {
        procs: Vec::new(),
        dir: dir.clone(),
    };
    // node1 is to lead, as raftlab's node1 does: the others wait 5 s (not 1 s) before they
    // campaign and do not fast-forward their first election timeout, so node1's first
    // campaign wins, in term 2.
    for (i, p) in ports.iter().enumerate() {
        let name = format!("node{}", i + 1);
        let (timeout, advance) = if i == 0 {
            ("1000", "true")
        } else {
            ("5000", "false")
        };
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let client = format!("http://127.0.0.1:{}", p.client);
        let peer = format!("http://127.0.0.1:{}", p.peer);
        let child = Command::new(bin.join("etcd"))
            .args(["--name", &name])
            .args(["--data-dir", dir.join(&name).to_str().unwrap()])
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &initial.join(",")])
            .args(["--initial-cluster-state", "new"])
            .args(["--election-timeout", timeout])
            .arg(format!("--initial-election-tick-advance={advance}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start etcd");
        cluster.procs.push(child);
    }
    let endpoints = endpoints(&ports);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = Command::new(bin.join("etcdctl"))
            .args(["--endpoints", &endpoints, "--command-timeout=1s"])
            .args(["endpoint", "health"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
        if Instant::now() >= deadline {
            let mut why = format!("etcd did not start in {dir:?} on {ports:?}");
            for i in 0..members {
                let log = std::fs::read_to_string(dir.join(format!("node{}.log", i + 1)))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(3).collect();
                for line in tail.into_iter().rev() {
                    why.push_str(&format!("\n  node{}: {line}", i + 1));
                }
            }
            return Err(why);
        }
        thread::sleep(Duration::from_millis(50));
    }
    Ok((cluster, ports))
}

/// The members' ids, node1 first.
fn member_ids(bin: &Path, ports: &[Ports]) -> Vec<u64> {
    let out = Command::new(bin.join("etcdctl"))
        .args([
            "--endpoints",
            &endpoints(ports),
            "member",
            "list",
            "-w",
            "json",
        ])
        .output()
        .expect("etcdctl member list");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("member list json");
    let mut ids: Vec<(String, u64)> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["ID"].as_u64().unwrap(),
            )
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

fn endpoints(ports: &[Ports]) -> String {
    ports
        .iter()
        .map(|p| format!("127.0.0.1:{}", p.client))
        .collect::<Vec<_>>()
        .join(",")
}

/// A command running in the background, its output collected by a thread.
struct Running {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Running {
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }
}

/// The shell line that runs `step` against the cluster.
fn shell_line(step: &Step, ports: &[Ports]) -> String {
    // `--endpoints nodeN` is written `--endpoints=nodeN` in the corpus.
    let mut line = if step.kind() == Kind::Curl {
        step.bare().to_string()
    } else {
        format!("etcdctl {}", step.bare())
    };
    // `--endpoints=nodeN` names the N-th member; curl's localhost:2379 is node1.
    for (i, p) in ports.iter().enumerate().rev() {
        line = line.replace(
            &format!("--endpoints=node{}", i + 1),
            &format!("--endpoints=127.0.0.1:{}", p.client),
        );
    }
    for host in ["localhost:2379", "127.0.0.1:2379"] {
        line = line.replace(host, &format!("127.0.0.1:{}", ports[0].client));
    }
    line
}

fn spawn(bin: &Path, step: &Step, ports: &[Ports]) -> Running {
    let line = shell_line(step, ports);
    let line = line.trim_end();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("exec 2>&1; exec {line}"))
        .env("PATH", path)
        .env("ETCDCTL_API", "3")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // `endpoint` commands go to every member, as raftlab's do; the others to node1 (several
    // endpoints would spread them at random over the members).
    if !line.contains("--endpoints") {
        let all = step.bare().trim_start().starts_with("endpoint");
        let eps = if all {
            endpoints(ports)
        } else {
            endpoints(&ports[..1])
        };
        cmd.env("ETCDCTL_ENDPOINTS", eps);
    }
    let mut child = cmd.spawn().expect("sh");
    let mut stdin = child.stdin.take().unwrap();
    let mut input = String::new();
    for l in &step.input {
        input.push_str(l);
        input.push('\n');
    }
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let mut stdout = child.stdout.take().unwrap();
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    let reader = thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    Running {
        child,
        out,
        reader: Some(reader),
    }
}

fn wait(mut r: Running) -> String {
    let deadline = Instant::now() + COMMAND_LIMIT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = r.child.try_wait() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    r.stop()
}

/// Runs one session on a fresh real cluster.
pub fn run(bin: &Path, session: &Session) -> Outcome {
    let (cluster, ports) = start(bin, session.members);
    let members = member_ids(bin, &ports);
    let mut outputs: Vec<Option<String>> = vec![None; session.steps.len()];
    let mut background: Vec<(usize, Running)> = Vec::new();
    for (i, step) in session.steps.iter().enumerate() {
        let prior: Vec<String> = outputs
            .iter()
            .map(|o| o.clone().unwrap_or_default())
            .collect();
        let step = &Step {
            line: substitute(&step.line, &prior, &members),
            input: step
                .input
                .iter()
                .map(|l| substitute(l, &prior, &members))
                .collect(),
        };
        match step.kind() {
            Kind::Sleep => {
                let ms = parse_duration(step.bare()["sleep".len()..].trim());
                thread::sleep(Duration::from_millis(ms));
                outputs[i] = Some(String::new());
            }
            Kind::Cancel => {
                if let Some(pos) = background.iter().rposition(|(_, r)| outputs_pending(r)) {
                    let (j, mut r) = background.remove(pos);
                    thread::sleep(Duration::from_millis(100));
                    outputs[j] = Some(r.stop());
                }
                outputs[i] = Some(String::new());
            }
            Kind::Background => {
                background.push((i, spawn(bin, step, &ports)));
                thread::sleep(SETTLE);
            }
            Kind::Foreground | Kind::Curl => {
                let out = wait(spawn(bin, step, &ports));
                outputs[i] = Some(out);
            }
        }
    }
    thread::sleep(SETTLE);
    for (j, mut r) in background {
        outputs[j] = Some(r.stop());
    }
    drop(cluster);
    Outcome {
        outputs: outputs.into_iter().map(Option::unwrap_or_default).collect(),
        ports,
        members,
    }
}

fn outputs_pending(r: &Running) -> bool {
    r.reader.is_some()
}

/// `5s`, `500ms`, `1.5s` → milliseconds.
fn parse_duration(s: &str) -> u64 {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().expect("sleep N ms");
    }
    let secs: f64 = s.trim_end_matches('s').parse().expect("sleep Ns");
    (secs * 1000.0) as u64
}
