//! `prune`: keeps the latest checkpoints of each thread and namespace, and deletes the older ones
//! with their writes, the channel values no kept checkpoint lists, and the stored messages no kept
//! list holds.
//!
//! A kept checkpoint may need older ones. A delta channel (LangGraph's `DeltaChannel`) stores no value
//! in most checkpoints: its value is rebuilt from the writes of the ancestors back to the nearest one
//! that stores it (`getDeltaChannelHistory`). Those ancestors are kept too, so that pruning never
//! changes what a kept checkpoint reads back.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::chunks::{self, ChannelKey, Hash};
use super::inline;
use super::read::{parse_versions, version_text};
use super::write::Writer;
use crate::error::{Error, ErrorCode, Result};

/// What `prune` deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub checkpoints: i64,
    pub writes: i64,
    /// Channel values stored apart from their checkpoint (one per channel and version).
    pub blobs: i64,
    /// Messages of message lists (`chunks`).
    pub messages: i64,
}

/// A blob row of a thread: (namespace, channel, version).
type BlobKey = (String, String, String);

struct Row {
    parent: Option<String>,
    versions: Map<String, Value>,
    /// Channels whose value the row keeps (`inline`), empty ones excluded.
    inline: HashSet<String>,
}

impl Writer<'_> {
    /// Keeps the `keep_last` latest checkpoints (by id) of each namespace of `thread_id`, or of
    /// every thread, and what they need; deletes the rest.
    pub fn prune(&self, thread_id: Option<&str>, keep_last: usize) -> Result<Pruned> {
        if keep_last == 0 {
            return Err(Error::new(ErrorCode::InvalidArgument, "prune keeps at least one checkpoint (keepLast >= 1)"));
        }
        let threads: Vec<String> = match thread_id {
            Some(t) => vec![t.to_owned()],
            None => {
                let mut stmt = self.conn.prepare("SELECT DISTINCT thread_id FROM flg_checkpoints")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        let mut pruned = Pruned::default();
        for thread in &threads {
            prune_thread(self.conn, thread, keep_last, &mut pruned)?;
        }
        Ok(pruned)
    }
}

fn prune_thread(conn: &Connection, thread: &str, keep_last: usize, pruned: &mut Pruned) -> Result<()> {
    // Every checkpoint of the thread, by namespace.
    let mut rows: HashMap<String, HashMap<String, Row>> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_versions, inline_values
             FROM flg_checkpoints WHERE thread_id = ?1",
        )?;
        let mut query = stmt.query([thread])?;
        while let Some(r) = query.next()? {
            let inline = match r.get::<_, Option<Vec<u8>>>(4)? {
                Some(bytes) => inline::unpack(&bytes)?
                    .into_iter()
                    .filter(|(_, v)| v.kind != "empty")
                    .map(|(channel, _)| channel)
                    .collect(),
                None => HashSet::new(),
            };
            let row = Row { parent: r.get(2)?, versions: parse_versions(&r.get::<_, String>(3)?)?, inline };
            rows.entry(r.get(0)?).or_default().insert(r.get(1)?, row);
        }
    }
    let mut live_blobs: HashSet<BlobKey> = HashSet::new();
    for (ns, checkpoints) in &rows {
        let mut ids: Vec<&String> = checkpoints.keys().collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut kept: HashSet<&str> = HashSet::new();
        let mut todo: Vec<&str> = ids.iter().take(keep_last).map(|s| s.as_str()).collect();
        while let Some(id) = todo.pop() {
            if !kept.insert(id) {
                continue;
            }
            // The ancestors that a delta channel of this checkpoint is rebuilt from.
            let row = &checkpoints[id];
            let mut needed = delta_channels(conn, thread, ns, id, row)?;
            let mut at = row.parent.as_deref();
            while let (false, Some(ancestor)) = (needed.is_empty(), at) {
                let Some(ancestor_row) = checkpoints.get(ancestor) else { break };
                let mut seeded = Vec::new();
                for channel in &needed {
                    if stores_value(conn, thread, ns, ancestor_row, channel)? {
                        seeded.push(channel.clone());
                    }
                }
                needed.retain(|c| !seeded.contains(c));
                todo.push(ancestor);
                at = ancestor_row.parent.as_deref();
            }
        }
        for (id, row) in checkpoints {
            if kept.contains(id.as_str()) {
                for (channel, version) in &row.versions {
                    live_blobs.insert((ns.clone(), channel.clone(), version_text(version)));
                }
                continue;
            }
            pruned.checkpoints += conn
                .prepare_cached(
                    "DELETE FROM flg_checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
                )?
                .execute(params![thread, ns, id])? as i64;
            pruned.writes += conn
                .prepare_cached(
                    "DELETE FROM flg_checkpoint_writes WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
                )?
                .execute(params![thread, ns, id])? as i64;
        }
    }
    delete_unlisted_values(conn, thread, live_blobs, pruned)
}

/// The delta channels of a checkpoint: listed in its `channel_versions` without a value of their
/// own, and named in its metadata's `counters_since_delta_snapshot` (LangGraph's record of them).
/// With metadata that is not JSON, every listed channel without a value counts.
fn delta_channels(conn: &Connection, thread: &str, ns: &str, id: &str, row: &Row) -> Result<Vec<String>> {
    let (kind, metadata): (String, Vec<u8>) = conn
        .prepare_cached(
            "SELECT metadata_type, metadata FROM flg_checkpoints
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
        )?
        .query_row(params![thread, ns, id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let named: Option<HashSet<String>> = (kind == "json")
        .then(|| serde_json::from_slice::<Value>(&metadata).ok())
        .flatten()
        .map(|m| match m.get("counters_since_delta_snapshot") {
            Some(Value::Object(counters)) => counters.keys().cloned().collect(),
            _ => HashSet::new(),
        });
    let mut channels = Vec::new();
    for channel in row.versions.keys() {
        if named.as_ref().is_none_or(|n| n.contains(channel)) && !stores_value(conn, thread, ns, row, channel)? {
            channels.push(channel.clone());
        }
    }
    Ok(channels)
}

/// Whether a checkpoint holds a value of `channel`: in its row, or as a blob at its version.
fn stores_value(conn: &Connection, thread: &str, ns: &str, row: &Row, channel: &str) -> Result<bool> {
    if row.inline.contains(channel) {
        return Ok(true);
    }
    let Some(version) = row.versions.get(channel).map(version_text) else { return Ok(false) };
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM flg_checkpoint_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND version = ?4 AND type != 'empty'",
        )?
        .query_row(params![thread, ns, channel, version], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Deletes the thread's blobs that no kept checkpoint lists (but the full lists a kept delta builds
/// on), then the stored messages no listed list holds: a delta reads only a prefix of its base.
fn delete_unlisted_values(
    conn: &Connection,
    thread: &str,
    listed: HashSet<BlobKey>,
    pruned: &mut Pruned,
) -> Result<()> {
    // Each blob row of the thread, with its stored list if it is one.
    let mut blobs: Vec<(BlobKey, Option<Vec<u8>>)> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT checkpoint_ns, channel, version, chunk_list FROM flg_checkpoint_blobs WHERE thread_id = ?1",
        )?;
        let mut query = stmt.query([thread])?;
        while let Some(r) = query.next()? {
            blobs.push(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?));
        }
    }
    let mut live = listed.clone();
    for (key, list) in &blobs {
        if let (true, Some(list)) = (listed.contains(key), list) {
            if let Some(base) = chunks::list_base(list)? {
                live.insert((key.0.clone(), key.1.clone(), base));
            }
        }
    }
    let mut live_messages: HashSet<Hash> = HashSet::new();
    for (key, list) in &blobs {
        let (ns, channel, version) = key;
        if !live.contains(key) {
            pruned.blobs += conn
                .prepare_cached(
                    "DELETE FROM flg_checkpoint_blobs
                     WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND version = ?4",
                )?
                .execute(params![thread, ns, channel, version])? as i64;
        } else if let (true, Some(list)) = (listed.contains(key), list) {
            let key = ChannelKey { thread_id: thread, checkpoint_ns: ns, channel };
            live_messages.extend(chunks::list_hashes(conn, key, list)?);
        }
    }
    let stored: Vec<Vec<u8>> = {
        let mut stmt = conn.prepare("SELECT hash FROM flg_chunks WHERE thread_id = ?1")?;
        let rows = stmt.query_map([thread], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut delete = conn.prepare_cached("DELETE FROM flg_chunks WHERE thread_id = ?1 AND hash = ?2")?;
    for hash in stored {
        if !Hash::try_from(hash.as_slice()).is_ok_and(|h| live_messages.contains(&h)) {
            pruned.messages += delete.execute(params![thread, hash])? as i64;
        }
    }
    Ok(())
}
