//! Refunds (退货) in the terminal's journal (docs/spec.md §8, "refund"): one row per refund
//! attempt, in its own table (`refunds`), naming the sale it gives back by the sale's record.
//!
//! States, each written *before* the step it enables: `new` (the intent: nothing sent that
//! moves money) → `loading` (INITIALIZE FOR LOAD answered; counter, date, time and balance
//! saved before the issuer is asked for MAC2, so before any CREDIT) → `loaded` (the card's TAC,
//! or none when the CREDIT answer was lost and the card's counter showed the load) ; `failed`
//! when no CREDIT was sent or the card proved it did not take it. A sale has at most one refund
//! that is not `failed`: a partial UNIQUE index on the sale (termID, TTC) says so, under the
//! terminal's lock.

use super::{Journal, hex_arr};
use crate::acquirer::StoreError;
use crate::receipt::{Receipt, ReceiptKind, ReceiptTac, SaleRef};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt;
use stk_domain::records::PurchaseRecord;

/// Where a refund stands (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefundState {
    /// Journaled; nothing that moves money was sent.
    New,
    /// INITIALIZE FOR LOAD answered: the CREDIT may be on its way.
    Loading,
    /// The card took the refund.
    Loaded,
    /// No CREDIT was sent, or the card proved it did not take it.
    Failed,
}

impl RefundState {
    pub const ALL: [RefundState; 4] = [
        RefundState::New,
        RefundState::Loading,
        RefundState::Loaded,
        RefundState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::New => "new",
            RefundState::Loading => "loading",
            RefundState::Loaded => "loaded",
            RefundState::Failed => "failed",
        }
    }

    /// A state no further step changes.
    pub fn is_final(self) -> bool {
        matches!(self, RefundState::Loaded | RefundState::Failed)
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RefundState {
    type Err = String;
    fn from_str(s: &str) -> Result<RefundState, String> {
        RefundState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a refund state"))
    }
}

impl ToSql for RefundState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RefundState {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<RefundState> {
        v.as_str()?
            .parse()
            .map_err(|e: String| FromSqlError::Other(e.into()))
    }
}

/// A refund as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRow {
    pub id: i64,
    /// The sale it gives back, as the journal keeps it.
    pub sale: PurchaseRecord,
    pub amount: u32,
    pub state: RefundState,
    /// The online counter INITIALIZE FOR LOAD answered (`loading` and later).
    pub counter: Option<u16>,
    pub term_id: Option<[u8; 6]>,
    pub date: Option<[u8; 4]>,
    pub time: Option<[u8; 3]>,
    /// The card's balance before the refund (INITIALIZE FOR LOAD's answer).
    pub balance_before: Option<u32>,
    /// The card's TAC (`loaded`); `None` if the card showed the load without its proof.
    pub tac: Option<[u8; 4]>,
    /// Whether `settle` sent it to the clearing host.
    pub uploaded: bool,
}

impl RefundRow {
    /// The card's balance after the refund, when the terminal saw the CREDIT's answer.
    pub fn balance_after(&self) -> Option<u32> {
        match (self.tac, self.balance_before) {
            (Some(_), Some(b)) => Some(b.saturating_add(self.amount)),
            _ => None,
        }
    }
}

/// Creates the refunds table (an additive change: older journals gain it when opened).
pub(super) fn create(db: &Connection) -> Result<(), StoreError> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS refunds (
            id INTEGER PRIMARY KEY,
            sale_term_id TEXT NOT NULL,
            sale_ttc INTEGER NOT NULL,
            sale TEXT NOT NULL,
            serial TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            state TEXT NOT NULL CHECK (state IN ('new','loading','loaded','failed')),
            counter INTEGER, term_id TEXT, date TEXT, time TEXT, balance INTEGER, tac TEXT,
            uploaded INTEGER NOT NULL DEFAULT 0
         );
         CREATE UNIQUE INDEX IF NOT EXISTS refunds_once ON refunds (sale_term_id, sale_ttc)
            WHERE state != 'failed';",
    )?;
    Ok(())
}

const COLS: &str = "id, sale, amount, state, counter, term_id, date, time, balance, tac, uploaded";

type Raw = (
    i64,
    String,
    u32,
    RefundState,
    Option<u16>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u32>,
    Option<String>,
    bool,
);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
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
        r.get(10)?,
    ))
}

fn decode(r: Raw) -> Result<RefundRow, StoreError> {
    let (id, sale, amount, state, counter, term, date, time, balance, tac, uploaded) = r;
    let sale: PurchaseRecord = serde_json::from_str(&sale)
        .map_err(|e| StoreError::damaged(format!("refund {id}'s sale: {e}")))?;
    // A column that is there must decode; one that is not yet written is `None`.
    fn field<const N: usize>(id: i64, v: Option<String>) -> Result<Option<[u8; N]>, StoreError> {
        v.map(|s| hex_arr(Some(s)).ok_or_else(|| StoreError::damaged(format!("refund {id}"))))
            .transpose()
    }
    Ok(RefundRow {
        id,
        sale,
        amount,
        state,
        counter,
        term_id: field(id, term)?,
        date: field(id, date)?,
        time: field(id, time)?,
        balance_before: balance,
        tac: field(id, tac)?,
        uploaded,
    })
}

/// Why a refund could not be journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundBegin {
    /// Journaled with this id.
    Begun(i64),
    /// The sale already has a refund that is not `failed`.
    Refunded(Box<RefundRow>),
}

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl Journal {
    /// Journals the intent to refund `amount` fen of `sale` (before anything is sent to the
    /// card), unless the sale already has a refund that is not `failed`.
    pub fn begin_refund(
        &self,
        sale: &PurchaseRecord,
        amount: u32,
    ) -> Result<RefundBegin, StoreError> {
        if let Some(r) = self.live_refund(&sale.term_id, sale.ttc)? {
            return Ok(RefundBegin::Refunded(Box::new(r)));
        }
        let json = serde_json::to_string(sale).map_err(|e| StoreError(e.to_string()))?;
        let r = self.db.execute(
            "INSERT INTO refunds (sale_term_id, sale_ttc, sale, serial, amount, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                hex::encode_upper(sale.term_id),
                sale.ttc,
                json,
                hex::encode_upper(sale.serial),
                amount,
                RefundState::New
            ],
        );
        match r {
            Ok(_) => Ok(RefundBegin::Begun(self.db.last_insert_rowid())),
            Err(e) if unique_violation(&e) => match self.live_refund(&sale.term_id, sale.ttc)? {
                Some(r) => Ok(RefundBegin::Refunded(Box::new(r))),
                None => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// INITIALIZE FOR LOAD answered: the CREDIT may now reach the card.
    pub fn refund_loading(
        &self,
        id: i64,
        counter: u16,
        term_id: &[u8; 6],
        date: &[u8; 4],
        time: &[u8; 3],
        balance_before: u32,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE refunds SET state=?1, counter=?2, term_id=?3, date=?4, time=?5, balance=?6 \
             WHERE id=?7",
            params![
                RefundState::Loading,
                counter,
                hex::encode_upper(term_id),
                hex::encode_upper(date),
                hex::encode_upper(time),
                balance_before,
                id
            ],
        )?;
        Ok(())
    }

    /// The card took the refund: its TAC, or `None` when only its counter and log showed it.
    /// This row is the refund's receipt.
    pub fn refund_loaded(&self, id: i64, tac: Option<&[u8; 4]>) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE refunds SET state=?1, tac=?2 WHERE id=?3",
            params![RefundState::Loaded, tac.map(hex::encode_upper), id],
        )?;
        Ok(())
    }

    /// No CREDIT was sent, or the card proved it did not take it.
    pub fn refund_failed(&self, id: i64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE refunds SET state=?1 WHERE id=?2",
            params![RefundState::Failed, id],
        )?;
        Ok(())
    }

    /// The refund of the sale of terminal `term_id` with TTC `ttc` that is not `failed`.
    pub fn live_refund(
        &self,
        term_id: &[u8; 6],
        ttc: u32,
    ) -> Result<Option<RefundRow>, StoreError> {
        let r = self
            .db
            .query_row(
                &format!(
                    "SELECT {COLS} FROM refunds WHERE sale_term_id=?1 AND sale_ttc=?2 \
                     AND state != 'failed'"
                ),
                params![hex::encode_upper(term_id), ttc],
                raw,
            )
            .optional()?;
        r.map(decode).transpose()
    }

    pub fn refund(&self, id: i64) -> Result<Option<RefundRow>, StoreError> {
        let r = self
            .db
            .query_row(
                &format!("SELECT {COLS} FROM refunds WHERE id=?1"),
                [id],
                raw,
            )
            .optional()?;
        r.map(decode).transpose()
    }

    /// Every refund, oldest first.
    pub fn refunds(&self) -> Result<Vec<RefundRow>, StoreError> {
        let mut st = self
            .db
            .prepare(&format!("SELECT {COLS} FROM refunds ORDER BY id"))?;
        let v = st.query_map([], raw)?.collect::<Result<Vec<_>, _>>()?;
        v.into_iter().map(decode).collect()
    }

    /// Refunds not in a final state (`new`, `loading`), oldest first.
    pub fn unfinished_refunds(&self) -> Result<Vec<RefundRow>, StoreError> {
        Ok(self
            .refunds()?
            .into_iter()
            .filter(|r| !r.state.is_final())
            .collect())
    }

    /// Loaded refunds not sent to the clearing host yet.
    pub fn refunds_to_upload(&self) -> Result<Vec<RefundRow>, StoreError> {
        Ok(self
            .refunds()?
            .into_iter()
            .filter(|r| r.state == RefundState::Loaded && !r.uploaded)
            .collect())
    }

    pub fn mark_refunds_uploaded(&self, ids: &[i64]) -> Result<(), StoreError> {
        let tx = self.db.unchecked_transaction()?;
        for id in ids {
            tx.execute("UPDATE refunds SET uploaded=1 WHERE id=?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The sale of this journal with TTC `ttc` and whether it completed (a receipt was due:
    /// not a digest error, not a recovered sale without its TAC).
    pub fn sale_by_ttc(&self, ttc: u32) -> Result<Option<(PurchaseRecord, bool)>, StoreError> {
        let mut st = self
            .db
            .prepare("SELECT record, receipt FROM sales ORDER BY rowid")?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<bool>>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (json, receipt) in rows {
            let rec: PurchaseRecord = serde_json::from_str(&json)
                .map_err(|e| StoreError::damaged(format!("sale record: {e}")))?;
            if rec.ttc == ttc {
                let complete = receipt.unwrap_or(!rec.flagged) && !rec.flagged;
                return Ok(Some((rec, complete)));
            }
        }
        Ok(None)
    }

    /// The receipts of the loaded refunds.
    pub(super) fn refund_receipts(&self) -> Result<Vec<Receipt>, StoreError> {
        let mut out = Vec::new();
        for r in self.refunds()? {
            if r.state != RefundState::Loaded {
                continue;
            }
            let bad = || StoreError::damaged(format!("refund {}", r.id));
            out.push(Receipt {
                kind: ReceiptKind::Refund,
                term_id: r.term_id.ok_or_else(bad)?,
                serial: r.sale.serial,
                amount: r.amount,
                balance_after: r.balance_after(),
                counter: r.counter.ok_or_else(bad)?,
                ttc: None,
                tac: match r.tac {
                    Some(t) => ReceiptTac::Known(t),
                    None => ReceiptTac::RefundPending,
                },
                date: r.date.ok_or_else(bad)?,
                time: r.time.ok_or_else(bad)?,
                topup: None,
                merchant: None,
                refund_of: Some(SaleRef {
                    term_id: r.sale.term_id,
                    ttc: r.sale.ttc,
                    amount: r.sale.amount,
                    date: r.sale.date,
                    time: r.sale.time,
                }),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sale(ttc: u32) -> PurchaseRecord {
        PurchaseRecord {
            serial: [0x11; 10],
            counter: 3,
            amount: 1234,
            term_id: [1, 2, 3, 4, 5, 6],
            ttc,
            date: [0x20, 0x26, 0x11, 0x30],
            time: [0x10, 0x00, 0x00],
            tac: [9; 4],
            flagged: false,
            recovered: false,
        }
    }

    #[test]
    fn a_sale_has_one_live_refund_and_the_table_itself_says_so() {
        let j = Journal::open(Path::new(":memory:")).unwrap();
        let RefundBegin::Begun(id) = j.begin_refund(&sale(7), 200).unwrap() else {
            panic!("the first refund is refused")
        };
        assert!(matches!(
            j.begin_refund(&sale(7), 1).unwrap(),
            RefundBegin::Refunded(r) if r.id == id && r.amount == 200
        ));
        // Past the journal's own check, the partial UNIQUE index refuses a second live row.
        let raw = j.db.execute(
            "INSERT INTO refunds (sale_term_id, sale_ttc, sale, serial, amount, state) \
             VALUES ('010203040506', 7, '{}', '11', 5, 'loading')",
            [],
        );
        assert!(unique_violation(&raw.unwrap_err()));
        // Another sale is free; a failed refund frees its sale again.
        assert!(matches!(
            j.begin_refund(&sale(8), 1234).unwrap(),
            RefundBegin::Begun(_)
        ));
        j.refund_failed(id).unwrap();
        assert!(matches!(
            j.begin_refund(&sale(7), 1234).unwrap(),
            RefundBegin::Begun(n) if n != id
        ));
        // No receipt until loaded; the loaded row is the receipt, with its sale.
        assert!(j.receipts().unwrap().is_empty());
        let live = j.live_refund(&[1, 2, 3, 4, 5, 6], 7).unwrap().unwrap();
        j.refund_loading(
            live.id,
            4,
            &[6; 6],
            &[0x20, 0x26, 0x12, 0x01],
            &[9, 0, 0],
            8766,
        )
        .unwrap();
        j.refund_loaded(live.id, Some(&[0xAB; 4])).unwrap();
        let r = j.receipts().unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, ReceiptKind::Refund);
        assert_eq!(r[0].balance_after, Some(8766 + 1234));
        assert_eq!(r[0].refund_of.as_ref().map(|s| s.ttc), Some(7));
        assert!(r[0].render(false).contains("退货 REFUND"));
        // States are kept by name under a CHECK constraint.
        for st in RefundState::ALL {
            assert_eq!(st.as_str().parse::<RefundState>(), Ok(st));
        }
        let bad =
            j.db.execute("UPDATE refunds SET state='refunded' WHERE id=?1", [live.id]);
        assert!(bad.is_err());
    }
}
