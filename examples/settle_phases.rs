//! Where settlement's time goes, phase by phase, for N records into a fresh ledger: opening the
//! ledger (schema), the upload (verify + insert, one batch, its commit), and the TAC work alone.
//! `cargo run --release --example settle_phases -- 1000 10000 100000` (benches/README.md).

use std::time::Instant;
use stk_wallet::host::IssuerHost;
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, SqliteLedger};

#[path = "../benches/common/settle_records.rs"]
mod settle_records;

use settle_records::records;

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
