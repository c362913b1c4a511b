//! Tables of the checkpoint store. Names carry a `flg_` prefix so that the file of an official
//! `SqliteSaver` (tables `checkpoints` and `writes`) can live in the same database untouched.

use rusqlite::Connection;

use crate::db;
use crate::error::Result;

pub const SCHEMA_VERSION: i64 = 3;

pub(super) const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS flg_checkpoints (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    parent_checkpoint_id TEXT,
    checkpoint_type TEXT NOT NULL,
    checkpoint BLOB NOT NULL,
    -- JSON object channel -> version (as text): which blobs make up channel_values.
    channel_versions TEXT NOT NULL,
    metadata_type TEXT NOT NULL,
    metadata BLOB NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);

-- One row per (channel, version): a value is stored once, however many checkpoints share it.
CREATE TABLE IF NOT EXISTS flg_checkpoint_blobs (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    blob BLOB,
    PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
);

CREATE TABLE IF NOT EXISTS flg_checkpoint_writes (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    channel TEXT NOT NULL,
    type TEXT NOT NULL,
    blob BLOB NOT NULL,
    task_path TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);
";

/// Small channel values move into the checkpoint row (see `inline`); older rows have none.
const SCHEMA_V2: &str = "ALTER TABLE flg_checkpoints ADD COLUMN inline_values BLOB;";

/// Message lists as content-addressed elements, each stored once per thread (see `chunks`).
const SCHEMA_V3: &str = "
ALTER TABLE flg_checkpoint_blobs ADD COLUMN chunk_list BLOB;
CREATE TABLE IF NOT EXISTS flg_chunks (
    thread_id TEXT NOT NULL,
    hash BLOB NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (thread_id, hash)
);
";

// Rowid tables, not WITHOUT ROWID: values of a kilobyte or more would spill to overflow pages in a
// clustered index and double the pages a put writes. A `list` across all threads sorts by checkpoint
// id rather than keep a second index on every put for that rare call.

/// Creates the tables, brings an older schema up to date, or refuses a file from a newer version.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    db::migrate(conn, "flg_schema_version", &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3])
}
