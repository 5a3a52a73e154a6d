//! The two cards the PC/SC measurements compare, shared by `benches/pcsc.rs` and
//! `examples/pcsc_ratio.rs` (a folder under `benches/` so cargo does not take it for a bench):
//! our wallet card (default profile) on reader "Virtual PCD 00 00" and a null card, which answers
//! 9000 to everything, on "Virtual PCD 00 01", each served from its own thread with the same vpcd
//! client loop (TCP_NODELAY + QUICKACK).

use std::time::{Duration, Instant};
use stk_wallet::card::{Card, Interface};
use stk_wallet::profile::Profile;
use stk_wallet::serve::CardServer;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::{PcscTransport, list_readers};
use stk_wallet::transport::sim::{SimCard, shared};
use stk_wallet::transport::vpcd::{ServeOptions, serve};

pub const OURS: &str = "Virtual PCD 00 00";
pub const NULL: &str = "Virtual PCD 00 01";

struct NullCard;
impl vpicc::VSmartCard for NullCard {
    fn execute(&mut self, _apdu: &[u8]) -> Vec<u8> {
        vec![0x90, 0x00]
    }
}

/// Serves both cards and waits (up to 15 s) until both readers take them; the error says what
/// is missing.
pub fn serve_both() -> Result<(), String> {
    let readers = list_readers().unwrap_or_default();
    if !(readers.iter().any(|r| r == OURS) && readers.iter().any(|r| r == NULL)) {
        return Err(
            "pcscd with the vpcd driver is not running (bash .ci/pcsc-up.sh starts it)".into(),
        );
    }
    std::thread::spawn(|| serve(&mut NullCard, "127.0.0.1:35964", ServeOptions::default()));
    std::thread::spawn(|| {
        let card = shared(Card::personalise(&Profile::default_profile()));
        let front = Box::new(SimCard {
            card: card.clone(),
            iface: Interface::Contactless,
        });
        serve(
            &mut CardServer::new(card, front, None),
            "127.0.0.1:35963",
            ServeOptions::default(),
        )
    });
    let start = Instant::now();
    while PcscTransport::connect(OURS).is_err() || PcscTransport::connect(NULL).is_err() {
        if start.elapsed() > Duration::from_secs(15) {
            return Err("the served cards did not appear in the readers".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Our card, connected, with the wallet selected (so GET BALANCE is answered).
pub fn our_wallet() -> PcscTransport {
    let p = Profile::default_profile();
    let mut ours = PcscTransport::connect(OURS).unwrap();
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    ours.transmit_raw(&select).unwrap();
    ours
}
