//! Honest ATRs, checked by an ATR parser we did not write: pcsc-tools' `ATR_analysis` must read
//! the contact ATR as T=0 with a correct TCK and the contactless one as PC/SC part 3 builds it
//! (T=1), and the historical bytes must claim only what the card does: selection by full DF
//! name, path and file id, EF.DIR with BER-TLV objects read by READ RECORD, a card with an MF, no
//! partial DF name, no logical channels. SKIPPED when ATR_analysis is not installed.

use std::process::Command;
use std::time::Duration;
use stk_wallet::card::{Card, Interface};
use stk_wallet::profile::Profile;

fn analyse(atr: &[u8]) -> Option<String> {
    let hex = atr
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ");
    // ATR_analysis may try to refresh its card list over the network: bound it, and point HOME
    // at an empty folder so no cached list is used.
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new("ATR_analysis")
        .arg(&hex)
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let start = std::time::Instant::now();
    while child.try_wait().ok()?.is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn atr_analysis_reads_both_interfaces_atrs_as_we_mean_them() {
    let card = Card::personalise(&Profile::default_profile());
    let contact = card.atr_for(Interface::Contact);
    let contactless = card.atr_for(Interface::Contactless);
    // PC/SC part 3 §3.1.3.2.3: 3B 8n 80 01, the historical bytes, TCK.
    assert_eq!(contactless[..4], [0x3B, 0x8B, 0x80, 0x01]);
    assert_eq!(
        contactless[4..15],
        contact[6..17],
        "the same historical bytes"
    );
    let Some(c) = analyse(&contact) else {
        eprintln!("SKIPPED: ATR_analysis (pcsc-tools) is not installed");
        return;
    };
    let strip = |s: &str| s.replace("\u{1b}[35m", "").replace("\u{1b}[0m", "");
    let c = strip(&c);
    for want in [
        "Protocol T = 0",
        "Protocol T = 15",
        "(correct checksum)",
        "- Application selection: by full DF name",
        "- BER-TLV data objects available in EF.DIR",
        "by GET RECORD(s) command",
        "- Card with MF",
        "- DF selection by full DF name",
        "- DF selection by path",
        "- DF selection by file identifier",
        "- Short EF identifier supported",
        "- Record number supported",
        "Logical channel number assignment: No logical channel",
        "LCS (life card cycle): 05",
    ] {
        assert!(c.contains(want), "contact ATR: no `{want}` in:\n{c}");
    }
    for never in [
        "Protocol T = 1 ",
        "partial DF name",
        "DF selection by partial",
        "Implicit DF selection",
        "Record identifier supported",
        "- Command chaining",
    ] {
        assert!(!c.contains(never), "contact ATR claims `{never}`:\n{c}");
    }
    let l = strip(&analyse(&contactless).unwrap());
    for want in ["Protocol T = 1", "(correct checksum)", "- Card with MF"] {
        assert!(l.contains(want), "contactless ATR: no `{want}` in:\n{l}");
    }
}
