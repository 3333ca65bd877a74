//! Floor measurement: the mandated dependencies doing the least real work.
#[cfg(feature = "raft")]
mod r {
    use raft::{prelude::*, storage::MemStorage, Config, RawNode};
    pub fn run(n: u64) -> (u64, u64, String) {
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let peers: Vec<u64> = (1..=n).collect();
        let mut nodes: Vec<RawNode<MemStorage>> = peers
            .iter()
            .map(|&id| {
                let s = MemStorage::new_with_conf_state((peers.clone(), vec![]));
                let c = Config {
                    id,
                    election_tick: 10,
                    heartbeat_tick: 1,
                    pre_vote: true,
                    check_quorum: true,
                    ..Default::default()
                };
                RawNode::new(&c, s, &logger).unwrap()
            })
            .collect();
        let mut q: Vec<Message> = vec![];
        let mut applied = 0u64;
        for t in 0..300 {
            for nd in nodes.iter_mut() {
                nd.tick();
            }
            if t % 7 == 0 {
                let _ = nodes[0].propose(vec![], format!("k{t}").into_bytes());
            }
            for _ in 0..5 {
                for m in std::mem::take(&mut q) {
                    let i = (m.to - 1) as usize;
                    let _ = nodes[i].step(m);
                }
                for nd in nodes.iter_mut() {
                    if !nd.has_ready() {
                        continue;
                    }
                    let mut rd = nd.ready();
                    q.extend(rd.take_messages());
                    if !rd.snapshot().is_empty() {
                        let _ = nd.mut_store().wl().apply_snapshot(rd.snapshot().clone());
                    }
                    for e in rd.take_committed_entries() {
                        applied += e.data.len() as u64;
                    }
                    let _ = nd.mut_store().wl().append(rd.entries());
                    if let Some(hs) = rd.hs() {
                        nd.mut_store().wl().set_hardstate(hs.clone());
                    }
                    q.extend(rd.take_persisted_messages());
                    let mut lr = nd.advance(rd);
                    q.extend(lr.take_messages());
                    for e in lr.take_committed_entries() {
                        applied += e.data.len() as u64;
                    }
                    nd.advance_apply();
                }
            }
        }
        let bytes = protobuf::Message::write_to_bytes(&nodes[0].raft.hard_state()).unwrap();
        (nodes[0].raft.term, applied, format!("{:?}", bytes))
    }
}
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
struct NodeState {
    id: u64,
    role: String,
    term: u64,
    commit: u64,
}

fn main() {
    #[cfg(feature = "raft")]
    let (term, applied, hs) = r::run(5);
    #[cfg(not(feature = "raft"))]
    let (term, applied, hs) = (1u64, 2u64, String::new());
    let st: Vec<NodeState> = serde_json::from_str(&format!(
        "[{{\"id\":1,\"role\":\"leader\",\"term\":{term},\"commit\":{applied}}}]"
    ))
    .unwrap_or_default();
    let js = serde_json::to_string(&st).unwrap();
    #[cfg(feature = "ui")]
    {
        use leptos::prelude::*;
        leptos::mount::mount_to_body(move || {
            let (count, set_count) = signal(0u64);
            let items = RwSignal::new(st.clone());
            view! {
                <main>
                    <h1>"floor"</h1>
                    <p>{js.clone()} {hs.clone()}</p>
                    <button on:click=move |_| set_count.update(|c| *c += 1)>"n = " {count}</button>
                    <input on:input=move |ev| set_count.set(event_target_value(&ev).len() as u64) />
                    <svg width="100" height="100"><circle cx="50" cy="50" r=move || count.get() as f64 /></svg>
                    <ul><For each=move || items.get() key=|n| n.id let:n><li class:leader=n.role == "leader">{n.id} " " {n.term}</li></For></ul>
                </main>
            }
        });
    }
    // Natively, show that the cluster did elect and commit (`cargo run --features raft`).
    #[cfg(not(target_arch = "wasm32"))]
    println!("term {term}, applied bytes {applied}, {js}");
    #[cfg(all(target_arch = "wasm32", not(feature = "ui")))]
    wasm_bindgen::throw_str(&format!("{js}{hs}"));
}
