//! Integrated top-up with an acquirer: reversal and store-and-forward; bank
//! charges − reversals = wallet loads. The card starts at 100.00 (default profile).

mod common;

use common::{Till, faulty, new_card, pos_with, till};
use std::cell::Cell;
use stk_wallet::acquirer::{AcquirerHost, FlakyAcquirer, SqliteBank};
use stk_wallet::fault::{CardFault, FlakyIssuer, IssuerFault, Tear, TearPoint};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::Journal;
use stk_wallet::pos::TopupOutcome;
use stk_wallet::profile::Profile;

fn loaded(b: &Till) -> i64 {
    i64::from(b.card.borrow().state().purse.balance) - 10000
}

/// Bank charges − reversals = wallet loads, and nothing is left open or queued.
fn reconciles(b: &Till) {
    let t = b.bank.totals().unwrap();
    assert_eq!(t.charged as i64 - t.reversed as i64, loaded(b), "{t:?}");
    assert_eq!(t.open, 0, "every charge confirmed or reversed: {t:?}");
    assert!(b.journal.pending_reversals().unwrap().is_empty());
    assert!(b.journal.unfinished_topups().unwrap().is_empty());
}

#[test]
fn a_top_up_charges_loads_and_confirms() {
    let mut b = till(CardFault::None);
    let r = b
        .pos
        .topup(
            &b.journal,
            &b.issuer,
            &b.bank,
            "6222000011112222",
            5000,
            "123456",
            &mut |_| {},
        )
        .unwrap();
    assert!(matches!(r.outcome, TopupOutcome::Loaded { .. }));
    assert_eq!(loaded(&b), 5000);
    reconciles(&b);
}

#[test]
fn issuer_down_reverses_the_charge() {
    let mut b = till(CardFault::None);
    let link = FlakyIssuer::new(&b.issuer, IssuerFault::Down(1));
    let r = b
        .pos
        .topup(
            &b.journal,
            &link,
            &b.bank,
            "6222",
            5000,
            "123456",
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(r.outcome, TopupOutcome::Reversed { acknowledged: true });
    assert_eq!(loaded(&b), 0);
    reconciles(&b);
}

#[test]
fn an_undeliverable_reversal_is_queued_and_retried_until_acknowledged() {
    let mut b = till(CardFault::None);
    let link = FlakyIssuer::new(&b.issuer, IssuerFault::Down(1));
    let acq = FlakyAcquirer::new(&b.bank, 0);
    let r = b
        .pos
        .topup(
            &b.journal,
            &link,
            &acq,
            "6222",
            5000,
            "123456",
            &mut |step| {
                if step == "charged" {
                    acq.down_for.set(2); // the link drops right after the charge
                }
            },
        )
        .unwrap();
    assert_eq!(
        r.outcome,
        TopupOutcome::Reversed {
            acknowledged: false
        }
    );
    assert_eq!(b.journal.pending_reversals().unwrap().len(), 1);
    let steps = b.pos.resume(&b.journal, &acq, &mut |_| {}).unwrap();
    assert!(
        steps.iter().any(|s| s.contains("H-REVERSAL-PENDING")),
        "{steps:?}"
    );
    b.pos.resume(&b.journal, &acq, &mut |_| {}).unwrap();
    let log = b.journal.reversal_log().unwrap();
    assert_eq!(log.len(), 3, "one log entry per try: {log:?}");
    assert_eq!(log[2].2, "acknowledged");
    assert_eq!(b.bank.deliveries(&r.txn, "reverse").unwrap(), (1, 1));
    reconciles(&b);
    // Draining again sends nothing.
    b.pos.resume(&b.journal, &acq, &mut |_| {}).unwrap();
    assert_eq!(b.journal.reversal_log().unwrap().len(), 3);
}

#[test]
fn a_lost_credit_answer_is_confirmed_from_the_proof() {
    let mut b = till("lose-response:credit".parse().unwrap());
    let r = b.topup_5000().unwrap();
    let TopupOutcome::Loaded { tac } = r.outcome else {
        panic!("{r:?}")
    };
    assert_ne!(tac, [0; 4]);
    assert_eq!(loaded(&b), 5000);
    reconciles(&b);
}

#[test]
fn a_rejected_host_mac2_reverses() {
    let mut b = till("bad-mac:load-mac2".parse().unwrap());
    let r = b.topup_5000().unwrap();
    assert_eq!(r.outcome, TopupOutcome::Reversed { acknowledged: true });
    reconciles(&b);
}

#[test]
fn a_tear_at_any_write_of_the_credit_is_either_confirmed_or_reversed() {
    let seen = Cell::new((0, 0));
    for k in 0..=12 {
        let mut b = till(CardFault::Power(Tear {
            ins: 0x52,
            at: TearPoint::Write(k),
        }));
        let r = b.topup_5000().unwrap();
        match r.outcome {
            TopupOutcome::Loaded { .. } => {
                assert_eq!(loaded(&b), 5000, "k={k}");
                seen.set((seen.get().0 + 1, seen.get().1));
            }
            TopupOutcome::Reversed { .. } => {
                assert_eq!(loaded(&b), 0, "k={k}");
                seen.set((seen.get().0, seen.get().1 + 1));
            }
        }
        reconciles(&b);
    }
    // Torn before the journal is armed (writes 0-5): reversed; later: loaded.
    assert_eq!(seen.get(), (7, 6));
}

#[test]
fn a_charge_declined_because_already_reversed_loads_nothing() {
    let mut b = till(CardFault::None);
    // The terminal's next top-up id is reversed before it is ever charged.
    let term = b.pos.term_id().unwrap();
    let seq = b.journal.next_topup_seq().unwrap();
    b.bank
        .reverse(&format!("{}-{seq:08}", hex::encode_upper(term)))
        .unwrap();
    assert!(b.topup_5000().is_err());
    reconciles(&b);
}

#[test]
fn a_card_left_torn_by_an_earlier_tap_is_powered_up_for_the_top_up() {
    // Found by tests/model.rs: the top-up used to start without powering the card up.
    let mut b = till("tear:init:0".parse().unwrap());
    assert!(b.pos.purchase(100).is_err());
    assert!(b.card.borrow().is_mute());
    let r = b.topup_5000().unwrap();
    assert!(matches!(r.outcome, TopupOutcome::Loaded { .. }));
    reconciles(&b);
}

/// A card interface whose log reads fail (6F00) while `glitch` is set.
struct GlitchyLog<T> {
    inner: T,
    glitch: std::rc::Rc<Cell<bool>>,
}

impl<T: stk_wallet::transport::Transport> stk_wallet::transport::Transport for GlitchyLog<T> {
    fn transmit_raw(
        &mut self,
        apdu: &[u8],
    ) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        if self.glitch.get() && apdu.get(1) == Some(&0xB2) {
            return Ok(vec![0x6F, 0x00]);
        }
        self.inner.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        "card whose log reads fail".into()
    }
}

#[test]
fn a_load_in_doubt_is_never_reversed_on_a_card_error() {
    // The CREDIT answer is lost, so the POS asks the card; the card's log cannot be read. The
    // load did happen: reversing now would refund a charge whose money is in the wallet.
    let p = Profile::default_profile();
    let card = new_card(&p);
    let glitch = std::rc::Rc::new(Cell::new(true));
    let pos = pos_with(
        GlitchyLog {
            inner: faulty(&card, "lose-response:credit".parse().unwrap()),
            glitch: glitch.clone(),
        },
        &p,
    );
    let mut t = Till::around(card.clone(), pos, IssuerHost::from_profile(&p));
    let r = t.topup_5000();
    assert!(r.is_err(), "{r:?}");
    assert_eq!(card.borrow().state().purse.balance, 15000);
    assert!(t.journal.pending_reversals().unwrap().is_empty());
    assert_eq!(t.journal.unfinished_topups().unwrap().len(), 1);
    assert_eq!(t.bank.totals().unwrap().open, 5000, "the charge stays open");
    // The card answers again: the next resume finds the load and confirms the charge.
    glitch.set(false);
    t.pos.resume(&t.journal, &t.bank, &mut |_| {}).unwrap();
    let totals = t.bank.totals().unwrap();
    assert_eq!(
        (totals.charged, totals.reversed, totals.open),
        (5000, 0, 0),
        "{totals:?}"
    );
    assert!(t.journal.unfinished_topups().unwrap().is_empty());
}

/// A card link that loses the card right after the first CREDIT FOR LOAD: the CREDIT reaches
/// the card (or, with `deliver` `Some(false)`, never does), its answer is lost and every
/// command, power-up included, fails until `gone` is cleared (the customer walked away).
struct WalksAway<T> {
    inner: T,
    gone: std::rc::Rc<Cell<bool>>,
    /// `None` once the CREDIT has been intercepted.
    deliver: Option<bool>,
}

impl<T: stk_wallet::transport::Transport> stk_wallet::transport::Transport for WalksAway<T> {
    fn transmit_raw(
        &mut self,
        apdu: &[u8],
    ) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        if self.gone.get() {
            return Err(stk_wallet::transport::TransportError::NoResponse);
        }
        if let (Some(0x52), Some(deliver)) = (apdu.get(1), self.deliver) {
            self.deliver = None;
            if deliver {
                self.inner.transmit_raw(apdu)?;
            }
            self.gone.set(true);
            return Err(stk_wallet::transport::TransportError::NoResponse);
        }
        self.inner.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        if self.gone.get() {
            return Err(stk_wallet::transport::TransportError::NoResponse);
        }
        self.inner.reset()
    }
    fn describe(&self) -> String {
        "card taken away after the CREDIT".into()
    }
}

/// A top-up of 50.00 whose CREDIT answer is lost (the CREDIT reaching the card or not), the
/// card gone before the POS can ask it, then ten purchases of 1.00 (the load's log record is
/// pushed out), then `resume`. Returns the card's balance, the bank's totals and the steps.
fn lost_credit_then_ten_purchases(deliver: bool) -> (u32, (u64, u64, u64), Vec<String>) {
    lost_credit_then(deliver, |pos, _| {
        for _ in 0..10 {
            pos.purchase(100).expect("purchase");
        }
    })
}

type WalkingPos = stk_wallet::pos::Pos<
    WalksAway<stk_wallet::transport::sim::SimCard>,
    stk_wallet::transport::sim::SimPsam,
>;

/// As [`lost_credit_then_ten_purchases`], with `meanwhile` instead of the purchases.
fn lost_credit_then(
    deliver: bool,
    meanwhile: impl FnOnce(&mut WalkingPos, &IssuerHost),
) -> (u32, (u64, u64, u64), Vec<String>) {
    let p = Profile::default_profile();
    let card = new_card(&p);
    let gone = std::rc::Rc::new(Cell::new(false));
    let pos = pos_with(
        WalksAway {
            inner: stk_wallet::transport::sim::SimCard::contactless(card.clone()),
            gone: gone.clone(),
            deliver: Some(deliver),
        },
        &p,
    );
    let mut t = Till::around(card.clone(), pos, IssuerHost::from_profile(&p));
    let r = t.topup_5000();
    assert!(
        r.is_err(),
        "the card is gone: the load stays in doubt: {r:?}"
    );
    assert_eq!(t.journal.unfinished_topups().unwrap().len(), 1);
    assert!(t.journal.pending_reversals().unwrap().is_empty());
    gone.set(false);
    meanwhile(&mut t.pos, &t.issuer);
    let steps = t.pos.resume(&t.journal, &t.bank, &mut |_| {}).unwrap();
    assert!(
        t.journal.unfinished_topups().unwrap().is_empty(),
        "{steps:?}"
    );
    assert!(
        t.journal.pending_reversals().unwrap().is_empty(),
        "{steps:?}"
    );
    let totals = t.bank.totals().unwrap();
    (
        card.borrow().state().purse.balance,
        (totals.charged, totals.reversed, totals.open),
        steps,
    )
}

#[test]
fn a_load_in_doubt_after_ten_other_transactions_is_confirmed_from_the_online_counter() {
    // The load's record has left the 10-record log and the proof is a purchase's: only the
    // online counter, past the one INITIALIZE FOR LOAD answered, shows the load happened.
    let (balance, bank, steps) = lost_credit_then_ten_purchases(true);
    assert_eq!(balance, 10000 + 5000 - 1000, "the card keeps the load");
    assert_eq!(bank, (5000, 0, 0), "the bank keeps the charge: {steps:?}");
    assert!(
        steps.iter().any(|s| s.contains("online counter 1 is past")),
        "{steps:?}"
    );
}

#[test]
fn a_credit_that_never_reached_the_card_is_reversed_after_ten_other_transactions() {
    let (balance, bank, steps) = lost_credit_then_ten_purchases(false);
    assert_eq!(balance, 10000 - 1000, "no load");
    assert_eq!(bank, (5000, 5000, 0), "the charge is given back: {steps:?}");
    assert!(
        steps.iter().any(|s| s.contains("counter is still 0")),
        "{steps:?}"
    );
}

#[test]
fn a_new_journal_never_reuses_a_top_up_id_at_the_same_bank() {
    // The bank outlives the terminal's journal: a journal started afresh (a home set up again
    // for the same termID) must not hand out an id the bank already holds a charge for, or the
    // bank would take the new top-up for a repeat of the old one and the load would go unpaid.
    let p = Profile::default_profile();
    let card = new_card(&p);
    let dir = tempfile::tempdir().unwrap();
    let bank = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
    let issuer = IssuerHost::from_profile(&p);
    let mut txns = Vec::new();
    for journal_file in ["old.db", "new.db"] {
        let journal = Journal::open(&dir.path().join(journal_file)).unwrap();
        let mut pos = pos_with(
            stk_wallet::transport::sim::SimCard::contactless(card.clone()),
            &p,
        );
        for _ in 0..2 {
            let r = pos
                .topup(
                    &journal,
                    &issuer,
                    &bank,
                    "6222",
                    5000,
                    "123456",
                    &mut |_| {},
                )
                .unwrap();
            assert!(matches!(r.outcome, TopupOutcome::Loaded { .. }), "{r:?}");
            txns.push(r.txn);
        }
    }
    let mut unique = txns.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{txns:?}");
    assert_eq!(card.borrow().state().purse.balance, 10000 + 4 * 5000);
    let t = bank.totals().unwrap();
    assert_eq!(
        (t.charged, t.reversed, t.open),
        (4 * 5000, 0, 0),
        "{txns:?}"
    );
}

#[test]
fn a_load_in_doubt_whose_counter_another_load_took_is_reversed() {
    // The CREDIT never reached the card; the holder then loads 30.00 by other means, which
    // takes the same online counter. The counter has moved, but the log shows that counter
    // used by another load: this one did not happen, and its charge is given back.
    let (balance, bank, steps) = lost_credit_then(false, |pos, issuer| {
        pos.load(issuer, 3000, "123456").expect("the other load");
    });
    assert_eq!(balance, 10000 + 3000, "only the other load");
    assert_eq!(bank, (5000, 5000, 0), "{steps:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.contains("used by another transaction")),
        "{steps:?}"
    );
}
