//! `list({ filter })`: compared in Rust on the parsed metadata, so no filter key or value ever
//! becomes part of an SQL string.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode, Result};

pub struct MetadataFilter {
    expected: Map<String, Value>,
}

impl MetadataFilter {
    pub fn parse(json: &str) -> Result<Self> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(expected)) => Ok(MetadataFilter { expected }),
            Ok(_) => Err(Error::new(ErrorCode::InvalidArgument, "the list filter must be a JSON object")),
            Err(e) => Err(Error::new(ErrorCode::InvalidArgument, format!("the list filter is not JSON: {e}"))),
        }
    }

    /// True when every filter key is present in the metadata with a deep-equal value.
    /// Metadata that is not a JSON object (a custom serializer's format) matches no non-empty filter.
    pub fn matches(&self, metadata_kind: &str, metadata: &[u8]) -> bool {
        if self.expected.is_empty() {
            return true;
        }
        if metadata_kind != "json" {
            return false;
        }
        match serde_json::from_slice::<Value>(metadata) {
            Ok(Value::Object(actual)) => self.expected.iter().all(|(key, value)| actual.get(key) == Some(value)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_keys_deeply_and_ignores_sql_in_keys() {
        let f = MetadataFilter::parse(r#"{"source":"loop","nested":{"a":[1,2]}}"#).unwrap();
        assert!(f.matches("json", br#"{"source":"loop","step":3,"nested":{"a":[1,2]}}"#));
        assert!(!f.matches("json", br#"{"source":"loop","nested":{"a":[1]}}"#));
        assert!(!f.matches("json", br#"{"source":"input"}"#));
        assert!(!f.matches("bytes", br#"{"source":"loop","nested":{"a":[1,2]}}"#));

        let evil = MetadataFilter::parse(r#"{"x') OR 1=1; --\"":1}"#).unwrap();
        assert!(!evil.matches("json", br#"{"x":1}"#));
        assert!(evil.matches("json", br#"{"x') OR 1=1; --\"":1}"#));
    }

    #[test]
    fn rejects_non_objects() {
        assert_eq!(MetadataFilter::parse("[1]").err().unwrap().code, ErrorCode::InvalidArgument);
        assert_eq!(MetadataFilter::parse("{").err().unwrap().code, ErrorCode::InvalidArgument);
    }
}
