use super::*;

fn value(data: &str) -> TypedValue {
    TypedValue::new("json", data)
}

fn cache(max_entries: usize, max_bytes: usize) -> MemoryCache {
    MemoryCache::new(CacheLimits { max_entries, max_bytes }).unwrap()
}

fn data(c: &mut MemoryCache, key: &str, now: Instant) -> Option<String> {
    c.get(key, now).map(|v| String::from_utf8(v.data.clone()).unwrap())
}

#[test]
fn hits_misses_and_replacement() {
    let now = Instant::now();
    let mut c = cache(10, 1 << 20);
    assert_eq!(data(&mut c, "a", now), None);
    c.set("a".into(), value("1"), None, now);
    c.set("a".into(), value("2"), None, now);
    assert_eq!(data(&mut c, "a", now), Some("2".into()));
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1));
    assert_eq!(s.bytes, ENTRY_OVERHEAD + "a".len() + "json".len() + 1);
}

#[test]
fn the_least_recently_used_entry_goes_first() {
    let now = Instant::now();
    let mut c = cache(2, 1 << 20);
    c.set("a".into(), value("1"), None, now);
    c.set("b".into(), value("2"), None, now);
    // Reading `a` makes `b` the least recently used.
    assert!(c.get("a", now).is_some());
    c.set("c".into(), value("3"), None, now);
    assert_eq!(data(&mut c, "b", now), None);
    assert_eq!(data(&mut c, "a", now), Some("1".into()));
    assert_eq!(c.stats().evictions, 1);
}

#[test]
fn max_bytes_bounds_memory_and_oversized_values_are_not_kept() {
    let now = Instant::now();
    let size = ENTRY_OVERHEAD + 4 + "json".len() + 1000;
    let mut c = cache(1000, 3 * size);
    for i in 0..100 {
        c.set(format!("k{i:03}"), value(&"x".repeat(1000)), None, now);
        assert!(c.stats().bytes <= 3 * size);
    }
    assert_eq!(c.stats().entries, 3);
    assert_eq!(c.stats().evictions, 97);
    c.set("huge".into(), value(&"x".repeat(4 * size)), None, now);
    assert_eq!(data(&mut c, "huge", now), None);
    assert_eq!(c.stats().entries, 3);
}

#[test]
fn entries_expire_on_read_and_on_later_writes() {
    let t0 = Instant::now();
    let mut c = cache(10, 1 << 20);
    c.set("short".into(), value("1"), Some(Duration::from_secs(1)), t0);
    c.set("long".into(), value("2"), Some(Duration::from_secs(60)), t0);
    c.set("forever".into(), value("3"), Some(Duration::MAX), t0);
    let later = t0 + Duration::from_secs(2);
    assert_eq!(data(&mut c, "short", later), None);
    assert_eq!(data(&mut c, "long", later), Some("2".into()));
    assert_eq!(c.stats().expirations, 1);

    assert_eq!(data(&mut c, "forever", later), Some("3".into()));

    // Expired entries nobody reads are dropped by a later write, from the least recently used end.
    let mut c = cache(10, 1 << 20);
    c.set("brief".into(), value("1"), Some(Duration::ZERO), t0);
    c.set("short".into(), value("2"), Some(Duration::from_secs(1)), t0);
    c.set("kept".into(), value("3"), None, t0);
    c.set("new".into(), value("4"), None, later);
    assert_eq!((c.stats().expirations, c.stats().entries), (2, 2));
}

#[test]
fn clear_by_prefix_or_all() {
    let now = Instant::now();
    let mut c = cache(10, 1 << 20);
    for key in ["[[\"a\"],\"1\"]", "[[\"a\"],\"2\"]", "[[\"ab\"],\"1\"]"] {
        c.set(key.into(), value("1"), None, now);
    }
    c.clear_prefix("[[\"a\"],");
    assert_eq!(c.stats().entries, 1);
    assert!(c.get("[[\"ab\"],\"1\"]", now).is_some());
    c.clear_prefix("");
    assert_eq!((c.stats().entries, c.stats().bytes), (0, 0));
}

#[test]
fn zero_limits_are_refused() {
    for (entries, bytes) in [(0, 1), (1, 0)] {
        let err = MemoryCache::new(CacheLimits { max_entries: entries, max_bytes: bytes }).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
    }
}
