//! The fault injector does what each plan says, observed from the card's state and the POS's
//! errors. Expected amounts follow from the default profile (balance 100.00).

mod common;

use common::{faulty_bed, plan};
use stk_wallet::errors::Code;
use stk_wallet::fault::FlakyIssuer;
use stk_wallet::pos::PosError;
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::SharedCard;

fn balance(card: &SharedCard) -> u32 {
    card.borrow().state().purse.balance
}

#[test]
fn lost_debit_answer_means_the_card_debited_but_the_pos_does_not_know() {
    let (card, mut pos, _) = faulty_bed(plan("lose-response:debit"));
    let e = pos.purchase(700).unwrap_err();
    assert_eq!(e.code(), Code::PNoResponse);
    assert_eq!(balance(&card), 10000 - 700);
    assert!(pos.card.fired);
}

#[test]
fn lost_nth_answer_hits_exactly_that_command() {
    // select (1), read binary (2), INITIALIZE (3): the third answer is lost.
    let (card, mut pos, _) = faulty_bed(plan("lose-response:3"));
    let e = pos.purchase(700).unwrap_err();
    assert!(matches!(
        e,
        PosError::Transport {
            step: "INITIALIZE FOR PURCHASE",
            ..
        }
    ));
    assert_eq!(balance(&card), 10000);
}

#[test]
fn tear_before_the_first_write_keeps_the_old_state_and_mutes_the_card() {
    let (card, mut pos, _) = faulty_bed(plan("tear:debit:0"));
    assert_eq!(pos.purchase(700).unwrap_err().code(), Code::PNoResponse);
    assert!(card.borrow().is_mute());
    card.borrow_mut().power_cycle();
    assert_eq!(balance(&card), 10000);
    assert_eq!(card.borrow().state().purse.offline_counter, 0);
}

#[test]
fn tear_after_debit_recovers_to_the_new_state() {
    let (card, mut pos, _) = faulty_bed(plan("tear-after-debit"));
    assert_eq!(pos.purchase(700).unwrap_err().code(), Code::PNoResponse);
    card.borrow_mut().power_cycle();
    assert_eq!(balance(&card), 9300);
    assert_eq!(card.borrow().state().purse.offline_counter, 1);
}

#[test]
fn corrupted_mac1_is_refused_by_the_card() {
    let (card, mut pos, _) = faulty_bed(plan("bad-mac:mac1"));
    assert_eq!(
        pos.purchase(700).unwrap_err().card_sw(),
        Some(Sw::MAC_INVALID)
    );
    assert_eq!(balance(&card), 10000);
}

#[test]
fn corrupted_mac2_is_a_digest_error_with_a_flagged_record() {
    let (card, mut pos, _) = faulty_bed(plan("bad-mac:mac2"));
    match pos.purchase(700).unwrap_err() {
        PosError::Digest { record } => assert!(record.flagged && record.amount == 700),
        e => panic!("{e}"),
    }
    // The card did commit: the money is gone from the card, and the record is kept.
    assert_eq!(balance(&card), 9300);
}

#[test]
fn corrupted_tac_fails_the_issuer_check() {
    let (_, mut pos, host) = faulty_bed(plan("bad-mac:tac"));
    let r = pos
        .purchase(700)
        .expect("purchase completes; only the TAC is wrong");
    assert!(!host.purchase_tac_ok(
        &r.serial, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac
    ));
}

#[test]
fn corrupted_load_mac2_is_refused_by_the_card() {
    let (card, mut pos, host) = faulty_bed(plan("bad-mac:load-mac2"));
    assert_eq!(
        pos.load(&host, 500, "123456").unwrap_err().card_sw(),
        Some(Sw::MAC_INVALID)
    );
    assert_eq!(balance(&card), 10000);
}

#[test]
fn host_down_stops_the_load_before_the_card_changes() {
    let (card, mut pos, host) = faulty_bed(plan("none"));
    let link = FlakyIssuer::new(&host, "host-down:1".parse().unwrap());
    assert_eq!(
        pos.load(&link, 500, "123456").unwrap_err().code(),
        Code::HUnreachable
    );
    assert_eq!(balance(&card), 10000);
    pos.load(&link, 500, "123456").expect("the host is back");
    assert_eq!(balance(&card), 10500);
    assert_eq!(link.delivered.get(), 1);
}

#[test]
fn a_slow_host_still_answers() {
    let (card, mut pos, host) = faulty_bed(plan("none"));
    let link = FlakyIssuer::new(&host, "host-delay:30".parse().unwrap());
    let t = std::time::Instant::now();
    pos.load(&link, 500, "123456").expect("slow, not down");
    assert!(t.elapsed() >= std::time::Duration::from_millis(30));
    assert_eq!(balance(&card), 10500);
}
