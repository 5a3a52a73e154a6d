//! A POS process killed (SIGKILL) at random points of integrated top-ups and restarted loses
//! nothing and applies nothing twice: the journal reopens, pending reversals resume, bank
//! charges − reversals = wallet loads, every top-up ends loaded-and-confirmed or reversed, and
//! each reversal reached the bank's books once.
//!
//! Kill delays come from a fixed seed; `CRASH_RUNS` sets the number of killed top-ups.

mod common;

use common::{cli, kill_at_step};
use std::process::Stdio;
use std::time::Duration;
use stk_wallet::acquirer::SqliteBank;
use stk_wallet::card::image;
use stk_wallet::fault::SplitMix;
use stk_wallet::journal::{Journal, TopupState};

#[test]
fn killed_top_ups_resume_and_reconcile() {
    let runs: u64 = std::env::var("CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(cli(d, &["card", "new"]).status().unwrap().success());
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_0006);
    let mut rng = SplitMix(seed);
    let mut killed = 0;
    let mut resume_killed = 0;
    let mut at_resume_kill = std::collections::BTreeMap::new();
    let mut at_kill = std::collections::BTreeMap::new();
    for i in 0..runs {
        let clock = format!("20261122 12{:02}{:02}", i / 60, i % 60);
        let mut args = vec![
            "pos",
            "topup",
            "1.00",
            "--bank-pin",
            "2468",
            "--step-delay-ms",
            "15",
            "--clock",
            &clock,
        ];
        // Some runs also lose the issuer or the acquirer.
        match rng.below(4) {
            0 => args.extend(["--fault", "host-down"]),
            1 => args.extend(["--fault", "acquirer-down:2"]),
            2 => args.extend(["--fault", "lose-response:credit"]),
            _ => {}
        }
        let mut child = cli(d, &args).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(160)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL on Unix
            killed += 1;
            child.wait().unwrap();
            // Where the kill landed: the newest top-up's journaled state.
            if let Ok(j) = Journal::open(&d.join("pos").join("terminal.db"))
                && let Some(t) = j.all_topups().unwrap_or_default().last()
            {
                *at_kill.entry(t.state).or_insert(0u32) += 1;
            }
        } else {
            child.wait().unwrap();
        }
        // Some runs are followed by a `pos resume` that is killed in turn (a load in doubt
        // after a lost CREDIT answer is decided there).
        if rng.below(3) == 0 {
            let mut child = cli(d, &["pos", "resume", "--step-delay-ms", "15"])
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(rng.below(60)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                resume_killed += 1;
                child.wait().unwrap();
                // Where it landed: the states still unfinished after the kill.
                if let Ok(j) = Journal::open(&d.join("pos").join("terminal.db")) {
                    for t in j.unfinished_topups().unwrap_or_default() {
                        *at_resume_kill.entry(t.state).or_insert(0u32) += 1;
                    }
                }
            } else {
                child.wait().unwrap();
            }
        }
    }
    // Restart until everything is resolved (each run may itself find the acquirer back).
    let mut clean = false;
    let mut said = Vec::new();
    for _ in 0..5 {
        // A reversal that failed the terminal's number of tries waits for a person: the
        // account is adjusted by hand with the bank, and the resolution recorded.
        let listed = cli(d, &["pos", "reversals"])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        for l in String::from_utf8_lossy(&listed.stdout).lines() {
            if l.ends_with(": OPEN") {
                let txn = l.split_whitespace().next().unwrap();
                let args = [
                    "pos",
                    "reversals",
                    "--resolve",
                    txn,
                    "--by",
                    "test",
                    "--why",
                    "down",
                ];
                let o = cli(d, &args).stderr(Stdio::piped()).output().unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            }
        }
        let out = cli(d, &["pos", "resume"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        said.push(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        if out.status.success() {
            clean = true;
            break;
        }
    }
    assert!(
        clean,
        "resume left work unfinished (seed {seed}):\n{}",
        said.join("---\n")
    );
    assert!(killed > 0, "no run was killed: the test proves nothing");

    let journal = Journal::open(&d.join("pos").join("terminal.db")).unwrap();
    let bank = SqliteBank::open(&d.join("bank.db")).unwrap();
    let card = image::load(&d.join("card.json")).unwrap();
    assert!(journal.pending_reversals().unwrap().is_empty());
    assert!(journal.unfinished_topups().unwrap().is_empty());
    let topups = journal.all_topups().unwrap();
    assert!(topups.len() as u64 <= runs);
    let done = topups
        .iter()
        .filter(|t| t.state == TopupState::Done)
        .count() as u64;
    let t = bank.totals().unwrap();
    let loaded = u64::from(card.state().purse.balance) - 10000;
    assert_eq!(t.charged - t.reversed, loaded, "bank {t:?}, {topups:#?}");
    assert_eq!(t.open, 0);
    // Every loaded top-up is one load of 1.00 on the card, and vice versa.
    assert_eq!(loaded, 100 * done);
    assert_eq!(u64::from(card.state().purse.online_counter), done);
    let log = journal.reversal_log().unwrap();
    for top in &topups {
        let (_, charged) = bank.deliveries(&top.txn, "charge").unwrap();
        assert!(charged <= 1, "{}: charged twice", top.txn);
        let (sent, applied) = bank.deliveries(&top.txn, "reverse").unwrap();
        assert!(applied <= 1);
        let tries: Vec<_> = log.iter().filter(|l| l.0 == top.txn).collect();
        // Every delivery was logged before it was made; none after the acknowledgement.
        assert!(
            sent as usize <= tries.len(),
            "{}: {sent} > {tries:?}",
            top.txn
        );
        if let Some(ack) = tries.iter().position(|l| l.2 == "acknowledged") {
            assert_eq!(ack, tries.len() - 1, "{}: tried after the ack", top.txn);
        }
        match top.state {
            TopupState::Done => assert_eq!(applied, 0, "{}: loaded and refunded", top.txn),
            // Acknowledged by the acquirer, or adjusted by hand after the terminal's tries.
            TopupState::Reversed => assert!(
                tries
                    .iter()
                    .any(|l| l.2 == "acknowledged" || l.2.starts_with("resolved by hand by test")),
                "{}: {tries:?}",
                top.txn
            ),
            TopupState::Failed => assert_eq!(charged, 0),
            s => panic!("{}: unexpected final state {s}", top.txn),
        }
    }
    eprintln!(
        "{runs} top-ups, {killed} killed (journal state at the kill: {at_kill:?}), \
         {resume_killed} resumes killed (unfinished after: {at_resume_kill:?}), {done} loaded, {} reversed (seed {seed})",
        topups
            .iter()
            .filter(|t| t.state == TopupState::Reversed)
            .count()
    );
}

/// Runs the CLI in `d` to completion; its standard output.
fn run(d: &std::path::Path, args: &[&str]) -> String {
    let out = cli(d, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?}:\n{text}");
    text
}

#[test]
fn a_load_in_doubt_killed_then_ten_purchases_is_confirmed_by_resume() {
    // The CREDIT reaches the card, its answer is lost, and the POS is killed before it can ask
    // the card (it sleeps 1 s after each journaled step; the kill comes as soon as the load is
    // in doubt, and the journal shows whether it came in time). Ten purchases push the load's record out of the card's log; `pos resume` must
    // still see from the online counter that the load happened: the card keeps it, the bank
    // keeps the charge, nothing is reversed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["card", "new"]);
    let said = kill_at_step(
        cli(
            d,
            &[
                "pos",
                "topup",
                "20",
                "--bank-pin",
                "2468",
                "--fault",
                "lose-response:credit",
                "--step-delay-ms",
                "1000",
            ],
        ),
        "step: in doubt",
    );
    assert!(
        said.iter().any(|l| l.contains("step: in doubt")),
        "never reached the load in doubt: {said:?}"
    );
    let journal = Journal::open(&d.join("pos").join("terminal.db")).unwrap();
    assert_eq!(journal.unfinished_topups().unwrap().len(), 1);
    drop(journal);
    for _ in 0..10 {
        run(d, &["pos", "purchase", "1.00"]);
    }
    let out = run(d, &["pos", "resume"]);
    assert!(out.contains("online counter 1 is past"), "{out}");
    assert!(!out.contains("reversing"), "{out}");
    assert!(
        out.contains("0 top-up(s) unfinished, 0 reversal(s) queued"),
        "{out}"
    );
    let card = image::load(&d.join("card.json")).unwrap();
    assert_eq!(card.state().purse.balance, 10000 + 2000 - 1000, "{out}");
    let t = SqliteBank::open(&d.join("bank.db"))
        .unwrap()
        .totals()
        .unwrap();
    assert_eq!((t.charged, t.reversed, t.open), (2000, 0, 0), "{out}");
}
