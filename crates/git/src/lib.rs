//! Git snapshots for goldpath.
#![warn(missing_docs)]
