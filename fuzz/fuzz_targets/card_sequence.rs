//! The card fed an arbitrary sequence of APDUs on both interfaces, with power cuts: it never
//! panics, the balance stays within [0, cap], counters never go down, and money moves only when
//! a DEBIT or CREDIT is answered 9000, by exactly the amount of the INITIALIZE just before it on
//! that interface (the seed corpus holds byte-exact vectors whose MACs are valid).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stk_card::{Card, Interface};
use stk_domain::profile::Profile;

/// A torn card is judged by the state it recovers to at the next power-up (its EEPROM may hold a
/// half-applied commit until then).
fn recovered_view(card: &Card) -> stk_card::state::CardState {
    if card.is_mute() {
        let mut c = card.clone();
        c.power_cycle();
        c.state().clone()
    } else {
        card.state().clone()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut card = Card::personalise(&Profile::default_profile());
    // Framing: [flags][len][len bytes]...; flags bit 0 = interface, bit 1 = power cycle first,
    // bits 2-5 = tear after that many writes.
        let mut rest = data;
    // The amount of the last INITIALIZE sent on each interface [contactless, contact].
    let mut initialized: [Option<(u8, u32)>; 2] = [None, None];
    while rest.len() >= 2 {
        let (flags, len) = (rest[0], rest[1] as usize);
        rest = &rest[2..];
        let apdu = &rest[..len.min(rest.len())];
        rest = &rest[apdu.len()..];
                if flags & 2 != 0 {
            card.power_cycle();
            initialized = [None, None];
        }
        if flags & 0x3C != 0 {
            card.tear_after_writes(u32::from((flags >> 2) & 0x0F));
        }
        let iface = if flags & 1 == 0 { Interface::Contactless } else { Interface::Contact };
                let before = recovered_view(&card);
        let resp = card.process(iface, apdu);
                        let after = recovered_view(&card);
        let s = &after;
        assert!(s.purse.balance <= s.purse.balance_cap);
        assert!(s.purse.online_counter >= before.purse.online_counter);
        assert!(s.purse.offline_counter >= before.purse.offline_counter);
                        // A torn DEBIT/CREDIT may have completed (journal armed): no answer counts as maybe-ok.
        let ok = resp.as_ref().is_none_or(|r| r.ends_with(&[0x90, 0x00]));
        let slot = usize::from(flags & 1);
        let delta = i64::from(s.purse.balance) - i64::from(before.purse.balance);
        if delta != 0 || s.log != before.log {
            let expected = match (apdu.get(1), initialized[slot]) {
                (Some(0x54), Some((0x01, a))) if ok => -i64::from(a),
                (Some(0x52), Some((0x00, a))) if ok => i64::from(a),
                _ => panic!("money moved ({delta}) or the log changed on {apdu:02X?} → {resp:02X?}"),
            };
            assert_eq!(delta, expected, "the balance moved by other than the INITIALIZE amount");
        }
        initialized[slot] = match apdu {
            [0x80, 0x50, p1 @ (0x00 | 0x01), 0x02, 0x0B, _, a0, a1, a2, a3, ..] => Some((*p1, u32::from_be_bytes([*a0, *a1, *a2, *a3]))),
            _ => None,
        };
        if let Some(r) = resp {
            assert!((2..=258).contains(&r.len()));
        }
    }
});
