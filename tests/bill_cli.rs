//! Pay Phone Bill at the user's boundary: `stk-wallet phone` and `pos` as processes on one card
//! image. Another operator's number is refused and asked again; a bill above the
//! single-payment limit is paid (a POS purchase of the same amount is not); History shows it as
//! a bill; settlement still matches the bill's record.

mod common;

use common::{output, said};

#[test]
fn bill_rules_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let o = output(d, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}:\n{}", said(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(&["card", "new"]);
    // The holder sets the single-payment limit to 50.00 (the balance is 100.00).
    let set = ok(&["phone", "--lang", "en", "--keys", "4,2,1,50,123456,o,e"]);
    assert!(
        set.contains("Single-payment limit set to 50.00 yuan"),
        "{set}"
    );
    let bill = ok(&[
        "phone",
        "--lang",
        "en",
        "--clock",
        "20261122 120000",
        "--keys",
        "3,13000000000,o,13800138000,80,123456,o,2,1",
    ]);
    assert!(
        bill.contains("| Not a China Mobile number: bills of China Mobile numbers only"),
        "{bill}"
    );
    assert!(
        bill.contains("| Paid the bill of 13800138000 80.00 yuan, Balance 20.00 yuan"),
        "{bill}"
    );
    assert!(
        bill.contains("| 2026-11-22 12:00:00\n| Bill -80.00 yuan"),
        "{bill}"
    );
    // The same amount at a POS is above the limit: refused, nothing taken.
    let o = output(d, &["pos", "purchase", "80"]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    assert!(said(&o).contains("failed (6985)"), "{}", said(&o));
    // The POS reads the bill's record as it is: a purchase at the operator's termID.
    let h = ok(&["pos", "history"]);
    assert!(
        h.contains("purchase") && h.contains("80.00") && h.contains("000000100860"),
        "{h}"
    );
    // Settlement matches the bill the issuer booked with the card's record.
    let o = output(d, &["settle", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &j["reconciliation"];
    assert_eq!(
        (&r["card"], &r["shadow"]),
        (&2000.into(), &2000.into()),
        "{j:#}"
    );
    assert_eq!(r["explained"], true, "{j:#}");
}
