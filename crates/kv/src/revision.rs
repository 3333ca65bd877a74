//! Revisions: `(main, sub)` pairs identifying one change in the store.

use serde::{Deserialize, Serialize};

/// Identifies one change: `main` is the store revision of the write txn, `sub` the
/// index of the change inside that txn. Ordered by `(main, sub)`, as etcd's
/// `revision` type.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct Revision {
    /// Store revision of the txn.
    pub main: i64,
    /// Position of the change in the txn.
    pub sub: i64,
}

impl Revision {
    /// A revision.
    pub fn new(main: i64, sub: i64) -> Self {
        Revision { main, sub }
    }

    /// The 17-byte key etcd's backend uses: 8 bytes main (big endian), `_`,
    /// 8 bytes sub, followed by `t` for a tombstone.
    pub fn to_bytes(self, tombstone: bool) -> Vec<u8> {
        let mut b = Vec::with_capacity(18);
        b.extend_from_slice(&self.main.to_be_bytes());
        b.push(b'_');
        b.extend_from_slice(&self.sub.to_be_bytes());
        if tombstone {
            b.push(b't');
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_bytes() {
        assert!(Revision::new(2, 0) > Revision::new(1, 5));
        assert!(Revision::new(2, 1) > Revision::new(2, 0));
        let b = Revision::new(1, 2).to_bytes(true);
        assert_eq!(b.len(), 18);
        assert_eq!(b[8], b'_');
        assert_eq!(b[17], b't');
        assert_eq!(b[7], 1);
        assert_eq!(b[16], 2);
    }
}
