//! End to end through the real PC/SC stack: `stk-wallet serve` behind pcscd + the vsmartcard
//! vpcd driver, reached by pcsc-tools (`pcsc_scan`, `scriptor`) and by our own PC/SC transport.
//! Needs a running pcscd with vpcd (`.ci/run` starts one); without it the test says SKIPPED.
//! Everything shares the one virtual reader, so it is a single test.
#![cfg(feature = "pcsc")]

mod common;

use common::pcsc::{self, Served, connect, readers_present};
use common::{CLI, card_image, pos_with, purchase_shape};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use stk_wallet::card::image;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;
use stk_wallet::transport::sim::SimPsam;

const READER: &str = "Virtual PCD 00 00";

fn serve(image: &Path, extra: &[&str]) -> Served {
    let mut args = vec!["serve", "--card", image.to_str().unwrap()];
    args.extend_from_slice(extra);
    let served = pcsc::serve(&args);
    drop(connect(READER));
    served
}

fn pos_over_pcsc(p: &Profile) -> Pos<PcscTransport, SimPsam> {
    let mut t = PcscTransport::connect(READER).unwrap();
    t.reset().unwrap(); // power cycle: the server loads the image written just before
    pos_with(t, p)
}

#[test]
fn the_wallet_through_pcscd_and_vpcd() {
    if !readers_present(&[READER]) {
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
    // `serve` serves the contactless interface by default, so pcscd sees the ATR a PC/SC reader
    // builds for an ISO 14443-4 card (PC/SC part 3): 3B, 8n (TD1 present, n historical bytes),
    // 80 (TD1: TD2 present, T=0 nibble), 01 (TD2: T=1), the card's historical bytes, then TCK
    // (the XOR of every byte after 3B). The historical bytes are the contact ATR's last eleven
    // before its TCK (T0 = 9B: eleven of them).
    assert_eq!(
        p.atr[1], 0x9B,
        "the profile's contact ATR has eleven historical bytes"
    );
    let historical = &p.atr[p.atr.len() - 12..p.atr.len() - 1];
    let mut expected = vec![0x3B, 0x8B, 0x80, 0x01];
    expected.extend_from_slice(historical);
    expected.push(expected[1..].iter().fold(0, |a, b| a ^ b));
    let mut t = PcscTransport::connect(READER).unwrap();
    assert_eq!(t.reset().unwrap(), expected);
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

    // The suite again on this card as it is now (a purchase and a load done, no fresh card put
    // in): the vectors written for any state pass, those that need a fresh card report V-STATE
    // (errors, not failures); the contact-side vectors are skipped (one interface served).
    let out = Command::new(CLI)
        .args(["run", "--reader", READER, "--assume", "fixed-random"])
        .args(["--format", "json", "vectors"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (mut any, mut drifted) = (0, 0);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let j: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(path) = j["path"].as_str() else {
            continue;
        };
        if j["status"] == "skipped" {
            continue;
        }
        let (v, _) = stk_wallet::vectors::runner::load(Path::new(path)).unwrap();
        if v.state == stk_wallet::vectors::format::CardState::Any {
            assert_eq!(j["status"], "passed", "{line}");
            any += 1;
        } else {
            assert_eq!(
                (&j["status"], &j["code"]),
                (&"error".into(), &"V-STATE".into()),
                "{line}"
            );
            drifted += 1;
        }
    }
    assert!(any >= 12 && drifted > 0, "{any} passed, {drifted} V-STATE");
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
