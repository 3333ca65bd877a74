//! A replica-comparable hash of the store (etcd's `HashKV`), CRC-32C (Castagnoli).

use crate::error::{Error, Result};
use crate::revision::Revision;
use crate::store::Store;
use crate::types::KeyValue;

const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static TABLE: [u32; 256] = make_table();

/// Streaming CRC-32C.
#[derive(Clone, Copy, Debug)]
pub struct Crc32c(u32);

impl Default for Crc32c {
    fn default() -> Self {
        Crc32c(!0)
    }
}

impl Crc32c {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = TABLE[((self.0 ^ b as u32) & 0xff) as usize] ^ (self.0 >> 8);
        }
    }

    /// The checksum of everything fed so far.
    pub fn finish(&self) -> u32 {
        !self.0
    }
}

/// A fixed, length-prefixed encoding of a key-value (etcd hashes the protobuf bytes;
/// any encoding works as long as every replica uses the same one).
fn encode_kv(h: &mut Crc32c, kv: &KeyValue) {
    h.update(&(kv.key.len() as u64).to_be_bytes());
    h.update(&kv.key);
    h.update(&kv.create_revision.to_be_bytes());
    h.update(&kv.mod_revision.to_be_bytes());
    h.update(&kv.version.to_be_bytes());
    h.update(&(kv.value.len() as u64).to_be_bytes());
    h.update(&kv.value);
    h.update(&kv.lease.to_be_bytes());
}

impl Store {
    /// Hash every stored key revision up to `rev` (0 = current), skipping those at or
    /// below the compaction point that a compaction at `rev` would drop, as etcd's
    /// `HashKV`. Returns the hash and the compact revision. Replicas that applied the
    /// same writes and compactions give the same hash.
    ///
    /// Errors: [`Error::Compacted`] if `0 < rev <= compact_revision()`,
    /// [`Error::FutureRev`] if `rev > current_revision()`.
    pub fn hash_kv(&self, rev: i64) -> Result<(u32, i64)> {
        if rev > 0 && rev <= self.compact_rev {
            return Err(Error::Compacted);
        }
        if rev > self.current_rev {
            return Err(Error::FutureRev);
        }
        let rev = if rev <= 0 { self.current_rev } else { rev };
        let keep = order::set(self.index.values().filter_map(|ki| ki.keep(rev)));
        let mut h = Crc32c::new();
        h.update(b"key");
        for (r, rec) in self.backend.range(..=Revision::new(rev, i64::MAX)) {
            if r.main <= self.compact_rev && !keep.is_empty() && !keep.contains(r) {
                continue;
            }
            h.update(&r.to_bytes(rec.tombstone));
            encode_kv(&mut h, &rec.kv);
        }
        Ok((h.finish(), self.compact_rev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DeleteRangeRequest, PutRequest};

    #[test]
    fn crc32c_check_value() {
        let mut h = Crc32c::new();
        h.update(b"123456789");
        assert_eq!(h.finish(), 0xE306_9283);
    }

    fn put(s: &mut Store, k: &str, v: &str) {
        s.put(&PutRequest {
            key: k.into(),
            value: v.into(),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn same_history_same_hash_and_rev_bounds() {
        let mut a = Store::new();
        let mut b = Store::new();
        for s in [&mut a, &mut b] {
            put(s, "a", "1");
            put(s, "b", "2");
            put(s, "a", "3");
        }
        assert_eq!(a.hash_kv(0).unwrap(), b.hash_kv(0).unwrap());
        put(&mut b, "a", "4");
        assert_ne!(a.hash_kv(0).unwrap(), b.hash_kv(0).unwrap());
        // Hash at an old revision ignores later writes.
        assert_eq!(a.hash_kv(4).unwrap(), b.hash_kv(4).unwrap());
        assert_ne!(a.hash_kv(3).unwrap(), a.hash_kv(4).unwrap());
        assert_eq!(a.hash_kv(5), Err(Error::FutureRev));
        a.compact(3).unwrap();
        assert_eq!(a.hash_kv(3), Err(Error::Compacted));
        assert_eq!(a.hash_kv(0).unwrap().1, 3);
    }

    #[test]
    fn compaction_keeps_hash_of_later_revision() {
        let mut a = Store::new();
        put(&mut a, "a", "1");
        put(&mut a, "b", "2");
        a.delete_range(&DeleteRangeRequest {
            key: b"b".to_vec(),
            ..Default::default()
        })
        .unwrap();
        put(&mut a, "a", "3");
        let mut b = a.clone();
        b.compact(4).unwrap();
        // Both hash the same surviving revisions at the current revision, except that
        // etcd's hash skips, in `b`, what compaction removed; `a` still includes it.
        let (ha, _) = a.hash_kv(5).unwrap();
        let (hb, cb) = b.hash_kv(5).unwrap();
        assert_eq!(cb, 4);
        assert_ne!(ha, hb);
        let mut c = a.clone();
        c.compact(4).unwrap();
        assert_eq!(c.hash_kv(0).unwrap(), (hb, 4));
    }
}
