use super::*;
use crate::error::{Error, ErrorCode};

fn json(s: &str) -> TypedValue {
    TypedValue::new("json", s.as_bytes())
}

fn json_ref(s: &str) -> ValueRef<'_> {
    ValueRef { kind: "json", data: s.as_bytes() }
}

fn blob<'a>(channel: &'a str, version: &'a str, value: &'a str) -> ChannelBlob<'a> {
    ChannelBlob { channel, version, value: BlobValue::Whole(json_ref(value)) }
}

/// Puts a checkpoint whose metadata is `{"step": <id length>, "source": "loop"}`.
fn put(store: &CheckpointStore, thread: &str, id: &str, parent: Option<&str>, versions: &str, blobs: Vec<ChannelBlob>) {
    let checkpoint = format!(r#"{{"id":"{id}"}}"#);
    let metadata = format!(r#"{{"step":{},"source":"loop"}}"#, id.len());
    let put = PutCheckpoint {
        thread_id: thread,
        checkpoint_ns: "",
        checkpoint_id: id,
        parent_checkpoint_id: parent,
        checkpoint: json_ref(&checkpoint),
        metadata: json_ref(&metadata),
        channel_versions: versions,
        blobs,
    };
    store.write(|w| w.put(&put)).unwrap();
}

fn writes<'a>(
    thread: &'a str,
    id: &'a str,
    task: &'a str,
    path: &'a str,
    ws: &'a [(i64, &str, &str)],
) -> PutWrites<'a> {
    PutWrites {
        thread_id: thread,
        checkpoint_ns: "",
        checkpoint_id: id,
        task_id: task,
        task_path: path,
        writes: ws.iter().map(|(idx, ch, v)| Write { idx: *idx, channel: ch, value: json_ref(v) }).collect(),
    }
}

fn put_writes(store: &CheckpointStore, thread: &str, id: &str, task: &str, path: &str, ws: &[(i64, &str, &str)]) {
    store.write(|w| w.put_writes(&writes(thread, id, task, path, ws))).unwrap();
}

fn memory() -> CheckpointStore {
    CheckpointStore::open(MEMORY, OpenOptions::default()).unwrap()
}

fn values(t: &CheckpointTuple) -> Vec<(String, String)> {
    t.channel_values.iter().map(|(k, v)| (k.clone(), String::from_utf8(v.data.clone()).unwrap())).collect()
}

#[test]
fn channel_values_are_rebuilt_from_versions_and_stored_once() {
    let store = memory();
    let big = format!("\"{}\"", "d".repeat(inline::BUDGET));
    put(&store, "t", "1", None, r#"{"doc":"1","n":"1"}"#, vec![blob("doc", "1", &big), blob("n", "1", "1")]);
    // Only `n` changed: `doc` is not sent again and still reads back.
    put(&store, "t", "2", Some("1"), r#"{"doc":"1","n":"2"}"#, vec![blob("n", "2", "2")]);
    let latest = store.get_tuple("t", "", None).unwrap().unwrap();
    assert_eq!(latest.checkpoint_id, "2");
    assert_eq!(latest.parent_checkpoint_id.as_deref(), Some("1"));
    assert_eq!(values(&latest), vec![("doc".into(), big.clone()), ("n".into(), "2".into())]);
    let first = store.get_tuple("t", "", Some("1")).unwrap().unwrap();
    assert_eq!(values(&first), vec![("doc".into(), big.clone()), ("n".into(), "1".into())]);
    assert_eq!(count(&store, "SELECT count(*) FROM flg_checkpoint_blobs"), 1);
}

fn count(store: &CheckpointStore, sql: &str) -> i64 {
    store.with_conn(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn small_values_live_in_the_row_and_follow_the_parent_chain() {
    let store = memory();
    let big = format!("\"{}\"", "d".repeat(inline::BUDGET));
    let empty =
        ChannelBlob { channel: "branch", version: "1", value: BlobValue::Whole(ValueRef { kind: "empty", data: &[] }) };
    put(
        &store,
        "t",
        "1",
        None,
        r#"{"doc":"1","n":"1","branch":"1"}"#,
        vec![blob("doc", "1", &big), blob("n", "1", "1"), empty],
    );
    // 2 changes `n`; 3 changes nothing; 4 forks from 1.
    put(&store, "t", "2", Some("1"), r#"{"doc":"1","n":"2","branch":"1"}"#, vec![blob("n", "2", "2")]);
    put(&store, "t", "3", Some("2"), r#"{"doc":"1","n":"2","branch":"1"}"#, vec![]);
    put(&store, "t", "4", Some("1"), r#"{"doc":"1","n":"1","branch":"1"}"#, vec![]);
    for (id, n) in [("1", "1"), ("2", "2"), ("3", "2"), ("4", "1")] {
        let t = store.get_tuple("t", "", Some(id)).unwrap().unwrap();
        assert_eq!(values(&t), vec![("doc".into(), big.clone()), ("n".into(), n.into())], "checkpoint {id}");
    }
    // Only the large value has a row of its own.
    assert_eq!(count(&store, "SELECT count(*) FROM flg_checkpoint_blobs"), 1);
    let listed = store.list(&ListQuery { page_size: 10, ..Default::default() }).unwrap();
    assert_eq!(listed.tuples.len(), 4);
    assert!(listed.tuples.iter().all(|t| t.channel_values.len() == 2));
    // A value kept in a row seeds the delta history as a blob does.
    put_writes(&store, "t", "2", "w", "", &[(0, "n", "5")]);
    let h = store.delta_channel_history("t", "", Some("3"), &["n".into()]).unwrap();
    assert_eq!(h[0].seed, Some(json("2")));
    assert_eq!(h[0].writes.len(), 1);
}

/// Puts 1 with `a` kept in its row, then 2 whose new `b` takes the room first, so that the unchanged
/// `a` becomes a blob, then 3 that changes nothing. Returns the values of `a` and `b`.
fn put_a_value_evicted_from_the_row(store: &CheckpointStore) -> (String, String) {
    let a = format!("\"{}\"", "a".repeat(inline::BUDGET / 2));
    let b = format!("\"{}\"", "b".repeat(inline::BUDGET / 2));
    put(store, "t", "1", None, r#"{"a":"1"}"#, vec![blob("a", "1", &a)]);
    put(store, "t", "2", Some("1"), r#"{"a":"1","b":"1"}"#, vec![blob("b", "1", &b)]);
    put(store, "t", "3", Some("2"), r#"{"a":"1","b":"1"}"#, vec![]);
    (a, b)
}

#[test]
fn an_unchanged_value_with_no_room_left_in_the_row_becomes_a_blob() {
    let store = memory();
    let (a, b) = put_a_value_evicted_from_the_row(&store);
    assert_eq!(count(&store, "SELECT count(*) FROM flg_checkpoint_blobs WHERE channel = 'a'"), 1);
    for id in ["2", "3"] {
        let t = store.get_tuple("t", "", Some(id)).unwrap().unwrap();
        assert_eq!(values(&t), vec![("a".into(), a.clone()), ("b".into(), b.clone())], "checkpoint {id}");
    }
}

#[test]
fn a_value_at_a_version_the_checkpoint_does_not_list_is_a_blob() {
    let store = memory();
    put(&store, "t", "1", None, r#"{"x":"2"}"#, vec![blob("x", "1", "1")]);
    assert!(store.get_tuple("t", "", None).unwrap().unwrap().channel_values.is_empty());
    put(&store, "t", "2", None, r#"{"x":"1"}"#, vec![]);
    assert_eq!(values(&store.get_tuple("t", "", Some("2")).unwrap().unwrap()), vec![("x".into(), "1".into())]);
}

#[test]
fn a_schema_1_file_is_upgraded_and_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let path = path.to_str().unwrap();
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(schema::SCHEMA_V1).unwrap();
        conn.execute_batch(
            "CREATE TABLE flg_schema_version (version INTEGER NOT NULL);
             INSERT INTO flg_schema_version VALUES (1);
             INSERT INTO flg_checkpoints
                 VALUES ('t', '', '1', NULL, 'json', CAST('{}' AS BLOB), '{\"x\":\"1\"}', 'json', CAST('{}' AS BLOB));
             INSERT INTO flg_checkpoint_blobs VALUES ('t', '', 'x', '1', 'json', CAST('42' AS BLOB));",
        )
        .unwrap();
    }
    let store = CheckpointStore::open(path, OpenOptions::default()).unwrap();
    assert_eq!(values(&store.get_tuple("t", "", None).unwrap().unwrap()), vec![("x".into(), "42".into())]);
    // A child of a row written before values were kept in rows reads its parent's blobs.
    put(&store, "t", "2", Some("1"), r#"{"x":"1","y":"1"}"#, vec![blob("y", "1", "43")]);
    let latest = store.get_tuple("t", "", None).unwrap().unwrap();
    assert_eq!(values(&latest), vec![("x".into(), "42".into()), ("y".into(), "43".into())]);
    assert_eq!(count(&store, "SELECT max(version) FROM flg_schema_version"), SCHEMA_VERSION);
}

#[test]
fn empty_blobs_and_missing_versions_are_absent() {
    let store = memory();
    let empty =
        ChannelBlob { channel: "gone", version: "1", value: BlobValue::Whole(ValueRef { kind: "empty", data: &[] }) };
    put(&store, "t", "1", None, r#"{"gone":"1","never":"7"}"#, vec![empty]);
    assert!(store.get_tuple("t", "", None).unwrap().unwrap().channel_values.is_empty());
    assert!(store.get_tuple("t", "", Some("nope")).unwrap().is_none());
    assert!(store.get_tuple("other", "", None).unwrap().is_none());
}

#[test]
fn pending_writes_come_back_in_writes_sort_key_order() {
    let store = memory();
    put(&store, "t", "1", None, "{}", vec![]);
    put_writes(&store, "t", "1", "task-b", "~__pregel_pull, b", &[(0, "x", "1"), (1, "y", "2")]);
    put_writes(&store, "t", "1", "task-a", "~__pregel_pull, c", &[(0, "x", "3")]);
    put_writes(&store, "t", "1", "task-z", "", &[(0, "x", "0")]);
    let t = store.get_tuple("t", "", None).unwrap().unwrap();
    let order: Vec<(&str, &str)> = t.pending_writes.iter().map(|w| (w.task_id.as_str(), w.channel.as_str())).collect();
    assert_eq!(order, vec![("task-z", "x"), ("task-b", "x"), ("task-b", "y"), ("task-a", "x")]);
}

#[test]
fn regular_writes_are_kept_and_special_writes_replace() {
    let store = memory();
    put(&store, "t", "1", None, "{}", vec![]);
    put_writes(&store, "t", "1", "task", "p", &[(0, "x", "\"first\""), (-1, "__error__", "\"e1\"")]);
    put_writes(&store, "t", "1", "task", "p", &[(0, "x", "\"second\""), (-1, "__error__", "\"e2\"")]);
    let t = store.get_tuple("t", "", None).unwrap().unwrap();
    let got: Vec<String> = t.pending_writes.iter().map(|w| String::from_utf8(w.value.data.clone()).unwrap()).collect();
    assert_eq!(got, vec!["\"e2\"", "\"first\""]);
}

#[test]
fn list_pages_filters_and_before() {
    let store = memory();
    for thread in ["a", "b"] {
        let mut parent: Option<String> = None;
        for i in 0..5 {
            let id = format!("{i:03}");
            put(&store, thread, &id, parent.as_deref(), "{}", vec![]);
            parent = Some(id);
        }
    }
    let mut query = ListQuery { page_size: 3, ..Default::default() };
    let mut seen = Vec::new();
    loop {
        let page = store.list(&query).unwrap();
        seen.extend(page.tuples.iter().map(|t| format!("{}/{}", t.thread_id, t.checkpoint_id)));
        match page.next {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["b/004", "a/004", "b/003", "a/003", "b/002", "a/002", "b/001", "a/001", "b/000", "a/000"]);

    let before =
        ListQuery { thread_id: Some("a".into()), before: Some("002".into()), page_size: 10, ..Default::default() };
    let ids: Vec<String> = store.list(&before).unwrap().tuples.into_iter().map(|t| t.checkpoint_id).collect();
    assert_eq!(ids, ["001", "000"]);

    // Every id here has length 3, so the metadata is {"step":3,...}.
    let hit = ListQuery { filter: Some(r#"{"step":3}"#.into()), page_size: 100, ..Default::default() };
    assert_eq!(store.list(&hit).unwrap().tuples.len(), 10);
    let miss =
        ListQuery { filter: Some(r#"{"step":3,"source":"input"}"#.into()), page_size: 100, ..Default::default() };
    assert!(store.list(&miss).unwrap().tuples.is_empty());
}

#[test]
fn delete_thread_removes_everything_of_that_thread_only() {
    let store = memory();
    let big = format!("\"{}\"", "d".repeat(inline::BUDGET));
    for thread in ["a", "b"] {
        put(&store, thread, "1", None, r#"{"x":"1"}"#, vec![blob("x", "1", &big)]);
        put_writes(&store, thread, "1", "task", "", &[(0, "x", "2")]);
    }
    store.write(|w| w.delete_thread("a")).unwrap();
    assert!(store.get_tuple("a", "", None).unwrap().is_none());
    let b = store.get_tuple("b", "", None).unwrap().unwrap();
    assert_eq!(b.channel_values.len(), 1);
    assert_eq!(b.pending_writes.len(), 1);
    let rows = "SELECT (SELECT count(*) FROM flg_checkpoint_blobs) + (SELECT count(*) FROM flg_checkpoint_writes)";
    assert_eq!(count(&store, rows), 2);
}

#[test]
fn delta_history_walks_to_the_nearest_seed() {
    let store = memory();
    // 1 stores a seed for `m`; 2 and 3 store none; 4 is the target.
    put(&store, "t", "1", None, r#"{"m":"1"}"#, vec![blob("m", "1", "\"seed\"")]);
    put(&store, "t", "2", Some("1"), r#"{"m":"2"}"#, vec![]);
    put(&store, "t", "3", Some("2"), r#"{"m":"3"}"#, vec![]);
    put(&store, "t", "4", Some("3"), r#"{"m":"4"}"#, vec![]);
    put_writes(&store, "t", "1", "w1", "", &[(0, "m", "\"a\"")]);
    put_writes(&store, "t", "2", "w2", "", &[(0, "m", "\"b\""), (1, "other", "0")]);
    put_writes(&store, "t", "3", "w3", "", &[(0, "m", "\"c\"")]);
    put_writes(&store, "t", "4", "w4", "", &[(0, "m", "\"not-yet\"")]);

    let h = store.delta_channel_history("t", "", None, &["m".into(), "none".into()]).unwrap();
    assert_eq!(h[0].seed, Some(json("\"seed\"")));
    let ws: Vec<&str> = h[0].writes.iter().map(|w| std::str::from_utf8(&w.value.data).unwrap()).collect();
    assert_eq!(ws, ["\"a\"", "\"b\"", "\"c\""]);
    assert_eq!(h[1].seed, None);
    assert!(h[1].writes.is_empty());

    let from2 = store.delta_channel_history("t", "", Some("2"), &["m".into()]).unwrap();
    assert_eq!(from2[0].writes.len(), 1);
    assert!(store.delta_channel_history("t", "", Some("missing"), &["m".into()]).unwrap()[0].seed.is_none());
}

#[test]
fn channel_writes_returns_one_channel() {
    let store = memory();
    put_writes(&store, "t", "p", "b", "", &[(0, "__pregel_tasks", "1"), (1, "x", "2")]);
    put_writes(&store, "t", "p", "a", "", &[(0, "__pregel_tasks", "3")]);
    let sends = store.channel_writes("t", "", "p", "__pregel_tasks").unwrap();
    let tasks: Vec<&str> = sends.iter().map(|w| w.task_id.as_str()).collect();
    assert_eq!(tasks, ["a", "b"]);
}

#[test]
fn file_survives_reopen_and_errors_have_codes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp.db");
    let path = path.to_str().unwrap();
    let store =
        CheckpointStore::open(path, OpenOptions { synchronous: Synchronous::Full, ..Default::default() }).unwrap();
    put(&store, "t", "1", None, r#"{"x":"1"}"#, vec![blob("x", "1", "42")]);
    store.close().unwrap();
    store.close().unwrap();
    assert_eq!(store.get_tuple("t", "", None).err().unwrap().code, ErrorCode::Closed);

    let again = CheckpointStore::open(path, OpenOptions::default()).unwrap();
    assert_eq!(values(&again.get_tuple("t", "", None).unwrap().unwrap()), vec![("x".into(), "42".into())]);

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let err = CheckpointStore::open(garbage.to_str().unwrap(), OpenOptions::default()).err().unwrap();
    assert_eq!(err.code, ErrorCode::NotADatabase);

    let missing_dir = dir.path().join("no/such/dir/cp.db");
    let err = CheckpointStore::open(missing_dir.to_str().unwrap(), OpenOptions::default()).err().unwrap();
    assert_eq!(err.code, ErrorCode::CannotOpen);
    assert!(err.message.contains("no/such/dir"));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    let path = path.to_str().unwrap();
    CheckpointStore::open(path, OpenOptions::default()).unwrap().close().unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute("INSERT INTO flg_schema_version (version) VALUES (?1)", [SCHEMA_VERSION + 1]).unwrap();
    drop(conn);
    let err = CheckpointStore::open(path, OpenOptions::default()).err().unwrap();
    assert_eq!(err.code, ErrorCode::SchemaVersion);
}

#[test]
fn a_group_commit_rolls_back_only_the_write_that_failed() {
    let store = memory();
    let ok = [(0, "x", "1")];
    let jobs: Vec<WriteJob<'_, ()>> = vec![
        Box::new(|w| w.put_writes(&writes("t", "1", "a", "", &ok))),
        Box::new(|w| {
            w.put_writes(&writes("t", "1", "b", "", &ok))?;
            Err(Error::new(ErrorCode::InvalidArgument, "refused"))
        }),
        Box::new(|w| {
            w.put_writes(&writes("t", "1", "c", "", &ok))?;
            panic!("boom")
        }),
        Box::new(|w| w.put_writes(&writes("t", "1", "d", "", &ok))),
    ];
    let codes: Vec<Option<ErrorCode>> = store.write_group(jobs).into_iter().map(|r| r.err().map(|e| e.code)).collect();
    assert_eq!(codes, [None, Some(ErrorCode::InvalidArgument), Some(ErrorCode::Internal), None]);
    let tasks: Vec<String> = store
        .with_conn(|c| {
            let mut stmt = c.prepare("SELECT task_id FROM flg_checkpoint_writes ORDER BY task_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .unwrap();
    assert_eq!(tasks, ["a", "d"]);
}

/// Sends each outcome of a worker call, tagged, to one channel.
fn reply<T: Send + 'static>(tx: &std::sync::mpsc::Sender<(&'static str, Result<T>)>, tag: &'static str) -> Done<T> {
    let tx = tx.clone();
    Box::new(move |r| tx.send((tag, r)).unwrap())
}

#[test]
fn the_worker_runs_calls_in_order_and_refuses_them_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db").to_string_lossy().into_owned();
    let worker = StoreWorker::<Option<usize>>::open(path, OpenOptions::default()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    worker.write(
        Box::new(|w| {
            w.put(&PutCheckpoint {
                thread_id: "t",
                checkpoint_ns: "",
                checkpoint_id: "1",
                parent_checkpoint_id: None,
                checkpoint: json_ref("{}"),
                metadata: json_ref("{}"),
                channel_versions: "{}",
                blobs: vec![],
            })
            .map(|()| None)
        }),
        reply(&tx, "write"),
    );
    for i in 0..100 {
        let task = format!("{i}");
        worker.write(
            Box::new(move |w| w.put_writes(&writes("t", "1", &task, "", &[(0, "x", "1")])).map(|()| None)),
            reply(&tx, "write"),
        );
    }
    // Issued after the writes without waiting for them, so it must see all of them.
    worker.read(Box::new(|s| Ok(s.get_tuple("t", "", Some("1"))?.map(|t| t.pending_writes.len()))), reply(&tx, "read"));
    worker.close(reply(&tx, "close"));
    worker.read(Box::new(|_| Ok(None)), reply(&tx, "late"));
    let outcomes: Vec<_> = rx.iter().take(104).map(|(tag, r)| (tag, r.map_err(|e| e.code))).collect();
    // The late call is refused at once, on the caller's thread; the others answer in order.
    assert!(outcomes.contains(&("late", Err(ErrorCode::Closed))));
    let ordered: Vec<_> = outcomes.into_iter().filter(|(tag, _)| *tag != "late").collect();
    assert!(ordered[..101].iter().all(|o| *o == ("write", Ok(None))));
    assert_eq!(ordered[101..], [("read", Ok(Some(100))), ("close", Ok(None))]);
}

#[cfg(target_os = "linux")]
#[test]
fn the_worker_thread_runs_as_batch_work() {
    let worker = StoreWorker::<Option<usize>>::open(":memory:".into(), OpenOptions::default()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    worker.read(Box::new(|_| Ok(Some(unsafe { libc::sched_getscheduler(0) } as usize))), reply(&tx, "read"));
    let (_, policy) = rx.recv().unwrap();
    assert_eq!(policy.map_err(|e| e.code), Ok(Some(libc::SCHED_BATCH as usize)));
    // This thread, the caller, is untouched.
    assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
}

#[test]
fn a_worker_that_cannot_open_reports_it_on_every_call() {
    let worker = StoreWorker::<Option<usize>>::open("/nonexistent-dir/x.db".into(), OpenOptions::default()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    worker.read(Box::new(|_| Ok(Some(1))), reply(&tx, "read"));
    worker.write(Box::new(|_| Ok(Some(1))), reply(&tx, "write"));
    worker.close(reply(&tx, "close"));
    let outcomes: Vec<_> = rx.iter().take(3).map(|(tag, r)| (tag, r.map_err(|e| e.code))).collect();
    assert_eq!(
        outcomes,
        [("read", Err(ErrorCode::CannotOpen)), ("write", Err(ErrorCode::CannotOpen)), ("close", Ok(None))]
    );
}

#[test]
fn stats_count_a_shared_blob_once_stored_and_once_per_checkpoint_logically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stats.db");
    let store = CheckpointStore::open(path.to_str().unwrap(), OpenOptions::default()).unwrap();
    let empty = store.stats().unwrap();
    assert_eq!(
        (empty.threads, empty.checkpoints, empty.writes, empty.stored_bytes, empty.logical_bytes),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(empty.dedup_ratio(), 1.0);

    let doc_a = format!("\"{}\"", "a".repeat(10_000));
    let doc_b = format!("\"{}\"", "b".repeat(3_000));
    // Thread a carries doc_a unchanged through three checkpoints while the counter `n` changes.
    put(&store, "a", "1", None, r#"{"doc":"1","n":"1"}"#, vec![blob("doc", "1", &doc_a), blob("n", "1", "1")]);
    put(&store, "a", "2", Some("1"), r#"{"doc":"1","n":"2"}"#, vec![blob("n", "2", "2")]);
    put(&store, "a", "3", Some("2"), r#"{"doc":"1","n":"3"}"#, vec![blob("n", "3", "3")]);
    put(&store, "b", "1", None, r#"{"doc":"1"}"#, vec![blob("doc", "1", &doc_b)]);
    put_writes(&store, "a", "3", "task", "", &[(0, "n", "4"), (1, "doc", "\"x\"")]);
    put_writes(&store, "b", "1", "task", "", &[(0, "doc", "1")]);

    // By hand: `{"id":"1"}` is 10 bytes and `{"step":1,"source":"loop"}` 26; `n` kept in the row
    // costs 12 bytes of lengths + "n" + "json" + its 1-byte value = 18. Writes: "4", "\"x\"", "1".
    let (row, inline_n, writes) = (10 + 26, 18, 1 + 3 + 1);
    let rows = 3 * (row + inline_n) + row;
    let stats = store.stats().unwrap();
    assert_eq!((stats.threads, stats.checkpoints, stats.writes), (2, 4, 3));
    let (doc_a, doc_b) = (doc_a.len() as i64, doc_b.len() as i64);
    assert_eq!(stats.stored_bytes, rows + doc_a + doc_b + writes);
    assert_eq!(stats.logical_bytes, rows + 3 * doc_a + doc_b + writes);
    assert!(stats.dedup_ratio() > 2.0, "{}", stats.dedup_ratio());

    store.write(|w| w.delete_thread("a")).unwrap();
    let after = store.stats().unwrap();
    assert_eq!((after.threads, after.checkpoints, after.writes), (1, 1, 1));
    assert_eq!((after.stored_bytes, after.logical_bytes), (row + doc_b + 1, row + doc_b + 1));
    // Closing checkpoints the write-ahead log into the main file, which then has the pages counted.
    store.close().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len() as i64, after.file_bytes);
}

#[test]
fn stats_do_not_count_a_value_twice_when_a_row_keeps_it_and_a_blob_holds_it_too() {
    let store = memory();
    // 1 still keeps `a` in its row after it became a blob.
    let (a, _) = put_a_value_evicted_from_the_row(&store);
    let stats = store.stats().unwrap();
    // Only 2 and 3 read `a` from its blob.
    assert_eq!(stats.logical_bytes - stats.stored_bytes, a.len() as i64);
    assert!(stats.file_bytes > 0);
}

/// A message list that shares its first `prefix` elements with the parent's list, at version
/// `prefix_of`, then has `elements`: `with_bytes[i]` says whether element i carries its bytes or
/// only its hash.
fn list_after<'a>(
    version: &'a str,
    (prefix, prefix_of): (usize, &'a str),
    elements: &'a [String],
    with_bytes: &[bool],
) -> ChannelBlob<'a> {
    let entries = elements
        .iter()
        .zip(with_bytes)
        .map(|(e, &bytes)| ChunkEntry { hash: chunk_hash(e.as_bytes()), data: bytes.then_some(e.as_bytes()) })
        .collect();
    ChannelBlob { channel: "messages", version, value: BlobValue::List(ListFrame { prefix, prefix_of, entries }) }
}

fn list_blob<'a>(version: &'a str, elements: &'a [String], with_bytes: &[bool]) -> ChannelBlob<'a> {
    list_after(version, (0, ""), elements, with_bytes)
}

fn message(i: usize) -> String {
    format!(
        r#"{{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{{"content":"step {i}"}}}}"#
    )
}

fn joined(elements: &[String]) -> String {
    format!("[{}]", elements.join(","))
}

/// Checkpoint `id` of `thread` in the root namespace, its checkpoint `{}`.
fn checkpoint<'a>(
    thread: &'a str,
    id: &'a str,
    parent: Option<&'a str>,
    versions: &'a str,
    metadata: &'a str,
    blobs: Vec<ChannelBlob<'a>>,
) -> PutCheckpoint<'a> {
    PutCheckpoint {
        thread_id: thread,
        checkpoint_ns: "",
        checkpoint_id: id,
        parent_checkpoint_id: parent,
        checkpoint: json_ref("{}"),
        metadata: json_ref(metadata),
        channel_versions: versions,
        blobs,
    }
}

fn try_put(store: &CheckpointStore, id: &str, parent: Option<&str>, blob: ChannelBlob) -> crate::Result<()> {
    let versions = format!(r#"{{"messages":"{}"}}"#, blob.version);
    store.write(|w| w.put(&checkpoint("t", id, parent, &versions, "{}", vec![blob])))
}

fn messages_at(store: &CheckpointStore, thread: &str, id: &str) -> String {
    let tuple = store.get_tuple(thread, "", Some(id)).unwrap().unwrap();
    values(&tuple).into_iter().find(|(c, _)| c == "messages").unwrap().1
}

#[test]
fn a_growing_message_list_stores_each_message_once_and_reads_back_whole() {
    let store = memory();
    let all: Vec<String> = (0..300).map(message).collect();
    for n in 1..=all.len() {
        // As the saver sends them: the parent's list as a prefix, then the newest message. Every
        // tenth put sends the others by hash instead of as a prefix.
        let (id, parent) = (format!("{n:04}"), format!("{:04}", n - 1));
        let blob = if n % 10 == 0 {
            list_blob(&id, &all[..n], &(0..n).map(|i| i == n - 1).collect::<Vec<_>>())
        } else {
            list_after(&id, (n - 1, &parent), &all[n - 1..n], &[true])
        };
        try_put(&store, &id, (n > 1).then_some(&parent), blob).unwrap();
    }
    assert_eq!(count(&store, "SELECT count(*) FROM flg_chunks"), 300);
    for n in [1, 2, 17, 18, 19, 150, 299, 300] {
        assert_eq!(messages_at(&store, "t", &format!("{n:04}")), joined(&all[..n]), "version {n}");
    }
    // Most versions are deltas of a few hashes, not whole lists.
    let list_bytes = count(&store, "SELECT sum(octet_length(chunk_list)) FROM flg_checkpoint_blobs");
    let whole_lists: i64 = (1..=300).map(|n| 32 * n).sum();
    assert!(list_bytes * 5 < whole_lists, "{list_bytes} bytes of lists");
    // A page of `list` reads every version right too.
    let page = store.list(&ListQuery { page_size: 300, ..Default::default() }).unwrap();
    assert_eq!(page.tuples.len(), 300);
    for t in &page.tuples {
        let n: usize = t.checkpoint_id.parse().unwrap();
        assert_eq!(values(t), vec![("messages".to_string(), joined(&all[..n]))]);
    }
}

#[test]
fn a_message_sent_by_hash_alone_must_be_stored_in_the_thread() {
    let store = memory();
    let all: Vec<String> = (0..3).map(message).collect();
    // Not stored anywhere: refused, and nothing of the put is kept.
    let err = try_put(&store, "1", None, list_blob("1", &all[..2], &[true, false])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ChunkMissing);
    // Nor is a prefix of a parent list that is not there.
    let err = try_put(&store, "1", None, list_after("1", (1, "0"), &all[1..2], &[true])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ChunkMissing);
    assert_eq!(count(&store, "SELECT count(*) FROM flg_checkpoints"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM flg_chunks"), 0);
    try_put(&store, "1", None, list_blob("1", &all[..2], &[true, true])).unwrap();
    // A fork that drops message 1 and later sends it by hash alone: found among the thread's chunks.
    try_put(&store, "2", Some("1"), list_blob("2", &all[..1], &[false])).unwrap();
    try_put(&store, "3", Some("2"), list_blob("3", &all[..2], &[false, false])).unwrap();
    assert_eq!(messages_at(&store, "t", "3"), joined(&all[..2]));
    // A prefix longer than the parent's list.
    let err = try_put(&store, "4", Some("3"), list_after("4", (3, "3"), &all[2..], &[true])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ChunkMissing);
    // A prefix of another version than the parent's.
    let err = try_put(&store, "4", Some("3"), list_after("4", (1, "2"), &all[1..], &[true])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ChunkMissing);
    // A list that drops its last message is the parent's prefix alone.
    try_put(&store, "4", Some("3"), list_after("4", (1, "3"), &[], &[])).unwrap();
    assert_eq!(messages_at(&store, "t", "4"), joined(&all[..1]));
    // Another thread does not share this thread's messages.
    let put_other = |data: bool| {
        let versions = r#"{"messages":"1"}"#;
        let blob = list_blob("1", &all[..1], &[data]);
        store.write(|w| w.put(&checkpoint("other", "1", None, versions, "{}", vec![blob])))
    };
    assert_eq!(put_other(false).unwrap_err().code, ErrorCode::ChunkMissing);
    put_other(true).unwrap();
    assert_eq!(messages_at(&store, "other", "1"), joined(&all[..1]));
    // Deleting one thread deletes its messages only.
    store.write(|w| w.delete_thread("t")).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM flg_chunks"), 1);
    assert_eq!(messages_at(&store, "other", "1"), joined(&all[..1]));
}

#[test]
fn bytes_that_do_not_match_their_hash_are_refused() {
    let store = memory();
    let all = [message(0)];
    let mut blob = list_blob("1", &all, &[true]);
    let BlobValue::List(frame) = &mut blob.value else { unreachable!() };
    frame.entries[0].data = Some(b"{\"other\":1}");
    assert_eq!(try_put(&store, "1", None, blob).unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(count(&store, "SELECT count(*) FROM flg_chunks"), 0);
}

#[test]
fn a_missing_or_damaged_stored_list_is_reported_not_a_panic() {
    let store = memory();
    let all: Vec<String> = (0..2).map(message).collect();
    try_put(&store, "1", None, list_blob("1", &all[..1], &[true])).unwrap();
    try_put(&store, "2", Some("1"), list_blob("2", &all, &[false, true])).unwrap();
    // The delta's base gone.
    store
        .with_conn(|c| Ok(c.execute("UPDATE flg_checkpoint_blobs SET chunk_list = NULL WHERE version = '1'", [])?))
        .unwrap();
    assert_eq!(store.get_tuple("t", "", Some("2")).unwrap_err().code, ErrorCode::Corrupt);
    // Truncated lists, and a list whose message is gone.
    for sql in [
        "UPDATE flg_checkpoint_blobs SET chunk_list = substr(chunk_list, 1, 10)",
        "UPDATE flg_checkpoint_blobs SET chunk_list = X'07'",
        "UPDATE flg_checkpoint_blobs SET chunk_list = X'00010000000102'",
    ] {
        store.with_conn(|c| Ok(c.execute(sql, [])?)).unwrap();
        assert_eq!(store.get_tuple("t", "", Some("2")).unwrap_err().code, ErrorCode::Corrupt, "{sql}");
    }
    try_put(&store, "3", None, list_blob("3", &all[..1], &[true])).unwrap();
    store.with_conn(|c| Ok(c.execute("DELETE FROM flg_chunks", [])?)).unwrap();
    assert_eq!(store.get_tuple("t", "", Some("3")).unwrap_err().code, ErrorCode::Corrupt);
}

#[test]
fn malformed_frames_are_invalid_arguments() {
    let mut frame = 2u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&1u32.to_le_bytes());
    frame.extend_from_slice(b"5");
    frame.extend_from_slice(&[7u8; 32]);
    frame.extend_from_slice(&3u32.to_le_bytes());
    frame.extend_from_slice(b"abc");
    let parsed = parse_frame(&frame).unwrap();
    assert_eq!((parsed.prefix, parsed.prefix_of, parsed.entries[0].data), (2, "5", Some(&b"abc"[..])));
    // A cut after the version is a list of the parent's elements alone; any other cut is malformed.
    for cut in (0..frame.len()).filter(|&cut| cut != 9) {
        assert_eq!(parse_frame(&frame[..cut]).unwrap_err().code, ErrorCode::InvalidArgument, "cut at {cut}");
    }
    assert_eq!(parse_frame(&frame[..9]).unwrap().entries.len(), 0);
    // An empty list is never framed.
    assert_eq!(parse_frame(&[0; 8]).unwrap_err().code, ErrorCode::InvalidArgument);
}

fn put_with_metadata(
    store: &CheckpointStore,
    thread: &str,
    id: &str,
    parent: Option<&str>,
    versions: &str,
    metadata: &str,
    blobs: Vec<ChannelBlob>,
) {
    store.write(|w| w.put(&checkpoint(thread, id, parent, versions, metadata, blobs))).unwrap();
}

/// (checkpoint id, channel values, pending writes) of each checkpoint of a thread, newest first.
type Listed = (String, Vec<(String, String)>, Vec<PendingWrite>);

fn tuples(store: &CheckpointStore, thread: &str) -> Vec<Listed> {
    let query = ListQuery { thread_id: Some(thread.into()), page_size: 1000, ..Default::default() };
    store
        .list(&query)
        .unwrap()
        .tuples
        .iter()
        .map(|t| (t.checkpoint_id.clone(), values(t), t.pending_writes.clone()))
        .collect()
}

#[test]
fn prune_keeps_the_latest_checkpoints_and_what_they_read_and_deletes_the_rest() {
    let store = memory();
    let all: Vec<String> = (0..60).map(message).collect();
    let big = format!("\"{}\"", "d".repeat(inline::BUDGET));
    for n in 1..=60usize {
        let (id, parent) = (format!("{n:04}"), format!("{:04}", n - 1));
        let versions = format!(r#"{{"messages":"{n}","doc":"1","n":"{n}"}}"#);
        let n_text = n.to_string();
        let before = (n - 1).to_string();
        let mut blobs =
            vec![list_after(&n_text, (n - 1, &before), &all[n - 1..n], &[true]), blob("n", &n_text, &n_text)];
        if n == 1 {
            blobs.push(blob("doc", "1", &big));
        }
        put_with_metadata(&store, "t", &id, (n > 1).then_some(&parent), &versions, "{}", blobs);
        put_writes(&store, "t", &id, "task", "", &[(0, "n", &n_text)]);
    }
    put(&store, "other", "1", None, r#"{"x":"1"}"#, vec![blob("x", "1", "1")]);
    let before = tuples(&store, "t");
    let other = tuples(&store, "other");
    let pruned = store.write(|w| w.prune(Some("t"), 3)).unwrap();
    assert_eq!((pruned.checkpoints, pruned.writes), (57, 57));
    // The 3 latest read back as before, the unchanged document included; the other thread is untouched.
    assert_eq!(tuples(&store, "t"), before[..3].to_vec());
    assert_eq!(tuples(&store, "other"), other);
    // Only the messages of the 3 kept lists are left: all 60, since the latest holds them all.
    assert_eq!(count(&store, "SELECT count(*) FROM flg_chunks WHERE thread_id = 't'"), 60);
    assert!(pruned.blobs > 0);
    // A list that drops messages, then pruning to it, frees the messages nothing holds any more.
    let versions = r#"{"messages":"61","doc":"1","n":"60"}"#;
    put_with_metadata(&store, "t", "0061", Some("0060"), versions, "{}", vec![list_after("61", (2, "60"), &[], &[])]);
    let pruned = store.write(|w| w.prune(None, 1)).unwrap();
    assert_eq!((pruned.checkpoints, pruned.messages), (3, 58));
    assert_eq!(messages_at(&store, "t", "0061"), joined(&all[..2]));
    assert_eq!(tuples(&store, "t")[0].1.iter().find(|(c, _)| c == "doc").unwrap().1, big);
    assert_eq!(tuples(&store, "other"), other);
    assert_eq!(store.write(|w| w.prune(None, 0)).unwrap_err().code, ErrorCode::InvalidArgument);
}

#[test]
fn prune_keeps_the_ancestors_a_delta_channel_is_rebuilt_from() {
    let store = memory();
    // Channel "d" is a delta channel: a value at checkpoint 2 only, then writes on each checkpoint.
    for n in 1..=8usize {
        let (id, parent) = (format!("{n}"), format!("{}", n - 1));
        let versions = format!(r#"{{"d":"{n}","n":"{n}"}}"#);
        let n_text = n.to_string();
        let mut blobs = vec![blob("n", &n_text, &n_text)];
        // LangGraph names the delta channels not snapshotted in this checkpoint.
        let metadata = if n == 2 { "{}" } else { r#"{"counters_since_delta_snapshot":{"d":[1,1]}}"# };
        if n == 2 {
            blobs.push(blob("d", &n_text, "[\"seed\"]"));
        }
        put_with_metadata(&store, "t", &id, (n > 1).then_some(&parent), &versions, metadata, blobs);
        put_writes(&store, "t", &id, "task", "", &[(0, "d", &format!("\"w{n}\""))]);
    }
    let history =
        |store: &CheckpointStore| store.delta_channel_history("t", "", Some("8"), &["d".to_string()]).unwrap();
    let before = history(&store);
    assert_eq!(before[0].writes.len(), 6);
    let pruned = store.write(|w| w.prune(None, 1)).unwrap();
    // 8 is kept, and 7 back to 2, which holds the seed; only 1 goes.
    assert_eq!(pruned.checkpoints, 1);
    assert_eq!(history(&store), before);
}

#[test]
fn compressed_values_read_back_as_written_and_stats_count_them_both_ways() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let doc = format!("\"{}\"", "lorem ipsum dolor sit amet ".repeat(400));
    let all: Vec<String> = (0..40).map(message).collect();
    let versions = r#"{"doc":"1","messages":"1"}"#;
    let plain_stats;
    {
        let plain = CheckpointStore::open(path, OpenOptions::default()).unwrap();
        let put = |store: &CheckpointStore, compression: Compression, id: &str| {
            let blobs = vec![blob("doc", "1", &doc), list_blob("1", &all, &vec![true; all.len()])];
            let put = checkpoint(id, "1", None, versions, "{}", blobs);
            store.write(|w| w.compressed(compression).put(&put)).unwrap();
            let write = [(0, "doc", doc.as_str())];
            let ws = writes(id, "1", "task", "", &write);
            store.write(|w| w.compressed(compression).put_writes(&ws)).unwrap();
        };
        put(&plain, Compression::None, "plain");
        plain_stats = plain.stats().unwrap();
        // The same values compressed, in the same file: both read back alike.
        put(&plain, Compression::Zstd, "zstd");
    }
    let store = CheckpointStore::open(path, OpenOptions::default()).unwrap();
    let read = |thread: &str| {
        let t = store.get_tuple(thread, "", None).unwrap().unwrap();
        (values(&t), t.pending_writes.iter().map(|w| (w.value.kind.clone(), w.value.data.clone())).collect::<Vec<_>>())
    };
    assert_eq!(read("zstd"), read("plain"));
    assert_eq!(read("plain").0, vec![("doc".into(), doc.clone()), ("messages".into(), joined(&all))]);
    let both = store.stats().unwrap();
    // Logically the two threads are the same; stored compressed, the second takes far less.
    assert_eq!(both.logical_bytes, 2 * plain_stats.logical_bytes);
    let zstd_stored = both.stored_bytes - plain_stats.stored_bytes;
    assert!(zstd_stored * 4 < plain_stats.stored_bytes, "{zstd_stored} vs {}", plain_stats.stored_bytes);
}
