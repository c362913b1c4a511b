use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};
use serde_json::{Map, Value};

use super::chunks::{self, ChannelKey, ChunkMemo};
use super::compress;
use super::filter::MetadataFilter;
use super::inline;
use super::{
    ChannelHistory, CheckpointStore, CheckpointTuple, ListCursor, ListPage, ListQuery, PendingWrite, TypedValue,
};
use crate::error::{Error, ErrorCode, Result};

const TUPLE_COLUMNS: &str = "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint_type,
    checkpoint, channel_versions, metadata_type, metadata, inline_values";

/// The most rows one `list` page examines, so that a rarely matching filter cannot hold the
/// connection for a whole table scan.
const MAX_SCAN_PER_PAGE: usize = 1024;

const WRITES_ORDER: &str = "ORDER BY task_path, task_id, idx";

struct CheckpointRow {
    thread_id: String,
    checkpoint_ns: String,
    checkpoint_id: String,
    parent_checkpoint_id: Option<String>,
    checkpoint: TypedValue,
    channel_versions: String,
    metadata: TypedValue,
    inline_values: Option<Vec<u8>>,
}

impl CheckpointRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(CheckpointRow {
            thread_id: row.get(0)?,
            checkpoint_ns: row.get(1)?,
            checkpoint_id: row.get(2)?,
            parent_checkpoint_id: row.get(3)?,
            checkpoint: TypedValue { kind: row.get(4)?, data: row.get(5)? },
            channel_versions: row.get(6)?,
            metadata: TypedValue { kind: row.get(7)?, data: row.get(8)? },
            inline_values: row.get(9)?,
        })
    }
}

impl CheckpointStore {
    /// The checkpoint `checkpoint_id`, or the latest of the thread and namespace when it is `None`.
    pub fn get_tuple(
        &self,
        thread_id: &str,
        checkpoint_ns: &str,
        checkpoint_id: Option<&str>,
    ) -> Result<Option<CheckpointTuple>> {
        self.db.snapshot(|tx| {
            // One read transaction: the row, its blobs and its writes come from one snapshot.
            let row = match checkpoint_id {
                Some(id) => tx
                    .prepare_cached(&format!(
                        "SELECT {TUPLE_COLUMNS} FROM flg_checkpoints
                         WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
                    ))?
                    .query_row(params![thread_id, checkpoint_ns, id], CheckpointRow::from_row)
                    .optional()?,
                None => tx
                    .prepare_cached(&format!(
                        "SELECT {TUPLE_COLUMNS} FROM flg_checkpoints
                         WHERE thread_id = ?1 AND checkpoint_ns = ?2
                         ORDER BY checkpoint_id DESC LIMIT 1"
                    ))?
                    .query_row(params![thread_id, checkpoint_ns], CheckpointRow::from_row)
                    .optional()?,
            };
            row.map(|row| load_tuple(tx, row, &mut ChunkMemo::default())).transpose()
        })
    }

    /// One page of `list`, newest checkpoint first.
    pub fn list(&self, query: &ListQuery) -> Result<ListPage> {
        let filter = query.filter.as_deref().map(MetadataFilter::parse).transpose()?;
        let page_size = query.page_size.max(1);
        self.db.snapshot(|tx| {
            let mut clauses: Vec<&str> = Vec::new();
            let mut args: Vec<&dyn ToSql> = Vec::new();
            if let Some(thread_id) = &query.thread_id {
                clauses.push("thread_id = ?");
                args.push(thread_id);
            }
            if let Some(ns) = &query.checkpoint_ns {
                clauses.push("checkpoint_ns = ?");
                args.push(ns);
            }
            if let Some(id) = &query.checkpoint_id {
                clauses.push("checkpoint_id = ?");
                args.push(id);
            }
            if let Some(before) = &query.before {
                clauses.push("checkpoint_id < ?");
                args.push(before);
            }
            if let Some(c) = &query.cursor {
                clauses.push("(checkpoint_id, thread_id, checkpoint_ns) < (?, ?, ?)");
                args.extend([&c.checkpoint_id as &dyn ToSql, &c.thread_id, &c.checkpoint_ns]);
            }
            let mut sql = format!("SELECT {TUPLE_COLUMNS} FROM flg_checkpoints");
            if !clauses.is_empty() {
                sql.push_str(" WHERE ");
                sql.push_str(&clauses.join(" AND "));
            }
            sql.push_str(" ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC");

            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query(args.as_slice())?;
            let mut tuples = Vec::new();
            let mut memo = ChunkMemo::default();
            let mut scanned = 0;
            while let Some(row) = rows.next()? {
                let row = CheckpointRow::from_row(row)?;
                scanned += 1;
                let cursor = ListCursor {
                    checkpoint_id: row.checkpoint_id.clone(),
                    thread_id: row.thread_id.clone(),
                    checkpoint_ns: row.checkpoint_ns.clone(),
                };
                if filter.as_ref().is_none_or(|f| f.matches(&row.metadata.kind, &row.metadata.data)) {
                    tuples.push(load_tuple(tx, row, &mut memo)?);
                }
                if tuples.len() >= page_size || scanned >= MAX_SCAN_PER_PAGE {
                    return Ok(ListPage { tuples, next: Some(cursor) });
                }
            }
            Ok(ListPage { tuples, next: None })
        })
    }

    /// The writes to `channel` saved against one checkpoint, in `writesSortKey` order. Used to
    /// migrate the pending sends of checkpoints older than format v4.
    pub fn channel_writes(
        &self,
        thread_id: &str,
        checkpoint_ns: &str,
        checkpoint_id: &str,
        channel: &str,
    ) -> Result<Vec<PendingWrite>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT task_id, channel, type, blob FROM flg_checkpoint_writes
                 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3 AND channel = ?4
                 {WRITES_ORDER}"
            ))?;
            let rows = stmt.query_map(params![thread_id, checkpoint_ns, checkpoint_id, channel], pending_write)?;
            rows.map(|row| row?).collect()
        })
    }

    /// `getDeltaChannelHistory`: walks the parent chain of a checkpoint once, in one statement,
    /// collecting each channel's writes until the nearest ancestor that stores a value for it.
    pub fn delta_channel_history(
        &self,
        thread_id: &str,
        checkpoint_ns: &str,
        checkpoint_id: Option<&str>,
        channels: &[String],
    ) -> Result<Vec<ChannelHistory>> {
        self.db.snapshot(|tx| {
            // Collected newest first, reversed at the end.
            let mut histories: Vec<ChannelHistory> = channels
                .iter()
                .map(|ch| ChannelHistory { channel: ch.clone(), seed: None, writes: Vec::new() })
                .collect();
            let mut remaining: HashSet<&str> = channels.iter().map(String::as_str).collect();
            let target = match checkpoint_id {
                Some(id) => Some(id.to_owned()),
                None => tx
                    .prepare_cached(
                        "SELECT max(checkpoint_id) FROM flg_checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2",
                    )?
                    .query_row(params![thread_id, checkpoint_ns], |row| row.get(0))?,
            };
            if let (Some(target), false) = (target, remaining.is_empty()) {
                // SQLite runs a recursive CTE lazily, so stopping early stops the walk.
                let mut chain = tx.prepare_cached(
                    "WITH RECURSIVE chain(checkpoint_id, parent_checkpoint_id, channel_versions, inline_values, depth) AS (
                         SELECT checkpoint_id, parent_checkpoint_id, channel_versions, inline_values, 0
                         FROM flg_checkpoints
                         WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3
                         UNION ALL
                         SELECT c.checkpoint_id, c.parent_checkpoint_id, c.channel_versions, c.inline_values,
                             chain.depth + 1
                         FROM flg_checkpoints c JOIN chain
                           ON c.thread_id = ?1 AND c.checkpoint_ns = ?2 AND c.checkpoint_id = chain.parent_checkpoint_id
                     )
                     SELECT checkpoint_id, channel_versions, inline_values FROM chain WHERE depth > 0",
                )?;
                let mut rows = chain.query(params![thread_id, checkpoint_ns, target])?;
                let mut memo = ChunkMemo::default();
                while let Some(row) = rows.next()? {
                    let ancestor: String = row.get(0)?;
                    let versions = parse_versions(&row.get::<_, String>(1)?)?;
                    let mut inline = unpack_inline(row.get::<_, Option<Vec<u8>>>(2)?.as_deref())?;
                    let mut terminated = Vec::new();
                    for history in histories.iter_mut().filter(|h| remaining.contains(h.channel.as_str())) {
                        if let Some(version) = versions.get(&history.channel) {
                            let channel = &history.channel;
                            let key = ChannelKey { thread_id, checkpoint_ns, channel };
                            if let Some(value) = load_value(tx, key, &mut inline, version, &mut memo)? {
                                history.seed = Some(value);
                                terminated.push(history.channel.clone());
                            }
                        }
                    }
                    // The terminating ancestor's own writes still count: they sit on top of its value.
                    let step = checkpoint_writes(tx, thread_id, checkpoint_ns, &ancestor)?;
                    for write in step.into_iter().rev() {
                        if remaining.contains(write.channel.as_str()) {
                            if let Some(h) = histories.iter_mut().find(|h| h.channel == write.channel) {
                                h.writes.push(write);
                            }
                        }
                    }
                    for ch in &terminated {
                        remaining.remove(ch.as_str());
                    }
                    if remaining.is_empty() {
                        break;
                    }
                }
            }
            for history in &mut histories {
                history.writes.reverse();
            }
            Ok(histories)
        })
    }
}

/// A write as stored; the outer result is SQLite's, the inner one decompression's.
fn pending_write(row: &Row<'_>) -> rusqlite::Result<Result<PendingWrite>> {
    let (task_id, channel) = (row.get(0)?, row.get(1)?);
    Ok(compress::unpack(row.get(2)?, row.get(3)?).map(|value| PendingWrite { task_id, channel, value }))
}

/// A checkpoint's pending writes in `writesSortKey` order: (task_path, task_id, idx).
fn checkpoint_writes(
    conn: &Connection,
    thread_id: &str,
    checkpoint_ns: &str,
    checkpoint_id: &str,
) -> Result<Vec<PendingWrite>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT task_id, channel, type, blob FROM flg_checkpoint_writes
         WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3 {WRITES_ORDER}"
    ))?;
    let rows = stmt.query_map(params![thread_id, checkpoint_ns, checkpoint_id], pending_write)?;
    rows.map(|row| row?).collect()
}

pub(super) fn parse_versions(json: &str) -> Result<Map<String, Value>> {
    serde_json::from_str(json)
        .map_err(|e| Error::new(ErrorCode::Corrupt, format!("stored channel_versions are not JSON: {e}")))
}

pub(super) fn version_text(version: &Value) -> String {
    match version {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The stored value of a channel at a version; `None` when absent or recorded as empty.
fn load_blob(conn: &Connection, key: ChannelKey, version: &Value, memo: &mut ChunkMemo) -> Result<Option<TypedValue>> {
    let version = version_text(version);
    // (type, whole value, stored list): one of the last two.
    type BlobRow = (String, Option<Vec<u8>>, Option<Vec<u8>>);
    let row: Option<BlobRow> = conn
        .prepare_cached(
            "SELECT type, blob, chunk_list FROM flg_checkpoint_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND version = ?4",
        )?
        .query_row(params![key.thread_id, key.checkpoint_ns, key.channel, version], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((kind, blob, list)) = row else { return Ok(None) };
    let value = match list {
        Some(list) => TypedValue { kind, data: chunks::read_list(conn, key, &list, memo)? },
        None => compress::unpack(kind, blob.unwrap_or_default())?,
    };
    Ok(Some(value).filter(|v| v.kind != "empty"))
}

/// A checkpoint's value of `channel`: kept in its row, or else stored as a blob.
fn load_value(
    conn: &Connection,
    key: ChannelKey,
    inline: &mut [(String, TypedValue)],
    version: &Value,
    memo: &mut ChunkMemo,
) -> Result<Option<TypedValue>> {
    match inline.iter_mut().find(|(c, _)| c == key.channel) {
        Some((_, value)) => Ok(Some(std::mem::take(value)).filter(|v| v.kind != "empty")),
        None => load_blob(conn, key, version, memo),
    }
}

fn unpack_inline(bytes: Option<&[u8]>) -> Result<Vec<(String, TypedValue)>> {
    bytes.map(inline::unpack).transpose().map(Option::unwrap_or_default)
}

fn load_tuple(conn: &Connection, row: CheckpointRow, memo: &mut ChunkMemo) -> Result<CheckpointTuple> {
    let versions = parse_versions(&row.channel_versions)?;
    let mut inline = unpack_inline(row.inline_values.as_deref())?;
    let mut channel_values = Vec::with_capacity(versions.len());
    for (channel, version) in &versions {
        let key = ChannelKey { thread_id: &row.thread_id, checkpoint_ns: &row.checkpoint_ns, channel };
        if let Some(value) = load_value(conn, key, &mut inline, version, memo)? {
            channel_values.push((channel.clone(), value));
        }
    }
    let pending_writes = checkpoint_writes(conn, &row.thread_id, &row.checkpoint_ns, &row.checkpoint_id)?;
    Ok(CheckpointTuple {
        thread_id: row.thread_id,
        checkpoint_ns: row.checkpoint_ns,
        checkpoint_id: row.checkpoint_id,
        parent_checkpoint_id: row.parent_checkpoint_id,
        checkpoint: row.checkpoint,
        metadata: row.metadata,
        channel_values,
        pending_writes,
    })
}
