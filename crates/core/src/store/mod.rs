//! The checkpoint store: checkpoints, channel blobs and pending writes, laid out as LangGraph's
//! Postgres saver lays them out, in one SQLite connection shared by every call.

mod filter;
mod inline;
mod read;
mod schema;
mod worker;
mod write;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, ErrorCode, Result};

pub use schema::SCHEMA_VERSION;
pub use worker::{Done, ReadJob, StoreWorker};
pub use write::{WriteJob, Writer};

/// A value as the JS serializer produced it: its type tag (`json`, `bytes`, `empty`, ...) and bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedValue {
    pub kind: String,
    pub data: Vec<u8>,
}

impl TypedValue {
    pub fn new(kind: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        TypedValue { kind: kind.into(), data: data.into() }
    }
}

/// A borrowed serialized value, as callers hand it in for writing.
#[derive(Debug, Clone, Copy)]
pub struct ValueRef<'a> {
    pub kind: &'a str,
    pub data: &'a [u8],
}

/// The serialized value of one channel at one version. `kind == "empty"` records that the channel
/// had a new version but no value (as the Postgres saver does).
#[derive(Debug, Clone, Copy)]
pub struct ChannelBlob<'a> {
    pub channel: &'a str,
    pub version: &'a str,
    pub value: ValueRef<'a>,
}

#[derive(Debug, Clone)]
pub struct PutCheckpoint<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub checkpoint_id: &'a str,
    pub parent_checkpoint_id: Option<&'a str>,
    /// The checkpoint without `channel_values`.
    pub checkpoint: ValueRef<'a>,
    pub metadata: ValueRef<'a>,
    /// JSON object `{channel: "version"}` of the checkpoint's `channel_versions`.
    pub channel_versions: &'a str,
    /// Only the channels named in `newVersions`. Small ones are kept in the checkpoint's row (see
    /// `inline`), the others stored once per (channel, version).
    pub blobs: Vec<ChannelBlob<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// Position in the batch, or the negative index of a special channel (`WRITES_IDX_MAP`).
    pub idx: i64,
    pub channel: &'a str,
    pub value: ValueRef<'a>,
}

#[derive(Debug, Clone)]
pub struct PutWrites<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub checkpoint_id: &'a str,
    pub task_id: &'a str,
    pub task_path: &'a str,
    pub writes: Vec<Write<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub task_id: String,
    pub channel: String,
    pub value: TypedValue,
}

#[derive(Debug, Clone)]
pub struct CheckpointTuple {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub checkpoint: TypedValue,
    pub metadata: TypedValue,
    /// Channel values rebuilt from `channel_versions`; channels without a stored value are absent.
    pub channel_values: Vec<(String, TypedValue)>,
    /// In `writesSortKey` order: (task_path, task_id, idx).
    pub pending_writes: Vec<PendingWrite>,
}

/// Position in a `list`: the last row examined, in (checkpoint_id, thread_id, checkpoint_ns) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub checkpoint_id: String,
    pub thread_id: String,
    pub checkpoint_ns: String,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub thread_id: Option<String>,
    pub checkpoint_ns: Option<String>,
    pub checkpoint_id: Option<String>,
    /// Only checkpoints whose id sorts before this one.
    pub before: Option<String>,
    /// JSON object; a checkpoint matches when each key's metadata value is deep-equal to it.
    pub filter: Option<String>,
    /// How many matching tuples one page may hold (at least 1).
    pub page_size: usize,
    pub cursor: Option<ListCursor>,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub tuples: Vec<CheckpointTuple>,
    /// Where the next page starts; `None` when nothing is left.
    pub next: Option<ListCursor>,
}

/// What `getDeltaChannelHistory` returns for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHistory {
    pub channel: String,
    /// The value stored at the nearest ancestor that has one.
    pub seed: Option<TypedValue>,
    /// Writes to the channel from the seed's checkpoint down to the target's parent, oldest first.
    pub writes: Vec<PendingWrite>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// WAL + NORMAL: a committed checkpoint survives a crash of the process.
    Normal,
    /// WAL + FULL: it also survives a power loss.
    Full,
}

#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { synchronous: Synchronous::Normal, busy_timeout: Duration::from_secs(5) }
    }
}

pub const MEMORY: &str = ":memory:";

/// A checkpoint database. Every method may be called from any thread; calls are serialized on
/// the one connection, each in its own transaction. `StoreWorker` gives it a thread of its own.
pub struct CheckpointStore {
    conn: Mutex<Option<Connection>>,
}

impl CheckpointStore {
    /// Opens (creating if needed) the database at `path`, or a private in-memory one for `:memory:`.
    pub fn open(path: &str, options: OpenOptions) -> Result<Self> {
        let mut conn = if path == MEMORY {
            Connection::open_in_memory()?
        } else {
            let flags =
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags).map_err(|e| with_path(e.into(), path))?
        };
        configure(&conn, options).map_err(|e| with_path(e, path))?;
        schema::migrate(&mut conn).map_err(|e| with_path(e, path))?;
        Ok(CheckpointStore { conn: Mutex::new(Some(conn)) })
    }

    /// Closes the connection. Later calls fail with `FLG_CLOSED`; closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner).take();
        match conn {
            Some(conn) => conn.close().map_err(|(_, e)| e.into()),
            None => Ok(()),
        }
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A panic inside `f` drops its transaction, which rolls back: the connection stays usable.
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(Error::new(ErrorCode::Closed, "the checkpointer is closed")),
        }
    }
}

fn configure(conn: &Connection, options: OpenOptions) -> Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    // Reading the journal mode is the first access to the file: a non-database fails here.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    let sync = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    // Query-planner stability: without it, STAT4 builds mark bound parameters as plan-relevant and
    // every cached statement is re-prepared on each use (two thirds of a getTuple's time).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn with_path(err: Error, path: &str) -> Error {
    Error::new(err.code, format!("{} ({path})", err.message))
}

#[cfg(test)]
mod tests;
