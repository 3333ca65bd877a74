//! What one checkpoint holds alone, part by part: builds the page's session under its
//! background load (5 nodes, seed 3, a put every 20 ms, no checkpoints of the session's own) for
//! MINUTES, clones one part of it (`PART`: `trace`, `tracepacked`, `sm` (the members' state
//! machines), `storage` (their durable Raft logs), `log` (the session log), `cluster`, `packed`
//! (the playground as a checkpoint keeps it) or `pg` (the playground unpacked)), runs 38 s of
//! virtual time more (about the 40,000 events between two checkpoints of an hour), and prints
//! the live bytes dropping the clone frees (counted by a global allocator; allocator overhead
//! not included).
//!
//! `cargo run --release -p web --example checkpoint_parts -- PART MINUTES`
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
    let (mut at, mut n) = (0u64, 0u64);
    let mut go = |e: &mut Session, until: u64| {
        while at < until {
            e.run_until(at).unwrap();
            e.client_op(n);
            n += 1;
            at += 20;
        }
    };
    let mins: u64 = std::env::args().nth(2).map_or(5, |m| m.parse().unwrap());
    go(&mut e, mins * 60_000);
    let which: String = std::env::args().nth(1).unwrap_or_default();
    let pg = e.playground();
    let c = pg.cluster();
    let kept: Box<dyn std::any::Any> = match which.as_str() {
        "trace" => Box::new(c.trace().clone()),
        "sm" => Box::new(
            (1..=5)
                .map(|i| c.state_machine(i).unwrap().clone())
                .collect::<Vec<_>>(),
        ),
        "storage" => Box::new(
            (1..=5)
                .map(|i| c.storage(i).unwrap().clone())
                .collect::<Vec<_>>(),
        ),
        "log" => Box::new(pg.session_log().clone()),
        "cluster" => Box::new(c.clone()),
        "packed" => {
            let mut p = pg.clone();
            p.pack();
            Box::new(p)
        }
        "tracepacked" => {
            let mut t = c.trace().clone();
            let w = std::time::Instant::now();
            t.pack();
            let took = w.elapsed();
            let mut u = t.clone();
            let w = std::time::Instant::now();
            u.unpack();
            println!("pack {took:?}, unpack {:?}", w.elapsed());
            Box::new(t)
        }
        _ => Box::new(pg.clone()),
    };
    go(&mut e, mins * 60_000 + 38_000);
    let b = mb();
    drop(kept);
    println!("{which}: {:.3} MB alone", b - mb());
}
