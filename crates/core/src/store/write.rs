use rusqlite::{params, TransactionBehavior};

use super::{CheckpointStore, PutCheckpoint, PutWrites};
use crate::error::Result;

impl CheckpointStore {
    /// Stores a checkpoint and the blobs of the channels that changed, in one transaction.
    pub fn put(&self, put: &PutCheckpoint) -> Result<()> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                // A (channel, version) pair never changes value, so an existing row is kept.
                let mut blob = tx.prepare_cached(
                    "INSERT INTO flg_checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT DO NOTHING",
                )?;
                for b in &put.blobs {
                    blob.execute(params![
                        put.thread_id,
                        put.checkpoint_ns,
                        b.channel,
                        b.version,
                        b.value.kind,
                        b.value.data
                    ])?;
                }
                let mut checkpoint = tx.prepare_cached(
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
                )?;
                checkpoint.execute(params![
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
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Stores a task's writes. Regular writes (idx >= 0) are kept if already present, so a retried
    /// task cannot change what a finished one wrote; special channels (idx < 0) replace.
    pub fn put_writes(&self, put: &PutWrites) -> Result<()> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO flg_checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,
                         channel, type, blob, task_path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT DO NOTHING",
                )?;
                let mut replace = tx.prepare_cached(
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
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Deletes every checkpoint, blob and write of a thread, in every namespace.
    pub fn delete_thread(&self, thread_id: &str) -> Result<()> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for table in ["flg_checkpoints", "flg_checkpoint_blobs", "flg_checkpoint_writes"] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE thread_id = ?1"))?
                    .execute([thread_id])?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}
