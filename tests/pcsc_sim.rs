//! Real SIM tools see a SIM: through pcscd + vpcd, `scriptor` (pcsc-tools) and
//! `opensc-tool --send-apdu` (OpenSC) select the MF and read EF_ICCID and EF_IMSI of a served
//! card. Needs a running pcscd with vpcd (`.ci/run` starts one and installs both tools); without
//! them the test says SKIPPED. One test: everything shares the one virtual reader.
#![cfg(feature = "pcsc")]

mod common;

use common::card_image;
use common::pcsc::{connect, readers_present, serve};
use std::process::Command;
use stk_wallet::profile::Profile;

const READER: &str = "Virtual PCD 00 00";
/// The default profile's ICCID 89860026013141592653 with each pair of digits swapped
/// (TS 102 221 §13.2), written by hand.
const ICCID: &str = "98 68 00 62 10 13 14 95 62 35";
/// Its IMSI 460000314159265 as TS 31.102 §4.2.2 stores it: length 08, first digit 4 with the
/// odd-parity IMSI nibble 9, then 6 0 | 0 0 | 0 3 | 1 4 | 1 5 | 9 2 | 6 5 swapped.
const IMSI: &str = "08 49 06 00 30 41 51 29 56";

#[test]
fn scriptor_and_opensc_tool_read_the_iccid_and_imsi() {
    if !readers_present(&[READER]) {
        eprintln!(
            "SKIPPED: pcscd with the vpcd driver is not running (.ci/run installs and starts it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.json");
    card_image(&img, &Profile::default_profile());
    let _served = serve(&["serve", "--card", img.to_str().unwrap()]);
    drop(connect(READER));

    if Command::new("scriptor").arg("-h").output().is_err() {
        eprintln!("SKIPPED: scriptor (pcsc-tools) is not installed");
    } else {
        let script = dir.path().join("sim.script");
        std::fs::write(
            &script,
            "00 A4 00 04 02 3F 00 00\n\
             00 A4 00 0C 02 2F E2\n\
             00 B0 00 00 0A\n\
             00 A4 04 0C 10 A0 00 00 00 87 10 02 FF 86 FF FF 89 FF FF FF FF\n\
             00 A4 00 0C 02 6F 07\n\
             00 B0 00 00 09\n",
        )
        .unwrap();
        let out = Command::new("scriptor")
            .args(["-r", READER, script.to_str().unwrap()])
            .output()
            .expect("scriptor runs");
        let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
        // The MF's FCP starts 62 18 82 02 78 21 83 02 3F 00 (a DF, file id 3F00).
        for want in [
            "< 62 18 82 02 78 21 83 02 3F 00".to_string(),
            format!("< {ICCID} 90 00"),
            format!("< {IMSI} 90 00"),
        ] {
            assert!(text.contains(&want), "scriptor: no `{want}` in:\n{text}");
        }
    }

    if Command::new("opensc-tool")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: opensc-tool (OpenSC) is not installed");
        return;
    }
    let out = Command::new("opensc-tool")
        .args(["-r", READER])
        .args(["-s", "00 A4 00 0C 02 3F 00"])
        .args(["-s", "00 A4 00 0C 02 2F E2"])
        .args(["-s", "00 B0 00 00 0A"])
        .args([
            "-s",
            "00 A4 04 0C 10 A0 00 00 00 87 10 02 FF 86 FF FF 89 FF FF FF FF",
        ])
        .args(["-s", "00 A4 00 0C 02 6F 07"])
        .args(["-s", "00 B0 00 00 09"])
        .output()
        .expect("opensc-tool runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "opensc-tool:\n{text}");
    let oks = text.matches("Received (SW1=0x90, SW2=0x00)").count();
    assert_eq!(oks, 6, "every command answered 9000:\n{text}");
    for want in [ICCID, IMSI] {
        assert!(text.contains(want), "opensc-tool: no `{want}` in:\n{text}");
    }
}
