//! Settlement: TACs verified with the issuer's keys, duplicates and forgeries
//! rejected with reasons, replay idempotent, shadow balance = card balance.

mod common;

use common::faulty_bed;
use stk_wallet::errors::Code;
use stk_wallet::fault::CardFault;
use stk_wallet::journal::Journal;
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};

#[test]
fn upload_settles_once_and_the_shadow_balance_matches_the_card() {
    let p = Profile::default_profile();
    let (card, mut pos, host) = faulty_bed(CardFault::None);
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("pos.db")).unwrap();
    let mut clearing = ClearingHost::new(
        host.clone(),
        SqliteLedger::open(&dir.path().join("ledger.db")).unwrap(),
    );
    let serial = p.issuer.serial;
    clearing.ledger.open_card(&serial, 10000).unwrap();
    for a in [1000, 250, 4] {
        journal.add_sale(&pos.purchase(a).unwrap()).unwrap();
    }
    let l = pos.load(&host, 3000, "123456").unwrap();
    assert!(clearing.book_load(&l).unwrap());
    // A purchase whose TAC is corrupted in transit: the card paid, but the record is forged.
    pos.card.rearm("bad-mac:tac".parse::<CardFault>().unwrap());
    let forged = pos.purchase(500).unwrap();
    journal.add_sale(&forged).unwrap();

    let upload = journal.sales_to_upload().unwrap();
    assert_eq!(upload.len(), 4);
    let rep = clearing.settle(&upload).unwrap();
    assert_eq!(rep.accepted.len(), 3);
    assert_eq!(rep.rejected.len(), 1);
    assert_eq!(rep.rejected[0].code, Code::HTac);
    journal.mark_uploaded(&upload).unwrap();
    assert!(journal.sales_to_upload().unwrap().is_empty());
    // The card is 500 below the shadow: the forged record is exactly what is missing.
    let card_balance = card.borrow().state().purse.balance;
    assert_eq!(card_balance, 10000 - 1000 - 250 - 4 + 3000 - 500);
    assert_eq!(
        clearing.shadow_balance(&serial).unwrap(),
        Some(card_balance + 500)
    );

    // Duplicate upload: everything rejected as a duplicate, nothing changes.
    let again = clearing.settle(&upload).unwrap();
    assert!(again.accepted.is_empty());
    assert_eq!(
        again
            .rejected
            .iter()
            .filter(|r| r.code == Code::HDuplicate)
            .count(),
        3
    );
    assert_eq!(
        clearing.shadow_balance(&serial).unwrap(),
        Some(card_balance + 500)
    );

    // A valid record replayed under another counter: caught by (termID, TTC).
    let mut replay = upload[0].clone();
    replay.counter += 100;
    let r = clearing.settle(&[replay]).unwrap();
    assert_eq!(r.rejected[0].code, Code::HDuplicate);

    // Booking a load twice counts it once.
    assert!(clearing.book_load(&l).unwrap());
    assert_eq!(
        clearing.ledger.totals(&serial).unwrap(),
        Some((10000, 3000, 1254))
    );
    // Unknown card: no shadow balance.
    assert_eq!(clearing.shadow_balance(&[9; 10]).unwrap(), None);
}
