use fast_langgraph_core::store::{
    parse_frame, BlobValue, ChannelBlob, CheckpointStore, Compression, ListCursor, ListQuery, OpenOptions, Pruned,
    PutCheckpoint, PutWrites, ReadJob, StoreStats, StoreWorker, Synchronous, ValueRef, Write, WriteJob, Writer,
};
use fast_langgraph_core::{Error, ErrorCode, Result};
use napi::bindgen_prelude::{Buffer, PromiseRaw, Uint8ArraySlice};
use napi::{Env, Status};
use napi_derive::napi;
use serde::Deserialize;

use crate::completion::{Completer, Reply};
use crate::wire::encode;

#[napi(object)]
pub struct CheckpointStoreOptions {
    /// `"NORMAL"` (default: survives a process crash) or `"FULL"` (also survives a power loss).
    pub synchronous: Option<String>,
    /// How long to wait for another connection's lock, in milliseconds (default 5000).
    pub busy_timeout_ms: Option<f64>,
    /// `"none"` (default) or `"zstd"`: channel values, writes and messages stored compressed.
    pub compression: Option<String>,
}

/// The fields of a `put`, as one JSON array: converting one string costs far less than a N-API
/// call per field. The values travel beside it as `[checkpoint, metadata, ...blob values]`.
#[derive(Deserialize)]
struct PutHeader(
    /* thread_id */ String,
    /* checkpoint_ns */ String,
    /* checkpoint_id */ String,
    /* parent_checkpoint_id */ Option<String>,
    /* checkpoint type */ String,
    /* metadata type */ String,
    /* channel_versions, a JSON object */ String,
    /* (channel, version, type, chunked) of each blob; a chunked one is a message-list frame */
    Vec<(String, String, String, bool)>,
);

/// The fields of a `putWrites`; the values travel beside it, one per write.
#[derive(Deserialize)]
struct PutWritesHeader(
    /* thread_id */ String,
    /* checkpoint_ns */ String,
    /* checkpoint_id */ String,
    /* task_id */ String,
    /* task_path */ String,
    /* (idx, channel, type) of each write */ Vec<(i64, String, String)>,
);

fn parse_header<'a, T: Deserialize<'a>>(json: &'a str, values: usize, expected: impl Fn(&T) -> usize) -> Result<T> {
    let header: T = serde_json::from_str(json)
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("malformed request header: {e}")))?;
    if expected(&header) != values {
        return Err(Error::new(ErrorCode::InvalidArgument, "request header and values do not match"));
    }
    Ok(header)
}

#[napi(object)]
pub struct ListCursorInput {
    pub checkpoint_id: String,
    pub thread_id: String,
    pub checkpoint_ns: String,
}

#[napi(object)]
pub struct ListInput {
    pub thread_id: Option<String>,
    pub checkpoint_ns: Option<String>,
    pub checkpoint_id: Option<String>,
    pub before: Option<String>,
    /// JSON object compared key by key with each checkpoint's metadata.
    pub filter: Option<String>,
    pub page_size: u32,
    pub cursor: Option<ListCursorInput>,
}

/// What `stats()` resolves to: the totals of core's `StoreStats`, as JS numbers.
#[napi(object)]
pub struct CheckpointStoreStats {
    pub threads: f64,
    pub checkpoints: f64,
    pub writes: f64,
    pub stored_bytes: f64,
    pub logical_bytes: f64,
    pub dedup_ratio: f64,
    pub file_bytes: f64,
}

impl From<StoreStats> for CheckpointStoreStats {
    fn from(s: StoreStats) -> Self {
        CheckpointStoreStats {
            threads: s.threads as f64,
            checkpoints: s.checkpoints as f64,
            writes: s.writes as f64,
            stored_bytes: s.stored_bytes as f64,
            logical_bytes: s.logical_bytes as f64,
            dedup_ratio: s.dedup_ratio(),
            file_bytes: s.file_bytes as f64,
        }
    }
}

/// What `prune()` resolves to: how many of each were deleted.
#[napi(object)]
pub struct CheckpointStorePruned {
    pub checkpoints: f64,
    pub writes: f64,
    /// Channel values stored apart from their checkpoint.
    pub blobs: f64,
    /// Messages of message lists.
    pub messages: f64,
}

impl From<Pruned> for CheckpointStorePruned {
    fn from(p: Pruned) -> Self {
        CheckpointStorePruned {
            checkpoints: p.checkpoints as f64,
            writes: p.writes as f64,
            blobs: p.blobs as f64,
            messages: p.messages as f64,
        }
    }
}

/// A checkpoint database opened by `openCheckpointStore`. SQLite runs on the store's own thread;
/// every method returns at once with a promise.
#[napi]
pub struct NativeCheckpointStore {
    worker: StoreWorker<Reply>,
    completer: Completer,
    compression: Compression,
}

/// Opens (creating if needed) a checkpoint database; `":memory:"` opens a private in-memory one.
/// Opening happens on the store's thread: `ready()` and every call report an open failure.
#[napi]
pub fn open_checkpoint_store(
    env: Env,
    path: String,
    options: Option<CheckpointStoreOptions>,
) -> napi::Result<NativeCheckpointStore> {
    let mut open = OpenOptions::default();
    let mut compression = Compression::None;
    if let Some(options) = options {
        compression = match options.compression.as_deref() {
            None | Some("none") => Compression::None,
            Some("zstd") => Compression::Zstd,
            Some(other) => {
                return Err(to_napi_error(Error::new(
                    ErrorCode::InvalidArgument,
                    format!("compression must be \"none\" or \"zstd\", not {other:?}"),
                )))
            }
        };
        open.synchronous = match options.synchronous.as_deref() {
            None | Some("NORMAL") => Synchronous::Normal,
            Some("FULL") => Synchronous::Full,
            Some(other) => {
                return Err(to_napi_error(Error::new(
                    ErrorCode::InvalidArgument,
                    format!("synchronous must be \"NORMAL\" or \"FULL\", not {other:?}"),
                )))
            }
        };
        if let Some(ms) = options.busy_timeout_ms {
            open.busy_timeout_ms(ms).map_err(to_napi_error)?;
        }
    }
    Ok(NativeCheckpointStore {
        worker: StoreWorker::open(path, open).map_err(to_napi_error)?,
        completer: Completer::new(&env)?,
        compression,
    })
}

/// Errors thrown synchronously carry the same `"<CODE>: <message>"` form as rejections.
pub(crate) fn to_napi_error(err: Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, err.to_string())
}

impl NativeCheckpointStore {
    fn read<'env, T>(&self, env: &'env Env, job: ReadJob<Reply>) -> napi::Result<PromiseRaw<'env, T>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.read(job, done);
        Ok(promise)
    }

    fn write<'env, T>(&self, env: &'env Env, job: WriteJob<'static, Reply>) -> napi::Result<PromiseRaw<'env, T>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.write(job, done);
        Ok(promise)
    }

    /// A write described by a JSON header, with its values beside it. The values are copied here,
    /// on the JS thread, so that the store's thread never touches JS memory.
    fn write_values<'env, T>(
        &self,
        env: &'env Env,
        header: String,
        values: Vec<Uint8ArraySlice>,
        run: fn(&Writer, &str, &[Vec<u8>]) -> Result<()>,
    ) -> napi::Result<PromiseRaw<'env, T>> {
        let values: Vec<Vec<u8>> = values.iter().map(|v| v.to_vec()).collect();
        let compression = self.compression;
        self.write(env, Box::new(move |w| run(&w.compressed(compression), &header, &values).map(|()| Reply::Undefined)))
    }
}

#[napi]
impl NativeCheckpointStore {
    /// Resolves once the database is open and migrated; rejects with the reason it could not be.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn ready<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.read(env, Box::new(|_| Ok(Reply::Undefined)))
    }

    /// `header` is a JSON array (see `PutHeader`); `values` are `[checkpoint, metadata, ...blobs]`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put<'env>(
        &self,
        env: &'env Env,
        header: String,
        values: Vec<Uint8ArraySlice>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.write_values(env, header, values, |w, header, values| {
            let h: PutHeader = parse_header(header, values.len(), |h: &PutHeader| 2 + h.7.len())?;
            let blobs =
                h.7.iter()
                    .zip(&values[2..])
                    .map(|((channel, version, kind, chunked), data)| {
                        let value = match chunked {
                            true => BlobValue::List(parse_frame(data)?),
                            false => BlobValue::Whole(ValueRef { kind, data }),
                        };
                        Ok(ChannelBlob { channel, version, value })
                    })
                    .collect::<Result<_>>()?;
            w.put(&PutCheckpoint {
                thread_id: &h.0,
                checkpoint_ns: &h.1,
                checkpoint_id: &h.2,
                parent_checkpoint_id: h.3.as_deref(),
                checkpoint: ValueRef { kind: &h.4, data: &values[0] },
                metadata: ValueRef { kind: &h.5, data: &values[1] },
                channel_versions: &h.6,
                blobs,
            })
        })
    }

    /// `header` is a JSON array (see `PutWritesHeader`); `values` holds one value per write.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_writes<'env>(
        &self,
        env: &'env Env,
        header: String,
        values: Vec<Uint8ArraySlice>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.write_values(env, header, values, |w, header, values| {
            let h: PutWritesHeader = parse_header(header, values.len(), |h: &PutWritesHeader| h.5.len())?;
            w.put_writes(&PutWrites {
                thread_id: &h.0,
                checkpoint_ns: &h.1,
                checkpoint_id: &h.2,
                task_id: &h.3,
                task_path: &h.4,
                writes: h
                    .5
                    .iter()
                    .zip(values)
                    .map(|((idx, channel, kind), data)| Write { idx: *idx, channel, value: ValueRef { kind, data } })
                    .collect(),
            })
        })
    }

    /// Resolves to an encoded page of zero or one tuple.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn get_tuple<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        self.read(
            env,
            Box::new(move |store: &CheckpointStore| {
                let tuple = store.get_tuple(&thread_id, &checkpoint_ns, checkpoint_id.as_deref())?;
                Ok(Reply::Bytes(encode(|out| out.page_of(tuple.as_ref()))))
            }),
        )
    }

    /// Resolves to one encoded list page.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn list<'env>(&self, env: &'env Env, query: ListInput) -> napi::Result<PromiseRaw<'env, Buffer>> {
        let query = ListQuery {
            thread_id: query.thread_id,
            checkpoint_ns: query.checkpoint_ns,
            checkpoint_id: query.checkpoint_id,
            before: query.before,
            filter: query.filter,
            page_size: query.page_size as usize,
            cursor: query.cursor.map(|c| ListCursor {
                checkpoint_id: c.checkpoint_id,
                thread_id: c.thread_id,
                checkpoint_ns: c.checkpoint_ns,
            }),
        };
        self.read(
            env,
            Box::new(move |store| {
                let page = store.list(&query)?;
                Ok(Reply::Bytes(encode(|out| out.page(&page))))
            }),
        )
    }

    /// Resolves to the encoded writes to one channel of one checkpoint.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn channel_writes<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channel: String,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        self.read(
            env,
            Box::new(move |store| {
                let writes = store.channel_writes(&thread_id, &checkpoint_ns, &checkpoint_id, &channel)?;
                Ok(Reply::Bytes(encode(|out| out.writes(&writes))))
            }),
        )
    }

    /// Resolves to the encoded delta-channel histories, one per requested channel, in order.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn delta_channel_history<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
        channels: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        self.read(
            env,
            Box::new(move |store| {
                let histories =
                    store.delta_channel_history(&thread_id, &checkpoint_ns, checkpoint_id.as_deref(), &channels)?;
                Ok(Reply::Bytes(encode(|out| out.histories(&histories))))
            }),
        )
    }

    /// Resolves to the counts and byte totals of the whole database, read in one transaction.
    #[napi(ts_return_type = "Promise<CheckpointStoreStats>")]
    pub fn stats<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, CheckpointStoreStats>> {
        self.read(env, Box::new(|store| Ok(Reply::Stats(store.stats()?))))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_thread<'env>(&self, env: &'env Env, thread_id: String) -> napi::Result<PromiseRaw<'env, ()>> {
        self.write(env, Box::new(move |w| w.delete_thread(&thread_id).map(|()| Reply::Undefined)))
    }

    /// Keeps the `keep_last` latest checkpoints of each namespace of `thread_id` (or of every thread)
    /// and the ancestors their delta channels are rebuilt from; deletes the rest, in one transaction.
    #[napi(ts_return_type = "Promise<CheckpointStorePruned>")]
    pub fn prune<'env>(
        &self,
        env: &'env Env,
        thread_id: Option<String>,
        keep_last: f64,
    ) -> napi::Result<PromiseRaw<'env, CheckpointStorePruned>> {
        if keep_last.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&keep_last) {
            return Err(to_napi_error(Error::new(
                ErrorCode::InvalidArgument,
                format!("keepLast must be a whole number from 1 to {}, not {keep_last}", u32::MAX),
            )));
        }
        self.write(env, Box::new(move |w| Ok(Reply::Pruned(w.prune(thread_id.as_deref(), keep_last as usize)?))))
    }

    /// Closes the database once the calls already made are done; later calls reject with `FLG_CLOSED`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let (promise, done) = self.completer.start(env)?;
        self.worker.close(done);
        Ok(promise)
    }
}
