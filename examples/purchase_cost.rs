//! Instruction-count companion of `benches/purse.rs` (run under `valgrind --tool=callgrind`,
//! whose counts do not drift with the machine's load the way times do):
//! `purchase_cost floor N` runs the bare DES work of N purchases, `purchase_cost full N` N whole
//! purchases through the POS, PSAM and card. See benches/README.md.

use stk_wallet::card::Card;
use stk_wallet::crypto;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::sim::{SimCard, SimPsam, shared};

const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x22];
const TIME: [u8; 3] = [0x12, 0x00, 0x00];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("full");
    let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mut p = Profile::default_profile();
    p.purse.balance = 100_000;
    let serial = p.issuer.serial;
    let master = p.keys.purchase[0].key.master.expect("master key");
    let card_dpk = p.keys.purchase[0].key.card_key(&serial);
    let dtk = p.keys.tac.card_key(&serial);
    let term = p.psam.term_id;
    let mut acc = 0u8;
    match mode {
        "floor" => {
            for i in 0..n {
                let (random, ctr, ttc, amount) = ([1, 2, 3, i as u8], i as u16, i, 1u32);
                let dpk = crypto::diversify(&master, &serial);
                let ps = crypto::purchase_session_key(&dpk, random, ctr, ttc);
                let mac1 = crypto::purchase_mac1(&ps, amount, &term, &DATE, &TIME);
                let cs = crypto::purchase_session_key(&card_dpk, random, ctr, ttc);
                let ok = crypto::purchase_mac1(&cs, amount, &term, &DATE, &TIME) == mac1;
                let tac =
                    crypto::purchase_tac(&crypto::tac_key(&dtk), amount, &term, ttc, &DATE, &TIME);
                let ok2 = crypto::purchase_mac2(&ps, amount) == crypto::purchase_mac2(&cs, amount);
                acc ^= tac[0] ^ u8::from(ok && ok2);
            }
        }
        _ => {
            let card = shared(Card::personalise(&p));
            let mut pos = Pos::new(
                SimCard::contactless(card),
                SimPsam::new(Psam::from_profile(&p)),
                Clock::Fixed {
                    date: DATE,
                    time: TIME,
                },
                p.wallet_aid.clone(),
            );
            for _ in 0..n {
                pos.trace.0.clear();
                acc ^= pos.purchase(1).expect("purchase").tac[0];
            }
        }
    }
    println!("{mode} x{n}: {acc:02X}");
}
