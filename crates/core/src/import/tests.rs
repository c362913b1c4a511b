use std::path::Path;

use rusqlite::{params, Connection};

use super::*;

/// The tables exactly as `SqliteSaver.setup()` creates them, with its one pragma.
const SAVER_SCHEMA: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS checkpoints (
  thread_id TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL DEFAULT '',
  checkpoint_id TEXT NOT NULL,
  parent_checkpoint_id TEXT,
  type TEXT,
  checkpoint BLOB,
  metadata BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);
CREATE TABLE IF NOT EXISTS writes (
  thread_id TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL DEFAULT '',
  checkpoint_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  channel TEXT NOT NULL,
  type TEXT,
  value BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);";

fn saver_db(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SAVER_SCHEMA).unwrap();
    conn
}

fn insert_checkpoint(conn: &Connection, thread: &str, ns: &str, id: &str, parent: Option<&str>, data: &[u8]) {
    conn.execute(
        "INSERT INTO checkpoints VALUES (?1, ?2, ?3, ?4, 'json', ?5, ?6)",
        params![thread, ns, id, parent, data, format!(r#"{{"step":{}}}"#, id.len())],
    )
    .unwrap();
}

fn all<T>(mut next: impl FnMut() -> Result<Vec<T>>) -> Vec<Vec<T>> {
    let mut pages = Vec::new();
    loop {
        let page = next().unwrap();
        if page.is_empty() {
            return pages;
        }
        pages.push(page);
    }
}

fn code(result: Result<SqliteSaverFile>) -> ErrorCode {
    result.err().expect("opening should fail").code
}

#[test]
fn refuses_what_is_not_a_saver_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert_eq!(code(SqliteSaverFile::open(missing.to_str().unwrap())), ErrorCode::CannotOpen);
    assert!(!missing.exists(), "opening read-only must not create the file");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, but long enough to hold a SQLite header ".repeat(4)).unwrap();
    assert_eq!(code(SqliteSaverFile::open(text.to_str().unwrap())), ErrorCode::NotADatabase);

    let other = dir.path().join("other.db");
    Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (body TEXT)").unwrap();
    let err = SqliteSaverFile::open(other.to_str().unwrap()).err().unwrap();
    assert_eq!(err.code, ErrorCode::NoSaverTables);
    assert!(err.message.contains("no table checkpoints"), "{}", err.message);

    let partial = dir.path().join("partial.db");
    Connection::open(&partial)
        .unwrap()
        .execute_batch(&SAVER_SCHEMA.replace("  type TEXT,\n  value BLOB,", "  blob BLOB,"))
        .unwrap();
    let err = SqliteSaverFile::open(partial.to_str().unwrap()).err().unwrap();
    assert_eq!(err.code, ErrorCode::NoSaverTables);
    assert!(err.message.contains("table writes has no column type, value"), "{}", err.message);

    // An empty file is an empty database.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(code(SqliteSaverFile::open(empty.to_str().unwrap())), ErrorCode::NoSaverTables);
}

#[test]
fn pages_come_in_key_order_so_parents_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saver.db");
    let conn = saver_db(&path);
    // Inserted out of order, across threads and namespaces, and over more than one page.
    let mut expected = Vec::new();
    for thread in ["t2", "t1"] {
        for ns in ["node:b", "", "node:a|node:c"] {
            let mut parent: Option<String> = None;
            for i in (0..PAGE_ROWS / 2).rev() {
                let id = format!("1ef{i:05}");
                insert_checkpoint(&conn, thread, ns, &id, parent.as_deref(), id.as_bytes());
                expected.push(CheckpointKey {
                    thread_id: thread.into(),
                    checkpoint_ns: ns.into(),
                    checkpoint_id: id.clone(),
                });
                parent = Some(id);
            }
        }
    }
    expected.sort();
    let writes = [
        ("task-b", 0, "foo", Some("json"), Some(&b"1"[..])),
        ("task-a", 1, "bar", None, Some(b"2")),
        ("task-a", -3, "__interrupt__", Some("json"), None),
        ("task-a", 0, "foo", Some("bytes"), Some(&[0, 255])),
    ];
    for (task, idx, channel, kind, value) in writes {
        conn.execute(
            "INSERT INTO writes VALUES ('t1', '', '1ef00001', ?1, ?2, ?3, ?4, ?5)",
            params![task, idx, channel, kind, value],
        )
        .unwrap();
    }
    // Older versions of the saver stored text.
    conn.execute("INSERT INTO writes VALUES ('t0', '', 'c', 'task', 0, 'foo', 'json', '\"text\"')", []).unwrap();

    let mut file = SqliteSaverFile::open(path.to_str().unwrap()).unwrap();
    let pages = all(|| file.next_checkpoints());
    assert!(pages.len() > 1 && pages.iter().all(|p| p.len() <= PAGE_ROWS));
    let read: Vec<SaverCheckpoint> = pages.into_iter().flatten().collect();
    let keys: Vec<_> = read.iter().map(|c| c.key.clone()).collect();
    assert_eq!(keys, expected);
    let first = &read[0];
    assert_eq!((first.kind.as_str(), first.checkpoint.as_slice()), ("json", &b"1ef00000"[..]));
    assert_eq!(first.metadata, br#"{"step":8}"#);
    assert_eq!(first.parent_checkpoint_id.as_deref(), Some("1ef00001"));
    assert_eq!(read[PAGE_ROWS / 2 - 1].parent_checkpoint_id, None);

    let writes: Vec<_> = all(|| file.next_writes())
        .into_iter()
        .flatten()
        .map(|w| (w.key.thread_id, w.task_id, w.idx, w.channel, w.kind, w.value))
        .collect();
    let w = |thread: &str, task: &str, idx, channel: &str, kind: &str, value: &[u8]| {
        (thread.to_string(), task.to_string(), idx, channel.to_string(), kind.to_string(), value.to_vec())
    };
    assert_eq!(
        writes,
        [
            w("t0", "task", 0, "foo", "json", b"\"text\""),
            w("t1", "task-a", -3, "__interrupt__", "json", b""),
            w("t1", "task-a", 0, "foo", "bytes", &[0, 255]),
            w("t1", "task-a", 1, "bar", "json", b"2"),
            w("t1", "task-b", 0, "foo", "json", b"1"),
        ]
    );
    // Exhausted tables stay exhausted.
    assert!(file.next_checkpoints().unwrap().is_empty() && file.next_writes().unwrap().is_empty());
}

#[test]
fn large_rows_end_a_page_early() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.db");
    let conn = saver_db(&path);
    let big = vec![b'x'; PAGE_BYTES / 2 + 1];
    for id in ["a", "b", "c"] {
        insert_checkpoint(&conn, "t", "", id, None, &big);
    }
    let mut file = SqliteSaverFile::open(path.to_str().unwrap()).unwrap();
    let sizes: Vec<usize> = all(|| file.next_checkpoints()).iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 1]);
}

#[test]
fn reads_one_snapshot_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.db");
    let writer = saver_db(&path);
    for i in 0..PAGE_ROWS + 1 {
        insert_checkpoint(&writer, "t", "", &format!("{i:04}"), None, b"{}");
    }
    let mut file = SqliteSaverFile::open(path.to_str().unwrap()).unwrap();
    assert_eq!(file.next_checkpoints().unwrap().len(), PAGE_ROWS);
    // A saver that keeps writing: the import sees the file as it was when opened.
    insert_checkpoint(&writer, "t", "", "9999", None, b"{}");
    writer.execute("DELETE FROM checkpoints WHERE checkpoint_id = ?1", [format!("{PAGE_ROWS:04}")]).unwrap();
    let rest = file.next_checkpoints().unwrap();
    assert_eq!(rest.iter().map(|c| c.key.checkpoint_id.as_str()).collect::<Vec<_>>(), [format!("{PAGE_ROWS:04}")]);
    assert!(file.next_checkpoints().unwrap().is_empty());

    let readonly = file.conn.execute("DELETE FROM checkpoints", []).unwrap_err();
    assert_eq!(Error::from(readonly).code, ErrorCode::ReadOnly);
}

#[test]
fn a_page_is_a_range_scan_of_the_primary_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    drop(saver_db(&path));
    let file = SqliteSaverFile::open(path.to_str().unwrap()).unwrap();
    let plan = |sql: &str| -> String {
        let mut stmt = file.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    };
    for (table, sql) in [("checkpoints", select::<SaverCheckpoint>(true)), ("writes", select::<SaverWrite>(true))] {
        let plan = plan(&sql.replace('?', "NULL"));
        assert!(plan.starts_with(&format!("SEARCH {table} USING INDEX")), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
