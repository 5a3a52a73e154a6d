//! The HTML report: one self-contained page (inline style, no script, nothing fetched) that
//! shows a run to a person: the summary and the run's facts, then a section per vector with its
//! steps, every exchange decoded (command name, fields, status word meaning from the error
//! catalogue), and for a failure the first difference highlighted byte by byte, the card's
//! reason and the catalogue's cause and remedy. Every text from a vector, a card or a file is
//! HTML-escaped.

use crate::coverage::Matrix;
use crate::decode::{decode, spaced};
use crate::errors::Reason;
use crate::format::Masked;
use crate::report::{RunInfo, counts, status_name};
use crate::runner::{Failure, Outcome, Status};
use crate::select::class_name;
use std::fmt::Write as _;

/// Text made safe for HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0}
table{border-collapse:collapse;margin:.4em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
.hex,code{font-family:monospace}
#summary td{font-size:1.3em;font-weight:bold;text-align:center}
section.vector{border:1px solid #bbb;border-left:8px solid #999;margin:1em 0;padding:.5em 1em}
section.passed{border-left-color:#2a2}section.failed,section.error{border-left-color:#c22}
section.skipped{border-left-color:#cc2}
.badge{display:inline-block;min-width:4em;text-align:center;color:#fff;background:#999;border-radius:3px;padding:0 .3em}
.passed .badge{background:#2a2}.failed .badge,.error .badge{background:#c22}.skipped .badge{background:#a90}
.failure{background:#fff3f3;border:1px solid #e99;padding:.4em .8em}
mark.diff{background:#f66;color:#000;font-weight:bold}mark.first{outline:2px solid #000}
tr.failing td{background:#fee}
ol.steps li.failed{color:#c22;font-weight:bold}ol.steps li.not-run{color:#888}
.meta{color:#555;font-size:.9em}
";

/// The whole page for a run, with the requirement coverage of its vectors if known.
pub fn page(outcomes: &[Outcome], info: &RunInfo, coverage: Option<&Matrix>) -> String {
    let (p, f, s) = counts(outcomes);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}: {p} passed, {f} failed, {s} skipped</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        html_escape(&info.suite)
    );
    let _ = writeln!(h, "<h1>{}</h1>", html_escape(&info.suite));
    let _ = writeln!(
        h,
        "<table id=\"summary\"><tr><th>vectors</th><th>passed</th><th>failed</th><th>skipped</th></tr>\n<tr><td id=\"count-total\">{}</td><td id=\"count-passed\">{p}</td><td id=\"count-failed\">{f}</td><td id=\"count-skipped\">{s}</td></tr></table>",
        outcomes.len()
    );
    h.push_str("<table id=\"properties\">\n");
    let mut facts: Vec<(&str, String)> = info.properties();
    facts.push(("host", info.hostname.clone()));
    facts.push(("started", info.timestamp.clone()));
    facts.push(("time", format!("{:.3} s", info.duration.as_secs_f64())));
    for (k, v) in facts {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td class=\"hex\">{}</td></tr>",
            html_escape(k),
            html_escape(&v)
        );
    }
    h.push_str("</table>\n<h2>Vectors</h2>\n<ol id=\"index\">\n");
    for (i, o) in outcomes.iter().enumerate() {
        let _ = writeln!(
            h,
            "<li class=\"{st}\"><a href=\"#v{i}\">{}</a> <span class=\"badge\">{st}</span></li>",
            html_escape(&o.name),
            st = status_name(&o.status)
        );
    }
    h.push_str("</ol>\n");
    if let Some(m) = coverage {
        coverage_table(&mut h, m);
    }
    for (i, o) in outcomes.iter().enumerate() {
        vector(&mut h, i, o);
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The requirement matrix: requirement, title, the vectors that check it (none: marked).
fn coverage_table(h: &mut String, m: &Matrix) {
    let un = m.unchecked().len();
    let _ = writeln!(
        h,
        "<h2>Requirement coverage</h2>\n<p id=\"coverage-summary\">{} of {} requirements checked by a vector</p>\n<table id=\"coverage\"><tr><th>requirement</th><th>title</th><th>vectors</th></tr>",
        m.rows.len() - un,
        m.rows.len()
    );
    for (r, v) in &m.rows {
        let class = if v.is_empty() { "unchecked" } else { "checked" };
        let list = if v.is_empty() {
            "<mark>no vector checks it</mark>".to_string()
        } else {
            v.iter()
                .map(|(p, n)| {
                    format!(
                        "<code>{}</code> {}",
                        html_escape(&p.display().to_string()),
                        html_escape(n)
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            h,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{list}</td></tr>",
            html_escape(&r.id),
            html_escape(&r.title)
        );
    }
    h.push_str("</table>\n");
}

/// The top-level step a failure's step number (`3`, `3.2#4`) falls in, 0-based.
fn failed_step(f: &Failure) -> Option<usize> {
    f.step
        .split(['.', '#'])
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
}

fn vector(h: &mut String, i: usize, o: &Outcome) {
    let st = status_name(&o.status);
    let _ = writeln!(
        h,
        "<section class=\"vector {st}\" id=\"v{i}\" data-status=\"{st}\" data-classname=\"{}\">",
        html_escape(&class_name(&o.path))
    );
    let _ = writeln!(
        h,
        "<h2><span class=\"badge\">{st}</span> {}</h2>",
        html_escape(&o.name)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\"><code>{}</code> · class <code>{}</code>{}{}{} · {:.3} s</p>",
        html_escape(&o.path.display().to_string()),
        html_escape(&class_name(&o.path)),
        if o.meta.spec.is_empty() {
            String::new()
        } else {
            format!(" · spec {}", html_escape(&o.meta.spec))
        },
        if o.meta.tags.is_empty() {
            String::new()
        } else {
            format!(" · tags {}", html_escape(&o.meta.tags.join(", ")))
        },
        if o.meta.profile.is_empty() {
            String::new()
        } else {
            format!(" · profile {}", html_escape(&o.meta.profile))
        },
        o.duration.as_secs_f64()
    );
    for w in &o.meta.warnings {
        let _ = writeln!(h, "<p class=\"warning\">{}</p>", html_escape(w));
    }
    if !o.meta.description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", html_escape(&o.meta.description));
    }
    match &o.status {
        Status::Failed(f) => failure(h, i, f),
        Status::Skipped(why) => {
            let _ = writeln!(h, "<p class=\"skip\">skipped: {}</p>", html_escape(why));
        }
        Status::Invalid(e) | Status::Limit(e) => {
            let code = o.status.code();
            let _ = writeln!(
                h,
                "<div class=\"failure\"><p>{}</p>{}</div>",
                html_escape(e),
                code.map(|c| catalogue(c.into())).unwrap_or_default()
            );
        }
        Status::Passed => {}
    }
    if !o.meta.steps.is_empty() {
        let bad = match &o.status {
            Status::Failed(f) => failed_step(f),
            _ => None,
        };
        h.push_str("<ol class=\"steps\">\n");
        for (n, step) in o.meta.steps.iter().enumerate() {
            let class = match bad {
                Some(b) if n == b => "failed",
                Some(b) if n > b => "not-run",
                _ if matches!(o.status, Status::Skipped(_)) => "not-run",
                _ => "ran",
            };
            let _ = writeln!(h, "<li class=\"{class}\">{}</li>", html_escape(step));
        }
        h.push_str("</ol>\n");
    }
    transcript(h, o);
    h.push_str("</section>\n");
}

/// A catalogue entry as a small table: code, meaning, cause, remedy.
fn catalogue(r: Reason) -> String {
    let e = r.entry();
    let meaning = match r {
        Reason::Sw(sw) => crate::errors::render_for(sw)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        Reason::Code(_) => e.one_line(),
    };
    format!(
        "<table class=\"catalogue\"><tr><th>meaning</th><td>{}</td></tr><tr><th>cause</th><td class=\"cause\">{}</td></tr><tr><th>remedy</th><td class=\"remedy\">{}</td></tr></table>",
        html_escape(&meaning),
        html_escape(e.cause),
        html_escape(e.remedy)
    )
}

/// Byte cells for `bytes`, each differing byte marked; the first difference gets the id
/// `first-diff-{i}` (vector `i`).
fn byte_row(out: &mut String, bytes: &[String], differs: &[bool], i: usize, first_id: bool) {
    let mut first = true;
    for (b, d) in bytes.iter().zip(differs) {
        if *d {
            let id = if first && first_id {
                format!(" id=\"first-diff-{i}\"")
            } else {
                String::new()
            };
            let class = if first { "diff first" } else { "diff" };
            first = false;
            let _ = write!(
                out,
                "<mark class=\"{class}\"{id}>{}</mark> ",
                html_escape(b)
            );
        } else {
            let _ = write!(out, "<span class=\"byte\">{}</span> ", html_escape(b));
        }
    }
}

fn bytes_table(h: &mut String, i: usize, expected: &[String], actual: &[String], differs: &[bool]) {
    h.push_str("<table class=\"bytes hex\"><tr><th>expected</th><td>");
    byte_row(h, expected, differs, i, false);
    h.push_str("</td></tr><tr><th>actual</th><td>");
    byte_row(h, actual, differs, i, true);
    h.push_str("</td></tr></table>\n");
}

fn masked_diff(m: &Masked, actual: &[u8]) -> (Vec<String>, Vec<String>, Vec<bool>) {
    let n = m.0.len().max(actual.len());
    let mut e = Vec::with_capacity(n);
    let mut a = Vec::with_capacity(n);
    let mut d = Vec::with_capacity(n);
    for k in 0..n {
        let want = m.0.get(k);
        let got = actual.get(k);
        e.push(match want {
            Some(Some(b)) => format!("{b:02X}"),
            Some(None) => "??".into(),
            None => "··".into(),
        });
        a.push(got.map_or("··".into(), |b| format!("{b:02X}")));
        d.push(match (want, got) {
            (Some(None), Some(_)) => false,
            (Some(Some(w)), Some(g)) => w != g,
            _ => true,
        });
    }
    (e, a, d)
}

/// Expected and actual status words byte by byte, from `SW 6985` texts (`?` nibbles match).
fn sw_diff(f: &Failure) -> Option<(Vec<String>, Vec<String>, Vec<bool>)> {
    let want = f.expected.strip_prefix("SW ")?.get(..4)?.to_string();
    let got = f.actual.strip_prefix("SW ")?.get(..4)?.to_string();
    let pair = |s: &str| vec![s[..2].to_string(), s[2..].to_string()];
    let (w, g) = (pair(&want), pair(&got));
    let d = w
        .iter()
        .zip(&g)
        .map(|(w, g)| {
            w.chars()
                .zip(g.chars())
                .any(|(x, y)| x != '?' && !x.eq_ignore_ascii_case(&y))
        })
        .collect();
    Some((w, g, d))
}

fn failure(h: &mut String, i: usize, f: &Failure) {
    let _ = writeln!(
        h,
        "<div class=\"failure\" data-code=\"{}\"><p>step <b>{}</b>: <code>{}</code>{}</p>",
        f.code().as_str(),
        html_escape(&f.step),
        html_escape(&f.action),
        f.note
            .as_ref()
            .map(|n| format!(" — {}", html_escape(n)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        h,
        "<p>{} : expected <code>{}</code>, got <code>{}</code></p>",
        f.code().as_str(),
        html_escape(&f.expected),
        html_escape(&f.actual)
    );
    if let Some((e, a, d)) = sw_diff(f) {
        bytes_table(h, i, &e, &a, &d);
    } else if let Some((m, actual)) = &f.bytes {
        let (e, a, d) = masked_diff(m, actual);
        bytes_table(h, i, &e, &a, &d);
    }
    if let Some(r) = &f.card_reason {
        let _ = writeln!(
            h,
            "<p class=\"card-reason\">the card says: {}</p>",
            html_escape(r)
        );
    }
    if let Some(r) = f.reason {
        h.push_str(&catalogue(r));
    }
    h.push_str("</div>\n");
}

fn transcript(h: &mut String, o: &Outcome) {
    if o.transcript.is_empty() {
        return;
    }
    h.push_str("<table class=\"transcript\">\n<tr><th>#</th><th>step</th><th>command</th><th>name and fields</th><th>response</th><th>status word</th></tr>\n");
    let last = o.transcript.len() - 1;
    let failed = matches!(o.status, Status::Failed(_));
    for (n, e) in o.transcript.iter().enumerate() {
        let d = decode(e);
        let class = if failed && n == last {
            " class=\"exchange failing\""
        } else {
            " class=\"exchange\""
        };
        if d.power_cycle {
            let _ = writeln!(
                h,
                "<tr{class}><td>{}</td><td>{}</td><td colspan=\"2\">power cycle</td><td class=\"hex\">ATR {}</td><td></td></tr>",
                n + 1,
                html_escape(&d.step),
                d.response.as_deref().map_or("(none)".into(), spaced)
            );
            continue;
        }
        let fields = d
            .fields
            .iter()
            .map(|(k, v)| format!("{} <code>{}</code>", html_escape(k), html_escape(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            h,
            "<tr{class}><td>{}</td><td>{}</td><td class=\"hex\">{}</td><td><b class=\"command-name\">{}</b><br>{fields}</td><td class=\"hex\">{}</td><td class=\"sw\">{}</td></tr>",
            n + 1,
            html_escape(&d.step),
            spaced(&d.command),
            html_escape(d.name.unwrap_or("(unknown command)")),
            d.response.as_deref().map_or("(no response)".into(), spaced),
            html_escape(&d.sw_meaning().unwrap_or_default())
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(
            super::html_escape("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&#39;"
        );
    }
}
