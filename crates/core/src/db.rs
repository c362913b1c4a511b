//! What every store of this crate shares: one SQLite connection, opened and tuned the same way,
//! each write in its own transaction, and several queued writes committed together.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{Error, ErrorCode, Result};

pub const MEMORY: &str = ":memory:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// WAL + NORMAL: a committed transaction survives a crash of the process.
    Normal,
    /// WAL + FULL: it also survives a power loss.
    Full,
}

#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { synchronous: Synchronous::Normal, busy_timeout: Duration::from_secs(5) }
    }
}

impl OpenOptions {
    /// Sets the busy timeout from a number of milliseconds as JS passes it: a whole number that
    /// SQLite's `int` holds, else `InvalidArgument` (rather than a wrapped or truncated value).
    pub fn busy_timeout_ms(&mut self, ms: f64) -> Result<()> {
        if ms.fract() != 0.0 || !(0.0..=f64::from(i32::MAX)).contains(&ms) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("busyTimeoutMs must be a whole number of milliseconds from 0 to {}, not {ms}", i32::MAX),
            ));
        }
        self.busy_timeout = Duration::from_millis(ms as u64);
        Ok(())
    }
}

/// A database a `Worker` can own: opened on the worker's thread, then used only there.
pub trait Store: Send + 'static {
    fn database(&self) -> &Database;

    /// Called on the store's thread by `Worker::close`.
    fn close(&self) -> Result<()> {
        self.database().close()
    }
}

/// A write run inside a transaction that `Database` owns, given the transaction's connection.
pub type TxJob<'a, T> = Box<dyn FnOnce(&Connection) -> Result<T> + Send + 'a>;

/// One connection shared by every call; calls are serialized on it.
pub struct Database {
    conn: Mutex<Option<Connection>>,
}

impl Database {
    /// Opens (creating if needed) the database at `path`, or a private in-memory one for `:memory:`,
    /// and brings its tables up to date with `migrate`.
    pub fn open(path: &str, options: OpenOptions, migrate: fn(&mut Connection) -> Result<()>) -> Result<Self> {
        let mut conn = if path == MEMORY {
            Connection::open_in_memory()?
        } else {
            let flags =
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags).map_err(|e| with_path(e.into(), path))?
        };
        configure(&conn, options).map_err(|e| with_path(e, path))?;
        migrate(&mut conn).map_err(|e| with_path(e, path))?;
        Ok(Database { conn: Mutex::new(Some(conn)) })
    }

    /// Closes the connection. Later calls fail with `FLG_CLOSED`; closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner).take();
        match conn {
            Some(conn) => conn.close().map_err(|(_, e)| e.into()),
            None => Ok(()),
        }
    }

    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A panic inside `f` drops its transaction, which rolls back: the connection stays usable.
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(Error::new(ErrorCode::Closed, "the database is closed")),
        }
    }

    /// Runs `f` in one read transaction, so that all it reads comes from one snapshot. Nothing is
    /// written: the transaction is dropped, not committed.
    pub(crate) fn snapshot<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            f(&tx)
        })
    }

    /// Runs `f` in one write transaction: committed if it succeeds, rolled back otherwise.
    pub(crate) fn transact<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Group commit: runs several independent writes in one transaction, so they share one commit
    /// (one WAL append and, with `synchronous=FULL`, one fsync). Each runs in a savepoint: one that
    /// fails or panics is rolled back alone. Nothing is reported done before the commit.
    pub(crate) fn transact_group<T>(&self, jobs: Vec<TxJob<'_, T>>) -> Vec<Result<T>> {
        let count = jobs.len();
        let outcome = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut results = Vec::with_capacity(count);
            for job in jobs {
                tx.prepare_cached("SAVEPOINT flg_job")?.execute([])?;
                let result = guard(|| job(&tx));
                if let Err(err) = &result {
                    // Some failures (disk full, I/O) make SQLite roll back the whole transaction, and
                    // the savepoint with it: then every write of the group failed, with this error.
                    if tx.prepare_cached("ROLLBACK TO flg_job").and_then(|mut s| s.execute([])).is_err() {
                        return Err(err.clone());
                    }
                }
                tx.prepare_cached("RELEASE flg_job")?.execute([])?;
                results.push(result);
            }
            tx.commit()?;
            Ok(results)
        });
        outcome.unwrap_or_else(|err| (0..count).map(|_| Err(err.clone())).collect())
    }
}

/// Creates a store's tables or brings them up to date. `steps[i]` takes the schema from version `i`
/// to `i + 1`; the version reached is recorded in `version_table`. A file written by a newer
/// version is refused rather than misread.
pub(crate) fn migrate(conn: &mut Connection, version_table: &str, steps: &[&str]) -> Result<()> {
    let latest = steps.len() as i64;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {version_table} (version INTEGER NOT NULL)"))?;
    let current: i64 = tx
        .query_row(&format!("SELECT max(version) FROM {version_table}"), [], |row| row.get(0))
        .optional()?
        .flatten()
        .unwrap_or(0);
    if current > latest {
        return Err(Error::new(
            ErrorCode::SchemaVersion,
            format!(
                "the database was written by a newer fast-langgraph ({version_table} {current}, this build reads up to {latest})"
            ),
        ));
    }
    if current < latest {
        for step in &steps[current as usize..] {
            tx.execute_batch(step)?;
        }
        tx.execute(&format!("INSERT INTO {version_table} (version) VALUES (?1)"), [latest])?;
    }
    tx.commit()?;
    Ok(())
}

fn configure(conn: &Connection, options: OpenOptions) -> Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    // Reading the journal mode is the first access to the file: a non-database fails here.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    let sync = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    // Query-planner stability: without it, STAT4 builds mark bound parameters as plan-relevant and
    // every cached statement is re-prepared on each use (two thirds of a getTuple's time).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn with_path(err: Error, path: &str) -> Error {
    Error::new(err.code, format!("{} ({path})", err.message))
}

/// Runs `f`, turning a panic into an `FLG_INTERNAL` error instead of unwinding further.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::new(ErrorCode::Internal, format!("fast-langgraph panicked ({detail})")))
    })
}
