use std::sync::Arc;
use std::time::Duration;

use fast_langgraph_core::store::{
    ChannelBlob, CheckpointStore, ListCursor, ListQuery, OpenOptions, PutCheckpoint, PutWrites, Synchronous,
    ValueRef, Write,
};
use fast_langgraph_core::{Error, ErrorCode, Result};
use napi::bindgen_prelude::{AsyncTask, Buffer, ToNapiValue, TypeName, Uint8Array};
use napi_derive::napi;
use serde::Deserialize;

use crate::job::{to_napi_error, Job};
use crate::wire::encode;

#[napi(object)]
pub struct CheckpointStoreOptions {
    /// `"NORMAL"` (default: survives a process crash) or `"FULL"` (also survives a power loss).
    pub synchronous: Option<String>,
    /// How long to wait for another connection's lock, in milliseconds (default 5000).
    pub busy_timeout_ms: Option<u32>,
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
    /* (channel, version, type) of each blob */ Vec<(String, String, String)>,
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

type Store = Arc<CheckpointStore>;
type StoreTask<I, O, J> = AsyncTask<Job<(Store, I), O, J>>;

/// A checkpoint database opened by `openCheckpointStore`. Every method runs off the JS thread.
#[napi]
pub struct NativeCheckpointStore {
    store: Store,
}

impl From<CheckpointStore> for NativeCheckpointStore {
    fn from(store: CheckpointStore) -> Self {
        NativeCheckpointStore { store: Arc::new(store) }
    }
}

/// Opens (creating if needed) a checkpoint database; `":memory:"` opens a private in-memory one.
#[napi(ts_return_type = "Promise<NativeCheckpointStore>")]
pub fn open_checkpoint_store(
    path: String,
    options: Option<CheckpointStoreOptions>,
) -> napi::Result<AsyncTask<Job<(String, OpenOptions), CheckpointStore, NativeCheckpointStore>>> {
    let mut open = OpenOptions::default();
    if let Some(options) = options {
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
            open.busy_timeout = Duration::from_millis(u64::from(ms));
        }
    }
    Ok(AsyncTask::new(Job::new((path, open), |(path, open)| CheckpointStore::open(path, *open))))
}

impl NativeCheckpointStore {
    fn task<I: Send, O: Send + 'static, J: ToNapiValue + TypeName + From<O>>(
        &self,
        input: I,
        work: fn(&(Store, I)) -> fast_langgraph_core::Result<O>,
    ) -> StoreTask<I, O, J> {
        AsyncTask::new(Job::new((self.store.clone(), input), work))
    }
}

#[napi]
impl NativeCheckpointStore {
    /// `header` is a JSON array (see `PutHeader`); `values` are `[checkpoint, metadata, ...blobs]`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put(&self, header: String, values: Vec<Uint8Array>) -> StoreTask<(String, Vec<Uint8Array>), (), ()> {
        self.task((header, values), |(store, (header, values))| {
            let h: PutHeader = parse_header(header, values.len(), |h: &PutHeader| 2 + h.7.len())?;
            store.put(&PutCheckpoint {
                thread_id: &h.0,
                checkpoint_ns: &h.1,
                checkpoint_id: &h.2,
                parent_checkpoint_id: h.3.as_deref(),
                checkpoint: ValueRef { kind: &h.4, data: &values[0] },
                metadata: ValueRef { kind: &h.5, data: &values[1] },
                channel_versions: &h.6,
                blobs: h
                    .7
                    .iter()
                    .zip(&values[2..])
                    .map(|((channel, version, kind), data)| ChannelBlob {
                        channel,
                        version,
                        value: ValueRef { kind, data },
                    })
                    .collect(),
            })
        })
    }

    /// `header` is a JSON array (see `PutWritesHeader`); `values` holds one value per write.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_writes(&self, header: String, values: Vec<Uint8Array>) -> StoreTask<(String, Vec<Uint8Array>), (), ()> {
        self.task((header, values), |(store, (header, values))| {
            let h: PutWritesHeader = parse_header(header, values.len(), |h: &PutWritesHeader| h.5.len())?;
            store.put_writes(&PutWrites {
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
    pub fn get_tuple(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> StoreTask<(String, String, Option<String>), Vec<u8>, Buffer> {
        self.task((thread_id, checkpoint_ns, checkpoint_id), |(store, (thread, ns, id))| {
            let tuple = store.get_tuple(thread, ns, id.as_deref())?;
            Ok(encode(|out| out.page_of(tuple.as_ref())))
        })
    }

    /// Resolves to one encoded list page.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn list(&self, query: ListInput) -> StoreTask<ListInput, Vec<u8>, Buffer> {
        self.task(query, |(store, q)| {
            let page = store.list(&ListQuery {
                thread_id: q.thread_id.clone(),
                checkpoint_ns: q.checkpoint_ns.clone(),
                checkpoint_id: q.checkpoint_id.clone(),
                before: q.before.clone(),
                filter: q.filter.clone(),
                page_size: q.page_size as usize,
                cursor: q.cursor.as_ref().map(|c| ListCursor {
                    checkpoint_id: c.checkpoint_id.clone(),
                    thread_id: c.thread_id.clone(),
                    checkpoint_ns: c.checkpoint_ns.clone(),
                }),
            })?;
            Ok(encode(|out| out.page(&page)))
        })
    }

    /// Resolves to the encoded writes to one channel of one checkpoint.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn channel_writes(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channel: String,
    ) -> StoreTask<[String; 4], Vec<u8>, Buffer> {
        self.task([thread_id, checkpoint_ns, checkpoint_id, channel], |(store, [thread, ns, id, channel])| {
            let writes = store.channel_writes(thread, ns, id, channel)?;
            Ok(encode(|out| out.writes(&writes)))
        })
    }

    /// Resolves to the encoded delta-channel histories, one per requested channel, in order.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn delta_channel_history(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
        channels: Vec<String>,
    ) -> StoreTask<(String, String, Option<String>, Vec<String>), Vec<u8>, Buffer> {
        self.task((thread_id, checkpoint_ns, checkpoint_id, channels), |(store, (thread, ns, id, channels))| {
            let histories = store.delta_channel_history(thread, ns, id.as_deref(), channels)?;
            Ok(encode(|out| out.histories(&histories)))
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_thread(&self, thread_id: String) -> StoreTask<String, (), ()> {
        self.task(thread_id, |(store, thread)| store.delete_thread(thread))
    }

    /// Closes the database; later calls reject with `FLG_CLOSED`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> StoreTask<(), (), ()> {
        self.task((), |(store, ())| store.close())
    }
}
