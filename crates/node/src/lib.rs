//! `@fast-langgraph/native`: the one N-API addon of fast-langgraph-js. It converts arguments,
//! hands the work to `fast-langgraph-core` (checkpoint and cache stores run it on a thread of their own) and
//! encodes results; no logic of its own lives here.

mod cache;
mod cache_key;
mod checkpoint;
mod completion;
mod import;
mod wire;
