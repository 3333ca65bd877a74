//! One decode of a Raft entry for every member that applies it.
//!
//! Every member of a cluster applies the same entry, and each decoding it on its own made
//! one copy of a put's value per member, kept in its store for as long as the revision
//! lives. The members of a simulated cluster run on one thread, so the latest decodes are
//! kept here, by log index, with the bytes they were decoded from: a member applying the
//! same bytes at the same index and term takes the decoded request, and the value's bytes,
//! that the first member made. Anything else (another cluster on the thread, a different
//! entry at that index) is decoded afresh, so a hit never changes what is applied, only
//! how many copies of it exist.

use std::cell::RefCell;
use std::sync::Arc;

use super::EtcdRequest;

/// A decoded entry, shared by the members that apply it.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The request.
    pub request: EtcdRequest,
    /// A put's value, as the members' stores hold it.
    pub value: Option<Arc<[u8]>>,
}

/// Decodes kept: a follower applies an entry soon after the leader (within the entries in
/// flight), and one further behind decodes its own.
const SLOTS: usize = 256;

/// One kept decode: where it was in the log, and the bytes it came from.
struct Slot {
    index: u64,
    term: u64,
    data: Box<[u8]>,
    decoded: Arc<Decoded>,
}

thread_local! {
    static RECENT: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

/// The entry at `index` and `term` holding `data`, decoded once for every member.
///
/// # Errors
/// A message for bytes that are not a request.
pub(crate) fn decode(index: u64, term: u64, data: &[u8]) -> Result<Arc<Decoded>, String> {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.is_empty() {
            recent.resize_with(SLOTS, || None);
        }
        let slot = &mut recent[(index % SLOTS as u64) as usize];
        if let Some(s) = slot {
            if s.index == index && s.term == term && *s.data == *data {
                return Ok(s.decoded.clone());
            }
        }
        let request = EtcdRequest::decode(data)?;
        let value = match &request {
            EtcdRequest::Put(p) => Some(Arc::from(p.value.as_slice())),
            _ => None,
        };
        let decoded = Arc::new(Decoded { request, value });
        *slot = Some(Slot {
            index,
            term,
            data: data.into(),
            decoded: decoded.clone(),
        });
        Ok(decoded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::PutRequest;

    fn put(value: &str) -> Vec<u8> {
        EtcdRequest::Put(PutRequest {
            key: b"k".to_vec(),
            value: value.into(),
            ..Default::default()
        })
        .encode()
    }

    #[test]
    fn the_same_entry_is_decoded_once_and_a_different_one_afresh() {
        let a = decode(7, 2, &put("a")).unwrap();
        let again = decode(7, 2, &put("a")).unwrap();
        assert!(Arc::ptr_eq(&a, &again), "one decode for every member");
        // Other bytes at the same place (another cluster on this thread): their own decode.
        let b = decode(7, 2, &put("b")).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(b.value.as_deref(), Some(&b"b"[..]));
        let EtcdRequest::Put(p) = &b.request else {
            panic!("a put");
        };
        assert_eq!(p.value, b"b");
        // Another term at that index, and bytes that are not a request.
        assert!(!Arc::ptr_eq(&decode(7, 3, &put("b")).unwrap(), &b));
        assert!(decode(8, 2, b"not a request").is_err());
    }
}
