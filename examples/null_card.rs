//! A null card for checking the PC/SC plumbing: answers `90 00` to every APDU.
//!
//! ```text
//! pcscd -f &                                  # loads the vpcd driver from /etc/reader.conf.d/vpcd
//! cargo run --example null_card [-- ADDR] [--no-nodelay] [--no-quickack] [--log]
//! pcsc_scan -r                                # lists "Virtual PCD 00 00"
//! echo '80 5C 00 02 04' | scriptor -r 'Virtual PCD 00 00'
//! ```
//!
//! ADDR defaults to 127.0.0.1:35963 (reader `Virtual PCD 00 00`; 35964 is `Virtual PCD 00 01`).

use stk_wallet::transport::vpcd::{self, ApduEvent, ServeOptions};

/// ATR of the null card: T=1, historical bytes "NULLCARD"; the last byte (TCK) is computed.
const ATR: &[u8] = &[
    0x3B, 0x88, 0x80, 0x01, b'N', b'U', b'L', b'L', b'C', b'A', b'R', b'D', 0x00,
];

struct NullCard {
    atr: Vec<u8>,
}

impl vpicc::VSmartCard for NullCard {
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn execute(&mut self, _msg: &[u8]) -> Vec<u8> {
        vec![0x90, 0x00]
    }
}

/// Prints `log` records to stderr (the crate logs connection state through `log`).
struct StderrLogger;
impl log::Log for StderrLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) && r.target().starts_with("stk_wallet") {
            eprintln!("[{}] {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

fn main() -> std::io::Result<()> {
    log::set_logger(&StderrLogger).expect("logger");
    log::set_max_level(log::LevelFilter::Info);
    let mut addr = vpcd::DEFAULT_ADDR.to_string();
    let mut opts = ServeOptions::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-nodelay" => opts.nodelay = false,
            "--no-quickack" => opts.quickack = false,
            "--log" => {
                opts.on_apdu = Some(Box::new(|e: &ApduEvent<'_>| {
                    eprintln!(
                        "#{} {} -> {} ({:?})",
                        e.seq,
                        hex::encode_upper(e.command),
                        hex::encode_upper(e.response),
                        e.card_time
                    )
                }))
            }
            a if a.starts_with("--") => {
                eprintln!("usage: null_card [ADDR] [--no-nodelay] [--no-quickack] [--log]");
                std::process::exit(2);
            }
            a => addr = a.to_string(),
        }
    }
    let mut atr = ATR.to_vec();
    let last = atr.len() - 1;
    atr[last] = atr[1..last].iter().fold(0, |x, b| x ^ b);
    eprintln!(
        "null card: ATR {} -> vpcd at {addr} ({opts:?})",
        hex::encode_upper(&atr)
    );
    vpcd::serve(&mut NullCard { atr }, &addr, opts)
}
