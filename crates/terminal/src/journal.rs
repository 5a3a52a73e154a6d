//! The POS journal: top-ups, the reversal store-and-forward queue with a log entry per try,
//! and the offline purchase records awaiting upload. SQLite in WAL mode; every state change is
//! one transaction, so a POS killed at any instant reopens to a consistent journal.
//!
//! Top-up states: `new` (journaled, the charge may be on its way) → `charged` → `loading`
//! (INITIALIZE FOR LOAD done; counter, date and time saved: CREDIT may be on its way) →
//! `loaded` → `done` (confirmed at the acquirer); or → `reversing` (reversal queued) →
//! `reversed` (acknowledged). `failed`: stopped before any charge was sent. The states are a
//! [`TopupState`], stored by name under a SQL CHECK constraint.
//!
//! POS loads (`pos load`) are journaled too: `loading` once INITIALIZE FOR LOAD answered (before
//! the issuer is asked for MAC2, so before CREDIT can go out), then `loaded` with the card's TAC,
//! or `failed` when no MAC2 came. `settle` uploads them; one left `loading` is decided at the
//! clearing host from the card's counters. A sale the clearing host rejected stays `rejected`
//! in the journal (not uploaded again; the ledger keeps it open until someone resolves it).

use crate::acquirer::{StoreError, open_db};
use crate::receipt::{Receipt, ReceiptKind, ReceiptTac, TopupRef};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt;
use std::path::Path;
use stk_domain::issuer::{KeyChoice, SignInAnswer};
use stk_domain::records::PurchaseRecord;

mod refunds;
pub use refunds::{RefundBegin, RefundRow, RefundState};

/// Where a top-up stands (see the module docs for the transitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TopupState {
    /// Journaled; the charge may be on its way.
    New,
    /// The acquirer charged the bank card.
    Charged,
    /// INITIALIZE FOR LOAD done: the CREDIT may be on its way.
    Loading,
    /// The card answered CREDIT FOR LOAD; the charge awaits confirmation.
    Loaded,
    /// Loaded and the charge confirmed.
    Done,
    /// The charge's reversal is queued.
    Reversing,
    /// The reversal was acknowledged.
    Reversed,
    /// Stopped before any charge was sent.
    Failed,
}

impl TopupState {
    pub const ALL: [TopupState; 8] = [
        TopupState::New,
        TopupState::Charged,
        TopupState::Loading,
        TopupState::Loaded,
        TopupState::Done,
        TopupState::Reversing,
        TopupState::Reversed,
        TopupState::Failed,
    ];

    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            TopupState::New => "new",
            TopupState::Charged => "charged",
            TopupState::Loading => "loading",
            TopupState::Loaded => "loaded",
            TopupState::Done => "done",
            TopupState::Reversing => "reversing",
            TopupState::Reversed => "reversed",
            TopupState::Failed => "failed",
        }
    }

    /// A state no further step changes.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TopupState::Done | TopupState::Reversed | TopupState::Failed
        )
    }
}

impl fmt::Display for TopupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TopupState {
    type Err = String;
    fn from_str(s: &str) -> Result<TopupState, String> {
        TopupState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a top-up state"))
    }
}

impl ToSql for TopupState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for TopupState {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<TopupState> {
        v.as_str()?
            .parse()
            .map_err(|e: String| FromSqlError::Other(e.into()))
    }
}

/// A top-up as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupRow {
    pub txn: String,
    pub pan: String,
    pub amount: u32,
    pub state: TopupState,
    pub serial: Option<[u8; 10]>,
    /// Online counter INITIALIZE FOR LOAD returned (state `loading` and later).
    pub counter: Option<u16>,
    pub date: Option<[u8; 4]>,
    pub time: Option<[u8; 3]>,
    pub term_id: Option<[u8; 6]>,
}

/// A POS load as journaled: `tac` is `None` while its end is unknown (`loading`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosLoad {
    pub id: i64,
    pub serial: [u8; 10],
    /// The online counter INITIALIZE FOR LOAD answered.
    pub counter: u16,
    pub amount: u32,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
    pub balance_before: u32,
    pub tac: Option<[u8; 4]>,
}

/// What a terminal signs in with (docs/spec.md §8): how long to wait for a host's answer, how
/// many times to send a request again, and how many failed tries move a reversal to manual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerminalParams {
    pub host_timeout_ms: u32,
    pub resends: u32,
    pub reversal_tries: u32,
}

/// What the terminal's last sign-in (签到) brought, besides its [`TerminalParams`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// When it signed in (UTC, as the CLI prints it).
    pub at: String,
    pub merchant: String,
    pub purchase_key: KeyChoice,
    pub load_key: KeyChoice,
}

/// A reversal handed to a person after `tries` failed tries; `resolved`: who, when, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualReversal {
    pub txn: String,
    pub tries: u32,
    /// Masked.
    pub pan: String,
    pub amount: u32,
    pub resolved: Option<(String, String, String)>,
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
                state TEXT NOT NULL CHECK (state IN
                    ('new','charged','loading','loaded','done','reversing','reversed','failed')),
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
             );
             CREATE TABLE IF NOT EXISTS pos_loads (
                id INTEGER PRIMARY KEY,
                serial TEXT NOT NULL, counter INTEGER NOT NULL, amount INTEGER NOT NULL,
                term_id TEXT NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
                balance INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('loading','loaded','failed')),
                tac TEXT,
                uploaded INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS manual_reversals (
                txn TEXT PRIMARY KEY REFERENCES reversals(txn),
                since_try INTEGER NOT NULL,
                resolved_by TEXT, resolved_at TEXT, resolution TEXT
             );
             CREATE TABLE IF NOT EXISTS params (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                host_timeout_ms INTEGER NOT NULL CHECK (host_timeout_ms > 0),
                resends INTEGER NOT NULL CHECK (resends BETWEEN 0 AND 9),
                reversal_tries INTEGER NOT NULL CHECK (reversal_tries BETWEEN 1 AND 99)
             );
             INSERT OR IGNORE INTO params (id, host_timeout_ms, resends, reversal_tries)
                VALUES (1, 2000, 1, 3);
             CREATE TABLE IF NOT EXISTS topup_ids (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                next INTEGER NOT NULL CHECK (next > 0)
             );",
        )?;
        refunds::create(&db)?;
        // Journals written before sign-in: what the last sign-in brought (NULL: never signed in).
        // Journals written before receipts: the balance after a sale or top-up (receipts show it).
        // A sale's `receipt` column: 1 if the sale completed (a receipt is due), 0 if it was
        // journaled without one (a digest error); NULL in older journals (then: not flagged).
        for (table, column, ty) in [
            ("params", "merchant", "TEXT"),
            ("params", "purchase_key_index", "INTEGER"),
            ("params", "purchase_key_version", "INTEGER"),
            ("params", "load_key_index", "INTEGER"),
            ("params", "load_key_version", "INTEGER"),
            ("params", "signed_in_at", "TEXT"),
            ("sales", "balance_after", "INTEGER"),
            ("sales", "receipt", "INTEGER"),
            ("topups", "balance_after", "INTEGER"),
        ] {
            let has: bool = db
                .prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name='{column}'"
                ))?
                .exists([])?;
            if !has {
                db.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ty}"))?;
            }
        }
        // Journals written before PANs were masked: mask them now.
        let clear: Vec<(i64, String)> = db
            .prepare("SELECT id, pan FROM topups")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, pan) in clear {
            let m = stk_domain::pan::mask(&pan);
            if m != pan {
                db.execute("UPDATE topups SET pan=?1 WHERE id=?2", params![m, id])?;
            }
        }
        // The first id of a new journal is the time in microseconds: an earlier journal or
        // home of this terminal used fewer ids than microseconds have passed since it began.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2));
        db.execute(
            "INSERT OR IGNORE INTO topup_ids (id, next) \
             SELECT 1, MAX(?1, COALESCE(MAX(id), 0) + 1) FROM topups",
            [now],
        )?;
        Ok(Journal { db })
    }

    /// The sequence number the next top-up will take (its id is `termID-<sequence>`).
    pub fn next_topup_seq(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .db
            .query_row("SELECT next FROM topup_ids WHERE id = 1", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Journals a new top-up (before anything is sent) and returns its transaction id.
    pub fn begin_topup(
        &self,
        pan: &str,
        amount: u32,
        term_id: &[u8; 6],
    ) -> Result<String, StoreError> {
        let tx = self.db.unchecked_transaction()?;
        // The id is unique for the terminal's life: termID ‖ a sequence that never restarts
        // (it is not the journal's row number, and a new journal starts past any old one).
        let seq: i64 = tx.query_row("SELECT next FROM topup_ids WHERE id = 1", [], |r| r.get(0))?;
        tx.execute("UPDATE topup_ids SET next = next + 1 WHERE id = 1", [])?;
        let txn = format!("{}-{seq:08}", hex::encode_upper(term_id));
        tx.execute(
            "INSERT INTO topups (txn, pan, amount, state, term_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                txn,
                stk_domain::pan::mask(pan),
                amount,
                TopupState::New,
                hex::encode_upper(term_id)
            ],
        )?;
        tx.commit()?;
        Ok(txn)
    }

    pub fn set_state(&self, txn: &str, state: TopupState) -> Result<(), StoreError> {
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
        balance_after: u32,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE topups SET state=?6, serial=?1, counter=?2, date=?3, time=?4, \
             balance_after=?7 WHERE txn=?5",
            params![
                hex::encode_upper(serial),
                counter,
                hex::encode_upper(date),
                hex::encode_upper(time),
                txn,
                TopupState::Loading,
                balance_after
            ],
        )?;
        Ok(())
    }

    pub fn loaded(&self, txn: &str, tac: &[u8; 4]) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE topups SET state=?3, tac=?1 WHERE txn=?2",
            params![hex::encode_upper(tac), txn, TopupState::Loaded],
        )?;
        Ok(())
    }

    /// Queues the reversal of `txn` (one transaction with the state change).
    pub fn queue_reversal(&self, txn: &str) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        tx.execute(
            "UPDATE topups SET state=?2 WHERE txn=?1",
            params![txn, TopupState::Reversing],
        )?;
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
            tx.execute(
                "UPDATE topups SET state=?2 WHERE txn=?1",
                params![txn, TopupState::Reversed],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The terminal's parameters (time-out, resends, reversal tries), as last signed in.
    pub fn params(&self) -> Result<TerminalParams, StoreError> {
        Ok(self.db.query_row(
            "SELECT host_timeout_ms, resends, reversal_tries FROM params WHERE id = 1",
            [],
            |r| {
                Ok(TerminalParams {
                    host_timeout_ms: r.get(0)?,
                    resends: r.get(1)?,
                    reversal_tries: r.get(2)?,
                })
            },
        )?)
    }

    /// Stores the parameters a sign-in brought.
    pub fn set_params(&self, p: &TerminalParams) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE params SET host_timeout_ms=?1, resends=?2, reversal_tries=?3 WHERE id=1",
            params![p.host_timeout_ms, p.resends, p.reversal_tries],
        )?;
        Ok(())
    }

    /// What the terminal's last sign-in brought, or `None` if it never signed in.
    pub fn sign_in_record(&self) -> Result<Option<SignedIn>, StoreError> {
        let row = self.db.query_row(
            "SELECT signed_in_at, merchant, purchase_key_index, purchase_key_version, \
             load_key_index, load_key_version FROM params WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<u8>>(2)?,
                    r.get::<_, Option<u8>>(3)?,
                    r.get::<_, Option<u8>>(4)?,
                    r.get::<_, Option<u8>>(5)?,
                ))
            },
        )?;
        Ok(match row {
            (Some(at), Some(merchant), Some(pi), Some(pv), Some(li), Some(lv)) => Some(SignedIn {
                at,
                merchant,
                purchase_key: KeyChoice {
                    index: pi,
                    version: pv,
                },
                load_key: KeyChoice {
                    index: li,
                    version: lv,
                },
            }),
            _ => None,
        })
    }

    /// Stores what a sign-in brought (parameters, merchant number, key indexes and versions)
    /// in one statement: a sign-in is kept whole or not at all.
    pub fn store_sign_in(&self, a: &SignInAnswer, at: &str) -> Result<(), StoreError> {
        store_sign_in(&self.db, a, at)
    }

    /// Takes a reversal out of the automatic queue: it has failed `tries` times.
    pub fn to_manual(&self, txn: &str, tries: u32) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT OR IGNORE INTO manual_reversals (txn, since_try) VALUES (?1, ?2)",
            params![txn, tries],
        )?;
        Ok(())
    }

    /// Reversals handed to a person, resolved or not.
    pub fn manual_reversals(&self) -> Result<Vec<ManualReversal>, StoreError> {
        let mut st = self.db.prepare(
            "SELECT m.txn, m.since_try, t.pan, t.amount, m.resolved_by, m.resolved_at, \
             m.resolution FROM manual_reversals m JOIN topups t ON t.txn = m.txn ORDER BY m.txn",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(ManualReversal {
                    txn: r.get(0)?,
                    tries: r.get(1)?,
                    pan: r.get(2)?,
                    amount: r.get(3)?,
                    resolved: match r.get::<_, Option<String>>(4)? {
                        Some(by) => Some((by, r.get(5)?, r.get(6)?)),
                        None => None,
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// Closes a manual reversal (the account adjusted by hand with the bank): who, when, why.
    /// The top-up ends `reversed`. `false` if `txn` is not an open manual reversal.
    pub fn resolve_manual(
        &self,
        txn: &str,
        by: &str,
        at: &str,
        why: &str,
    ) -> Result<bool, StoreError> {
        let tx = self.db.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE manual_reversals SET resolved_by=?1, resolved_at=?2, resolution=?3 \
             WHERE txn=?4 AND resolved_by IS NULL",
            params![by, at, why, txn],
        )?;
        if n == 1 {
            tx.execute("UPDATE reversals SET state='acked' WHERE txn=?1", [txn])?;
            tx.execute(
                "UPDATE topups SET state=?2 WHERE txn=?1",
                params![txn, TopupState::Reversed],
            )?;
            tx.execute(
                "INSERT INTO reversal_log (txn, try_no, outcome) VALUES (?1, 0, ?2)",
                params![txn, format!("resolved by hand by {by} at {at}: {why}")],
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Reversals the POS still retries by itself (not handed to a person).
    pub fn pending_reversals(&self) -> Result<Vec<PendingReversal>, StoreError> {
        let mut st = self.db.prepare(
            "SELECT txn, tries FROM reversals WHERE state='pending' \
             AND txn NOT IN (SELECT txn FROM manual_reversals) ORDER BY txn",
        )?;
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
        Ok(self
            .all_topups()?
            .into_iter()
            .filter(|t| !t.state.is_final())
            .collect())
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
        self.add_sale_with(r, !r.flagged, None)
    }

    /// [`Journal::add_sale`] saying whether the sale completed (`receipt`: the customer gets a
    /// receipt; not after a digest error) and the card's balance after it when the terminal saw
    /// it. One row: the receipt exists exactly when the completed sale does.
    pub fn add_sale_with(
        &self,
        r: &PurchaseRecord,
        receipt: bool,
        balance_after: Option<u32>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(|e| StoreError(e.to_string()))?;
        self.db.execute(
            "INSERT OR IGNORE INTO sales (serial, counter, record, receipt, balance_after) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                hex::encode_upper(r.serial),
                r.counter,
                json,
                receipt,
                balance_after
            ],
        )?;
        Ok(())
    }

    /// The receipts of every transaction this terminal completed (sales, recovered sales,
    /// loads, top-ups that loaded the wallet), oldest first by the transaction's date and time.
    /// Read from the rows that complete them: nothing else is kept.
    pub fn receipts(&self) -> Result<Vec<Receipt>, StoreError> {
        let mut out = Vec::new();
        let mut st = self
            .db
            .prepare("SELECT record, receipt, balance_after FROM sales ORDER BY rowid")?;
        let sales = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<bool>>(1)?,
                    r.get::<_, Option<u32>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (json, receipt, balance_after) in sales {
            let rec: PurchaseRecord = serde_json::from_str(&json)
                .map_err(|e| StoreError::damaged(format!("sale record: {e}")))?;
            if !receipt.unwrap_or(!rec.flagged) {
                continue;
            }
            let tac = match (rec.recovered, rec.flagged) {
                (false, _) => ReceiptTac::Known(rec.tac),
                (true, false) => ReceiptTac::Recovered(rec.tac),
                (true, true) => ReceiptTac::Pending,
            };
            out.push(Receipt {
                merchant: None,
                kind: if rec.recovered {
                    ReceiptKind::RecoveredSale
                } else {
                    ReceiptKind::Sale
                },
                term_id: rec.term_id,
                serial: rec.serial,
                amount: rec.amount,
                balance_after,
                counter: rec.counter,
                ttc: Some(rec.ttc),
                tac,
                date: rec.date,
                time: rec.time,
                topup: None,
                refund_of: None,
            });
        }
        let mut st = self.db.prepare(
            "SELECT id, serial, counter, amount, term_id, date, time, balance, tac FROM pos_loads \
             WHERE state='loaded' ORDER BY id",
        )?;
        type LoadRaw = (i64, String, u16, u32, String, String, String, u32, String);
        let loads = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<Result<Vec<LoadRaw>, _>>()?;
        for (id, serial, counter, amount, term, date, time, balance, tac) in loads {
            let bad = || StoreError::damaged(format!("POS load {id}"));
            out.push(Receipt {
                merchant: None,
                kind: ReceiptKind::Load,
                term_id: hex_arr(Some(term)).ok_or_else(bad)?,
                serial: hex_arr(Some(serial)).ok_or_else(bad)?,
                amount,
                balance_after: Some(balance.saturating_add(amount)),
                counter,
                ttc: None,
                tac: ReceiptTac::Known(hex_arr(Some(tac)).ok_or_else(bad)?),
                date: hex_arr(Some(date)).ok_or_else(bad)?,
                time: hex_arr(Some(time)).ok_or_else(bad)?,
                topup: None,
                refund_of: None,
            });
        }
        let mut st = self.db.prepare(
            "SELECT txn, pan, amount, serial, counter, date, time, term_id, tac, balance_after \
             FROM topups WHERE state IN ('loaded', 'done') AND tac IS NOT NULL ORDER BY id",
        )?;
        type TopupRaw = (
            String,
            String,
            u32,
            Option<String>,
            Option<u16>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<u32>,
        );
        let topups = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })?
            .collect::<Result<Vec<TopupRaw>, _>>()?;
        for (txn, pan, amount, serial, counter, date, time, term, tac, balance_after) in topups {
            let bad = || StoreError::damaged(format!("top-up {txn}"));
            out.push(Receipt {
                merchant: None,
                kind: ReceiptKind::Topup,
                term_id: hex_arr(term).ok_or_else(bad)?,
                serial: hex_arr(serial).ok_or_else(bad)?,
                amount,
                balance_after,
                counter: counter.ok_or_else(bad)?,
                ttc: None,
                tac: ReceiptTac::Known(hex_arr(tac).ok_or_else(bad)?),
                date: hex_arr(date).ok_or_else(bad)?,
                time: hex_arr(time).ok_or_else(bad)?,
                topup: Some(TopupRef {
                    id: txn.clone(),
                    pan_masked: stk_domain::pan::mask(&pan),
                }),
                refund_of: None,
            });
        }
        out.extend(self.refund_receipts()?);
        out.sort_by_key(|r| (r.date, r.time));
        // The merchant number is the terminal's, as it last signed in.
        if let Some(s) = self.sign_in_record()? {
            for r in &mut out {
                r.merchant = Some(s.merchant.clone());
            }
        }
        Ok(out)
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
            .map(|j| {
                serde_json::from_str(j)
                    .map_err(|e| StoreError::damaged(format!("sale record: {e}")))
            })
            .collect()
    }

    /// Journals a POS load whose INITIALIZE FOR LOAD answered (before MAC2 is asked for).
    pub fn begin_load(&self, l: &PosLoad) -> Result<i64, StoreError> {
        self.db.execute(
            "INSERT INTO pos_loads (serial, counter, amount, term_id, date, time, balance, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'loading')",
            params![
                hex::encode_upper(l.serial),
                l.counter,
                l.amount,
                hex::encode_upper(l.term_id),
                hex::encode_upper(l.date),
                hex::encode_upper(l.time),
                l.balance_before
            ],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// The load's end: its TAC (`Some`), or no MAC2 came (`None`: no CREDIT was sent).
    pub fn end_load(&self, id: i64, tac: Option<&[u8; 4]>) -> Result<(), StoreError> {
        let (state, tac) = match tac {
            Some(t) => ("loaded", Some(hex::encode_upper(t))),
            None => ("failed", None),
        };
        self.db.execute(
            "UPDATE pos_loads SET state=?1, tac=?2 WHERE id=?3",
            params![state, tac, id],
        )?;
        Ok(())
    }

    /// POS loads not uploaded yet (failed ones are never uploaded).
    pub fn loads_to_upload(&self) -> Result<Vec<PosLoad>, StoreError> {
        let mut st = self.db.prepare(
            "SELECT id, serial, counter, amount, term_id, date, time, balance, tac FROM pos_loads \
             WHERE uploaded=0 AND state != 'failed' ORDER BY id",
        )?;
        type Raw = (
            i64,
            String,
            u16,
            u32,
            String,
            String,
            String,
            u32,
            Option<String>,
        );
        let raw = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<Result<Vec<Raw>, _>>()?;
        raw.into_iter()
            .map(
                |(id, serial, counter, amount, term, date, time, balance, tac)| {
                    let bad = || StoreError::damaged(format!("POS load {id}"));
                    Ok(PosLoad {
                        id,
                        serial: hex_arr(Some(serial)).ok_or_else(bad)?,
                        counter,
                        amount,
                        term_id: hex_arr(Some(term)).ok_or_else(bad)?,
                        date: hex_arr(Some(date)).ok_or_else(bad)?,
                        time: hex_arr(Some(time)).ok_or_else(bad)?,
                        balance_before: balance,
                        tac: match tac {
                            Some(t) => Some(hex_arr(Some(t)).ok_or_else(bad)?),
                            None => None,
                        },
                    })
                },
            )
            .collect()
    }

    pub fn mark_loads_uploaded(&self, ids: &[i64]) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        for id in ids {
            tx.execute("UPDATE pos_loads SET uploaded=1 WHERE id=?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sales the clearing host rejected: kept as `rejected` (uploaded = 2), not sent again.
    pub fn mark_rejected(&self, records: &[PurchaseRecord]) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        for r in records {
            tx.execute(
                "UPDATE sales SET uploaded=2 WHERE serial=?1 AND counter=?2",
                params![hex::encode_upper(r.serial), r.counter],
            )?;
        }
        tx.commit()?;
        Ok(())
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

/// Stores what a sign-in brought in the `params` row over `db` (the journal's connection, or
/// the home's inside the transaction that creates it), in one statement.
pub(crate) fn store_sign_in(db: &Connection, a: &SignInAnswer, at: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE params SET host_timeout_ms=?1, resends=?2, reversal_tries=?3, merchant=?4, \
         purchase_key_index=?5, purchase_key_version=?6, load_key_index=?7, \
         load_key_version=?8, signed_in_at=?9 WHERE id=1",
        params![
            a.host_timeout_ms,
            a.resends,
            a.reversal_tries,
            a.merchant,
            a.purchase_key.index,
            a.purchase_key.version,
            a.load_key.index,
            a.load_key.version,
            at
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_from_before_sign_in_gains_its_columns_and_keeps_a_sign_in_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terminal.db");
        // The params row as journals kept it before sign-in existed, with other parameters.
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE params (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                host_timeout_ms INTEGER NOT NULL CHECK (host_timeout_ms > 0),
                resends INTEGER NOT NULL CHECK (resends BETWEEN 0 AND 9),
                reversal_tries INTEGER NOT NULL CHECK (reversal_tries BETWEEN 1 AND 99)
             );
             INSERT INTO params VALUES (1, 1500, 2, 4);",
        )
        .unwrap();
        drop(old);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.sign_in_record().unwrap(), None, "never signed in");
        assert_eq!(j.params().unwrap().host_timeout_ms, 1500);
        let a = SignInAnswer {
            term_id: [1, 2, 3, 4, 5, 6],
            merchant: "104110000000042".into(),
            host_timeout_ms: 800,
            resends: 0,
            reversal_tries: 5,
            purchase_key: KeyChoice {
                index: 2,
                version: 2,
            },
            load_key: KeyChoice {
                index: 1,
                version: 1,
            },
        };
        j.store_sign_in(&a, "2026-11-30 10:00:00").unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        let s = j.sign_in_record().unwrap().unwrap();
        assert_eq!(
            (s.merchant.as_str(), s.purchase_key, s.load_key.index),
            ("104110000000042", a.purchase_key, 1)
        );
        assert_eq!(
            j.params().unwrap(),
            TerminalParams {
                host_timeout_ms: 800,
                resends: 0,
                reversal_tries: 5
            }
        );
        // A sign-in whose parameters the journal refuses (resends past 9) changes nothing.
        let bad = SignInAnswer {
            resends: 10,
            merchant: "104110000000099".into(),
            ..a
        };
        assert!(j.store_sign_in(&bad, "later").is_err());
        assert_eq!(j.sign_in_record().unwrap().unwrap(), s);
    }

    fn sale(counter: u16, flagged: bool, recovered: bool) -> PurchaseRecord {
        PurchaseRecord {
            serial: [0x11; 10],
            counter,
            amount: 100,
            term_id: [1, 2, 3, 4, 5, 6],
            ttc: u32::from(counter) + 1,
            date: [0x20, 0x26, 0x11, 0x30],
            time: [0x10, 0x00, u8::try_from(counter).unwrap()],
            tac: if recovered && flagged { [0; 4] } else { [9; 4] },
            flagged,
            recovered,
        }
    }

    #[test]
    fn receipts_are_the_completed_rows_and_only_those() {
        let j = Journal::open(Path::new(":memory:")).unwrap();
        j.add_sale_with(&sale(0, false, false), true, Some(900))
            .unwrap();
        // A digest error: journaled for settlement, no receipt.
        j.add_sale_with(&sale(1, true, false), false, None).unwrap();
        // Recovered with the proof's TAC, and recovered with no proof left.
        j.add_sale_with(&sale(2, false, true), true, None).unwrap();
        j.add_sale_with(&sale(3, true, true), true, None).unwrap();
        // A top-up not loaded has none.
        j.begin_topup("622202******3446", 100, &[1, 2, 3, 4, 5, 6])
            .unwrap();
        let r = j.receipts().unwrap();
        let tacs: Vec<(u16, ReceiptTac)> = r.iter().map(|r| (r.counter, r.tac)).collect();
        assert_eq!(
            tacs,
            [
                (0, ReceiptTac::Known([9; 4])),
                (2, ReceiptTac::Recovered([9; 4])),
                (3, ReceiptTac::Pending)
            ]
        );
        assert_eq!(r[0].balance_after, Some(900));
        assert!(r[2].render(false).contains("TAC pending"));
    }

    #[test]
    fn states_round_trip_by_name_and_the_table_refuses_any_other() {
        let j = Journal::open(Path::new(":memory:")).unwrap();
        let txn = j.begin_topup("6222", 100, &[1, 2, 3, 4, 5, 6]).unwrap();
        for st in TopupState::ALL {
            j.set_state(&txn, st).unwrap();
            assert_eq!(j.topup(&txn).unwrap().unwrap().state, st);
            assert_eq!(st.as_str().parse::<TopupState>(), Ok(st));
        }
        for bad in ["", "Done", "charging", "refunded"] {
            let r =
                j.db.execute("UPDATE topups SET state=?1 WHERE txn=?2", params![bad, txn]);
            assert!(r.is_err(), "state `{bad}` was accepted");
            assert!(bad.parse::<TopupState>().is_err());
        }
        assert_eq!(
            j.topup(&txn).unwrap().unwrap().state,
            TopupState::Failed,
            "a refused update changes nothing"
        );
    }
}
