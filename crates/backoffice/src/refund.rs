//! Refunds (退货) at the issuer (docs/spec.md §8, "refund"): a sale put right by loading money
//! back to the card it debited. The issuer authorises a refund like a POS load (the card's
//! MAC1 checked, MAC2 returned), but only against a genuine sale (its TAC verifies under the
//! issuer's key), on the same card, for at most the sale's amount, and at most once per sale:
//! before MAC2 leaves, the refund is held pending at the clearing host under the sale's
//! reference (`sale TERMID-TTC`), in one ledger transaction with the check, so two terminals or
//! processes asking at the same time cannot both get one. A pending refund is decided by the
//! card like every move (crate::reconcile); one authorised at the same card counter as a new
//! request never reached the card (its session is gone) and gives way to the new one.

use crate::settle::{ClearingHost, Ledger, Move, MoveKind, MoveState};
use stk_domain::crypto::Mac4;
use stk_domain::issuer::{HostError, RefundRequest};

impl<L: Ledger> ClearingHost<L> {
    /// Authorises refund `r`: checks it against the sale and the ledger, holds it pending at
    /// the clearing host, then answers MAC2 for CREDIT FOR LOAD.
    pub fn authorize_refund(&mut self, r: &RefundRequest) -> Result<Mac4, HostError> {
        let unreachable = |_| HostError::Unreachable;
        self.ledger.batch_begin().map_err(unreachable)?;
        let out = self.refund_in_batch(r);
        // A booking that cannot be written refuses the request: no money moves that the books
        // do not know of.
        match self.ledger.batch_end(out.is_ok()) {
            Ok(()) => out,
            Err(_) if out.is_err() => out,
            Err(_) => Err(HostError::Unreachable),
        }
    }

    fn refund_in_batch(&mut self, r: &RefundRequest) -> Result<Mac4, HostError> {
        let (sale, load) = (&r.sale, &r.load);
        let refuse = |why: String| Err(HostError::RefundRefused(why));
        if sale.serial != load.serial {
            return refuse(format!(
                "the sale was made with card {}, not {}",
                hex::encode_upper(sale.serial),
                hex::encode_upper(load.serial)
            ));
        }
        if load.amount == 0 || load.amount > sale.amount {
            return refuse(format!(
                "{} fen is not a refund of a sale of {} fen",
                load.amount, sale.amount
            ));
        }
        if !self.issuer.purchase_tac_ok(
            &sale.serial,
            sale.amount,
            &sale.term_id,
            sale.ttc,
            &sale.date,
            &sale.time,
            sale.tac,
        ) {
            return refuse("the sale's TAC does not verify: not a sale of this issuer".into());
        }
        let reference = r.reference();
        let m = Move {
            serial: load.serial,
            kind: MoveKind::Refund,
            counter: load.online_counter,
            amount: load.amount,
            term_id: load.term_id,
            date: load.date,
            time: load.time,
            reference: reference.clone(),
        };
        let held = self
            .ledger
            .moves(&load.serial)
            .map_err(|_| HostError::Unreachable)?;
        let mut superseded = Vec::new();
        for old in held
            .iter()
            .filter(|o| o.m.kind == MoveKind::Refund && o.m.reference == reference)
        {
            match old.state {
                MoveState::Void => {}
                MoveState::Booked => {
                    return refuse(format!(
                        "{reference} was refunded already ({} fen at card counter {})",
                        old.m.amount, old.m.counter
                    ));
                }
                // The same request sent again (a resend after a time-out): authorised again.
                MoveState::Pending if old.m == m => {}
                // Authorised at this very counter: its CREDIT never reached the card (the card
                // would have moved past the counter), and its session is gone.
                MoveState::Pending if old.m.counter == m.counter => superseded.push(old.id),
                MoveState::Pending => {
                    return refuse(format!(
                        "a refund of {reference} ({} fen) was authorised at card counter {} and \
                         the card has not shown yet whether it took it: settle with the card \
                         presented first",
                        old.m.amount, old.m.counter
                    ));
                }
            }
        }
        let mac2 = self.issuer.authorize_load(load)?;
        for id in superseded {
            self.ledger
                .resolve_move(
                    id,
                    MoveState::Void,
                    &format!("superseded by a new authorisation at counter {}", m.counter),
                )
                .map_err(|_| HostError::Unreachable)?;
        }
        self.ledger
            .add_move(&m, MoveState::Pending)
            .map_err(|_| HostError::Unreachable)?;
        Ok(mac2)
    }
}
