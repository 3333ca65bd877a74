//! Unit tests of the store: revisions, key metadata, ranges, txns, compaction.
