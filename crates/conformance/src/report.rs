//! Reports for vector runs: one line per vector, a detailed block per failure, a summary, and
//! JUnit XML (through `quick-junit`) for CI.

use super::runner::{Outcome, Status};
use crate::errors::Code;
use std::fmt::Write as _;
use stk_domain::command::Command;

/// The one-line result of a vector.
pub fn line(o: &Outcome) -> String {
    let (tag, extra) = match &o.status {
        Status::Passed => ("PASS", String::new()),
        Status::Failed(f) => ("FAIL", format!("  (step {})", f.step)),
        Status::Skipped(why) => ("SKIP", format!("  ({why})")),
        Status::Invalid(_) => (
            "BAD ",
            format!("  ({}: the vector file is malformed)", Code::VFormat),
        ),
        Status::Limit(_) => (
            "BAD ",
            format!("  ({}: the vector exceeds a runner limit)", Code::VLimit),
        ),
    };
    format!("{tag} {}  {}{extra}", o.path.display(), o.name)
}

/// The failure details (empty for passes and skips).
pub fn details(o: &Outcome) -> String {
    let mut s = String::new();
    match &o.status {
        Status::Failed(f) => {
            let _ = writeln!(
                s,
                "  step {}: {}{}",
                f.step,
                f.action,
                f.note
                    .as_ref()
                    .map(|n| format!("  — {n}"))
                    .unwrap_or_default()
            );
            if let Some(last) = o.transcript.last() {
                let _ = writeln!(
                    s,
                    "    sent     {}{}",
                    spaced(&last.command),
                    Command::name_of(&last.command)
                        .map(|n| format!("  ({n})"))
                        .unwrap_or_default()
                );
                let _ = writeln!(
                    s,
                    "    received {}",
                    last.response
                        .as_ref()
                        .map_or("(no response)".into(), |r| spaced(r))
                );
            }
            let _ = writeln!(s, "    expected {}", f.expected);
            let _ = writeln!(s, "    actual   {}", f.actual);
            if let Some(d) = &f.diff {
                let pad = f.actual.find("data ").map(|i| i + 5).unwrap_or(0);
                let _ = writeln!(s, "             {}{d}", " ".repeat(pad));
            }
            if let Some(r) = &f.card_reason {
                let _ = writeln!(s, "    card says: {r}");
            }
            for l in f.explanation.lines() {
                let _ = writeln!(s, "    {l}");
            }
        }
        Status::Invalid(e) => {
            let _ = writeln!(s, "  {e}");
            let _ = writeln!(s, "    {}", Code::VFormat.entry().remedy);
        }
        Status::Limit(e) => {
            let _ = writeln!(s, "  {e}");
            let _ = writeln!(s, "    {}", Code::VLimit.entry().remedy);
        }
        _ => {}
    }
    s
}

fn spaced(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Counts: passed, failed (including malformed files), skipped.
pub fn counts(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for o in outcomes {
        match o.status {
            Status::Passed => c.0 += 1,
            Status::Failed(_) | Status::Invalid(_) | Status::Limit(_) => c.1 += 1,
            Status::Skipped(_) => c.2 += 1,
        }
    }
    c
}

/// The closing line, in the plain form CI readers recognise.
pub fn summary(outcomes: &[Outcome]) -> String {
    let (p, f, s) = counts(outcomes);
    format!("vectors: {p} passed, {f} failed, {s} skipped")
}

/// JUnit XML: one test suite, one test case per vector file.
pub fn junit(outcomes: &[Outcome], suite: &str) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("stk-wallet");
    let mut ts = TestSuite::new(suite);
    for o in outcomes {
        let status = match &o.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Failed(f) => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(format!(
                    "step {}: expected {}, got {}",
                    f.step, f.expected, f.actual
                ));
                st.set_type(f.code().as_str());
                st.set_description(details(o));
                st
            }
            Status::Invalid(e) => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                st.set_message(format!("{}: {e}", Code::VFormat));
                st
            }
            Status::Limit(e) => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                st.set_message(e.clone());
                st
            }
            Status::Skipped(why) => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(why.clone());
                st
            }
        };
        let mut tc = TestCase::new(o.name.clone(), status);
        tc.set_classname(o.path.display().to_string());
        tc.set_time(o.duration);
        ts.add_test_case(tc);
    }
    report.add_test_suite(ts);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- junit serialisation failed: {e} -->"))
}
