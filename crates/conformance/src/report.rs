//! Reports for vector runs: one line per vector, a detailed block per failure, a summary, the
//! run's facts ([`RunInfo`]) and one JSON object per vector for scripts. JUnit is
//! [`crate::junit`], the HTML page [`crate::html`].

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

use crate::decode::spaced;

/// Counts: passed, failed (including malformed files and target failures), skipped.
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

/// The exit status of a run (docs/conformance-runs.md): 3 when the target failed, else 1 when a
/// vector failed or is malformed, else 4 when nothing ran (every vector skipped; 0 with
/// `allow_empty`), else 0.
pub fn exit_status(outcomes: &[Outcome], allow_empty: bool) -> u8 {
    let (passed, failed, _) = counts(outcomes);
    if outcomes.iter().any(|o| o.status.is_target_failure()) {
        3
    } else if failed > 0 {
        1
    } else if passed == 0 && !allow_empty {
        4
    } else {
        0
    }
}

/// The closing line, in the plain form CI readers recognise.
pub fn summary(outcomes: &[Outcome]) -> String {
    let (p, f, s) = counts(outcomes);
    let drift = outcomes
        .iter()
        .filter(|o| o.status.code() == Some(Code::VState))
        .count();
    // Failures that only say the card is not in the state a vector needs are counted apart:
    // they say nothing about the card's answers.
    let state = if drift > 0 {
        format!(" ({drift} of them: card not in the required state, V-STATE)")
    } else {
        String::new()
    };
    format!("vectors: {p} passed, {f} failed, {s} skipped{state}")
}

/// The facts of a run that every report carries.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The suite's name in JUnit.
    pub suite: String,
    /// `simulator`, or the reader's name.
    pub target: String,
    /// The card's answer to reset at the start of the run.
    pub atr: Option<Vec<u8>>,
    /// The profiles the vectors personalise from (`default`, or paths), each once.
    pub profiles: Vec<String>,
    /// What `--assume` said of the card (with the interface).
    pub assume: Vec<String>,
    pub hostname: String,
    /// When the run started, UTC, ISO 8601 (`2026-11-30T21:04:05Z`).
    pub timestamp: String,
    pub duration: std::time::Duration,
}

impl RunInfo {
    /// A run starting now on this host.
    pub fn start(target: &str, atr: Option<Vec<u8>>, assume: &[String]) -> RunInfo {
        RunInfo {
            suite: "stk-wallet vectors".into(),
            target: target.into(),
            atr,
            profiles: Vec::new(),
            assume: assume.to_vec(),
            hostname: hostname(),
            timestamp: utc_timestamp(std::time::SystemTime::now()),
            duration: std::time::Duration::ZERO,
        }
    }

    /// Notes the profiles the outcomes used.
    pub fn add_profiles(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            let p = &o.meta.profile;
            if !p.is_empty() && !self.profiles.contains(p) {
                self.profiles.push(p.clone());
            }
        }
    }

    /// The properties reports list: target, ATR, profile, assume.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        vec![
            ("target", self.target.clone()),
            ("atr", self.atr.as_deref().map_or("(none)".into(), spaced)),
            ("profile", self.profiles.join(", ")),
            ("assume", self.assume.join(", ")),
        ]
    }
}

/// This machine's host name (`localhost` if it cannot be read).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// `t` as UTC ISO 8601 to the second: `2026-11-30T21:04:05Z`.
pub fn utc_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), by 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The status of an outcome as scripts see it: `passed`, `failed`, `skipped`, or `error` (a
/// malformed file, a limit, a failed target).
pub fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed(f) if f.is_error() => "error",
        Status::Failed(_) => "failed",
        Status::Skipped(_) => "skipped",
        Status::Invalid(_) | Status::Limit(_) => "error",
    }
}

/// One vector's outcome as a JSON object (`run --format json` prints one per line).
pub fn json(o: &Outcome) -> serde_json::Value {
    let mut v = serde_json::json!({
        "path": o.path.display().to_string(),
        "classname": crate::select::class_name(&o.path),
        "name": o.name,
        "status": status_name(&o.status),
        "code": o.status.code().map(|c| c.as_str()),
        "spec": o.meta.spec,
        "tags": o.meta.tags,
        "steps": o.steps,
        "exchanges": o.transcript.len(),
        "seconds": o.duration.as_secs_f64(),
    });
    let message = match &o.status {
        Status::Failed(f) => Some(serde_json::json!({
            "step": f.step,
            "expected": f.expected,
            "actual": f.actual,
            "card_reason": f.card_reason,
        })),
        Status::Skipped(why) | Status::Invalid(why) | Status::Limit(why) => {
            Some(serde_json::json!({ "message": why }))
        }
        Status::Passed => None,
    };
    if let (Some(m), Some(obj)) = (message, v.as_object_mut()) {
        obj.insert("failure".into(), m);
    }
    v
}

/// The closing JSON object of `run --format json`.
pub fn json_summary(outcomes: &[Outcome], info: &RunInfo, exit: u8) -> serde_json::Value {
    let (p, f, s) = counts(outcomes);
    serde_json::json!({
        "summary": {
            "passed": p,
            "failed": f,
            "skipped": s,
            "total": outcomes.len(),
            "exit": exit,
            "seconds": info.duration.as_secs_f64(),
            "timestamp": info.timestamp,
            "properties": info.properties().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::runner::{Failure, Meta, Outcome, Status};
    use std::time::{Duration, UNIX_EPOCH};

    fn outcome(status: Status) -> Outcome {
        Outcome {
            path: "v.json".into(),
            name: "v".into(),
            meta: Meta::default(),
            status,
            steps: 0,
            duration: Duration::ZERO,
            transcript: Vec::new(),
        }
    }

    fn failed(code: crate::errors::Code) -> Status {
        Status::Failed(Box::new(Failure {
            code,
            reason: None,
            bytes: None,
            step: "1".into(),
            note: None,
            action: String::new(),
            expected: String::new(),
            actual: String::new(),
            diff: None,
            explanation: String::new(),
            card_reason: None,
        }))
    }

    #[test]
    fn exit_statuses() {
        use crate::errors::Code;
        let pass = || outcome(Status::Passed);
        let skip = || outcome(Status::Skipped("requires fixed-random".into()));
        let exit = |o: Vec<Outcome>, allow| super::exit_status(&o, allow);
        assert_eq!(exit(vec![pass(), skip()], false), 0);
        assert_eq!(exit(vec![pass(), outcome(failed(Code::VSw))], false), 1);
        assert_eq!(
            exit(vec![pass(), outcome(Status::Invalid("x".into()))], false),
            1
        );
        assert_eq!(exit(vec![pass(), outcome(failed(Code::VState))], false), 1);
        // A target failure outranks a vector failure.
        let both = vec![
            outcome(failed(Code::VSw)),
            outcome(failed(Code::PNoResponse)),
        ];
        assert_eq!(exit(both, false), 3);
        assert_eq!(exit(vec![outcome(failed(Code::PReader))], true), 3);
        // Every vector skipped: nothing ran.
        assert_eq!(exit(vec![skip(), skip()], false), 4);
        assert_eq!(exit(vec![skip(), skip()], true), 0);
        assert_eq!(exit(Vec::new(), false), 4);
    }

    #[test]
    fn timestamps() {
        let at = |s| super::utc_timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_072_645), "2026-11-30T21:04:05Z");
    }
}
