//! Our card vs a null card through pcscd + vpcd, measured *interleaved*: one APDU to each in
//! turn, so that drift of the shared machine hits both equally (the criterion bench
//! `benches/pcsc.rs` measures them one after the other). Needs pcscd with vpcd running.
//! `cargo run --release --features pcsc --example pcsc_ratio [N]`

use std::time::{Duration, Instant};
use stk_wallet::card::{Card, Interface};
use stk_wallet::profile::Profile;
use stk_wallet::serve::CardServer;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;
use stk_wallet::transport::sim::{SimCard, shared};
use stk_wallet::transport::vpcd::{ServeOptions, serve};

struct NullCard;
impl vpicc::VSmartCard for NullCard {
    fn execute(&mut self, _apdu: &[u8]) -> Vec<u8> {
        vec![0x90, 0x00]
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    std::thread::spawn(|| serve(&mut NullCard, "127.0.0.1:35964", ServeOptions::default()));
    std::thread::spawn(|| {
        let p = Profile::default_profile();
        let card = shared(Card::personalise(&p));
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
    let (mut ours, mut null) = loop {
        match (
            PcscTransport::connect("Virtual PCD 00 00"),
            PcscTransport::connect("Virtual PCD 00 01"),
        ) {
            (Ok(a), Ok(b)) => break (a, b),
            _ if start.elapsed() > Duration::from_secs(15) => {
                panic!("the served cards did not appear: is pcscd running with vpcd?")
            }
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let p = Profile::default_profile();
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    ours.transmit_raw(&select).unwrap();
    let apdu = [0x80, 0x5C, 0x00, 0x02, 0x04];
    for _ in 0..500 {
        ours.transmit_raw(&apdu).unwrap();
        null.transmit_raw(&apdu).unwrap();
    }
    let (mut t_ours, mut t_null) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let t = Instant::now();
        ours.transmit_raw(&apdu).unwrap();
        t_ours += t.elapsed();
        let t = Instant::now();
        null.transmit_raw(&apdu).unwrap();
        t_null += t.elapsed();
    }
    let rate = |d: Duration| f64::from(n) / d.as_secs_f64();
    println!("our card:  {:.0} APDU/s", rate(t_ours));
    println!("null card: {:.0} APDU/s", rate(t_null));
    println!("ours / null = {:.3}", rate(t_ours) / rate(t_null));
    std::process::exit(0);
}
