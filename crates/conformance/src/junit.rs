//! JUnit XML for CI systems, written to validate against the schema Jenkins' xunit plugin
//! checks (`junit-10.xsd`, shipped under `tests/schemas/` with its origin) and to carry what
//! GitLab reads: one `<testsuite>` with its time, timestamp, hostname and the run's properties
//! (target, ATR, profile, assumptions), one `<testcase>` per vector file with a stable
//! `classname` ([`crate::select::class_name`]), failures and errors typed by their catalogue
//! code, and the decoded transcript of every vector that did not pass in `<system-out>`.

use crate::decode::transcript_text;
use crate::errors::Code;
use crate::report::{RunInfo, details};
use crate::runner::{Outcome, Status};
use crate::select::class_name;
use std::fmt::Write as _;

/// Text made safe for XML 1.0 attribute values and character data: the five special
/// characters escaped, characters XML 1.0 cannot carry (most C0 controls) replaced by U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Seconds with at most three decimals, as the schema's time pattern allows.
fn secs(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The whole JUnit document for a run.
pub fn junit(outcomes: &[Outcome], info: &RunInfo) -> String {
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    for o in outcomes {
        match &o.status {
            Status::Failed(f) if f.is_error() => errors += 1,
            Status::Failed(_) => failures += 1,
            Status::Invalid(_) | Status::Limit(_) => errors += 1,
            Status::Skipped(_) => skipped += 1,
            Status::Passed => {}
        }
    }
    let tests = outcomes.len();
    let time = secs(info.duration);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"stk-wallet\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">"
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\" timestamp=\"{}\" hostname=\"{}\">",
        xml_escape(&info.suite),
        xml_escape(&info.timestamp),
        xml_escape(&info.hostname)
    );
    x.push_str("    <properties>\n");
    for (k, v) in info.properties() {
        let _ = writeln!(
            x,
            "      <property name=\"{}\" value=\"{}\"/>",
            xml_escape(k),
            xml_escape(&v)
        );
    }
    x.push_str("    </properties>\n");
    for o in outcomes {
        let _ = write!(
            x,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
            xml_escape(&o.name),
            xml_escape(&class_name(&o.path)),
            secs(o.duration)
        );
        let (tag, ty, message, body) = match &o.status {
            Status::Passed => {
                x.push_str("</testcase>\n");
                continue;
            }
            Status::Skipped(why) => ("skipped", None, why.clone(), String::new()),
            Status::Failed(f) => (
                if f.is_error() { "error" } else { "failure" },
                Some(f.code()),
                format!("step {}: expected {}, got {}", f.step, f.expected, f.actual),
                details(o),
            ),
            Status::Invalid(e) => (
                "error",
                Some(Code::VFormat),
                format!("{}: {e}", Code::VFormat),
                details(o),
            ),
            Status::Limit(e) => ("error", Some(Code::VLimit), e.clone(), details(o)),
        };
        x.push('\n');
        let ty = ty
            .map(|c| format!(" type=\"{}\"", c.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            x,
            "      <{tag}{ty} message=\"{}\">{}</{tag}>",
            xml_escape(&message),
            xml_escape(&body)
        );
        if tag != "skipped" {
            let _ = writeln!(
                x,
                "      <system-out>{}</system-out>",
                xml_escape(&format!(
                    "{}\n{}",
                    o.path.display(),
                    transcript_text(&o.transcript, "")
                ))
            );
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(
            super::xml_escape("a<b>&\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}\n"
        );
    }
}
