//! The card-image loader: arbitrary bytes are refused or give a card that holds its invariants
//! and answers a GET BALANCE without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stk_card::{Interface, image};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut card) = image::from_bytes(data, "fuzz") {
        let s = card.state();
        assert!(s.purse.balance <= s.purse.balance_cap);
        let _ = card.process(Interface::Contactless, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
    }
});
