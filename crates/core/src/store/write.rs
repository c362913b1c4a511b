use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::chunks::{self, ChannelKey};
use super::compress::{self, Compression};
use super::read::{parse_versions, version_text};
use super::{inline, BlobValue, CheckpointStore, PutCheckpoint, PutWrites, TypedValue, ValueRef};
use crate::db::{OpenOptions, TxJob};
use crate::error::Result;
use crate::worker::{Done, Worker};

/// The write operations, run inside a transaction that `CheckpointStore::write` or
/// `CheckpointStore::write_group` owns: a caller never commits half of one.
pub struct Writer<'c> {
    pub(super) conn: &'c Connection,
    compression: Compression,
}

struct ParentValues {
    versions: Map<String, Value>,
    values: Vec<(String, TypedValue)>,
}

/// One write of a group commit.
pub type WriteJob<'a, T> = Box<dyn FnOnce(&Writer) -> Result<T> + Send + 'a>;

impl<'c> Writer<'c> {
    /// The same writer, storing values compressed as `compression` says.
    pub fn compressed(&self, compression: Compression) -> Writer<'c> {
        Writer { conn: self.conn, compression }
    }

    /// Stores a checkpoint. Of the channels named in `newVersions`, small values are kept in its
    /// row and large ones stored once per (channel, version); small values of the other channels
    /// are copied from the parent's row.
    pub fn put(&self, put: &PutCheckpoint) -> Result<()> {
        let versions = parse_versions(put.channel_versions)?;
        let listed = |channel: &str| versions.get(channel).map(version_text);
        let parent = self.parent_values(put)?;
        let mut budget = inline::BUDGET;
        let mut kept = Vec::new();
        for b in &put.blobs {
            match &b.value {
                // In the row only at the version the checkpoint lists: there a blob would have been read.
                BlobValue::Whole(value)
                    if listed(b.channel).as_deref() == Some(b.version) && value.data.len() <= budget =>
                {
                    budget -= value.data.len();
                    kept.push((b.channel, *value));
                }
                BlobValue::Whole(value) => self.insert_blob(put, b.channel, b.version, *value)?,
                BlobValue::List(frame) => {
                    let key =
                        ChannelKey { thread_id: put.thread_id, checkpoint_ns: put.checkpoint_ns, channel: b.channel };
                    let parent_version = parent.as_ref().and_then(|p| p.versions.get(b.channel)).map(version_text);
                    chunks::put_list(self.conn, key, b.version, parent_version.as_deref(), frame, self.compression)?;
                }
            }
        }
        if let Some(parent) = &parent {
            for (channel, value) in &parent.values {
                let version = match listed(channel) {
                    Some(v) if parent.versions.get(channel).map(version_text).as_ref() == Some(&v) => v,
                    _ => continue,
                };
                if put.blobs.iter().any(|b| b.channel == channel) {
                    continue;
                }
                let value = ValueRef { kind: &value.kind, data: &value.data };
                if value.data.len() <= budget {
                    budget -= value.data.len();
                    kept.push((channel, value));
                } else {
                    // No room left beside this checkpoint's new values: stored where a blob is read.
                    self.insert_blob(put, channel, &version, value)?;
                }
            }
        }
        self.conn
            .prepare_cached(
                "INSERT INTO flg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
                     checkpoint_type, checkpoint, channel_versions, metadata_type, metadata, inline_values)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
                     parent_checkpoint_id = excluded.parent_checkpoint_id,
                     checkpoint_type = excluded.checkpoint_type,
                     checkpoint = excluded.checkpoint,
                     channel_versions = excluded.channel_versions,
                     metadata_type = excluded.metadata_type,
                     metadata = excluded.metadata,
                     inline_values = excluded.inline_values",
            )?
            .execute(params![
                put.thread_id,
                put.checkpoint_ns,
                put.checkpoint_id,
                put.parent_checkpoint_id,
                put.checkpoint.kind,
                put.checkpoint.data,
                put.channel_versions,
                put.metadata.kind,
                put.metadata.data,
                inline::pack(&kept)
            ])?;
        Ok(())
    }

    /// The parent's channel versions and the values kept in its row, if it is stored.
    fn parent_values(&self, put: &PutCheckpoint) -> Result<Option<ParentValues>> {
        let Some(parent_id) = put.parent_checkpoint_id else { return Ok(None) };
        let row: Option<(String, Option<Vec<u8>>)> = self
            .conn
            .prepare_cached(
                "SELECT channel_versions, inline_values FROM flg_checkpoints
                 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
            )?
            .query_row(params![put.thread_id, put.checkpoint_ns, parent_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(versions, values)| {
            Ok(ParentValues {
                versions: parse_versions(&versions)?,
                values: values.as_deref().map(inline::unpack).transpose()?.unwrap_or_default(),
            })
        })
        .transpose()
    }

    fn insert_blob(&self, put: &PutCheckpoint, channel: &str, version: &str, value: ValueRef) -> Result<()> {
        // A (channel, version) pair never changes value, so an existing row is kept.
        let (kind, data) = compress::pack(self.compression, value.kind, value.data);
        self.conn
            .prepare_cached(
                "INSERT INTO flg_checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![put.thread_id, put.checkpoint_ns, channel, version, kind, data])?;
        Ok(())
    }

    /// Stores a task's writes. Regular writes (idx >= 0) are kept if already present, so a retried
    /// task cannot change what a finished one wrote; special channels (idx < 0) replace.
    pub fn put_writes(&self, put: &PutWrites) -> Result<()> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO flg_checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,
                 channel, type, blob, task_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT DO NOTHING",
        )?;
        let mut replace = self.conn.prepare_cached(
            "INSERT INTO flg_checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,
                 channel, type, blob, task_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
                 channel = excluded.channel,
                 type = excluded.type,
                 blob = excluded.blob,
                 task_path = excluded.task_path",
        )?;
        for w in &put.writes {
            let stmt = if w.idx < 0 { &mut replace } else { &mut insert };
            let (kind, data) = compress::pack(self.compression, w.value.kind, w.value.data);
            stmt.execute(params![
                put.thread_id,
                put.checkpoint_ns,
                put.checkpoint_id,
                put.task_id,
                w.idx,
                w.channel,
                kind,
                data,
                put.task_path
            ])?;
        }
        Ok(())
    }

    /// Deletes every checkpoint, blob, write and stored message of a thread, in every namespace.
    pub fn delete_thread(&self, thread_id: &str) -> Result<()> {
        for table in ["flg_checkpoints", "flg_checkpoint_blobs", "flg_checkpoint_writes", "flg_chunks"] {
            self.conn.prepare_cached(&format!("DELETE FROM {table} WHERE thread_id = ?1"))?.execute([thread_id])?;
        }
        Ok(())
    }
}

/// The checkpoint store's thread.
pub type StoreWorker<T> = Worker<CheckpointStore, T>;

fn in_tx<'a, T: 'a>(job: WriteJob<'a, T>) -> TxJob<'a, T> {
    Box::new(move |conn| job(&Writer { conn, compression: Compression::None }))
}

impl<T: Default + Send + 'static> StoreWorker<T> {
    /// Starts the store's thread, which opens the database at `path`.
    pub fn open(path: String, options: OpenOptions) -> crate::Result<Self> {
        Self::start(move || CheckpointStore::open(&path, options))
    }

    pub fn write(&self, job: WriteJob<'static, T>, done: Done<T>) {
        self.write_tx(in_tx(job), done);
    }
}

impl CheckpointStore {
    /// Runs `f` in one write transaction: committed if it succeeds, rolled back otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&Writer) -> Result<T>) -> Result<T> {
        self.db.transact(|conn| f(&Writer { conn, compression: Compression::None }))
    }

    /// Several writes in one commit (`Database::transact_group`): each one that fails is rolled back alone.
    pub fn write_group<T>(&self, jobs: Vec<WriteJob<'_, T>>) -> Vec<Result<T>> {
        self.db.transact_group(jobs.into_iter().map(in_tx).collect())
    }
}
