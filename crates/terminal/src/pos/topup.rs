//! Integrated top-up at a counter (docs/spec.md §5): the till gives the amount; the POS charges the
//! customer's bank card at the acquirer, loads the wallet, and confirms the charge. If the load
//! cannot be completed, the card's online counter decides whether it happened after all (the
//! journal keeps the counter INITIALIZE FOR LOAD answered, before the CREDIT goes out; GET
//! TRANSACTION PROOF and the log supply the TAC and cross-check): if so the charge is confirmed,
//! if not it is reversed. Reversals go through the
//! journal's store-and-forward queue and are retried until the acquirer acknowledges them.
//!
//! Every step is journaled ([`Journal`]) *before* the step it enables, so a POS killed anywhere
//! resumes with [`Pos::resume`]: `new`/`charged` → reverse (no CREDIT was sent), `loading` →
//! ask the card, `loaded` → confirm, `reversing` → deliver the reversal.

use super::recovery::Evidence;
use super::{CardInfo, HistoryEntry, Pos, PosError};
use crate::acquirer::{AcquirerHost, StoreError};
use crate::card::command::TxKind;
use crate::crypto::TYPE_LOAD;
use crate::errors::Code;
use crate::host::{HostError, IssuerLink, LoadRequest};
use crate::journal::{Journal, TopupRow, TopupState};
use crate::transport::Transport;

impl From<StoreError> for PosError {
    fn from(e: StoreError) -> PosError {
        PosError::Unexpected {
            step: "journal",
            why: e.to_string(),
        }
    }
}

/// How a top-up ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopupOutcome {
    /// The wallet was loaded and the charge confirmed (or its confirmation is pending).
    Loaded { tac: [u8; 4] },
    /// The wallet was not loaded; the charge's reversal is queued (acknowledged or not).
    Reversed { acknowledged: bool },
}

impl TopupOutcome {
    /// The catalogue code to show: `H-REVERSAL-PENDING` while the reversal is not acknowledged.
    pub fn code(&self) -> Option<Code> {
        match self {
            TopupOutcome::Reversed {
                acknowledged: false,
            } => Some(Code::HReversalPending),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupReport {
    pub txn: String,
    pub outcome: TopupOutcome,
    pub steps: Vec<String>,
}

impl<C: Transport, S: Transport> Pos<C, S> {
    /// The integrated top-up of `amount` fen charged to bank card `pan`. `pause` is called
    /// after each journaled step with its name (the CLI prints it; the crash test sleeps).
    #[allow(clippy::too_many_arguments)]
    pub fn topup(
        &mut self,
        journal: &Journal,
        issuer: &impl IssuerLink,
        acquirer: &impl AcquirerHost,
        pan: &str,
        amount: u32,
        pin: &str,
        pause: &mut dyn FnMut(&str),
    ) -> Result<TopupReport, PosError> {
        let term_id = self.term_id()?;
        let txn = journal.begin_topup(pan, amount, &term_id)?;
        let mut steps = vec![format!("journaled top-up {txn}")];
        pause("journaled");
        // A tap powers the card up (a card torn on an earlier tap recovers here).
        let tap = self.card.reset().map_err(|err| PosError::Transport {
            step: "power up",
            err,
        });
        // An expired application is refused before the password, the card and the bank card.
        let info = match tap
            .and_then(|_| self.select())
            .and_then(|i| {
                self.check_expiry(&i, "no top-up, the bank card was not charged")
                    .map(|()| i)
            })
            .and_then(|i| self.verify_pin(pin).map(|()| i))
        {
            Ok(i) => i,
            Err(e) => {
                journal.set_state(&txn, TopupState::Failed)?;
                return Err(e);
            }
        };
        // Read the card first (the manual's order): INITIALIZE FOR LOAD answers the balance and
        // the load key's version, and the card refuses there a closed wallet or a load past its
        // balance cap. Nothing is charged until the load can succeed.
        let read = self
            .initialize(TxKind::Load, amount, term_id)
            .and_then(|init| {
                let a = stk_domain::codec::InitLoadAnswer::parse(&init)?;
                Ok(((a.balance, a.key_version), init))
            });
        let (init, balance_before) = match read {
            Ok(((balance, key_version), init)) => {
                if !issuer.host().has_load_key(self.load_key_index) {
                    journal.set_state(&txn, TopupState::Failed)?;
                    return Err(PosError::LoadRefused {
                        why: format!(
                            "the issuer holds no load key with index {:02X} (card key version {key_version:02X}): sign the terminal in again",
                            self.load_key_index
                        ),
                    });
                }
                // A key the issuer rolled over is refused before the bank card is charged.
                if let Err(e) = issuer.host().check_load_key(self.load_key_index) {
                    journal.set_state(&txn, TopupState::Failed)?;
                    return Err(e.into());
                }
                steps.push(format!(
                    "card read: balance {balance} fen, {amount} fen fits its cap, load key version {key_version:02X}"
                ));
                (init, balance)
            }
            Err(e) => {
                journal.set_state(&txn, TopupState::Failed)?;
                return Err(match e {
                    PosError::Card { step, sw, .. } => PosError::LoadRefused {
                        why: format!(
                            "{step}: the card answered {sw} ({})",
                            crate::errors::render_for(sw)
                                .lines()
                                .next()
                                .unwrap_or_default()
                        ),
                    },
                    e => e,
                });
            }
        };
        match acquirer.charge(&txn, pan, amount) {
            Ok(()) => {
                journal.set_state(&txn, TopupState::Charged)?;
                steps.push(format!("bank card charged {amount} fen"));
            }
            // Refused: this request charged nothing. A conflict's charge is another
            // request's, so it must not be reversed either.
            Err(e @ (HostError::Declined(_) | HostError::Conflict(_))) => {
                journal.set_state(&txn, TopupState::Failed)?;
                return Err(PosError::Host(e));
            }
            Err(e) => {
                // The charge may have gone through: reverse it (a no-op if it did not).
                steps.push(format!("charge outcome unknown ({e}): reversing"));
                return self.reverse(journal, acquirer, txn, steps);
            }
        }
        pause("charged");
        let (date, time) = self.clock.now();
        let req = LoadRequest::from_init(
            info.serial,
            self.load_key_index,
            &init,
            amount,
            term_id,
            date,
            time,
        );
        let counter = req.online_counter;
        journal.loading(
            &txn,
            &info.serial,
            counter,
            &date,
            &time,
            balance_before.saturating_add(amount),
        )?;
        pause("loading");
        let mac2 = match issuer.authorize_load(&req) {
            Ok(m) => m,
            Err(e) => {
                // No CREDIT was sent: the card cannot have been loaded.
                steps.push(format!("the issuer did not authorise ({e}): reversing"));
                return self.reverse(journal, acquirer, txn, steps);
            }
        };
        let r = self.credit_for_load(date, time, mac2);
        let row = journal
            .topup(&txn)?
            .ok_or_else(|| StoreError(format!("top-up {txn} vanished from the journal")))?;
        match r {
            Ok(tac) => {
                steps.push("wallet loaded".into());
                self.finish_loaded(journal, acquirer, &row, tac, steps, pause)
            }
            Err(e) => {
                steps.push(format!("CREDIT FOR LOAD failed ({e}): asking the card"));
                self.settle_in_doubt(journal, acquirer, &row, steps, pause)
            }
        }
    }

    fn finish_loaded(
        &mut self,
        journal: &Journal,
        acquirer: &impl AcquirerHost,
        row: &TopupRow,
        tac: [u8; 4],
        mut steps: Vec<String>,
        pause: &mut dyn FnMut(&str),
    ) -> Result<TopupReport, PosError> {
        journal.loaded(&row.txn, &tac)?;
        pause("loaded");
        match acquirer.confirm(&row.txn) {
            Ok(()) => {
                journal.set_state(&row.txn, TopupState::Done)?;
                steps.push("charge confirmed".into());
            }
            Err(e) => steps.push(format!("confirmation not delivered ({e}): retried later")),
        }
        Ok(TopupReport {
            txn: row.txn.clone(),
            outcome: TopupOutcome::Loaded { tac },
            steps,
        })
    }

    /// A `loading` top-up: the CREDIT may or may not have reached the card.
    fn settle_in_doubt(
        &mut self,
        journal: &Journal,
        acquirer: &impl AcquirerHost,
        row: &TopupRow,
        mut steps: Vec<String>,
        pause: &mut dyn FnMut(&str),
    ) -> Result<TopupReport, PosError> {
        pause("in doubt");
        let (tac, why) = match self.load_on_card(row)? {
            Evidence::Proof(p) => (
                p.tac,
                "online counter moved on; GET TRANSACTION PROOF: the load happened".to_string(),
            ),
            Evidence::Logged(n) => (
                [0; 4],
                format!("online counter moved on; log record {n} is this load: it happened"),
            ),
            Evidence::CounterOnly(now) => (
                [0; 4],
                format!(
                    "online counter {now} is past the {} INITIALIZE answered: the load happened",
                    row.counter.unwrap_or_default()
                ),
            ),
            Evidence::NotDone(why) => {
                steps.push(format!("the card has no such load ({why}); reversing"));
                return self.reverse(journal, acquirer, row.txn.clone(), steps);
            }
        };
        steps.push(format!("{why}; confirming"));
        self.finish_loaded(journal, acquirer, row, tac, steps, pause)
    }

    /// Asks the card (power-up, select, its online counter, GET TRANSACTION PROOF, log) whether
    /// `row`'s load happened. Errors if the card is not there, is another card or answers
    /// anything that is not a proof either way.
    fn load_on_card(&mut self, row: &TopupRow) -> Result<Evidence, PosError> {
        let (Some(serial), Some(counter), Some(date), Some(time), Some(term)) =
            (row.serial, row.counter, row.date, row.time, row.term_id)
        else {
            return Err(PosError::Unexpected {
                step: "recovery",
                why: format!("top-up {} lacks its load details", row.txn),
            });
        };
        self.card.reset().map_err(|err| PosError::Transport {
            step: "power up",
            err,
        })?;
        let info: CardInfo = self.select()?;
        if info.serial != serial {
            return Err(PosError::Unexpected {
                step: "recovery",
                why: format!(
                    "top-up {} is in doubt on card {}: present that card",
                    row.txn,
                    hex::encode_upper(serial)
                ),
            });
        }
        self.decide(&HistoryEntry {
            counter,
            amount: row.amount,
            tx_type: TYPE_LOAD,
            term_id: term,
            date,
            time,
        })
    }

    fn reverse(
        &mut self,
        journal: &Journal,
        acquirer: &impl AcquirerHost,
        txn: String,
        mut steps: Vec<String>,
    ) -> Result<TopupReport, PosError> {
        journal.queue_reversal(&txn)?;
        steps.push("reversal queued".into());
        let left = drain_reversals(journal, acquirer, &mut steps)?;
        let acknowledged = !left.contains(&txn);
        Ok(TopupReport {
            txn,
            outcome: TopupOutcome::Reversed { acknowledged },
            steps,
        })
    }

    /// After a restart (or on any tap): resolves every unfinished top-up and drains the
    /// reversal queue. Top-ups whose card is needed but absent stay unfinished.
    pub fn resume(
        &mut self,
        journal: &Journal,
        acquirer: &impl AcquirerHost,
        pause: &mut dyn FnMut(&str),
    ) -> Result<Vec<String>, PosError> {
        let mut steps = Vec::new();
        for row in journal.unfinished_topups()? {
            match row.state {
                // No CREDIT was sent for these: reverse whatever the bank may hold.
                TopupState::New | TopupState::Charged => {
                    steps.push(format!(
                        "{}: interrupted in state {}: reversing",
                        row.txn, row.state
                    ));
                    journal.queue_reversal(&row.txn)?;
                }
                TopupState::Loading => {
                    steps.push(format!("{}: load in doubt: asking the card", row.txn));
                    match self.settle_in_doubt(journal, acquirer, &row, Vec::new(), pause) {
                        Ok(r) => {
                            steps.extend(r.steps.into_iter().map(|s| format!("{}: {s}", row.txn)))
                        }
                        Err(e) => steps.push(format!("{}: still in doubt: {e}", row.txn)),
                    }
                }
                TopupState::Loaded => match acquirer.confirm(&row.txn) {
                    Ok(()) => {
                        journal.set_state(&row.txn, TopupState::Done)?;
                        steps.push(format!("{}: charge confirmed", row.txn));
                    }
                    Err(e) => steps.push(format!("{}: confirmation not delivered: {e}", row.txn)),
                },
                _ => {}
            }
        }
        drain_reversals(journal, acquirer, &mut steps)?;
        Ok(steps)
    }
}

/// Tries every pending reversal once, logging each try; returns the txns still pending. A
/// reversal that has failed as many tries as the terminal's parameters allow leaves the
/// automatic queue for a person (`H-REVERSAL-MANUAL`): `pos reversals` lists it, and it is
/// resolved by hand with who, when and why.
pub fn drain_reversals(
    journal: &Journal,
    acquirer: &impl AcquirerHost,
    steps: &mut Vec<String>,
) -> Result<Vec<String>, StoreError> {
    let limit = journal.params()?.reversal_tries;
    let mut left = Vec::new();
    for p in journal.pending_reversals()? {
        let n = journal.log_try(&p.txn)?;
        match acquirer.reverse(&p.txn) {
            Ok(()) => {
                journal.try_outcome(&p.txn, n, "acknowledged", true)?;
                steps.push(format!("{}: reversal try {n} acknowledged", p.txn));
            }
            Err(e) => {
                journal.try_outcome(&p.txn, n, &e.to_string(), false)?;
                if n >= limit {
                    journal.to_manual(&p.txn, n)?;
                    steps.push(format!(
                        "{}: reversal try {n} failed ({e}): {} after {n} tries: \
                         `stk-wallet pos reversals` lists it",
                        p.txn,
                        Code::HReversalManual
                    ));
                } else {
                    steps.push(format!(
                        "{}: reversal try {n} failed ({e}): {}",
                        p.txn,
                        Code::HReversalPending
                    ));
                }
                left.push(p.txn);
            }
        }
    }
    Ok(left)
}
