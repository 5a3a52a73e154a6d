//! The back office's storage: SQLite databases in WAL mode, and their errors as text.

use rusqlite::Connection;
use std::path::Path;
use stk_domain::errors::Code;

/// A store error (SQLite), as text: the journal, bank and ledger report these. A failure to
/// write to storage (disk full, read-only or missing folder, I/O error) starts with its
/// catalogue code, `I-STORAGE`; a database or row that cannot be read back (not a database,
/// corrupt, a value of the wrong type or an undecodable record) starts with `I-DAMAGED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if is_storage_failure(&e) {
            StoreError(format!("{}: {e}", Code::IStorage))
        } else if is_damage(&e) {
            StoreError::damaged(e)
        } else {
            StoreError(e.to_string())
        }
    }
}

impl StoreError {
    /// Stored data that cannot be read back (`I-DAMAGED`).
    pub fn damaged(why: impl std::fmt::Display) -> StoreError {
        StoreError(format!(
            "{}: {why}; the database is damaged: restore it from a backup",
            Code::IDamaged
        ))
    }

    /// The catalogue code the message starts with, if any (`I-STORAGE`, `I-DAMAGED`).
    pub fn code(&self) -> Option<Code> {
        [Code::IStorage, Code::IDamaged]
            .into_iter()
            .find(|c| self.0.starts_with(c.as_str()))
    }

    /// Whether the database could not be written to storage (`I-STORAGE`).
    pub fn is_storage_failure(&self) -> bool {
        self.0.starts_with(Code::IStorage.as_str())
    }
}

/// Whether SQLite failed because of the storage under it: disk full, read-only file or folder,
/// a file it cannot open or create, an I/O error.
pub fn is_storage_failure(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, DiskFull | ReadOnly | CannotOpen | SystemIoFailure | PermissionDenied)
    )
}

/// Whether SQLite could not read back what it stores: not a database, a corrupt file, or a
/// value of the wrong type in a row.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    match e {
        rusqlite::Error::SqliteFailure(f, _) => matches!(f.code, DatabaseCorrupt | NotADatabase),
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => true,
        _ => false,
    }
}

/// Opens a SQLite database in WAL mode with a busy timeout.
pub fn open_db(path: &Path) -> Result<Connection, StoreError> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError(format!("journal_mode is {mode}, not WAL")));
    }
    c.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    Ok(c)
}
