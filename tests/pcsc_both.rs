//! `stk-wallet serve --both` through the real PC/SC stack: one process serves one card image,
//! its contactless interface in reader "Virtual PCD 00 00" and its contact interface in
//! "Virtual PCD 00 01", and a power cycle in one reader leaves the other interface's session
//! alone. Needs a running pcscd with vpcd (`.ci/pcsc-up.sh`); without it the test says SKIPPED.
#![cfg(feature = "pcsc")]

mod common;

use common::pcsc::{connect, readers_present, serve};
use common::{CLI, card_image};
use std::process::Command;
use stk_wallet::profile::Profile;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;

const CONTACTLESS: &str = "Virtual PCD 00 00";
const CONTACT: &str = "Virtual PCD 00 01";
const SELECT: &str = "00A4040009A00000000386980701";
const BALANCE: &str = "805C000204";

fn send(t: &mut PcscTransport, apdu: &str) -> String {
    hex::encode_upper(t.transmit_raw(&hex::decode(apdu).unwrap()).unwrap())
}

#[test]
fn both_interfaces_of_one_card_in_two_readers() {
    if !readers_present(&[CONTACTLESS, CONTACT]) {
        eprintln!(
            "SKIPPED: pcscd with the vpcd driver (two slots) is not running (.ci/pcsc-up.sh)"
        );
        return;
    }
    let p = Profile::default_profile();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("card.json");
    card_image(&img, &p);
    let _served = serve(&["serve", "--both", "--card", img.to_str().unwrap()]);

    // Each reader shows its interface's ATR: the contacts the profile's; the contactless side
    // the one PC/SC part 3 gives an ISO 14443-4 card (3B 8n 80 01 ‖ historical bytes ‖ TCK).
    let mut contact = connect(CONTACT);
    assert_eq!(contact.atr().unwrap(), p.atr);
    let mut contactless = connect(CONTACTLESS);
    let atr = contactless.atr().unwrap();
    assert!(
        atr[0] == 0x3B && atr[1] >> 4 == 0x8 && atr[2..4] == [0x80, 0x01],
        "{}",
        hex::encode_upper(&atr)
    );

    // The POS selects the wallet on the contactless side; the handset's reader power-cycles
    // the contacts and reads the balance there (100.00 yuan = 00002710)...
    assert!(send(&mut contactless, SELECT).ends_with("9000"));
    assert_eq!(send(&mut contactless, BALANCE), "000027109000");
    contact.reset().unwrap();
    assert_eq!(
        send(&mut contact, BALANCE),
        "6985",
        "the contacts' selection is gone"
    );
    assert!(send(&mut contact, SELECT).ends_with("9000"));
    assert_eq!(send(&mut contact, BALANCE), "000027109000");
    // ...and the wallet is still selected on the contactless side.
    assert_eq!(send(&mut contactless, BALANCE), "000027109000");

    // The other way round: the contactless field drops, the contacts keep their selection.
    contactless.reset().unwrap();
    assert_eq!(send(&mut contactless, BALANCE), "6985");
    assert_eq!(send(&mut contact, BALANCE), "000027109000");
    drop((contact, contactless));

    // The toolkit vectors use both interfaces of one card: over the contactless reader alone
    // the runner skips each, saying what serves them...
    let toolkit = std::fs::read_dir("vectors/toolkit")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .count();
    assert!(toolkit > 0);
    let run = |extra: &[&str]| {
        let o = Command::new(CLI)
            .args(["run", "--reader", CONTACTLESS, "--card-image"])
            .arg(&img)
            .args(extra)
            .arg("vectors/toolkit")
            .output()
            .expect("stk-wallet run");
        (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let (_, said) = run(&[]);
    assert!(
        said.contains(&format!("0 passed, 0 failed, {toolkit} skipped"))
            && said.contains("serve --both")
            && said.contains("--other-reader \"Virtual PCD 00 01\""),
        "{said}"
    );
    // ...and with the contacts in the second reader every one of them runs and passes, a
    // fresh card per vector.
    let (code, said) = run(&["--other-reader", CONTACT]);
    assert!(
        code == Some(0) && said.contains(&format!("{toolkit} passed, 0 failed, 0 skipped")),
        "{said}"
    );
}
