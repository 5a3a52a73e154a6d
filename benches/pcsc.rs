//! Through the real PC/SC stack (pcscd + vsmartcard vpcd): our card beside a null card (answers
//! 9000 to everything) on the same stack, in one run, so `ours ÷ null` shows what our card
//! costs on top of the stack. Needs pcscd running with vpcd (`bash .ci/pcsc-up.sh`); without it
//! the bench says so and measures nothing. The two cards are served by `common/pcsc_pair.rs`.

#[path = "common/pcsc_pair.rs"]
mod pcsc_pair;

use criterion::{Criterion, criterion_group, criterion_main};
use pcsc_pair::{NULL, OURS, our_wallet, serve_both};
use std::time::Duration;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::Transport;
use stk_wallet::transport::pcsc::PcscTransport;
use stk_wallet::transport::sim::SimPsam;

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
    // A whole purchase (7 card APDUs and the simulated PSAM); 1 fen each, so the 100.00 yuan
    // balance lasts for 10,000 of them.
    let mut pos = Pos::new(
        PcscTransport::connect(OURS).unwrap(),
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    g.bench_function("purchase/our_card", |b| {
        b.iter(|| {
            pos.trace.0.clear();
            pos.purchase(1).unwrap()
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
