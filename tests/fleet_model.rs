//! A reference model of a fleet: three cards (their own serials, so their own diversified keys)
//! and two terminals (each its own `TerminalHome` in a temporary folder, with its own termID,
//! PSAM and journal) sharing one issuer, one acquirer (bank) and one clearing host.
//!
//! Steps: a purchase of any card at any terminal (possibly its DEBIT answer lost or the power
//! cut inside the DEBIT's commit, or its TAC corrupted on the way to the POS), an integrated
//! top-up (the issuer or the acquirer down, the CREDIT's answer lost, the power cut inside it,
//! the issuer's MAC2 corrupted, or the customer walking off with the card when the CREDIT goes
//! out, delivered or not), `resume` at a terminal with a card presented (the acquirer possibly
//! down), and the settlement of one terminal's journal or of all.
//!
//! What the model expects follows docs/spec.md §5: a sale whose DEBIT answer was lost stays in
//! doubt at its terminal, for that card, until the card is tapped there again, whatever the card
//! does elsewhere meanwhile; it is then completed with its TAC if the card made no transaction
//! since (the proof covers the last one), flagged without a TAC otherwise (manual settlement: the
//! clearing host rejects it, `H-TAC`), or started over if the card shows it did not happen. A
//! top-up whose card left with the CREDIT stays `loading` until `resume` at its terminal with the
//! card presented decides it from the counter: confirmed if the CREDIT reached the card,
//! reversed if not. The model keeps every transaction in doubt to at most ten intervening
//! transactions on its card (the generator forces the deciding step, and a step that would
//! pass ten is refused), the range where the spec's counter rule cannot mistake
//! another transaction for the one in doubt.
//!
//! Invariants after every step: each card's balance and counters are the model's and its money
//! is conserved (balance = initial + loads − purchases); sales and loads in doubt are where the
//! model has them; every committed sale has exactly one journaled record, TTCs are unique per
//! terminal, (serial, counter) unique in the fleet, top-up ids unique; the bank's charges −
//! reversals = the cards' POS loads once no top-up is unfinished; the clearing host accepts each
//! sale at most once, never more than the genuine ones, and once everything is settled and the
//! card has nothing in doubt its shadow balance is the card's balance plus the sales it cannot
//! accept (TAC corrupted in transit, recovered without a TAC). Teardown decides everything,
//! settles every terminal, checks the totals exactly and replays every upload (nothing accepted).
//!
//! CI runs proptest's default 256 cases of 1-59 steps (`PROPTEST_CASES` scales it):
//! `PROPTEST_CASES=2000 cargo test --release --test fleet_model`. Failing cases shrink to a
//! minimal schedule and are saved in `tests/fleet_model.proptest-regressions`.

mod common;

use common::{fleet_profile, tick_clock};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::cell::RefCell;
use std::collections::HashSet;
use std::path::Path;
use stk_wallet::acquirer::{FlakyAcquirer, SqliteBank};
use stk_wallet::card::Card;
use stk_wallet::errors::Code;
use stk_wallet::fault::{
    CardFault, FaultyTransport, FlakyIssuer, IssuerFault, LinkFault, MacField, Tear, TearPoint,
    Trigger,
};
use stk_wallet::home::TerminalHome;
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::TopupState;
use stk_wallet::pos::{PosError, PurchaseRecord};
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};
use stk_wallet::transport::sim::{SharedCard, SimCard, shared};
use stk_wallet::transport::{Transport, TransportError};

const CARDS: usize = 3;
const TERMS: usize = 2;
const PIN: &str = "123456";
const INS_CREDIT: u8 = 0x52;
const INS_DEBIT: u8 = 0x54;
/// DEBIT/CREDIT commit 5 changes in 12 writes (0-11); the journal is armed by write 5.
const MONEY_ARM: u32 = 5;
const MONEY_WRITES: u32 = 12;
/// A transaction in doubt is decided after at most this many transactions on its card.
const MAX_SINCE: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SaleFault {
    None,
    /// The card executes the DEBIT; its answer is lost.
    LoseDebit,
    /// The power goes before write k of the DEBIT's commit.
    TearDebit(u32),
    /// The TAC in the DEBIT answer is corrupted on its way to the POS.
    BadTac,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoadFault {
    None,
    LoseCredit,
    TearCredit(u32),
    BadLoadMac2,
    IssuerDown,
    /// The acquirer link fails this many calls (the charge first).
    AcquirerDown(u32),
    /// The card leaves the field as the CREDIT goes out: it executes it (`true`) or never gets
    /// it; the POS cannot ask the card, so the top-up stays `loading`.
    WalkAway(bool),
}

#[derive(Clone, Debug)]
enum Step {
    Purchase {
        card: usize,
        term: usize,
        amount: u32,
        fault: SaleFault,
    },
    Topup {
        card: usize,
        term: usize,
        amount: u32,
        fault: LoadFault,
    },
    /// `pos resume` at `term` with `card` in the field.
    Resume {
        card: usize,
        term: usize,
        acquirer_down: u32,
    },
    /// `settle` of one terminal's journal, or of every terminal's (`None`).
    Settle { term: Option<usize> },
}

/// A transaction in doubt: whether the card committed it, and how many transactions the card
/// has committed since.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Doubt {
    amount: u32,
    happened: bool,
    since: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CardModel {
    balance: u32,
    cap: u32,
    limit: u32,
    online: u16,
    offline: u16,
    /// POS top-ups on the card (the bank's side of the accounting).
    loaded: u64,
    spent: u64,
    /// Sales with a genuine TAC: the clearing host must accept each once.
    genuine: u64,
    /// Sales whose TAC was corrupted in transit (rejected `H-TAC`).
    forged: u64,
    /// Sales recovered without a TAC (flagged for manual settlement, rejected `H-TAC`).
    manual: u64,
    /// Journaled sale records.
    records: u32,
    sale_in_doubt: [Option<Doubt>; TERMS],
    loads_in_doubt: [Vec<Doubt>; TERMS],
}

impl CardModel {
    fn all_doubts(&self) -> impl Iterator<Item = &Doubt> {
        self.sale_in_doubt
            .iter()
            .flatten()
            .chain(self.loads_in_doubt.iter().flatten())
    }

    fn doubts_mut(&mut self) -> impl Iterator<Item = &mut Doubt> {
        self.sale_in_doubt
            .iter_mut()
            .flatten()
            .chain(self.loads_in_doubt.iter_mut().flatten())
    }

    /// The card committed a transaction: everything in doubt on it is one further away.
    fn committed(&mut self) {
        for d in self.doubts_mut() {
            d.since += 1;
        }
    }

    fn debit(&mut self, amount: u32) {
        self.committed();
        self.balance -= amount;
        self.offline += 1;
        self.spent += u64::from(amount);
        self.records += 1;
    }

    fn credit(&mut self, amount: u32) {
        self.committed();
        self.balance += amount;
        self.online += 1;
        self.loaded += u64::from(amount);
    }

    fn allows_sale(&self, amount: u32) -> bool {
        amount <= self.limit && amount <= self.balance
    }

    fn fits(&self, amount: u32) -> bool {
        u64::from(self.balance) + u64::from(amount) <= u64::from(self.cap)
    }

    fn nothing_in_doubt(&self) -> bool {
        self.all_doubts().next().is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Fleet {
    initial: u32,
    cards: Vec<CardModel>,
}

impl Fleet {
    /// The step that must come next: `resume` for a load in doubt for ten transactions, the
    /// deciding tap for a sale in doubt for nine (it may add a transaction, and the card may
    /// have another sale in doubt at the other terminal; a load is decided first).
    fn overdue(&self) -> Option<Step> {
        for (card, m) in self.cards.iter().enumerate() {
            for term in 0..TERMS {
                if m.loads_in_doubt[term].iter().any(|d| d.since >= MAX_SINCE) {
                    return Some(Step::Resume {
                        card,
                        term,
                        acquirer_down: 0,
                    });
                }
            }
            for term in 0..TERMS {
                if let Some(d) = &m.sale_in_doubt[term]
                    && d.since >= MAX_SINCE - 1
                {
                    return Some(Step::Purchase {
                        card,
                        term,
                        amount: d.amount,
                        fault: SaleFault::None,
                    });
                }
            }
        }
        None
    }
}

fn sale_fault() -> BoxedStrategy<SaleFault> {
    prop_oneof![
        5 => Just(SaleFault::None),
        2 => Just(SaleFault::LoseDebit),
        2 => (0..MONEY_WRITES).prop_map(SaleFault::TearDebit),
        1 => Just(SaleFault::BadTac),
    ]
    .boxed()
}

fn load_fault() -> BoxedStrategy<LoadFault> {
    prop_oneof![
        5 => Just(LoadFault::None),
        1 => Just(LoadFault::LoseCredit),
        1 => (0..MONEY_WRITES).prop_map(LoadFault::TearCredit),
        1 => Just(LoadFault::BadLoadMac2),
        1 => Just(LoadFault::IssuerDown),
        1 => (1u32..=3).prop_map(LoadFault::AcquirerDown),
        3 => any::<bool>().prop_map(LoadFault::WalkAway),
    ]
    .boxed()
}

struct FleetModel;

impl ReferenceStateMachine for FleetModel {
    type State = Fleet;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Fleet> {
        let p = Profile::default_profile();
        let card = CardModel {
            balance: p.purse.balance,
            cap: p.purse.balance_cap,
            limit: p.purse.single_payment_limit,
            online: p.purse.online_counter,
            offline: p.purse.offline_counter,
            loaded: 0,
            spent: 0,
            genuine: 0,
            forged: 0,
            manual: 0,
            records: 0,
            sale_in_doubt: Default::default(),
            loads_in_doubt: Default::default(),
        };
        Just(Fleet {
            initial: p.purse.balance,
            cards: vec![card; CARDS],
        })
        .boxed()
    }

    fn transitions(f: &Fleet) -> BoxedStrategy<Step> {
        if let Some(step) = f.overdue() {
            return Just(step).boxed();
        }
        // Card 0 is tapped most, so that its transactions in doubt wait long.
        let card = prop_oneof![3 => Just(0usize), 2 => 1..CARDS];
        let term = 0..TERMS;
        let edges = |m: &CardModel| {
            let room = m.cap - m.balance;
            (
                prop_oneof![
                    Just(m.limit),
                    Just(m.limit + 1),
                    Just(m.balance.max(1)),
                    Just(m.balance + 1)
                ],
                prop_oneof![Just(room.max(1)), Just(room + 1)],
            )
        };
        // Amounts near each card's limit, balance and room (the edges of card 0 and 2).
        let (sale0, load0) = edges(&f.cards[0]);
        let (sale2, load2) = edges(&f.cards[CARDS - 1]);
        let sale = prop_oneof![4 => 1u32..=3000, 1 => 1u32..=25000, 1 => sale0, 1 => sale2];
        let load = prop_oneof![4 => 1u32..=60000, 1 => load0, 1 => load2];
        prop_oneof![
            6 => (card.clone(), term.clone(), sale, sale_fault()).prop_map(
                |(card, term, amount, fault)| Step::Purchase { card, term, amount, fault }
            ),
            4 => (card.clone(), term.clone(), load, load_fault()).prop_map(
                |(card, term, amount, fault)| Step::Topup { card, term, amount, fault }
            ),
            1 => (card, term.clone(), prop_oneof![3 => Just(0u32), 1 => 1u32..=2]).prop_map(
                |(card, term, acquirer_down)| Step::Resume { card, term, acquirer_down }
            ),
            1 => prop_oneof![Just(None), term.prop_map(Some)]
                .prop_map(|term| Step::Settle { term }),
        ]
        .boxed()
    }

    /// A step on a card may add one transaction to it: every other transaction in doubt on that
    /// card must stay within ten (shrinking re-checks this).
    fn preconditions(f: &Fleet, step: &Step) -> bool {
        let m = |c: usize| &f.cards[c];
        let within = |c: usize, skip_sale: Option<usize>| {
            let sales = m(c)
                .sale_in_doubt
                .iter()
                .enumerate()
                .filter(|(t, _)| Some(*t) != skip_sale)
                .filter_map(|(_, d)| d.as_ref());
            sales
                .chain(m(c).loads_in_doubt.iter().flatten())
                .all(|d| d.since < MAX_SINCE)
        };
        match step {
            Step::Purchase { card, term, .. } => within(*card, Some(*term)),
            Step::Topup { card, .. } => within(*card, None),
            Step::Resume { .. } | Step::Settle { .. } => true,
        }
    }

    fn apply(mut f: Fleet, step: &Step) -> Fleet {
        match *step {
            Step::Purchase {
                card,
                term,
                amount,
                fault,
            } => {
                let m = &mut f.cards[card];
                if let Some(d) = m.sale_in_doubt[term].take() {
                    // The tap decides the sale in doubt first (this tap's fault is not armed).
                    if d.happened {
                        m.records += 1;
                        if d.since == 0 {
                            m.genuine += u64::from(d.amount);
                        } else {
                            m.manual += u64::from(d.amount);
                        }
                    } else if m.allows_sale(d.amount) {
                        m.debit(d.amount);
                        m.genuine += u64::from(d.amount);
                    }
                    return f;
                }
                if !m.allows_sale(amount) {
                    return f; // INITIALIZE refuses: no TTC, nothing in doubt
                }
                match fault {
                    SaleFault::None => {
                        m.debit(amount);
                        m.genuine += u64::from(amount);
                    }
                    SaleFault::BadTac => {
                        m.debit(amount);
                        m.forged += u64::from(amount);
                    }
                    SaleFault::LoseDebit | SaleFault::TearDebit(_) => {
                        let happened = match fault {
                            SaleFault::TearDebit(k) => k > MONEY_ARM,
                            _ => true,
                        };
                        if happened {
                            // The record comes when the sale is decided.
                            m.debit(amount);
                            m.records -= 1;
                        }
                        m.sale_in_doubt[term] = Some(Doubt {
                            amount,
                            happened,
                            since: 0,
                        });
                    }
                }
            }
            Step::Topup {
                card,
                term,
                amount,
                fault,
            } => {
                let m = &mut f.cards[card];
                if !m.fits(amount) {
                    return f; // INITIALIZE FOR LOAD refuses: the charge is reversed
                }
                match fault {
                    LoadFault::None | LoadFault::LoseCredit => m.credit(amount),
                    LoadFault::TearCredit(k) if k > MONEY_ARM => m.credit(amount),
                    LoadFault::WalkAway(delivered) => {
                        if delivered {
                            m.credit(amount);
                        }
                        m.loads_in_doubt[term].push(Doubt {
                            amount,
                            happened: delivered,
                            since: 0,
                        });
                    }
                    _ => {}
                }
            }
            // The card presented decides its loads in doubt at that terminal (those that
            // happened are on the card already: confirmed; the others reversed).
            Step::Resume { card, term, .. } => f.cards[card].loads_in_doubt[term].clear(),
            Step::Settle { .. } => {}
        }
        f
    }
}

/// The reader's field: the fault injector, and a card that may leave as the CREDIT goes out.
struct Field {
    inner: FaultyTransport<SimCard>,
    /// Leave at the CREDIT: after executing it (`Some(true)`) or before (`Some(false)`).
    walk_away: Option<bool>,
    gone: bool,
}

impl Transport for Field {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.gone {
            return Err(TransportError::NoResponse);
        }
        if let Some(delivered) = self.walk_away
            && apdu.get(1) == Some(&INS_CREDIT)
        {
            self.gone = true;
            if delivered {
                let _ = self.inner.transmit_raw(apdu);
            }
            return Err(TransportError::NoResponse);
        }
        self.inner.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        if self.gone {
            return Err(TransportError::NoResponse);
        }
        self.inner.reset()
    }
    fn describe(&self) -> String {
        format!("{} in a field it may leave", self.inner.describe())
    }
}

struct Terminal {
    home: TerminalHome,
    /// The records this terminal has uploaded.
    uploaded: Vec<PurchaseRecord>,
    /// Something happened here since its last settlement.
    dirty: bool,
}

struct Sut {
    cards: Vec<SharedCard>,
    serials: Vec<[u8; 10]>,
    profile: Profile,
    terms: Vec<Terminal>,
    issuer: IssuerHost,
    bank: SqliteBank,
    clearing: RefCell<ClearingHost<SqliteLedger>>,
    /// Everything the clearing host accepted, and rejected, over every settlement.
    accepted: Vec<PurchaseRecord>,
    rejected: Vec<PurchaseRecord>,
    tick: u32,
    _dir: tempfile::TempDir,
}

fn card_fault(f: SaleFault) -> CardFault {
    match f {
        SaleFault::None => CardFault::None,
        SaleFault::LoseDebit => CardFault::Link(LinkFault::LoseResponse(Trigger::Ins(INS_DEBIT))),
        SaleFault::TearDebit(k) => CardFault::Power(Tear {
            ins: INS_DEBIT,
            at: TearPoint::Write(k),
        }),
        SaleFault::BadTac => CardFault::Link(LinkFault::BadMac(MacField::Tac)),
    }
}

fn term_id(t: usize) -> [u8; 6] {
    [0x00, 0x11, 0x22, 0x33, 0x44, 0x50 + t as u8]
}

impl Sut {
    fn field(&self, card: usize, fault: CardFault, walk_away: Option<bool>) -> Field {
        let c = &self.cards[card];
        Field {
            inner: FaultyTransport::new(SimCard::contactless(c.clone()), Some(c.clone()), fault),
            walk_away,
            gone: false,
        }
    }

    /// Every record a terminal journaled: uploaded or waiting.
    fn records(&self, t: usize) -> Vec<PurchaseRecord> {
        let mut v = self.terms[t].uploaded.clone();
        v.extend(self.terms[t].home.journal.sales_to_upload().unwrap());
        v
    }

    fn settle(&mut self, t: usize) {
        let term = &mut self.terms[t];
        let up = term.home.journal.sales_to_upload().unwrap();
        let mut clearing = self.clearing.borrow_mut();
        let rep = clearing.settle(&up).unwrap();
        assert_eq!(rep.accepted.len() + rep.rejected.len(), up.len());
        for r in &rep.rejected {
            // A sale is uploaded once, by the terminal that made it: never a duplicate.
            assert_eq!(r.code, Code::HTac, "{}", r.reason);
            self.rejected.push(r.record.clone());
        }
        self.accepted.extend(rep.accepted);
        term.home.journal.mark_uploaded(&up).unwrap();
        term.uploaded.extend(up);
        for top in term.home.journal.all_topups().unwrap() {
            if let (TopupState::Loaded | TopupState::Done, Some(s), Some(c)) =
                (top.state, top.serial, top.counter)
            {
                clearing.ledger.add_load(&s, c, top.amount).unwrap();
            }
        }
        term.dirty = false;
    }

    fn resume(&mut self, card: usize, t: usize, acquirer_down: u32) {
        let field = self.field(card, CardFault::None, None);
        let home = &self.terms[t].home;
        let mut pos = home
            .pos(
                field,
                tick_clock(self.tick),
                self.profile.wallet_aid.clone(),
            )
            .unwrap();
        let acq = FlakyAcquirer::new(&self.bank, acquirer_down);
        pos.resume(&home.journal, &acq, &mut |_| {}).unwrap();
    }
}

fn sum(records: &[PurchaseRecord], serial: &[u8; 10]) -> u64 {
    records
        .iter()
        .filter(|r| r.serial == *serial)
        .map(|r| u64::from(r.amount))
        .sum()
}

struct FleetTest;

impl StateMachineTest for FleetTest {
    type SystemUnderTest = Sut;
    type Reference = FleetModel;

    fn init_test(_: &Fleet) -> Sut {
        let p = Profile::default_profile();
        // Terminal homes are SQLite files synced on every commit: in memory when it can be.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .unwrap();
        let profiles: Vec<Profile> = (0..CARDS as u8).map(fleet_profile).collect();
        let terms = (0..TERMS)
            .map(|t| {
                let home =
                    TerminalHome::open(&dir.path().join(format!("pos{t}")), &p, Some(term_id(t)))
                        .unwrap();
                // The model retries every reversal until the acquirer acknowledges it: no
                // reversal is handed to a person here (tests/topup_field.rs covers that).
                let mut params = home.journal.params().unwrap();
                params.reversal_tries = 99;
                home.journal.set_params(&params).unwrap();
                Terminal {
                    home,
                    uploaded: Vec::new(),
                    dirty: false,
                }
            })
            .collect();
        let mem = Path::new(":memory:");
        let mut clearing = ClearingHost::new(
            IssuerHost::from_profile(&p),
            SqliteLedger::open(mem).unwrap(),
        );
        for q in &profiles {
            clearing
                .ledger
                .open_card(&q.issuer.serial, q.purse.balance)
                .unwrap();
        }
        Sut {
            cards: profiles
                .iter()
                .map(|q| shared(Card::personalise(q)))
                .collect(),
            serials: profiles.iter().map(|q| q.issuer.serial).collect(),
            issuer: IssuerHost::from_profile(&p),
            profile: p,
            terms,
            bank: SqliteBank::open(mem).unwrap(),
            clearing: RefCell::new(clearing),
            accepted: Vec::new(),
            rejected: Vec::new(),
            tick: 0,
            _dir: dir,
        }
    }

    fn apply(mut s: Sut, _: &Fleet, step: Step) -> Sut {
        s.tick += 1;
        let clock = tick_clock(s.tick);
        let aid = s.profile.wallet_aid.clone();
        match step {
            Step::Purchase {
                card,
                term,
                amount,
                fault,
            } => {
                s.terms[term].dirty = true;
                let serial = s.serials[card];
                let doubt = s.terms[term].home.in_doubt(&serial).unwrap();
                // The till finishes the sale in doubt before any other of this card.
                let (amount, fault) = match &doubt {
                    Some(d) => (d.amount, CardFault::None),
                    None => (amount, card_fault(fault)),
                };
                let field = s.field(card, fault, None);
                let home = &s.terms[term].home;
                let mut pos = home.pos(field, clock, aid).unwrap();
                let r = home.sale(&mut pos, amount);
                match &r {
                    Ok(out) => assert_eq!(out.record.serial, serial),
                    Err(PosError::InDoubt(d)) => assert_eq!(d.term_id, term_id(term)),
                    Err(PosError::Card { .. } | PosError::Digest { .. }) => {}
                    Err(e) => panic!("sale of {amount} at terminal {term}: {e}"),
                }
            }
            Step::Topup {
                card,
                term,
                amount,
                fault,
            } => {
                s.terms[term].dirty = true;
                let (cf, walk) = match fault {
                    LoadFault::LoseCredit => (
                        CardFault::Link(LinkFault::LoseResponse(Trigger::Ins(INS_CREDIT))),
                        None,
                    ),
                    LoadFault::TearCredit(k) => (
                        CardFault::Power(Tear {
                            ins: INS_CREDIT,
                            at: TearPoint::Write(k),
                        }),
                        None,
                    ),
                    LoadFault::BadLoadMac2 => {
                        (CardFault::Link(LinkFault::BadMac(MacField::LoadMac2)), None)
                    }
                    LoadFault::WalkAway(d) => (CardFault::None, Some(d)),
                    _ => (CardFault::None, None),
                };
                let down = match fault {
                    LoadFault::AcquirerDown(n) => n,
                    _ => 0,
                };
                let issuer_fault = (fault == LoadFault::IssuerDown).then_some(IssuerFault::Down(1));
                let field = s.field(card, cf, walk);
                let home = &s.terms[term].home;
                let mut pos = home.pos(field, clock, aid).unwrap();
                let acq = FlakyAcquirer::new(&s.bank, down);
                let link = FlakyIssuer::maybe(&s.issuer, issuer_fault);
                let pan = format!("62220000000000{card:02}");
                let _ = pos.topup(&home.journal, &link, &acq, &pan, amount, PIN, &mut |_| {});
            }
            Step::Resume {
                card,
                term,
                acquirer_down,
            } => {
                s.terms[term].dirty = true;
                s.resume(card, term, acquirer_down);
            }
            Step::Settle { term } => match term {
                Some(t) => s.settle(t),
                None => (0..TERMS).for_each(|t| s.settle(t)),
            },
        }
        s
    }

    fn check_invariants(s: &Sut, f: &Fleet) {
        let mut fleet_keys = HashSet::new();
        let mut txns = HashSet::new();
        let mut all_clear = true;
        for (t, term) in s.terms.iter().enumerate() {
            let records = s.records(t);
            let mut ttcs = HashSet::new();
            for r in &records {
                assert_eq!(r.term_id, term_id(t), "a record of another terminal");
                assert!(
                    ttcs.insert(r.ttc),
                    "TTC {} used twice at terminal {t}",
                    r.ttc
                );
                assert!(
                    fleet_keys.insert((r.serial, r.counter)),
                    "card {} counter {} recorded twice",
                    hex::encode_upper(r.serial),
                    r.counter
                );
            }
            let j = &term.home.journal;
            let unfinished = j.unfinished_topups().unwrap();
            all_clear &= unfinished.is_empty() && j.pending_reversals().unwrap().is_empty();
            for top in j.all_topups().unwrap() {
                assert!(
                    top.txn.starts_with(&hex::encode_upper(term_id(t))),
                    "{}",
                    top.txn
                );
                assert!(txns.insert(top.txn.clone()), "top-up id {} reused", top.txn);
            }
            for (c, serial) in s.serials.iter().enumerate() {
                let m = &f.cards[c];
                assert_eq!(
                    term.home.in_doubt(serial).unwrap().map(|d| d.amount),
                    m.sale_in_doubt[t].as_ref().map(|d| d.amount),
                    "card {c}'s sale in doubt at terminal {t}"
                );
                let loading = unfinished
                    .iter()
                    .filter(|r| r.state == TopupState::Loading && r.serial == Some(*serial))
                    .count();
                assert_eq!(
                    loading,
                    m.loads_in_doubt[t].len(),
                    "card {c}'s loads in doubt at terminal {t}"
                );
            }
        }
        let mut accepted = HashSet::new();
        for r in &s.accepted {
            assert!(
                accepted.insert((r.serial, r.counter)),
                "a sale accepted twice"
            );
        }
        let settled = s.terms.iter().all(|t| !t.dirty);
        let mut clearing = s.clearing.borrow_mut();
        for (c, card) in s.cards.iter().enumerate() {
            let m = &f.cards[c];
            let serial = &s.serials[c];
            // A card left torn is judged by what it holds after its next power-up.
            let mut card = card.borrow().clone();
            card.power_cycle();
            let purse = &card.state().purse;
            assert_eq!(purse.balance, m.balance, "card {c}'s balance");
            assert_eq!(
                u64::from(purse.balance),
                u64::from(f.initial) + m.loaded - m.spent,
                "card {c}: money conserved"
            );
            assert_eq!(
                (purse.online_counter, purse.offline_counter),
                (m.online, m.offline),
                "card {c}'s counters"
            );
            let recs = fleet_keys.iter().filter(|(s, _)| s == serial).count();
            assert_eq!(recs as u32, m.records, "card {c}: one record per sale");
            assert!(sum(&s.accepted, serial) <= m.genuine, "card {c}: accepted");
            if settled && m.nothing_in_doubt() {
                assert_eq!(sum(&s.accepted, serial), m.genuine, "card {c}: accepted");
                assert_eq!(
                    sum(&s.rejected, serial),
                    m.forged + m.manual,
                    "card {c}: rejected"
                );
                let shadow = clearing.shadow_balance(serial).unwrap().unwrap();
                assert_eq!(
                    u64::from(shadow),
                    u64::from(m.balance) + m.forged + m.manual,
                    "card {c}: shadow balance"
                );
            }
        }
        if all_clear {
            let t = s.bank.totals().unwrap();
            let loaded: u64 = f.cards.iter().map(|m| m.loaded).sum();
            assert_eq!(t.charged - t.reversed, loaded, "bank vs POS loads");
        }
    }

    fn teardown(mut s: Sut, mut f: Fleet) {
        // Decide everything: every card at every terminal, loads first (resume adds no
        // transaction to the card), then the sales in doubt.
        let mut steps = Vec::new();
        for card in 0..CARDS {
            for term in 0..TERMS {
                steps.push(Step::Resume {
                    card,
                    term,
                    acquirer_down: 0,
                });
            }
        }
        for card in 0..CARDS {
            for term in 0..TERMS {
                if let Some(d) = &f.cards[card].sale_in_doubt[term] {
                    steps.push(Step::Purchase {
                        card,
                        term,
                        amount: d.amount,
                        fault: SaleFault::None,
                    });
                }
            }
        }
        steps.push(Step::Settle { term: None });
        for step in steps {
            f = FleetModel::apply(f, &step);
            s = FleetTest::apply(s, &f, step);
            FleetTest::check_invariants(&s, &f);
        }
        let t = s.bank.totals().unwrap();
        assert_eq!(
            t.charged - t.reversed,
            f.cards.iter().map(|m| m.loaded).sum::<u64>()
        );
        assert_eq!(t.open, 0, "every charge confirmed or reversed");
        for (c, serial) in s.serials.iter().enumerate() {
            let m = &f.cards[c];
            assert!(m.nothing_in_doubt());
            assert_eq!(sum(&s.accepted, serial), m.genuine);
            assert_eq!(sum(&s.rejected, serial), m.forged + m.manual);
            let shadow = s
                .clearing
                .borrow_mut()
                .shadow_balance(serial)
                .unwrap()
                .unwrap();
            assert_eq!(
                u64::from(shadow),
                u64::from(m.balance) + m.forged + m.manual
            );
        }
        // Every upload again: nothing more is accepted.
        let all: Vec<PurchaseRecord> = (0..TERMS).flat_map(|t| s.records(t)).collect();
        let again = s.clearing.borrow_mut().settle(&all).unwrap();
        assert!(again.accepted.is_empty(), "a replayed upload was accepted");
    }
}

prop_state_machine! {
    #![proptest_config(common::model_config())]
    #[test]
    fn fleet_matches_its_model(sequential 1..60 => FleetTest);
}
