//! Every error-catalogue code is raised by the program: the table below provokes each [`Code`]
//! through the code path that raises it (POS flows, hosts, clearing, card images, profiles,
//! the vector runner) and must cover `Code::ALL`. A code nothing raises does not belong in the
//! catalogue. The CLI's `explain` is checked as a process: every code, status words, patterns,
//! the list, and a clear refusal of an unknown code.

use std::path::Path;
use std::process::{Command, Output};
use stk_wallet::acquirer::{AcquirerHost, FlakyAcquirer, SqliteBank};
use stk_wallet::card::{Card, image};
use stk_wallet::errors::{self, Code, Reason};
use stk_wallet::fault::{CardFault, FaultPlan, FaultyTransport, FlakyIssuer, IssuerFault};
use stk_wallet::host::{HostError, IssuerHost};
use stk_wallet::journal::Journal;
use stk_wallet::pos::{Clock, Pos, PosError, PurchaseRecord};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::{SimCard, SimPsam, shared};
use stk_wallet::transport::{Transport, TransportError};
use stk_wallet::vectors::runner::{self, Target};
use stk_wallet::vectors::scriptor;

const BIN: &str = env!("CARGO_BIN_EXE_stk-wallet");

type FPos = Pos<FaultyTransport<SimCard>, SimPsam>;

/// A POS on a fresh default card (balance 100.00) with `plan` injected on the card side.
fn pos(plan: &str) -> FPos {
    pos_with(plan, |_| {})
}

fn pos_with(plan: &str, psam: impl FnOnce(&mut Psam)) -> FPos {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let mut s = Psam::from_profile(&p);
    psam(&mut s);
    Pos::new(
        FaultyTransport::new(
            SimCard::contactless(card.clone()),
            Some(card),
            plan.parse::<CardFault>().expect("fault plan"),
        ),
        SimPsam::new(s),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    )
}

fn host() -> IssuerHost {
    IssuerHost::from_profile(&Profile::default_profile())
}

fn purchase_fails(plan: &str) -> Reason {
    pos(plan)
        .purchase(700)
        .expect_err("the purchase fails")
        .code()
}

// ---- P- ----

fn digest() -> Reason {
    let e = pos("bad-mac:mac2").purchase(700).unwrap_err();
    assert!(matches!(e, PosError::Digest { .. }), "{e}");
    e.code()
}

fn no_response() -> Reason {
    purchase_fails("lose-response:debit")
}

fn torn_recovered() -> Reason {
    let mut pos = pos("lose-response:debit");
    let mut pending = None;
    let first = pos
        .sale(&mut pending, 700)
        .expect_err("first tap loses the answer");
    assert_eq!(first.code(), Code::PNoResponse);
    assert!(pending.is_some());
    let out = pos.sale(&mut pending, 700).expect("second tap recovers");
    Reason::Code(out.code().expect("a recovered sale has a code"))
}

fn psam_refused() -> Reason {
    // A PSAM without the purchase keys answers 9403 to INIT SAM FOR PURCHASE.
    let e = pos_with("none", |p| p.keys.clear())
        .purchase(700)
        .unwrap_err();
    assert!(
        matches!(e, PosError::Psam { sw, .. } if sw == Sw::KEY_NOT_FOUND),
        "{e}"
    );
    e.code()
}

/// A reader that is unplugged.
struct Unplugged;

impl Transport for Unplugged {
    fn transmit_raw(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::Reader("the reader was unplugged".into()))
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::Reader("the reader was unplugged".into()))
    }
    fn describe(&self) -> String {
        "unplugged reader".into()
    }
}

fn reader() -> Reason {
    let p = Profile::default_profile();
    let mut pos = Pos::new(
        Unplugged,
        SimPsam::new(Psam::from_profile(&p)),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0, 0],
        },
        p.wallet_aid.clone(),
    );
    pos.purchase(700).unwrap_err().code()
}

// ---- H- ----

fn mac1() -> Reason {
    // An issuer host holding another load key than the card's.
    let mut v: serde_json::Value =
        serde_json::from_str(stk_wallet::profile::DEFAULT_PROFILE_JSON).unwrap();
    v["keys"]["load"][0]["master"] = "0123456789ABCDEF FEDCBA9876543210".into();
    let other = IssuerHost::from_profile(&Profile::from_value(v).unwrap());
    let e = pos("none").load(&other, 500, "123456").unwrap_err();
    assert!(matches!(e, PosError::Host(HostError::BadMac1)), "{e}");
    e.code()
}

fn unreachable() -> Reason {
    let h = host();
    let link = FlakyIssuer::new(&h, "host-down:1".parse().unwrap());
    pos("none").load(&link, 500, "123456").unwrap_err().code()
}

/// A bank that has already received the reversal of a top-up when its charge arrives.
struct ReversedFirst<'a>(&'a SqliteBank);

impl AcquirerHost for ReversedFirst<'_> {
    fn charge(&self, txn: &str, pan: &str, amount: u32) -> Result<(), HostError> {
        self.0.reverse(txn)?;
        self.0.charge(txn, pan, amount)
    }
    fn confirm(&self, txn: &str) -> Result<(), HostError> {
        self.0.confirm(txn)
    }
    fn reverse(&self, txn: &str) -> Result<(), HostError> {
        self.0.reverse(txn)
    }
}

fn declined() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let bank = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
    let journal = Journal::open(&dir.path().join("pos.db")).unwrap();
    let e = pos("none")
        .topup(
            &journal,
            &host(),
            &ReversedFirst(&bank),
            "6222",
            5000,
            "123456",
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(e, PosError::Host(HostError::Declined(_))), "{e}");
    e.code()
}

fn conflict() -> Reason {
    // The bank already holds a charge of another amount under the id the terminal hands out
    // next (a second terminal with the same termID, say): the charge is refused, nothing is
    // loaded, and the other charge is not reversed.
    let dir = tempfile::tempdir().unwrap();
    let bank = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
    let journal = Journal::open(&dir.path().join("pos.db")).unwrap();
    let mut pos = pos("none");
    let txn = format!(
        "{}-{:08}",
        hex::encode_upper(pos.term_id().unwrap()),
        journal.next_topup_seq().unwrap()
    );
    bank.charge(&txn, "6222", 100).unwrap();
    let e = pos
        .topup(
            &journal,
            &host(),
            &bank,
            "6222",
            5000,
            "123456",
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(e, PosError::Host(HostError::Conflict(_))), "{e}");
    let t = bank.totals().unwrap();
    assert_eq!((t.charged, t.reversed, t.open), (100, 0, 100), "{t:?}");
    assert!(journal.pending_reversals().unwrap().is_empty());
    e.code()
}

fn reversal_pending() -> Reason {
    // The issuer is down after the charge, so the charge is reversed; the acquirer link drops
    // right after the charge, so the reversal cannot be delivered and is queued.
    let dir = tempfile::tempdir().unwrap();
    let bank = SqliteBank::open(&dir.path().join("bank.db")).unwrap();
    let journal = Journal::open(&dir.path().join("pos.db")).unwrap();
    let h = host();
    let link = FlakyIssuer::new(&h, IssuerFault::Down(1));
    let acq = FlakyAcquirer::new(&bank, 0);
    let r = pos("none")
        .topup(&journal, &link, &acq, "6222", 5000, "123456", &mut |step| {
            if step == "charged" {
                acq.down_for.set(2);
            }
        })
        .expect("the top-up ends reversed");
    Reason::Code(
        r.outcome
            .code()
            .expect("an unacknowledged reversal has a code"),
    )
}

/// The clearing host's verdict on `records` uploaded after a clean first one.
fn clearing(records: impl FnOnce(&mut FPos) -> Vec<PurchaseRecord>) -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let p = Profile::default_profile();
    let mut clearing = ClearingHost::new(
        host(),
        SqliteLedger::open(&dir.path().join("ledger.db")).unwrap(),
    );
    clearing.ledger.open_card(&p.issuer.serial, 10000).unwrap();
    let mut pos = pos("none");
    let records = records(&mut pos);
    let rep = clearing.settle(&records).unwrap();
    assert_eq!(rep.rejected.len(), 1, "{rep:?}");
    Reason::Code(rep.rejected[0].code)
}

fn tac() -> Reason {
    clearing(|pos| {
        pos.card.rearm("bad-mac:tac".parse::<CardFault>().unwrap());
        vec![pos.purchase(500).unwrap()]
    })
}

fn duplicate() -> Reason {
    // A sale replayed under another card counter (the TAC does not cover the counter).
    clearing(|pos| {
        let r = pos.purchase(500).unwrap();
        let mut replay = r.clone();
        replay.counter += 1;
        vec![r, replay]
    })
}

/// The first catalogue code `settle` (run as a process in `d`) names on its error output.
fn settle_code(d: &Path, args: &[&str]) -> Reason {
    let o = Command::new(BIN)
        .current_dir(d)
        .env_remove("STK_TERMINAL")
        .args(args)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{args:?} succeeded");
    let err = format!("{}{}", stderr(&o), stdout(&o));
    Code::ALL
        .iter()
        .filter_map(|c| err.find(c.as_str()).map(|at| (at, *c)))
        .min()
        .map(|(_, c)| Reason::Code(c))
        .unwrap_or_else(|| panic!("no code in: {err}"))
}

fn rejection_unresolved() -> Reason {
    // A resolution of a rejection the ledger does not hold open.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "settle",
        "--resolve",
        "7",
        "--by",
        "Li",
        "--why",
        "paid in cash",
    ];
    settle_code(dir.path(), &args)
}

fn unexplained() -> Reason {
    // The ledger has a sale at a counter the presented card never reached (a card image
    // replaced by a fresh one).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let o = Command::new(BIN)
            .current_dir(d)
            .env_remove("STK_TERMINAL")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    ok(&["card", "new"]);
    ok(&["pos", "purchase", "2"]);
    ok(&["settle"]);
    std::fs::remove_file(d.join("card.json")).unwrap();
    ok(&["card", "new"]);
    settle_code(d, &["settle"])
}

/// A shop in a temporary folder: a new card and a terminal.
fn shop_cli(d: &Path, args: &[&[&str]]) {
    for a in args {
        let o = Command::new(BIN)
            .current_dir(d)
            .env_remove("STK_TERMINAL")
            .args(*a)
            .output()
            .unwrap();
        assert!(o.status.code() != Some(2), "{a:?}: {}", stderr(&o));
    }
}

fn bad_bank_card() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"]]);
    let args = [
        "pos",
        "topup",
        "1",
        "--pan",
        "4111111111111112",
        "--bank-pin",
        "2468",
    ];
    settle_code(dir.path(), &args)
}

fn not_found() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"], &["pos", "purchase", "1"]]);
    settle_code(dir.path(), &["pos", "reprint", "--ttc", "99"])
}

/// A shop whose card made one sale of 12.34 yuan (TTC 1) at the terminal.
fn shop_with_sale(d: &Path) {
    shop_cli(d, &[&["card", "new"], &["pos", "purchase", "12.34"]]);
}

fn refunded() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_with_sale(dir.path());
    shop_cli(dir.path(), &[&["pos", "refund", "--ttc", "1"]]);
    settle_code(dir.path(), &["pos", "refund", "--ttc", "1"])
}

fn refund_amount() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_with_sale(dir.path());
    settle_code(
        dir.path(),
        &["pos", "refund", "--ttc", "1", "--amount", "12.35"],
    )
}

fn wrong_card() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shop_with_sale(d);
    let mut p = Profile::default_profile();
    p.name = "other".into();
    p.issuer.serial[9] ^= 0x0F;
    std::fs::write(d.join("other.json"), serde_json::to_string(&p).unwrap()).unwrap();
    shop_cli(
        d,
        &[&["card", "new", "--profile", "other.json", "-o", "b.json"]],
    );
    settle_code(d, &["pos", "--card", "b.json", "refund", "--ttc", "1"])
}

/// The issuer refuses a refund of a sale whose TAC does not verify.
fn refund_refused() -> Reason {
    let mut sale = pos("none").purchase(700).unwrap();
    sale.tac[0] ^= 1;
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
    let mut clearing = ClearingHost::new(host(), ledger);
    let load = stk_wallet::issuer::LoadRequest::from_init(
        sale.serial,
        1,
        &[0; 16],
        700,
        sale.term_id,
        sale.date,
        sale.time,
    );
    let e = clearing
        .authorize_refund(&stk_wallet::issuer::RefundRequest { load, sale })
        .unwrap_err();
    Reason::Code(e.code())
}

fn load_refused() -> Reason {
    // Past the balance cap: refused when the card is read, before any charge.
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"]]);
    settle_code(dir.path(), &["pos", "topup", "9999", "--bank-pin", "2468"])
}

fn expired() -> Reason {
    // The default card's application is valid through 2036-12-31; the terminal's clock is
    // a day later.
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"]]);
    settle_code(
        dir.path(),
        &["pos", "--clock", "20370101 090000", "purchase", "7.00"],
    )
}

fn host_timeout() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"]]);
    settle_code(
        dir.path(),
        &["pos", "load", "1", "--fault", "host-delay:2100"],
    )
}

fn reversal_manual() -> Reason {
    // The acquirer stays down: the topup's try and two resumes make three tries.
    let dir = tempfile::tempdir().unwrap();
    let down = ["--fault", "acquirer-down"];
    shop_cli(
        dir.path(),
        &[
            &["card", "new"],
            &["pos", "topup", "1", "--bank-pin", "2468", down[0], down[1]],
            &["pos", "resume", down[0], down[1]],
            &["pos", "resume", down[0], down[1]],
        ],
    );
    settle_code(dir.path(), &["pos", "reversals"])
}

/// Writes `name`.json: the default profile with a second load key (index 2, version 2) and,
/// if `new_only`, only the keys of index 2 (a card personalised after a key rollover).
fn rolled_profile(d: &Path, name: &str, new_only: bool) {
    let mut p = Profile::default_profile();
    p.name = name.into();
    let mut k = p.keys.load[0].clone();
    k.index = 2;
    k.version = 2;
    k.key.master = Some(std::array::from_fn(|i| 0x60 + i as u8));
    p.keys.load.push(k);
    if new_only {
        p.keys.purchase.retain(|k| k.index == 2);
        p.keys.load.retain(|k| k.index == 2);
    }
    p.validate().unwrap();
    std::fs::write(
        d.join(format!("{name}.json")),
        serde_json::to_string(&p).unwrap(),
    )
    .unwrap();
}

fn not_signed_in() -> Reason {
    // The terminal's only sign-in never reached the issuer: it refuses to sell.
    let dir = tempfile::tempdir().unwrap();
    shop_cli(
        dir.path(),
        &[&["card", "new"], &["pos", "signin", "--fault", "host-down"]],
    );
    settle_code(dir.path(), &["pos", "purchase", "1"])
}

fn key_version() -> Reason {
    // A card personalised with only the new purchase key (index 2) at a terminal on index 1.
    let dir = tempfile::tempdir().unwrap();
    rolled_profile(dir.path(), "new", true);
    shop_cli(
        dir.path(),
        &[
            &["card", "new", "--profile", "new.json"],
            // The terminal signs in while the issuer's purchase key is still index 1.
            &["pos", "signin"],
        ],
    );
    settle_code(
        dir.path(),
        &["pos", "purchase", "1", "--profile", "new.json"],
    )
}

fn key_retired() -> Reason {
    // The issuer rolls the load key over after the terminal signed in: its load is refused.
    let dir = tempfile::tempdir().unwrap();
    rolled_profile(dir.path(), "both", false);
    let p = ["--profile", "both.json"];
    shop_cli(
        dir.path(),
        &[
            &["card", "new", p[0], p[1]],
            &["pos", "balance", p[0], p[1]],
            &["issuer", "roll-key", "load", p[0], p[1]],
        ],
    );
    settle_code(dir.path(), &["pos", "load", "1", p[0], p[1]])
}

// ---- V- ----

/// Runs a vector file written to a temporary folder.
fn run_vector(json: &str) -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.json");
    std::fs::write(&path, json).unwrap();
    let o = runner::run_file(&path, &mut Target::Simulator);
    Reason::Code(o.status.code().expect("the vector does not pass"))
}

fn vector_mismatch() -> Reason {
    run_vector(
        r#"{"name": "m", "steps": [{"select": true}, {"apdu": "80 5C 00 02 04", "expect": "00 00 00 01"}]}"#,
    )
}

fn vector_sw() -> Reason {
    run_vector(
        r#"{"name": "s", "steps": [{"select": true}, {"apdu": "80 5C 00 02 04", "sw": "6985"}]}"#,
    )
}

fn vector_format() -> Reason {
    // A misspelt catalogue code is refused when the file is loaded.
    run_vector(r#"{"name": "f", "steps": [{"purchase": 100, "sw": "P-DIGST"}]}"#)
}

fn vector_limit() -> Reason {
    // A repeat count beyond the runner's limit is refused when the file is loaded.
    run_vector(r#"{"name": "l", "steps": [{"repeat": 4000000000, "steps": [{"select": true}]}]}"#)
}

fn vector_state() -> Reason {
    // A card in a reader whose balance moved: a vector for a fresh card is not run on it.
    let mut p = Profile::default_profile();
    p.purse.balance = 1;
    let mut link = SimCard::contactless(shared(Card::personalise(&p)));
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("v.json");
    std::fs::write(&v, r#"{"name": "st", "steps": [{"balance": 10000}]}"#).unwrap();
    let o = runner::run_file(
        &v,
        &mut Target::External {
            transport: &mut link,
            capabilities: vec!["contactless".into()],
            fresh_card: None,
            other: None,
        },
    );
    Reason::Code(o.status.code().expect("the vector does not pass"))
}

fn scriptor_format() -> Reason {
    let e = scriptor::import("x", "80 5C 00 02 0").unwrap_err();
    assert!(e.to_string().starts_with("V-FORMAT: line 1"), "{e}");
    Reason::Code(e.code())
}

// ---- I- ----

fn corrupt_image() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    std::fs::write(&path, b"{\"format\": \"stk-wallet-card-image\", \"vers").unwrap();
    let e = image::load(&path).unwrap_err();
    assert!(e.to_string().starts_with("I-IMAGE: "), "{e}");
    Reason::Code(e.code())
}

/// A `--fault` asking for a write the DEBIT's commit never reaches.
fn bad_fault() -> Reason {
    let e = "tear:debit:99".parse::<FaultPlan>().unwrap_err();
    assert!(e.to_string().starts_with("I-FAULT: "), "{e}");
    Reason::Code(e.code())
}

/// A second process (here: a second handle) opens a card image another one holds.
fn image_busy() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    let card = Card::personalise(&Profile::default_profile());
    let _first = image::CardFile::create(&path, card).unwrap();
    let e = image::CardFile::open(&path).unwrap_err();
    assert!(e.to_string().starts_with("I-BUSY: "), "{e}");
    Reason::Code(e.code())
}

/// A card image is saved into a "folder" that is a file.
fn image_storage() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), b"x").unwrap();
    let path = dir.path().join("file").join("card.json");
    let e = image::save(&Card::personalise(&Profile::default_profile()), &path).unwrap_err();
    assert!(e.to_string().starts_with("I-STORAGE: "), "{e}");
    Reason::Code(e.code())
}

fn bad_profile() -> Reason {
    let e = Profile::from_json(r#"{"atr": "3B"}"#).unwrap_err();
    Reason::Code(e.code())
}

type Provoke = fn() -> Reason;

/// Each code with the failure that raises it. A code may appear more than once (several paths).
const PROVOKED: &[(Code, &str, Provoke)] = &[
    (Code::PDigest, "the PSAM rejects a corrupted MAC2", digest),
    (Code::PNoResponse, "the DEBIT answer is lost", no_response),
    (
        Code::PTornRecovered,
        "the next tap recovers the sale",
        torn_recovered,
    ),
    (Code::PPsam, "the PSAM has no purchase key", psam_refused),
    (Code::PReader, "the reader is unplugged", reader),
    (Code::HMac1, "the issuer holds another load key", mac1),
    (Code::HUnreachable, "the issuer host is down", unreachable),
    (
        Code::HReversalPending,
        "the reversal cannot be delivered",
        reversal_pending,
    ),
    (Code::HTac, "a record's TAC is corrupted", tac),
    (
        Code::HDuplicate,
        "a sale replayed under another counter",
        duplicate,
    ),
    (Code::HDeclined, "the charge was already reversed", declined),
    (
        Code::HConflict,
        "the bank holds another charge under the top-up's id",
        conflict,
    ),
    (Code::HOta, "an over-the-air answer is cut short", ota),
    (
        Code::PBankCard,
        "a bank card number with a wrong check digit",
        bad_bank_card,
    ),
    (
        Code::PLoadRefused,
        "a top-up past the balance cap",
        load_refused,
    ),
    (
        Code::PNotFound,
        "a reprint of a TTC this terminal never used",
        not_found,
    ),
    (
        Code::PExpired,
        "a sale the day after the card's expiry date",
        expired,
    ),
    (
        Code::HTimeout,
        "an issuer slower than the time-out",
        host_timeout,
    ),
    (
        Code::PRefunded,
        "a second refund of the same sale",
        refunded,
    ),
    (
        Code::PRefundAmount,
        "a refund of more than the sale took",
        refund_amount,
    ),
    (
        Code::PWrongCard,
        "a refund to another card than the sale's",
        wrong_card,
    ),
    (
        Code::HRefundRefused,
        "a refund of a sale whose TAC does not verify",
        refund_refused,
    ),
    (
        Code::PSignIn,
        "a sale at a terminal whose sign-in failed",
        not_signed_in,
    ),
    (
        Code::PKeyVersion,
        "a card with only the new purchase key at a terminal on the old one",
        key_version,
    ),
    (
        Code::HKeyRetired,
        "a load under a load key the issuer rolled over",
        key_retired,
    ),
    (
        Code::HReversalManual,
        "a reversal that fails three tries",
        reversal_manual,
    ),
    (
        Code::HRejected,
        "a rejection resolved that is not open",
        rejection_unresolved,
    ),
    (
        Code::HUnexplained,
        "the ledger holds a sale the presented card never made",
        unexplained,
    ),
    (
        Code::PTerminalBusy,
        "a terminal home is opened twice",
        home_busy,
    ),
    (
        Code::HHolder,
        "the desk is given another ID number than the card's",
        desk_holder,
    ),
    (
        Code::HNotReported,
        "a lost phone is reported at the desk",
        desk_lost,
    ),
    (Code::HDeskBusy, "a service desk is opened twice", desk_busy),
    (
        Code::PTerminal,
        "a terminal home that was never created is settled",
        home_missing,
    ),
    (
        Code::VMismatch,
        "a vector expects other data",
        vector_mismatch,
    ),
    (Code::VSw, "a vector expects another status word", vector_sw),
    (
        Code::VFormat,
        "a vector names an unknown code",
        vector_format,
    ),
    (
        Code::VLimit,
        "a vector repeats a step four billion times",
        vector_limit,
    ),
    (
        Code::VState,
        "a vector for a fresh card meets a used card in a reader",
        vector_state,
    ),
    (
        Code::VFormat,
        "a scriptor line has odd hex",
        scriptor_format,
    ),
    (Code::IImage, "a card image is cut short", corrupt_image),
    (Code::IBusy, "a card image is opened twice", image_busy),
    (
        Code::IDamaged,
        "a journal file is not a database",
        damaged_store,
    ),
    (
        Code::IStorage,
        "a card image is saved below a file",
        image_storage,
    ),
    (Code::IProfile, "a profile misses its fields", bad_profile),
    (
        Code::IFault,
        "a fault asks for a write never reached",
        bad_fault,
    ),
    (
        Code::PSlotTaken,
        "a card is served to a vpcd slot that never speaks",
        slot_taken,
    ),
    (
        Code::IScenario,
        "a scenario schedules a fault for a tap it never plays",
        bad_scenario,
    ),
];

/// A listener that accepts and never speaks is what a taken vpcd slot looks like.
fn slot_taken() -> Reason {
    use stk_wallet::transport::vpcd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let opts = vpcd::ServeOptions {
        adopt_timeout: std::time::Duration::from_millis(200),
        ..vpcd::ServeOptions::default()
    };
    let card = shared(Card::personalise(&Profile::default_profile()));
    let mut server = stk_wallet::serve::CardServer::new(
        card.clone(),
        Box::new(SimCard::contactless(card)),
        None,
    );
    let e = vpcd::serve(&mut server, &addr, opts).unwrap_err();
    Reason::Code(vpcd::serve_error(&e).expect("a serve error").code())
}

fn bad_scenario() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(
        &path,
        r#"{"scenario":"x","taps":1,"faults":[{"tap":2,"fault":"lose-response:debit"}]}"#,
    )
    .unwrap();
    Reason::Code(stk_wallet::lab::Scenario::load(&path).unwrap_err().code())
}

/// The card decodes the issuer's over-the-air answer with this codec; a cut answer is refused.
fn ota() -> Reason {
    let cut = [0x81, 0x00, 0x20, 0x26];
    Reason::Code(
        stk_wallet::issuer::OtaAnswer::decode(&cut)
            .unwrap_err()
            .code(),
    )
}

/// A journal file that is not a database (damaged on disk, or another file in its place).
fn damaged_store() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    std::fs::write(&path, [0x5Au8; 4096]).unwrap();
    let e = Journal::open(&path).err().expect("not a database");
    assert!(e.to_string().contains("I-DAMAGED: "), "{e}");
    Reason::Code(e.code().expect("a catalogue code"))
}

/// The service desk refuses a holder whose ID number is not the card's (the CLI as a process).
fn desk_holder() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    shop_cli(dir.path(), &[&["card", "new"]]);
    settle_code(
        dir.path(),
        &[
            "desk",
            "reload-pin",
            "--name",
            "TEST HOLDER",
            "--id",
            "110101199001019999",
            "--new",
            "654321",
        ],
    )
}

/// A lost phone at the desk: the handbook's rule.
fn desk_lost() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    settle_code(
        dir.path(),
        &["desk", "report-lost", "--name", "A", "--id", "1"],
    )
}

/// A second opener of a service desk is refused while the first holds it.
fn desk_busy() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let p = Profile::default_profile();
    let clock = stk_wallet::clock::Clock::System;
    let _first = stk_wallet::desk::Desk::open(dir.path(), &p, clock).unwrap();
    match stk_wallet::desk::Desk::open(dir.path(), &p, clock) {
        Err(e) => e.reason(),
        Ok(_) => panic!("a second desk opened"),
    }
}

/// A second opener of a terminal home is refused while the first holds it.
fn home_busy() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let p = Profile::default_profile();
    let _first = stk_wallet::home::TerminalHome::open(dir.path(), &p, None).unwrap();
    let second = stk_wallet::home::TerminalHome::open(dir.path(), &p, None);
    Reason::Code(second.err().expect("a second opener is refused").code())
}

/// Settlement names a home no `pos` command ever created.
fn home_missing() -> Reason {
    let dir = tempfile::tempdir().unwrap();
    let missing = stk_wallet::home::TerminalHome::open_existing(&dir.path().join("none"));
    Reason::Code(missing.err().expect("no such home").code())
}

#[test]
fn every_code_is_raised_by_its_code_path() {
    for (code, how, provoke) in PROVOKED {
        assert_eq!(provoke(), Reason::Code(*code), "{code}: {how}");
    }
}

#[test]
fn every_catalogue_code_has_a_provoking_failure() {
    for c in Code::ALL {
        assert!(
            PROVOKED.iter().any(|(k, ..)| k == c),
            "{c} is in the catalogue but no failure here raises it: add one, or drop the code"
        );
    }
}

// ---- the CLI ----

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run stk-wallet")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn explain_every_code_as_a_process() {
    for c in Code::ALL {
        let o = cli(&["explain", c.as_str()]);
        let out = stdout(&o);
        assert!(o.status.success(), "{c}: {}", stderr(&o));
        let e = c.entry();
        assert!(out.starts_with(&format!("{c}  {}", e.en)), "{out}");
        assert!(out.contains(e.zh) && out.contains(e.remedy), "{out}");
    }
    // Case does not matter.
    let o = cli(&["explain", "p-digest"]);
    assert!(o.status.success() && stdout(&o).starts_with("P-DIGEST  "));
}

#[test]
fn explain_status_words_and_patterns_as_a_process() {
    let o = cli(&["explain", "9302"]);
    assert!(o.status.success());
    assert!(
        stdout(&o).starts_with("9302  MAC invalid / 摘要错误"),
        "{}",
        stdout(&o)
    );
    let o = cli(&["explain", "63 c2"]);
    assert!(
        o.status.success() && stdout(&o).contains("2 tries left"),
        "{}",
        stdout(&o)
    );
    let o = cli(&["explain", "63Cx"]);
    assert!(
        o.status.success() && stdout(&o).starts_with("63Cx"),
        "{}",
        stdout(&o)
    );
    // The SIM's disabled PIN1: VERIFY PIN (UICC) and VERIFY CHV (GSM) refusals.
    for (sw, says) in [
        (
            "6984",
            "6984  referenced data invalidated: PIN1 is disabled",
        ),
        ("9808", "9808  GSM class: in contradiction with CHV status"),
    ] {
        let o = cli(&["explain", sw]);
        assert!(
            o.status.success() && stdout(&o).starts_with(says),
            "{}",
            stdout(&o)
        );
    }
    // A status word the catalogue does not list still gets its ISO 7816-4 class.
    let o = cli(&["explain", "6A99"]);
    assert!(
        o.status.success() && stdout(&o).contains("class 6A"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_refuses_an_unknown_code_clearly() {
    for bad in ["P-NOPE", "P-NOT-WALLET", "930", "hello"] {
        let o = cli(&["explain", bad]);
        assert!(!o.status.success(), "{bad}");
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("`{bad}` is not a status word")),
            "{err}"
        );
        assert!(err.contains("explain --list"), "{err}");
        assert!(stdout(&o).is_empty(), "{bad}");
    }
}

#[test]
fn explain_lists_the_catalogue() {
    let list = cli(&["explain", "--list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    let lines: Vec<&str> = text.lines().collect();
    let all = errors::all();
    // The catalogue, then the handbook's entries.
    assert_eq!(lines.len(), all.len() + errors::faq::FAQ.len(), "{text}");
    for (line, e) in lines.iter().zip(&all) {
        assert_eq!(*line, e.one_line());
    }
    for (line, f) in lines[all.len()..].iter().zip(errors::faq::FAQ) {
        assert_eq!(*line, f.one_line());
    }
    for c in Code::ALL {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{c} "))), "{c}");
    }
    assert!(lines.iter().any(|l| l.starts_with("9302 MAC invalid")));
    // Without an argument: the same list.
    let bare = cli(&["explain"]);
    assert!(bare.status.success());
    assert_eq!(stdout(&bare), text);
    // --list takes no code.
    assert!(!cli(&["explain", "--list", "9302"]).status.success());
}

#[test]
fn cli_failures_carry_their_code() {
    let dir = tempfile::tempdir().unwrap();
    // A profile that cannot be read.
    let missing = dir.path().join("missing.json");
    let out = dir.path().join("card.json");
    let o = cli(&[
        "card",
        "new",
        "--profile",
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).starts_with("error: I-PROFILE: "),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new(&out).exists());
    // A corrupt card image.
    std::fs::write(&out, "{}").unwrap();
    let o = cli(&["card", "show", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("error: I-IMAGE: "), "{}", stderr(&o));
}

/// A sale row damaged after it was journaled: settlement says which code, not SQLite's words, and
/// uploads nothing.
#[test]
fn a_damaged_sale_row_is_reported_as_damaged_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cli = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(d)
            .env_remove("STK_TERMINAL")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(cli(&["card", "new"]).status.success());
    assert!(cli(&["pos", "purchase", "1.00"]).status.success());
    let db = rusqlite::Connection::open(d.join("pos").join("terminal.db")).unwrap();
    assert_eq!(db.execute("UPDATE sales SET record = '{'", []).unwrap(), 1);
    drop(db);
    let out = cli(&["settle"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("I-DAMAGED"), "{err}");
    assert!(err.contains("sale record"), "{err}");
}
