//! POS flows against the simulated card: money arithmetic and the SPEC.md §3 refusals.
//! Expected values follow from the profile's figures (balance 100.00, limit 200.00, cap 1000.00).

use stk_wallet::card::Card;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Pos, PosError};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};

fn bed() -> (SharedCard, Pos<SimCard, SimPsam>, IssuerHost) {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let pos = Pos::new(
        SimCard::contactless(card.clone()),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    (card, pos, IssuerHost::from_profile(&p))
}

#[test]
fn purchase_debits_and_logs_with_a_valid_tac() {
    let (card, mut pos, host) = bed();
    let rec = pos.purchase(1234).expect("purchase");
    assert_eq!(card.borrow().state().purse.balance, 10000 - 1234);
    assert_eq!(card.borrow().state().purse.offline_counter, 1);
    assert!(host.purchase_tac_ok(
        &rec.serial,
        rec.amount,
        &rec.term_id,
        rec.ttc,
        &rec.date,
        &rec.time,
        rec.tac
    ));
    let h = pos.history().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].amount, h[0].tx_type, h[0].counter), (1234, 0x06, 0));
}

#[test]
fn load_needs_the_password_and_respects_the_cap() {
    let (card, mut pos, host) = bed();
    let r = pos.load(&host, 5000, "123456").expect("load");
    assert!(r.tac_ok);
    assert_eq!(card.borrow().state().purse.balance, 15000);
    // Cap 100000: 15000 + 85001 would pass it.
    let e = pos.load(&host, 85001, "123456").unwrap_err();
    assert_eq!(e.card_sw(), Some(Sw::CONDITIONS_NOT_SATISFIED));
    let e = pos.load(&host, 100, "654321").unwrap_err();
    assert_eq!(e.card_sw(), Some(Sw(0x63C4)));
    assert_eq!(card.borrow().state().purse.balance, 15000);
}

#[test]
fn purchase_refusals_change_nothing() {
    let (card, mut pos, _) = bed();
    let before = card.borrow().state().clone();
    assert_eq!(
        pos.purchase(20001).unwrap_err().card_sw(),
        Some(Sw::CONDITIONS_NOT_SATISFIED)
    );
    assert_eq!(
        pos.purchase(10001).unwrap_err().card_sw(),
        Some(Sw::INSUFFICIENT_BALANCE)
    );
    pos.key_index = 9;
    assert_eq!(
        pos.purchase(1).unwrap_err().card_sw(),
        Some(Sw::KEY_NOT_FOUND)
    );
    let mut after = card.borrow().state().clone();
    after.random_cursor = before.random_cursor;
    assert_eq!(after, before);
}

#[test]
fn wrong_psam_key_is_a_mac_error_with_no_commit() {
    let (card, mut pos, _) = bed();
    // Bit 0 of a DES key byte is parity and ignored by DES: flip a real key bit.
    pos.psam.0.borrow_mut().keys[0].key[0] ^= 0x02;
    let e = pos.purchase(100).unwrap_err();
    assert!(
        matches!(
            e,
            PosError::Card {
                sw: Sw::MAC_INVALID,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(card.borrow().state().purse.balance, 10000);
    assert_eq!(card.borrow().state().log.count, 0);
}

#[test]
fn any_apdu_crate_client_can_drive_the_card() {
    use apdu::core::HandlerInCtx;
    use stk_wallet::card::Interface;
    let p = Profile::default_profile();
    let card = std::cell::RefCell::new(Card::personalise(&p));
    let select: Vec<u8> =
        apdu::Command::new_with_payload(0x00, 0xA4, 0x04, 0x00, &p.wallet_aid).into();
    let mut buf = [0u8; 258];
    let n = card
        .handle_in_ctx(Interface::Contactless, &select, &mut buf)
        .unwrap();
    assert_eq!(&buf[n - 2..n], &[0x90, 0x00]);
    let get_balance: Vec<u8> = apdu::Command::new_with_le(0x80, 0x5C, 0x00, 0x02, 4).into();
    let n = card
        .handle_in_ctx(Interface::Contactless, &get_balance, &mut buf)
        .unwrap();
    let r = apdu::core::Response::from(&buf[..n]);
    assert!(r.is_ok());
    assert_eq!(r.payload, &10000u32.to_be_bytes());
}
