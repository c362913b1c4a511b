//! The cache store: entries under text keys, bounded by count and by bytes with least recently used
//! eviction, each with an optional expiry. It lives in SQLite, so it survives a restart and every
//! process that opens the file shares it.

mod schema;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{Database, OpenOptions, Store};
use crate::error::Result;
use crate::store::TypedValue;
use crate::worker::{Done, Worker};

/// Bytes counted per entry beside its key and value (its row and index entries), as the JS
/// in-memory cache counts them.
pub const ENTRY_OVERHEAD: u64 = 100;

/// The limits of one process. Processes sharing a file may give different ones; each keeps the
/// file within its own whenever it writes.
#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    pub max_entries: u64,
    pub max_bytes: u64,
}

/// What this process saw: its own hits, misses, evictions and expirations, and the file's entries
/// and bytes as of its last call.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
    pub expirations: AtomicU64,
    pub entries: AtomicU64,
    pub bytes: AtomicU64,
}

impl CacheCounters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

pub struct CacheEntry {
    pub key: String,
    pub value: TypedValue,
    /// Milliseconds the entry lives; `None` until evicted, `Some(0)` already expired.
    pub ttl_ms: Option<u64>,
}

/// What the store's thread and the callers' side both hold.
struct Shared {
    limits: CacheLimits,
    counters: CacheCounters,
}

pub struct CacheStore {
    db: Database,
    shared: Arc<Shared>,
}

impl Store for CacheStore {
    fn database(&self) -> &Database {
        &self.db
    }
}

impl CacheStore {
    /// Opens (creating if needed) the cache at `path`, or a private in-memory one for `:memory:`,
    /// and drops the entries that expired while nobody had it open.
    pub fn open(path: &str, options: OpenOptions, limits: CacheLimits) -> Result<Self> {
        Self::open_shared(path, options, Arc::new(Shared { limits, counters: CacheCounters::default() }))
    }

    fn open_shared(path: &str, options: OpenOptions, shared: Arc<Shared>) -> Result<Self> {
        let store = CacheStore { db: Database::open(path, options, schema::migrate)?, shared };
        store.write(|w| w.drop_expired(now_ms()))?;
        Ok(store)
    }

    pub fn counters(&self) -> &CacheCounters {
        &self.shared.counters
    }

    /// Runs `f` in one write transaction (a read moves the entry in LRU order, so it writes too).
    pub fn write<T>(&self, f: impl FnOnce(&CacheWriter) -> Result<T>) -> Result<T> {
        self.db.transact(|conn| f(&CacheWriter { conn, shared: &self.shared }))
    }
}

/// The cache operations, run inside a transaction that `CacheStore::write` or the worker owns.
pub struct CacheWriter<'c> {
    conn: &'c Connection,
    shared: &'c Shared,
}

pub type CacheJob<T> = Box<dyn FnOnce(&CacheWriter) -> Result<T> + Send>;

impl CacheWriter<'_> {
    /// The live value of each key, in order; `None` for a miss. Hits become the most recently used.
    pub fn get(&self, keys: &[String], now: i64) -> Result<Vec<Option<TypedValue>>> {
        let counters = &self.shared.counters;
        let mut clock = None;
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let row = self
                .conn
                .prepare_cached("SELECT kind, value, expires_at FROM flg_cache_entries WHERE key = ?1")?
                .query_row([key], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Option<i64>>(2)?))
                })
                .optional()?;
            let value = match row {
                Some((_, _, Some(expires_at))) if expires_at <= now => {
                    self.conn.prepare_cached("DELETE FROM flg_cache_entries WHERE key = ?1")?.execute([key])?;
                    CacheCounters::add(&counters.expirations, 1);
                    None
                }
                Some((kind, data, _)) => {
                    let used = match clock {
                        Some(c) => c,
                        None => *clock.insert(self.tick()?),
                    };
                    self.conn
                        .prepare_cached("UPDATE flg_cache_entries SET used = ?2 WHERE key = ?1")?
                        .execute(params![key, used])?;
                    Some(TypedValue { kind, data })
                }
                None => None,
            };
            CacheCounters::add(if value.is_some() { &counters.hits } else { &counters.misses }, 1);
            found.push(value);
        }
        self.refresh_totals()?;
        Ok(found)
    }

    /// Whether each key holds a live entry. Neither a hit nor a miss, and no entry moves in LRU order.
    pub fn contains(&self, keys: &[String], now: i64) -> Result<Vec<bool>> {
        let mut live = self.conn.prepare_cached(
            "SELECT 1 FROM flg_cache_entries WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
        )?;
        keys.iter().map(|key| Ok(live.exists(params![key, now])?)).collect()
    }

    /// Stores the entries as the most recently used, then evicts the least recently used until the
    /// limits hold. An entry larger than `max_bytes` is not kept (counted as an eviction).
    pub fn set(&self, entries: &[CacheEntry], now: i64) -> Result<()> {
        let limits = self.shared.limits;
        let used = self.tick()?;
        for entry in entries {
            let size = entry_size(&entry.key, &entry.value);
            if size > limits.max_bytes {
                self.conn.prepare_cached("DELETE FROM flg_cache_entries WHERE key = ?1")?.execute([&entry.key])?;
                CacheCounters::add(&self.shared.counters.evictions, 1);
                continue;
            }
            let expires_at = entry.ttl_ms.map(|ttl| now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)));
            self.conn
                .prepare_cached(
                    "INSERT INTO flg_cache_entries (key, kind, value, size, expires_at, used)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, value = excluded.value,
                         size = excluded.size, expires_at = excluded.expires_at, used = excluded.used",
                )?
                .execute(params![entry.key, entry.value.kind, entry.value.data, size as i64, expires_at, used])?;
        }
        self.enforce_limits(now)?;
        self.refresh_totals()
    }

    /// Removes every entry whose key starts with one of `prefixes`, or every entry for `None`.
    pub fn clear(&self, prefixes: Option<&[String]>) -> Result<()> {
        match prefixes {
            None => {
                self.conn.prepare_cached("DELETE FROM flg_cache_entries")?.execute([])?;
            }
            Some(prefixes) => {
                let mut delete =
                    self.conn.prepare_cached("DELETE FROM flg_cache_entries WHERE substr(key, 1, length(?1)) = ?1")?;
                for prefix in prefixes {
                    delete.execute([prefix])?;
                }
            }
        }
        self.refresh_totals()
    }

    /// The next position in LRU order, shared by every process on the file.
    fn tick(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("UPDATE flg_cache_totals SET clock = clock + 1 RETURNING clock")?
            .query_row([], |r| r.get(0))?)
    }

    fn totals(&self) -> Result<(u64, u64)> {
        Ok(self
            .conn
            .prepare_cached("SELECT entries, bytes FROM flg_cache_totals")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)))?)
    }

    fn refresh_totals(&self) -> Result<()> {
        let (entries, bytes) = self.totals()?;
        let counters = &self.shared.counters;
        counters.entries.store(entries, Ordering::Relaxed);
        counters.bytes.store(bytes, Ordering::Relaxed);
        Ok(())
    }

    fn drop_expired(&self, now: i64) -> Result<()> {
        let dropped =
            self.conn.prepare_cached("DELETE FROM flg_cache_entries WHERE expires_at <= ?1")?.execute([now])?;
        CacheCounters::add(&self.shared.counters.expirations, dropped as u64);
        self.refresh_totals()
    }

    fn enforce_limits(&self, now: i64) -> Result<()> {
        let CacheLimits { max_entries, max_bytes } = self.shared.limits;
        let within = |(entries, bytes): (u64, u64)| entries <= max_entries && bytes <= max_bytes;
        if within(self.totals()?) {
            return Ok(());
        }
        // Expired entries go first, wherever they are in LRU order.
        self.drop_expired(now)?;
        while !within(self.totals()?) {
            self.conn
                .prepare_cached(
                    "DELETE FROM flg_cache_entries WHERE key = (SELECT key FROM flg_cache_entries ORDER BY used LIMIT 1)",
                )?
                .execute([])?;
            CacheCounters::add(&self.shared.counters.evictions, 1);
        }
        Ok(())
    }
}

fn entry_size(key: &str, value: &TypedValue) -> u64 {
    ENTRY_OVERHEAD + (key.len() + value.kind.len() + value.data.len()) as u64
}

/// Unix time in milliseconds: expiry must mean the same to every process on the file.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The cache store's thread. Every call is a write transaction, so calls that queue up while the
/// thread is busy share one commit.
pub struct CacheWorker<T> {
    worker: Worker<CacheStore, T>,
    shared: Arc<Shared>,
}

impl<T: Default + Send + 'static> CacheWorker<T> {
    /// Starts the thread, which opens the cache at `path`; a failure to open is reported by every call.
    pub fn open(path: String, options: OpenOptions, limits: CacheLimits) -> Result<Self> {
        let shared = Arc::new(Shared { limits, counters: CacheCounters::default() });
        let theirs = shared.clone();
        let worker = Worker::start(move || CacheStore::open_shared(&path, options, theirs))?;
        Ok(CacheWorker { worker, shared })
    }

    pub fn run(&self, job: CacheJob<T>, done: Done<T>) {
        let shared = self.shared.clone();
        self.worker.write_tx(Box::new(move |conn| job(&CacheWriter { conn, shared: &shared })), done);
    }

    /// Closes the file once the calls already made are done.
    pub fn close(&self, done: Done<T>) {
        self.worker.close(done);
    }

    /// Readable at any time, from any thread.
    pub fn counters(&self) -> &CacheCounters {
        &self.shared.counters
    }
}

#[cfg(test)]
mod tests;
