//! The toolkit codec: decoding arbitrary bytes never panics, and a decoded proactive command or
//! terminal response re-encodes to something that decodes to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stk_card::stk::proactive::{ProactiveCommand, TerminalResponse};

fuzz_target!(|data: &[u8]| {
    let _ = stk_card::stk::tlv::parse_ctlvs(data);
    if let Ok(cmd) = ProactiveCommand::decode(data) {
        let again =
            ProactiveCommand::decode(&cmd.encode(true)).expect("re-encoded command decodes");
        assert_eq!(again, cmd);
    }
    if let Ok(tr) = TerminalResponse::decode(data) {
        let again =
            TerminalResponse::decode(&tr.encode(true)).expect("re-encoded response decodes");
        assert_eq!(again, tr);
    }
});
