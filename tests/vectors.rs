//! The shipped vector suite, one test per vector file, against a fresh simulated card; and proof
//! that the runner can fail (a deliberately broken copy of a vector fails at the right step).

use rstest::rstest;
use std::path::{Path, PathBuf};
use stk_wallet::vectors::report;
use stk_wallet::vectors::runner::{self, Status, Target};

#[rstest]
fn vector_file_passes(
    #[files("vectors/**/*.json")]
    #[exclude("/profiles/")]
    #[exclude("/derive/")]
    #[exclude("\\.schema\\.json$")]
    path: PathBuf,
) {
    let o = runner::run_file(&path, &mut Target::Simulator);
    assert!(
        o.status == Status::Passed,
        "{}\n{}",
        report::line(&o),
        report::details(&o)
    );
}

/// Copies `vector` into a temporary folder after `edit` changed its JSON, and runs the copy.
fn run_edited(vector: &str, edit: impl FnOnce(&mut serde_json::Value)) -> runner::Outcome {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(vector);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
    edit(&mut v);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("broken.json");
    std::fs::write(&copy, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    runner::run_file(&copy, &mut Target::Simulator)
}

#[test]
fn a_wrong_expected_byte_fails_at_its_step() {
    // Step 5 of purchase-exact.json is the first DEBIT FOR PURCHASE; its answer is TAC ‖ MAC2.
    let o = run_edited("vectors/purse/purchase-exact.json", |v| {
        let step = &mut v["steps"][4];
        assert!(step["apdu"].as_str().unwrap().starts_with("80 54"));
        let e = step["expect"].as_str().unwrap().to_string();
        let first = u8::from_str_radix(&e[..2], 16).unwrap() ^ 0x01;
        step["expect"] = format!("{first:02X}{}", &e[2..]).into();
    });
    let Status::Failed(f) = &o.status else {
        panic!("the broken vector did not fail: {:?}", o.status);
    };
    assert_eq!(f.step, "5");
    assert!(f.expected.contains("data"), "{}", f.expected);
    assert_eq!(f.diff.as_deref().map(|d| d.starts_with("^^")), Some(true));
    let details = report::details(&o);
    assert!(details.contains("step 5"), "{details}");
}

#[test]
fn a_wrong_status_word_fails_inside_a_repeat_with_its_round() {
    // log-wrap.json's step 18 repeats one purchase three times; expecting 9401 fails in round 1.
    let o = run_edited("vectors/files/log-wrap.json", |v| {
        let step = &mut v["steps"][17];
        assert_eq!(step["repeat"], 3);
        step["steps"][0]["sw"] = "9401".into();
    });
    let Status::Failed(f) = &o.status else {
        panic!("the broken vector did not fail: {:?}", o.status);
    };
    assert_eq!(f.step, "18.1#1");
}
