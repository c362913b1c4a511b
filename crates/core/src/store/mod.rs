//! The checkpoint store: checkpoints, channel blobs and pending writes, laid out as LangGraph's
//! Postgres saver lays them out, in one SQLite connection shared by every call.

mod chunks;
mod compress;
mod filter;
mod inline;
mod prune;
mod read;
mod schema;
mod stats;
mod write;

use rusqlite::Connection;

use crate::db::Database;
pub use crate::db::{OpenOptions, Store, Synchronous, MEMORY};
use crate::error::Result;
pub use crate::worker::Done;
pub use chunks::{chunk_hash, parse_frame, ChunkEntry, Hash, ListFrame};
pub use compress::Compression;
pub use prune::Pruned;
pub use schema::SCHEMA_VERSION;
pub use stats::StoreStats;
pub use write::{StoreWorker, WriteJob, Writer};

/// A read of the checkpoint store, run on its thread.
pub type ReadJob<T> = crate::worker::ReadJob<CheckpointStore, T>;

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
#[derive(Debug, Clone)]
pub struct ChannelBlob<'a> {
    pub channel: &'a str,
    pub version: &'a str,
    pub value: BlobValue<'a>,
}

#[derive(Debug, Clone)]
pub enum BlobValue<'a> {
    Whole(ValueRef<'a>),
    /// A JSON list given element by element, stored as chunks (see `chunks`).
    List(ListFrame<'a>),
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

/// A checkpoint database. Every method may be called from any thread; calls are serialized on
/// the one connection, each in its own transaction. `StoreWorker` gives it a thread of its own.
pub struct CheckpointStore {
    db: Database,
}

impl Store for CheckpointStore {
    fn database(&self) -> &Database {
        &self.db
    }
}

impl CheckpointStore {
    /// Opens (creating if needed) the database at `path`, or a private in-memory one for `:memory:`.
    pub fn open(path: &str, options: OpenOptions) -> Result<Self> {
        Ok(CheckpointStore { db: Database::open(path, options, schema::migrate)? })
    }

    /// Closes the connection. Later calls fail with `FLG_CLOSED`; closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        self.db.close()
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        self.db.with_conn(f)
    }
}

#[cfg(test)]
mod tests;
