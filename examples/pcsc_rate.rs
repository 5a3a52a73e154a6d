//! APDUs per second through PC/SC: sends `80 5C 00 02 04` (GET BALANCE-like) N times.
//!
//! ```text
//! cargo run --release --example pcsc_rate -- [N] [READER]
//! ```
//!
//! N defaults to 2000, READER to "Virtual PCD 00 00" (exact name or unique substring).

use std::time::Instant;

use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::{PcscTransport, list_readers};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args
        .next()
        .map_or(2000, |a| a.parse().expect("N must be a number"));
    let reader = args
        .next()
        .unwrap_or_else(|| "Virtual PCD 00 00".to_string());
    let run = || -> Result<(), stk_wallet::transport::TransportError> {
        eprintln!("readers: {:?}", list_readers()?);
        let mut t = PcscTransport::connect(&reader)?;
        let atr = t.reset()?;
        eprintln!("{}: ATR {}", t.describe(), hex::encode_upper(&atr));
        let cmd = [0x80, 0x5C, 0x00, 0x02, 0x04];
        // Warm-up, and a check that the card answers at all.
        let first = t.transmit_raw(&cmd)?;
        eprintln!("first answer: {}", hex::encode_upper(&first));
        let mut worst = std::time::Duration::ZERO;
        let t0 = Instant::now();
        for _ in 0..n {
            let s = Instant::now();
            t.transmit_raw(&cmd)?;
            worst = worst.max(s.elapsed());
        }
        let el = t0.elapsed();
        println!(
            "{n} APDUs in {:.3} s: {:.0} APDU/s, mean {:.1} us, worst {:.1} us",
            el.as_secs_f64(),
            f64::from(n) / el.as_secs_f64(),
            el.as_secs_f64() * 1e6 / f64::from(n),
            worst.as_secs_f64() * 1e6
        );
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("pcsc_rate: {e}");
        std::process::exit(1);
    }
}
