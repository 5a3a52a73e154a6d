//! `run --html FILE` in a real browser: a run with a passing vector and two deliberately failing
//! ones made in a temporary folder writes the page, headless Chromium (Debian's `chromium`,
//! installed by .ci/run) loads it, and the DOM it builds is checked: the counts, one section per
//! vector, the highlighted first differing byte, the catalogue's cause and remedy, text from the
//! vector escaped. The page and a screenshot stay under `target/html-report/` as CI artefacts.

mod common;

use common::{output, said};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `tool` runs; without it the test is skipped, except in CI (`CI` set), where the
/// test fails.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
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

fn chromium(args: &[&str], profile: &std::path::Path) -> std::process::Output {
    Command::new("timeout")
        .arg("120")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium")
}

#[test]
fn the_html_report_reads_in_a_real_browser() {
    let d = tempfile::tempdir().unwrap();
    let broken = d.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    // Expected 00 00 28 10, the card answers 00 00 27 10: the third byte differs.
    std::fs::write(
        broken.join("data.json"),
        r#"{"name": "wrong balance <b>on purpose</b> & more", "spec": "§3",
            "steps": [{"select": true}, {"apdu": "80 5C 00 02 04", "expect": "00 00 28 10"}]}"#,
    )
    .unwrap();
    // GET BALANCE before SELECT: 6985, expected 9000.
    std::fs::write(
        broken.join("sw.json"),
        r#"{"name": "wrong status on purpose", "steps": [{"apdu": "80 5C 00 02 04", "sw": "9000"}]}"#,
    )
    .unwrap();
    let out_dir = repo().join("target/html-report");
    std::fs::create_dir_all(&out_dir).unwrap();
    let page = out_dir.join("report.html");
    let o = output(
        &repo(),
        &[
            "run",
            "vectors/purse/smoke.json",
            broken.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch, no script.
    for outside in ["http://", "https://", "<link", "<script", "src=", "url("] {
        assert!(
            !html.contains(outside),
            "the page refers outside: {outside}"
        );
    }
    if !have("chromium") {
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    let dom = chromium(&["--dump-dom", &url], profile.path());
    let dom_text = String::from_utf8_lossy(&dom.stdout).to_string();
    assert!(
        dom.status.success() && dom_text.contains("</html>"),
        "chromium: {}",
        said(&dom)
    );
    std::fs::write(out_dir.join("report.dom.html"), &dom_text).unwrap();
    // The counts, as the browser built them.
    for (id, n) in [("total", 3), ("passed", 1), ("failed", 2), ("skipped", 0)] {
        let cell = format!("<td id=\"count-{id}\">{n}</td>");
        assert!(dom_text.contains(&cell), "lacks {cell}");
    }
    assert_eq!(dom_text.matches("<section class=\"vector ").count(), 3);
    assert_eq!(
        dom_text.matches("<section class=\"vector failed\"").count(),
        2
    );
    // The data vector (the first of the broken folder, sorted) has its third byte marked.
    let data = &dom_text[dom_text
        .find("data-classname=\"broken.data\"")
        .expect("data section")..];
    let data = &data[..data.find("</section>").unwrap()];
    assert!(
        data.contains("<mark class=\"diff first\" id=\"first-diff-"),
        "{data}"
    );
    let first = &data[data.find("id=\"first-diff-").unwrap()..];
    let byte = &first[first.find('>').unwrap() + 1..first.find("</mark>").unwrap()];
    assert_eq!(
        byte, "27",
        "the highlighted byte is the card's 27 where 28 was expected"
    );
    assert_eq!(
        data.matches("<mark class=\"diff").count(),
        2,
        "the one differing byte, marked in the expected and the actual row"
    );
    // The status-word vector: the catalogue's meaning, cause and remedy, the card's reason.
    let sw = &dom_text[dom_text
        .find("data-classname=\"broken.sw\"")
        .expect("sw section")..];
    let sw = &sw[..sw.find("</section>").unwrap()];
    assert!(
        sw.contains("class=\"cause\"") && sw.contains("class=\"remedy\""),
        "{sw}"
    );
    assert!(sw.contains("class=\"card-reason\""), "{sw}");
    assert!(sw.contains("GET BALANCE") && sw.contains("6985"), "{sw}");
    assert!(sw.contains("<mark class=\"diff first\""), "{sw}");
    // Text from the vector stayed text: no <b> element came from its name.
    assert!(dom_text.contains("wrong balance &lt;b&gt;on purpose&lt;/b&gt; &amp; more"));
    assert!(!dom_text.contains("<b>on purpose</b>"));
    // Every exchange is decoded: the passing vector's purchase too.
    assert!(
        dom_text.contains("INITIALIZE FOR PURCHASE") && dom_text.contains("DEBIT FOR PURCHASE")
    );
    // The requirement coverage of the run's vectors: smoke names §2 and §3, the data vector §3.
    assert!(
        dom_text.contains("<p id=\"coverage-summary\">2 of 9 requirements checked by a vector</p>"),
        "coverage summary"
    );
    assert_eq!(dom_text.matches("<tr class=\"unchecked\">").count(), 7);
    // A screenshot for people (and a check that the page renders).
    let shot = out_dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let s = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
            "--hide-scrollbars",
            &url,
        ],
        profile.path(),
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}): {}", said(&s)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}
