//! The card fed an arbitrary sequence of APDUs on both interfaces, with power cuts: it never
//! panics, the balance stays within [0, cap], counters never go down, and no money moves without
//! a valid MAC (every MAC here is fuzzer-made, so none should verify).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stk_wallet::card::{Card, Interface};
use stk_wallet::profile::Profile;

fuzz_target!(|data: &[u8]| {
    let mut card = Card::personalise(&Profile::default_profile());
    // Framing: [flags][len][len bytes]...; flags bit 0 = interface, bit 1 = power cycle first,
    // bits 2-5 = tear after that many writes.
    let mut rest = data;
    while rest.len() >= 2 {
        let (flags, len) = (rest[0], rest[1] as usize);
        rest = &rest[2..];
        let apdu = &rest[..len.min(rest.len())];
        rest = &rest[apdu.len()..];
        if flags & 2 != 0 {
            card.power_cycle();
        }
        if flags & 0x3C != 0 {
            card.tear_after_writes(u32::from((flags >> 2) & 0x0F));
        }
        let iface = if flags & 1 == 0 { Interface::Contactless } else { Interface::Contact };
        let before = card.state().clone();
        let resp = card.process(iface, apdu);
        let s = card.state();
        assert!(s.purse.balance <= s.purse.balance_cap);
        assert!(s.purse.online_counter >= before.purse.online_counter);
        assert!(s.purse.offline_counter >= before.purse.offline_counter);
        assert_eq!(s.purse.balance, before.purse.balance, "money moved without a valid MAC");
        assert_eq!(s.log, before.log);
        if let Some(r) = resp {
            assert!((2..=258).contains(&r.len()));
        }
    }
});
