//! The integrated top-up as the field manual describes it, with the CLI as a process: the card
//! read before any charge, the bank card number Luhn-checked and masked everywhere it is kept,
//! the bank PIN apart from the wallet's password and never kept, host calls bounded by the
//! terminal's time-out and resend count, a reversal that keeps failing handed to a person, and
//! exit codes that say whether the wallet was loaded.

mod common;

use std::path::Path;
use std::time::Instant;
use stk_wallet::acquirer::SqliteBank;

const PAN: &str = "4111111111111111";
const BANK_PIN: &str = "739164";

fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let o = common::output(d, args);
    (o.status.code().unwrap_or(-1), common::said(&o))
}

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &["card", "new"]).0, 0);
    dir
}

fn topup(d: &Path, amount: &str, extra: &[&str]) -> (i32, String) {
    let mut a = vec!["pos", "topup", amount, "--pan", PAN, "--bank-pin", BANK_PIN];
    a.extend(extra);
    run(d, &a)
}

fn bank(d: &Path) -> stk_wallet::acquirer::BankTotals {
    SqliteBank::open(&d.join("bank.db"))
        .unwrap()
        .totals()
        .unwrap()
}

/// Every file of the shop, as bytes: terminal home, bank, ledger.
fn all_bytes(d: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for dir in [d.to_path_buf(), d.join("pos")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.extend(std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_load_the_wallet_cannot_take_is_refused_before_any_charge() {
    let d = shop();
    // The default card's cap is far below 9999.00.
    let (code, out) = topup(d.path(), "9999", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-LOAD-REFUSED"), "{out}");
    assert!(out.contains("the bank card was not charged"), "{out}");
    let t = bank(d.path());
    assert_eq!((t.charged, t.reversed, t.open), (0, 0, 0), "{out}");
}

#[test]
fn the_bank_card_number_is_checked_and_never_kept_in_clear_nor_the_pin_at_all() {
    let d = shop();
    for bad in ["4111111111111112", "abc", "4111"] {
        let (code, out) = run(
            d.path(),
            &["pos", "topup", "1", "--pan", bad, "--bank-pin", BANK_PIN],
        );
        assert_eq!(code, 2, "{bad}: {out}");
        assert!(out.contains("P-BANK-CARD"), "{out}");
    }
    for pin in ["12", "12a4", "1234567890123"] {
        let (code, out) = run(d.path(), &["pos", "topup", "1", "--bank-pin", pin]);
        assert_eq!(code, 2, "{pin}: {out}");
        assert!(out.contains("P-BANK-CARD"), "{out}");
    }
    let (code, out) = topup(d.path(), "2", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("loaded, TAC"), "{out}");
    assert!(!out.contains(PAN) && !out.contains(BANK_PIN), "{out}");
    let (_, listed) = run(d.path(), &["pos", "reversals"]);
    assert!(!listed.contains(PAN), "{listed}");
    let bytes = all_bytes(d.path());
    assert!(
        !contains(&bytes, PAN),
        "the full card number is stored somewhere"
    );
    assert!(
        !contains(&bytes, BANK_PIN),
        "the bank PIN is stored somewhere"
    );
    assert!(
        contains(&bytes, "411111******1111"),
        "the masked number is kept"
    );
}

#[test]
fn a_slow_issuer_times_out_after_the_resends_and_the_charge_is_reversed() {
    let d = shop();
    let start = Instant::now();
    let (code, out) = topup(d.path(), "2", &["--fault", "host-delay:3000"]);
    let took = start.elapsed();
    assert_eq!(code, 1, "{out}");
    // The signed-in parameters: 2 s time-out, one resend.
    assert!(
        out.contains("issuer try 1/2: no answer within 2000 ms (time-out)"),
        "{out}"
    );
    assert!(
        out.contains("issuer try 2/2: no answer within 2000 ms (time-out)"),
        "{out}"
    );
    assert!(out.contains("H-TIMEOUT"), "{out}");
    assert!(
        out.contains("not loaded; bank charge reversal acknowledged"),
        "{out}"
    );
    // It waited the two time-outs, not the two delays.
    assert!(took.as_millis() < 6000, "{took:?}");
    let t = bank(d.path());
    assert_eq!((t.charged - t.reversed, t.open), (0, 0));
}

#[test]
fn a_reversal_that_keeps_failing_goes_to_a_person_who_resolves_it_on_the_record() {
    let d = shop();
    let down = ["--fault", "acquirer-down"];
    let (code, out) = topup(d.path(), "2", &down);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-REVERSAL-PENDING"), "{out}");
    let (code, out) = run(d.path(), &["pos", "resume", down[0], down[1]]);
    assert_eq!(code, 1, "{out}");
    let (_, out) = run(d.path(), &["pos", "resume", down[0], down[1]]);
    assert!(out.contains("H-REVERSAL-MANUAL after 3 tries"), "{out}");
    // Out of the automatic queue: a resume no longer tries it.
    let (_, out) = run(d.path(), &["pos", "resume"]);
    assert!(!out.contains("reversal try 4"), "{out}");
    let (code, listed) = run(d.path(), &["pos", "reversals"]);
    assert_eq!(code, 1, "{listed}");
    assert!(
        listed.contains("1 reversal(s) waiting for a person (H-REVERSAL-MANUAL)"),
        "{listed}"
    );
    assert!(
        listed.contains("card 411111******1111 2.00 yuan, manual after 3 tries: OPEN"),
        "{listed}"
    );
    assert!(listed.contains("try 3: H-UNREACHABLE"), "{listed}");
    let txn = listed
        .lines()
        .find(|l| l.ends_with(": OPEN"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    // The charge's outcome was unknown (the acquirer was down from the start); whatever the bank
    // holds under that id is settled by the adjustment.
    let (code, out) = run(
        d.path(),
        &[
            "pos",
            "reversals",
            "--resolve",
            &txn,
            "--by",
            "",
            "--why",
            "x",
        ],
    );
    assert_eq!(code, 2, "{out}");
    let (code, out) = run(
        d.path(),
        &[
            "pos",
            "reversals",
            "--resolve",
            &txn,
            "--by",
            "Zhang Wei",
            "--why",
            "bank ticket 4471",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, listed) = run(d.path(), &["pos", "reversals"]);
    assert_eq!(code, 0, "{listed}");
    assert!(listed.contains("resolved by Zhang Wei at "), "{listed}");
    assert!(listed.contains(": bank ticket 4471"), "{listed}");
    let t = bank(d.path());
    assert_eq!((t.charged - t.reversed, t.open), (0, 0));
    let (code, out) = run(d.path(), &["pos", "resume"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("0 top-up(s) unfinished, 0 reversal(s) queued"),
        "{out}"
    );
}
