//! POS flows against the simulated card: money arithmetic and the docs/spec.md §3 refusals.
//! Expected values follow from the profile's figures (balance 100.00, limit 200.00, cap 1000.00).

mod common;

use common::{NOON, bed};
use stk_wallet::card::Card;
use stk_wallet::home::TerminalHome;
use stk_wallet::pos::PosError;
use stk_wallet::profile::Profile;
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::{SimCard, shared};

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
    pos.purchase_key_index = 9;
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

/// The card side of a POS that reads the terminal's stored TTC whenever a DEBIT FOR PURCHASE
/// goes out (through its own connection to the database, as a second process would).
struct WatchDebit {
    card: SimCard,
    home: std::path::PathBuf,
    ttc_on_disk_at_debit: Vec<u32>,
}

impl stk_wallet::transport::Transport for WatchDebit {
    fn transmit_raw(
        &mut self,
        apdu: &[u8],
    ) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        if apdu.get(1) == Some(&0x54) {
            let (_, ttc) = TerminalHome::peek(&self.home).expect("the home is readable");
            self.ttc_on_disk_at_debit.push(ttc);
        }
        self.card.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        self.card.reset()
    }
    fn describe(&self) -> String {
        "card watched for DEBIT".into()
    }
}

/// A POS process can be killed right after the card commits a DEBIT. The TTC the PSAM handed
/// out for it must already be committed to the terminal's home by then, or the restarted POS
/// would use it again and the clearing host would take the second sale for a replay of the
/// first. Two different cards share the terminal's counter.
#[test]
fn the_terminal_home_holds_the_next_ttc_before_the_debit_goes_out() {
    let p = Profile::default_profile();
    let mut q = p.clone();
    q.issuer.serial[9] ^= 0x55;
    let dir = tempfile::tempdir().unwrap();
    let home_dir = dir.path().join("pos");
    let first = p.psam.ttc;
    let home = TerminalHome::open(&home_dir, &p, None).unwrap();
    let mut ttcs = Vec::new();
    let mut on_disk = Vec::new();
    for card in [&p, &q] {
        let mut pos = home
            .pos(
                WatchDebit {
                    card: SimCard::contactless(shared(Card::personalise(card))),
                    home: home_dir.clone(),
                    ttc_on_disk_at_debit: Vec::new(),
                },
                NOON,
                p.wallet_aid.clone(),
            )
            .unwrap();
        ttcs.push(pos.purchase(100).unwrap().ttc);
        ttcs.push(pos.purchase(200).unwrap().ttc);
        on_disk.extend(pos.card.ttc_on_disk_at_debit);
    }
    assert_eq!(ttcs, vec![first, first + 1, first + 2, first + 3]);
    assert_eq!(on_disk, vec![first + 1, first + 2, first + 3, first + 4]);
    // A POS started afresh from the home continues after the last TTC used.
    drop(home);
    let again = TerminalHome::open(&home_dir, &p, None).unwrap();
    assert_eq!(again.psam().unwrap().0.borrow().ttc, first + 4);
}
