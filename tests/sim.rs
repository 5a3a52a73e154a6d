//! The card as a SIM at the boundary users meet: `phone -v` prints what the handset's start-up
//! read (both classes), the ICCID and IMSI come from the profile, a profile with a wrong Luhn
//! digit is refused, and an image saved before the card had a file system still loads.

mod common;

use common::cli;
use std::process::Stdio;
use stk_wallet::card::Card;
use stk_wallet::profile::Profile;

fn phone(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = cli(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn phone_verbose_shows_the_start_up_files_in_both_classes() {
    let d = tempfile::tempdir().unwrap();
    // Another ICCID and IMSI than the default: 89014103211118510720 (Luhn-valid, checked by
    // hand: the doubled-digit sum is 40) and a 310-410 IMSI.
    let mut p = Profile::default_profile();
    p.sim.iccid = "89014103211118510720".into();
    p.sim.imsi = "310410123456789".into();
    p.sim.mnc_digits = 3;
    let pf = d.path().join("p.json");
    std::fs::write(&pf, serde_json::to_string(&p).unwrap()).unwrap();
    let (code, _) = phone(
        d.path(),
        &["card", "new", "--profile", pf.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    let (code, out) = phone(d.path(), &["phone", "-v", "--lang", "en", "--keys", ""]);
    assert_eq!(code, Some(0), "{out}");
    for want in [
        "SIM start-up (UICC):",
        "EF_ICCID  89014103211118510720",
        "EF_DIR    A0000000871002FF86FFFF89FFFFFFFF USIM",
        "EF_DIR    A00000000386980701 PHONE WALLET",
        "EF_IMSI   310410123456789",
        "EF_UST    0000000001",
        "EF_AD     00000003",
        "== Phone Wallet ==",
    ] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
    let (code, out) = phone(
        d.path(),
        &[
            "phone", "-v", "--class", "gsm", "--lang", "en", "--keys", "",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    for want in [
        "SIM start-up (GSM):",
        "EF_ICCID  89014103211118510720",
        "EF_IMSI   310410123456789",
        "EF_SST    0300000000003003",
        "== Phone Wallet ==",
    ] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
    assert!(
        !out.contains("EF_DIR"),
        "a GSM SIM start-up reads no EF_DIR"
    );
}

#[test]
fn a_profile_with_a_wrong_iccid_check_digit_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(stk_wallet::profile::DEFAULT_PROFILE_JSON).unwrap();
    v["sim"]["iccid"] = "89860026013141592654".into();
    let pf = d.path().join("p.json");
    std::fs::write(&pf, v.to_string()).unwrap();
    let (code, out) = phone(
        d.path(),
        &["card", "new", "--profile", pf.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("Luhn check digit 3"), "{out}");
}

#[test]
fn an_image_saved_before_the_file_system_loads_with_the_default_identities() {
    let card = Card::personalise(&Profile::default_profile());
    let bytes = stk_wallet::card::image::to_bytes(&card);
    let mut env: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    // Remove the SIM identities and re-seal the envelope as an older build wrote it.
    let perso = env["eeprom"]["state"]["perso"].as_object_mut().unwrap();
    assert!(perso.remove("sim").is_some());
    let body = env["eeprom"].to_string();
    env["crc32"] = format!("{:08X}", crc32fast::hash(body.as_bytes())).into();
    let old = serde_json::to_vec(&env).unwrap();
    let mut loaded = stk_wallet::card::image::from_bytes(&old, "old.json").expect("loads");
    let iccid = loaded.process(
        stk_wallet::card::Interface::Contact,
        &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0xE2],
    );
    assert_eq!(iccid, Some(vec![0x90, 0x00]));
    let read = loaded
        .process(
            stk_wallet::card::Interface::Contact,
            &[0x00, 0xB0, 0x00, 0x00, 0x0A],
        )
        .unwrap();
    // The default ICCID 89860026013141592653, nibbles swapped by hand.
    assert_eq!(
        read,
        [
            0x98, 0x68, 0x00, 0x62, 0x10, 0x13, 0x14, 0x95, 0x62, 0x35, 0x90, 0x00
        ]
    );
}

/// PIN1 is present and disabled: VERIFY PIN (`00 20 00 01`) and VERIFY CHV (`A0 20 00 01`)
/// answer as TS 102 221 §11.1.9 / GSM 11.11 §8.9 define for a disabled PIN, on both interfaces,
/// and never touch the payment password (VERIFY P2 00). Status words written from the specs.
#[test]
fn pin1_verify_on_a_disabled_pin1_leaves_the_payment_password_alone() {
    use stk_wallet::card::Interface::{Contact, Contactless};
    let mut card = Card::personalise(&Profile::default_profile());
    let mut send = |iface, apdu: &str| {
        let a = hex::decode(apdu.replace(' ', "")).unwrap();
        let r = card.process(iface, &a).expect("an answer");
        let why = card
            .last_refusal()
            .map(|r| r.why.clone())
            .unwrap_or_default();
        (hex::encode_upper(&r[r.len() - 2..]), why)
    };
    for iface in [Contact, Contactless] {
        assert_eq!(
            send(iface, "00 20 00 01").0,
            "9000",
            "no verification needed"
        );
        let (sw, why) = send(iface, "00 20 00 01 08 31 32 33 34 FF FF FF FF");
        assert_eq!(sw, "6984");
        assert!(why.contains("PIN1 is disabled"), "{why}");
        assert_eq!(
            send(iface, "00 20 00 01 09 31 32 33 34 FF FF FF FF FF").0,
            "6700"
        );
        let (sw, why) = send(iface, "A0 20 00 01 08 31 32 33 34 FF FF FF FF");
        assert_eq!(sw, "9808");
        assert!(why.contains("CHV1 is disabled"), "{why}");
        assert_eq!(
            send(iface, "A0 20 00 02 08 31 32 33 34 FF FF FF FF").0,
            "6A86"
        );
    }
    let tries = |card: &Card| card.state().payment_password.tries_left;
    assert_eq!(tries(&card), 5, "no try of the payment password spent");
    // The purse's VERIFY is P2 00, as before.
    let mut send = |apdu: &str| {
        let a = hex::decode(apdu.replace(' ', "")).unwrap();
        let r = card.process(Contactless, &a).expect("an answer");
        hex::encode_upper(&r[r.len() - 2..])
    };
    assert_eq!(send("00 A4 04 00 09 A0 00 00 00 03 86 98 07 01 00"), "9000");
    assert_eq!(send("00 20 00 00"), "63C5");
    assert_eq!(send("00 20 00 00 03 12 34 56"), "9000");
    assert_eq!(send("00 20 00 00"), "9000");
}

/// The user's boundary: the shipped PIN1 vector through `stk-wallet run`, as a process.
#[test]
fn the_pin1_vector_passes_through_the_cli() {
    let d = tempfile::tempdir().unwrap();
    let vector = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/sim/pin1.json");
    let (code, out) = phone(d.path(), &["run", vector.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PASS") && out.contains("pin1.json"), "{out}");
}
