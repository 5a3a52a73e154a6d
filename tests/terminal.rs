//! The terminal as a party with its own home, through the CLI as a process: many cards at one
//! terminal share its TTC, a re-keyed profile takes effect, one process at a time, and every
//! sale reaches settlement whatever the flags.
//!
//! Expected figures come from the default profile: balance 100.00, PSAM termID 001122334455,
//! first TTC 1 (profiles/default.json).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use stk_wallet::card::image;
use stk_wallet::home::TerminalHome;
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;

const BIN: &str = env!("CARGO_BIN_EXE_stk-wallet");

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("STK_TERMINAL")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs and insists on success.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "{args:?} failed:\n{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The TTC of the sale line (`purchase of … TTC n, TAC …`).
fn ttc(out: &str) -> u32 {
    let line = out
        .lines()
        .find(|l| l.starts_with("purchase of"))
        .unwrap_or_else(|| panic!("no sale line in:\n{out}"));
    let rest = &line[line.find("TTC ").expect("TTC") + 4..];
    rest[..rest.find(',').unwrap()].parse().unwrap()
}

/// Writes a profile like the default one with another serial (and optionally other keys).
fn profile_file(dir: &Path, name: &str, last_serial_byte: u8, rekey: bool) -> Profile {
    let mut p = Profile::default_profile();
    p.name = name.into();
    p.issuer.serial[9] = last_serial_byte;
    if rekey {
        // Same key version 1, other keys: only a PSAM that took the new keys can pay.
        for k in &mut p.keys.purchase {
            for (i, b) in k.key.master.as_mut().unwrap().iter_mut().enumerate() {
                *b = 0x60 + i as u8 + 0x10 * (k.version - 1);
            }
        }
        for (i, b) in p.keys.tac.master.as_mut().unwrap().iter_mut().enumerate() {
            *b = 0x70 + i as u8;
        }
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

#[test]
fn two_cards_at_one_terminal_get_ttc_1_and_2_and_both_settle() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    profile_file(d, "b-profile", 0x99, false);
    ok(d, &["card", "new", "-o", "a.json"]);
    ok(
        d,
        &["card", "new", "--profile", "b-profile.json", "-o", "b.json"],
    );
    let a = ok(d, &["pos", "purchase", "1", "--card", "a.json"]);
    let b = ok(
        d,
        &[
            "pos",
            "purchase",
            "2",
            "--card",
            "b.json",
            "--profile",
            "b-profile.json",
        ],
    );
    assert_eq!((ttc(&a), ttc(&b)), (1, 2), "{a}{b}");
    assert!(
        d.join("pos/terminal.db").is_file(),
        "the default home is ./pos"
    );
    assert!(!d.join("a.psam.json").exists() && !d.join("b.psam.json").exists());

    let o = run(d, &["settle", "--card", "a.json"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("terminal 001122334455 at pos"), "{out}");
    assert!(
        out.contains("upload 1: 2 record(s), 2 accepted, 0 rejected"),
        "{out}"
    );
    // Card a (the default profile's serial) paid 1.00 of its 100.00.
    assert!(
        out.contains("shadow balance 99.00; card balance 99.00"),
        "{out}"
    );
    // Uploaded once: a second settlement has nothing left to send.
    let again = ok(d, &["settle", "--card", "a.json"]);
    assert!(again.contains("upload 1: 0 record(s)"), "{again}");
}

#[test]
fn a_rejected_record_makes_settle_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    // The TAC is corrupted on its way to the POS: the sale completes, the record is forged.
    ok(d, &["pos", "purchase", "3", "--fault", "bad-mac:tac"]);
    let o = run(d, &["settle"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("1 record(s), 0 accepted, 1 rejected"), "{out}");
    assert!(out.contains("(H-TAC)"), "{out}");
    assert!(out.contains("1 record(s) rejected"), "{out}");
}

#[test]
fn a_re_keyed_profile_takes_effect_at_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    profile_file(d, "new-keys", 0x42, true);
    ok(d, &["card", "new", "-o", "old.json"]);
    ok(
        d,
        &[
            "card",
            "new",
            "--profile",
            "new-keys.json",
            "-o",
            "new.json",
        ],
    );
    let first = ok(d, &["pos", "purchase", "4", "--card", "old.json"]);
    assert!(first.contains("PSAM loaded"), "{first}");
    let settled = ok(d, &["settle", "--card", "old.json"]);
    assert!(settled.contains("1 accepted, 0 rejected"), "{settled}");

    // The same terminal, now signed in with the new profile: its key version 1 is another key.
    let args = [
        "pos",
        "purchase",
        "6",
        "--card",
        "new.json",
        "--profile",
        "new-keys.json",
    ];
    let sale = ok(d, &args);
    assert!(sale.contains("PSAM re-keyed"), "{sale}");
    assert_eq!(ttc(&sale), 2, "{sale}");
    assert_eq!(balance(d, "new.json"), 10000 - 600);
    let o = run(
        d,
        &["settle", "--card", "new.json", "--profile", "new-keys.json"],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("1 record(s), 1 accepted, 0 rejected"), "{out}");
    assert!(
        out.contains("shadow balance 94.00; card balance 94.00"),
        "{out}"
    );

    // Signed in with the new keys, the terminal cannot pay with a card of the old ones: the
    // card refuses the PSAM's MAC1.
    let o = run(
        d,
        &[
            "pos",
            "purchase",
            "1",
            "--card",
            "old.json",
            "--profile",
            "new-keys.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("9302"), "{}", text(&o));
    assert_eq!(balance(d, "old.json"), 10000 - 400);
}

#[test]
fn one_process_at_a_time_and_never_a_ttc_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new", "-o", "a.json"]);
    profile_file(d, "b-profile", 0x77, false);
    ok(
        d,
        &["card", "new", "--profile", "b-profile.json", "-o", "b.json"],
    );
    ok(d, &["pos", "balance", "--card", "a.json"]); // creates the home

    // Another process (this test) holds the terminal: refused with a catalogue code, nothing
    // changes.
    let held = TerminalHome::open_existing(&d.join("pos")).unwrap();
    for args in [
        &["pos", "purchase", "1", "--card", "a.json"][..],
        &[
            "pos",
            "topup",
            "1",
            "--bank-pin",
            "2468",
            "--card",
            "a.json",
        ],
        &["settle"],
    ] {
        let o = run(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("P-TERMINAL-BUSY"), "{}", text(&o));
    }
    assert_eq!(balance(d, "a.json"), 10000);
    drop(held);

    // Two POS processes started together on one terminal: each sells or is refused, and
    // the sales that happened have distinct TTCs and all settle.
    let mut sold = Vec::new();
    let mut refused = 0;
    for _ in 0..6 {
        let children: Vec<_> = [("a.json", "default"), ("b.json", "b-profile.json")]
            .iter()
            .map(|(card, profile)| {
                cmd(
                    d,
                    &["pos", "purchase", "1", "--card", card, "--profile", profile],
                )
                .spawn()
                .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            match o.status.code() {
                Some(0) => sold.push(ttc(&String::from_utf8_lossy(&o.stdout))),
                Some(2) if text(&o).contains("P-TERMINAL-BUSY") => refused += 1,
                _ => panic!("neither sold nor refused:\n{}", text(&o)),
            }
        }
    }
    assert_eq!(sold.len() + refused, 12);
    let mut distinct = sold.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), sold.len(), "a TTC used twice: {sold:?}");
    let paid = (20000 - balance(d, "a.json") - balance(d, "b.json")) / 100;
    assert_eq!(paid as usize, sold.len());
    let out = ok(d, &["settle"]);
    assert!(
        out.contains(&format!(
            "{n} record(s), {n} accepted, 0 rejected",
            n = sold.len()
        )),
        "{out}"
    );
    eprintln!("{} sold, {refused} refused", sold.len());
}

#[test]
fn every_sale_reaches_settlement_whatever_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    // (flags, whether the sale completes)
    let runs: [(&[&str], bool); 6] = [
        (&[], true),
        (&["--clock", "20261122 120000"], true),
        (&["--fault", "lose-response:debit"], true),
        (&["--fault", "tear:debit:8"], true),
        (&["--fault", "tear:debit:3"], true),
        // A digest error: the card paid, the POS gives no receipt, the record is journaled.
        (&["--fault", "bad-mac:mac2"], false),
    ];
    for (flags, completes) in runs {
        let mut args = vec!["pos", "purchase", "2"];
        args.extend_from_slice(flags);
        let o = run(d, &args);
        assert_eq!(o.status.success(), completes, "{flags:?}:\n{}", text(&o));
    }
    let card = image::load(&d.join("card.json")).unwrap();
    let debits = card.state().purse.offline_counter;
    assert_eq!(card.state().purse.balance, 10000 - 200 * u32::from(debits));
    assert_eq!(debits, 6, "each run debited once");
    let o = run(d, &["settle"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("6 record(s), 6 accepted, 0 rejected"), "{out}");
    assert!(
        out.contains("shadow balance 88.00; card balance 88.00"),
        "{out}"
    );
}

#[test]
fn terminals_with_their_own_homes_coexist() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    let one = ok(d, &["pos", "purchase", "1", "--terminal", "shop1"]);
    let two = ok(
        d,
        &[
            "pos",
            "purchase",
            "1",
            "--terminal",
            "shop2",
            "--term-id",
            "001122330002",
        ],
    );
    assert_eq!((ttc(&one), ttc(&two)), (1, 1));
    for (home, term) in [("shop1", "001122334455"), ("shop2", "001122330002")] {
        let out = ok(d, &["settle", "--terminal", home]);
        assert!(out.contains(&format!("terminal {term}")), "{out}");
        assert!(out.contains("1 accepted, 0 rejected"), "{out}");
    }
    // A home keeps the terminal number it was created with.
    let o = run(
        d,
        &[
            "pos",
            "balance",
            "--terminal",
            "shop1",
            "--term-id",
            "001122330002",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("P-TERMINAL"), "{}", text(&o));
    // $STK_TERMINAL names the home when --terminal does not.
    let o = cmd(d, &["pos", "purchase", "1"])
        .env("STK_TERMINAL", "shop2")
        .output()
        .unwrap();
    assert_eq!(ttc(&String::from_utf8_lossy(&o.stdout)), 2, "{}", text(&o));
}

#[test]
fn an_older_versions_psam_and_in_doubt_files_are_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    let p = Profile::default_profile();
    // The per-card PSAM file of an older version had handed out TTCs 1-6.
    let mut old = Psam::from_profile(&p);
    old.ttc = 7;
    std::fs::write(
        d.join("card.psam.json"),
        serde_json::to_string(&old).unwrap(),
    )
    .unwrap();
    let out = ok(d, &["pos", "purchase", "1"]);
    assert_eq!(ttc(&out), 7, "{out}");
    assert!(out.contains("TTC carried over"), "{out}");
    assert!(!d.join("card.psam.json").exists());
    assert!(d.join("card.psam.json.migrated").exists());
    assert_eq!(TerminalHome::peek(&d.join("pos")).unwrap().1, 8);
    // A second run does not take the retired file again.
    assert_eq!(ttc(&ok(d, &["pos", "purchase", "1"])), 8);

    // The per-card file of a sale in doubt (here one whose DEBIT never reached the card).
    let sale = stk_wallet::pos::InDoubt {
        serial: p.issuer.serial,
        counter: 2,
        amount: 300,
        term_id: p.psam.term_id,
        ttc: 5,
        date: [0x20, 0x26, 0x11, 0x20],
        time: [0x10, 0, 0],
    };
    std::fs::write(
        d.join("card.pending.json"),
        serde_json::to_string(&sale).unwrap(),
    )
    .unwrap();
    // The terminal now holds it: another sale on that card waits until it is finished.
    let o = run(d, &["pos", "purchase", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("the sale in doubt is of 300 fen"),
        "{}",
        text(&o)
    );
    assert!(d.join("card.pending.json.migrated").exists());
    let out = ok(d, &["pos", "purchase", "3"]);
    assert!(
        out.contains("no trace of the debit: starting over"),
        "{out}"
    );
    assert_eq!(balance(d, "card.json"), 10000 - 100 - 100 - 300);
}

/// POS processes are killed (SIGKILL) at random instants of sales of 1.00 on two cards, then
/// each card left in doubt is tapped again until nothing is. Every debit on a card is then
/// exactly one record accepted at settlement (so none was lost and no TTC was used twice).
/// `CRASH_RUNS` and `CRASH_SEED` as in tests/crash.rs.
#[test]
fn killed_sales_all_reach_settlement() {
    use stk_wallet::fault::SplitMix;
    let runs: u64 = std::env::var("CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_0007);
    let mut rng = SplitMix(seed);
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let b = profile_file(d, "b-profile", 0x31, false);
    ok(d, &["card", "new", "-o", "a.json"]);
    ok(
        d,
        &["card", "new", "--profile", "b-profile.json", "-o", "b.json"],
    );
    let cards = [("a.json", "default"), ("b.json", "b-profile.json")];
    let mut killed = 0;
    for i in 0..runs {
        let (card, profile) = cards[(i % 2) as usize];
        let mut child = cmd(
            d,
            &[
                "pos",
                "purchase",
                "1",
                "--card",
                card,
                "--profile",
                profile,
                "--step-delay-ms",
                "10",
            ],
        )
        .spawn()
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(rng.below(200)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL on Unix
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert!(killed > 0, "no run was killed: the test proves nothing");
    let mut left = Vec::new();
    for _ in 0..4 {
        left = TerminalHome::open_existing(&d.join("pos"))
            .unwrap()
            .all_in_doubt()
            .unwrap();
        if left.is_empty() {
            break;
        }
        for sale in &left {
            let (card, profile) = if sale.serial == b.issuer.serial {
                cards[1]
            } else {
                cards[0]
            };
            let o = run(
                d,
                &["pos", "purchase", "1", "--card", card, "--profile", profile],
            );
            assert!(o.status.success(), "tap again:\n{}", text(&o));
        }
    }
    assert!(left.is_empty(), "still in doubt: {left:?}");
    let debits: u32 = ["a.json", "b.json"]
        .iter()
        .map(|c| {
            let card = image::load(&d.join(c)).unwrap();
            let n = u32::from(card.state().purse.offline_counter);
            assert_eq!(card.state().purse.balance, 10000 - 100 * n, "{c}");
            n
        })
        .sum();
    let o = run(d, &["settle", "--card", "a.json"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "{debits} record(s), {debits} accepted, 0 rejected"
        )),
        "{out}"
    );
    eprintln!("{runs} sales, {killed} killed, {debits} debits settled");
}

/// Past the card's expiry date (the default card is valid through 2036-12-31) the terminal
/// refuses a load, an integrated top-up and a refund as it refuses a sale: `P-EXPIRED`, before
/// the card is asked for anything after READ BINARY, with nothing credited and no bank card
/// charged. The day before, the same flows go through.
#[test]
fn an_expired_card_takes_no_load_top_up_or_refund() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    ok(d, &["card", "new"]);
    let sale = ok(d, &["pos", "purchase", "12.34"]);
    assert_eq!(ttc(&sale), 1);
    let before = balance(d, "card.json");
    let expired = ["pos", "--clock", "20370101 090000"];
    let flows: [&[&str]; 3] = [
        &["load", "1"],
        &["topup", "20", "--bank-pin", "2468"],
        &["refund", "--ttc", "1"],
    ];
    for flow in flows {
        let args = [&expired[..], flow].concat();
        let o = run(d, &args);
        let said = text(&o);
        assert!(!o.status.success(), "{args:?} went through:\n{said}");
        assert!(
            said.contains("failed (P-EXPIRED)") && said.contains("expired on 2036-12-31"),
            "{args:?}: {said}"
        );
        // Where the flow prints its transcript: SELECT and READ BINARY 0015, nothing after.
        let sent: Vec<&str> = said.lines().filter(|l| l.contains(" > ")).collect();
        assert!(sent.len() <= 2, "{args:?} sent more:\n{said}");
        assert!(
            sent.iter()
                .all(|l| l.contains("SELECT") || l.contains("READ BINARY 0015")),
            "{args:?}:\n{said}"
        );
        assert_eq!(balance(d, "card.json"), before, "{args:?} moved money");
    }
    let bank = stk_wallet::acquirer::SqliteBank::open(&d.join("bank.db")).unwrap();
    assert_eq!(
        bank.totals().unwrap().charged,
        0,
        "the bank card was charged"
    );
    // The last valid day: the refund and the load go through.
    let valid = ["pos", "--clock", "20361231 235959"];
    ok(d, &[&valid[..], &["refund", "--ttc", "1"]].concat());
    ok(d, &[&valid[..], &["load", "1"]].concat());
    assert_eq!(balance(d, "card.json"), before + 1234 + 100);
}
