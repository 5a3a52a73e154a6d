//! Settlement (docs/spec.md §5): the clearing host takes the POS's uploaded offline purchase records,
//! verifies every TAC with the issuer's keys, rejects duplicates and forgeries with a reason,
//! and keeps a shadow balance per card: opening balance + verified loads − accepted purchases,
//! which equals the card's balance once every record is in.
//!
//! Besides purchases the clearing host books every other movement of money ([`Move`]: POS
//! loads, integrated top-ups, over-the-air loads, refunds, bill payments), each pending until
//! proved on the card (crate::reconcile). Storage is behind the [`Ledger`] trait
//! ([`SqliteLedger`], crate::ledger, is the embedded default; an operator-scale database would
//! implement the same methods). The duplicate rule is a UNIQUE key
//! on (serial, counter), so replaying an upload is idempotent. A second UNIQUE key on
//! (termID, TTC) catches a record replayed under another counter: the purchase TAC does not
//! cover the card's counter (docs/spec.md §4), so the TAC alone cannot. A record identical in
//! every field to one already booked is the same sale sent again (an upload whose answer never
//! reached the POS, or a POS killed before it noted the upload): it is reported as already
//! settled, neither booked again nor rejected.

use crate::host::IssuerHost;
pub use crate::ledger::SqliteLedger;
use crate::store::StoreError;
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

/// A movement of money on a card other than an offline purchase record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveKind {
    /// A load at a POS authorised by the issuer host (`pos load`).
    PosLoad,
    /// The load of an integrated top-up (bank card charged at the counter).
    Topup,
    /// A top-up from the wallet's menu, authorised over the air.
    AirLoad,
    /// A refund loaded back to the card against an earlier sale.
    Refund,
    /// A phone bill paid from the purse over the air (a debit).
    Bill,
    /// A wallet closed at the issuer's service desk with money on it: the balance leaves the
    /// card (a debit at its offline counter) and is refunded to the holder.
    Closure,
}

impl MoveKind {
    pub const ALL: [MoveKind; 6] = [
        MoveKind::PosLoad,
        MoveKind::Topup,
        MoveKind::AirLoad,
        MoveKind::Refund,
        MoveKind::Bill,
        MoveKind::Closure,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::PosLoad => "pos-load",
            MoveKind::Topup => "topup",
            MoveKind::AirLoad => "air-load",
            MoveKind::Refund => "refund",
            MoveKind::Bill => "bill",
            MoveKind::Closure => "close-refund",
        }
    }
    /// Credits use the card's online counter; a bill payment and a closure (debits) its
    /// offline counter.
    pub fn is_credit(self) -> bool {
        !matches!(self, MoveKind::Bill | MoveKind::Closure)
    }
    /// The counter space: `online` or `offline`.
    pub fn space(self) -> &'static str {
        if self.is_credit() {
            "online"
        } else {
            "offline"
        }
    }
}

impl std::fmt::Display for MoveKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MoveKind {
    type Err = String;
    fn from_str(s: &str) -> Result<MoveKind, String> {
        MoveKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a kind of move"))
    }
}

/// Where a move stands at the clearing host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveState {
    /// Authorised (or journaled) but not yet proved on the card: not in the shadow balance.
    Pending,
    /// Proved (a TAC that verifies, or the card's counters and log): in the shadow balance.
    Booked,
    /// Proved never to have happened on the card.
    Void,
}

impl MoveState {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveState::Pending => "pending",
            MoveState::Booked => "booked",
            MoveState::Void => "void",
        }
    }
}

impl std::str::FromStr for MoveState {
    type Err = String;
    fn from_str(s: &str) -> Result<MoveState, String> {
        [MoveState::Pending, MoveState::Booked, MoveState::Void]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a move state"))
    }
}

/// One move as the clearing host books it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub serial: [u8; 10],
    pub kind: MoveKind,
    /// The card's online counter (credits) or offline counter (bill) the move used.
    pub counter: u16,
    pub amount: u32,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
    /// The top-up id, the refunded sale, the phone number paid for, …
    pub reference: String,
}

/// A move with its ledger id and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveRow {
    pub id: i64,
    pub state: MoveState,
    pub m: Move,
}

/// A record the clearing host did not pay, and who resolved it (who, when, why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectionRow {
    pub id: i64,
    pub record: PurchaseRecord,
    pub code: Code,
    pub reason: String,
    pub resolved: Option<(String, String, String)>,
}

/// Clearing storage ([`SqliteLedger`] is the embedded default).
pub trait Ledger {
    /// Registers a card's balance at issuance (once; later calls are ignored).
    fn open_card(&mut self, serial: &[u8; 10], balance: u32) -> Result<(), StoreError>;
    /// Registers a card's online and offline counters at issuance (once).
    fn open_counters(
        &mut self,
        serial: &[u8; 10],
        online: u16,
        offline: u16,
    ) -> Result<(), StoreError>;
    fn opening_counters(&mut self, serial: &[u8; 10]) -> Result<Option<(u16, u16)>, StoreError>;
    fn add_purchase(&mut self, r: &PurchaseRecord) -> Result<Insert, StoreError>;
    /// Books (or holds pending) a move. Pending moves may share a counter until the card
    /// decides; a booked move voids the pending ones at its counter, and a proved one also
    /// voids a move only presumed there ([`Ledger::presume_move`]).
    fn add_move(&mut self, m: &Move, state: MoveState) -> Result<Insert, StoreError>;
    /// A booked load known only by card, counter and amount.
    fn add_load(
        &mut self,
        serial: &[u8; 10],
        counter: u16,
        amount: u32,
    ) -> Result<Insert, StoreError> {
        let m = Move {
            serial: *serial,
            kind: MoveKind::Topup,
            counter,
            amount,
            term_id: [0; 6],
            date: [0; 4],
            time: [0; 3],
            reference: String::new(),
        };
        self.add_move(&m, MoveState::Booked)
    }
    fn pending_moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError>;
    /// Every move of a card, oldest first.
    fn moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError>;
    fn resolve_move(&mut self, id: i64, state: MoveState, note: &str) -> Result<(), StoreError>;
    /// Books pending move `id` on the card's counter alone: the counter passed it but the
    /// card's log no longer holds the record, so which move used the counter is presumed. A
    /// move proved later at that counter (a load whose TAC verifies, an integrated top-up the
    /// card loaded, a purchase record) voids it and is booked instead.
    fn presume_move(&mut self, id: i64, note: &str) -> Result<(), StoreError>;
    /// A card's moves booked on its counter alone ([`Ledger::presume_move`]), oldest first.
    fn presumed_moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError>;
    /// The counters booked: (online, offline), each ascending.
    fn booked_counters(&mut self, serial: &[u8; 10]) -> Result<(Vec<u16>, Vec<u16>), StoreError>;
    /// Keeps a rejected record (once per record and reason) until it is resolved.
    fn add_rejection(
        &mut self,
        r: &PurchaseRecord,
        code: Code,
        reason: &str,
    ) -> Result<(), StoreError>;
    fn rejections(&mut self, open_only: bool) -> Result<Vec<RejectionRow>, StoreError>;
    /// Closes rejection `id` with who, when and why; `false` if there is no such open one.
    fn resolve_rejection(
        &mut self,
        id: i64,
        by: &str,
        at: &str,
        why: &str,
    ) -> Result<bool, StoreError>;
    /// Starts a batch: what follows until [`Ledger::batch_end`] is written at once (an upload
    /// is booked whole or not at all). The default does nothing.
    fn batch_begin(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Ends the batch: `commit` writes it, otherwise it is dropped.
    fn batch_end(&mut self, _commit: bool) -> Result<(), StoreError> {
        Ok(())
    }
    /// Opening balance, booked credits, debits (purchases and booked bills); `None` for an
    /// unknown card.
    fn totals(&mut self, serial: &[u8; 10]) -> Result<Option<(u64, u64, u64)>, StoreError>;
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

    /// Verifies and books one upload, in one batch (all of it or none).
    pub fn settle(&mut self, records: &[PurchaseRecord]) -> Result<SettleReport, StoreError> {
        self.ledger.batch_begin()?;
        let r = self.settle_records(records);
        self.ledger.batch_end(r.is_ok())?;
        r
    }

    fn settle_records(&mut self, records: &[PurchaseRecord]) -> Result<SettleReport, StoreError> {
        let mut rep = SettleReport::default();
        // Each card's TAC key is diversified once per upload (two 3DES blocks and their key
        // schedules), not once per record: an upload carries many records of one card.
        let mut keys: std::collections::HashMap<[u8; 10], [u8; 8]> =
            std::collections::HashMap::new();
        for r in records {
            let key = keys
                .entry(r.serial)
                .or_insert_with(|| self.issuer.tac_key(&r.serial));
            let ok = IssuerHost::purchase_tac_ok_with(
                key, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac,
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
                    self.ledger.add_rejection(r, code, &reason)?;
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
        self.book_load_as(l, MoveKind::PosLoad, "")
    }

    /// Books a load receipt as a move of `kind`: booked if its TAC verifies, otherwise held
    /// pending until the card's counters and log decide. `true` if the TAC verified.
    pub fn book_load_as(
        &mut self,
        l: &LoadReceipt,
        kind: MoveKind,
        reference: &str,
    ) -> Result<bool, StoreError> {
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
        let m = Move {
            serial: l.serial,
            kind,
            counter: l.counter,
            amount: l.amount,
            term_id: l.term_id,
            date: l.date,
            time: l.time,
            reference: reference.to_string(),
        };
        let state = if ok {
            MoveState::Booked
        } else {
            MoveState::Pending
        };
        self.ledger.add_move(&m, state)?;
        Ok(ok)
    }

    /// Opening + booked credits − debits, or `None` for an unknown card (or a negative
    /// result: see [`ClearingHost::shadow`]).
    pub fn shadow_balance(&mut self, serial: &[u8; 10]) -> Result<Option<u32>, StoreError> {
        Ok(self.shadow(serial)?.and_then(|v| u32::try_from(v).ok()))
    }

    /// Opening + booked credits − debits, signed (a negative value means the ledger holds
    /// debits the card's opening balance and booked credits cannot pay for: loads not booked
    /// yet); `None` for an unknown card.
    pub fn shadow(&mut self, serial: &[u8; 10]) -> Result<Option<i64>, StoreError> {
        Ok(self
            .ledger
            .totals(serial)?
            .map(|(o, l, p)| o as i64 + l as i64 - p as i64))
    }
}
