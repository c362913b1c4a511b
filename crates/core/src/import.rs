//! Reads the database file of the official `SqliteSaver` (`@langchain/langgraph-checkpoint-sqlite`,
//! tables `checkpoints` and `writes`) for `importSqliteSaver`: read-only, from one snapshot, a page
//! at a time, in primary-key order. Checkpoint ids are time-ordered (uuid6), so within a thread and
//! namespace a parent comes before its children.

use std::time::Duration;

use rusqlite::types::{FromSqlError, Value};
use rusqlite::{params_from_iter, Connection, OpenFlags, Row};

use crate::db::guard;
use crate::error::{Error, ErrorCode, Result};

/// A page ends after this many rows...
const PAGE_ROWS: usize = 256;
/// ...or after the row that takes it past this many bytes, so that a large file is never held whole.
const PAGE_BYTES: usize = 8 << 20;

/// The checkpoint a row belongs to: the leading columns of both tables' primary keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckpointKey {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
}

impl CheckpointKey {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(CheckpointKey { thread_id: row.get(0)?, checkpoint_ns: row.get(1)?, checkpoint_id: row.get(2)? })
    }

    fn values(&self) -> Vec<Value> {
        vec![self.thread_id.clone().into(), self.checkpoint_ns.clone().into(), self.checkpoint_id.clone().into()]
    }
}

/// One row of `checkpoints`. The checkpoint and its metadata share one type tag, as the saver
/// stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaverCheckpoint {
    pub key: CheckpointKey,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    pub checkpoint: Vec<u8>,
    pub metadata: Vec<u8>,
}

/// One row of `writes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaverWrite {
    pub key: CheckpointKey,
    pub task_id: String,
    pub idx: i64,
    pub channel: String,
    pub kind: String,
    pub value: Vec<u8>,
}

/// A table read in primary-key order.
trait Paged: Sized {
    const TABLE: &'static str;
    /// The columns read: the checkpoint key's, then the rest of the primary key's, then the others.
    const COLUMNS: &'static [&'static str];
    /// How many columns the primary key has.
    const KEY: usize;
    /// From the columns after the checkpoint key's.
    fn from_row(key: CheckpointKey, row: &Row<'_>) -> rusqlite::Result<Self>;
    fn key(&self) -> Vec<Value>;
    fn size(&self) -> usize;
}

impl Paged for SaverCheckpoint {
    const TABLE: &'static str = "checkpoints";
    const COLUMNS: &'static [&'static str] =
        &["thread_id", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type", "checkpoint", "metadata"];
    const KEY: usize = 3;

    fn from_row(key: CheckpointKey, row: &Row<'_>) -> rusqlite::Result<Self> {
        let parent_checkpoint_id = row.get(3)?;
        Ok(SaverCheckpoint {
            key,
            parent_checkpoint_id,
            kind: kind(row, 4)?,
            checkpoint: bytes(row, 5)?,
            metadata: bytes(row, 6)?,
        })
    }

    fn key(&self) -> Vec<Value> {
        self.key.values()
    }

    fn size(&self) -> usize {
        self.checkpoint.len() + self.metadata.len()
    }
}

impl Paged for SaverWrite {
    const TABLE: &'static str = "writes";
    const COLUMNS: &'static [&'static str] =
        &["thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx", "channel", "type", "value"];
    const KEY: usize = 5;

    fn from_row(key: CheckpointKey, row: &Row<'_>) -> rusqlite::Result<Self> {
        let (task_id, idx, channel) = (row.get(3)?, row.get(4)?, row.get(5)?);
        Ok(SaverWrite { key, task_id, idx, channel, kind: kind(row, 6)?, value: bytes(row, 7)? })
    }

    fn key(&self) -> Vec<Value> {
        let mut key = self.key.values();
        key.extend([self.task_id.clone().into(), self.idx.into()]);
        key
    }

    fn size(&self) -> usize {
        self.value.len()
    }
}

/// The saver reads a NULL type as `json`.
fn kind(row: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(row.get::<_, Option<String>>(i)?.unwrap_or_else(|| "json".into()))
}

/// A value column: a BLOB, TEXT from older versions of the saver, or NULL (empty).
fn bytes(row: &Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    let value = row.get_ref(i)?;
    if value == rusqlite::types::ValueRef::Null {
        return Ok(Vec::new());
    }
    value
        .as_bytes()
        .map(<[u8]>::to_vec)
        .map_err(|e: FromSqlError| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

/// The database of a `SqliteSaver`, open read-only. Each `next_*` call returns the next page of
/// its table, and an empty page once the table is exhausted.
pub struct SqliteSaverFile {
    conn: Connection,
    /// Primary key of the last row returned from each table: the next page starts after it.
    checkpoints_after: Option<Vec<Value>>,
    writes_after: Option<Vec<Value>>,
}

impl SqliteSaverFile {
    /// Fails with `FLG_CANNOT_OPEN` for a missing file, `FLG_NOT_A_DATABASE` for a file that is not
    /// SQLite, and `FLG_NO_SAVER_TABLES` for a database without the saver's tables.
    pub fn open(path: &str) -> Result<Self> {
        guard(|| {
            let at = |err: Error| Error::new(err.code, format!("{} ({path})", err.message));
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path, flags).map_err(|e| at(e.into()))?;
            conn.busy_timeout(Duration::from_secs(5))?;
            // One read transaction until the file is dropped: every page comes from the same
            // snapshot, even while a running SqliteSaver keeps writing to the file.
            conn.execute_batch("BEGIN").map_err(|e| at(e.into()))?;
            check_tables(&conn).map_err(at)?;
            Ok(SqliteSaverFile { conn, checkpoints_after: None, writes_after: None })
        })
    }

    /// The next page of checkpoints, ordered by (thread_id, checkpoint_ns, checkpoint_id).
    pub fn next_checkpoints(&mut self) -> Result<Vec<SaverCheckpoint>> {
        guard(|| page(&self.conn, &mut self.checkpoints_after))
    }

    /// The next page of writes, ordered by (thread_id, checkpoint_ns, checkpoint_id, task_id, idx).
    pub fn next_writes(&mut self) -> Result<Vec<SaverWrite>> {
        guard(|| page(&self.conn, &mut self.writes_after))
    }
}

fn check_tables(conn: &Connection) -> Result<()> {
    for (table, columns) in
        [(SaverCheckpoint::TABLE, SaverCheckpoint::COLUMNS), (SaverWrite::TABLE, SaverWrite::COLUMNS)]
    {
        // The first read of the file: one that is not SQLite fails here.
        let present = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")?
            .query_map([table], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let missing: Vec<&str> = columns.iter().copied().filter(|c| !present.iter().any(|p| p == c)).collect();
        let problem = match (present.is_empty(), missing.is_empty()) {
            (true, _) => format!("the database has no table {table}"),
            (false, false) => format!("table {table} has no column {}", missing.join(", ")),
            (false, true) => continue,
        };
        return Err(Error::new(ErrorCode::NoSaverTables, format!("{problem}: it was not written by SqliteSaver")));
    }
    Ok(())
}

fn page<T: Paged>(conn: &Connection, after: &mut Option<Vec<Value>>) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(&select::<T>(after.is_some()))?;
    let mut rows = stmt.query(params_from_iter(after.iter().flatten()))?;
    let mut out: Vec<T> = Vec::new();
    let mut size = 0;
    while let Some(row) = rows.next()? {
        let item = T::from_row(CheckpointKey::from_row(row)?, row)?;
        size += item.size();
        out.push(item);
        if out.len() >= PAGE_ROWS || size >= PAGE_BYTES {
            break;
        }
    }
    if let Some(last) = out.last() {
        *after = Some(last.key());
    }
    Ok(out)
}

/// The query of a page. Starting after a key is a row-value comparison on the primary key, which
/// SQLite runs as a range scan of its index: each page costs its own rows, not a scan from the start.
fn select<T: Paged>(after: bool) -> String {
    let key = T::COLUMNS[..T::KEY].join(", ");
    let start = if after { format!(" WHERE ({key}) > ({})", vec!["?"; T::KEY].join(", ")) } else { String::new() };
    format!("SELECT {} FROM {}{start} ORDER BY {key}", T::COLUMNS.join(", "), T::TABLE)
}

#[cfg(test)]
mod tests;
