//! The issuer's service desk at a counter reader, end to end through the real PC/SC stack
//! (docs/spec.md §7): a card image served by `stk-wallet serve` behind pcscd + vpcd, the POS and
//! the desk both reaching it with `--reader`, each as a process. The payment password is locked
//! at the POS, reloaded at the desk for the right holder only (a wrong ID stops after the holder
//! file is read: the served card's exchange log shows SELECT and the two file reads, nothing
//! more), then a load with the new password works at once, and so does a purchase; the
//! operation password is reset and the number cancelled through the reader; the wallet is
//! closed with its balance, the card's answer lost on the way (the closure is held in doubt and
//! finished by the next one), and settlement reconciles the refund. Needs a running pcscd with
//! vpcd (`.ci/pcsc-up.sh`); without it the test says SKIPPED, except in CI (`CI` set), where it
//! fails.
#![cfg(feature = "pcsc")]

mod common;

use common::pcsc::{self, Served, connect, readers_present};
use common::{output, said};
use std::path::Path;

const READER: &str = "Virtual PCD 00 00";
const NAME: &str = "TEST HOLDER";
const ID: &str = "110101199001011234";

/// Runs the CLI in `d`; (exit status, stdout and stderr).
fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let o = output(d, args);
    (o.status.code().unwrap_or(-1), said(&o))
}

fn ok(d: &Path, args: &[&str]) -> String {
    let (code, out) = run(d, args);
    assert_eq!(code, 0, "{args:?} failed:\n{out}");
    out
}

/// `pos ARGS… --reader READER` at a fixed time.
fn pos(d: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["pos"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--reader", READER, "--clock", "20261130 120000"]);
    run(d, &all)
}

/// `desk WHAT --reader READER --name NAME --id ID EXTRA…`.
fn desk(d: &Path, what: &str, id: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["desk", what, "--reader", READER, "--name", NAME, "--id", id];
    args.extend_from_slice(extra);
    run(d, &args)
}

/// The card image as the served card last saved it.
fn show(d: &Path) -> String {
    ok(d, &["card", "show"])
}

/// The commands the served card has received so far, from its exchange log (`> APDU  name`).
fn commands(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(" > ").map(|(_, c)| c.to_string()))
        .collect()
}

/// Serves the image in the counter reader, its exchanges logged to `log`, and waits for it.
fn serve(img: &Path, log: &Path) -> Served {
    serve_with(img, log, &[])
}

/// As [`serve`], with `extra` arguments (a fault).
fn serve_with(img: &Path, log: &Path, extra: &[&str]) -> Served {
    let mut args = vec![
        "serve",
        "--card",
        img.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let served = pcsc::serve(&args);
    drop(connect(READER));
    served
}

#[test]
fn the_desk_at_a_counter_reader() {
    if !readers_present(&[READER]) {
        assert!(
            std::env::var_os("CI").is_none(),
            "pcscd with the vpcd driver is not running in CI (.ci/run starts it)"
        );
        eprintln!("SKIPPED: pcscd with the vpcd driver is not running (.ci/pcsc-up.sh starts it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["card", "new"]);
    let img = d.join("card.json");
    let log = d.join("served.log");
    let served = serve(&img, &log);

    // Five wrong payment passwords at a POS load through the reader: the password locks.
    for _ in 0..5 {
        let (code, out) = pos(d, &["load", "5", "--pin", "000000"]);
        assert_eq!(code, 1, "{out}");
    }
    assert!(
        show(d).contains("payment pwd     0 of 5 tries left"),
        "{}",
        show(d)
    );
    let (code, out) = pos(d, &["load", "5", "--pin", "123456"]);
    assert_eq!(code, 1, "locked: {out}");
    assert!(out.contains("6983"), "{out}");

    // A wrong ID: refused with its code, and nothing reaches the card after the holder file
    // (READ BINARY of SFI 16: P1 = 96).
    let before = commands(&log).len();
    let (code, out) = desk(d, "reload-pin", "110101199001011235", &["--new", "654321"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-HOLDER"), "{out}");
    let sent = commands(&log)[before..].to_vec();
    let heads: Vec<&str> = sent.iter().map(|c| c.get(..6).unwrap_or(c)).collect();
    assert_eq!(
        heads,
        ["00A404", "00B095", "00B096"],
        "SELECT, the issuer file, the holder file and nothing more: {sent:?}"
    );
    assert!(show(d).contains("payment pwd     0 of 5 tries left"));

    // The right holder: reloaded through the reader, and the new password works at once.
    let (code, out) = desk(d, "reload-pin", ID, &["--new", "654321"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("at the counter, card in reader {READER}")),
        "{out}"
    );
    assert!(
        show(d).contains("payment pwd     5 of 5 tries left"),
        "{}",
        show(d)
    );
    let (code, out) = pos(d, &["load", "5", "--pin", "654321"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = pos(d, &["purchase", "3"]);
    assert_eq!(code, 0, "{out}");
    assert!(show(d).contains("balance         102.00"), "{}", show(d));

    // The operation password reset through the reader switches the menu's guard on (the card
    // taken out of the reader for the phone, then put back); the number cancelled: top-ups
    // refused, purchases go on.
    let (code, out) = desk(d, "reset-operation-password", ID, &["--new", "8765"]);
    assert_eq!(code, 0, "{out}");
    drop(served);
    ok(d, &["phone", "--keys", "4,1,1,'8765,o"]);
    assert!(
        show(d).contains("operation pwd   on (5 of 5 tries left)"),
        "{}",
        show(d)
    );
    let served = serve(&img, &log);
    let (code, out) = desk(d, "cancel-number", ID, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        show(d).contains("phone number    cancelled by the issuer"),
        "{}",
        show(d)
    );
    let (code, out) = pos(d, &["load", "5", "--pin", "654321"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("9405"), "{out}");
    let (code, out) = pos(d, &["purchase", "3"]);
    assert_eq!(code, 0, "{out}");
    assert!(show(d).contains("balance         99.00"), "{}", show(d));

    // Closing with the balance on the card, the card's answer to CLOSE WALLET lost on the way
    // (the served card's 7th command: SELECT, the two file reads, GET BALANCE, GET DATA, GET
    // CHALLENGE, CLOSE WALLET): the desk holds the closure in doubt with the refund pending;
    // the next closure finds the card closed past the intent's counter and finishes it. The
    // refund is booked at the clearing host and settlement reconciles.
    drop(served);
    let _served = serve_with(&img, &log, &["--fault", "lose-response:7"]);
    let (code, out) = desk(d, "close", ID, &["--clock", "20261130 130000"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("P-NO-RESPONSE") && out.contains("CLOSE WALLET"),
        "{out}"
    );
    assert!(show(d).contains("wallet          closed"), "{}", show(d));
    drop(connect(READER)); // the card back in the reader after its lost answer
    let (code, out) = desk(d, "close", ID, &["--clock", "20261130 130100"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("earlier request") && out.contains("99.00 yuan"),
        "{out}"
    );
    let card = show(d);
    assert!(card.contains("wallet          closed"), "{card}");
    assert!(card.contains("balance         0.00"), "{card}");
    let out = ok(d, &["settle"]);
    assert!(
        out.contains("shadow balance 0.00; card balance 0.00"),
        "{out}"
    );
    assert!(out.contains("reconciled"), "{out}");

    // The desk's log holds the refusal, the closure in doubt, and the four requests done.
    let log = ok(d, &["desk", "log"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 6, "{log}");
    assert!(
        lines[0].contains("refused") && lines[0].contains("H-HOLDER"),
        "{log}"
    );
    assert!(
        lines[4].contains("close") && lines[4].contains("in doubt"),
        "{log}"
    );
    for (line, what) in [1, 2, 3, 5].map(|i| lines[i]).iter().zip([
        "reload-pin",
        "reset-operation-password",
        "cancel-number",
        "close",
    ]) {
        assert!(line.contains(what) && line.contains("done"), "{log}");
    }
}
