//! What the engine knows of the bytes LangGraph's `JsonPlusSerializer` writes.

/// True when a `json` value holds nothing the serializer's reviver would rebuild, so `JSON.parse`
/// alone gives the same value: no `"lc"` (the key of every record it revives), no `__proto__` (a
/// key it assigns differently from `JSON.parse`) and no `\u` escape that could spell either.
/// Computed where the value is read, off the JS thread.
pub fn is_plain_json(data: &[u8]) -> bool {
    [&b"\"lc\""[..], b"__proto__", b"\\u"].iter().all(|needle| memchr::memmem::find(data, needle).is_none())
}

#[cfg(test)]
mod tests {
    use super::is_plain_json;

    #[test]
    fn excludes_every_reviver_marker() {
        assert!(is_plain_json(br#"{"a":[1,"l c",{"b":null}]}"#));
        assert!(is_plain_json(br#"{"text":"tab\t and quote \" fine"}"#));
        assert!(!is_plain_json(br#"{"a":[1,"lc",{"b":null}]}"#));
        assert!(!is_plain_json(br#"{"lc":1,"type":"constructor"}"#));
        assert!(!is_plain_json(br#"{"__proto__":{}}"#));
        assert!(!is_plain_json(br#"{"\u006cc":1}"#));
    }
}
