//! Message lists stored as content-addressed chunks, so that a growing conversation costs each
//! step its new messages only.
//!
//! Each element of a list (one message's JSON) is stored once per thread in `flg_chunks`, under its
//! SHA-256. A list version stores the hashes of its elements in `flg_checkpoint_blobs.chunk_list`:
//! either all of them (`FULL`), or a prefix of an earlier `FULL` version of the same channel plus
//! the hashes after it (`DELTA`). Appending to a list therefore writes one chunk and a few hashes.
//! Reading joins the elements back into the very bytes the serializer wrote for the whole list:
//! `[` + elements joined by `,` + `]`.
//!
//! The caller sends how many leading elements the list shares with the parent checkpoint's list of
//! the channel (and which version of the channel it takes them from), then the hash of each element
//! after those, with its bytes unless it believes the
//! thread already stores them. A hash sent alone must be in the parent's list or among the thread's
//! chunks, and the shared prefix must fit the parent's list; otherwise the put fails with
//! `FLG_CHUNK_MISSING`, and the caller sends the whole list with every element's bytes. Bytes are
//! checked against their hash before they are stored. A step that appends one message thus sends
//! and stores that message and a few hashes, whatever the length of the conversation.
//!
//! `chunk_list` layout: a format byte, then
//! - `FULL`: u32 count, then the hashes;
//! - `DELTA`: u32 length and bytes of the base version, u32 prefix length, u32 count, then the hashes.
//!
//! All integers are little-endian.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::compress::{self, Compression};
use crate::error::{Error, ErrorCode, Result};

pub const HASH_LEN: usize = 32;
pub type Hash = [u8; HASH_LEN];

const FULL: u8 = 0;
const DELTA: u8 = 1;
/// Length that marks an element sent without its bytes.
const ABSENT: u32 = u32::MAX;

/// One element of a list as the caller hands it in.
#[derive(Debug, Clone, Copy)]
pub struct ChunkEntry<'a> {
    /// SHA-256 of the element's JSON.
    pub hash: Hash,
    /// The JSON, or `None` when the caller expects the thread to store it already.
    pub data: Option<&'a [u8]>,
}

/// A list as the caller hands it in: the first `prefix` elements of the parent checkpoint's list of
/// the same channel, which the caller knows as version `prefix_of`, then `entries`.
#[derive(Debug, Clone)]
pub struct ListFrame<'a> {
    pub prefix: usize,
    pub prefix_of: &'a str,
    pub entries: Vec<ChunkEntry<'a>>,
}

/// Reads the caller's frame: a u32 prefix length, the u32 length and bytes of the version it is
/// taken from, then for each further element its hash, a u32 length (`u32::MAX` when the bytes
/// are left out) and the bytes.
pub fn parse_frame(frame: &[u8]) -> Result<ListFrame<'_>> {
    let malformed = || Error::new(ErrorCode::InvalidArgument, "malformed message-list frame");
    let (prefix, frame) = frame.split_first_chunk::<4>().ok_or_else(malformed)?;
    let prefix = u32::from_le_bytes(*prefix) as usize;
    let (len, frame) = frame.split_first_chunk::<4>().ok_or_else(malformed)?;
    let (prefix_of, mut frame) = frame.split_at_checked(u32::from_le_bytes(*len) as usize).ok_or_else(malformed)?;
    let prefix_of = std::str::from_utf8(prefix_of).map_err(|_| malformed())?;
    let mut entries = Vec::new();
    while !frame.is_empty() {
        let (hash, rest) = frame.split_first_chunk::<HASH_LEN>().ok_or_else(malformed)?;
        let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(malformed)?;
        let len = u32::from_le_bytes(*len);
        let (data, rest) = if len == ABSENT {
            (None, rest)
        } else {
            let len = len as usize;
            if rest.len() < len {
                return Err(malformed());
            }
            let (data, rest) = rest.split_at(len);
            (Some(data), rest)
        };
        entries.push(ChunkEntry { hash: *hash, data });
        frame = rest;
    }
    if prefix == 0 && entries.is_empty() {
        return Err(malformed());
    }
    Ok(ListFrame { prefix, prefix_of, entries })
}

/// A stored list, as `chunk_list` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoredList {
    Full(Vec<Hash>),
    Delta { base_version: String, prefix: usize, extra: Vec<Hash> },
}

impl StoredList {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let hashes = match self {
            StoredList::Full(hashes) => {
                out.push(FULL);
                hashes
            }
            StoredList::Delta { base_version, prefix, extra } => {
                out.push(DELTA);
                out.extend_from_slice(&(base_version.len() as u32).to_le_bytes());
                out.extend_from_slice(base_version.as_bytes());
                out.extend_from_slice(&(*prefix as u32).to_le_bytes());
                extra
            }
        };
        out.extend_from_slice(&(hashes.len() as u32).to_le_bytes());
        for hash in hashes {
            out.extend_from_slice(hash);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Cursor(bytes);
        let delta = match r.take(1)?[0] {
            FULL => None,
            DELTA => {
                let len = r.number()?;
                let version = String::from_utf8(r.take(len)?.to_vec())
                    .map_err(|_| Error::new(ErrorCode::Corrupt, "a stored list's base version is not UTF-8"))?;
                Some((version, r.number()?))
            }
            other => return Err(Error::new(ErrorCode::Corrupt, format!("unknown stored list format {other}"))),
        };
        let count = r.number()?;
        let tail = r.take(count.saturating_mul(HASH_LEN))?;
        if !r.0.is_empty() {
            return Err(Error::new(ErrorCode::Corrupt, "a stored message list has trailing bytes"));
        }
        let hashes = tail.chunks_exact(HASH_LEN).map(|h| h.try_into().expect("exact chunk")).collect();
        Ok(match delta {
            None => StoredList::Full(hashes),
            Some((base_version, prefix)) => StoredList::Delta { base_version, prefix, extra: hashes },
        })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let (field, rest) = self
            .0
            .split_at_checked(len)
            .ok_or_else(|| Error::new(ErrorCode::Corrupt, "a stored message list is truncated"))?;
        self.0 = rest;
        Ok(field)
    }

    fn number(&mut self) -> Result<usize> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize)
    }
}

/// A channel of one thread and namespace: where its blob rows are.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChannelKey<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub channel: &'a str,
}

/// The list stored at a version, and for a `DELTA` its base: the `FULL` list a new `DELTA` would
/// build on (for a `FULL` list, the list itself).
struct Resolved {
    hashes: Vec<Hash>,
    base: Option<(String, Vec<Hash>)>,
}

fn stored_list(conn: &Connection, key: ChannelKey, version: &str) -> Result<Option<StoredList>> {
    let bytes: Option<Option<Vec<u8>>> = conn
        .prepare_cached(
            "SELECT chunk_list FROM flg_checkpoint_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND version = ?4",
        )?
        .query_row(params![key.thread_id, key.checkpoint_ns, key.channel, version], |r| r.get(0))
        .optional()?;
    bytes.flatten().map(|b| StoredList::decode(&b)).transpose()
}

fn resolve(conn: &Connection, key: ChannelKey, list: StoredList) -> Result<Resolved> {
    match list {
        StoredList::Full(hashes) => Ok(Resolved { hashes, base: None }),
        StoredList::Delta { base_version, prefix, extra } => {
            let base = match stored_list(conn, key, &base_version)? {
                Some(StoredList::Full(hashes)) if hashes.len() >= prefix => hashes,
                _ => {
                    return Err(Error::new(
                        ErrorCode::Corrupt,
                        format!("the base of a stored message list is missing (channel {:?})", key.channel),
                    ))
                }
            };
            let mut hashes = base[..prefix].to_vec();
            hashes.extend_from_slice(&extra);
            Ok(Resolved { hashes, base: Some((base_version, base)) })
        }
    }
}

/// Stores a list at `version`. `parent_version` is the channel's version in the parent checkpoint,
/// whose list (if it is one) vouches for the elements sent without bytes and is what the new list
/// is stored as a delta of.
pub(super) fn put_list(
    conn: &Connection,
    key: ChannelKey,
    version: &str,
    parent_version: Option<&str>,
    frame: &ListFrame,
    compression: Compression,
) -> Result<()> {
    let mut parent = None;
    if let Some(v) = parent_version {
        if let Some(list) = stored_list(conn, key, v)? {
            parent = Some((v, resolve(conn, key, list)?));
        }
    }
    let known = parent.as_ref().map_or(&[][..], |(_, p)| &p.hashes[..]);
    // The prefix is of the list the caller last stored there; the parent's must be that very version.
    let same_list = frame.prefix == 0 || parent_version == Some(frame.prefix_of);
    let Some(shared) = known.get(..frame.prefix).filter(|_| same_list) else {
        return Err(Error::new(
            ErrorCode::ChunkMissing,
            "the parent checkpoint's message list is not the one sent against",
        ));
    };
    let mut parent_set: Option<HashSet<&Hash>> = None;
    let mut insert = conn
        .prepare_cached("INSERT INTO flg_chunks (thread_id, hash, data) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?;
    for entry in &frame.entries {
        match entry.data {
            Some(data) => {
                if chunk_hash(data) != entry.hash {
                    return Err(Error::new(ErrorCode::InvalidArgument, "a message's bytes do not match its hash"));
                }
                insert.execute(params![key.thread_id, &entry.hash[..], compress::pack_message(compression, data)])?;
            }
            None => {
                let in_parent = parent_set.get_or_insert_with(|| known.iter().collect()).contains(&entry.hash);
                if !in_parent && !chunk_exists(conn, key.thread_id, &entry.hash)? {
                    return Err(Error::new(ErrorCode::ChunkMissing, "a message sent by hash alone is not stored"));
                }
            }
        }
    }
    let mut hashes = shared.to_vec();
    hashes.extend(frame.entries.iter().map(|e| e.hash));
    let stored = match parent {
        Some((parent_version, Resolved { hashes: parent_hashes, base })) => {
            let (base_version, base) = base.unwrap_or_else(|| (parent_version.to_owned(), parent_hashes));
            let prefix = hashes.iter().zip(&base).take_while(|(a, b)| a == b).count();
            let extra = hashes.len() - prefix;
            // Deltas grow by a step's new elements until a full list is cheaper over the steps to
            // come: with n elements, about every sqrt(2n) steps.
            if extra <= (2 * base.len()).isqrt().max(16) {
                StoredList::Delta { base_version, prefix, extra: hashes[prefix..].to_vec() }
            } else {
                StoredList::Full(hashes)
            }
        }
        None => StoredList::Full(hashes),
    };
    conn.prepare_cached(
        "INSERT INTO flg_checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob, chunk_list)
         VALUES (?1, ?2, ?3, ?4, 'json', NULL, ?5)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![key.thread_id, key.checkpoint_ns, key.channel, version, stored.encode()])?;
    Ok(())
}

fn chunk_exists(conn: &Connection, thread_id: &str, hash: &Hash) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM flg_chunks WHERE thread_id = ?1 AND hash = ?2")?
        .query_row(params![thread_id, &hash[..]], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The hashes of a stored list, in order.
pub(super) fn list_hashes(conn: &Connection, key: ChannelKey, chunk_list: &[u8]) -> Result<Vec<Hash>> {
    Ok(resolve(conn, key, StoredList::decode(chunk_list)?)?.hashes)
}

/// The version of the full list a stored delta builds on; `None` for a full list.
pub(super) fn list_base(chunk_list: &[u8]) -> Result<Option<String>> {
    Ok(match StoredList::decode(chunk_list)? {
        StoredList::Full(_) => None,
        StoredList::Delta { base_version, .. } => Some(base_version),
    })
}

/// Elements already read in one call (a `list` page holds many versions of one conversation).
#[derive(Default)]
pub(super) struct ChunkMemo {
    data: HashMap<Hash, Vec<u8>>,
}

/// The JSON of a stored list, joined from its elements.
pub(super) fn read_list(
    conn: &Connection,
    key: ChannelKey,
    chunk_list: &[u8],
    memo: &mut ChunkMemo,
) -> Result<Vec<u8>> {
    let hashes = list_hashes(conn, key, chunk_list)?;
    let mut select = conn.prepare_cached("SELECT data FROM flg_chunks WHERE thread_id = ?1 AND hash = ?2")?;
    let mut out = vec![b'['];
    for (i, hash) in hashes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(data) = memo.data.get(hash) {
            out.extend_from_slice(data);
            continue;
        }
        let data: Vec<u8> =
            select.query_row(params![key.thread_id, &hash[..]], |r| r.get(0)).optional()?.ok_or_else(|| {
                Error::new(ErrorCode::Corrupt, format!("a stored message of channel {:?} is missing", key.channel))
            })?;
        let data = compress::unpack_message(data)?;
        out.extend_from_slice(&data);
        memo.data.insert(*hash, data);
    }
    out.push(b']');
    Ok(out)
}

/// Bytes of the JSON that a stored list joins to, given each element's length.
pub(super) fn list_size(
    conn: &Connection,
    key: ChannelKey,
    chunk_list: &[u8],
    sizes: &HashMap<Hash, i64>,
) -> Result<i64> {
    let hashes = list_hashes(conn, key, chunk_list)?;
    // The brackets, and a comma between two elements.
    let punctuation = 1 + hashes.len().max(1) as i64;
    Ok(hashes.iter().map(|h| sizes.get(h).copied().unwrap_or(0)).sum::<i64>() + punctuation)
}

/// SHA-256 of an element, as callers compute it.
pub fn chunk_hash(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}
