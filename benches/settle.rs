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
use stk_wallet::host::IssuerHost;
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};

#[path = "common/settle_records.rs"]
mod settle_records;

use settle_records::records;

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
