use std::panic::{catch_unwind, AssertUnwindSafe};

use rusqlite::{params, Connection, TransactionBehavior};

use super::{CheckpointStore, PutCheckpoint, PutWrites};
use crate::error::{Error, Result};

/// The write operations, run inside a transaction that `CheckpointStore::write` or
/// `CheckpointStore::write_group` owns: a caller never commits half of one.
pub struct Writer<'c> {
    conn: &'c Connection,
}

/// One write of a group commit.
pub type WriteJob<'a, T> = Box<dyn FnOnce(&Writer) -> Result<T> + Send + 'a>;

impl Writer<'_> {
    /// Stores a checkpoint and the blobs of the channels that changed.
    pub fn put(&self, put: &PutCheckpoint) -> Result<()> {
        // A (channel, version) pair never changes value, so an existing row is kept.
        let mut blob = self.conn.prepare_cached(
            "INSERT INTO flg_checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO NOTHING",
        )?;
        for b in &put.blobs {
            blob.execute(params![put.thread_id, put.checkpoint_ns, b.channel, b.version, b.value.kind, b.value.data])?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO flg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
                     checkpoint_type, checkpoint, channel_versions, metadata_type, metadata)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
                     parent_checkpoint_id = excluded.parent_checkpoint_id,
                     checkpoint_type = excluded.checkpoint_type,
                     checkpoint = excluded.checkpoint,
                     channel_versions = excluded.channel_versions,
                     metadata_type = excluded.metadata_type,
                     metadata = excluded.metadata",
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
                put.metadata.data
            ])?;
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
            stmt.execute(params![
                put.thread_id,
                put.checkpoint_ns,
                put.checkpoint_id,
                put.task_id,
                w.idx,
                w.channel,
                w.value.kind,
                w.value.data,
                put.task_path
            ])?;
        }
        Ok(())
    }

    /// Deletes every checkpoint, blob and write of a thread, in every namespace.
    pub fn delete_thread(&self, thread_id: &str) -> Result<()> {
        for table in ["flg_checkpoints", "flg_checkpoint_blobs", "flg_checkpoint_writes"] {
            self.conn.prepare_cached(&format!("DELETE FROM {table} WHERE thread_id = ?1"))?.execute([thread_id])?;
        }
        Ok(())
    }
}

impl CheckpointStore {
    /// Runs `f` in one write transaction: committed if it succeeds, rolled back otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&Writer) -> Result<T>) -> Result<T> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&Writer { conn: &tx })?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Group commit: runs several independent writes in one transaction, so they share one commit
    /// (one WAL append and, with `synchronous=FULL`, one fsync). Each runs in a savepoint: one that
    /// fails or panics is rolled back alone. Nothing is reported done before the commit.
    pub fn write_group<T>(&self, jobs: Vec<WriteJob<'_, T>>) -> Vec<Result<T>> {
        let count = jobs.len();
        let outcome = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let writer = Writer { conn: &tx };
            let mut results = Vec::with_capacity(count);
            for job in jobs {
                tx.prepare_cached("SAVEPOINT flg_job")?.execute([])?;
                let result = guard(|| job(&writer));
                if let Err(err) = &result {
                    // Some failures (disk full, I/O) make SQLite roll back the whole transaction, and
                    // the savepoint with it: then every write of the group failed, with this error.
                    if tx.prepare_cached("ROLLBACK TO flg_job").and_then(|mut s| s.execute([])).is_err() {
                        return Err(err.clone());
                    }
                }
                tx.prepare_cached("RELEASE flg_job")?.execute([])?;
                results.push(result);
            }
            tx.commit()?;
            Ok(results)
        });
        outcome.unwrap_or_else(|err| (0..count).map(|_| Err(err.clone())).collect())
    }
}

/// Runs `f`, turning a panic into an `FLG_INTERNAL` error instead of unwinding further.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::new(crate::ErrorCode::Internal, format!("fast-langgraph panicked ({detail})")))
    })
}
