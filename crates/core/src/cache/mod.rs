//! The cache store: entries under text keys, bounded by count and by bytes with least recently used
//! eviction, each with an optional expiry. It lives in SQLite, so it survives a restart and every
//! process that opens the file shares it.

mod schema;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

    fn record_totals(&self, (entries, bytes): (u64, u64)) {
        self.entries.store(entries, Ordering::Relaxed);
        self.bytes.store(bytes, Ordering::Relaxed);
    }
}

/// The file's (entries, bytes), as every process sharing it left them.
fn totals(conn: &Connection) -> Result<(u64, u64)> {
    Ok(conn
        .prepare_cached("SELECT entries, bytes FROM flg_cache_totals")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)))?)
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
    /// Touched only on the store's thread.
    pending: Mutex<Pending>,
}

impl Shared {
    fn new(limits: CacheLimits) -> Arc<Self> {
        Arc::new(Shared { limits, counters: CacheCounters::default(), pending: Mutex::default() })
    }
}

/// What reads found that the file should record. A hit is a read, not a write: moving the entry in
/// LRU order waits for the next write transaction (or for `FLUSH_AFTER`), which halves a hit's cost.
/// Every write flushes first, so eviction always sees this process's hits.
#[derive(Default)]
struct Pending {
    touched: Vec<String>,
    expired: Vec<String>,
    since: Option<Instant>,
}

/// Hits wait at most this long, or this many, before they are written on their own.
const FLUSH_AFTER: (Duration, usize) = (Duration::from_secs(1), 256);

impl Pending {
    fn add(&mut self, key: &str, expired: bool) {
        if expired { &mut self.expired } else { &mut self.touched }.push(key.to_string());
        self.since.get_or_insert_with(Instant::now);
    }

    fn due(&self) -> bool {
        self.touched.len() + self.expired.len() >= FLUSH_AFTER.1
            || self.since.is_some_and(|t| t.elapsed() >= FLUSH_AFTER.0)
    }
}

pub struct CacheStore {
    db: Database,
    shared: Arc<Shared>,
}

impl Store for CacheStore {
    fn database(&self) -> &Database {
        &self.db
    }

    /// Records the hits not yet written, then closes.
    fn close(&self) -> Result<()> {
        let pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner).since.is_some();
        let flushed = if pending { self.write(|_| Ok(())) } else { Ok(()) };
        self.db.close().and(flushed)
    }
}

impl CacheStore {
    /// Opens (creating if needed) the cache at `path`, or a private in-memory one for `:memory:`,
    /// and drops the entries that expired while nobody had it open.
    pub fn open(path: &str, options: OpenOptions, limits: CacheLimits) -> Result<Self> {
        Self::open_shared(path, options, Shared::new(limits))
    }

    fn open_shared(path: &str, options: OpenOptions, shared: Arc<Shared>) -> Result<Self> {
        let store = CacheStore { db: Database::open(path, options, schema::migrate)?, shared };
        store.write(|w| w.drop_expired(now_ms()))?;
        Ok(store)
    }

    pub fn counters(&self) -> &CacheCounters {
        &self.shared.counters
    }

    /// Runs `f` in one write transaction, after recording what earlier reads found.
    pub fn write<T>(&self, f: impl FnOnce(&CacheWriter) -> Result<T>) -> Result<T> {
        self.db.transact(|conn| CacheWriter::run(conn, &self.shared, f))
    }

    /// The live value of each key, in order; `None` for a miss. Hits become the most recently used
    /// (recorded with the next write); expired entries are misses, and are removed with the next write.
    pub fn get(&self, keys: &[String], now: i64) -> Result<Vec<Option<TypedValue>>> {
        let counters = &self.shared.counters;
        let (found, due) = self.db.snapshot(|conn| {
            let mut select =
                conn.prepare_cached("SELECT kind, value, expires_at FROM flg_cache_entries WHERE key = ?1")?;
            let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let mut found = Vec::with_capacity(keys.len());
            for key in keys {
                let row = select
                    .query_row([key], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Option<i64>>(2)?))
                    })
                    .optional()?;
                let value = match row {
                    Some((_, _, Some(expires_at))) if expires_at <= now => {
                        pending.add(key, true);
                        None
                    }
                    Some((kind, data, _)) => {
                        pending.add(key, false);
                        Some(TypedValue { kind, data })
                    }
                    None => None,
                };
                CacheCounters::add(if value.is_some() { &counters.hits } else { &counters.misses }, 1);
                found.push(value);
            }
            counters.record_totals(totals(conn)?);
            Ok((found, pending.due()))
        })?;
        if due {
            self.write(|_| Ok(()))?;
        }
        Ok(found)
    }

    /// Whether each key holds a live entry. Neither a hit nor a miss, and no entry moves in LRU order.
    pub fn contains(&self, keys: &[String], now: i64) -> Result<Vec<bool>> {
        self.db.snapshot(|conn| {
            let mut live = conn.prepare_cached(
                "SELECT 1 FROM flg_cache_entries WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
            )?;
            keys.iter().map(|key| Ok(live.exists(params![key, now])?)).collect()
        })
    }
}

/// The cache operations, run inside a transaction that `CacheStore::write` or the worker owns.
pub struct CacheWriter<'c> {
    conn: &'c Connection,
    shared: &'c Shared,
}

pub type CacheJob<T> = Box<dyn FnOnce(&CacheWriter) -> Result<T> + Send>;

impl<'c> CacheWriter<'c> {
    fn run<T>(conn: &'c Connection, shared: &'c Shared, f: impl FnOnce(&CacheWriter) -> Result<T>) -> Result<T> {
        let writer = CacheWriter { conn, shared };
        writer.flush(now_ms())?;
        f(&writer)
    }

    /// Records what reads found since the last write: hits move up in LRU order, expired entries go.
    fn flush(&self, now: i64) -> Result<()> {
        let Pending { touched, expired, .. } =
            std::mem::take(&mut *self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if !touched.is_empty() {
            let used = self.tick()?;
            let mut touch = self.conn.prepare_cached("UPDATE flg_cache_entries SET used = ?2 WHERE key = ?1")?;
            for key in &touched {
                touch.execute(params![key, used])?;
            }
        }
        let mut dropped = 0;
        let mut drop = self.conn.prepare_cached("DELETE FROM flg_cache_entries WHERE key = ?1 AND expires_at <= ?2")?;
        for key in &expired {
            dropped += drop.execute(params![key, now])?;
        }
        CacheCounters::add(&self.shared.counters.expirations, dropped as u64);
        Ok(())
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
        totals(self.conn)
    }

    fn refresh_totals(&self) -> Result<()> {
        self.shared.counters.record_totals(self.totals()?);
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

/// The cache store's thread. Writes that queue up while it is busy share one commit.
pub struct CacheWorker<T> {
    worker: Worker<CacheStore, T>,
    shared: Arc<Shared>,
}

pub type CacheRead<T> = Box<dyn FnOnce(&CacheStore) -> Result<T> + Send>;

impl<T: Default + Send + 'static> CacheWorker<T> {
    /// Starts the thread, which opens the cache at `path`; a failure to open is reported by every call.
    pub fn open(path: String, options: OpenOptions, limits: CacheLimits) -> Result<Self> {
        let shared = Shared::new(limits);
        let theirs = shared.clone();
        let worker = Worker::start(move || CacheStore::open_shared(&path, options, theirs))?;
        Ok(CacheWorker { worker, shared })
    }

    pub fn read(&self, job: CacheRead<T>, done: Done<T>) {
        self.worker.read(job, done);
    }

    pub fn write(&self, job: CacheJob<T>, done: Done<T>) {
        let shared = self.shared.clone();
        self.worker.write_tx(Box::new(move |conn| CacheWriter::run(conn, &shared, job)), done);
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
