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
use stk_wallet::transport::sim::{SimCard, shared};
use stk_wallet::vectors::runner::{self, Status, Target};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn caps() -> Vec<String> {
    vec!["contactless".into(), "fixed-random".into()]
}

#[test]
fn a_used_card_is_reported_as_not_in_the_required_state() {
    let card = shared(Card::personalise(&Profile::default_profile()));
    let mut link = SimCard::contactless(card.clone());
    let smoke = repo().join("vectors/purse/smoke.json");
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
    for f in &files {
        let mut link = SimCard::contactless(card.clone());
        let c = card.clone();
        let o = runner::run_file(
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
        );
        match &o.status {
            Status::Passed => passed += 1,
            Status::Skipped(_) => skipped += 1,
            other => panic!("{}: {other:?}", f.display()),
        }
    }
    assert!(passed > 20, "{passed} passed, {skipped} skipped");
}
