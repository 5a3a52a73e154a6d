//! The acquirer (the bank behind the counter's bank-card POS) for integrated top-ups, and its
//! simulated implementation on SQLite.
//!
//! Every request carries the top-up's transaction id, and the bank applies each at most once:
//! a repeated charge (same id, bank card and amount), confirm or reversal is acknowledged
//! without effect; a charge with a known id but another bank card or amount is refused
//! (`H-CONFLICT`) and leaves the first charge as it was. A reversal of a charge
//! the bank never saw is acknowledged and leaves a tombstone, so a late charge with that id is
//! refused. Every delivery is logged (`deliveries`), so tests can count what reached the bank.

use crate::host::HostError;
use rusqlite::{Connection, OptionalExtension, params};
use std::cell::Cell;
use std::path::Path;

/// What a POS asks of the acquirer.
pub trait AcquirerHost {
    /// Charges `amount` fen to the bank card `pan` for top-up `txn`.
    fn charge(&self, txn: &str, pan: &str, amount: u32) -> Result<(), HostError>;
    /// The wallet was loaded: the charge stands.
    fn confirm(&self, txn: &str) -> Result<(), HostError>;
    /// The wallet was not loaded: give the money back (冲正).
    fn reverse(&self, txn: &str) -> Result<(), HostError>;
}

pub use crate::store::{StoreError, open_db};

/// The simulated bank.
pub struct SqliteBank {
    db: Connection,
}

/// A bank's totals, for reconciliation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BankTotals {
    /// Sum of all charges taken (reversed or not).
    pub charged: u64,
    /// Sum of the charges given back.
    pub reversed: u64,
    /// Charges neither confirmed nor reversed.
    pub open: u64,
}

impl SqliteBank {
    pub fn open(path: &Path) -> Result<SqliteBank, StoreError> {
        let db = open_db(path)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS charges (
                txn TEXT PRIMARY KEY,
                pan TEXT NOT NULL,
                amount INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('charged','confirmed','reversed','void'))
             );
             CREATE TABLE IF NOT EXISTS deliveries (
                id INTEGER PRIMARY KEY,
                txn TEXT NOT NULL,
                kind TEXT NOT NULL,
                effect TEXT NOT NULL
             );",
        )?;
        // A bank written before card numbers were masked: mask them now.
        let clear: Vec<(String, String)> = db
            .prepare("SELECT txn, pan FROM charges")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (txn, pan) in clear {
            let m = stk_domain::pan::mask(&pan);
            if m != pan {
                db.execute("UPDATE charges SET pan=?1 WHERE txn=?2", params![m, txn])?;
            }
        }
        Ok(SqliteBank { db })
    }

    fn state(&self, txn: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .db
            .query_row("SELECT state FROM charges WHERE txn = ?1", [txn], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Applies one request. The card number is kept masked (first six, last four): the
    /// simulated bank needs no more to tell its charges apart.
    fn apply(&self, txn: &str, kind: &str, pan: &str, amount: u32) -> Result<(), StoreError> {
        let pan = stk_domain::pan::mask(pan);
        let pan = pan.as_str();
        let tx = self.db.unchecked_transaction()?;
        let st = self.state(txn)?;
        let effect = match (kind, st.as_deref()) {
            ("charge", None) => {
                tx.execute(
                    "INSERT INTO charges (txn, pan, amount, state) VALUES (?1, ?2, ?3, 'charged')",
                    params![txn, pan, amount],
                )?;
                "charged"
            }
            ("charge", Some("void")) => "refused: already reversed",
            ("charge", Some(_)) => {
                let (had_pan, had_amount): (String, u32) = tx.query_row(
                    "SELECT pan, amount FROM charges WHERE txn = ?1",
                    [txn],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if had_pan == pan && had_amount == amount {
                    "duplicate"
                } else {
                    "refused: conflicting request"
                }
            }
            ("confirm", Some("charged")) => {
                tx.execute("UPDATE charges SET state='confirmed' WHERE txn=?1", [txn])?;
                "confirmed"
            }
            ("confirm", _) => "no effect",
            ("reverse", None) => {
                tx.execute(
                    "INSERT INTO charges (txn, pan, amount, state) VALUES (?1, '', 0, 'void')",
                    [txn],
                )?;
                "void: no such charge"
            }
            ("reverse", Some("charged" | "confirmed")) => {
                tx.execute("UPDATE charges SET state='reversed' WHERE txn=?1", [txn])?;
                "reversed"
            }
            ("reverse", Some(_)) => "duplicate",
            _ => "unknown request",
        };
        tx.execute(
            "INSERT INTO deliveries (txn, kind, effect) VALUES (?1, ?2, ?3)",
            params![txn, kind, effect],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Charged, reversed and open totals.
    pub fn totals(&self) -> Result<BankTotals, StoreError> {
        let sum = |w: &str| -> Result<u64, StoreError> {
            let v: i64 = self.db.query_row(
                &format!("SELECT COALESCE(SUM(amount),0) FROM charges WHERE {w}"),
                [],
                |r| r.get(0),
            )?;
            Ok(v as u64)
        };
        Ok(BankTotals {
            charged: sum("state IN ('charged','confirmed','reversed')")?,
            reversed: sum("state = 'reversed'")?,
            open: sum("state = 'charged'")?,
        })
    }

    /// How many requests of `kind` for `txn` reached the bank, and how many had an effect.
    pub fn deliveries(&self, txn: &str, kind: &str) -> Result<(u32, u32), StoreError> {
        let all: u32 = self.db.query_row(
            "SELECT COUNT(*) FROM deliveries WHERE txn=?1 AND kind=?2",
            [txn, kind],
            |r| r.get(0),
        )?;
        let effective: u32 = self.db.query_row(
            "SELECT COUNT(*) FROM deliveries WHERE txn=?1 AND kind=?2 \
             AND effect IN ('charged','confirmed','reversed')",
            [txn, kind],
            |r| r.get(0),
        )?;
        Ok((all, effective))
    }

    /// All transaction ids the bank has seen.
    pub fn txns(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self.db.prepare("SELECT txn FROM charges ORDER BY txn")?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(v)
    }
}

fn store_down(e: StoreError) -> HostError {
    // The bank's own storage failing looks like an unreachable bank to the POS.
    let _ = e;
    HostError::Unreachable
}

impl AcquirerHost for SqliteBank {
    fn charge(&self, txn: &str, pan: &str, amount: u32) -> Result<(), HostError> {
        self.apply(txn, "charge", pan, amount).map_err(store_down)?;
        let pan = stk_domain::pan::mask(pan);
        let pan = pan.as_str();
        let (had_pan, had_amount, state): (String, u32, String) = self
            .db
            .query_row(
                "SELECT pan, amount, state FROM charges WHERE txn = ?1",
                [txn],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| store_down(e.into()))?;
        if state == "void" {
            return Err(HostError::Declined(
                "the top-up was already reversed".into(),
            ));
        }
        if had_pan != pan || had_amount != amount {
            return Err(HostError::Conflict(format!(
                "transaction {txn} is already a charge of {had_amount} fen to another request \
                 (this one: {amount} fen{})",
                if had_pan == pan {
                    ""
                } else {
                    ", another bank card"
                }
            )));
        }
        Ok(())
    }
    fn confirm(&self, txn: &str) -> Result<(), HostError> {
        self.apply(txn, "confirm", "", 0).map_err(store_down)
    }
    fn reverse(&self, txn: &str) -> Result<(), HostError> {
        self.apply(txn, "reverse", "", 0).map_err(store_down)
    }
}

/// An acquirer link that is down for the next `n` calls (`u32::MAX`: for good).
pub struct FlakyAcquirer<'a, A: AcquirerHost> {
    pub inner: &'a A,
    pub down_for: Cell<u32>,
}

impl<'a, A: AcquirerHost> FlakyAcquirer<'a, A> {
    pub fn new(inner: &'a A, down_for: u32) -> Self {
        FlakyAcquirer {
            inner,
            down_for: Cell::new(down_for),
        }
    }
    fn down(&self) -> bool {
        let d = self.down_for.get();
        if d == 0 {
            return false;
        }
        if d != u32::MAX {
            self.down_for.set(d - 1);
        }
        true
    }
}

impl<A: AcquirerHost> AcquirerHost for FlakyAcquirer<'_, A> {
    fn charge(&self, txn: &str, pan: &str, amount: u32) -> Result<(), HostError> {
        if self.down() {
            return Err(HostError::Unreachable);
        }
        self.inner.charge(txn, pan, amount)
    }
    fn confirm(&self, txn: &str) -> Result<(), HostError> {
        if self.down() {
            return Err(HostError::Unreachable);
        }
        self.inner.confirm(txn)
    }
    fn reverse(&self, txn: &str) -> Result<(), HostError> {
        if self.down() {
            return Err(HostError::Unreachable);
        }
        self.inner.reverse(txn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_apply_once_and_reversal_first_voids_the_charge() {
        let dir = tempfile::tempdir().unwrap();
        let b = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
        b.charge("T1", "6222", 500).unwrap();
        b.charge("T1", "6222", 500).unwrap();
        b.charge("T2", "6222", 300).unwrap();
        b.reverse("T2").unwrap();
        b.reverse("T2").unwrap();
        b.reverse("T3").unwrap();
        assert!(
            b.charge("T3", "6222", 700).is_err(),
            "a reversed id cannot be charged"
        );
        b.confirm("T1").unwrap();
        let t = b.totals().unwrap();
        assert_eq!((t.charged, t.reversed, t.open), (800, 300, 0));
        assert_eq!(b.deliveries("T2", "reverse").unwrap(), (2, 1));
        assert_eq!(b.deliveries("T1", "charge").unwrap(), (2, 1));
    }

    #[test]
    fn a_known_id_with_another_card_or_amount_is_a_conflict_not_a_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let b = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
        b.charge("T1", "6222", 500).unwrap();
        // The same request again: a harmless duplicate.
        b.charge("T1", "6222", 500).unwrap();
        for (pan, amount) in [("6222", 900), ("6223", 500), ("6223", 900)] {
            let e = b.charge("T1", pan, amount).unwrap_err();
            assert!(matches!(e, HostError::Conflict(_)), "{pan} {amount}: {e}");
            assert_eq!(e.code(), stk_domain::errors::Code::HConflict);
        }
        // The first charge is untouched and still confirmable; nothing else was charged.
        assert_eq!(b.deliveries("T1", "charge").unwrap(), (5, 1));
        b.confirm("T1").unwrap();
        let t = b.totals().unwrap();
        assert_eq!((t.charged, t.reversed, t.open), (500, 0, 0));
    }
}
