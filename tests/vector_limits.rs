//! A vector file cannot make the runner use unbounded time or memory: its size, hex strings,
//! repeat counts and nesting, expanded steps, transcript and run time are limited, and each
//! limit is refused with `V-LIMIT` naming it.

mod common;

use common::CLI;
use std::path::Path;
use std::time::{Duration, Instant};
use stk_wallet::errors::Code;
use stk_wallet::vectors::runner::{self, Limits, Status, Target};

fn write(dir: &Path, json: &str) -> std::path::PathBuf {
    let p = dir.join("v.json");
    std::fs::write(&p, json).unwrap();
    p
}

/// The V-LIMIT message of a file, after checking the run stopped with that code.
fn limit_of(json: &str, limits: Limits) -> String {
    let dir = tempfile::tempdir().unwrap();
    let o = runner::run_file_within(&write(dir.path(), json), &mut Target::Simulator, limits);
    assert_eq!(o.status.code(), Some(Code::VLimit), "{:?}", o.status);
    match o.status {
        Status::Limit(m) => m,
        s => panic!("{s:?}"),
    }
}

fn parses(json: &str) -> bool {
    stk_wallet::vectors::runner::parse(json, Path::new(".")).is_ok()
}

/// `depth` repeats nested, each of `rounds`, around one balance check.
fn nested(depth: usize, rounds: u32) -> String {
    let mut inner = r#"{"balance": 10000}"#.to_string();
    for _ in 0..depth {
        inner = format!(r#"{{"repeat": {rounds}, "steps": [{inner}]}}"#);
    }
    format!(r#"{{"name": "n", "steps": [{inner}]}}"#)
}

#[test]
fn a_100_mb_hex_string_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hex = "00".repeat(50_000_000);
    let p = write(
        dir.path(),
        &format!(r#"{{"name": "big", "steps": [{{"apdu": "{hex}"}}]}}"#),
    );
    drop(hex);
    let start = Instant::now();
    let o = runner::run_file(&p, &mut Target::Simulator);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let Status::Limit(m) = &o.status else {
        panic!("{:?}", o.status)
    };
    assert!(
        m.starts_with("V-LIMIT: the file is 100000040 bytes, more than the 8388608"),
        "{m}"
    );
}

#[test]
fn a_hex_string_longer_than_an_apdu_is_refused_before_decoding() {
    let hex = "00".repeat(150_000);
    let m = limit_of(
        &format!(r#"{{"name": "h", "steps": [{{"apdu": "{hex}"}}]}}"#),
        Limits::default(),
    );
    assert!(
        m.starts_with("V-LIMIT: step 1: apdu is 300000 characters long, more than the 200000"),
        "{m}"
    );
    let m = limit_of(
        &format!(r#"{{"name": "h", "steps": [{{"apdu": "80 5C 00 02 04", "expect": "{hex}"}}]}}"#),
        Limits::default(),
    );
    assert!(m.contains("expect is 300000 characters long"), "{m}");
    // The longest extended APDU fits.
    let apdu = format!("80 E2 00 00 00 FF F7{}", " 00".repeat(65_527));
    assert!(apdu.len() <= stk_wallet::vectors::format::MAX_HEX_CHARS);
}

#[test]
fn repeat_counts_and_nesting_are_limited() {
    let m = limit_of(&nested(1, 100_001), Limits::default());
    assert!(
        m.contains("repeat 100001 is more than the 100000 rounds"),
        "{m}"
    );
    assert!(parses(&nested(1, 100_000)));
    let m = limit_of(&nested(5, 1), Limits::default());
    assert!(
        m.contains("repeats nest 5 deep, more than the 4 allowed"),
        "{m}"
    );
    assert!(parses(&nested(4, 1)));
    // Within both limits, the rounds multiply: 1000 × 1000 × 2 steps is too many to run.
    let m = limit_of(&nested(2, 1000), Limits::default());
    assert!(
        m.contains("the steps expand to 1001001 with their repeats, more than the 1000000"),
        "{m}"
    );
    assert!(parses(&nested(2, 999)));
}

#[test]
fn the_transcript_is_capped() {
    let limits = Limits {
        transcript_bytes: 20_000,
        ..Limits::default()
    };
    let m = limit_of(&nested(1, 10_000), limits);
    assert!(
        m.starts_with("V-LIMIT: step 1.1#")
            && m.contains(": the transcript holds")
            && m.contains("bytes, more than the 20000 a run may record"),
        "{m}"
    );
    // The same vector passes under the default cap.
    let dir = tempfile::tempdir().unwrap();
    let o = runner::run_file_within(
        &write(dir.path(), &nested(1, 1000)),
        &mut Target::Simulator,
        Limits::default(),
    );
    assert_eq!(o.status, Status::Passed, "{:?}", o.status);
}

#[test]
fn a_run_stops_at_its_time_limit() {
    let limits = Limits {
        time: Duration::from_millis(300),
        ..Limits::default()
    };
    let start = Instant::now();
    let m = limit_of(&nested(2, 999), limits);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        m.contains("more than its limit of 0.3 s (set with STK_VECTOR_TIME_LIMIT=SECONDS)"),
        "{m}"
    );
}

/// The time limit is set for the CLI through the environment.
#[test]
fn the_cli_takes_its_time_limit_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), &nested(2, 999));
    let run = |limit: &str| {
        let start = Instant::now();
        let o = std::process::Command::new(CLI)
            .args(["run"])
            .arg(&p)
            .env("STK_VECTOR_TIME_LIMIT", limit)
            .output()
            .unwrap();
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), out, start.elapsed())
    };
    // 0.2 s of GET BALANCE steps records far less than the transcript cap on any machine, so
    // the time limit is the one that stops this run, whatever the machine's speed or load.
    let (code, out, _) = run("0.2");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("V-LIMIT: the vector exceeds a runner limit")
            && out.contains("more than its limit of 0.2 s"),
        "{out}"
    );
    let (code, out, _) = run("soon");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("V-LIMIT: STK_VECTOR_TIME_LIMIT=soon is not a number of seconds"),
        "{out}"
    );
}
