//! The storage engine of fast-langgraph-js, free of any N-API type so that it is tested with
//! `cargo test` and reused by every binding.

pub mod cache;
pub mod db;
pub mod error;
pub mod hash;
pub mod import;
pub mod jsonplus;
pub mod store;
pub mod worker;

pub use error::{Error, ErrorCode, Result};
