//! Reconciliation of one card (docs/spec.md §5, "settlement that sees every fen"): the clearing
//! host's shadow balance against the balance the card itself shows, with every difference named.
//!
//! 1. Moves held pending (authorised over the air, a POS load whose end the terminal did not
//!    see, a load whose TAC did not verify) are decided from the card: its counter has passed
//!    the move's and its log holds the move → booked; its counter has not passed it, or the log
//!    holds another transaction at that counter → void. A counter passed whose record the log
//!    no longer holds books the move as presumed: a move proved at that counter later (uploaded
//!    from another terminal) voids it and is booked instead.
//! 2. Every counter the card has used since issuance and the ledger has not booked is named: the
//!    card's log gives its amount while it still holds the record (last ten), an open rejection
//!    names a record that was not paid.
//! 3. The difference is explained when the named records account for it to the fen; a counter
//!    whose amount only its upload will tell leaves it explained by name. A counter the ledger
//!    booked that the card has not reached is never explained.

use crate::settle::{Ledger, MoveState};
use crate::store::StoreError;
use stk_domain::crypto::{TYPE_LOAD, TYPE_PURCHASE};
use stk_domain::records::HistoryEntry;

/// What the card shows (read from the card or its image).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardView {
    pub serial: [u8; 10],
    pub balance: u32,
    pub online_counter: u16,
    pub offline_counter: u16,
    /// The card's log, newest first (at most ten records).
    pub log: Vec<HistoryEntry>,
}

/// A pending move this reconciliation decided.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decided {
    pub kind: String,
    pub counter: u16,
    pub amount: u32,
    pub reference: String,
    pub state: MoveState,
    pub why: String,
}

/// A transaction the card made that the ledger has not booked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outstanding {
    /// `debit` (offline counter) or `credit` (online counter).
    pub side: &'static str,
    pub counter: u16,
    /// From the card's log; `None` once the log no longer holds it.
    pub amount: Option<u32>,
    /// termID of the terminal that made it, when the log holds it.
    pub term_id: Option<String>,
    /// What it is and why it is not booked.
    pub why: String,
}

impl Outstanding {
    /// What it adds to shadow − card: a debit not booked keeps the shadow higher.
    pub fn effect(&self) -> Option<i64> {
        let a = i64::from(self.amount?);
        Some(if self.side == "debit" { a } else { -a })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    pub serial: String,
    /// The clearing host's shadow balance in fen (negative when the ledger holds debits its
    /// booked credits cannot pay for).
    pub shadow: i64,
    pub card: u32,
    /// shadow − card.
    pub difference: i64,
    pub decided: Vec<Decided>,
    pub outstanding: Vec<Outstanding>,
    /// Counters the ledger booked that the card has not reached (never explained).
    pub phantom: Vec<String>,
    pub explained: bool,
}

impl Reconciliation {
    /// Records named without an amount.
    pub fn unknown(&self) -> usize {
        self.outstanding
            .iter()
            .filter(|o| o.amount.is_none())
            .count()
    }
}

fn logged(card: &CardView, counter: u16, tx_type: u8) -> Option<&HistoryEntry> {
    card.log
        .iter()
        .find(|e| e.counter == counter && e.tx_type == tx_type)
}

/// Decides the card's pending moves, then compares (see the module docs). `None` for a card the
/// ledger does not know.
pub fn reconcile(
    ledger: &mut impl Ledger,
    card: &CardView,
) -> Result<Option<Reconciliation>, StoreError> {
    let mut decided = Vec::new();
    for p in ledger.pending_moves(&card.serial)? {
        let m = &p.m;
        let (on, off) = ledger.booked_counters(&card.serial)?;
        let taken = if m.kind.is_credit() { on } else { off };
        let (now, ty) = if m.kind.is_credit() {
            (card.online_counter, TYPE_LOAD)
        } else {
            (card.offline_counter, TYPE_PURCHASE)
        };
        let mut presumed = false;
        let (state, why) = if taken.binary_search(&m.counter).is_ok() {
            (
                MoveState::Void,
                format!("counter {} is booked for another transaction", m.counter),
            )
        } else if now <= m.counter {
            (
                MoveState::Void,
                format!(
                    "the card's {} counter is {now}: it never used {}",
                    m.kind.space(),
                    m.counter
                ),
            )
        } else {
            match logged(card, m.counter, ty) {
                Some(e) if e.amount == m.amount && e.term_id == m.term_id => (
                    MoveState::Booked,
                    format!("the card's log holds it at counter {}", m.counter),
                ),
                Some(e) => (
                    MoveState::Void,
                    format!(
                        "the card's log holds another transaction at counter {} ({} fen, term {})",
                        m.counter,
                        e.amount,
                        hex::encode_upper(e.term_id)
                    ),
                ),
                // Another move not uploaded yet may have used the counter: booked as
                // presumed, which a move proved there later overrules.
                None => {
                    presumed = true;
                    (
                        MoveState::Booked,
                        format!(
                            "the card's counter passed {} (its log no longer holds the record; \
                             presumed until a move proved at that counter)",
                            m.counter
                        ),
                    )
                }
            }
        };
        if presumed {
            ledger.presume_move(p.id, &why)?;
        } else {
            ledger.resolve_move(p.id, state, &why)?;
        }
        decided.push(Decided {
            kind: m.kind.to_string(),
            counter: m.counter,
            amount: m.amount,
            reference: m.reference.clone(),
            state,
            why,
        });
    }
    let Some((opening, credits, debits)) = ledger.totals(&card.serial)? else {
        return Ok(None);
    };
    let shadow = opening as i64 + credits as i64 - debits as i64;
    let difference = shadow - i64::from(card.balance);
    let (on_booked, off_booked) = ledger.booked_counters(&card.serial)?;
    let (on0, off0) = ledger
        .opening_counters(&card.serial)?
        .unwrap_or((card.online_counter, card.offline_counter));
    let rejected: Vec<_> = ledger
        .rejections(false)?
        .into_iter()
        .filter(|r| r.record.serial == card.serial)
        .collect();
    let mut outstanding = Vec::new();
    for (side, from, to, booked, ty) in [
        (
            "debit",
            off0,
            card.offline_counter,
            &off_booked,
            TYPE_PURCHASE,
        ),
        ("credit", on0, card.online_counter, &on_booked, TYPE_LOAD),
    ] {
        for c in from..to {
            if booked.binary_search(&c).is_ok() {
                continue;
            }
            let e = logged(card, c, ty);
            let rej = (side == "debit")
                .then(|| rejected.iter().find(|r| r.record.counter == c))
                .flatten();
            let why = match (rej, e) {
                (Some(r), _) => match &r.resolved {
                    None => format!(
                        "rejected #{} ({}), not resolved: {}",
                        r.id, r.code, r.reason
                    ),
                    Some((by, at, why)) => format!(
                        "rejected #{} ({}), resolved by {by} at {at}: {why}",
                        r.id, r.code
                    ),
                },
                (None, Some(_)) => "on the card, not uploaded yet".to_string(),
                (None, None) => {
                    "on the card, not uploaded yet (no longer in its log: amount unknown)"
                        .to_string()
                }
            };
            outstanding.push(Outstanding {
                side,
                counter: c,
                amount: e.map(|e| e.amount).or(rej.map(|r| r.record.amount)),
                term_id: e.map(|e| hex::encode_upper(e.term_id)),
                why,
            });
        }
    }
    let mut phantom = Vec::new();
    for (space, from, to, booked) in [
        ("offline", off0, card.offline_counter, &off_booked),
        ("online", on0, card.online_counter, &on_booked),
    ] {
        for c in booked.iter().filter(|c| !(from..to).contains(*c)) {
            phantom.push(format!(
                "{space} counter {c} is booked but the card's counters run {from}..{to}"
            ));
        }
    }
    let known: i64 = outstanding.iter().filter_map(Outstanding::effect).sum();
    // A difference the named records do not account for may lie in a move booked on a counter
    // alone: another move not uploaded yet may have used that counter (its upload will tell).
    if known != difference {
        for p in ledger.presumed_moves(&card.serial)? {
            outstanding.push(Outstanding {
                side: if p.m.kind.is_credit() {
                    "credit"
                } else {
                    "debit"
                },
                counter: p.m.counter,
                amount: None,
                term_id: None,
                why: format!(
                    "{} of {} fen booked on the counter alone (the card's log no longer holds \
                     the record): a move at that counter not uploaded yet would replace it",
                    p.m.kind, p.m.amount
                ),
            });
        }
    }
    let unknown = outstanding.iter().any(|o| o.amount.is_none());
    let explained = phantom.is_empty() && (unknown || known == difference);
    Ok(Some(Reconciliation {
        serial: hex::encode_upper(card.serial),
        shadow,
        card: card.balance,
        difference,
        decided,
        outstanding,
        phantom,
        explained,
    }))
}
