//! Through the real PC/SC stack (pcscd + vsmartcard vpcd): our card beside a null card (answers
//! 9000 to everything) on the same stack, in one run, so `ours ÷ null` shows what our card
//! costs on top of the stack. Needs pcscd running with vpcd (`bash .ci/pcsc-up.sh`); without it
//! the bench says so and measures nothing.
//!
//! The null card is served to reader "Virtual PCD 00 01" and ours to "Virtual PCD 00 00", each
//! from its own thread with the same vpcd client loop (TCP_NODELAY + QUICKACK).

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};
use stk_wallet::card::{Card, Interface};
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::serve::CardServer;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::{PcscTransport, list_readers};
use stk_wallet::transport::sim::{SimCard, SimPsam, shared};
use stk_wallet::transport::vpcd::{ServeOptions, serve};

const OURS: &str = "Virtual PCD 00 00";
const NULL: &str = "Virtual PCD 00 01";

struct NullCard;
impl vpicc::VSmartCard for NullCard {
    fn execute(&mut self, _apdu: &[u8]) -> Vec<u8> {
        vec![0x90, 0x00]
    }
}

fn start_cards() -> bool {
    let readers = list_readers().unwrap_or_default();
    if !(readers.iter().any(|r| r == OURS) && readers.iter().any(|r| r == NULL)) {
        eprintln!(
            "SKIPPED: pcscd with the vpcd driver is not running (bash .ci/pcsc-up.sh starts it)"
        );
        return false;
    }
    std::thread::spawn(|| serve(&mut NullCard, "127.0.0.1:35964", ServeOptions::default()));
    std::thread::spawn(|| {
        let p = Profile::default_profile();
        let card = shared(Card::personalise(&p));
        let front = Box::new(SimCard {
            card: card.clone(),
            iface: Interface::Contactless,
        });
        let mut server = CardServer::new(card, front, None);
        serve(&mut server, "127.0.0.1:35963", ServeOptions::default())
    });
    let start = Instant::now();
    while PcscTransport::connect(OURS).is_err() || PcscTransport::connect(NULL).is_err() {
        if start.elapsed() > Duration::from_secs(15) {
            eprintln!("SKIPPED: the served cards did not appear in the readers");
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

fn pcsc(c: &mut Criterion) {
    if !start_cards() {
        return;
    }
    let get_balance = [0x80, 0x5C, 0x00, 0x02, 0x04];
    let mut g = c.benchmark_group("pcsc");
    let mut null = PcscTransport::connect(NULL).unwrap();
    g.bench_function("apdu/null_card", |b| {
        b.iter(|| null.transmit_raw(&get_balance).unwrap())
    });
    let p = Profile::default_profile();
    let mut ours = PcscTransport::connect(OURS).unwrap();
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    ours.transmit_raw(&select).unwrap();
    g.bench_function("apdu/our_card", |b| {
        b.iter(|| ours.transmit_raw(&get_balance).unwrap())
    });
    drop(ours);
    // A whole purchase (7 card APDUs and the simulated PSAM); 1 fen each, so the 100.00 yuan
    // balance lasts for 10,000 of them.
    let mut pos = Pos::new(
        PcscTransport::connect(OURS).unwrap(),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    g.bench_function("purchase/our_card", |b| {
        b.iter(|| {
            pos.trace.0.clear();
            pos.purchase(1).unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = pcsc
}
criterion_main!(benches);
