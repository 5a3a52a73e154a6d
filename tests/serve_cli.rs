//! `stk-wallet serve` refuses bad input at once, as a process, with its catalogue code and exit
//! status 2, before it waits on anything: a bad vpcd address, a scenario that cannot fire, a
//! deck card that cannot be made. (The lab through pcscd is `tests/pcsc_lab.rs`.)

mod common;

use common::CLI;
use std::process::Command;
use std::time::{Duration, Instant};

fn serve(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, Duration) {
    let card = dir.join("card.json");
    let t = Instant::now();
    let o = Command::new(CLI)
        .arg("serve")
        .args(["--card", card.to_str().unwrap()])
        .args(args)
        .output()
        .expect("run stk-wallet serve");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        t.elapsed(),
    )
}

#[test]
fn a_bad_address_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for addr in ["nonsense", "127.0.0.1", "127.0.0.1:99999"] {
        let (code, err, took) = serve(dir.path(), &["--addr", addr]);
        assert_eq!(code, Some(2), "{addr}: {err}");
        assert!(err.contains("P-READER") && err.contains(addr), "{err}");
        assert!(took < Duration::from_secs(5), "{addr} took {took:?}");
    }
}

#[test]
fn scenarios_that_cannot_fire_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    for (json, says) in [
        (
            r#"{"scenario":"x","faults":[{"tap":1,"fault":"tear:debit:99"}]}"#,
            "0-11",
        ),
        (
            r#"{"scenario":"x","taps":1,"faults":[{"tap":2,"fault":"lose-response:debit"}]}"#,
            "tap 2 never comes",
        ),
        (
            r#"{"scenario":"x","deck":[{"profile":"missing.json"}]}"#,
            "missing.json",
        ),
        (
            r#"{"scenario":"x","deck":[{"profile":"default","payment_tries_left":99}]}"#,
            "payment_tries_left 99",
        ),
        ("not json", "not a scenario"),
    ] {
        let path = dir.path().join("s.json");
        std::fs::write(&path, json).unwrap();
        let (code, err, _) = serve(dir.path(), &["--scenario", path.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{json}: {err}");
        assert!(
            err.contains("I-SCENARIO") && err.contains(says),
            "{json}: {err}"
        );
    }
    let (code, err, _) = serve(dir.path(), &["--fault", "tear:debit:99"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("I-FAULT"), "{err}");
}

#[test]
fn every_shipped_scenario_loads() {
    let mut n = 0;
    for e in std::fs::read_dir("scenarios").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let s = stk_wallet::lab::Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
            stk_wallet::lab::deck::deal_all(&s.deck).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 7, "{n} scenarios");
}

/// Over one reader, a vector that uses both interfaces of one card is skipped with what it needs
/// (`serve --both` and `run --other-reader`, or the simulator); a vector on the other interface only says which flags serve it.
#[test]
fn the_runner_says_exactly_what_a_skipped_vector_needs() {
    use stk_wallet::card::Card;
    use stk_wallet::profile::Profile;
    use stk_wallet::transport::sim::{SimCard, shared};
    use stk_wallet::vectors::runner::{Status, Target, run_vector};
    let (both, profile) = stk_wallet::vectors::format::load(std::path::Path::new(
        "vectors/toolkit/close-wallet.json",
    ))
    .unwrap();
    let mut link = SimCard::contactless(shared(Card::personalise(&Profile::default_profile())));
    let mut target = Target::External {
        transport: &mut link,
        capabilities: vec!["contactless".into(), "fixed-random".into()],
        fresh_card: None,
        other: None,
    };
    let (status, ..) = run_vector(&both, profile.clone(), &mut target);
    drop(target);
    let Status::Skipped(why) = status else {
        panic!("{status:?}");
    };
    assert!(
        why.contains("uses both interfaces of one card")
            && why.contains("`serve --both`")
            && why.contains("--other-reader \"Virtual PCD 00 01\"")
            && why.contains("without `--reader`"),
        "{why}"
    );
    let mut contact_only = both.clone();
    contact_only.steps.retain(|s| s.interface.is_none());
    let mut target = Target::External {
        transport: &mut link,
        capabilities: vec!["contactless".into(), "fixed-random".into()],
        fresh_card: None,
        other: None,
    };
    let (status, ..) = run_vector(&contact_only, profile, &mut target);
    let Status::Skipped(why) = status else {
        panic!("{status:?}");
    };
    assert!(
        why.contains("contact interface only") && why.contains("--interface contact"),
        "{why}"
    );
}
