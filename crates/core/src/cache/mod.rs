//! A bounded in-memory cache of serialized values: least recently used out first, each entry with
//! an optional expiry. Time is passed in (`now`), so expiry is tested without sleeping.

use std::time::{Duration, Instant};

use lru::LruCache;

use crate::error::{Error, ErrorCode, Result};
use crate::store::TypedValue;

/// Bytes counted per entry beside its key and value: the entry, its node in the LRU list and its
/// slot in the hash table, so that `max_bytes` bounds memory and not just payload.
const ENTRY_OVERHEAD: usize = 96;
/// Expired entries examined at the old end of the list on each `set`: expiry does not wait for a read.
const SWEEP: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Entries removed to stay within the limits, or too large to keep at all.
    pub evictions: u64,
    /// Entries removed because their time to live had passed.
    pub expirations: u64,
    pub entries: usize,
    pub bytes: usize,
}

struct Entry {
    value: TypedValue,
    expires: Option<Instant>,
    size: usize,
}

impl Entry {
    fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|at| now >= at)
    }
}

pub struct MemoryCache {
    entries: LruCache<String, Entry>,
    limits: CacheLimits,
    bytes: usize,
    stats: CacheStats,
}

impl MemoryCache {
    pub fn new(limits: CacheLimits) -> Result<Self> {
        if limits.max_entries == 0 || limits.max_bytes == 0 {
            return Err(Error::new(ErrorCode::InvalidArgument, "maxEntries and maxBytes must be at least 1"));
        }
        Ok(MemoryCache { entries: LruCache::unbounded(), limits, bytes: 0, stats: CacheStats::default() })
    }

    /// The value stored under `key`, marked as the most recently used; `None` if absent or expired.
    pub fn get(&mut self, key: &str, now: Instant) -> Option<&TypedValue> {
        if self.entries.peek(key).is_some_and(|e| e.expired(now)) {
            self.remove(key);
            self.stats.expirations += 1;
        }
        match self.entries.get(key) {
            Some(entry) => {
                self.stats.hits += 1;
                Some(&entry.value)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Stores `value` under `key`, replacing any earlier value, then evicts the least recently used
    /// entries until the cache is within its limits. A value larger than `max_bytes` is not kept.
    pub fn set(&mut self, key: String, value: TypedValue, ttl: Option<Duration>, now: Instant) {
        self.remove(&key);
        self.sweep(now);
        let size = ENTRY_OVERHEAD + key.len() + value.kind.len() + value.data.len();
        if size > self.limits.max_bytes {
            self.stats.evictions += 1;
            return;
        }
        // A time to live too long to represent never ends.
        let expires = ttl.and_then(|ttl| now.checked_add(ttl));
        self.bytes += size;
        self.entries.put(key, Entry { value, expires, size });
        while self.entries.len() > self.limits.max_entries || self.bytes > self.limits.max_bytes {
            let Some((_, entry)) = self.entries.pop_lru() else { break };
            self.bytes -= entry.size;
            if entry.expired(now) {
                self.stats.expirations += 1;
            } else {
                self.stats.evictions += 1;
            }
        }
    }

    /// Removes every entry whose key starts with `prefix` (all of them for `""`).
    pub fn clear_prefix(&mut self, prefix: &str) {
        if prefix.is_empty() {
            self.entries.clear();
            self.bytes = 0;
            return;
        }
        let keys: Vec<String> =
            self.entries.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, _)| k.clone()).collect();
        for key in keys {
            self.remove(&key);
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { entries: self.entries.len(), bytes: self.bytes, ..self.stats }
    }

    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.pop(key) {
            self.bytes -= entry.size;
        }
    }

    fn sweep(&mut self, now: Instant) {
        for _ in 0..SWEEP {
            match self.entries.peek_lru() {
                Some((_, entry)) if entry.expired(now) => {
                    let (_, entry) = self.entries.pop_lru().expect("peeked");
                    self.bytes -= entry.size;
                    self.stats.expirations += 1;
                }
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
