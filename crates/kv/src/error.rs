//! The crate's single error type. Display strings are exactly the ones etcd prints.

/// Everything that can go wrong in the store, the watch hub or the lessor.
///
/// `Display` prints the message of the matching etcd error value (mvcc, lease or
/// rpctypes package). Over gRPC, etcd prefixes the mvcc errors with `etcdserver: `;
/// [`Error::grpc_message`] gives that client-visible form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The requested revision is below the compaction point (mvcc.ErrCompacted).
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    /// The requested revision is above the current revision (mvcc.ErrFutureRev).
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    /// A request without a key (rpctypes.ErrGRPCEmptyKey).
    #[error("etcdserver: key is not provided")]
    EmptyKey,
    /// `ignore_value`/`ignore_lease` on a key that does not exist.
    #[error("etcdserver: key not found")]
    KeyNotFound,
    /// `ignore_value` together with a non-empty value.
    #[error("etcdserver: value is provided")]
    ValueProvided,
    /// `ignore_lease` together with a non-zero lease.
    #[error("etcdserver: lease is provided")]
    LeaseProvided,
    /// A txn with more operations than allowed (etcd's `--max-txn-ops`, 128).
    #[error("etcdserver: too many operations in txn request")]
    TooManyOps,
    /// A txn that writes the same key twice.
    #[error("etcdserver: duplicate key given in txn request")]
    DuplicateKey,
    /// The lease does not exist (or has already expired).
    #[error("etcdserver: requested lease not found")]
    LeaseNotFound,
    /// A grant with an id that is already in use.
    #[error("etcdserver: lease already exists")]
    LeaseExists,
    /// A grant with a TTL above etcd's maximum (9,000,000,000 s).
    #[error("etcdserver: too large lease TTL")]
    LeaseTtlTooLarge,
    /// Renew on a lessor that is not the primary (etcd forwards to the leader).
    #[error("not a primary lessor")]
    NotPrimary,
    /// A watch create with an explicit id that is already in use.
    #[error("mvcc: duplicate watch ID provided on the WatchStream")]
    DuplicateWatchId,
    /// A watch whose range end is not above its key.
    #[error("mvcc: watcher range is empty")]
    EmptyWatcherRange,
    /// Cancel of an unknown watch id.
    #[error("mvcc: watcher does not exist")]
    WatcherNotExist,
    /// Snapshot bytes that could not be decoded.
    #[error("kv: invalid snapshot: {0}")]
    InvalidSnapshot(String),
}

impl Error {
    /// The message an etcd client sees for this error (gRPC status message):
    /// mvcc errors gain the `etcdserver: ` prefix, as `rpctypes` defines them.
    pub fn grpc_message(&self) -> String {
        match self {
            Error::Compacted | Error::FutureRev => format!("etcdserver: {self}"),
            other => other.to_string(),
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_etcd() {
        assert_eq!(
            Error::Compacted.to_string(),
            "mvcc: required revision has been compacted"
        );
        assert_eq!(
            Error::Compacted.grpc_message(),
            "etcdserver: mvcc: required revision has been compacted"
        );
        assert_eq!(
            Error::FutureRev.to_string(),
            "mvcc: required revision is a future revision"
        );
        assert_eq!(
            Error::LeaseNotFound.grpc_message(),
            "etcdserver: requested lease not found"
        );
        assert_eq!(
            Error::DuplicateKey.to_string(),
            "etcdserver: duplicate key given in txn request"
        );
        assert_eq!(Error::KeyNotFound.to_string(), "etcdserver: key not found");
        assert_eq!(
            Error::LeaseExists.to_string(),
            "etcdserver: lease already exists"
        );
    }
}
