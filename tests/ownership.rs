//! A card image is owned by one process at a time, and is read through a bounded reader.
//!
//! Ownership is a property a second process can break, so it is tested with the CLI as
//! processes: pairs of `pos purchase` on one image at once (two terminal homes, so the card's
//! lock is what decides), the phone holding the image while a POS tries it. The bounded reader
//! is tested on what a path can be instead of an image: a link to /dev/zero, a FIFO, a folder,
//! a symbolic link to a real image (followed: read and written through).

mod common;

use common::CLI;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use stk_wallet::card::{Card, image};
use stk_wallet::errors::Code;
use stk_wallet::profile::Profile;

fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(CLI);
    c.current_dir(dir).args(args).env_remove("STK_TERMINAL");
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn balance(path: &Path) -> u32 {
    image::load(path).unwrap().state().purse.balance
}

fn new_image(dir: &Path, name: &str) {
    image::save(
        &Card::personalise(&Profile::default_profile()),
        &dir.join(name),
    )
    .unwrap();
}

/// `card counter N, TTC T` of a completed sale's last line.
fn counters(out: &str) -> (u32, u32) {
    let line = out
        .lines()
        .find(|l| l.starts_with("purchase of"))
        .unwrap_or_else(|| panic!("no sale line in {out}"));
    let num = |key: &str| -> u32 {
        let at = line.find(key).unwrap() + key.len();
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (num("card counter "), num("TTC "))
}

#[test]
fn concurrent_purchases_on_one_image_never_lose_an_update() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    new_image(d, "card.json");
    let initial = balance(&d.join("card.json"));
    let budget = Duration::from_secs(20);
    let start = Instant::now();
    let (mut done, mut busy, mut pairs) = (0u32, 0u32, 0u32);
    let mut card_counters = HashSet::new();
    let mut ttcs = HashSet::new();
    while pairs < 200 && start.elapsed() < budget {
        pairs += 1;
        let kids: Vec<_> = ["ta", "tb"]
            .iter()
            .map(|t| {
                cli(
                    d,
                    &[
                        "pos",
                        "purchase",
                        "0.01",
                        "--card",
                        "card.json",
                        "--terminal",
                        t,
                    ],
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
            })
            .collect();
        for (t, k) in ["ta", "tb"].iter().zip(kids) {
            let o = k.wait_with_output().unwrap();
            let out = text(&o);
            match o.status.code() {
                Some(0) => {
                    done += 1;
                    let (counter, ttc) = counters(&out);
                    assert!(
                        card_counters.insert(counter),
                        "card counter {counter} used twice: {out}"
                    );
                    assert!(ttcs.insert((*t, ttc)), "TTC {ttc} of {t} used twice: {out}");
                }
                Some(2) => {
                    assert!(
                        out.contains(&format!(
                            "error: {}: card image card.json is in use",
                            Code::IBusy
                        )),
                        "a refused sale names I-BUSY: {out}"
                    );
                    busy += 1;
                }
                c => panic!("a sale neither completed nor refused as busy ({c:?}): {out}"),
            }
        }
    }
    eprintln!(
        "{pairs} pairs in {:?}: {done} sales completed, {busy} refused as busy",
        start.elapsed()
    );
    assert_eq!(done + busy, 2 * pairs);
    assert!(done >= pairs, "at least one sale of each pair goes through");
    assert_eq!(
        balance(&d.join("card.json")),
        initial - done,
        "the balance is the initial one less every completed sale of 0.01"
    );
    let c = image::load(&d.join("card.json")).unwrap();
    assert_eq!(
        u32::from(c.state().purse.offline_counter),
        done,
        "the card counted every completed sale once"
    );
}

/// A phone killed (SIGKILL) after the menu said "Topped up" keeps the load on the card: the
/// image is saved as the card answers each command, not when the session ends.
#[test]
fn a_phone_killed_after_a_top_up_keeps_it_on_the_card() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    new_image(d, "card.json");
    let before = image::load(&d.join("card.json")).unwrap();
    let mut phone = cli(d, &["phone", "--card", "card.json", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(phone.stdin.as_mut().unwrap(), b"1\n1\n5\n123456\n").unwrap();
    let mut out = phone.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("Topped up 5.00 yuan") {
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "the phone ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    // The phone now waits for the holder's next key, its stdin still open.
    phone.kill().unwrap();
    phone.wait().unwrap();
    let after = image::load(&d.join("card.json")).unwrap();
    assert_eq!(
        after.state().purse.balance,
        before.state().purse.balance + 500
    );
    assert_eq!(after.state().purse.online_counter, 1);
}

/// The phone holds the image while its menu is open: a POS is refused at once, `card show`
/// still reads it; when the phone is done the POS goes through.
#[test]
fn the_phone_owns_its_image_while_it_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    new_image(d, "card.json");
    let mut phone = cli(d, &["phone", "--card", "card.json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The phone shows its menu once it holds the card.
    let mut out = phone.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("quit>") {
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "the phone ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let lock = d.join(".card.json.lock");
    let o = cli(d, &["pos", "purchase", "1", "--card", "card.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let refused = text(&o);
    assert!(lock.exists());
    assert!(
        refused.contains("error: I-BUSY: card image card.json is in use"),
        "{refused}"
    );
    let show = cli(d, &["card", "show", "card.json"]).output().unwrap();
    assert!(show.status.success(), "{}", text(&show));
    let before = balance(&d.join("card.json"));
    drop(phone.stdin.take()); // end of input: the phone saves and exits
    let o = phone.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    drop(out);
    let o = cli(d, &["pos", "purchase", "1", "--card", "card.json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(balance(&d.join("card.json")), before - 100);
}

#[test]
fn a_second_handle_is_refused_and_the_lock_goes_with_the_handle() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("card.json");
    new_image(tmp.path(), "card.json");
    let mut first = image::CardFile::open(&path).unwrap();
    let e = image::CardFile::open(&path).unwrap_err();
    assert_eq!(e.code(), Code::IBusy, "{e}");
    // Reading is not owning.
    assert!(image::load(&path).is_ok());
    first.card_mut().eeprom.write_count += 1;
    first.save().unwrap();
    drop(first);
    let again = image::CardFile::open(&path).unwrap();
    assert_eq!(
        again.card().eeprom.write_count,
        image::load(&path).unwrap().eeprom.write_count
    );
}

// ---- bounded reading ----

#[cfg(unix)]
#[test]
fn a_link_to_dev_zero_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let start = Instant::now();
    let e = image::load(&path).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(e.code(), Code::IImage);
    assert!(
        e.to_string()
            .contains("a character device, not a regular file"),
        "{e}"
    );
    // Saving through it is refused too: /dev/zero is not replaced, nothing left beside it.
    let e = image::save(&Card::personalise(&Profile::default_profile()), &path).unwrap_err();
    assert_eq!(e.code(), Code::IStorage, "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_hanging() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("fifo.json");
    let ok = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(ok.success());
    // As a process: a hang would fail the time bound rather than block the test run forever.
    let mut child = cli(tmp.path(), &["card", "show", "fifo.json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(5) {
            child.kill().unwrap();
            panic!("`card show` on a FIFO hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("I-IMAGE") && out.contains("a FIFO, not a regular file"),
        "{out}"
    );
    // The POS refuses it the same way.
    let o = cli(tmp.path(), &["pos", "purchase", "1", "--card", "fifo.json"])
        .output()
        .unwrap();
    assert!(
        text(&o).contains("a FIFO, not a regular file"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("dir.json");
    std::fs::create_dir(&path).unwrap();
    let e = image::load(&path).unwrap_err();
    assert_eq!(e.code(), Code::IImage);
    assert!(
        e.to_string().contains("a folder, not a regular file"),
        "{e}"
    );
    let e = image::save(&Card::personalise(&Profile::default_profile()), &path).unwrap_err();
    assert_eq!(e.code(), Code::IStorage, "{e}");
    assert!(path.is_dir(), "the folder is left as it was");
}

#[test]
fn an_image_that_grows_past_the_limit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.json");
    std::fs::write(&path, vec![b' '; image::MAX_IMAGE_BYTES as usize + 1]).unwrap();
    let e = image::read_bounded(&path).unwrap_err();
    assert!(matches!(e, image::ImageError::TooLarge { .. }), "{e}");
    std::fs::write(&path, vec![b' '; image::MAX_IMAGE_BYTES as usize]).unwrap();
    assert_eq!(
        image::read_bounded(&path).unwrap().len() as u64,
        image::MAX_IMAGE_BYTES
    );
}

/// A symbolic link is followed consistently: read through, written through (the link stays a
/// link and its target gets the update), and locked as its target.
#[cfg(unix)]
#[test]
fn a_symlinked_image_is_followed_and_never_split() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("store")).unwrap();
    new_image(&d.join("store"), "real.json");
    std::os::unix::fs::symlink("store/real.json", d.join("card.json")).unwrap();
    let before = balance(&d.join("store/real.json"));
    let o = cli(d, &["pos", "purchase", "1", "--card", "card.json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        std::fs::symlink_metadata(d.join("card.json"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(balance(&d.join("store/real.json")), before - 100);
    assert_eq!(balance(&d.join("card.json")), before - 100);
    // Held through the link, the image is busy through its real name too.
    let held = image::CardFile::open(&d.join("card.json")).unwrap();
    let e = image::CardFile::open(&d.join("store/real.json")).unwrap_err();
    assert_eq!(e.code(), Code::IBusy, "{e}");
    drop(held);
    // No temporary file is left in either folder.
    for dir in [d.to_path_buf(), d.join("store")] {
        for f in std::fs::read_dir(dir).unwrap() {
            let n = f.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!n.contains(".tmp"), "left behind: {n}");
        }
    }
}

// ---- storage failures ----

fn tmp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

/// A full disk and a read-only disk, for real: a tiny tmpfs mounted in a private mount namespace
/// (`unshare -rm`, no privileges needed where user namespaces are allowed). The CLI runs inside
/// it; what it printed and what it left on the disk are written outside for the checks.
#[test]
fn a_full_or_read_only_disk_is_i_storage_and_loses_nothing() {
    if !Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipped: this system allows no private mount namespace (unshare -rm)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A 4 KiB disk holds one image (one page) but not its next version beside it.
    let script = format!(
        r#"set -u
mkdir -p full && mount -t tmpfs -o size=4k tmpfs full || exit 99
B={cli}
$B card new -o full/card.json > /dev/null || exit 98
$B pos purchase 1 --card full/card.json --terminal t > full.out 2>&1; echo $? > full.rc
ls -a full > full.ls
$B card show full/card.json > full.show 2>&1
mount -o remount,ro full || exit 97
$B pos purchase 1 --card full/card.json --terminal t > ro.out 2>&1; echo $? > ro.rc
$B card show full/card.json > ro.show 2>&1
$B pos purchase 1 --card card2.json --terminal full/t2 > home.out 2>&1; echo $? > home.rc
"#,
        cli = CLI
    );
    new_image(d, "card2.json");
    let st = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(st.success(), "the set-up failed: {st}");
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    // Full: the sale fails at the first save with I-STORAGE; the image is the old one, whole.
    let full = read("full.out");
    assert_eq!(read("full.rc").trim(), "1", "{full}");
    assert!(
        full.contains("failed (I-STORAGE)") && full.contains("No space left on device"),
        "{full}"
    );
    assert!(!full.contains("P-READER"), "{full}");
    assert!(read("full.show").contains("balance         100.00 yuan"));
    assert!(
        !read("full.ls").contains(".tmp"),
        "the failed save removed its temporary file: {}",
        read("full.ls")
    );
    // Read-only: the same, with its own cause.
    let ro = read("ro.out");
    assert_eq!(read("ro.rc").trim(), "1", "{ro}");
    assert!(
        ro.contains("failed (I-STORAGE)") && ro.contains("Read-only file system"),
        "{ro}"
    );
    assert!(read("ro.show").contains("balance         100.00 yuan"));
    // A terminal home that cannot be written is I-STORAGE too; the card is untouched.
    let home = read("home.out");
    assert_eq!(read("home.rc").trim(), "2", "{home}");
    assert!(
        home.contains("error: I-STORAGE: terminal home full/t2 cannot be written"),
        "{home}"
    );
    assert_eq!(balance(&d.join("card2.json")), 10000);
}

/// Without privileges: the image's folder is a file.
#[test]
fn an_image_below_a_file_is_i_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("f"), b"not a folder").unwrap();
    let o = cli(d, &["card", "new", "-o", "f/card.json"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("I-STORAGE: cannot write card image f/card.json"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(d.join("f")).unwrap(), b"not a folder");
    assert!(tmp_files(d).is_empty());
}

/// A writer killed mid-save leaves `.<name>.tmp<pid>`; the next owner removes it, but not the
/// temporary file of a process that still runs.
#[test]
fn stale_temporary_files_are_removed_at_the_next_open() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    new_image(d, "card.json");
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let stale = d.join(format!(".card.json.tmp{dead}"));
    let live = d.join(format!(".card.json.tmp{}", std::process::id()));
    std::fs::write(&stale, b"half an image").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    let f = image::CardFile::open(&d.join("card.json")).unwrap();
    assert!(!stale.exists(), "the dead writer's file is removed");
    assert!(live.exists(), "a running writer's file is kept");
    drop(f);
}

/// `serve` owns its image for as long as it serves (here it keeps retrying a vpcd that is not
/// listening): the phone and a POS are refused with I-BUSY, `card show` reads it.
#[test]
fn a_served_image_is_owned_by_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    new_image(d, "card.json");
    let mut serve = cli(
        d,
        &["serve", "--card", "card.json", "--addr", "127.0.0.1:1"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut err = serve.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("serving card.json") {
        let n = std::io::Read::read(&mut err, &mut buf).unwrap();
        assert!(n > 0, "serve ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let phone = cli(d, &["phone", "--card", "card.json", "--keys", "q"])
        .output()
        .unwrap();
    let pos = cli(d, &["pos", "purchase", "1", "--card", "card.json"])
        .output()
        .unwrap();
    let show = cli(d, &["card", "show", "card.json"]).output().unwrap();
    let replace = cli(d, &["card", "new", "--force", "-o", "card.json"])
        .output()
        .unwrap();
    serve.kill().unwrap();
    serve.wait().unwrap();
    for o in [&phone, &pos, &replace] {
        assert_eq!(o.status.code(), Some(2), "{}", text(o));
        assert!(
            text(o).contains("error: I-BUSY: card image card.json is in use"),
            "{}",
            text(o)
        );
    }
    assert!(show.status.success(), "{}", text(&show));
    assert_eq!(balance(&d.join("card.json")), 10000);
    // Once serve has stopped, the phone gets the card.
    let phone = cli(d, &["phone", "--card", "card.json", "--keys", "q"])
        .output()
        .unwrap();
    assert!(phone.status.success(), "{}", text(&phone));
}
