//! Outgoing messages in a platform-independent order: by destination, then type, stable
//! (docs/architecture.md, "Determinism"). raft-rs emits them in the order of an FxHash map, which
//! differs between 64-bit native and 32-bit wasm.
//!
//! The sort runs on packed `u64` keys (destination rank, type, position), so it is the same
//! plain `u64` sort the rest of the program uses rather than a sort of its own, and each message
//! moves once.

use raft::eraftpb::Message;

/// Bits for the position of a message in its batch (below), and for its type (above).
const POS_BITS: u32 = 32;
const TYPE_BITS: u32 = 12;

/// Sorts `msgs` by (destination, message type), keeping the order of equal keys.
pub fn sort_messages(msgs: &mut [Message]) {
    let key = |m: &Message| (m.to, m.get_msg_type() as i32);
    if msgs.is_sorted_by_key(key) {
        return;
    }
    if msgs.len() <= 16 {
        // A few messages (the usual case): insertion sort in place, nothing allocated.
        for i in 1..msgs.len() {
            let mut j = i;
            while j > 0 && key(&msgs[j - 1]) > key(&msgs[j]) {
                msgs.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    // Destinations by rank: fewer distinct ones than messages, so the rank fits any id.
    let mut dests: Vec<u64> = msgs.iter().map(|m| m.to).collect();
    dests.sort();
    dests.dedup();
    let mut keys: Vec<u64> = msgs
        .iter()
        .enumerate()
        .map(|(pos, m)| {
            let rank = dests.binary_search(&m.to).unwrap_or(0) as u64;
            let kind = (m.get_msg_type() as u64) & ((1 << TYPE_BITS) - 1);
            rank << (POS_BITS + TYPE_BITS) | kind << POS_BITS | pos as u64
        })
        .collect();
    keys.sort();
    // Apply the permutation in place, as `slice::sort_by_cached_key` does: position `i` takes
    // the message the sorted key names, following earlier swaps.
    let mask = (1u64 << POS_BITS) - 1;
    for i in 0..keys.len() {
        let mut from = (keys[i] & mask) as usize;
        while from < i {
            from = (keys[from] & mask) as usize;
        }
        keys[i] = (keys[i] & !mask) | from as u64;
        msgs.swap(i, from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::eraftpb::MessageType;

    fn msg(to: u64, t: MessageType, tag: u64) -> Message {
        let mut m = Message::default();
        m.to = to;
        m.set_msg_type(t);
        m.index = tag;
        m
    }

    /// Matches a stable sort by (to, type) on seeded batches of every size.
    #[test]
    fn same_order_as_a_stable_sort() {
        let types = [
            MessageType::MsgAppend,
            MessageType::MsgHeartbeat,
            MessageType::MsgAppendResponse,
            MessageType::MsgRequestVote,
            MessageType::MsgSnapshot,
        ];
        let mut x = 3u64;
        for n in 0..300usize {
            let mut msgs: Vec<Message> = (0..n)
                .map(|i| {
                    x = crate::rng::mix64(x);
                    let to = if x.is_multiple_of(17) { x >> 3 } else { x % 7 };
                    msg(to, types[(x >> 40) as usize % types.len()], i as u64)
                })
                .collect();
            let mut want = msgs.clone();
            want.sort_by_key(|m| (m.to, m.get_msg_type() as i32));
            sort_messages(&mut msgs);
            assert_eq!(msgs, want, "{n} messages");
        }
    }
}
