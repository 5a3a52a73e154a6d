//! The command line as a process: every documented `--fault` spelling parses and reaches the
//! layer it names, a fault a command cannot reach is refused with exit status 2 and `I-FAULT`,
//! every `--help` documents the exit status, and a purchase prints one shape whatever the
//! link and the fault.
//!
//! Figures come from the default profile: balance 100.00, a DEBIT commits 12 EEPROM writes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::purchase_shape as shape;

const BIN: &str = env!("CARGO_BIN_EXE_stk-wallet");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("STK_TERMINAL")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

/// A folder with a fresh card image (`card.json`) from the default profile.
fn shop() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["card", "new"]);
    assert!(o.status.success(), "{}", text(&o));
    d
}

/// Every spelling docs/faults.md lists, a command whose flow reaches the fault's layer, and
/// what the output shows when the fault hit that layer.
const REACHED: &[(&str, &[&str], &str)] = &[
    (
        "none",
        &["pos", "purchase", "1"],
        "purchase of 1.00 yuan done",
    ),
    (
        "lose-response:debit",
        &["pos", "purchase", "1"],
        "! fault at command 4: debit executed by the card",
    ),
    (
        "lose-response:3",
        &["pos", "purchase", "1"],
        "! fault at command 3:",
    ),
    (
        "bad-mac:mac1",
        &["pos", "purchase", "1"],
        "bad-mac:mac1 field of debit corrupted",
    ),
    (
        "bad-mac:mac2",
        &["pos", "purchase", "1"],
        "bad-mac:mac2 in debit's answer corrupted",
    ),
    (
        "bad-mac:tac",
        &["pos", "purchase", "1"],
        "bad-mac:tac in debit's answer corrupted",
    ),
    (
        "bad-mac:load-mac2",
        &["pos", "load", "1"],
        "bad-mac:load-mac2 field of credit corrupted",
    ),
    (
        "tear:debit:3",
        &["pos", "purchase", "1"],
        "power lost before EEPROM write 3 of debit's commit",
    ),
    (
        "tear:debit:last",
        &["pos", "purchase", "1"],
        "power lost before EEPROM write 11 of debit's commit",
    ),
    (
        "tear-after-debit",
        &["pos", "purchase", "1"],
        "power lost before EEPROM write 11 of debit's commit",
    ),
    (
        "tear:credit:7",
        &["pos", "topup", "20", "--bank-pin", "2468"],
        "power lost before EEPROM write 7 of credit's commit",
    ),
    (
        "host-down",
        &["pos", "topup", "20", "--bank-pin", "2468"],
        "the issuer did not authorise (H-UNREACHABLE",
    ),
    (
        "host-down:1",
        &["pos", "load", "1"],
        "issuer try 1/2: the host cannot be reached",
    ),
    (
        "acquirer-down",
        &["pos", "topup", "20", "--bank-pin", "2468"],
        "charge outcome unknown (H-UNREACHABLE",
    ),
    (
        "acquirer-down:2",
        &["pos", "topup", "20", "--bank-pin", "2468"],
        "reversal queued (H-REVERSAL-PENDING)",
    ),
    ("duplicate-upload", &["settle"], "upload 2: 0 record(s)"),
];

#[test]
fn every_documented_fault_parses_and_reaches_its_layer() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/faults.md"))
        .unwrap();
    for (fault, args, shows) in REACHED {
        let d = shop();
        if args[0] == "settle" {
            // Settlement needs a terminal that exists.
            let o = run(d.path(), &["pos", "balance"]);
            assert!(o.status.success(), "{}", text(&o));
        }
        let mut a = args.to_vec();
        a.extend(["--fault", fault]);
        let o = run(d.path(), &a);
        let t = text(&o);
        assert_ne!(o.status.code(), Some(2), "{a:?} refused:\n{t}");
        assert!(
            t.contains(shows),
            "{a:?}: the fault did not reach its layer:\n{t}"
        );
        // The spelling is documented (its family, for spellings with numbers).
        let family = fault.split(':').next().unwrap();
        assert!(
            doc.contains(&format!("`{family}")),
            "{fault} is not in docs/faults.md"
        );
    }
}

/// The first column of docs/faults.md's fault table: each row's first spelling.
fn documented_faults() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/faults.md"))
        .unwrap();
    let table = &doc[doc.find("| fault | layer |").expect("the fault table")..];
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('`').nth(1).expect("a spelling").to_string())
        .collect()
}

#[test]
fn every_fault_in_the_docs_is_exercised_here() {
    let rows = documented_faults();
    assert!(rows.len() >= 9, "{rows:?}");
    for row in rows {
        let family = row.split([':', '[']).next().unwrap();
        assert!(
            family == "random"
                || REACHED
                    .iter()
                    .any(|(f, ..)| f.split(':').next() == Some(family)),
            "docs/faults.md lists `{row}`, which no test here runs"
        );
    }
}

#[test]
fn a_slow_issuer_delays_the_top_up() {
    let d = shop();
    let start = Instant::now();
    let o = run(
        d.path(),
        &[
            "pos",
            "topup",
            "20",
            "--bank-pin",
            "2468",
            "--fault",
            "host-delay:400",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("fault: host-delay:400"), "{}", text(&o));
    assert!(start.elapsed() >= Duration::from_millis(400));
}

#[test]
fn an_unreachable_acquirer_keeps_the_reversal_queued_at_resume() {
    let d = shop();
    let o = run(
        d.path(),
        &[
            "pos",
            "topup",
            "20",
            "--bank-pin",
            "2468",
            "--fault",
            "acquirer-down",
        ],
    );
    // Not loaded: the top-up failed, whatever became of the charge.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = run(d.path(), &["pos", "resume", "--fault", "acquirer-down"]);
    assert!(stdout(&o).contains("1 reversal(s) queued"), "{}", text(&o));
    let o = run(d.path(), &["pos", "resume"]);
    assert!(stdout(&o).contains("0 reversal(s) queued"), "{}", text(&o));
}

#[test]
fn a_random_plan_is_announced_like_any_other() {
    let d = shop();
    let o = run(d.path(), &["pos", "purchase", "1", "--fault", "random:7"]);
    assert_ne!(o.status.code(), Some(2), "{}", text(&o));
    let first = stdout(&o)
        .lines()
        .find(|l| l.starts_with("card image"))
        .map(str::to_string);
    let first = first.unwrap_or_else(|| panic!("no header:\n{}", text(&o)));
    assert!(
        !first.ends_with("fault: random:7"),
        "the plan is shown resolved: {first}"
    );
}

/// Faults at a layer the command's flow never reaches, and malformed or out-of-reach faults.
#[test]
fn misplaced_and_malformed_faults_exit_2_with_i_fault() {
    let refused: &[(&[&str], &str, &str)] = &[
        (&["pos", "purchase", "1"], "duplicate-upload", "settlement"),
        (&["pos", "purchase", "1"], "host-down", "the issuer link"),
        (
            &["pos", "purchase", "1"],
            "acquirer-down",
            "the acquirer link",
        ),
        (&["pos", "load", "1"], "acquirer-down", "the acquirer link"),
        (&["pos", "load", "1"], "duplicate-upload", "settlement"),
        (
            &["pos", "topup", "20", "--bank-pin", "2468"],
            "duplicate-upload",
            "settlement",
        ),
        (&["pos", "resume"], "host-down", "the issuer link"),
        (&["pos", "resume"], "lose-response:debit", "the card link"),
        (&["settle"], "tear:debit:3", "the card's power"),
        (&["settle"], "acquirer-down:1", "the acquirer link"),
        (
            &["serve", "--addr", "127.0.0.1:1"],
            "host-delay:5",
            "the issuer link",
        ),
        (
            &["pos", "purchase", "1", "--reader", "Nowhere"],
            "tear:debit:3",
            "the card's power",
        ),
    ];
    for (args, fault, layer) in refused {
        let d = shop();
        let before = std::fs::read(d.path().join("card.json")).unwrap();
        let mut a = args.to_vec();
        a.extend(["--fault", fault]);
        let o = run(d.path(), &a);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{a:?}:\n{}", text(&o));
        assert!(
            e.starts_with("error: I-FAULT: ") && e.contains(layer) && e.contains("does not reach"),
            "{a:?}: {e}"
        );
        assert!(
            stdout(&o).is_empty(),
            "{a:?} started its flow:\n{}",
            text(&o)
        );
        assert_eq!(std::fs::read(d.path().join("card.json")).unwrap(), before);
    }
    for (fault, why) in [
        ("explode", "unknown fault `explode`"),
        ("help", "unknown fault `help`"),
        ("tear:debit:12", "12 EEPROM writes, numbered 0-11"),
        ("tear:credit:99", "write 99 is never reached"),
        ("lose-response:0", "commands count from 1"),
        ("acquirer-down:x", "`x` is not a number"),
    ] {
        let d = shop();
        let o = run(d.path(), &["pos", "purchase", "1", "--fault", fault]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{fault}: {e}");
        assert!(e.contains("I-FAULT: ") && e.contains(why), "{fault}: {e}");
        assert!(e.contains("faults: none, lose-response"), "{fault}: {e}");
    }
    // The commands without a fault flag refuse one as an unknown argument.
    let d = shop();
    let o = run(d.path(), &["pos", "balance", "--fault", "host-down"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn every_help_documents_the_exit_status() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["pos", "--help"],
        &["pos", "purchase", "--help"],
        &["pos", "topup", "--help"],
        &["settle", "--help"],
        &["explain", "--help"],
        &["card", "new", "--help"],
    ] {
        let o = run(d.path(), args);
        assert!(o.status.success(), "{args:?}");
        let h = stdout(&o);
        assert!(h.contains("Exit status:"), "{args:?}:\n{h}");
        for line in [
            "  0  done",
            "  1  a flow or a vector failed",
            "  2  usage or input error",
        ] {
            assert!(h.contains(line), "{args:?} lacks `{line}`:\n{h}");
        }
    }
    // And the codes are the ones the commands use.
    let o = run(d.path(), &["explain", "NOPE-NOPE"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(d.path(), &["pos", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(d.path(), &["explain", "9302"]);
    assert_eq!(o.status.code(), Some(0));
    // A vector the card does not pass: GET BALANCE before SELECT is refused with 6985.
    let bad = d.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "wrong on purpose", "steps": [{"apdu": "80 5C 00 02 04", "sw": "9000"}]}"#,
    )
    .unwrap();
    let o = run(d.path(), &["run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("FAIL"), "{}", text(&o));
}

#[test]
fn a_purchase_prints_one_shape_with_or_without_a_fault() {
    let plain = {
        let d = shop();
        stdout(&run(d.path(), &["pos", "purchase", "2"]))
    };
    for fault in ["none", "bad-mac:tac"] {
        let d = shop();
        let o = run(d.path(), &["pos", "purchase", "2", "--fault", fault]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(
            shape(&stdout(&o)),
            shape(&plain),
            "{fault}:\n{}\n--\n{plain}",
            stdout(&o)
        );
    }
    // A recovered sale: the same lines, plus the second tap.
    let d = shop();
    let o = run(
        d.path(),
        &["pos", "purchase", "2", "--fault", "lose-response:debit"],
    );
    let s = shape(&stdout(&o));
    assert_eq!(s[0], shape(&plain)[0]);
    assert!(
        s.iter()
            .any(|l| l.starts_with("tap # (the customer taps again)")),
        "{s:?}"
    );
    // The result line, then its receipt (tests/receipts.rs reads the receipt's fields).
    let result = s.iter().position(|l| l.starts_with("purchase of")).unwrap();
    assert!(
        s[result].starts_with("purchase of # yuan recovered"),
        "{s:?}"
    );
    assert!(s[result + 1].contains("RECEIPT"), "{s:?}");
}

/// A reader that goes away (`stk-wallet explain --list | head -1`) ends the CLI quietly, as it
/// ends any Unix tool, instead of a "failed printing to stdout" panic.
#[test]
fn a_closed_pipe_ends_the_cli_quietly() {
    let mut child = Command::new(common::CLI)
        .args(["explain", "--list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line is printed
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}
