//! `@fast-langgraph/native`: the one N-API addon of fast-langgraph-js. It converts arguments,
//! dispatches to `fast-langgraph-core` on the libuv thread pool and encodes results; no logic
//! of its own lives here.

mod checkpoint;
mod job;
mod wire;
