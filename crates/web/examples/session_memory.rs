//! Where a long session's memory goes: bytes allocated per put by a session built as the page
//! builds it under its background load (5 nodes, seed 3, a put every 20 ms, no checkpoints),
//! and what the playground's own logs hold of it (deep copies of each, counted by a global
//! allocator that sums live bytes; allocator overhead not included).
//!
//! `cargo run --release -p web --example session_memory -- MINUTES`
mod live_bytes;
use etcd::planted::PlantedBugs;
use etcd::session::Session;
use live_bytes::mb;
use sim::ClusterConfig;
fn main() {
    let mut config = ClusterConfig::new(5, 3);
    config.trace_capacity = etcd::session::TRACE_KEEP;
    let mut e = Session::new(config, PlantedBugs::NONE).expect("session");
    e.set_checkpoints(u64::MAX / 4, 2);
    let m0 = mb();
    let minutes: u64 = std::env::args()
        .nth(1)
        .map_or(10, |m| m.parse().expect("minutes"));
    let end = minutes * 60_000;
    let (mut at, mut n) = (0, 0);
    while at < end {
        e.run_until(at).unwrap();
        e.client_op(n);
        n += 1;
        at += 20;
    }
    let m1 = mb();
    println!(
        "session: {:.1} MB for {n} puts: {:.0} B per put",
        m1 - m0,
        (m1 - m0) * 1e6 / n as f64
    );
    let pg = e.playground();
    let sl = pg.session_log().events().len();
    println!(
        "session log events {sl}, outputs {}, history {}, log {}",
        pg.outputs().count(),
        pg.given().len(),
        pg.log_len()
    );
    println!(
        "sizes: SessionEvent {}, Recorded {}, CommandOutput {}",
        std::mem::size_of::<etcd::playground::SessionEvent>(),
        std::mem::size_of::<etcd::playground::Recorded>(),
        std::mem::size_of::<etcd::playground::CommandOutput>()
    );
    println!(
        "payloads: Command {}, OpResult {}, WatchResponse {}, WatchCreateRequest {}, ExpiryRevoke {}",
        std::mem::size_of::<etcd::ctl::Command>(),
        std::mem::size_of::<etcd::service::OpResult>(),
        0,
        0,
        std::mem::size_of::<etcd::service::ExpiryRevoke>()
    );
    // Deep copy of the session log's events (what they hold alone).
    let b = mb();
    let copy: Vec<_> = pg.session_log().events().iter().cloned().collect();
    println!("session log deep copy {:.1} MB", mb() - b);
    let b = mb();
    let copy2: Vec<_> = pg.outputs().map(|(i, o)| (i, o.clone())).collect();
    println!("outputs deep copy {:.1} MB", mb() - b);
    let b = mb();
    let copy3: Vec<_> = pg.log_since(0).cloned().collect();
    let copy4: Vec<_> = pg.given().iter().cloned().collect();
    println!("print log + lines deep copy {:.1} MB", mb() - b);
    std::hint::black_box((copy, copy2, copy3, copy4));
}
