use napi::Status;
use napi_derive::napi;

/// The 128-bit XXH3 of a JSON text's canonical form (object keys sorted), as 32 hex digits: two
/// values that differ only in key order get the same key. Throws `FLG_INVALID_ARGUMENT` for text
/// that is not JSON.
#[napi]
pub fn canonical_json_hash(json: String) -> napi::Result<String> {
    fast_langgraph_core::hash::canonical_json_hash(&json)
        .map_err(|e| napi::Error::new(Status::InvalidArg, e.to_string()))
}
