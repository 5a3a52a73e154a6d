//! Where settlement's time goes, phase by phase, for N records into a fresh ledger: opening the
//! ledger (schema), the upload (verify + insert, one batch, its commit), and the TAC work alone.
//! `cargo run --release --example settle_phases -- 1000 10000 100000` (benches/README.md).

use std::time::Instant;
use stk_wallet::crypto;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::PurchaseRecord;
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, SqliteLedger};

const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x30];
const TIME: [u8; 3] = [0x21, 0x40, 0x00];
const PER_CARD: usize = 10_000;

/// The settlement bench's records (benches/settle.rs).
fn records(p: &Profile, n: usize) -> Vec<PurchaseRecord> {
    let mut out = Vec::with_capacity(n);
    let mut key = None;
    for i in 0..n {
        let mut serial = p.issuer.serial;
        serial[..4].copy_from_slice(&((i / PER_CARD) as u32).to_be_bytes());
        if i % PER_CARD == 0 {
            key = Some(crypto::tac_key(&p.keys.tac.card_key(&serial)));
        }
        let term_id = [0x00, 0x11, 0x22, 0x33, 0x44, (i % 2) as u8];
        let ttc = (i / 2) as u32;
        let amount = 100 + (i % 900) as u32;
        let tac = crypto::purchase_tac(key.as_ref().unwrap(), amount, &term_id, ttc, &DATE, &TIME);
        out.push(PurchaseRecord {
            serial,
            counter: (i % PER_CARD) as u16,
            amount,
            term_id,
            ttc,
            date: DATE,
            time: TIME,
            tac,
            flagged: false,
            recovered: false,
        });
    }
    out
}

fn main() {
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    let ns: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    for n in if ns.is_empty() {
        vec![1_000, 10_000]
    } else {
        ns
    } {
        let recs = records(&p, n);
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let ledger = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
        let open = t0.elapsed();
        let mut clearing = ClearingHost::new(host.clone(), ledger);
        let t1 = Instant::now();
        let rep = clearing.settle(&recs).unwrap();
        let settle = t1.elapsed();
        assert_eq!(rep.accepted.len(), n);
        let t2 = Instant::now();
        let ok = recs
            .iter()
            .filter(|r| {
                host.purchase_tac_ok(
                    &r.serial, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac,
                )
            })
            .count();
        let tac = t2.elapsed();
        assert_eq!(ok, n);
        let bytes = clearing.ledger.size_bytes().unwrap();
        println!(
            "N={n}: open {:.2} ms, settle {:.2} ms ({:.0} records/s), TAC only {:.2} ms, ratio {:.2}, ledger {bytes} bytes ({:.1} B/record)",
            open.as_secs_f64() * 1e3,
            settle.as_secs_f64() * 1e3,
            n as f64 / settle.as_secs_f64(),
            tac.as_secs_f64() * 1e3,
            settle.as_secs_f64() / tac.as_secs_f64(),
            bytes as f64 / n as f64
        );
    }
}
