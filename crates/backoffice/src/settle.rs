//! Settlement (docs/spec.md §5): the clearing host takes the POS's uploaded offline purchase records,
//! verifies every TAC with the issuer's keys, rejects duplicates and forgeries with a reason,
//! and keeps a shadow balance per card: opening balance + verified loads − accepted purchases,
//! which equals the card's balance once every record is in.
//!
//! Storage is behind the small [`Ledger`] trait ([`SqliteLedger`] here; an operator-scale
//! PostgreSQL ledger would implement the same five methods). The duplicate rule is a UNIQUE key
//! on (serial, counter), so replaying an upload is idempotent. A second UNIQUE key on
//! (termID, TTC) catches a record replayed under another counter: the purchase TAC does not
//! cover the card's counter (docs/spec.md §4), so the TAC alone cannot. A record identical in
//! every field to one already booked is the same sale sent again (an upload whose answer never
//! reached the POS, or a POS killed before it noted the upload): it is reported as already
//! settled, neither booked again nor rejected.

use crate::acquirer::{StoreError, open_db};
use crate::host::IssuerHost;
use rusqlite::{Connection, params};
use std::path::Path;
use stk_domain::errors::Code;
use stk_domain::records::{LoadReceipt, PurchaseRecord};

/// What the ledger did with an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    Added,
    /// Same (serial, counter) — or same (termID, TTC) for purchases — already there, with
    /// other contents.
    Duplicate,
    /// This very record (every field equal) is already there.
    Same,
}

/// Clearing storage.
pub trait Ledger {
    /// Registers a card's balance at issuance (once; later calls are ignored).
    fn open_card(&mut self, serial: &[u8; 10], balance: u32) -> Result<(), StoreError>;
    fn add_purchase(&mut self, r: &PurchaseRecord) -> Result<Insert, StoreError>;
    fn add_load(
        &mut self,
        serial: &[u8; 10],
        counter: u16,
        amount: u32,
    ) -> Result<Insert, StoreError>;
    fn add_rejection(&mut self, r: &PurchaseRecord, reason: &str) -> Result<(), StoreError>;
    /// Opening balance, sum of loads, sum of purchases; `None` for an unknown card.
    fn totals(&mut self, serial: &[u8; 10]) -> Result<Option<(u64, u64, u64)>, StoreError>;
}

pub struct SqliteLedger {
    db: Connection,
}

impl SqliteLedger {
    pub fn open(path: &Path) -> Result<SqliteLedger, StoreError> {
        let db = open_db(path)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS cards (serial TEXT PRIMARY KEY, opening INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS purchases (
                serial TEXT NOT NULL, counter INTEGER NOT NULL, amount INTEGER NOT NULL,
                term_id TEXT NOT NULL, ttc INTEGER NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
                tac TEXT NOT NULL,
                UNIQUE (serial, counter), UNIQUE (term_id, ttc));
             CREATE TABLE IF NOT EXISTS loads (
                serial TEXT NOT NULL, counter INTEGER NOT NULL, amount INTEGER NOT NULL,
                UNIQUE (serial, counter));
             CREATE TABLE IF NOT EXISTS rejections (
                id INTEGER PRIMARY KEY, serial TEXT NOT NULL, counter INTEGER NOT NULL,
                record TEXT NOT NULL, reason TEXT NOT NULL);",
        )?;
        Ok(SqliteLedger { db })
    }
}

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

fn inserted(r: rusqlite::Result<usize>) -> Result<Insert, StoreError> {
    match r {
        Ok(_) => Ok(Insert::Added),
        Err(e) if unique_violation(&e) => Ok(Insert::Duplicate),
        Err(e) => Err(e.into()),
    }
}

impl Ledger for SqliteLedger {
    fn open_card(&mut self, serial: &[u8; 10], balance: u32) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT OR IGNORE INTO cards (serial, opening) VALUES (?1, ?2)",
            params![hex::encode_upper(serial), balance],
        )?;
        Ok(())
    }
    fn add_purchase(&mut self, r: &PurchaseRecord) -> Result<Insert, StoreError> {
        let fields = params![
            hex::encode_upper(r.serial),
            r.counter,
            r.amount,
            hex::encode_upper(r.term_id),
            r.ttc,
            hex::encode_upper(r.date),
            hex::encode_upper(r.time),
            hex::encode_upper(r.tac)
        ];
        let added = inserted(self.db.execute(
            "INSERT INTO purchases (serial, counter, amount, term_id, ttc, date, time, tac) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            fields,
        ))?;
        if added == Insert::Added {
            return Ok(added);
        }
        let same: u32 = self.db.query_row(
            "SELECT COUNT(*) FROM purchases WHERE serial=?1 AND counter=?2 AND amount=?3 \
             AND term_id=?4 AND ttc=?5 AND date=?6 AND time=?7 AND tac=?8",
            fields,
            |row| row.get(0),
        )?;
        Ok(if same > 0 { Insert::Same } else { added })
    }
    fn add_load(
        &mut self,
        serial: &[u8; 10],
        counter: u16,
        amount: u32,
    ) -> Result<Insert, StoreError> {
        inserted(self.db.execute(
            "INSERT INTO loads (serial, counter, amount) VALUES (?1, ?2, ?3)",
            params![hex::encode_upper(serial), counter, amount],
        ))
    }
    fn add_rejection(&mut self, r: &PurchaseRecord, reason: &str) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(|e| StoreError(e.to_string()))?;
        self.db.execute(
            "INSERT INTO rejections (serial, counter, record, reason) VALUES (?1, ?2, ?3, ?4)",
            params![hex::encode_upper(r.serial), r.counter, json, reason],
        )?;
        Ok(())
    }
    fn totals(&mut self, serial: &[u8; 10]) -> Result<Option<(u64, u64, u64)>, StoreError> {
        let s = hex::encode_upper(serial);
        let opening: Option<i64> = rusqlite::OptionalExtension::optional(self.db.query_row(
            "SELECT opening FROM cards WHERE serial=?1",
            [&s],
            |r| r.get(0),
        ))?;
        let Some(opening) = opening else {
            return Ok(None);
        };
        let sum = |t: &str| -> Result<i64, StoreError> {
            Ok(self.db.query_row(
                &format!("SELECT COALESCE(SUM(amount),0) FROM {t} WHERE serial=?1"),
                [&s],
                |r| r.get(0),
            )?)
        };
        Ok(Some((
            opening as u64,
            sum("loads")? as u64,
            sum("purchases")? as u64,
        )))
    }
}

/// Why a record was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub record: PurchaseRecord,
    /// Catalogue code: `H-DUPLICATE` or `H-TAC`.
    pub code: Code,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettleReport {
    pub accepted: Vec<PurchaseRecord>,
    pub rejected: Vec<Rejected>,
    /// Records identical to ones an earlier upload had booked: settled then, not booked again.
    pub already: Vec<PurchaseRecord>,
}

/// The clearing host.
pub struct ClearingHost<L: Ledger> {
    pub issuer: IssuerHost,
    pub ledger: L,
}

impl<L: Ledger> ClearingHost<L> {
    pub fn new(issuer: IssuerHost, ledger: L) -> Self {
        ClearingHost { issuer, ledger }
    }

    /// Verifies and books one upload.
    pub fn settle(&mut self, records: &[PurchaseRecord]) -> Result<SettleReport, StoreError> {
        let mut rep = SettleReport::default();
        for r in records {
            let ok = self.issuer.purchase_tac_ok(
                &r.serial, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac,
            );
            let verdict = if !ok {
                Some((
                    Code::HTac,
                    "the TAC does not verify with the issuer's key: forged or corrupted"
                        .to_string(),
                ))
            } else {
                match self.ledger.add_purchase(r)? {
                    Insert::Added => None,
                    Insert::Same => {
                        rep.already.push(r.clone());
                        continue;
                    }
                    Insert::Duplicate => Some((
                        Code::HDuplicate,
                        format!(
                            "card {} counter {} (or termID {} TTC {}) is already settled",
                            hex::encode_upper(r.serial),
                            r.counter,
                            hex::encode_upper(r.term_id),
                            r.ttc
                        ),
                    )),
                }
            };
            match verdict {
                None => rep.accepted.push(r.clone()),
                Some((code, reason)) => {
                    self.ledger.add_rejection(r, &reason)?;
                    rep.rejected.push(Rejected {
                        record: r.clone(),
                        code,
                        reason,
                    });
                }
            }
        }
        Ok(rep)
    }

    /// Books a load the issuer authorised, if its TAC verifies; `false` if it does not.
    pub fn book_load(&mut self, l: &LoadReceipt) -> Result<bool, StoreError> {
        let ok = self.issuer.load_tac_ok(
            &l.serial,
            l.balance_after,
            l.counter,
            l.amount,
            &l.term_id,
            &l.date,
            &l.time,
            l.tac,
        );
        if ok {
            self.ledger.add_load(&l.serial, l.counter, l.amount)?;
        }
        Ok(ok)
    }

    /// Opening + loads − purchases, or `None` for an unknown card (or a negative result,
    /// which would mean the ledger is inconsistent).
    pub fn shadow_balance(&mut self, serial: &[u8; 10]) -> Result<Option<u32>, StoreError> {
        Ok(self
            .ledger
            .totals(serial)?
            .and_then(|(o, l, p)| (o + l).checked_sub(p).and_then(|v| u32::try_from(v).ok())))
    }
}
