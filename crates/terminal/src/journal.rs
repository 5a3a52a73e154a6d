//! The POS journal: top-ups, the reversal store-and-forward queue with a log entry per try,
//! and the offline purchase records awaiting upload. SQLite in WAL mode; every state change is
//! one transaction, so a POS killed at any instant reopens to a consistent journal.
//!
//! Top-up states: `new` (journaled, the charge may be on its way) → `charged` → `loading`
//! (INITIALIZE FOR LOAD done; counter, date and time saved: CREDIT may be on its way) →
//! `loaded` → `done` (confirmed at the acquirer); or → `reversing` (reversal queued) →
//! `reversed` (acknowledged). `failed`: stopped before any charge was sent.

use crate::acquirer::{StoreError, open_db};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use stk_domain::records::PurchaseRecord;

/// A top-up as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupRow {
    pub txn: String,
    pub pan: String,
    pub amount: u32,
    pub state: String,
    pub serial: Option<[u8; 10]>,
    /// Online counter INITIALIZE FOR LOAD returned (state `loading` and later).
    pub counter: Option<u16>,
    pub date: Option<[u8; 4]>,
    pub time: Option<[u8; 3]>,
    pub term_id: Option<[u8; 6]>,
}

/// A reversal waiting in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingReversal {
    pub txn: String,
    pub tries: u32,
}

pub struct Journal {
    db: Connection,
}

fn hex_arr<const N: usize>(s: Option<String>) -> Option<[u8; N]> {
    let v = hex::decode(s?).ok()?;
    v.try_into().ok()
}

impl Journal {
    pub fn open(path: &Path) -> Result<Journal, StoreError> {
        let db = open_db(path)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS topups (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                txn TEXT UNIQUE,
                pan TEXT NOT NULL,
                amount INTEGER NOT NULL,
                state TEXT NOT NULL,
                serial TEXT, counter INTEGER, date TEXT, time TEXT, term_id TEXT, tac TEXT
             );
             CREATE TABLE IF NOT EXISTS reversals (
                txn TEXT PRIMARY KEY REFERENCES topups(txn),
                state TEXT NOT NULL CHECK (state IN ('pending','acked')),
                tries INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS reversal_log (
                id INTEGER PRIMARY KEY,
                txn TEXT NOT NULL,
                try_no INTEGER NOT NULL,
                outcome TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS sales (
                serial TEXT NOT NULL,
                counter INTEGER NOT NULL,
                record TEXT NOT NULL,
                uploaded INTEGER NOT NULL DEFAULT 0,
                UNIQUE (serial, counter)
             );",
        )?;
        Ok(Journal { db })
    }

    /// Journals a new top-up (before anything is sent) and returns its transaction id.
    pub fn begin_topup(
        &self,
        pan: &str,
        amount: u32,
        term_id: &[u8; 6],
    ) -> Result<String, StoreError> {
        let tx = self.db.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO topups (pan, amount, state, term_id) VALUES (?1, ?2, 'new', ?3)",
            params![pan, amount, hex::encode_upper(term_id)],
        )?;
        let id = tx.last_insert_rowid();
        // The id is unique per terminal: termID ‖ journal sequence number.
        let txn = format!("{}-{id:08}", hex::encode_upper(term_id));
        tx.execute("UPDATE topups SET txn=?1 WHERE id=?2", params![txn, id])?;
        tx.commit()?;
        Ok(txn)
    }

    pub fn set_state(&self, txn: &str, state: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE topups SET state=?1 WHERE txn=?2",
            params![state, txn],
        )?;
        Ok(())
    }

    /// INITIALIZE FOR LOAD is done: the CREDIT may now reach the card.
    pub fn loading(
        &self,
        txn: &str,
        serial: &[u8; 10],
        counter: u16,
        date: &[u8; 4],
        time: &[u8; 3],
    ) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE topups SET state='loading', serial=?1, counter=?2, date=?3, time=?4 WHERE txn=?5",
            params![
                hex::encode_upper(serial),
                counter,
                hex::encode_upper(date),
                hex::encode_upper(time),
                txn
            ],
        )?;
        Ok(())
    }

    pub fn loaded(&self, txn: &str, tac: &[u8; 4]) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE topups SET state='loaded', tac=?1 WHERE txn=?2",
            params![hex::encode_upper(tac), txn],
        )?;
        Ok(())
    }

    /// Queues the reversal of `txn` (one transaction with the state change).
    pub fn queue_reversal(&self, txn: &str) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        tx.execute("UPDATE topups SET state='reversing' WHERE txn=?1", [txn])?;
        tx.execute(
            "INSERT OR IGNORE INTO reversals (txn, state) VALUES (?1, 'pending')",
            [txn],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Logs a delivery attempt *before* it is made; returns the try number.
    pub fn log_try(&self, txn: &str) -> Result<u32, StoreError> {
        let tx = self.db.unchecked_transaction()?;
        tx.execute("UPDATE reversals SET tries = tries + 1 WHERE txn=?1", [txn])?;
        let n: u32 = tx.query_row("SELECT tries FROM reversals WHERE txn=?1", [txn], |r| {
            r.get(0)
        })?;
        tx.execute(
            "INSERT INTO reversal_log (txn, try_no, outcome) VALUES (?1, ?2, 'sending')",
            params![txn, n],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Records a try's outcome; `acked` closes the reversal and the top-up.
    pub fn try_outcome(
        &self,
        txn: &str,
        try_no: u32,
        outcome: &str,
        acked: bool,
    ) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        tx.execute(
            "UPDATE reversal_log SET outcome=?1 WHERE txn=?2 AND try_no=?3",
            params![outcome, txn, try_no],
        )?;
        if acked {
            tx.execute("UPDATE reversals SET state='acked' WHERE txn=?1", [txn])?;
            tx.execute("UPDATE topups SET state='reversed' WHERE txn=?1", [txn])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn pending_reversals(&self) -> Result<Vec<PendingReversal>, StoreError> {
        let mut st = self
            .db
            .prepare("SELECT txn, tries FROM reversals WHERE state='pending' ORDER BY txn")?;
        let v = st
            .query_map([], |r| {
                Ok(PendingReversal {
                    txn: r.get(0)?,
                    tries: r.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// The reversal log: (txn, try, outcome), oldest first.
    pub fn reversal_log(&self) -> Result<Vec<(String, u32, String)>, StoreError> {
        let mut st = self
            .db
            .prepare("SELECT txn, try_no, outcome FROM reversal_log ORDER BY id")?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TopupRow> {
        Ok(TopupRow {
            txn: r.get(0)?,
            pan: r.get(1)?,
            amount: r.get(2)?,
            state: r.get(3)?,
            serial: hex_arr(r.get(4)?),
            counter: r.get(5)?,
            date: hex_arr(r.get(6)?),
            time: hex_arr(r.get(7)?),
            term_id: hex_arr(r.get(8)?),
        })
    }

    const COLS: &'static str = "txn, pan, amount, state, serial, counter, date, time, term_id";

    /// Top-ups not in a final state (`done`, `reversed`, `failed`), oldest first.
    pub fn unfinished_topups(&self) -> Result<Vec<TopupRow>, StoreError> {
        let mut st = self.db.prepare(&format!(
            "SELECT {} FROM topups WHERE state NOT IN ('done','reversed','failed') ORDER BY id",
            Self::COLS
        ))?;
        let v = st
            .query_map([], Self::row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    pub fn all_topups(&self) -> Result<Vec<TopupRow>, StoreError> {
        let mut st = self
            .db
            .prepare(&format!("SELECT {} FROM topups ORDER BY id", Self::COLS))?;
        let v = st
            .query_map([], Self::row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    pub fn topup(&self, txn: &str) -> Result<Option<TopupRow>, StoreError> {
        Ok(self
            .db
            .query_row(
                &format!("SELECT {} FROM topups WHERE txn=?1", Self::COLS),
                [txn],
                Self::row,
            )
            .optional()?)
    }

    /// Stores an offline purchase record for upload (idempotent on serial + counter).
    pub fn add_sale(&self, r: &PurchaseRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(|e| StoreError(e.to_string()))?;
        self.db.execute(
            "INSERT OR IGNORE INTO sales (serial, counter, record) VALUES (?1, ?2, ?3)",
            params![hex::encode_upper(r.serial), r.counter, json],
        )?;
        Ok(())
    }

    /// Records not uploaded yet.
    pub fn sales_to_upload(&self) -> Result<Vec<PurchaseRecord>, StoreError> {
        let mut st = self
            .db
            .prepare("SELECT record FROM sales WHERE uploaded=0 ORDER BY rowid")?;
        let v = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        v.iter()
            .map(|j| serde_json::from_str(j).map_err(|e| StoreError(e.to_string())))
            .collect()
    }

    pub fn mark_uploaded(&self, records: &[PurchaseRecord]) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        for r in records {
            tx.execute(
                "UPDATE sales SET uploaded=1 WHERE serial=?1 AND counter=?2",
                params![hex::encode_upper(r.serial), r.counter],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
