//! Purse benchmarks (criterion). Read them as ratios from one run:
//! - `purchase/full` ÷ `purchase/des_floor`: what a whole purchase (card + PSAM + POS flow, every
//!   APDU encoded, parsed and dispatched) costs over the bare DES work it cannot avoid;
//! - `get_balance/round_trip`: one GET BALANCE APDU through the card (parse, dispatch, encode).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use stk_wallet::card::{Card, Interface};
use stk_wallet::crypto;
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::sim::{SimCard, SimPsam, shared};

const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x22];
const TIME: [u8; 3] = [0x12, 0x00, 0x00];

fn selected_card() -> Card {
    let p = Profile::default_profile();
    let mut card = Card::personalise(&p);
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    card.process(Interface::Contactless, &select)
        .expect("select");
    card
}

fn get_balance(c: &mut Criterion) {
    let mut card = selected_card();
    let apdu = [0x80, 0x5C, 0x00, 0x02, 0x04];
    c.bench_function("get_balance/round_trip", |b| {
        b.iter(|| card.process(Interface::Contactless, black_box(&apdu)))
    });
}

/// The DES work of one purchase, called directly: the PSAM diversifies the master key, derives
/// SESPK and MACs MAC1; the card derives SESPK, checks MAC1, computes the TAC and MAC2; the
/// PSAM checks MAC2.
fn des_floor(
    master: &[u8; 16],
    card_dpk: &[u8; 16],
    dtk: &[u8; 16],
    serial: &[u8; 10],
    term: &[u8; 6],
) -> [u8; 4] {
    let (random, ctr, ttc, amount) = ([1, 2, 3, 4], 7u16, 9u32, 100u32);
    let dpk = crypto::diversify(master, serial);
    let psam_ses = crypto::purchase_session_key(&dpk, random, ctr, ttc);
    let mac1 = crypto::purchase_mac1(&psam_ses, amount, term, &DATE, &TIME);
    let card_ses = crypto::purchase_session_key(card_dpk, random, ctr, ttc);
    let ok = crypto::purchase_mac1(&card_ses, amount, term, &DATE, &TIME) == mac1;
    let tac = crypto::purchase_tac(&crypto::tac_key(dtk), amount, term, ttc, &DATE, &TIME);
    let mac2 = crypto::purchase_mac2(&card_ses, amount);
    let ok2 = crypto::purchase_mac2(&psam_ses, amount) == mac2;
    let mut out = tac;
    out[0] ^= u8::from(ok && ok2);
    out
}

fn purchase(c: &mut Criterion) {
    let p = Profile::default_profile();
    let serial = p.issuer.serial;
    let master = p.keys.purchase[0]
        .key
        .master
        .expect("default profile has master keys");
    let card_dpk = p.keys.purchase[0].key.card_key(&serial);
    let dtk = p.keys.tac.card_key(&serial);
    let mut g = c.benchmark_group("purchase");
    g.bench_function("des_floor", |b| {
        b.iter(|| {
            des_floor(
                black_box(&master),
                &card_dpk,
                &dtk,
                &serial,
                &p.psam.term_id,
            )
        })
    });
    let template = Card::personalise(&p);
    let psam = Psam::from_profile(&p);
    g.bench_function("full", |b| {
        b.iter_batched(
            || {
                Pos::new(
                    SimCard::contactless(shared(template.clone())),
                    SimPsam::new(psam.clone()),
                    Clock::Fixed {
                        date: DATE,
                        time: TIME,
                    },
                    p.wallet_aid.clone(),
                )
            },
            |mut pos| pos.purchase(black_box(100)).expect("purchase"),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// A whole top-up through the SIM Toolkit menu, as the handset drives it: TERMINAL PROFILE,
/// FETCH SET UP MENU, select My Wallet, Top Up, amount, payment password (over-the-air load: the
/// handset carries OPEN CHANNEL, SEND DATA, RECEIVE DATA, CLOSE CHANNEL to the issuer host;
/// MAC1, MAC2, TAC, journaled commit), the result screen.
fn menu_walk(c: &mut Criterion) {
    use std::rc::Rc;
    use stk_wallet::handset::Handset;
    use stk_wallet::{host::IssuerHost, network::IssuerNetwork};
    let p = Profile::default_profile();
    let template = Card::personalise(&p);
    let net = Rc::new(IssuerNetwork::new(
        IssuerHost::from_profile(&p),
        Clock::Fixed {
            date: DATE,
            time: TIME,
        },
    ));
    c.bench_function("stk/top_up_menu_walk", |b| {
        b.iter_batched(
            || shared(template.clone()),
            |card| {
                let mut phone =
                    Handset::new(SimCard::contact(card.clone())).with_network(net.clone());
                phone.power_on().expect("TERMINAL PROFILE");
                for k in ["1", "1", "50", "123456"] {
                    phone.press_token(k).expect("key");
                }
                assert_eq!(card.borrow().state().purse.balance, 15000);
                phone
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, get_balance, purchase, menu_walk);
criterion_main!(benches);
