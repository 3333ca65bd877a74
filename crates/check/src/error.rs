//! The crate's error type.

/// Everything that can go wrong in this crate (a verdict of "not linearizable" is not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A line of a JSON-lines history is not valid UTF-8.
    #[error("line {line}: not valid UTF-8")]
    Utf8 {
        /// 1-based line number.
        line: usize,
    },
    /// A line of a JSON-lines history is not a valid operation.
    #[error("line {line}: {source}")]
    Json {
        /// 1-based line number.
        line: usize,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// An operation is self-contradictory (e.g. returns before it is called, or a `Get`
    /// answered with a `Put` output).
    #[error("operation {index}: {reason}")]
    Malformed {
        /// Index of the operation in the history.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a history failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Serializing a history failed.
    #[error("serialize: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
