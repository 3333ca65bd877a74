//! A replica-comparable hash of the store (etcd's `HashKV`), CRC-32C (Castagnoli).

use crate::backend::Record;
use crate::error::{Error, Result};
use crate::revision::Revision;
use crate::store::Store;

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

/// Appends a protobuf varint.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A proto3 `int64` field (omitted when 0, negative numbers as ten-byte varints).
fn int_field(out: &mut Vec<u8>, field: u64, v: i64) {
    if v != 0 {
        varint(out, field << 3);
        varint(out, v as u64);
    }
}

/// A proto3 `bytes` field (omitted when empty).
fn bytes_field(out: &mut Vec<u8>, field: u64, v: &[u8]) {
    if !v.is_empty() {
        varint(out, (field << 3) | 2);
        varint(out, v.len() as u64);
        out.extend_from_slice(v);
    }
}

/// The bytes etcd's backend stores for a key revision: `mvccpb.KeyValue` in protobuf
/// (fields in number order, zero values omitted); a tombstone stores only the key.
pub(crate) fn encode_kv(rec: &Record, rev: Revision) -> Vec<u8> {
    let mut out = Vec::with_capacity(rec.key.len() + rec.value.len() + 24);
    bytes_field(&mut out, 1, &rec.key);
    if rec.tombstone {
        return out;
    }
    int_field(&mut out, 2, rec.create_revision);
    int_field(&mut out, 3, rev.main);
    int_field(&mut out, 4, rec.version);
    bytes_field(&mut out, 5, &rec.value);
    int_field(&mut out, 6, rec.lease);
    out
}

impl Store {
    /// etcd's `HashKV` (mvcc `HashByRev`, v3.5): CRC-32C of the bucket name `key`, then of every
    /// stored key revision up to `rev` (0 = current) in revision order, as etcd's backend holds
    /// it: the 17-byte revision (`main`, `_`, `sub`, big-endian; 18 with a tombstone's `t`)
    /// followed by the protobuf `mvccpb.KeyValue`. Revisions at or below the compaction point
    /// that a compaction at `rev` would drop are skipped. So a real etcd that holds the same
    /// history gives the same hash. Returns the hash and the compact revision (0 before any
    /// compaction, where etcd reports -1).
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
        for (r, rec) in self.backend.through(Revision::new(rev, i64::MAX)) {
            if r.main <= self.compact_rev && !keep.is_empty() && !keep.contains(r) {
                continue;
            }
            h.update(&r.to_bytes(rec.tombstone));
            h.update(&encode_kv(rec, *r));
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

    /// Hashes a real etcd 3.5.1 printed for these histories (`endpoint hashkv`, recorded by
    /// crates/etcd/tests/etcd_diff.rs).
    #[test]
    fn hashes_equal_real_etcd() {
        let empty = Store::new();
        assert_eq!(empty.hash_kv(0).unwrap(), (1_084_519_789, 0));

        let mut s = Store::new();
        put(&mut s, "a", "1");
        put(&mut s, "b", "2");
        s.delete_range(&DeleteRangeRequest {
            key: b"a".to_vec(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.hash_kv(0).unwrap(), (1_562_576_432, 0));

        let mut s = Store::new();
        put(&mut s, "a", "1");
        put(&mut s, "a", "2");
        put(&mut s, "b", "3");
        assert_eq!(s.hash_kv(2).unwrap().0, 2_587_454_935);
        assert_eq!(s.hash_kv(3).unwrap().0, 535_221_974);

        let mut s = Store::new();
        put(&mut s, "a", "1");
        put(&mut s, "b", "2");
        put(&mut s, "a", "3");
        s.compact(3).unwrap();
        assert_eq!(s.hash_kv(0).unwrap(), (1_107_643_163, 3));
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
