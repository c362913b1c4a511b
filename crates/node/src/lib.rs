//! `@fast-langgraph/native`: the one N-API addon of fast-langgraph-js. It converts arguments,
//! hands the work to `fast-langgraph-core` (which runs it on the store's own thread) and encodes
//! results; no logic of its own lives here.

mod checkpoint;
mod completion;
mod wire;
