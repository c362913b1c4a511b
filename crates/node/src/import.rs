//! `openSqliteSaverFile`: the database of the official `SqliteSaver`, read for `importSqliteSaver`.
//! Opening and every page run on libuv's thread pool, never on the JS thread.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use fast_langgraph_core::import::{SaverCheckpoint, SaverWrite, SqliteSaverFile};
use fast_langgraph_core::{Error, ErrorCode, Result};
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use napi_derive::napi;

use crate::checkpoint::to_napi_error;

/// `None` once closed.
type Shared = Arc<Mutex<Option<SqliteSaverFile>>>;

#[napi(object)]
pub struct SaverCheckpointRow {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    /// The type tag of both the checkpoint and its metadata.
    pub kind: String,
    pub checkpoint: Buffer,
    pub metadata: Buffer,
}

impl From<SaverCheckpoint> for SaverCheckpointRow {
    fn from(c: SaverCheckpoint) -> Self {
        SaverCheckpointRow {
            thread_id: c.key.thread_id,
            checkpoint_ns: c.key.checkpoint_ns,
            checkpoint_id: c.key.checkpoint_id,
            parent_checkpoint_id: c.parent_checkpoint_id,
            kind: c.kind,
            checkpoint: c.checkpoint.into(),
            metadata: c.metadata.into(),
        }
    }
}

#[napi(object)]
pub struct SaverWriteRow {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub task_id: String,
    pub idx: i64,
    pub channel: String,
    pub kind: String,
    pub value: Buffer,
}

impl From<SaverWrite> for SaverWriteRow {
    fn from(w: SaverWrite) -> Self {
        SaverWriteRow {
            thread_id: w.key.thread_id,
            checkpoint_ns: w.key.checkpoint_ns,
            checkpoint_id: w.key.checkpoint_id,
            task_id: w.task_id,
            idx: w.idx,
            channel: w.channel,
            kind: w.kind,
            value: w.value.into(),
        }
    }
}

/// A `SqliteSaver` database opened read-only by `openSqliteSaverFile`, read from one snapshot.
#[napi]
pub struct NativeSqliteSaverFile {
    file: Shared,
}

pub struct Open(String);

impl Task for Open {
    type Output = SqliteSaverFile;
    type JsValue = NativeSqliteSaverFile;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        SqliteSaverFile::open(&self.0).map_err(to_napi_error)
    }

    fn resolve(&mut self, _env: Env, file: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(NativeSqliteSaverFile { file: Arc::new(Mutex::new(Some(file))) })
    }
}

/// Opens the file of an official `SqliteSaver` read-only. Rejects with `FLG_CANNOT_OPEN` (missing
/// file), `FLG_NOT_A_DATABASE` (not SQLite) or `FLG_NO_SAVER_TABLES` (no `checkpoints` and `writes`).
#[napi(ts_return_type = "Promise<NativeSqliteSaverFile>")]
pub fn open_sqlite_saver_file(path: String) -> AsyncTask<Open> {
    AsyncTask::new(Open(path))
}

/// Reads the next page of one table; `R` is the page's rows as JS sees them.
pub struct ReadPage<T, R> {
    file: Shared,
    next: fn(&mut SqliteSaverFile) -> Result<Vec<T>>,
    rows: PhantomData<fn() -> R>,
}

impl<T, R> Task for ReadPage<T, R>
where
    T: Send + 'static,
    R: From<T>,
    Vec<R>: napi::bindgen_prelude::ToNapiValue + napi::bindgen_prelude::TypeName,
{
    type Output = Vec<T>;
    type JsValue = Vec<R>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        // `SqliteSaverFile` turns panics into errors, so the lock is never poisoned by one.
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        match file.as_mut() {
            Some(file) => (self.next)(file).map_err(to_napi_error),
            None => Err(to_napi_error(Error::new(ErrorCode::Closed, "the SqliteSaver file is closed"))),
        }
    }

    fn resolve(&mut self, _env: Env, rows: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(rows.into_iter().map(R::from).collect())
    }
}

pub struct Close(Shared);

impl Task for Close {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        // Dropping the connection ends its read transaction; nothing was written.
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner).take());
        Ok(())
    }

    fn resolve(&mut self, _env: Env, _: ()) -> napi::Result<()> {
        Ok(())
    }
}

#[napi]
impl NativeSqliteSaverFile {
    /// The next page of checkpoints in (thread_id, checkpoint_ns, checkpoint_id) order; empty at the end.
    #[napi(ts_return_type = "Promise<Array<SaverCheckpointRow>>")]
    pub fn next_checkpoints(&self) -> AsyncTask<ReadPage<SaverCheckpoint, SaverCheckpointRow>> {
        self.read(SqliteSaverFile::next_checkpoints)
    }

    /// The next page of writes in (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) order; empty at the end.
    #[napi(ts_return_type = "Promise<Array<SaverWriteRow>>")]
    pub fn next_writes(&self) -> AsyncTask<ReadPage<SaverWrite, SaverWriteRow>> {
        self.read(SqliteSaverFile::next_writes)
    }

    /// Closes the file once a page being read is done; later reads reject with `FLG_CLOSED`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Close> {
        AsyncTask::new(Close(self.file.clone()))
    }
}

impl NativeSqliteSaverFile {
    fn read<T, R>(&self, next: fn(&mut SqliteSaverFile) -> Result<Vec<T>>) -> AsyncTask<ReadPage<T, R>>
    where
        ReadPage<T, R>: Task,
    {
        AsyncTask::new(ReadPage { file: self.file.clone(), next, rows: PhantomData })
    }
}
