//! Through the real PC/SC stack (pcscd + vsmartcard vpcd): our card beside a null card (answers
//! 9000 to everything) on the same stack, in one run, so `ours ÷ null` shows what our card
//! costs on top of the stack. Needs pcscd running with vpcd (`bash .ci/pcsc-up.sh`); without it
//! the bench says so and measures nothing. The two cards are served by `common/pcsc_pair.rs`.

#[path = "common/pcsc_pair.rs"]
mod pcsc_pair;

use criterion::{Criterion, criterion_group, criterion_main};
use pcsc_pair::{NULL, OURS, our_wallet, serve_both};
use std::time::{Duration, Instant};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;
use stk_wallet::transport::sim::SimPsam;

/// 1-fen purchases between two top-ups of as many fen: the balance stays within 90.00 yuan of
/// its 100.00 start.
const PURCHASES_PER_CARD: u64 = 9_000;

fn pcsc(c: &mut Criterion) {
    if let Err(e) = serve_both() {
        eprintln!("SKIPPED: {e}");
        return;
    }
    let get_balance = [0x80, 0x5C, 0x00, 0x02, 0x04];
    let mut g = c.benchmark_group("pcsc");
    let mut null = PcscTransport::connect(NULL).unwrap();
    g.bench_function("apdu/null_card", |b| {
        b.iter(|| null.transmit_raw(&get_balance).unwrap())
    });
    let mut ours = our_wallet();
    g.bench_function("apdu/our_card", |b| {
        b.iter(|| ours.transmit_raw(&get_balance).unwrap())
    });
    drop(ours);
    let p = Profile::default_profile();
    // A whole purchase (7 card APDUs and the simulated PSAM), 1 fen each. The card's 100.00
    // yuan last 10,000 of them and criterion asks for as many as fit its time, so the card is
    // topped up (a load authorised by the issuer host, untimed) before it could run dry.
    let mut pos = Pos::new(
        PcscTransport::connect(OURS).unwrap(),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    let host = IssuerHost::from_profile(&p);
    let mut spent = 0u64;
    g.bench_function("purchase/our_card", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if spent >= PURCHASES_PER_CARD {
                    pos.load(&host, PURCHASES_PER_CARD as u32, "123456")
                        .expect("top up the bench card");
                    spent = 0;
                }
                let n = left.min(PURCHASES_PER_CARD - spent);
                let t = Instant::now();
                for _ in 0..n {
                    pos.trace.0.clear();
                    pos.purchase(1).unwrap();
                }
                timed += t.elapsed();
                spent += n;
                left -= n;
            }
            timed
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = pcsc
}
criterion_main!(benches);
