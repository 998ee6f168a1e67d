//! goldpath: hold a repository to an organisation's golden path.
#![warn(missing_docs)]

pub mod doc;
pub mod snapshot;
pub mod span;
