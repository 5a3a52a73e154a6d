//! Our card vs a null card through pcscd + vpcd, measured *interleaved*: one APDU to each in
//! turn, so that drift of the shared machine hits both equally (the criterion bench
//! `benches/pcsc.rs` measures them one after the other). Needs pcscd with vpcd running.
//! `cargo run --release --features pcsc --example pcsc_ratio [N]`

#[path = "../benches/common/pcsc_pair.rs"]
mod pcsc_pair;

use pcsc_pair::{NULL, our_wallet, serve_both};
use std::time::{Duration, Instant};
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    if let Err(e) = serve_both() {
        panic!("{e}");
    }
    let mut ours = our_wallet();
    let mut null = PcscTransport::connect(NULL).unwrap();
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
