//! Content hashes of JSON values for cache keys: two values that differ only in the order of their
//! object keys hash alike.

use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

use crate::error::{Error, ErrorCode, Result};

/// The 128-bit XXH3 of the canonical form of a JSON text (object keys sorted, no whitespace),
/// as 32 hex digits.
pub fn canonical_json_hash(json: &str) -> Result<String> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("cannot hash invalid JSON: {e}")))?;
    let mut hasher = Xxh3::new();
    write_canonical(&value, &mut hasher);
    Ok(format!("{:032x}", hasher.digest128()))
}

/// Streams the canonical form into the hasher rather than building it as a string.
fn write_canonical(value: &Value, out: &mut Xxh3) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.update(b"{");
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.update(b",");
                }
                write_string(key, out);
                out.update(b":");
                write_canonical(value, out);
            }
            out.update(b"}");
        }
        Value::Array(items) => {
            out.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.update(b",");
                }
                write_canonical(item, out);
            }
            out.update(b"]");
        }
        Value::String(s) => write_string(s, out),
        // Numbers, booleans and null print one way each.
        other => out.update(other.to_string().as_bytes()),
    }
}

fn write_string(s: &str, out: &mut Xxh3) {
    // Length-prefixed, so that no string can imitate the punctuation around it.
    out.update(&(s.len() as u64).to_le_bytes());
    out.update(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_hash() {
        let a = canonical_json_hash(r#"[{"b": 1, "a": {"y": [1, 2], "x": null}}]"#).unwrap();
        let b = canonical_json_hash(r#"[{"a":{"x":null,"y":[1,2]},"b":1}]"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn different_values_hash_differently() {
        let texts = [
            r#"[{"a":1}]"#,
            r#"[{"a":"1"}]"#,
            r#"[{"a":[1]}]"#,
            r#"[{"a":1,"b":null}]"#,
            r#"[{"a,b":1}]"#,
            r#"[{"a":1},{"b":1}]"#,
            r#"[["a",1]]"#,
            r#"["a\",\"b"]"#,
            r#"["a","b"]"#,
            r#"[]"#,
            r#"{}"#,
        ];
        let hashes: std::collections::HashSet<String> = texts.iter().map(|t| canonical_json_hash(t).unwrap()).collect();
        assert_eq!(hashes.len(), texts.len());
    }

    #[test]
    fn invalid_json_is_an_invalid_argument() {
        assert_eq!(canonical_json_hash("{").unwrap_err().code, ErrorCode::InvalidArgument);
    }
}
