//! Hostile input: arbitrary and mutated APDU sequences on both interfaces never panic the card,
//! and never break its money invariants. (The cargo-fuzz targets under `fuzz/` explore the same
//! properties far longer; this runs in every `cargo test`.)

use proptest::prelude::*;
use stk_wallet::card::{Card, Interface};
use stk_wallet::profile::Profile;

/// Valid-looking templates the mutations start from, so the search reaches deep handlers.
const TEMPLATES: &[&str] = &[
    "00A404000EA00000000386980701",
    "00A4040009A0000000038698070100",
    "00A404000E315041592E5359532E4444463031",
    "805C000204",
    "80CA9F7800",
    "00B095001E",
    "00B0960037",
    "00B201C417",
    "0020000003123456",
    "0020000003654321",
    "805E010007123456FF654321",
    "0084000004",
    "805E00000712345600000000",
    "805002020B0100000064001122334455",
    "805001020B0100000064001122334455",
    "805001020B0100000064001122334455 0F",
    "805401000F00000001202611221200000000000000",
    "805200000B2026112212000000000000",
    "805A0006020001 08",
    "80100000096101FF7F000000100009",
    "8012000010",
    "A0C2000009D30782020181900101",
];

fn template() -> impl Strategy<Value = Vec<u8>> {
    (0..TEMPLATES.len())
        .prop_map(|i| hex::decode(TEMPLATES[i].replace(' ', "")).unwrap_or_default())
}

fn apdu() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => template(),
        3 => (template(), any::<usize>(), any::<u8>()).prop_map(|(mut t, i, b)| {
            if !t.is_empty() {
                let n = t.len();
                t[i % n] = b;
            }
            t
        }),
        1 => (template(), 0usize..40).prop_map(|(t, n)| t[..n.min(t.len())].to_vec()),
        2 => proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn iface() -> impl Strategy<Value = Interface> {
    prop_oneof![Just(Interface::Contact), Just(Interface::Contactless)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_apdus_keep_the_money_invariants(seq in proptest::collection::vec((iface(), apdu(), 0u8..8), 1..60)) {
        let mut card = Card::personalise(&Profile::default_profile());
        for (iface, bytes, event) in seq {
            let before = card.state().clone();
            if event == 0 {
                card.power_cycle();
                continue;
            }
            let resp = card.process(iface, &bytes);
            let after = card.state();
            let p = &after.purse;
            prop_assert!(p.balance <= p.balance_cap, "balance {} above cap", p.balance);
            prop_assert!(p.online_counter >= before.purse.online_counter && p.offline_counter >= before.purse.offline_counter);
            // Only a DEBIT or CREDIT with a valid MAC moves money, and every MAC here is random
            // (a 2^-32 chance per try), so the balance, the log and the proof never change.
            prop_assert_eq!(p.balance, before.purse.balance, "money moved on {:02X?} → {:02X?}", bytes, resp);
            prop_assert_eq!(&after.log, &before.log);
            prop_assert_eq!(after.proof, before.proof);
            if let Some(r) = resp {
                prop_assert!(r.len() >= 2 && r.len() <= 258);
            }
        }
    }

    #[test]
    fn apdu_parser_total(bytes in proptest::collection::vec(any::<u8>(), 0..70000)) {
        let _ = stk_wallet::apdu::CommandApdu::parse(&bytes);
    }
}

#[test]
fn no_power_cycle_or_reselection_resets_a_try_counter() {
    let p = Profile::default_profile();
    let mut card = Card::personalise(&p);
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    let wrong = [0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21];
    let ifaces = [Interface::Contactless, Interface::Contact];
    for i in 0..p.passwords.payment_retries as usize {
        let iface = ifaces[i % 2];
        card.power_cycle();
        card.process(iface, &select).unwrap();
        let r = card.process(iface, &wrong).unwrap();
        let left = p.passwords.payment_retries as usize - i - 1;
        let want = if left == 0 {
            vec![0x69, 0x83]
        } else {
            vec![0x63, 0xC0 | left as u8]
        };
        assert_eq!(r, want, "attempt {}", i + 1);
    }
    // Locked: even the right password is refused, after any power cycle, on either interface.
    for iface in ifaces {
        card.power_cycle();
        card.process(iface, &select).unwrap();
        assert_eq!(
            card.process(iface, &[0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56])
                .unwrap(),
            vec![0x69, 0x83]
        );
    }
}
