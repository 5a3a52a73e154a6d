//! A reference model of the wallet against the real card + POS + hosts, over
//! random sequences of purchases, integrated top-ups, password tries, issuer PIN reloads,
//! power cycles and image reloads, each step possibly carrying a fault from `fault.rs`.
//!
//! The model is written from docs/spec.md, not from the implementation: a purchase commits iff the
//! wallet is open, amount ≤ the single-payment limit and ≤ the balance, and the card got a
//! valid MAC1; the POS's recovery then makes "in doubt" end in exactly one debit. A top-up
//! loads iff the password is not locked, the cap allows it, the issuer answered and the card
//! got a valid MAC2. Where a fault lands inside the card's commit, the outcome follows from the
//! commit's published structure (n changes: n journal writes, arm, n applies, disarm — torn
//! before the arm keeps the old state, after it the new one).
//!
//! STK actions (through the simulated handset on the contact interface, whose network carries
//! the card's BIP channel to the issuer, with the test's clock): set the single-payment limit,
//! Pay Phone Bill (a purchase at the operator's termID, over the air), Top Up over the air
//! (link up, down, or MAC2 corrupted) and Close
//! Wallet, with the right or a wrong payment password, and power cuts at any EEPROM write from
//! the password key on. The menu refuses an amount before it asks the password (no try
//! spent); the password spends a try or refills them, as VERIFY does. Bill payments do not
//! pass through the POS: the operator's record is built from the card's proof and settled
//! with the POS upload; over-the-air loads are booked by the issuer (load TAC checked) and
//! kept apart from the bank's charges.
//!
//! CI runs proptest's default 256 cases (`PROPTEST_CASES` scales it); a long run:
//! `PROPTEST_CASES=100000 cargo test --release --test model`. Failing cases shrink to a
//! minimal schedule and are saved in `tests/model.proptest-regressions`.

mod common;

use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::path::Path;
use std::rc::Rc;
use stk_wallet::acquirer::{FlakyAcquirer, SqliteBank};
use stk_wallet::card::{Card, image};

use stk_wallet::errors::Code;
use stk_wallet::fault::{
    CardFault, Fault, FaultPlan, FaultyTransport, FlakyIssuer, IssuerFault, LinkFault, MacField,
    Tear, TearPoint, Trigger,
};
use stk_wallet::handset::{Handset, Key};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::Journal;
use stk_wallet::network::{IssuerNetwork, OtaFault};
use stk_wallet::pos::{Clock, LoadReceipt, Pos, PosError, PurchaseRecord, TopupOutcome};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};
use stk_wallet::stk::Proactive;
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};

const PIN: &str = "123456";
const INS_VERIFY: u8 = 0x20;
const INS_INIT: u8 = 0x50;
const INS_CREDIT: u8 = 0x52;
const INS_DEBIT: u8 = 0x54;
/// DEBIT/CREDIT commit 5 changes (balance, counter, log slot, log head, proof): 12 writes,
/// the journal is armed by write 5.
const MONEY_ARM: u32 = 5;
const MONEY_WRITES: u32 = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Model {
    balance: u32,
    cap: u32,
    limit: u32,
    online: u16,
    offline: u16,
    tries: u8,
    max_tries: u8,
    open: bool,
    /// (type, amount, counter) newest first, at most ten.
    history: Vec<(u8, u32, u16)>,
    purchases: u32,
    /// Purchases whose TAC was corrupted on its way to the POS (settlement must reject them).
    forged_amount: u64,
    /// POS top-ups: charged at the acquirer (the bank accounting).
    loaded_total: u64,
    /// Bill payments from the STK menu (purchases at the operator's termID, uploaded by the
    /// operator, not by the POS).
    bills: u32,
    /// Over-the-air top-ups from the STK menu: booked by the issuer, never charged at the bank.
    ota_loads: u32,
    ota_total: u64,
}

impl Model {
    /// A payment password typed into the menu: whether it was accepted.
    fn password(&mut self, right: bool) -> bool {
        if self.tries == 0 {
            return false;
        }
        self.tries = if right {
            self.max_tries
        } else {
            self.tries - 1
        };
        right
    }

    /// The payment password typed into a menu flow that then commits (Top Up, Pay Phone Bill,
    /// Set Limit), the power possibly cut before EEPROM write `tear` counted from that key
    /// press. Writes: the try spent (one-change commit: copy 0, arm 1, apply 2, disarm 3),
    /// given back (4-7), then the flow's commit, whose journal is armed by write `armed_by`:
    /// money (Top Up, bill) first moves the card's random cursor (8-11), then commits 5
    /// changes (12-23, armed by 17); the limit is one change (8-11, armed by 9). `reaches`:
    /// the flow gets to its commit after a right password (the link is up). Whether the
    /// flow's commit happens.
    fn pay_password(
        &mut self,
        right: bool,
        tear: Option<u32>,
        reaches: bool,
        armed_by: u32,
    ) -> bool {
        if self.tries == 0 {
            return false;
        }
        match tear {
            Some(0 | 1) => false,
            Some(2..=5) => {
                self.tries -= 1;
                false
            }
            Some(k) if right => {
                self.tries = self.max_tries;
                reaches && k > armed_by
            }
            _ => self.password(right) && reaches,
        }
    }

    fn push(&mut self, e: (u8, u32, u16)) {
        self.history.insert(0, e);
        self.history.truncate(10);
    }
}

/// The over-the-air link for a menu top-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Up,
    /// No coverage: the issuer cannot be reached (`H-UNREACHABLE`).
    Down,
    /// The issuer's MAC2 arrives with a byte flipped.
    BadMac2,
}

#[derive(Clone, Debug)]
enum Step {
    Purchase {
        amount: u32,
        fault: CardFault,
    },
    Topup {
        amount: u32,
        fault: FaultPlan,
        acquirer_down: u32,
    },
    Verify {
        right: bool,
    },
    ReloadPin,
    PowerCycle,
    ReloadImage,
    /// STK: Wallet Settings → Single-Payment Limit → Set, amount, payment password.
    MenuLimit {
        fen: u32,
        right: bool,
        tear: Option<u32>,
    },
    /// STK: Pay Phone Bill, phone number, amount, payment password.
    MenuBill {
        fen: u32,
        right: bool,
        tear: Option<u32>,
    },
    /// STK: My Wallet → Top Up, amount, payment password; over the air, the link up or down.
    MenuTopup {
        fen: u32,
        right: bool,
        link: Link,
        tear: Option<u32>,
    },
    /// STK: Wallet Settings → Close Wallet → confirm.
    MenuClose {
        tear: Option<u32>,
    },
}

fn lose(t: Trigger) -> CardFault {
    CardFault::Link(LinkFault::LoseResponse(t))
}

fn tear(ins: u8, k: u32) -> CardFault {
    CardFault::Power(Tear {
        ins,
        at: TearPoint::Write(k),
    })
}

fn card_plan(f: CardFault) -> FaultPlan {
    FaultPlan(match f {
        CardFault::None => None,
        CardFault::Link(l) => Some(Fault::Link(l)),
        CardFault::Power(t) => Some(Fault::CardPower(t)),
    })
}

fn purchase_fault() -> BoxedStrategy<CardFault> {
    prop_oneof![
        4 => Just(CardFault::None),
        1 => Just(lose(Trigger::Ins(INS_DEBIT))),
        1 => (1u32..=6).prop_map(|n| lose(Trigger::Nth(n))),
        2 => (0..=MONEY_WRITES).prop_map(|k| tear(INS_DEBIT, k)),
        1 => (0u32..=4).prop_map(|k| tear(INS_INIT, k)),
        1 => prop_oneof![Just(MacField::Mac1), Just(MacField::Mac2), Just(MacField::Tac)]
            .prop_map(|m| CardFault::Link(LinkFault::BadMac(m))),
    ]
    .boxed()
}

fn topup_fault() -> BoxedStrategy<FaultPlan> {
    prop_oneof![
        4 => Just(FaultPlan::NONE),
        1 => Just(card_plan(lose(Trigger::Ins(INS_CREDIT)))),
        1 => (1u32..=6).prop_map(|n| card_plan(lose(Trigger::Nth(n)))),
        2 => (0..=MONEY_WRITES).prop_map(|k| card_plan(tear(INS_CREDIT, k))),
        1 => (0u32..=8).prop_map(|k| card_plan(tear(INS_VERIFY, k))),
        1 => Just(card_plan(CardFault::Link(LinkFault::BadMac(MacField::LoadMac2)))),
        1 => Just(card_plan(CardFault::Link(LinkFault::BadMac(MacField::Tac)))),
        1 => Just(FaultPlan(Some(Fault::Issuer(IssuerFault::Down(1))))),
    ]
    .boxed()
}

/// A power cut during a menu payment or top-up, before the n-th EEPROM write from the
/// password key (see [`Model::pay_password`]).
fn menu_tear(writes: u32) -> BoxedStrategy<Option<u32>> {
    prop_oneof![4 => Just(None), 1 => (0..writes).prop_map(Some)].boxed()
}

/// Money commits from the menu: armed by this write counted from the password key.
const MENU_MONEY_ARMED_BY: u32 = 12 + MONEY_ARM;

struct WalletModel;

impl ReferenceStateMachine for WalletModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        let p = Profile::default_profile();
        Just(Model {
            balance: p.purse.balance,
            cap: p.purse.balance_cap,
            limit: p.purse.single_payment_limit,
            online: p.purse.online_counter,
            offline: p.purse.offline_counter,
            tries: p.passwords.payment_retries,
            max_tries: p.passwords.payment_retries,
            open: true,
            history: Vec::new(),
            purchases: 0,
            forged_amount: 0,
            loaded_total: 0,
            bills: 0,
            ota_loads: 0,
            ota_total: 0,
        })
        .boxed()
    }

    fn transitions(m: &Model) -> BoxedStrategy<Step> {
        // The edges come from the state: exactly at the limit / balance / cap, and one past.
        let edges =
            |a: u32, b: u32| prop_oneof![Just(a.max(1)), Just(a + 1), Just(b.max(1)), Just(b + 1)];
        let amount = prop_oneof![
            3 => 1u32..=3000,
            1 => 1u32..=25000,
            1 => edges(m.limit, m.balance),
        ];
        let bill = prop_oneof![
            3 => 1u32..=3000,
            1 => 1u32..=25000,
            2 => edges(m.limit, m.balance),
        ];
        let room = m.cap - m.balance;
        let topup = prop_oneof![3 => 1u32..=60000, 1 => edges(room, room)];
        let limit =
            prop_oneof![3 => 1u32..=30000, 1 => 1u32..=m.cap + 100, 1 => edges(m.cap, m.balance)];
        let link =
            prop_oneof![6 => Just(Link::Up), 1 => Just(Link::Down), 1 => Just(Link::BadMac2)];
        prop_oneof![
            5 => (amount, purchase_fault())
                .prop_map(|(amount, fault)| Step::Purchase { amount, fault }),
            3 => (1u32..=60000, topup_fault(), prop_oneof![4 => Just(0u32), 1 => 1u32..=3])
                .prop_map(|(amount, fault, acquirer_down)| Step::Topup { amount, fault, acquirer_down }),
            2 => any::<bool>().prop_map(|right| Step::Verify { right }),
            1 => Just(Step::ReloadPin),
            1 => Just(Step::PowerCycle),
            1 => Just(Step::ReloadImage),
            2 => (limit, prop::bool::weighted(0.8), menu_tear(12))
                .prop_map(|(fen, right, tear)| Step::MenuLimit { fen, right, tear }),
            2 => (bill, prop::bool::weighted(0.8), menu_tear(24))
                .prop_map(|(fen, right, tear)| Step::MenuBill { fen, right, tear }),
            2 => (topup, prop::bool::weighted(0.8), link, menu_tear(24))
                .prop_map(|(fen, right, link, tear)| Step::MenuTopup { fen, right, link, tear }),
            1 => menu_tear(4).prop_map(|tear| Step::MenuClose { tear }),
        ]
        .boxed()
    }

    fn apply(mut m: Model, step: &Step) -> Model {
        match step {
            Step::Purchase { amount, fault } => {
                let allowed = m.open && *amount <= m.limit && *amount <= m.balance;
                // Faults that stop the sale before the DEBIT reaches the card: the answers of
                // SELECT (1), READ BINARY (2), INITIALIZE (3) lost, or INITIALIZE's own
                // one-change commit (4 writes) torn. A wrong MAC1 is refused by the card.
                let stopped = match fault {
                    CardFault::Link(LinkFault::LoseResponse(Trigger::Nth(n))) => *n < 4,
                    CardFault::Power(Tear {
                        ins: INS_INIT,
                        at: TearPoint::Write(k),
                    }) => *k < 4,
                    CardFault::Link(LinkFault::BadMac(MacField::Mac1)) => true,
                    _ => false,
                };
                if allowed && !stopped {
                    m.push((0x06, *amount, m.offline));
                    m.balance -= amount;
                    m.offline += 1;
                    m.purchases += 1;
                    if *fault == CardFault::Link(LinkFault::BadMac(MacField::Tac)) {
                        m.forged_amount += u64::from(*amount);
                    }
                }
            }
            Step::Topup {
                amount,
                fault,
                acquirer_down,
            } => {
                // Commands: SELECT 1, READ BINARY 2, VERIFY 3, INITIALIZE 4, CREDIT 5.
                let card = fault.card();
                let verify_sent = !matches!(card, CardFault::Link(LinkFault::LoseResponse(Trigger::Nth(n))) if n < 3);
                if m.tries == 0 || !verify_sent {
                    return m; // locked password, or stopped before VERIFY: nothing charged
                }
                // VERIFY spends a try (one-change commit: copy 0, arm 1, apply 2, disarm 3),
                // then gives it back (copy 4, arm 5, apply 6, disarm 7). Torn before write k:
                // k ≤ 1 the spend is dropped, 2-5 it stands, from 6 the tries are refilled
                // (the password matched) but the answer is lost: no top-up.
                let verified = match card {
                    CardFault::Power(Tear {
                        ins: INS_VERIFY,
                        at: TearPoint::Write(k),
                    }) if k < 8 => {
                        match k {
                            0 | 1 => {}
                            2..=5 => m.tries -= 1,
                            _ => m.tries = m.max_tries,
                        }
                        false
                    }
                    CardFault::Link(LinkFault::LoseResponse(Trigger::Nth(3))) => {
                        m.tries = m.max_tries;
                        false
                    }
                    _ => {
                        m.tries = m.max_tries;
                        true
                    }
                };
                let fits = u64::from(m.balance) + u64::from(*amount) <= u64::from(m.cap);
                // The acquirer down: the charge (its first call) fails and is reversed.
                let stopped = *acquirer_down > 0
                    || fault.issuer().is_some()
                    || match card {
                        CardFault::Link(LinkFault::LoseResponse(Trigger::Nth(4))) => true,
                        CardFault::Power(Tear {
                            ins: INS_CREDIT,
                            at: TearPoint::Write(k),
                        }) => k < MONEY_ARM + 1,
                        CardFault::Link(LinkFault::BadMac(MacField::LoadMac2)) => true,
                        _ => false,
                    };
                if verified && m.open && fits && !stopped {
                    m.push((0x02, *amount, m.online));
                    m.balance += amount;
                    m.online += 1;
                    m.loaded_total += u64::from(*amount);
                }
            }
            Step::Verify { right } => {
                if m.tries > 0 {
                    m.tries = if *right { m.max_tries } else { m.tries - 1 };
                }
            }
            Step::ReloadPin => m.tries = m.max_tries,
            Step::PowerCycle | Step::ReloadImage => {}
            // The menu checks the amount before it asks the password (a refused amount spends
            // no try); the password spends a try or gives them all back, as VERIFY does; a
            // locked password (6983) ends the session with nothing spent.
            Step::MenuLimit { fen, right, tear } => {
                if m.open && *fen <= m.cap && m.pay_password(*right, *tear, true, 9) {
                    m.limit = *fen;
                }
            }
            Step::MenuBill { fen, right, tear } => {
                // A bill is bounded by the balance only: the single-payment limit is a
                // contactless purchase's (docs/spec.md §1, §7).
                if m.open
                    && *fen <= m.balance
                    && m.pay_password(*right, *tear, true, MENU_MONEY_ARMED_BY)
                {
                    m.push((0x06, *fen, m.offline));
                    m.balance -= fen;
                    m.offline += 1;
                    m.bills += 1;
                }
            }
            Step::MenuTopup {
                fen,
                right,
                link,
                tear,
            } => {
                let fits = u64::from(m.balance) + u64::from(*fen) <= u64::from(m.cap);
                let up = *link == Link::Up;
                if m.open && fits && m.pay_password(*right, *tear, up, MENU_MONEY_ARMED_BY) {
                    m.push((0x02, *fen, m.online));
                    m.balance += fen;
                    m.online += 1;
                    m.ota_loads += 1;
                    m.ota_total += u64::from(*fen);
                }
            }
            // No password (the operation password is off); one change, armed by write 1.
            Step::MenuClose { tear } => {
                if m.open && m.balance == 0 && tear.is_none_or(|k| k > 1) {
                    m.open = false;
                }
            }
        }
        m
    }
}

struct Sut {
    card: SharedCard,
    pos: Pos<FaultyTransport<SimCard>, SimPsam>,
    issuer: IssuerHost,
    profile: Profile,
    bank: SqliteBank,
    journal: Journal,
    records: Vec<PurchaseRecord>,
    /// Bill payments as the operator uploads them (built from the card's proof right after
    /// the payment: they never pass through a POS, so the POS upload does not hold them).
    bills: Vec<PurchaseRecord>,
    /// Over-the-air loads as the issuer books them (the card's load proof).
    ota: Vec<LoadReceipt>,
    /// Seconds, so that every transaction has its own time stamp.
    tick: u32,
}

fn bcd(v: u32) -> u8 {
    (((v / 10) << 4) | (v % 10)) as u8
}

impl Sut {
    fn clock(&mut self) {
        self.tick += 1;
        let t = self.tick;
        self.pos.clock = Clock::Fixed {
            date: [0x20, 0x26, 0x11, bcd(1 + t / 86_400 % 28)],
            time: [bcd(t / 3600 % 24), bcd(t / 60 % 60), bcd(t % 60)],
        };
    }
}

/// `fen` as the menu takes it: yuan, `*` as the decimal point.
fn yuan(fen: u32) -> String {
    if fen.is_multiple_of(100) {
        (fen / 100).to_string()
    } else {
        format!("{}*{:02}", fen / 100, fen % 100)
    }
}

fn menu_pin(right: bool) -> &'static str {
    if right { PIN } else { "000000" }
}

impl Sut {
    /// Walks the STK menu from a freshly powered handset with `keys`, the network (the SUT's
    /// clock) reachable or not. Stops at the first screen that is not a menu or an input (a
    /// refusal, or the result); returns that screen and the network's date and time.
    fn menu(&mut self, link: Link, keys: &[&str], tear: Option<u32>) -> (String, [u8; 4], [u8; 3]) {
        if self.card.borrow().is_mute() {
            self.card.borrow_mut().power_cycle();
        }
        let net = IssuerNetwork::new(self.issuer.clone(), self.pos.clock);
        net.reachable.set(link != Link::Down);
        if link == Link::BadMac2 {
            net.fault.set(Some(OtaFault::CorruptMac2));
        }
        let mut phone =
            Handset::new(SimCard::contact(self.card.clone())).with_network(Rc::new(net));
        phone.power_on().expect("TERMINAL PROFILE");
        for (i, k) in keys.iter().enumerate() {
            let asking = matches!(
                phone.current.as_ref().map(|c| &c.kind),
                Some(Proactive::SelectItem { .. } | Proactive::GetInput { .. })
            );
            if i > 0 && !asking {
                break;
            }
            if let Some(n) = tear.filter(|_| i == keys.len() - 1) {
                self.card.borrow_mut().tear_after_writes(n);
            }
            if phone.press_token(k).is_err() {
                break;
            }
        }
        // A tear that did not fire (the flow stopped short of it) must not fire later: push
        // it out of reach (the card has no call to disarm it).
        if tear.is_some() && !self.card.borrow().is_mute() {
            self.card.borrow_mut().tear_after_writes(u32::MAX);
        }
        let screen = phone.render();
        if self.card.borrow().is_mute() {
            // The power went: the phone sees the card leave and come back.
            self.card.borrow_mut().power_cycle();
        } else if phone.current.is_some() {
            phone.press(Key::End).expect("end the session");
        }
        assert!(!self.card.borrow().toolkit().busy(), "the session is over");
        let (date, time) = self.pos.clock.now();
        (screen, date, time)
    }

    fn serial(&self) -> [u8; 10] {
        self.profile.issuer.serial
    }
}

struct WalletTest;

impl StateMachineTest for WalletTest {
    type SystemUnderTest = Sut;
    type Reference = WalletModel;

    fn init_test(_: &Model) -> Sut {
        let p = Profile::default_profile();
        let card = shared(Card::personalise(&p));
        let mem = Path::new(":memory:");
        Sut {
            pos: Pos::new(
                FaultyTransport::new(
                    SimCard::contactless(card.clone()),
                    Some(card.clone()),
                    CardFault::None,
                ),
                SimPsam::new(Psam::from_profile(&p)),
                Clock::System,
                p.wallet_aid.clone(),
            ),
            card,
            issuer: IssuerHost::from_profile(&p),
            bank: SqliteBank::open(mem).expect("bank"),
            journal: Journal::open(mem).expect("journal"),
            profile: p,
            records: Vec::new(),
            bills: Vec::new(),
            ota: Vec::new(),
            tick: 0,
        }
    }

    fn apply(mut s: Sut, _: &Model, step: Step) -> Sut {
        s.clock();
        match step {
            Step::Purchase { amount, fault } => {
                let purse = s.card.borrow().state().purse.clone();
                // What the card must answer to an unfaulted sale (INITIALIZE's checks, in
                // this order): a closed wallet, over the limit, over the balance.
                let refusal = if !purse.open {
                    Some(Sw::WALLET_CLOSED)
                } else if amount > purse.single_payment_limit {
                    Some(Sw::CONDITIONS_NOT_SATISFIED)
                } else if amount > purse.balance {
                    Some(Sw::INSUFFICIENT_BALANCE)
                } else {
                    None
                };
                s.pos.card.rearm(fault);
                let mut pending = None;
                let mut r = s.pos.sale(&mut pending, amount);
                if pending.is_some() {
                    s.pos.card.rearm(CardFault::None);
                    r = s.pos.sale(&mut pending, amount);
                    assert!(pending.is_none(), "the second tap resolves the sale");
                }
                if fault == CardFault::None {
                    match (&r, refusal) {
                        (Ok(_), None) => {}
                        (Err(PosError::Card { sw, .. }), Some(want)) => assert_eq!(*sw, want),
                        (r, want) => panic!("sale of {amount}: {r:?}, expected {want:?}"),
                    }
                }
                match r {
                    Ok(out) => s.records.push(out.record),
                    Err(PosError::Digest { record }) => s.records.push(*record),
                    Err(_) => {}
                }
            }
            Step::Topup {
                amount,
                fault,
                acquirer_down,
            } => {
                s.pos.card.rearm(CardFault::None);
                let acq = FlakyAcquirer::new(&s.bank, 0);
                let _ = s.pos.resume(&s.journal, &acq, &mut |_| {});
                let acq = FlakyAcquirer::new(&s.bank, acquirer_down);
                let link = FlakyIssuer::maybe(&s.issuer, fault.issuer());
                s.pos.card.rearm(fault.card());
                let r = s
                    .pos
                    .topup(&s.journal, &link, &acq, "6222", amount, PIN, &mut |_| {});
                if let Ok(rep) = &r
                    && let TopupOutcome::Loaded { tac } = rep.outcome
                {
                    assert_ne!(tac, [0; 4], "a fresh load always has its proof");
                }
            }
            Step::Verify { right } => {
                s.pos.card.rearm(CardFault::None);
                let _ = s
                    .pos
                    .card
                    .card
                    .as_ref()
                    .map(|c| c.borrow_mut().power_cycle());
                let _ = s.pos.select();
                let _ = s.pos.verify_pin(if right { PIN } else { "000000" });
            }
            Step::ReloadPin => {
                let mut c = s.card.borrow_mut();
                c.power_cycle();
                let iface = stk_wallet::card::Interface::Contact;
                let mut sel = vec![0x00, 0xA4, 0x04, 0x00, s.profile.wallet_aid.len() as u8];
                sel.extend_from_slice(&s.profile.wallet_aid);
                c.process(iface, &sel);
                let ch = c
                    .process(iface, &[0x00, 0x84, 0x00, 0x00, 0x04])
                    .unwrap_or_default();
                assert_eq!(ch.len(), 6);
                let header = [0x80, 0x5E, 0x00, 0x00, 0x07];
                let new = [0x12, 0x34, 0x56];
                let mac = s.issuer.issuer_mac(
                    &s.profile.issuer.serial,
                    [ch[0], ch[1], ch[2], ch[3]],
                    header,
                    &new,
                );
                let mut cmd = header.to_vec();
                cmd.extend_from_slice(&new);
                cmd.extend_from_slice(&mac);
                assert_eq!(c.process(iface, &cmd), Some(vec![0x90, 0x00]));
            }
            Step::PowerCycle => {
                s.card.borrow_mut().power_cycle();
            }
            Step::ReloadImage => {
                let bytes = image::to_bytes(&s.card.borrow());
                let c = image::from_bytes(&bytes, "model.json").expect("image reloads");
                *s.card.borrow_mut() = c;
            }
            Step::MenuLimit { fen, right, tear } => {
                s.menu(
                    Link::Up,
                    &["4", "2", "1", &yuan(fen), menu_pin(right)],
                    tear,
                );
            }
            Step::MenuBill { fen, right, tear } => {
                let before = s.card.borrow().state().purse.clone();
                let (screen, date, time) = s.menu(
                    Link::Up,
                    &["3", "13800138000", &yuan(fen), menu_pin(right)],
                    tear,
                );
                let st = s.card.borrow().state().clone();
                if !before.open {
                    // The closed wallet's SIM menu has one item; Pay Phone Bill is not offered.
                    assert!(
                        screen.contains("1. 钱包已注销") && !screen.contains("3."),
                        "{screen}"
                    );
                }
                if st.purse.offline_counter != before.offline_counter {
                    assert!(tear.is_some() || screen.contains("13800138000"), "{screen}");
                    let proof = st.proof.expect("a bill payment leaves its proof");
                    assert_eq!(
                        (proof.tx_type, proof.counter_after),
                        (0x06, st.purse.offline_counter)
                    );
                    s.bills.push(PurchaseRecord {
                        serial: s.serial(),
                        counter: before.offline_counter,
                        amount: fen,
                        term_id: st.perso.operator_term_id,
                        ttc: u32::from(before.offline_counter),
                        date,
                        time,
                        tac: proof.tac,
                        flagged: false,
                        recovered: false,
                    });
                }
            }
            Step::MenuTopup {
                fen,
                right,
                link,
                tear,
            } => {
                let before = s.card.borrow().state().purse.clone();
                let (screen, date, time) =
                    s.menu(link, &["1", "1", &yuan(fen), menu_pin(right)], tear);
                let st = s.card.borrow().state().clone();
                if !before.open {
                    assert!(screen.contains("(6A81)"), "{screen}");
                }
                if st.purse.online_counter != before.online_counter {
                    let proof = st.proof.expect("an over-the-air load leaves its proof");
                    assert_eq!(
                        (proof.tx_type, proof.counter_after),
                        (0x02, st.purse.online_counter)
                    );
                    s.ota.push(LoadReceipt {
                        serial: s.serial(),
                        counter: before.online_counter,
                        amount: fen,
                        balance_after: st.purse.balance,
                        term_id: st.perso.operator_term_id,
                        date,
                        time,
                        tac: proof.tac,
                        tac_ok: false,
                    });
                } else if link != Link::Up && right && before.open {
                    assert!(
                        !screen.contains("Topped up") && !screen.contains("充值成功"),
                        "{screen}"
                    );
                }
            }
            Step::MenuClose { tear } => {
                s.menu(Link::Up, &["4", "4", "1"], tear);
            }
        }
        s
    }

    fn check_invariants(s: &Sut, m: &Model) {
        // A card left torn is judged by what it holds after its next power-up.
        let mut card = s.card.borrow().clone();
        card.power_cycle();
        let st = card.state();
        assert_eq!(st.purse.balance, m.balance, "balance");
        assert!(st.purse.balance <= st.purse.balance_cap, "cap");
        assert_eq!(
            (st.purse.online_counter, st.purse.offline_counter),
            (m.online, m.offline),
            "counters"
        );
        assert_eq!(st.payment_password.tries_left, m.tries, "password tries");
        assert_eq!(st.purse.open, m.open);
        assert_eq!(
            st.purse.single_payment_limit, m.limit,
            "single-payment limit"
        );
        let hist: Vec<(u8, u32, u16)> = (1..=10)
            .filter_map(|n| st.log.record(n))
            .map(|r| {
                (
                    r[9],
                    u32::from_be_bytes([r[5], r[6], r[7], r[8]]),
                    u16::from_be_bytes([r[0], r[1]]),
                )
            })
            .collect();
        assert_eq!(hist, m.history, "history: the last ten, newest first");
        // Every committed purchase has exactly one record at the POS.
        assert_eq!(
            s.records.len() as u32,
            m.purchases,
            "one record per purchase"
        );
        let mut keys: Vec<u16> = s.records.iter().map(|r| r.counter).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), s.records.len(), "no counter recorded twice");
        assert_eq!(
            s.bills.len() as u32,
            m.bills,
            "one operator record per bill"
        );
        assert_eq!(
            s.ota.len() as u32,
            m.ota_loads,
            "one issuer booking per OTA load"
        );
        // Bank: charges − reversals = loads, once the reversal queue is empty.
        if s.journal.pending_reversals().unwrap().is_empty()
            && s.journal.unfinished_topups().unwrap().is_empty()
        {
            let t = s.bank.totals().unwrap();
            assert_eq!(
                t.charged - t.reversed,
                m.loaded_total,
                "bank vs wallet loads"
            );
        }
    }

    fn teardown(mut s: Sut, m: Model) {
        // The acquirer is back: drain the queue; everything reconciles.
        s.pos.card.rearm(CardFault::None);
        s.pos.resume(&s.journal, &s.bank, &mut |_| {}).unwrap();
        assert!(s.journal.pending_reversals().unwrap().is_empty());
        assert!(s.journal.unfinished_topups().unwrap().is_empty());
        let t = s.bank.totals().unwrap();
        assert_eq!(t.charged - t.reversed, m.loaded_total);
        assert_eq!(t.open, 0);
        // Settlement: every purchase with a valid TAC settles once; a replay changes nothing.
        let mut clearing = ClearingHost::new(
            s.issuer.clone(),
            SqliteLedger::open(Path::new(":memory:")).unwrap(),
        );
        let serial = s.profile.issuer.serial;
        clearing
            .ledger
            .open_card(&serial, s.profile.purse.balance)
            .unwrap();
        for top in s.journal.all_topups().unwrap() {
            if top.state == stk_wallet::journal::TopupState::Done {
                clearing
                    .ledger
                    .add_load(&serial, top.counter.unwrap(), top.amount)
                    .unwrap();
            }
        }
        // Over-the-air loads: the issuer books each one, and each load TAC verifies.
        for l in &s.ota {
            assert!(clearing.book_load(l).unwrap(), "OTA load TAC: {l:?}");
        }
        // POS uploads and the operator's bill records settle together (the clearing host keys
        // both on the card's counter, and on (termID, TTC)).
        let all: Vec<PurchaseRecord> = s.records.iter().chain(&s.bills).cloned().collect();
        let first = clearing.settle(&all).unwrap();
        assert_eq!(
            first.accepted.len() + first.rejected.len(),
            all.len(),
            "every record judged"
        );
        let forged: u64 = first
            .rejected
            .iter()
            .map(|r| {
                assert_eq!(r.code, Code::HTac, "{}", r.reason);
                u64::from(r.record.amount)
            })
            .sum();
        assert_eq!(forged, m.forged_amount);
        let again = clearing.settle(&all).unwrap();
        assert!(again.accepted.is_empty());
        let shadow = clearing.shadow_balance(&serial).unwrap().unwrap();
        assert_eq!(u64::from(shadow), u64::from(m.balance) + m.forged_amount);
    }
}

prop_state_machine! {
    #![proptest_config(common::model_config())]
    #[test]
    fn wallet_matches_its_model(sequential 1..40 => WalletTest);
}

prop_state_machine! {
    #![proptest_config(common::model_config())]
    /// The throughput figure of `benches/README.md`: schedules of exactly 50 steps.
    /// `PROPTEST_CASES=10000 cargo test --release --test model -- --ignored fifty`
    #[test]
    #[ignore = "a long run; see the doc comment"]
    fn fifty_step_schedules_match_the_model(sequential 50..=50 => WalletTest);
}
