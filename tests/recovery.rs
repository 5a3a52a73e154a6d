//! A lost DEBIT answer is resolved on the next tap; one sale never debits twice.
//! Expected balances: the default profile's 100.00 minus the sales.

mod common;

use common::{FaultyPos, faulty_bed};
use stk_wallet::errors::Code;
use stk_wallet::fault::{CardFault, Tear, TearPoint};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, InDoubt, Pos, PosError, PurchaseRecord};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam};

fn tac_ok(host: &IssuerHost, r: &PurchaseRecord) -> bool {
    host.purchase_tac_ok(
        &r.serial, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac,
    )
}

fn purse(card: &SharedCard) -> (u32, u16) {
    let s = card.borrow().state().purse.clone();
    (s.balance, s.offline_counter)
}

/// First tap faulted; returns the in-doubt sale.
fn first_tap(pos: &mut FaultyPos, amount: u32) -> Option<InDoubt> {
    let mut pending = None;
    match pos.sale(&mut pending, amount) {
        Err(PosError::InDoubt(d)) => assert_eq!(pending.as_ref(), Some(&*d)),
        Err(e) => assert_eq!(e.code(), Code::PNoResponse, "{e}"),
        Ok(_) => {}
    }
    pending
}

#[test]
fn lost_debit_answer_is_recovered_with_the_proof_tac() {
    let (card, mut pos, host) = faulty_bed("lose-response:debit".parse().unwrap());
    let mut pending = first_tap(&mut pos, 2500);
    assert!(pending.is_some());
    assert_eq!(purse(&card), (7500, 1));
    let out = pos.sale(&mut pending, 2500).expect("second tap");
    assert!(pending.is_none());
    assert!(out.record.recovered && !out.record.flagged);
    assert_eq!(out.code(), Some(Code::PTornRecovered));
    assert!(tac_ok(&host, &out.record));
    assert_eq!(purse(&card), (7500, 1), "no second debit");
    assert!(out.steps.iter().any(|s| s.contains("PSAM verified")));
}

#[test]
fn a_tear_at_any_write_of_the_debit_ends_in_exactly_one_debit() {
    for k in 0..=12 {
        let plan = CardFault::Power(Tear {
            ins: 0x54,
            at: TearPoint::Write(k),
        });
        let (card, mut pos, host) = faulty_bed(plan);
        let mut pending = first_tap(&mut pos, 2500);
        assert_eq!(pending.is_some(), k < 12, "k={k}: in doubt iff torn");
        let rec = if pending.is_some() {
            let out = pos.sale(&mut pending, 2500).expect("second tap");
            assert!(pending.is_none());
            // 5 changes: writes 0-4 fill the journal, 5 arms it. Torn before the arm: the old
            // state, the sale starts over; after it: the new state, recovered.
            assert_eq!(out.record.recovered, k > 5, "k={k}");
            out.record
        } else {
            // k = 12: the commit's 12 writes all happened before the planned tear.
            assert_eq!(purse(&card), (7500, 1), "k={k}");
            continue;
        };
        assert!(tac_ok(&host, &rec), "k={k}");
        assert_eq!(purse(&card), (7500, 1), "k={k}: exactly one debit");
        assert_eq!(card.borrow().state().log.count, 1, "k={k}");
    }
}

#[test]
fn a_card_used_elsewhere_before_the_next_tap_is_still_not_debited_twice() {
    let p = Profile::default_profile();
    let (card, mut pos, _) = faulty_bed("lose-response:debit".parse().unwrap());
    let mut pending = first_tap(&mut pos, 2500);
    // Another shop (its own PSAM) sells 10.00 before the card comes back.
    let mut other = Pos::new(
        SimCard::contactless(card.clone()),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x23],
            time: [0x09, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    other.purchase(1000).expect("other purchase");
    let out = pos.sale(&mut pending, 2500).expect("second tap");
    assert!(
        out.record.recovered && out.record.flagged,
        "no proof left: flagged"
    );
    assert_eq!(purse(&card), (10000 - 2500 - 1000, 2));
}

#[test]
fn a_sale_in_doubt_is_decided_by_the_counter_after_ten_sales_elsewhere() {
    // Ten sales at another shop push this sale's record out of the card's 10-record log; its
    // offline counter still shows the debit happened, so the sale completes (flagged) and the
    // card is not debited again.
    let p = Profile::default_profile();
    let (card, mut pos, _) = faulty_bed("lose-response:debit".parse().unwrap());
    let mut pending = first_tap(&mut pos, 2500);
    assert!(pending.is_some());
    let mut other = Pos::new(
        SimCard::contactless(card.clone()),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x23],
            time: [0x09, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    for _ in 0..10 {
        other.purchase(100).expect("other purchase");
    }
    let out = pos.sale(&mut pending, 2500).expect("second tap");
    assert!(pending.is_none());
    assert!(
        out.record.recovered && out.record.flagged,
        "no proof or log left: flagged: {:?}",
        out.steps
    );
    assert!(
        out.steps.iter().any(|s| s.contains("offline counter 11")),
        "{:?}",
        out.steps
    );
    assert_eq!(purse(&card), (10000 - 2500 - 1000, 11), "debited once");
}

#[test]
fn a_debit_that_never_reached_the_card_starts_over_once() {
    // The answer to INITIALIZE is lost: nothing in doubt, an ordinary error.
    let (card, mut pos, _) = faulty_bed("lose-response:3".parse().unwrap());
    let mut pending = None;
    let e = pos.sale(&mut pending, 2500).unwrap_err();
    assert!(pending.is_none(), "{e}");
    pos.sale(&mut pending, 2500).expect("retry");
    assert_eq!(purse(&card), (7500, 1));
}

#[test]
fn another_card_cannot_resolve_the_sale_in_doubt() {
    let (card, mut pos, _) = faulty_bed("lose-response:debit".parse().unwrap());
    let mut pending = first_tap(&mut pos, 2500);
    let mut d = pending.clone().unwrap();
    d.serial[9] ^= 1;
    let mut wrong = Some(d);
    assert!(pos.sale(&mut wrong, 2500).is_err());
    assert!(wrong.is_some(), "still in doubt");
    assert!(
        pos.sale(&mut pending, 9999).is_err(),
        "another amount: refused"
    );
    assert_eq!(purse(&card), (7500, 1));
}

#[test]
fn the_in_doubt_sale_survives_a_pos_restart_as_json() {
    let p = Profile::default_profile();
    let (card, mut pos, host) = faulty_bed("lose-response:debit".parse().unwrap());
    let pending = first_tap(&mut pos, 2500);
    let saved = serde_json::to_string(&pending).unwrap();
    // A new POS process: fresh PSAM state (its session is gone), same terminal.
    let mut pos2 = Pos::new(
        SimCard::contactless(card.clone()),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::System,
        p.wallet_aid.clone(),
    );
    let mut pending: Option<InDoubt> = serde_json::from_str(&saved).unwrap();
    let out = pos2
        .sale(&mut pending, 2500)
        .expect("recovered after restart");
    assert!(out.record.recovered && tac_ok(&host, &out.record));
    assert_eq!(purse(&card), (7500, 1));
}
