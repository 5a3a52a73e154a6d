//! Settlement: TACs verified with the issuer's keys, duplicates and forgeries
//! rejected with reasons, an upload sent again settled once, shadow balance = card balance.

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

    // The same upload again (its answer lost, or the POS killed before it noted the upload):
    // the booked records are settled already, neither booked again nor rejected; the forged
    // one is rejected again; nothing changes.
    let again = clearing.settle(&upload).unwrap();
    assert!(again.accepted.is_empty());
    assert_eq!(again.already.len(), 3);
    assert_eq!(again.rejected.len(), 1);
    assert_eq!(again.rejected[0].code, Code::HTac);
    assert_eq!(
        clearing.shadow_balance(&serial).unwrap(),
        Some(card_balance + 500)
    );

    // A genuine record under another booked card counter (the TAC does not cover the
    // counter): not the same record, so a duplicate.
    let mut other = upload[1].clone();
    other.counter = upload[0].counter;
    let r = clearing.settle(&[other]).unwrap();
    assert_eq!(r.rejected[0].code, Code::HDuplicate);

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

#[test]
fn a_settlement_killed_after_the_booking_is_settled_once_when_run_again() {
    // The clearing host booked the upload, the terminal never noted it (its journal as it was
    // before `settle`, as after a kill between the two): running `settle` again pays the
    // merchant once and reports no rejection.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let o = common::output(d, args);
        assert!(o.status.success(), "{args:?}:\n{}", common::said(&o));
        common::said(&o)
    };
    run(&["card", "new"]);
    run(&["pos", "purchase", "2"]);
    let db = d.join("pos").join("terminal.db");
    let before = std::fs::read(&db).unwrap();
    assert!(run(&["settle"]).contains("upload 1: 1 record(s), 1 accepted, 0 rejected"));
    std::fs::write(&db, before).unwrap();
    let again = run(&["settle"]);
    assert!(
        again.contains(
            "upload 1: 1 record(s), 0 accepted, 0 rejected, 1 settled by an earlier upload"
        ),
        "{again}"
    );
    assert!(
        again.contains("shadow balance 98.00; card balance 98.00"),
        "{again}"
    );
}
