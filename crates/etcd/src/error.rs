//! The etcd crate's error type.

/// Errors of the etcd service. Display strings are what etcdctl would print after "Error: ".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A store or lessor error (etcd's own text).
    #[error("{}", .0.grpc_message())]
    Kv(#[from] kv::Error),
    /// A cluster-level refusal or failure.
    #[error("{0}")]
    Sim(#[from] sim::Error),
    /// A request that did not complete.
    #[error("{0}")]
    Request(#[from] sim::RequestError),
    /// A command line that does not parse.
    #[error("{0}")]
    Parse(String),
    /// Anything else, in words.
    #[error("{0}")]
    Other(String),
}

/// Result alias of the etcd crate.
pub type Result<T> = std::result::Result<T, Error>;
