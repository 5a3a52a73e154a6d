//! A deliberately naive POS reader, shipped for the reader lab to fail: when a sale gets no
//! answer it waits for the card and sells again from the start (a new INITIALIZE and a new
//! DEBIT), never asking GET TRANSACTION PROOF or reading the counter. Against
//! `scenarios/lost-debit-answer.json` the lab's verdict fails `no-double-debit`.
//!
//! ```text
//! stk-wallet serve --card lab.json --scenario scenarios/lost-debit-answer.json &
//! cargo run --release --features pcsc --example naive_reader -- "Virtual PCD 00 00" 700
//! ```
//!
//! Arguments: the reader (default `Virtual PCD 00 00`) and the amount in fen (default 700).
//! The PSAM is simulated with the default profile's keys, as `stk-wallet pos --reader` does.

use std::time::Duration;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::pcsc::PcscTransport;
use stk_wallet::transport::sim::SimPsam;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reader = args.first().map_or("Virtual PCD 00 00", String::as_str);
    let amount: u32 = match args.get(1).map(|a| a.parse()) {
        None => 700,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("error: the amount is a number of fen, e.g. 700");
            return std::process::ExitCode::from(2);
        }
    };
    let p = Profile::default_profile();
    // One PSAM for every attempt, so its TTC moves on as a real terminal's does.
    let psam = SimPsam::new(Psam::from_profile(&p));
    for attempt in 1..=5 {
        let link = match PcscTransport::connect(reader) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("attempt {attempt}: {e}; waiting for the card");
                std::thread::sleep(Duration::from_millis(700));
                continue;
            }
        };
        let mut pos = Pos::new(link, psam.clone(), Clock::System, p.wallet_aid.clone());
        match pos.purchase(amount) {
            Ok(r) => {
                println!("attempt {attempt}: sold {amount} fen, TTC {}", r.ttc);
                return std::process::ExitCode::SUCCESS;
            }
            // The naive part: whatever went wrong, sell again from the start.
            Err(e) => {
                eprintln!("attempt {attempt}: {e}; selling again");
                std::thread::sleep(Duration::from_millis(2500));
            }
        }
    }
    std::process::ExitCode::from(1)
}
