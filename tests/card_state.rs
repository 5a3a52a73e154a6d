//! Vectors on a card in any state: against a card in a reader, a vector that needs a fresh
//! card is preceded by a read-only check of the card's state (balance, log), and a card that
//! has drifted is reported as `V-STATE` "card not in the required state: … (personalise it
//! first)" instead of failing at a misleading step. The card here is the simulator behind the
//! same transport interface a PC/SC reader has.

mod common;

use std::path::PathBuf;
use stk_wallet::card::Card;
use stk_wallet::errors::Code;
use stk_wallet::profile::Profile;
use stk_wallet::transport::Transport;
use stk_wallet::transport::sim::{SharedCard, SimCard, shared};
use stk_wallet::vectors::format::CardState;
use stk_wallet::vectors::runner::{self, Status, Target};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn caps() -> Vec<String> {
    vec!["contactless".into(), "fixed-random".into()]
}

/// A vector written for a freshly personalised card (the smoke test as it was before it was
/// written relative to the card's state).
const FRESH_SMOKE: &str = r#"{"name": "smoke on a fresh card", "steps": [
    {"apdu": "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01 00"},
    {"apdu": "80 5C 00 02 04", "expect": "00 00 27 10"},
    {"purchase": 1234},
    {"balance": 8766},
    {"history": [{"type": "purchase", "amount": 1234}]}]}"#;

#[test]
fn a_used_card_is_reported_as_not_in_the_required_state() {
    let card = shared(Card::personalise(&Profile::default_profile()));
    let mut link = SimCard::contactless(card.clone());
    let d = tempfile::tempdir().unwrap();
    let smoke = d.path().join("smoke.json");
    std::fs::write(&smoke, FRESH_SMOKE).unwrap();
    let mut run = || {
        runner::run_file(
            &smoke,
            &mut Target::External {
                transport: &mut link,
                capabilities: caps(),
                fresh_card: None,
                other: None,
            },
        )
    };
    // A fresh card passes, the state check included.
    let first = run();
    assert_eq!(first.status, Status::Passed, "{first:?}");
    assert!(first.transcript[0].step.starts_with("state check"));
    // The same card again: its balance and log moved, so the vector is not run at all.
    let second = run();
    let Status::Failed(f) = &second.status else {
        panic!("{:?}", second.status)
    };
    assert_eq!(f.code, Code::VState);
    assert!(f.is_error() && !f.is_target());
    assert!(
        f.actual.starts_with(
            "card not in the required state: balance 87.66 where a fresh card has 100.00"
        ) && f.actual.contains("the transaction log has records")
            && f.actual.ends_with("(personalise it first)"),
        "{}",
        f.actual
    );
    assert_eq!(second.steps, 0);
}

#[test]
fn vectors_written_for_any_state_are_not_checked() {
    let d = tempfile::tempdir().unwrap();
    let v = d.path().join("any.json");
    std::fs::write(
        &v,
        r#"{"name": "select works in any state", "state": "any",
            "steps": [{"apdu": "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01 00"}]}"#,
    )
    .unwrap();
    let mut p = Profile::default_profile();
    p.purse.balance = 1;
    let card = shared(Card::personalise(&p));
    let mut link = SimCard::contactless(card);
    let o = runner::run_file(
        &v,
        &mut Target::External {
            transport: &mut link,
            capabilities: caps(),
            fresh_card: None,
            other: None,
        },
    );
    assert_eq!(o.status, Status::Passed, "{o:?}");
    assert!(
        o.transcript
            .iter()
            .all(|e| !e.step.starts_with("state check"))
    );
}

/// The whole shipped suite over the reader interface, a fresh card put in before each vector
/// (as `--personalise` or `--card-image` do): the state check passes and leaves every vector as
/// it expects the card (its power cycle drops the selection the check made).
#[test]
fn the_shipped_suite_passes_with_a_fresh_card_before_each_vector() {
    let card = shared(Card::personalise(&Profile::default_profile()));
    let files = runner::collect(&[repo().join("vectors")]).unwrap();
    let (mut passed, mut skipped) = (0, 0);
    // What the run knows of the card: a vector written for any state still gets a card of its
    // own profile when the one in the reader came from another (as `run --personalise` does).
    let mut in_reader = runner::CardInReader::default();
    for f in &files {
        let mut link = SimCard::contactless(card.clone());
        let c = card.clone();
        let o = runner::run_file_tracked(
            f,
            &mut Target::External {
                transport: &mut link,
                capabilities: caps(),
                fresh_card: Some(Box::new(move |p: &Profile| {
                    *c.borrow_mut() = Card::personalise(p);
                    Ok(())
                })),
                other: None,
            },
            Some(&mut in_reader),
        );
        match &o.status {
            Status::Passed => passed += 1,
            Status::Skipped(_) => skipped += 1,
            other => panic!("{}: {other:?}", f.display()),
        }
    }
    assert!(passed > 20, "{passed} passed, {skipped} skipped");
}

/// A card that has transacted: 99.50 spent (balance 0.50, one log record) and three wrong
/// payment passwords (2 tries left).
fn worn_card() -> SharedCard {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let mut pos = common::pos_with(SimCard::contactless(card.clone()), &p);
    pos.purchase(9950).unwrap();
    let mut link = SimCard::contactless(card.clone());
    link.transmit_raw(&[
        0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0, 0, 0, 0x03, 0x86, 0x98, 0x07, 0x01, 0x00,
    ])
    .unwrap();
    for _ in 0..3 {
        let r = link
            .transmit_raw(&[0x00, 0x20, 0x00, 0x00, 0x03, 0x99, 0x99, 0x99])
            .unwrap();
        assert_eq!(&r[..1], &[0x63], "{r:02X?}");
    }
    card
}

fn write_vector(dir: &std::path::Path, name: &str, json: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, json).unwrap();
    p
}

fn external(link: &mut SimCard, f: &std::path::Path) -> runner::Outcome {
    runner::run_file(
        f,
        &mut Target::External {
            transport: link,
            capabilities: caps(),
            fresh_card: None,
            other: None,
        },
    )
}

#[test]
fn preconditions_are_checked_with_read_only_commands_and_name_each_difference() {
    let d = tempfile::tempdir().unwrap();
    let v = write_vector(
        d.path(),
        "pre.json",
        r#"{"name": "needs money, an empty log and 3 tries", "state": "any",
            "preconditions": {"balance_at_least": 100, "log_empty": true,
                              "payment_password_tries_at_least": 3},
            "steps": [{"purchase": 100}]}"#,
    );
    let card = worn_card();
    let before = card.borrow().state().clone();
    let mut link = SimCard::contactless(card.clone());
    let o = external(&mut link, &v);
    let Status::Failed(f) = &o.status else {
        panic!("{:?}", o.status)
    };
    assert_eq!(f.code, Code::VState);
    assert!(f.is_error() && !f.is_target());
    assert_eq!(
        f.actual,
        "card not in the required state: balance 0.50 < required 1.00; the transaction log has \
         records where the vector needs it empty; payment password tries left 2 < required 3 \
         (personalise it first)"
    );
    assert_eq!(o.steps, 0, "no step ran");
    // Only read-only commands: SELECT, GET BALANCE, READ RECORD, VERIFY without data, then a
    // power cycle (an empty command in the transcript).
    let sent: Vec<Vec<u8>> = o.transcript.iter().map(|e| e.command.clone()).collect();
    assert_eq!(sent.len(), 5, "{sent:02X?}");
    assert!(sent[4].is_empty(), "{sent:02X?}");
    assert_eq!(&sent[0][..2], &[0x00, 0xA4]);
    assert_eq!(sent[1], vec![0x80, 0x5C, 0x00, 0x02, 0x04]);
    assert_eq!(sent[2], vec![0x00, 0xB2, 0x01, 0xC4, 0x17]);
    assert_eq!(sent[3], vec![0x00, 0x20, 0x00, 0x00]);
    assert_eq!(card.borrow().state(), &before, "the check changed nothing");

    // Met preconditions let the steps run.
    let ok = write_vector(
        d.path(),
        "ok.json",
        r#"{"name": "needs a record and 50 fen at most", "state": "any",
            "preconditions": {"balance_at_most": 50, "log_empty": false,
                              "payment_password_tries_at_least": 2},
            "steps": [{"snapshot": true}, {"balance": {"unchanged": true}}]}"#,
    );
    let o = external(&mut link, &ok);
    assert_eq!(o.status, Status::Passed, "{o:?}");
}

#[test]
fn preconditions_are_checked_on_the_simulator_too() {
    // A fresh simulated card: 100.00 and an empty log, so a vector that needs otherwise is
    // reported, not run (a shipped vector whose preconditions a fresh card misses is caught).
    let d = tempfile::tempdir().unwrap();
    let v = write_vector(
        d.path(),
        "pre.json",
        r#"{"name": "needs a used card", "state": "any",
            "preconditions": {"balance_at_most": 5000, "log_empty": false},
            "steps": [{"select": true}]}"#,
    );
    let o = runner::run_file(&v, &mut Target::Simulator);
    let Status::Failed(f) = &o.status else {
        panic!("{:?}", o.status)
    };
    assert_eq!(f.code, Code::VState);
    assert!(
        f.actual.contains("balance 100.00 > allowed 50.00")
            && f.actual
                .contains("the transaction log has no record where the vector needs one"),
        "{}",
        f.actual
    );
}

#[test]
fn relative_steps_compare_with_the_snapshot_and_can_fail() {
    let d = tempfile::tempdir().unwrap();
    let run = |name: &str, steps: &str| {
        let v = write_vector(
            d.path(),
            name,
            &format!(r#"{{"name": "{name}", "state": "any", "steps": {steps}}}"#),
        );
        let mut link = SimCard::contactless(worn_card());
        external(&mut link, &v)
    };
    // The worn card holds 50 fen and one record: a 10-fen purchase is one new record on top.
    let o = run(
        "right.json",
        r#"[{"snapshot": true}, {"purchase": 10}, {"balance": {"delta": -10}},
            {"history": {"new": [{"type": "purchase", "amount": 10}]}}]"#,
    );
    assert_eq!(o.status, Status::Passed, "{o:?}");
    let failed = |o: runner::Outcome| match o.status {
        Status::Failed(f) => f,
        other => panic!("{other:?}"),
    };
    let f = failed(run(
        "unchanged.json",
        r#"[{"snapshot": true}, {"purchase": 10}, {"balance": {"unchanged": true}}]"#,
    ));
    assert_eq!((f.code, f.step.as_str()), (Code::VMismatch, "3"));
    assert_eq!(f.expected, "balance 50 (unchanged since the snapshot)");
    assert_eq!(f.actual, "balance 40");
    let f = failed(run(
        "delta.json",
        r#"[{"snapshot": true}, {"purchase": 10}, {"balance": {"delta": -11}}]"#,
    ));
    assert_eq!(f.expected, "balance 39 (the snapshot's 50 - 11)");
    let f = failed(run(
        "log.json",
        r#"[{"snapshot": true}, {"purchase": 10}, {"history": {"unchanged": true}}]"#,
    ));
    assert_eq!(f.expected, "[then the snapshot's purchase 9950]");
    assert_eq!(f.actual, "[purchase 10, purchase 9950]");
    let f = failed(run(
        "amount.json",
        r#"[{"snapshot": true}, {"purchase": 10},
            {"history": {"new": [{"type": "purchase", "amount": 11}]}}]"#,
    ));
    assert_eq!(f.step, "3");
}

#[test]
fn a_relative_history_drops_the_oldest_snapshot_record_once_the_log_is_full() {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let mut pos = common::pos_with(SimCard::contactless(card.clone()), &p);
    for a in 1..=10 {
        pos.purchase(a).unwrap();
    }
    let d = tempfile::tempdir().unwrap();
    let v = write_vector(
        d.path(),
        "wrap.json",
        r#"{"name": "full log", "state": "any", "steps": [{"snapshot": true},
            {"purchase": 77}, {"history": {"new": [{"type": "purchase", "amount": 77}]}}]}"#,
    );
    let mut link = SimCard::contactless(card);
    let o = external(&mut link, &v);
    assert_eq!(o.status, Status::Passed, "{o:?}");
}

/// The shipped suite on a card that has already transacted, reached the way a reader reaches
/// it (both interfaces, nothing personalised before a vector): every vector written for any
/// state passes, every vector that needs a fresh card reports `V-STATE` before its first step.
#[test]
fn on_a_used_card_any_state_vectors_pass_and_fresh_ones_report_v_state() {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let mut pos = common::pos_with(SimCard::contactless(card.clone()), &p);
    pos.purchase(1234).unwrap();
    pos.load(
        &stk_wallet::host::IssuerHost::from_profile(&p),
        500,
        "123456",
    )
    .unwrap();
    let files = runner::collect(&[repo().join("vectors")]).unwrap();
    let (mut any, mut fresh) = (0, 0);
    for f in &files {
        let (v, _) = runner::load(f).unwrap();
        let mut contactless = SimCard::contactless(card.clone());
        let mut contact = SimCard::contact(card.clone());
        let o = runner::run_file(
            f,
            &mut Target::External {
                transport: &mut contactless,
                capabilities: vec![
                    "contactless".into(),
                    "contact".into(),
                    "fixed-random".into(),
                ],
                fresh_card: None,
                other: Some((stk_wallet::card::Interface::Contact, &mut contact)),
            },
        );
        match v.state {
            CardState::Any => {
                assert_eq!(o.status, Status::Passed, "{}: {:?}", f.display(), o.status);
                any += 1;
            }
            CardState::Fresh => {
                let Status::Failed(e) = &o.status else {
                    panic!("{}: {:?}", f.display(), o.status)
                };
                assert_eq!(e.code, Code::VState, "{}: {e:?}", f.display());
                assert_eq!(o.steps, 0, "{}", f.display());
                fresh += 1;
            }
        }
    }
    assert!(any >= 14, "{any} vectors written for any state");
    assert_eq!(any + fresh, files.len());
}

/// The same through the command line: `run --card IMAGE` runs the suite on a used card image
/// as it is; the vectors written for any state pass, the others report V-STATE (errors, not
/// failures, in JUnit), and the run exits 1.
#[test]
fn the_cli_runs_the_suite_on_a_used_card_image() {
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("card.json");
    common::card_image(&img, &Profile::default_profile());
    let img_s = img.to_str().unwrap();
    let pos = |args: &[&str]| {
        let mut a = vec![
            "pos",
            "--card",
            img_s,
            "--terminal",
            "pos",
            "--clock",
            "20261122 120000",
        ];
        a.extend_from_slice(args);
        let o = common::output(d.path(), &a);
        assert!(o.status.success(), "{}", common::said(&o));
    };
    pos(&["purchase", "12.34"]);
    let vectors = repo().join("vectors");
    let junit = d.path().join("report.xml");
    let o = common::output(
        d.path(),
        &[
            "run",
            "--card",
            img_s,
            vectors.to_str().unwrap(),
            "--format",
            "json",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", common::said(&o));
    let (mut any, mut fresh) = (0, 0);
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let j: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(path) = j["path"].as_str() else {
            continue;
        };
        let (v, _) = runner::load(std::path::Path::new(path)).unwrap();
        if v.state == CardState::Any {
            assert_eq!(j["status"], "passed", "{line}");
            any += 1;
        } else {
            assert_eq!(
                (&j["status"], &j["code"]),
                (&"error".into(), &"V-STATE".into()),
                "{line}"
            );
            fresh += 1;
        }
    }
    assert!(any >= 14 && fresh > 0, "{any} any, {fresh} fresh");
    // A card image that cannot be read is an input error (exit 2), named by its code.
    let o = common::output(
        d.path(),
        &["run", "--card", "missing.json", vectors.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", common::said(&o));
    assert!(common::said(&o).contains("I-IMAGE"), "{}", common::said(&o));
    // The text summary counts the state errors apart.
    let o = common::output(
        d.path(),
        &[
            "run",
            "--card",
            img_s,
            vectors.join("apdu").to_str().unwrap(),
            vectors.join("files/log.json").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", common::said(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(
            "vectors: 6 passed, 1 failed, 0 skipped (1 of them: card not in the required state, V-STATE)"
        ),
        "{}",
        common::said(&o)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("errors=\"{fresh}\"")) && xml.contains("failures=\"0\""),
        "{xml}"
    );
}

/// With a fresh-card hook, an `any` vector runs on the card as it is when that card came from
/// its own profile, and gets a fresh one when the previous vector left a card of another
/// profile (here counters personalised at FFFF, where every purchase is refused 9402).
#[test]
fn an_any_vector_after_another_profiles_card_gets_its_own() {
    let card = shared(Card::personalise(&Profile::default_profile()));
    let personalised = std::rc::Rc::new(std::cell::Cell::new(0));
    let run = |f: &str, in_reader: Option<&mut runner::CardInReader>| {
        let mut link = SimCard::contactless(card.clone());
        let (c, n) = (card.clone(), personalised.clone());
        runner::run_file_tracked(
            &repo().join(f),
            &mut Target::External {
                transport: &mut link,
                capabilities: caps(),
                fresh_card: Some(Box::new(move |p: &Profile| {
                    *c.borrow_mut() = Card::personalise(p);
                    n.set(n.get() + 1);
                    Ok(())
                })),
                other: None,
            },
            in_reader,
        )
    };
    let mut in_reader = runner::CardInReader::default();
    // The card in the reader is the default profile's: smoke runs on it as it is.
    assert_eq!(
        run("vectors/purse/smoke.json", Some(&mut in_reader)).status,
        Status::Passed
    );
    assert_eq!(personalised.get(), 0);
    // A fresh vector of another profile, then smoke again: it gets a default card first.
    assert_eq!(
        run("vectors/purse/counters-ffff.json", Some(&mut in_reader)).status,
        Status::Passed
    );
    assert_eq!(personalised.get(), 1);
    let o = run("vectors/purse/smoke.json", Some(&mut in_reader));
    assert_eq!(o.status, Status::Passed, "{o:?}");
    assert_eq!(personalised.get(), 2);
    // Untracked, the same order runs smoke on the FFFF card and its purchase is refused.
    run("vectors/purse/counters-ffff.json", None);
    let Status::Failed(f) = run("vectors/purse/smoke.json", None).status else {
        panic!("smoke passed on a card of another profile")
    };
    assert!(f.actual.contains("9402"), "{f:?}");
}
