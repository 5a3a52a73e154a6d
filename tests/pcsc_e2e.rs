//! End to end through the real PC/SC stack: `stk-wallet serve` behind pcscd + the vsmartcard
//! vpcd driver, reached by pcsc-tools (`pcsc_scan`, `scriptor`) and by our own PC/SC transport.
//! Needs a running pcscd with vpcd (`.ci/run` starts one); without it the test says SKIPPED.
//! Everything shares the one virtual reader, so it is a single test.
#![cfg(feature = "pcsc")]

mod common;

use common::{CLI, card_image, pos_with, purchase_shape};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stk_wallet::card::image;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::{PcscTransport, list_readers};
use stk_wallet::transport::sim::SimPsam;

const READER: &str = "Virtual PCD 00 00";

/// Kills the served card by PID when the test ends, however it ends.
struct Served(Child);
impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        // Let pcscd see the card leave (it polls the reader about every 400 ms) before another
        // card is served: connecting while the removal is in flight can leave vpcd's reader
        // unable to take the next card (seen with pcsc-lite 1.9.9 and vsmartcard 0.9).
        std::thread::sleep(Duration::from_millis(1500));
    }
}

fn serve(image: &Path, extra: &[&str]) -> Served {
    let mut args = vec!["serve", "--card", image.to_str().unwrap()];
    args.extend_from_slice(extra);
    let child = Command::new(CLI)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stk-wallet serve");
    let served = Served(child);
    let start = Instant::now();
    while PcscTransport::connect(READER).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the served card never appeared in {READER}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    served
}

fn pos_over_pcsc(p: &Profile) -> Pos<PcscTransport, SimPsam> {
    let mut t = PcscTransport::connect(READER).unwrap();
    t.reset().unwrap(); // power cycle: the server loads the image written just before
    pos_with(t, p)
}

#[test]
fn the_wallet_through_pcscd_and_vpcd() {
    if !list_readers().is_ok_and(|r| r.iter().any(|n| n == READER)) {
        eprintln!(
            "SKIPPED: pcscd with the vpcd driver is not running (.ci/run installs and starts it)"
        );
        return;
    }
    let p = Profile::default_profile();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.json");
    card_image(&img, &p);
    let _served = serve(&img, &[]);

    // pcsc-tools see the reader; our transport sees the profile's ATR.
    let scan = Command::new("pcsc_scan")
        .arg("-r")
        .output()
        .expect("pcsc_scan (pcsc-tools)");
    assert!(
        String::from_utf8_lossy(&scan.stdout).contains(READER),
        "pcsc_scan -r: {}",
        String::from_utf8_lossy(&scan.stdout)
    );
    // A plain `serve` serves the contactless interface: the ATR PC/SC part 3 gives an
    // ISO 14443-4 card, 3B 8n 80 01 ‖ the profile's historical bytes ‖ TCK.
    let mut t = PcscTransport::connect(READER).unwrap();
    let atr = t.reset().unwrap();
    let n = usize::from(atr[1] & 0x0F);
    assert!(
        atr[0] == 0x3B
            && atr[1] >> 4 == 0x8
            && atr[2..4] == [0x80, 0x01]
            && atr.len() == 4 + n + 1
            // The profile's ATR ends with its historical bytes and TCK.
            && p.atr[p.atr.len() - 1 - n..p.atr.len() - 1] == atr[4..4 + n],
        "{atr:02X?}"
    );
    drop(t);

    // scriptor selects the wallet and reads the balance (100.00 yuan = 00002710).
    let script = dir.path().join("balance.script");
    std::fs::write(
        &script,
        "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01\n80 5C 00 02 04\n",
    )
    .unwrap();
    let out = Command::new("scriptor")
        .args(["-r", READER, script.to_str().unwrap()])
        .output()
        .expect("scriptor (pcsc-tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("< 00 00 27 10 90 00"),
        "scriptor said:\n{text}"
    );

    // The whole shipped vector suite, a fresh card per vector, exactly as in process.
    let out = Command::new(CLI)
        .args([
            "run",
            "--reader",
            READER,
            "--card-image",
            img.to_str().unwrap(),
            "vectors",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "vectors over PC/SC:\n{text}");
    assert!(text.contains(" 0 failed"), "{text}");

    // POS purchase and load over PC/SC, on a fresh card.
    card_image(&img, &p);
    let mut pos = pos_over_pcsc(&p);
    let rec = pos.purchase(1234).expect("purchase over PC/SC");
    let host = IssuerHost::from_profile(&p);
    assert!(host.purchase_tac_ok(
        &rec.serial,
        rec.amount,
        &rec.term_id,
        rec.ttc,
        &rec.date,
        &rec.time,
        rec.tac
    ));
    let r = pos.load(&host, 5000, "123456").expect("load over PC/SC");
    assert!(r.tac_ok);
    assert_eq!(pos.balance().unwrap(), 10000 - 1234 + 5000);
    // The server saved every commit: the image on disk holds the same balance.
    let start = Instant::now();
    loop {
        let on_disk = image::load(&img).unwrap().state().purse.balance;
        if on_disk == 10000 - 1234 + 5000 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "image on disk has balance {on_disk}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    drop(pos);
    drop(_served);

    // Faults on the served card: the POS recovers through PC/SC and debits exactly once. A lost
    // DEBIT answer and a tear after the journal is armed are completed from the card's proof; a
    // tear before it leaves no trace, and the sale starts over.
    for (fault, recovered) in [
        ("lose-response:debit", true),
        ("tear:debit:8", true),
        ("tear:debit:3", false),
    ] {
        card_image(&img, &p);
        let home = img.with_file_name(format!("pos-{}", fault.replace(':', "-")));
        let served = serve(&img, &["--fault", fault]);
        let out = Command::new(CLI)
            .args([
                "pos",
                "purchase",
                "12.34",
                "--reader",
                READER,
                "--card",
                img.to_str().unwrap(),
                "--clock",
                "20261122 120000",
                "--terminal",
                home.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{fault}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The same sale with the same fault injected in this process, on a card image: the
        // same lines (one format per flow, whatever the link).
        let local = tempfile::tempdir().unwrap();
        card_image(&local.path().join("card.json"), &p);
        let here = Command::new(CLI)
            .current_dir(local.path())
            .env_remove("STK_TERMINAL")
            .args(["pos", "purchase", "12.34", "--fault", fault])
            .args(["--clock", "20261122 120000"])
            .output()
            .unwrap();
        assert_eq!(
            purchase_shape(&text),
            purchase_shape(&String::from_utf8_lossy(&here.stdout)),
            "{fault}: the reader and the image print differently:\n{text}\n--\n{}",
            String::from_utf8_lossy(&here.stdout)
        );
        assert!(
            text.contains("in doubt"),
            "{fault}: the fault did not fire:\n{text}"
        );
        assert_eq!(
            text.contains("[P-TORN-RECOVERED]"),
            recovered,
            "{fault}:\n{text}"
        );
        let mut t = PcscTransport::connect(READER).unwrap();
        let mut pos = Pos::new(
            &mut t,
            SimPsam::new(Psam::from_profile(&p)),
            Clock::System,
            p.wallet_aid.clone(),
        );
        assert_eq!(
            pos.balance().unwrap(),
            10000 - 1234,
            "{fault}: debited other than once"
        );
        drop(served);
    }
}
