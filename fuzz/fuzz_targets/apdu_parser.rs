//! The APDU parser is total, and what it accepts re-encodes to the same command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stk_domain::apdu::CommandApdu;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = CommandApdu::parse(data) {
        let again =
            CommandApdu::parse(&c.to_bytes()).expect("a parsed APDU re-encodes to a valid one");
        assert_eq!(
            (
                again.cla,
                again.ins,
                again.p1,
                again.p2,
                &again.data,
                again.le
            ),
            (c.cla, c.ins, c.p1, c.p2, &c.data, c.le)
        );
    }
});
