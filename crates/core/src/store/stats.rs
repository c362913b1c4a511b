//! `stats`: what a checkpoint database stores, and what its checkpoints would take if each stored
//! its channel values whole.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;
use serde_json::{Map, Value};

use rusqlite::functions::FunctionFlags;

use super::chunks::{self, ChannelKey, Hash};
use super::compress;
use super::{inline, CheckpointStore};
use crate::error::{Error, ErrorCode, Result};

/// Totals of a whole checkpoint database, every thread and namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Thread ids with at least one checkpoint.
    pub threads: i64,
    pub checkpoints: i64,
    /// Pending-write rows.
    pub writes: i64,
    /// Payload bytes: each checkpoint row's checkpoint, metadata and inline values, each blob and
    /// each write's value. SQLite's own overhead (pages, keys, indexes) is not counted.
    pub stored_bytes: i64,
    /// What the same rows would take if each checkpoint held its channel values whole, as
    /// `SqliteSaver` does: a blob counts once for every checkpoint that lists its version.
    pub logical_bytes: i64,
    /// `page_count * page_size`: the main file's size once the write-ahead log is checkpointed
    /// (as closing does); for `:memory:`, the in-memory database's size.
    pub file_bytes: i64,
}

impl StoreStats {
    /// `logical_bytes / stored_bytes`; 1 when nothing is stored.
    pub fn dedup_ratio(&self) -> f64 {
        if self.stored_bytes == 0 {
            1.0
        } else {
            self.logical_bytes as f64 / self.stored_bytes as f64
        }
    }
}

type Counts = (i64, i64, i64, i64, i64, i64, i64, i64);

/// SQL `flg_original_size(type, bytes)`: a value's size before compression (`compress`).
const ORIGINAL_SIZE: &str = "flg_original_size";

impl CheckpointStore {
    /// The totals of the whole database, read from one snapshot.
    pub fn stats(&self) -> Result<StoreStats> {
        self.db.snapshot(|tx| {
            tx.create_scalar_function(
                ORIGINAL_SIZE,
                2,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                |ctx| {
                    let compressed = ctx.get_raw(0).as_str_or_null()?.is_some_and(compress::is_compressed_type);
                    let data = ctx.get_raw(1).as_blob_or_null()?;
                    Ok(data.map(|d| if compressed { compress::original_size(d) } else { d.len() as i64 }))
                },
            )?;
            // octet_length reads a value's size from the record header, without loading the value.
            let (threads, checkpoints, writes, row_bytes, blob_bytes, write_bytes, write_original, file_bytes): Counts =
                tx.query_row(
                    "SELECT
                     (SELECT count(DISTINCT thread_id) FROM flg_checkpoints),
                     (SELECT count(*) FROM flg_checkpoints),
                     (SELECT count(*) FROM flg_checkpoint_writes),
                     (SELECT ifnull(sum(octet_length(checkpoint) + octet_length(metadata)
                         + ifnull(octet_length(inline_values), 0)), 0) FROM flg_checkpoints),
                     (SELECT ifnull(sum(ifnull(octet_length(blob), 0) + ifnull(octet_length(chunk_list), 0)), 0)
                         FROM flg_checkpoint_blobs)
                         + (SELECT ifnull(sum(octet_length(data)), 0) FROM flg_chunks),
                     (SELECT ifnull(sum(octet_length(blob)), 0) FROM flg_checkpoint_writes),
                     (SELECT ifnull(sum(flg_original_size(type, blob)), 0) FROM flg_checkpoint_writes),
                     (SELECT p.page_count * s.page_size FROM pragma_page_count() p, pragma_page_size() s)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
                )?;
            Ok(StoreStats {
                threads,
                checkpoints,
                writes,
                stored_bytes: row_bytes + blob_bytes + write_bytes,
                logical_bytes: row_bytes + referenced_blob_bytes(tx)? + write_original,
                file_bytes,
            })
        })
    }
}

/// For each checkpoint, the bytes of the blobs its `channel_versions` list, but for channels kept in
/// its own row: an unchanged value evicted from a full row becomes a blob at the version that the
/// ancestors still hold inline, and counting it there too would count it twice. A message list
/// stored as chunks counts as the JSON it joins to.
fn referenced_blob_bytes(tx: &Connection) -> Result<i64> {
    let lists = list_sizes(tx)?;
    // Comparing the TEXT column `version` converts a number in the JSON to text, as `version_text` does.
    // A rare call: not prepare_cached, so it does not push a hot statement out of the cache.
    let mut stmt = tx.prepare(
        "SELECT c.inline_values, c.thread_id, c.checkpoint_ns,
             (SELECT json_group_object(j.key, CASE WHEN b.chunk_list IS NULL THEN ifnull(flg_original_size(b.type, b.blob), 0)
                                                   ELSE b.version END)
              FROM json_each(c.channel_versions) j
              JOIN flg_checkpoint_blobs b
                ON b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
                   AND b.channel = j.key AND b.version = j.value)
         FROM flg_checkpoints c",
    )?;
    let mut rows = stmt.query([])?;
    let mut total = 0;
    while let Some(row) = rows.next()? {
        let kept: HashSet<String> = match row.get::<_, Option<Vec<u8>>>(0)? {
            Some(bytes) => inline::unpack(&bytes)?.into_iter().map(|(channel, _)| channel).collect(),
            None => HashSet::new(),
        };
        let (thread_id, checkpoint_ns): (String, String) = (row.get(1)?, row.get(2)?);
        let lengths: Map<String, Value> = serde_json::from_str(&row.get::<_, String>(3)?)
            .map_err(|e| Error::new(ErrorCode::Internal, format!("blob lengths are not JSON: {e}")))?;
        for (channel, length) in lengths.iter().filter(|(channel, _)| !kept.contains(*channel)) {
            total += match length {
                // A chunked list: its version, whose size `list_sizes` computed.
                Value::String(version) => lists
                    .get(&(thread_id.clone(), checkpoint_ns.clone(), channel.clone(), version.clone()))
                    .copied()
                    .unwrap_or(0),
                other => other.as_i64().unwrap_or(0),
            };
        }
    }
    Ok(total)
}

/// The joined size of every message list stored as chunks, by (thread, namespace, channel, version).
fn list_sizes(tx: &Connection) -> Result<HashMap<(String, String, String, String), i64>> {
    let mut sizes = HashMap::new();
    // A message is compressed exactly when it starts with zstd's magic, which `original_size` checks.
    let mut stmt = tx.prepare("SELECT hash, flg_original_size('zstd:', data) FROM flg_chunks")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let hash: Vec<u8> = row.get(0)?;
        if let Ok(hash) = Hash::try_from(hash.as_slice()) {
            sizes.insert(hash, row.get::<_, i64>(1)?);
        }
    }
    let mut out = HashMap::new();
    let mut stmt = tx.prepare(
        "SELECT thread_id, checkpoint_ns, channel, version, chunk_list FROM flg_checkpoint_blobs
         WHERE chunk_list IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (thread_id, checkpoint_ns, channel, version): (String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let key = ChannelKey { thread_id: &thread_id, checkpoint_ns: &checkpoint_ns, channel: &channel };
        let size = chunks::list_size(tx, key, &row.get::<_, Vec<u8>>(4)?, &sizes)?;
        out.insert((thread_id, checkpoint_ns, channel, version), size);
    }
    Ok(out)
}
