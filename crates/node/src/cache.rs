use fast_langgraph_core::cache::{now_ms, CacheEntry, CacheJob, CacheLimits, CacheRead, CacheWorker};
use fast_langgraph_core::db::OpenOptions;
use fast_langgraph_core::store::TypedValue;
use fast_langgraph_core::{Error, ErrorCode, Result};
use napi::bindgen_prelude::{Buffer, PromiseRaw, Uint8ArraySlice};
use napi::Env;
use napi_derive::napi;

use crate::checkpoint::to_napi_error;
use crate::completion::{Completer, Reply};

#[napi(object)]
pub struct CacheStoreOptions {
    /// Most entries kept in the file (a whole number of at least 1).
    pub max_entries: f64,
    /// Most bytes kept in the file: keys, values and 100 bytes per entry.
    pub max_bytes: f64,
    /// How long to wait for another process's lock, in milliseconds (default 5000).
    pub busy_timeout_ms: Option<f64>,
}

/// A cached value, as the serializer produced it.
#[napi(object)]
pub struct CachedValue {
    pub kind: String,
    pub value: Buffer,
}

impl From<TypedValue> for CachedValue {
    fn from(v: TypedValue) -> Self {
        CachedValue { kind: v.kind, value: v.data.into() }
    }
}

#[napi(object)]
pub struct CacheStoreStats {
    pub hits: f64,
    pub misses: f64,
    pub evictions: f64,
    pub expirations: f64,
    pub entries: f64,
    pub bytes: f64,
}

/// A cache file opened by `openCacheStore`. SQLite runs on the store's own thread; every method but
/// `stats` returns at once with a promise.
#[napi]
pub struct NativeCacheStore {
    worker: CacheWorker<Reply>,
    completer: Completer,
}

/// Opens (creating if needed) a cache file; `":memory:"` opens a private in-memory one. Opening
/// happens on the store's thread: `ready()` and every call report an open failure.
#[napi]
pub fn open_cache_store(env: Env, path: String, options: CacheStoreOptions) -> napi::Result<NativeCacheStore> {
    let limits = CacheLimits {
        max_entries: limit("maxEntries", options.max_entries).map_err(to_napi_error)?,
        max_bytes: limit("maxBytes", options.max_bytes).map_err(to_napi_error)?,
    };
    let mut open = OpenOptions::default();
    if let Some(ms) = options.busy_timeout_ms {
        open.busy_timeout_ms(ms).map_err(to_napi_error)?;
    }
    Ok(NativeCacheStore {
        worker: CacheWorker::open(path, open, limits).map_err(to_napi_error)?,
        completer: Completer::new(&env)?,
    })
}

fn limit(name: &str, value: f64) -> Result<u64> {
    if value.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&value) {
        Ok(value as u64)
    } else {
        Err(Error::new(ErrorCode::InvalidArgument, format!("{name} must be a whole number of at least 1, not {value}")))
    }
}

impl NativeCacheStore {
    fn read<'env, T>(&self, env: &'env Env, job: CacheRead<Reply>) -> napi::Result<PromiseRaw<'env, T>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.read(job, done);
        Ok(promise)
    }

    fn write<'env, T>(&self, env: &'env Env, job: CacheJob<Reply>) -> napi::Result<PromiseRaw<'env, T>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.write(job, done);
        Ok(promise)
    }
}

#[napi]
impl NativeCacheStore {
    /// Resolves once the file is open and migrated; rejects with the reason it could not be.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn ready<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.read(env, Box::new(|_| Ok(Reply::Undefined)))
    }

    /// Resolves to the live value of each key, in order, or `null` for a miss.
    #[napi(ts_return_type = "Promise<Array<CachedValue | null>>")]
    pub fn get<'env>(&self, env: &'env Env, keys: Vec<String>) -> napi::Result<PromiseRaw<'env, ()>> {
        self.read(env, Box::new(move |s| Ok(Reply::Values(s.get(&keys, now_ms())?))))
    }

    /// Resolves to one byte per key: 1 when it holds a live entry. Counts no hit or miss.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn contains<'env>(&self, env: &'env Env, keys: Vec<String>) -> napi::Result<PromiseRaw<'env, Buffer>> {
        self.read(
            env,
            Box::new(move |s| Ok(Reply::Bytes(s.contains(&keys, now_ms())?.into_iter().map(u8::from).collect()))),
        )
    }

    /// Stores `values[i]` of type `kinds[i]` under `keys[i]` for `ttlsMs[i]` milliseconds (`null`:
    /// until evicted). The values are copied here, on the JS thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set<'env>(
        &self,
        env: &'env Env,
        keys: Vec<String>,
        kinds: Vec<String>,
        ttls_ms: Vec<Option<f64>>,
        values: Vec<Uint8ArraySlice>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let n = keys.len();
        if kinds.len() != n || ttls_ms.len() != n || values.len() != n {
            return Err(to_napi_error(Error::new(
                ErrorCode::InvalidArgument,
                "keys, kinds, ttls and values differ in length",
            )));
        }
        let mut entries = Vec::with_capacity(n);
        for (((key, kind), ttl), value) in keys.into_iter().zip(kinds).zip(ttls_ms).zip(&values) {
            let ttl_ms = match ttl {
                Some(ms) if ms.is_nan() || ms < 0.0 => {
                    return Err(to_napi_error(Error::new(
                        ErrorCode::InvalidArgument,
                        format!("ttl must be at least 0, not {ms}"),
                    )))
                }
                // Rounded up: a positive ttl never becomes "already expired".
                Some(ms) => Some(ms.ceil() as u64),
                None => None,
            };
            entries.push(CacheEntry { key, value: TypedValue { kind, data: value.to_vec() }, ttl_ms });
        }
        self.write(env, Box::new(move |w| w.set(&entries, now_ms()).map(|()| Reply::Undefined)))
    }

    /// Removes the entries whose key starts with one of `prefixes`, or every entry for `null`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn clear<'env>(&self, env: &'env Env, prefixes: Option<Vec<String>>) -> napi::Result<PromiseRaw<'env, ()>> {
        self.write(env, Box::new(move |w| w.clear(prefixes.as_deref()).map(|()| Reply::Undefined)))
    }

    /// This process's hits, misses, evictions and expirations, and the file's entries and bytes as
    /// of the last call that finished.
    #[napi]
    pub fn stats(&self) -> CacheStoreStats {
        use std::sync::atomic::Ordering::Relaxed;
        let c = self.worker.counters();
        CacheStoreStats {
            hits: c.hits.load(Relaxed) as f64,
            misses: c.misses.load(Relaxed) as f64,
            evictions: c.evictions.load(Relaxed) as f64,
            expirations: c.expirations.load(Relaxed) as f64,
            entries: c.entries.load(Relaxed) as f64,
            bytes: c.bytes.load(Relaxed) as f64,
        }
    }

    /// Closes the file once the calls already made are done; later calls reject with `FLG_CLOSED`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.close(done);
        Ok(promise)
    }
}
