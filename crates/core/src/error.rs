use std::fmt;

/// Stable error codes. The JS packages expose them as `error.code`, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The store was closed before the call ran.
    Closed,
    /// SQLite could not open or create the file (missing directory, no permission, ...).
    CannotOpen,
    /// The file exists but is not a SQLite database.
    NotADatabase,
    /// Another connection held a lock for longer than `busy_timeout`.
    Busy,
    /// The database is read-only.
    ReadOnly,
    /// The disk or the database is full.
    DiskFull,
    /// SQLite detected corruption.
    Corrupt,
    /// The file holds a schema written by a newer version of this library.
    SchemaVersion,
    /// The database has no tables of the official `SqliteSaver` to import.
    NoSaverTables,
    /// An argument the caller passed is malformed.
    InvalidArgument,
    /// A message sent by hash alone is not stored in its thread: the caller sends it again with
    /// its bytes.
    ChunkMissing,
    /// Any other SQLite failure.
    Sqlite,
    /// A bug in this library (a caught panic).
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Closed => "FLG_CLOSED",
            ErrorCode::CannotOpen => "FLG_CANNOT_OPEN",
            ErrorCode::NotADatabase => "FLG_NOT_A_DATABASE",
            ErrorCode::Busy => "FLG_BUSY",
            ErrorCode::ReadOnly => "FLG_READONLY",
            ErrorCode::DiskFull => "FLG_DISK_FULL",
            ErrorCode::Corrupt => "FLG_CORRUPT",
            ErrorCode::SchemaVersion => "FLG_SCHEMA_VERSION",
            ErrorCode::NoSaverTables => "FLG_NO_SAVER_TABLES",
            ErrorCode::InvalidArgument => "FLG_INVALID_ARGUMENT",
            ErrorCode::ChunkMissing => "FLG_CHUNK_MISSING",
            ErrorCode::Sqlite => "FLG_SQLITE",
            ErrorCode::Internal => "FLG_INTERNAL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sq;
        let code = match err.sqlite_error_code() {
            Some(Sq::CannotOpen) => ErrorCode::CannotOpen,
            Some(Sq::NotADatabase) => ErrorCode::NotADatabase,
            Some(Sq::DatabaseBusy) | Some(Sq::DatabaseLocked) => ErrorCode::Busy,
            Some(Sq::ReadOnly) => ErrorCode::ReadOnly,
            Some(Sq::DiskFull) => ErrorCode::DiskFull,
            Some(Sq::DatabaseCorrupt) => ErrorCode::Corrupt,
            _ => ErrorCode::Sqlite,
        };
        Error::new(code, err.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
