//! `run` as CI systems and scripts meet it: JUnit checked against Jenkins' own schema
//! (`tests/schemas/junit-10.xsd`, with xmllint) and read the way GitLab reads it, the exit-code
//! contract, duplicate paths, `--list`, `--filter`, `-v` and `--format json`. Every test runs the
//! CLI as a process.

mod common;

use common::{output, said};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A vector the card cannot pass: GET BALANCE before SELECT is refused with 6985.
const WRONG_SW: &str = r#"{"name": "wrong status on purpose", "spec": "§3", "tags": ["broken"],
  "steps": [{"apdu": "80 5C 00 02 04", "sw": "9000"}]}"#;
/// A vector whose expected data differs in its third byte (the balance is 00 00 27 10).
const WRONG_DATA: &str = r#"{"name": "wrong balance <on purpose> & more", "spec": "§3",
  "steps": [{"select": true}, {"apdu": "80 5C 00 02 04", "expect": "00 00 28 10"}]}"#;

/// A temporary folder `broken/` with the failing vectors and a malformed one.
fn broken() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let b = d.path().join("broken");
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("sw.json"), WRONG_SW).unwrap();
    std::fs::write(b.join("data.json"), WRONG_DATA).unwrap();
    std::fs::write(b.join("malformed.json"), r#"{"name": "x", "stepz": []}"#).unwrap();
    d
}

/// Whether `tool` runs (`tool --version`); without it a test is skipped, except in CI (`CI`
/// set: .ci/run installs every tool), where it fails.
fn have(tool: &str, check: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(check)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    ok
}

fn xmllint_schema(xml: &Path) -> std::process::Output {
    Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(repo().join("tests/schemas/junit-10.xsd"))
        .arg(xml)
        .output()
        .expect("xmllint (Debian: libxml2-utils, installed by .ci/run)")
}

#[test]
fn junit_validates_against_jenkins_schema_and_carries_the_run() {
    let d = broken();
    let xml = d.path().join("report.xml");
    let smoke = repo().join("vectors/purse/smoke.json");
    let o = output(
        &repo(),
        &[
            "run",
            "vectors/purse",
            smoke.to_str().unwrap(),
            d.path().join("broken").to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    if !have("xmllint", &["--version"]) {
        return;
    }
    let v = xmllint_schema(&xml);
    assert!(
        v.status.success(),
        "junit-10.xsd rejects the report: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let x = std::fs::read_to_string(&xml).unwrap();
    // The schema is strict enough to fail: the attribute the old report put on <testsuites>
    // is refused.
    let old = d.path().join("old.xml");
    std::fs::write(
        &old,
        x.replacen("<testsuites name=", "<testsuites skipped=\"0\" name=", 1),
    )
    .unwrap();
    assert!(!xmllint_schema(&old).status.success());

    // smoke.json, reached twice (folder, then an absolute path), runs once.
    assert_eq!(x.matches("classname=\"purse.smoke\"").count(), 1, "{x}");
    assert_eq!(said(&o).matches("smoke.json").count(), 1, "{}", said(&o));
    // Suite facts and properties.
    for needle in [
        "timestamp=\"20",
        "hostname=\"",
        "<property name=\"target\" value=\"simulator\"/>",
        "<property name=\"atr\" value=\"3B ",
        "<property name=\"profile\" value=\"default",
        "<property name=\"assume\" value=\"contactless\"/>",
        "classname=\"broken.sw\"",
        "<failure type=\"V-SW\"",
        "<failure type=\"V-MISMATCH\"",
        "<error type=\"V-FORMAT\"",
        // Escaped text from the vector.
        "wrong balance &lt;on purpose&gt; &amp; more",
    ] {
        assert!(x.contains(needle), "lacks {needle}:\n{x}");
    }
    assert!(regex_like_time(&x), "the suite has a time in seconds:\n{x}");
    // The failing vector's decoded transcript is in <system-out>.
    let case = &x[x.find("classname=\"broken.sw\"").unwrap()..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert!(
        case.contains("<system-out>")
            && case.contains("&gt; 80 5C 00 02 04  GET BALANCE")
            && case.contains("&lt; 69 85  6985"),
        "{case}"
    );
}

/// `<testsuite … time="1.234"` with digits.
fn regex_like_time(x: &str) -> bool {
    let s = &x[x.find("<testsuite ").unwrap()..];
    let t = &s[s.find(" time=\"").unwrap() + 7..];
    let t = &t[..t.find('"').unwrap()];
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[test]
fn class_names_do_not_depend_on_the_path_typed() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a.xml"), d.path().join("b.xml"));
    let abs = repo().join("vectors/pin");
    output(
        &repo(),
        &["run", "vectors/pin", "--junit", a.to_str().unwrap()],
    );
    output(
        &repo().join("vectors"),
        &["run", abs.to_str().unwrap(), "--junit", b.to_str().unwrap()],
    );
    let names = |p: &Path| {
        let x = std::fs::read_to_string(p).unwrap();
        x.match_indices("classname=\"")
            .map(|(i, _)| x[i + 11..].split('"').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (na, nb) = (names(&a), names(&b));
    assert!(na.contains(&"pin.lock".to_string()), "{na:?}");
    assert_eq!(na, nb);
    assert!(na.iter().all(|n| n.matches('.').count() == 1), "{na:?}");
}

/// What GitLab reads of a JUnit report (its parser turns the XML into a hash with Nokogiri
/// and ActiveSupport, then reads testsuites → testsuite → testcase with `name`, `classname`,
/// `time`, a `failure`/`error`/`skipped` child's text and `system-out`): the same reading in
/// Ruby with those libraries, when Ruby and them are installed (.ci/run installs them).
#[test]
fn junit_reads_as_gitlab_reads_it() {
    if !have(
        "ruby",
        &[
            "-e",
            "require 'nokogiri'; require 'active_support/core_ext/hash/conversions'",
        ],
    ) {
        return;
    }
    let d = broken();
    let xml = d.path().join("report.xml");
    output(
        &repo(),
        &[
            "run",
            "vectors/purse/smoke.json",
            d.path().join("broken").to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    let o = Command::new("ruby")
        .arg(repo().join("tests/schemas/gitlab_junit.rb"))
        .arg(&xml)
        .output()
        .unwrap();
    let out = said(&o);
    assert!(o.status.success(), "{out}");
    for line in [
        "success purse.smoke smoke: select, balance, purchase, history",
        "failed broken.sw wrong status on purpose",
        "failed broken.data wrong balance <on purpose> & more",
        "error broken.malformed ",
    ] {
        assert!(out.contains(line), "lacks `{line}`:\n{out}");
    }
    assert!(out.contains("system_output GET BALANCE"), "{out}");
}

#[test]
fn exit_codes_follow_the_contract() {
    let d = broken();
    let b = d.path().join("broken");
    let code = |dir: &Path, args: &[&str]| {
        let o = output(dir, args);
        (o.status.code(), said(&o))
    };
    // 0: every vector passed.
    let (c, out) = code(&repo(), &["run", "vectors/purse/smoke.json"]);
    assert_eq!(c, Some(0), "{out}");
    // 1: a vector failed, or is malformed.
    let (c, out) = code(&repo(), &["run", b.join("sw.json").to_str().unwrap()]);
    assert_eq!(c, Some(1), "{out}");
    let (c, out) = code(
        &repo(),
        &["run", b.join("malformed.json").to_str().unwrap()],
    );
    assert_eq!(c, Some(1), "{out}");
    // 2: usage: an unknown flag, a path that does not exist, an empty filter.
    for args in [
        &["run", "--bogus"][..],
        &["run", "no/such/folder"],
        &["run", "vectors", "--filter", "tag:"],
        &["run", "vectors", "--format", "yaml"],
    ] {
        let (c, out) = code(&repo(), args);
        assert_eq!(c, Some(2), "{args:?}: {out}");
    }
    // 3: the target or I/O: a reader that cannot be reached, a report that cannot be written.
    let (c, out) = code(
        &repo(),
        &[
            "run",
            "vectors/purse/smoke.json",
            "--reader",
            "no such reader",
        ],
    );
    assert_eq!(c, Some(3), "{out}");
    assert!(out.contains("P-READER"), "{out}");
    let (c, out) = code(
        &repo(),
        &[
            "run",
            "vectors/purse/smoke.json",
            "--junit",
            "/no/such/dir/r.xml",
        ],
    );
    assert_eq!(c, Some(3), "{out}");
    // 4: nothing ran: all filtered out, or an empty folder; --allow-empty accepts it.
    let (c, out) = code(&repo(), &["run", "vectors", "--filter", "tag:no-such-tag"]);
    assert_eq!(c, Some(4), "{out}");
    assert!(out.contains("--allow-empty"), "{out}");
    let (c, out) = code(
        &repo(),
        &[
            "run",
            "vectors",
            "--filter",
            "tag:no-such-tag",
            "--allow-empty",
        ],
    );
    assert_eq!(c, Some(0), "{out}");
    let empty = tempfile::tempdir().unwrap();
    let (c, out) = code(&repo(), &["run", empty.path().to_str().unwrap()]);
    assert_eq!(c, Some(4), "{out}");
    // The contract is in the help.
    let (c, help) = code(&repo(), &["run", "--help"]);
    assert_eq!(c, Some(0));
    for line in [
        "  3  `run`: the target or I/O failed",
        "  4  `run`: nothing ran",
        "--allow-empty",
    ] {
        assert!(help.contains(line), "lacks `{line}`:\n{help}");
    }
}

#[test]
fn list_and_filter_find_vectors_by_name_folder_spec_and_tag() {
    let d = broken();
    let b = d.path().join("broken");
    let listed = |args: &[&str]| {
        let mut all = vec!["run", "vectors", b.to_str().unwrap(), "--list"];
        all.extend_from_slice(args);
        let o = output(&repo(), &all);
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        (
            o.status.code(),
            out.lines()
                .map(|l| l.split('\t').next().unwrap().to_string())
                .collect::<Vec<_>>(),
        )
    };
    let (c, all) = listed(&[]);
    assert_eq!(c, Some(0));
    assert!(all.len() > 30, "{all:?}");
    let (_, t) = listed(&["--filter", "tag:broken"]);
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(t[0].ends_with("broken/sw.json"));
    let (_, f) = listed(&["--filter", "folder:pin"]);
    assert!(
        !f.is_empty() && f.iter().all(|p| p.starts_with("vectors/pin/")),
        "{f:?}"
    );
    let (_, s) = listed(&["--filter", "spec:§1.1"]);
    assert!(
        s.iter().any(|p| p.ends_with("toolkit/spec_examples.json")),
        "{s:?}"
    );
    assert!(
        s.iter()
            .all(|p| p.starts_with("vectors/toolkit/") || p.contains("menu") || p.contains("stk")),
        "{s:?}"
    );
    let (_, shipped) = listed(&["--filter", "tag:smoke"]);
    assert_eq!(shipped, vec!["vectors/purse/smoke.json".to_string()]);
    let (_, n) = listed(&["--filter", "name:smoke"]);
    assert_eq!(n, vec!["vectors/purse/smoke.json".to_string()]);
    // Different kinds narrow; the same kind widens.
    let (_, and) = listed(&["--filter", "folder:broken", "--filter", "spec:§3"]);
    assert_eq!(and.len(), 2, "{and:?}");
    let (_, or) = listed(&["--filter", "name:smoke", "--filter", "name:wrong status"]);
    assert_eq!(or.len(), 2, "{or:?}");
    // A filter runs only what it selects.
    let o = output(&repo(), &["run", "vectors", "--filter", "folder:pin"]);
    let out = said(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("filter: 6 of") && out.contains("vectors: 6 passed, 0 failed, 0 skipped"),
        "{out}"
    );
}

#[test]
fn verbose_runs_decode_every_exchange() {
    let o = output(&repo(), &["run", "-v", "vectors/purse/smoke.json"]);
    let out = said(&o);
    assert!(out.contains("> 80 5C 00 02 04  GET BALANCE"), "{out}");
    assert!(out.contains("< 00 00 27 10 90 00  9000  "), "{out}");
    assert!(
        out.contains("INITIALIZE FOR PURCHASE") && out.contains("amount 1234 fen"),
        "{out}"
    );
    let d = broken();
    let o = output(
        &repo(),
        &[
            "run",
            "-v",
            d.path().join("broken/sw.json").to_str().unwrap(),
        ],
    );
    let out = said(&o);
    assert!(out.contains("< 69 85  6985  "), "{out}");
}

#[test]
fn json_format_prints_one_object_per_vector_then_a_summary() {
    let d = broken();
    let o = output(
        &repo(),
        &[
            "run",
            "vectors/purse/smoke.json",
            d.path().join("broken").to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    let by_class = |c: &str| lines.iter().find(|v| v["classname"] == c).unwrap().clone();
    assert_eq!(by_class("purse.smoke")["status"], "passed");
    let sw = by_class("broken.sw");
    assert_eq!(sw["status"], "failed");
    assert_eq!(sw["code"], "V-SW");
    assert_eq!(sw["failure"]["actual"], "SW 6985");
    assert_eq!(by_class("broken.malformed")["code"], "V-FORMAT");
    let s = &lines[4]["summary"];
    assert_eq!(
        (
            s["passed"].as_u64(),
            s["failed"].as_u64(),
            s["exit"].as_u64()
        ),
        (Some(1), Some(3), Some(1))
    );
}

/// A card that answers reset and then nothing (a mute card, a reader pulled mid-run).
struct Mute;

impl stk_wallet::transport::Transport for Mute {
    fn transmit_raw(&mut self, _: &[u8]) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        Err(stk_wallet::transport::TransportError::NoResponse)
    }
    fn reset(&mut self) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        Ok(stk_wallet::profile::Profile::default_profile().atr)
    }
    fn describe(&self) -> String {
        "mute card".into()
    }
}

#[test]
fn a_mute_card_is_a_target_failure_not_a_card_defect() {
    use stk_wallet::vectors::{junit, report, runner};
    let mut mute = Mute;
    let mut t = runner::Target::External {
        transport: &mut mute,
        capabilities: vec!["contactless".into()],
        fresh_card: None,
        other: None,
    };
    let o = runner::run_file(&repo().join("vectors/purse/balance.json"), &mut t);
    assert!(o.status.is_target_failure(), "{:?}", o.status);
    assert_eq!(o.status.code(), Some(stk_wallet::errors::Code::PNoResponse));
    assert_eq!(report::status_name(&o.status), "error");
    let info = report::RunInfo::start("mute card", None, &[]);
    let x = junit::junit(std::slice::from_ref(&o), &info);
    assert!(
        x.contains("<error type=\"P-NO-RESPONSE\"") && x.contains("failures=\"0\" errors=\"1\""),
        "{x}"
    );
}

#[test]
fn test_keys_with_equal_halves_run_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let v = d.path().join("weak.json");
    std::fs::write(
        &v,
        r#"{"name": "a purchase with a vendor's test key", "profile_overrides":
            {"keys": {"purchase": [{"index": 1, "version": 1, "alg": 0,
                                    "master": "11111111111111111111111111111111"}]}},
            "steps": [{"purchase": 100}, {"balance": 9900}]}"#,
    )
    .unwrap();
    let o = output(&repo(), &["run", v.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    assert!(
        err.contains("warning: keys.purchase[index 1]: the master key 1111")
            && err.contains("single DES"),
        "{err}"
    );
    // The shipped vectors use the default profile: no warning.
    let o = output(&repo(), &["run", "vectors/purse/smoke.json"]);
    assert!(!said(&o).contains("warning"), "{}", said(&o));
}

/// The requirements `run --coverage` says the vectors under `path` check, each with its count.
fn covered(path: &str) -> Vec<(String, usize)> {
    let o = output(&repo(), &["run", path, "--coverage", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["requirement"].as_str().unwrap().to_string(),
                v["vectors"].as_array().unwrap().len(),
            )
        })
        .collect()
}

/// The requirements of `vectors/covered-requirements.txt` that have no vector under `path`.
fn lost(path: &str) -> Vec<String> {
    let have = covered(path);
    std::fs::read_to_string(repo().join("vectors/covered-requirements.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|id| !have.iter().any(|(r, n)| r == id && *n > 0))
        .map(String::from)
        .collect()
}

#[test]
fn no_requirement_loses_its_last_vector() {
    let all = covered("vectors");
    let ids: Vec<&str> = all.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        ids,
        ["§1", "§1.1", "§2", "§3", "§4", "§5", "§6", "§7", "§8"],
        "the specification's numbered sections"
    );
    assert_eq!(
        lost("vectors"),
        Vec::<String>::new(),
        "requirements without a vector"
    );
    // The check can fail: the PIN vectors alone leave most requirements unchecked.
    assert!(lost("vectors/pin").contains(&"§1.1".to_string()));
    // The text matrix names the requirements no vector checks.
    let o = output(&repo(), &["run", "vectors", "--coverage"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("requirements: 9 of 9 checked by a vector\n"),
        "{text}"
    );
    assert!(text.contains("vectors/purse/smoke.json"), "{text}");
    // With a part of the vectors, the matrix names what no vector checks.
    let o = output(&repo(), &["run", "vectors/pin", "--coverage"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("checked by a vector; no vector checks ") && text.contains("§1.1"),
        "{text}"
    );
}
