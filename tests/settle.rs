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

/// Runs the CLI in `d`; (exit code, stdout, stderr).
fn run_in(d: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = common::output(d, args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn settlement_sees_every_fen_and_a_rejection_stays_until_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let (code, out, err) = run_in(d, args);
        assert_eq!(code, 0, "{args:?}:\n{out}{err}");
        out
    };
    ok(&["card", "new"]);
    // Every kind of movement: a sale, a POS load, an integrated top-up, an over-the-air top-up
    // and a bill payment from the menu.
    ok(&["pos", "purchase", "2"]);
    ok(&["pos", "load", "5"]);
    ok(&["pos", "topup", "3", "--bank-pin", "2468"]);
    let air = ok(&["phone", "--lang", "en", "--keys", "1,1,4,123456"]);
    assert!(air.contains("Topped up 4.00 yuan"), "{air}");
    let bill = ok(&[
        "phone",
        "--lang",
        "en",
        "--keys",
        "3,13800138000,1*50,123456",
    ]);
    assert!(bill.contains("Balance 108.50 yuan"), "{bill}");
    let (code, out, err) = run_in(d, &["settle", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &j["reconciliation"];
    assert_eq!(r["shadow"], 10850, "{j:#}");
    assert_eq!(r["card"], 10850, "{j:#}");
    assert_eq!(r["difference"], 0);
    assert_eq!(r["explained"], true);
    assert!(r["outstanding"].as_array().unwrap().is_empty(), "{j:#}");
    let decided: Vec<(String, String)> = r["decided"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["kind"].as_str().unwrap().to_string(),
                x["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [("air-load", "booked"), ("bill", "booked")].map(|(a, b)| (a.into(), b.into()))
    );
    let mut ledger = SqliteLedger::open(&d.join("ledger.db")).unwrap();
    let serial = Profile::default_profile().issuer.serial;
    assert_eq!(
        ledger.totals(&serial).unwrap(),
        Some((10000, 500 + 300 + 400, 200 + 150))
    );
    drop(ledger);

    // A sale whose TAC is corrupted on the way: rejected, and the settlement fails.
    ok(&["pos", "purchase", "1", "--fault", "bad-mac:tac"]);
    let (code, out, err) = run_in(d, &["settle"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("upload 1: 1 record(s), 0 accepted, 1 rejected"),
        "{out}"
    );
    assert!(out.contains("open rejection #1:"), "{out}");
    assert!(
        out.contains("difference 1.00 (shadow − card), explained by the records below"),
        "{out}"
    );
    assert!(out.contains("debit counter 2: 1.00 yuan"), "{out}");
    assert!(err.contains("H-REJECTED"), "{err}");
    // Settled again: nothing new to upload, but the rejection is still there.
    let (code, out, err) = run_in(d, &["settle"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("upload 1: 0 record(s)"), "{out}");
    assert!(out.contains("open rejection #1:"), "{out}");
    // A resolution needs who and why.
    let (code, _, err) = run_in(d, &["settle", "--resolve", "1", "--by", "", "--why", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("H-REJECTED"), "{err}");
    let res = ok(&[
        "settle",
        "--resolve",
        "1",
        "--by",
        "Wang Li",
        "--why",
        "the customer paid in cash",
    ]);
    assert!(res.contains("rejection #1 resolved by Wang Li"), "{res}");
    let out = ok(&["settle"]);
    assert!(!out.contains("open rejection"), "{out}");
    assert!(
        out.contains("rejected #1 (H-TAC), resolved by Wang Li at "),
        "{out}"
    );
    // Resolved once only.
    let (code, _, err) = run_in(
        d,
        &["settle", "--resolve", "1", "--by", "Li", "--why", "again"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no open rejection #1"), "{err}");
}

#[test]
fn a_negative_shadow_balance_is_printed_with_its_sign() {
    // An over-the-air load is pending until a card shows it; without the card image the
    // shadow balance counts the sale it paid for but not the load.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let (code, out, err) = run_in(d, args);
        assert_eq!(code, 0, "{args:?}:\n{out}{err}");
        out
    };
    ok(&["card", "new"]);
    ok(&["phone", "--lang", "en", "--keys", "1,1,50,123456"]);
    ok(&["pos", "purchase", "120"]);
    let out = ok(&["settle", "--card", "elsewhere.json"]);
    assert!(
        out.contains("shadow balance -20.00; card balance ?"),
        "{out}"
    );
    // With the card the load is proved and the books agree.
    let out = ok(&["settle"]);
    assert!(
        out.contains("shadow balance 30.00; card balance 30.00"),
        "{out}"
    );
}

#[test]
fn a_difference_the_card_does_not_explain_fails_the_settlement() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(run_in(d, &["card", "new"]).0, 0);
    assert_eq!(run_in(d, &["pos", "purchase", "2"]).0, 0);
    assert_eq!(run_in(d, &["settle"]).0, 0);
    // Another image of the same card, which never made that sale.
    std::fs::remove_file(d.join("card.json")).unwrap();
    assert_eq!(run_in(d, &["card", "new"]).0, 0);
    let (code, out, err) = run_in(d, &["settle"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("NOT explained"), "{out}");
    assert!(out.contains("offline counter 0 is booked"), "{out}");
    assert!(err.contains("H-UNEXPLAINED"), "{err}");
}
