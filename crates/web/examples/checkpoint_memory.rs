//! What a long session's checkpoints hold alone: builds the page's session under its
//! background load (5 nodes, seed 3, a put every 20 ms, given through the session, with the
//! session's checkpoints), then drops the checkpoints and prints the live bytes that frees
//! (counted by a global allocator; allocator overhead not included), in all and per checkpoint.
//!
//! `cargo run --release -p web --example checkpoint_memory -- MINUTES`
mod live_bytes;
use etcd::planted::PlantedBugs;
use etcd::session::Session;
use live_bytes::mb;
use sim::ClusterConfig;
fn main() {
    let mut config = ClusterConfig::new(5, 3);
    config.trace_capacity = etcd::session::TRACE_KEEP;
    let mut e = Session::new(config, PlantedBugs::NONE).expect("session");
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
    let (count, every) = (e.checkpoints().len(), e.checkpoints().every());
    let (mut entries, mut data, mut size) = (0usize, 0usize, 0usize);
    for cp in e.checkpoints().iter() {
        for id in 1..=9 {
            if let Some(s) = cp.playground().cluster().storage(id) {
                entries += s.entries_ref().count();
                size = s.entries_ref().next().map_or(size, std::mem::size_of_val);
                data += s
                    .entries_ref()
                    .map(|e| e.data.len() + e.context.len())
                    .sum::<usize>();
            }
        }
    }
    println!(
        "Raft logs per checkpoint: {} entries, {:.2} MB with the entries' bytes if none were shared ({} per entry)",
        entries / count.max(1),
        (entries * size + data) as f64 / 1e6 / count.max(1) as f64,
        size
    );
    let with = mb();
    e.set_checkpoints(u64::MAX / 4, 2);
    let without = mb();
    println!(
        "{minutes} min, {} events: live {with:.1} MB with {count} checkpoints {every} events apart, {without:.1} MB without: {:.2} MB per checkpoint",
        e.point().steps,
        (with - without) / count.max(1) as f64
    );
    println!(
        "sizes: TraceEvent {} B",
        std::mem::size_of::<sim::TraceEvent>()
    );
}
