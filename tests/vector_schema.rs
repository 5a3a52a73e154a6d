//! The JSON Schema of vector files: generated from the format's Rust types, shipped as
//! `vectors/vector.schema.json` (this test fails when the two differ), and every shipped vector
//! validated against it by an independent validator (Python's `jsonschema`; Debian's
//! python3-jsonschema, installed by .ci/run). Also the completion scripts and manual page that
//! clap generates from the command line.

mod common;

use common::{output, said};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let generated = stk_wallet::vectors::format::json_schema();
    let shipped =
        std::fs::read_to_string(repo().join("vectors/vector.schema.json")).unwrap_or_default();
    if std::env::var_os("STK_WRITE_SCHEMA").is_some() {
        std::fs::write(repo().join("vectors/vector.schema.json"), &generated).unwrap();
        return;
    }
    assert!(
        shipped == generated,
        "vectors/vector.schema.json is not the schema of the vector types: regenerate it with \
         `stk-wallet vectors schema -o vectors/vector.schema.json` (or STK_WRITE_SCHEMA=1 cargo test --test vector_schema)"
    );
    // The CLI prints the same text.
    let o = output(&repo(), &["vectors", "schema"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), generated);
}

/// A Python that has `jsonschema`: the one on PATH, else Debian's.
fn python_with_jsonschema() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema)
bad = 0
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    for e in errs:
        bad += 1
        print(f"INVALID {path}: {list(e.path)}: {e.message}")
    if not errs:
        print(f"valid {path}")
sys.exit(1 if bad else 0)
"#;

#[test]
fn every_shipped_vector_validates_against_the_schema() {
    let Some(py) = python_with_jsonschema() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with jsonschema is missing in CI (.ci/run installs python3-jsonschema)"
        );
        eprintln!("SKIPPED: no python3 with jsonschema");
        return;
    };
    let files = stk_wallet::vectors::select::collect(&[repo().join("vectors")]).unwrap();
    let files: Vec<_> = files.into_iter().collect();
    assert!(files.len() > 30, "{files:?}");
    let run = |paths: &[PathBuf]| {
        Command::new(py)
            .arg("-c")
            .arg(VALIDATE)
            .arg(repo().join("vectors/vector.schema.json"))
            .args(paths)
            .output()
            .unwrap()
    };
    let o = run(&files);
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).matches("valid ").count(),
        files.len()
    );
    // The validator does reject what the loader rejects: an unknown key, a step without a
    // known action key's type, a malformed status word.
    let d = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    for (i, text) in [
        r#"{"name": "x", "stepz": []}"#,
        r#"{"name": "x", "steps": [{"purchase": "ten"}]}"#,
        r#"{"name": "x", "steps": [{"apdu": "80 5C 00 02 04", "sw": "90000"}]}"#,
        r#"{"name": "x", "tags": "smoke", "steps": []}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let p = d.path().join(format!("bad{i}.json"));
        std::fs::write(&p, text).unwrap();
        bad.push(p);
    }
    let o = run(&bad);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{out}");
    for p in &bad {
        assert!(out.contains(&format!("INVALID {}", p.display())), "{out}");
    }
}

#[test]
fn completions_and_manual_pages_come_from_the_command_line() {
    let o = output(&repo(), &["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    let bash = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        bash.contains("stk-wallet") && bash.contains("--allow-empty") && bash.contains("--filter")
    );
    let d = tempfile::tempdir().unwrap();
    let script = d.path().join("stk-wallet.bash");
    std::fs::write(&script, &bash).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{}", said(&syntax));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let o = output(&repo(), &["completions", shell]);
        assert!(
            o.status.success() && o.stdout.len() > 500,
            "{shell}: {}",
            said(&o)
        );
    }
    assert_eq!(
        output(&repo(), &["completions", "tcsh"]).status.code(),
        Some(2)
    );
    let o = output(&repo(), &["man"]);
    let page = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        page.starts_with(".ie") || page.contains(".TH stk-wallet"),
        "{page}"
    );
    let dir = d.path().join("man");
    let o = output(&repo(), &["man", "--out-dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));
    let run_page = dir.join("stk-wallet-run.1");
    let text = std::fs::read_to_string(&run_page).unwrap();
    assert!(text.contains("allow\\-empty"), "{text}");
    // The page reads through the manual's own formatter, when it is installed.
    if let Ok(f) = Command::new("man")
        .arg("-l")
        .arg("-P")
        .arg("cat")
        .arg(&run_page)
        .env("MANWIDTH", "100")
        .output()
        && f.status.success()
    {
        let shown = String::from_utf8_lossy(&f.stdout);
        assert!(
            shown.contains("--allow-empty") && shown.contains("Exit status"),
            "{shown}"
        );
    }
}
