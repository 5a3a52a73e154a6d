//! Refund (退货) of a sale at the terminal that made it (docs/spec.md §8, "refund"): the money
//! goes back to the card the sale debited as an online load (INITIALIZE FOR LOAD, the issuer's
//! MAC2, CREDIT FOR LOAD), which the issuer authorises against the sale.
//!
//! Every step is journaled ([`Journal`], `refunds`) before the step it enables: the intent
//! (`new`) before the card is asked anything that could move money, the card's counter
//! (`loading`) before the issuer is asked for MAC2, the TAC (`loaded`) as the card answers. A
//! POS killed anywhere is put right by [`Pos::resume_refunds`] (`pos resume`): `new` → failed
//! (no CREDIT can have been sent), `loading` → the card's online counter, GET TRANSACTION PROOF
//! and log decide, as for every load in doubt.

use super::recovery::Evidence;
use super::{CardInfo, HistoryEntry, Pos, PosError};
use crate::card::command::TxKind;
use crate::crypto::{Mac4, TYPE_LOAD};
use crate::errors::Code;
use crate::host::{HostError, LoadRequest};
use crate::journal::{Journal, RefundBegin, RefundRow, RefundState};
use crate::transport::Transport;
use stk_domain::issuer::RefundRequest;
use stk_domain::records::PurchaseRecord;

/// How the issuer is asked to authorise a refund (the CLI goes through the terminal's host
/// link to the clearing host's ledger).
pub type RefundIssuer<'a> = &'a dyn Fn(&RefundRequest) -> Result<Mac4, HostError>;

/// How a refund ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundReport {
    /// The journal row as the flow left it (`loaded`).
    pub row: RefundRow,
    pub steps: Vec<String>,
}

fn refused(code: Code, why: String) -> PosError {
    PosError::Refused { code, why }
}

impl<C: Transport, S: Transport> Pos<C, S> {
    /// Refunds `amount` fen of `sale` (a completed sale of this terminal's journal) to the card
    /// it debited. `pause` is called after each journaled step with its name.
    #[allow(clippy::too_many_arguments)]
    pub fn refund(
        &mut self,
        journal: &Journal,
        issuer: RefundIssuer<'_>,
        sale: &PurchaseRecord,
        amount: u32,
        pin: &str,
        pause: &mut dyn FnMut(&str),
    ) -> Result<RefundReport, PosError> {
        if amount == 0 || amount > sale.amount {
            return Err(refused(
                Code::PRefundAmount,
                format!(
                    "a refund of {} yuan is more than the sale of {} yuan (TTC {}) took",
                    super::yuan(amount),
                    super::yuan(sale.amount),
                    sale.ttc
                ),
            ));
        }
        if let Some(r) = journal.live_refund(&sale.term_id, sale.ttc)? {
            return Err(already(&r));
        }
        let info = self.tap()?;
        if info.serial != sale.serial {
            return Err(wrong_card(sale, &info));
        }
        // An expired application takes no credit: the refund is refused before it is journaled.
        self.check_expiry(
            &info,
            "no refund, nothing was credited; refund the customer another way",
        )?;
        self.verify_pin(pin)?;
        let id = match journal.begin_refund(sale, amount)? {
            RefundBegin::Begun(id) => id,
            RefundBegin::Refunded(r) => return Err(already(&r)),
        };
        let mut steps = vec![format!(
            "journaled refund {id} of {} yuan for sale TTC {}",
            super::yuan(amount),
            sale.ttc
        )];
        pause("journaled");
        let term_id = self.term_id()?;
        let (date, time) = self.clock.now();
        let init = match self.initialize(TxKind::Load, amount, term_id) {
            Ok(i) => i,
            Err(e) => {
                journal.refund_failed(id)?;
                return Err(e);
            }
        };
        let req = LoadRequest::from_init(
            info.serial,
            self.load_key_index,
            &init,
            amount,
            term_id,
            date,
            time,
        );
        journal.refund_loading(id, req.online_counter, &term_id, &date, &time, req.balance)?;
        steps.push(format!(
            "card read: balance {} yuan, online counter {}",
            super::yuan(req.balance),
            req.online_counter
        ));
        pause("loading");
        let mac2 = match issuer(&RefundRequest {
            load: req,
            sale: sale.clone(),
        }) {
            Ok(m) => m,
            Err(e) => {
                // No CREDIT was sent: the card cannot have been loaded.
                journal.refund_failed(id)?;
                return Err(e.into());
            }
        };
        steps.push("the issuer authorised the refund".into());
        pause("authorised");
        match self.credit_for_load(date, time, mac2) {
            Ok(tac) => {
                journal.refund_loaded(id, Some(&tac))?;
                steps.push("refund loaded".into());
                pause("loaded");
            }
            Err(e) => {
                steps.push(format!("CREDIT FOR LOAD failed ({e}): asking the card"));
                let row = journal.refund(id)?.ok_or_else(|| vanished(id))?;
                self.refund_in_doubt(journal, &row, &mut steps)?;
            }
        }
        let row = journal.refund(id)?.ok_or_else(|| vanished(id))?;
        if row.state != RefundState::Loaded {
            return Err(PosError::Unexpected {
                step: "refund",
                why: format!("the card did not take refund {id}: {}", steps.join("; ")),
            });
        }
        Ok(RefundReport { row, steps })
    }

    /// A `loading` refund: whether its CREDIT reached the card. Errors (the card absent, another
    /// card, no proof either way) leave it `loading` for the next `pos resume`.
    fn refund_in_doubt(
        &mut self,
        journal: &Journal,
        row: &RefundRow,
        steps: &mut Vec<String>,
    ) -> Result<(), PosError> {
        let (Some(counter), Some(term), Some(date), Some(time)) =
            (row.counter, row.term_id, row.date, row.time)
        else {
            return Err(PosError::Unexpected {
                step: "recovery",
                why: format!("refund {} lacks its load details", row.id),
            });
        };
        self.card.reset().map_err(|err| PosError::Transport {
            step: "power up",
            err,
        })?;
        let info: CardInfo = self.select()?;
        if info.serial != row.sale.serial {
            return Err(wrong_card(&row.sale, &info));
        }
        let evidence = self.decide(&HistoryEntry {
            counter,
            amount: row.amount,
            tx_type: TYPE_LOAD,
            term_id: term,
            date,
            time,
        })?;
        match evidence {
            Evidence::Proof(p) => {
                journal.refund_loaded(row.id, Some(&p.tac))?;
                steps.push(format!(
                    "online counter past {counter}; GET TRANSACTION PROOF: the refund was loaded"
                ));
            }
            Evidence::Logged(n) => {
                journal.refund_loaded(row.id, None)?;
                steps.push(format!(
                    "online counter past {counter}; log record {n} is this refund: it was \
                     loaded (no TAC: the card decides it at settlement)"
                ));
            }
            Evidence::CounterOnly(now) => {
                journal.refund_loaded(row.id, None)?;
                steps.push(format!(
                    "online counter {now} is past {counter}: the refund was loaded (no TAC: the \
                     card decides it at settlement)"
                ));
            }
            Evidence::NotDone(why) => {
                journal.refund_failed(row.id)?;
                steps.push(format!("the card has no such load ({why}): refund failed"));
            }
        }
        Ok(())
    }

    /// After a restart: decides every unfinished refund (see the module docs). A refund whose
    /// card is absent, or another card, stays unfinished.
    pub fn resume_refunds(
        &mut self,
        journal: &Journal,
        pause: &mut dyn FnMut(&str),
    ) -> Result<Vec<String>, PosError> {
        let mut steps = Vec::new();
        for row in journal.unfinished_refunds()? {
            let name = format!("refund {} (sale TTC {})", row.id, row.sale.ttc);
            match row.state {
                RefundState::New => {
                    journal.refund_failed(row.id)?;
                    steps.push(format!(
                        "{name}: interrupted before the card's counter was journaled: no CREDIT \
                         was sent; failed (the sale can be refunded again)"
                    ));
                }
                RefundState::Loading => {
                    pause("in doubt");
                    let mut s = Vec::new();
                    match self.refund_in_doubt(journal, &row, &mut s) {
                        Ok(()) => steps.extend(s.into_iter().map(|x| format!("{name}: {x}"))),
                        Err(e) => steps.push(format!("{name}: still in doubt: {e}")),
                    }
                }
                _ => {}
            }
        }
        Ok(steps)
    }
}

fn vanished(id: i64) -> PosError {
    PosError::Unexpected {
        step: "journal",
        why: format!("refund {id} vanished from the journal"),
    }
}

fn already(r: &RefundRow) -> PosError {
    refused(
        Code::PRefunded,
        format!(
            "the sale of TTC {} ({} yuan) already has refund {} of {} yuan ({}): a sale is \
             refunded once",
            r.sale.ttc,
            super::yuan(r.sale.amount),
            r.id,
            super::yuan(r.amount),
            match r.state {
                RefundState::Loaded => "loaded",
                _ => "in doubt: `pos resume` with the card decides it",
            }
        ),
    )
}

fn wrong_card(sale: &PurchaseRecord, info: &CardInfo) -> PosError {
    refused(
        Code::PWrongCard,
        format!(
            "the sale of TTC {} was made with card {}, this is card {}: nothing was sent to it",
            sale.ttc,
            crate::receipt::mask_serial(&sale.serial),
            crate::receipt::mask_serial(&info.serial)
        ),
    )
}
