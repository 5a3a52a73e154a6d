//! Settlement benchmark (criterion): the clearing host settles N offline purchase records into a
//! fresh SQLite ledger (every TAC verified with the issuer's keys, duplicates keyed, one batch),
//! against the bare TAC work for the same N records (the card's TAC key diversified and the
//! purchase TAC computed and compared, as the clearing host does for each record). Read as the
//! ratio `settle/N` ÷ `tac_only/N` within one run, and how both grow with N. The ledger's size
//! for each N is printed once.
//!
//! N = 10³, 10⁴, 10⁵ by default; `STK_BENCH_MILLION=1` adds N = 10⁶ (about 10 s a sample and a
//! 140 MB ledger per sample, so it is left out of a plain `cargo bench`; benches/README.md).

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use stk_wallet::crypto;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::PurchaseRecord;
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};

const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x30];
const TIME: [u8; 3] = [0x21, 0x40, 0x00];
/// Records per card (the card's offline counter is 16 bits).
const PER_CARD: usize = 10_000;

/// `n` genuine records over `n / PER_CARD` cards, two terminals, TTCs unique per terminal.
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

fn settle(c: &mut Criterion) {
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    let mut g = c.benchmark_group("settle");
    g.sample_size(10);
    let mut sizes = vec![1_000usize, 10_000, 100_000];
    if std::env::var_os("STK_BENCH_MILLION").is_some_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    for n in sizes {
        let recs = records(&p, n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("tac_only", n), &recs, |b, recs| {
            b.iter(|| {
                recs.iter()
                    .filter(|r| {
                        host.purchase_tac_ok(
                            &r.serial, r.amount, &r.term_id, r.ttc, &r.date, &r.time, r.tac,
                        )
                    })
                    .count()
            })
        });
        let mut size_told = false;
        g.bench_with_input(BenchmarkId::new("settle", n), &recs, |b, recs| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let ledger = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
                    (dir, ClearingHost::new(host.clone(), ledger))
                },
                |(dir, mut clearing)| {
                    let rep = clearing.settle(black_box(recs)).unwrap();
                    assert_eq!(rep.accepted.len(), recs.len());
                    if !size_told {
                        size_told = true;
                        let bytes = clearing.ledger.size_bytes().unwrap();
                        eprintln!(
                            "ledger for {n} records: {bytes} bytes ({:.1} bytes/record)",
                            bytes as f64 / n as f64
                        );
                    }
                    let _ = clearing.ledger.totals(&recs[0].serial);
                    (dir, clearing)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, settle);
criterion_main!(benches);
