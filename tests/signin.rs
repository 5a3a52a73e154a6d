//! Sign-in (签到) and key rollover through the CLI as a process (docs/spec.md §8): a new
//! terminal signs in and prints the merchant number it got; after the issuer rolls a key over,
//! a terminal on the old version is refused with a code whose remedy is to sign in, signs in,
//! and works again; a card personalised with both versions works at old and new terminals; a
//! sign-in the link loses keeps the parameters of the last one.
//!
//! Figures: the default profile (balance 100.00, PSAM termID 001122334455); the issuer's
//! default merchant number 898440358120001; the rolled profiles add load key index 2 version 2.

mod common;

use common::{output, said};
use std::path::Path;
use stk_wallet::card::image;
use stk_wallet::home::TerminalHome;
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::Journal;
use stk_wallet::profile::Profile;

/// Runs and insists on exit status 0; stdout and stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = output(dir, args);
    assert!(o.status.success(), "{args:?} failed:\n{}", said(&o));
    said(&o)
}

/// Runs and insists on exit status `code`; stdout and stderr.
fn exits(dir: &Path, code: i32, args: &[&str]) -> String {
    let o = output(dir, args);
    assert_eq!(o.status.code(), Some(code), "{args:?}:\n{}", said(&o));
    said(&o)
}

/// Writes `NAME.json`: the default profile with a second load key (index 2, version 2) beside
/// the purchase keys 1 and 2 it has; `new_only` keeps only the keys of index 2 (a card
/// personalised after the rollover) and gives the card another serial.
fn profile(dir: &Path, name: &str, new_only: bool) -> Profile {
    let mut p = Profile::default_profile();
    p.name = name.into();
    let mut k = p.keys.load[0].clone();
    k.index = 2;
    k.version = 2;
    k.key.master = Some(std::array::from_fn(|i| 0x60 + i as u8));
    p.keys.load.push(k);
    if new_only {
        p.keys.purchase.retain(|k| k.index == 2);
        p.keys.load.retain(|k| k.index == 2);
        p.issuer.serial[9] = 0x42;
    }
    p.validate().unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&p).unwrap(),
    )
    .unwrap();
    p
}

fn balance(dir: &Path, card: &str) -> u32 {
    image::load(&dir.join(card)).unwrap().state().purse.balance
}

/// The terminal's journal in home `home`.
fn journal(dir: &Path, home: &str) -> Journal {
    Journal::open(&dir.join(home).join("terminal.db")).unwrap()
}

/// The INITIALIZE FOR PURCHASE command a flow printed (its P1 `01` and key index byte).
fn init_purchase_key_index(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains("INITIALIZE FOR PURCHASE"))
        .unwrap_or_else(|| panic!("no INITIALIZE FOR PURCHASE in:\n{out}"));
    let cmd = line.split('>').nth(1).unwrap().trim();
    cmd[10..12].to_string()
}

#[test]
fn a_new_terminal_signs_in_and_its_receipts_carry_the_merchant_number() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    // Parameters a terminal could not take are refused as bad input.
    let bad = exits(d, 2, &["issuer", "params", "--merchant", "12"]);
    assert!(bad.contains("not a merchant number (15 digits)"), "{bad}");
    let bad = exits(d, 2, &["issuer", "params", "--resends", "10"]);
    assert!(bad.contains("10 is not in 0..=9"), "{bad}");
    assert!(!d.join("issuer.db").exists(), "nothing written");
    ok(d, &["issuer", "params", "--merchant", "104110000000042"]);
    let out = ok(d, &["pos", "signin"]);
    assert!(out.contains("new terminal 001122334455"), "{out}");
    assert!(
        out.contains("signed in: merchant 104110000000042, host time-out 2000 ms, 1 resend(s), 3 reversal tries, purchase key index 01 version 01, load key index 01 version 01"),
        "{out}"
    );
    let s = journal(d, "pos").sign_in_record().unwrap().unwrap();
    assert_eq!(s.merchant, "104110000000042");
    let sale = ok(d, &["pos", "purchase", "1.00"]);
    assert!(sale.contains("商户号 Merchant: 104110000000042"), "{sale}");

    // A terminal whose home a sale creates signs in as it is set up, and sells.
    let other = ok(
        d,
        &[
            "pos",
            "purchase",
            "2.00",
            "--terminal",
            "shop2",
            "--term-id",
            "001122330002",
        ],
    );
    assert!(
        other.contains("terminal: signed in: merchant 104110000000042"),
        "{other}"
    );
    assert!(other.contains("purchase of 2.00 yuan done"), "{other}");
}

#[test]
fn a_terminal_that_never_signed_in_refuses_to_sell() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    // The new terminal's only sign-in is lost on the link: it has no sign-in.
    let out = exits(d, 1, &["pos", "signin", "--fault", "host-down"]);
    assert!(out.contains("H-UNREACHABLE"), "{out}");
    assert!(
        out.contains("the terminal has still never signed in"),
        "{out}"
    );
    assert!(journal(d, "pos").sign_in_record().unwrap().is_none());
    for flow in [
        &["pos", "purchase", "1"][..],
        &["pos", "load", "1"],
        &["pos", "topup", "1", "--bank-pin", "2468"],
    ] {
        let out = exits(d, 1, flow);
        assert!(out.contains("failed (P-SIGN-IN)"), "{flow:?}: {out}");
        assert!(out.contains("pos signin"), "{flow:?}: {out}");
    }
    assert_eq!(balance(d, "card.json"), 10000);
    // Signed in, it sells.
    ok(d, &["pos", "signin"]);
    ok(d, &["pos", "purchase", "1"]);
    assert_eq!(balance(d, "card.json"), 9900);
}

#[test]
fn after_a_rollover_an_old_terminal_is_refused_then_signs_in_and_works_again() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    profile(d, "both", false);
    profile(d, "new", true);
    let both = ["--profile", "both.json", "--card", "both-card.json"];
    let new = ["--profile", "new.json", "--card", "new-card.json"];
    ok(
        d,
        &[
            "card",
            "new",
            "--profile",
            "both.json",
            "-o",
            "both-card.json",
        ],
    );
    ok(
        d,
        &[
            "card",
            "new",
            "--profile",
            "new.json",
            "-o",
            "new-card.json",
        ],
    );
    // The terminal signs in before the rollover: purchase and load key index 1.
    ok(d, &["pos", "signin", both[0], both[1]]);

    let rolled = ok(d, &["issuer", "roll-key", "purchase", both[0], both[1]]);
    assert!(
        rolled.contains(
            "purchase key rolled over: index 01 version 01 retired, index 02 version 02 current"
        ),
        "{rolled}"
    );
    let rolled = ok(d, &["issuer", "roll-key", "load", both[0], both[1]]);
    assert!(rolled.contains("index 02 version 02 current"), "{rolled}");
    // Nothing newer to roll to: refused, the state unchanged.
    let again = exits(d, 2, &["issuer", "roll-key", "load", both[0], both[1]]);
    assert!(
        again.contains("I-PROFILE") && again.contains("no load key newer"),
        "{again}"
    );

    // The old terminal with a card that holds only the new keys: the card answers 9403.
    let mut args = vec!["pos", "purchase", "3"];
    args.extend(new);
    let out = exits(d, 1, &args);
    assert!(out.contains("failed (P-KEY-VERSION)"), "{out}");
    assert!(out.contains("< 9403"), "{out}");
    assert!(out.contains("pos signin"), "{out}");
    assert_eq!(balance(d, "new-card.json"), 10000);

    // A load under the retired load key: the issuer refuses MAC1's key, nothing is loaded.
    let mut args = vec!["pos", "load", "5"];
    args.extend(both);
    let out = exits(d, 1, &args);
    assert!(out.contains("failed (H-KEY-RETIRED)"), "{out}");
    assert!(out.contains("sign the terminal in"), "{out}");
    assert_eq!(balance(d, "both-card.json"), 10000);
    // An integrated top-up is refused before the bank card is charged.
    let mut args = vec!["pos", "topup", "5", "--bank-pin", "2468"];
    args.extend(both);
    let out = exits(d, 1, &args);
    assert!(out.contains("H-KEY-RETIRED"), "{out}");
    assert!(!out.contains("charged"), "{out}");
    assert_eq!(balance(d, "both-card.json"), 10000);

    // Signed in, the terminal uses the new keys and works again.
    let out = ok(d, &["pos", "signin", both[0], both[1]]);
    assert!(
        out.contains("purchase key index 02 version 02, load key index 02 version 02"),
        "{out}"
    );
    let mut args = vec!["pos", "purchase", "3"];
    args.extend(new);
    let out = ok(d, &args);
    assert_eq!(init_purchase_key_index(&out), "02", "{out}");
    assert_eq!(balance(d, "new-card.json"), 9700);
    let mut args = vec!["pos", "load", "5"];
    args.extend(both);
    let out = ok(d, &args);
    assert!(out.contains("verified by the issuer"), "{out}");
    assert_eq!(balance(d, "both-card.json"), 10500);
}

#[test]
fn a_card_with_both_versions_works_at_old_and_new_terminals() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    profile(d, "both", false);
    let p = ["--profile", "both.json"];
    ok(d, &["card", "new", p[0], p[1]]);
    ok(d, &["pos", "signin", "--terminal", "old", p[0], p[1]]);
    ok(d, &["issuer", "roll-key", "purchase", p[0], p[1]]);
    ok(
        d,
        &[
            "pos",
            "signin",
            "--terminal",
            "new",
            "--term-id",
            "001122330002",
            p[0],
            p[1],
        ],
    );
    let old = ok(
        d,
        &["pos", "purchase", "1", "--terminal", "old", p[0], p[1]],
    );
    assert_eq!(init_purchase_key_index(&old), "01", "{old}");
    let new = ok(
        d,
        &["pos", "purchase", "2", "--terminal", "new", p[0], p[1]],
    );
    assert_eq!(init_purchase_key_index(&new), "02", "{new}");
    assert_eq!(balance(d, "card.json"), 9700);
    // Both sales settle: the purchase TAC does not depend on the purchase key.
    for t in ["old", "new"] {
        let out = ok(d, &["settle", "--terminal", t, p[0], p[1]]);
        assert!(out.contains("1 accepted, 0 rejected"), "{t}: {out}");
    }
}

#[test]
fn a_sign_in_lost_on_the_link_keeps_the_old_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    ok(d, &["pos", "signin"]);
    let before = journal(d, "pos").sign_in_record().unwrap().unwrap();
    let params = journal(d, "pos").params().unwrap();
    // The issuer changes what a sign-in brings; the terminal's sign-in does not get through.
    ok(
        d,
        &[
            "issuer",
            "params",
            "--merchant",
            "104110000000099",
            "--timeout-ms",
            "500",
        ],
    );
    let out = exits(d, 1, &["pos", "signin", "--fault", "host-down:2"]);
    assert!(
        out.contains("issuer try 2/2: the host cannot be reached"),
        "{out}"
    );
    assert!(out.contains("failed (H-UNREACHABLE)"), "{out}");
    assert!(out.contains("are kept (merchant 898440358120001"), "{out}");
    assert_eq!(journal(d, "pos").sign_in_record().unwrap().unwrap(), before);
    assert_eq!(journal(d, "pos").params().unwrap(), params);
    let sale = ok(d, &["pos", "purchase", "1"]);
    assert!(sale.contains("商户号 Merchant: 898440358120001"), "{sale}");

    // A lost first try is resent: the sign-in gets through and brings the new time-out,
    // which the next load then waits for (a 700 ms answer is too late under 500 ms).
    let out = ok(d, &["pos", "signin", "--fault", "host-down:1"]);
    assert!(
        out.contains("merchant 104110000000099, host time-out 500 ms"),
        "{out}"
    );
    assert_eq!(journal(d, "pos").params().unwrap().host_timeout_ms, 500);
    let out = exits(d, 1, &["pos", "load", "1", "--fault", "host-delay:700"]);
    assert!(out.contains("no answer within 500 ms"), "{out}");
    assert!(out.contains("H-TIMEOUT"), "{out}");
}

#[test]
fn a_home_signs_in_in_the_transaction_that_creates_it_and_only_then() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Profile::default_profile();
    let issuer = IssuerHost::from_profile(&p);
    let new = tmp.path().join("new");
    let home = TerminalHome::open_signing_in_new(&new, &p, None, &issuer, "t0").unwrap();
    let s = home.journal.sign_in_record().unwrap().expect("signed in");
    assert_eq!(
        (s.at.as_str(), s.merchant.as_str()),
        ("t0", "898440358120001")
    );
    drop(home);
    // Opened again: the sign-in it has is kept, not redone.
    let home = TerminalHome::open_signing_in_new(&new, &p, None, &issuer, "t1").unwrap();
    assert_eq!(home.journal.sign_in_record().unwrap().unwrap().at, "t0");
    drop(home);
    // A home created without a sign-in is not signed in by a later opening either.
    let bare = tmp.path().join("bare");
    drop(TerminalHome::open(&bare, &p, None).unwrap());
    let home = TerminalHome::open_signing_in_new(&bare, &p, None, &issuer, "t2").unwrap();
    assert_eq!(home.journal.sign_in_record().unwrap(), None);
}

/// Over the air there is no terminal to sign in: after the issuer rolls the load key over, the
/// phone's Top Up on a card with both versions loads under the new key (the card asks under its
/// newest) and the issuer books it, so settlement reconciles; a card with only the retired key
/// is refused by the issuer's gateway with `H-KEY-RETIRED` and a remedy on the menu, and is not
/// loaded.
#[test]
fn after_a_load_key_rollover_the_phone_tops_up_under_the_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    profile(d, "both", false);
    ok(d, &["card", "new", "--profile", "both.json"]);
    // A card personalised before the second key existed: load key index 1 only (another serial).
    let mut old = Profile::default_profile();
    old.name = "old".into();
    old.issuer.serial[9] = 0x17;
    std::fs::write(d.join("old.json"), serde_json::to_string(&old).unwrap()).unwrap();
    ok(
        d,
        &[
            "card",
            "new",
            "--profile",
            "old.json",
            "-o",
            "old-card.json",
        ],
    );
    ok(d, &["issuer", "roll-key", "load", "--profile", "both.json"]);
    let top_up = |card: &str| {
        ok(
            d,
            &[
                "phone",
                "--profile",
                "both.json",
                "--card",
                card,
                "--lang",
                "en",
                "--keys",
                "1,1,5,123456",
                "--clock",
                "20261201 103000",
            ],
        )
    };

    let air = top_up("card.json");
    assert!(air.contains("Topped up 5.00 yuan"), "{air}");
    assert_eq!(balance(d, "card.json"), 10500);
    // Under the new key: the card's log and counter say a load, and the issuer booked it.
    let out = ok(d, &["pos", "signin", "--profile", "both.json"]);
    assert!(out.contains("load key index 02 version 02"), "{out}");
    let settled = ok(d, &["settle", "--profile", "both.json", "--json"]);
    let j: serde_json::Value = serde_json::from_str(
        settled
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap_or_else(|e| panic!("{e}: {settled}"));
    let r = &j["reconciliation"];
    assert_eq!(r["shadow"], 10500, "{j:#}");
    assert_eq!(r["card"], 10500, "{j:#}");
    assert_eq!(r["difference"], 0, "{j:#}");

    let refused = top_up("old-card.json");
    assert!(
        refused.contains("H-KEY-RETIRED")
            && refused.contains("retired this card's load key (index 01)")
            && refused.contains("take the card to the issuer"),
        "{refused}"
    );
    assert!(!refused.contains("Topped up"), "{refused}");
    assert_eq!(balance(d, "old-card.json"), 10000);
}
