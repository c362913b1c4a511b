//! Tables of the cache store. They can share a file with a checkpoint store.

use rusqlite::Connection;

use crate::db;
use crate::error::Result;

const SCHEMA_V1: &str = "
CREATE TABLE flg_cache_entries (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    value BLOB NOT NULL,
    -- What the entry counts against maxBytes.
    size INTEGER NOT NULL,
    -- Unix time in milliseconds; NULL lives until evicted.
    expires_at INTEGER,
    -- Position in least-recently-used order: the totals' clock when last read or written.
    used INTEGER NOT NULL
);
CREATE INDEX flg_cache_entries_used ON flg_cache_entries (used);
CREATE INDEX flg_cache_entries_expiry ON flg_cache_entries (expires_at) WHERE expires_at IS NOT NULL;

-- One row, kept by triggers, so that the limits are checked without a scan. Every process sharing
-- the file updates it in the same transaction as its entries.
CREATE TABLE flg_cache_totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    entries INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    clock INTEGER NOT NULL
);
INSERT INTO flg_cache_totals VALUES (0, 0, 0, 0);
CREATE TRIGGER flg_cache_added AFTER INSERT ON flg_cache_entries BEGIN
    UPDATE flg_cache_totals SET entries = entries + 1, bytes = bytes + new.size;
END;
CREATE TRIGGER flg_cache_removed AFTER DELETE ON flg_cache_entries BEGIN
    UPDATE flg_cache_totals SET entries = entries - 1, bytes = bytes - old.size;
END;
CREATE TRIGGER flg_cache_resized AFTER UPDATE OF size ON flg_cache_entries BEGIN
    UPDATE flg_cache_totals SET bytes = bytes - old.size + new.size;
END;
";

pub fn migrate(conn: &mut Connection) -> Result<()> {
    db::migrate(conn, "flg_cache_schema_version", &[SCHEMA_V1])
}
