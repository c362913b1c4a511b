use std::sync::atomic::Ordering;

use super::*;
use crate::db::MEMORY;
use crate::error::ErrorCode;

const NOW: i64 = 1_000_000;

fn limits(max_entries: u64, max_bytes: u64) -> CacheLimits {
    CacheLimits { max_entries, max_bytes }
}

fn entry(key: &str, value: &str, ttl_ms: Option<u64>) -> CacheEntry {
    CacheEntry { key: key.into(), value: TypedValue::new("json", value.as_bytes()), ttl_ms }
}

fn set(store: &CacheStore, key: &str, value: &str) {
    store.write(|w| w.set(&[entry(key, value, None)], NOW)).unwrap();
}

/// The value under each key, as text; `None` for a miss.
fn get(store: &CacheStore, keys: &[&str], now: i64) -> Vec<Option<String>> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let found = store.get(&keys, now).unwrap();
    found.into_iter().map(|v| v.map(|v| String::from_utf8(v.data).unwrap())).collect()
}

fn count(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

#[test]
fn entries_are_read_back_and_counted() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    set(&store, "a", "1");
    set(&store, "a", "22");
    set(&store, "b", "3");
    assert_eq!(get(&store, &["a", "zz", "b"], NOW), [Some("22".into()), None, Some("3".into())]);
    let c = store.counters();
    assert_eq!((count(&c.hits), count(&c.misses), count(&c.entries)), (2, 1, 2));
    // Overwriting "a" replaced its size: 100 + key + kind + value for each entry.
    assert_eq!(count(&c.bytes), (100 + 1 + 4 + 2) + (100 + 1 + 4 + 1));
}

#[test]
fn contains_tells_live_entries_without_counting_or_reordering() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(2, 1 << 20)).unwrap();
    store.write(|w| w.set(&[entry("a", "1", None), entry("b", "2", Some(10))], NOW)).unwrap();
    let keys = ["a".to_string(), "b".to_string(), "c".to_string()];
    assert_eq!(store.contains(&keys, NOW).unwrap(), [true, true, false]);
    assert_eq!(store.contains(&keys, NOW + 10).unwrap(), [true, false, false]);
    let c = store.counters();
    assert_eq!((count(&c.hits), count(&c.misses)), (0, 0));
    // "a" is still the least recently used.
    set(&store, "c", "3");
    assert_eq!(get(&store, &["a"], NOW), [None]);
}

#[test]
fn the_least_recently_used_entry_is_evicted_first() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(2, 1 << 20)).unwrap();
    set(&store, "a", "1");
    set(&store, "b", "2");
    // Reading "a" makes "b" the least recently used.
    get(&store, &["a"], NOW);
    set(&store, "c", "3");
    assert_eq!(get(&store, &["a", "b", "c"], NOW), [Some("1".into()), None, Some("3".into())]);
    assert_eq!(count(&store.counters().evictions), 1);
}

#[test]
fn bytes_stay_within_max_bytes_and_an_oversized_entry_is_not_kept() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(1000, 1000)).unwrap();
    let value = "x".repeat(195); // 300 bytes per entry with key "k0".."k9"
    for i in 0..10 {
        set(&store, &format!("k{i}"), &value);
        assert!(count(&store.counters().bytes) <= 1000);
    }
    assert_eq!(count(&store.counters().entries), 3);
    assert_eq!(
        get(&store, &["k7", "k8", "k9", "k6"], NOW)[..3],
        [Some(value.clone()), Some(value.clone()), Some(value)]
    );
    set(&store, "k9", &"y".repeat(1000));
    assert_eq!(get(&store, &["k9"], NOW), [None]);
    assert_eq!(count(&store.counters().entries), 2);
}

#[test]
fn an_expired_entry_is_a_miss_and_goes_first_when_room_is_needed() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(2, 1 << 20)).unwrap();
    store.write(|w| w.set(&[entry("short", "1", Some(100)), entry("zero", "0", Some(0))], NOW)).unwrap();
    assert_eq!(get(&store, &["short", "zero"], NOW + 99), [Some("1".into()), None]);
    assert_eq!(get(&store, &["short"], NOW + 100), [None]);
    // Removed (and counted) by the next write.
    assert_eq!(count(&store.counters().expirations), 0);
    store.write(|w| w.clear(Some(&["unrelated".to_string()]))).unwrap();
    assert_eq!(count(&store.counters().expirations), 2);
    assert_eq!(count(&store.counters().entries), 0);

    store.write(|w| w.set(&[entry("old", "1", None), entry("soon", "2", Some(10))], NOW)).unwrap();
    // "soon" was written last but has expired: it goes before "old" does.
    store.write(|w| w.set(&[entry("new", "3", None)], NOW + 10)).unwrap();
    assert_eq!(get(&store, &["old", "soon", "new"], NOW + 10), [Some("1".into()), None, Some("3".into())]);
    assert_eq!(count(&store.counters().evictions), 0);
}

#[test]
fn clear_removes_the_keys_under_a_prefix_or_everything() {
    let store = CacheStore::open(MEMORY, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    for key in ["a:1", "a:2", "ab", "b:1"] {
        set(&store, key, "v");
    }
    store.write(|w| w.clear(Some(&["a:".to_string()]))).unwrap();
    assert_eq!(get(&store, &["a:1", "a:2", "ab", "b:1"], NOW), [None, None, Some("v".into()), Some("v".into())]);
    store.write(|w| w.clear(None)).unwrap();
    assert_eq!(get(&store, &["ab", "b:1"], NOW), [None, None]);
    assert_eq!((count(&store.counters().entries), count(&store.counters().bytes)), (0, 0));
}

#[test]
fn a_file_keeps_its_entries_across_reopening_and_is_shared_by_two_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let path = path.to_str().unwrap();
    let first = CacheStore::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    let second = CacheStore::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    set(&first, "a", "1");
    assert_eq!(get(&second, &["a"], NOW), [Some("1".into())]);
    set(&second, "b", "2");
    second.write(|w| w.clear(Some(&["a".to_string()]))).unwrap();
    assert_eq!(get(&first, &["a", "b"], NOW), [None, Some("2".into())]);
    first.database().close().unwrap();
    second.database().close().unwrap();

    let reopened = CacheStore::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    assert_eq!(get(&reopened, &["b"], NOW), [Some("2".into())]);
    assert_eq!(count(&reopened.counters().entries), 1);
}

#[test]
fn entries_that_expired_while_closed_are_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let path = path.to_str().unwrap();
    let store = CacheStore::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    store.write(|w| w.set(&[entry("gone", "1", Some(0)), entry("kept", "2", None)], now_ms())).unwrap();
    store.database().close().unwrap();
    let reopened = CacheStore::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    assert_eq!(count(&reopened.counters().expirations), 1);
    assert_eq!(count(&reopened.counters().entries), 1);
}

#[test]
fn the_worker_answers_in_order_and_reports_a_file_it_cannot_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db").to_string_lossy().into_owned();
    let worker = CacheWorker::<Option<String>>::open(path, OpenOptions::default(), limits(10, 1 << 20)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reply = |tx: &std::sync::mpsc::Sender<_>| -> Done<Option<String>> {
        let tx = tx.clone();
        Box::new(move |r: Result<Option<String>>| tx.send(r.map_err(|e| e.code)).unwrap())
    };
    worker.write(Box::new(|w| w.set(&[entry("a", "1", None)], NOW).map(|()| None)), reply(&tx));
    worker.read(
        Box::new(|s| Ok(s.get(&["a".to_string()], NOW)?.remove(0).map(|v| String::from_utf8(v.data).unwrap()))),
        reply(&tx),
    );
    worker.close(reply(&tx));
    let outcomes: Vec<_> = rx.iter().take(3).collect();
    assert_eq!(outcomes, [Ok(None), Ok(Some("1".into())), Ok(None)]);
    assert_eq!(count(&worker.counters().hits), 1);

    let broken =
        CacheWorker::<Option<String>>::open("/nonexistent-dir/c.db".into(), OpenOptions::default(), limits(1, 1))
            .unwrap();
    broken.write(Box::new(|_| Ok(None)), reply(&tx));
    assert_eq!(rx.recv().unwrap(), Err(ErrorCode::CannotOpen));
}

#[test]
fn another_process_sees_hits_once_enough_wait_or_at_its_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let path = path.to_str().unwrap();
    let writer = CacheStore::open(path, OpenOptions::default(), limits(2, 1 << 20)).unwrap();
    let reader = CacheStore::open(path, OpenOptions::default(), limits(2, 1 << 20)).unwrap();
    set(&writer, "a", "1");
    set(&writer, "b", "2");
    // 256 hits on "a" in the other connection are written without any write of its own.
    for _ in 0..FLUSH_AFTER.1 {
        get(&reader, &["a"], NOW);
    }
    set(&writer, "c", "3");
    assert_eq!(get(&writer, &["a", "b", "c"], NOW), [Some("1".into()), None, Some("3".into())]);
}
