//! The terminal's commands: `pos …` and `settle`. Whatever the link to the card (a card image in
//! this process, behind the fault injector or not, or a card in a PC/SC reader), every flow runs
//! at the terminal's home ([`TerminalHome`]: termID, PSAM keys, TTC, journal, sales in doubt)
//! through the one [`Pos`]; this file only chooses the link and prints, one format per flow.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stk_wallet::acquirer::{FlakyAcquirer, SqliteBank};
use stk_wallet::card::image;
use stk_wallet::errors::Code;
use stk_wallet::fault::{FaultPlan, FaultyTransport, FlakyIssuer, HELP};
use stk_wallet::home::{HomeError, TerminalHome};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::{Journal, TopupState};
use stk_wallet::pos::{Clock, Device, Pos, PosError, TopupOutcome, Trace, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};
use stk_wallet::transport::{Transport, TransportError};

/// The card as an image file: saved after every command, so a killed POS process loses
/// nothing the card committed (the save is atomic: temp file + rename).
struct ImageCard {
    inner: SimCard,
    path: PathBuf,
    /// A pause after each command (crash tests).
    delay: std::time::Duration,
}

impl ImageCard {
    fn save(&self) -> Result<(), TransportError> {
        image::save(&self.inner.card.borrow(), &self.path)
            .map_err(|e| TransportError::Reader(format!("cannot save the card image: {e}")))
    }
}

impl Transport for ImageCard {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit_raw(apdu);
        self.save()?;
        std::thread::sleep(self.delay);
        r
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.reset();
        self.save()?;
        r
    }
    fn describe(&self) -> String {
        format!("card image {}", self.path.display())
    }
}

/// The `pos` options every subcommand shares.
pub struct PosOpts {
    pub card: PathBuf,
    pub profile: String,
    pub clock: Option<String>,
    pub reader: Option<String>,
    pub terminal: Option<PathBuf>,
    pub term_id: Option<String>,
}

/// How the terminal reaches the card: the only thing that differs between links.
enum Link {
    Image {
        card: SharedCard,
        path: PathBuf,
        delay: std::time::Duration,
    },
    Reader(String),
}

impl Link {
    /// `delay`: a pause after each command to a card image (crash tests).
    fn open(o: &PosOpts, delay: std::time::Duration) -> Result<Link, String> {
        Ok(match &o.reader {
            Some(r) => Link::Reader(r.clone()),
            None => Link::Image {
                card: shared(image::load(&o.card).map_err(|e| e.to_string())?),
                path: o.card.clone(),
                delay,
            },
        })
    }

    /// The card for tap `tap`, behind the fault injector armed with `plan`. A card that left
    /// a reader comes back within a few seconds (a served card after `serve`'s removal
    /// dwell): before a second tap the reader settles, then is polled gently (connecting
    /// while pcscd is still processing the removal can wedge vpcd).
    fn connect(
        &self,
        tap: u32,
        plan: FaultPlan,
    ) -> Result<FaultyTransport<Box<dyn Transport>>, String> {
        match self {
            Link::Image { card, path, delay } => Ok(FaultyTransport::new(
                Box::new(ImageCard {
                    inner: SimCard::contactless(card.clone()),
                    path: path.clone(),
                    delay: *delay,
                }),
                Some(card.clone()),
                plan,
            )),
            Link::Reader(name) => {
                use std::time::{Duration, Instant};
                if tap > 1 {
                    std::thread::sleep(Duration::from_millis(1000));
                }
                let start = Instant::now();
                let t = loop {
                    match crate::open_reader(name, false) {
                        Ok(t) => break t,
                        Err(e) if tap == 1 || start.elapsed() > Duration::from_secs(15) => {
                            return Err(e);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(250)),
                    }
                };
                Ok(FaultyTransport::new(t, None, plan))
            }
        }
    }
}

fn home_err(e: HomeError) -> String {
    format!("{}: {e}", e.code())
}

fn load_profile(name: &str) -> Result<Profile, String> {
    Profile::load(name).map_err(|e| format!("{}: {e}", e.code()))
}

/// Opens (or creates) the terminal's home, signs it in with the profile's keys and takes over
/// the files an older version kept beside the card image.
fn open_home(o: &PosOpts, p: &Profile) -> Result<TerminalHome, String> {
    let dir = TerminalHome::dir_from(o.terminal.as_deref());
    let term_id = o
        .term_id
        .as_deref()
        .map(|t| {
            hex::decode(t)
                .ok()
                .and_then(|v| <[u8; 6]>::try_from(v).ok())
                .ok_or_else(|| {
                    format!("{}: --term-id `{t}` must be 12 hex digits", Code::PTerminal)
                })
        })
        .transpose()?;
    let mut home = TerminalHome::open(&dir, p, term_id).map_err(home_err)?;
    home.migrate_legacy(&o.card).map_err(home_err)?;
    for n in &home.notes {
        println!("terminal: {n}");
    }
    Ok(home)
}

fn parse_fault(f: Option<&str>) -> Result<FaultPlan, String> {
    match f {
        None => Ok(FaultPlan::None),
        Some("help") => Err(HELP.to_string()),
        Some(s) => s
            .parse()
            .map_err(|e: stk_wallet::fault::FaultParseError| e.to_string()),
    }
}

/// `acquirer-down[:N]` is the CLI's name for an unreachable acquirer.
fn acquirer_down(f: Option<&str>) -> Result<Option<u32>, String> {
    match f {
        Some("acquirer-down") => Ok(Some(u32::MAX)),
        Some(s) if s.starts_with("acquirer-down:") => s["acquirer-down:".len()..]
            .parse()
            .map(Some)
            .map_err(|_| format!("`{s}`: acquirer-down:N takes a count")),
        _ => Ok(None),
    }
}

fn explain_failure(e: &PosError) {
    let code = e.code();
    eprintln!("failed ({code}): {e}");
    eprintln!("{}", code.render());
}

/// Prints the exchanges of `trace` from `from` on, one line each.
fn print_trace(trace: &Trace, from: usize) {
    for e in &trace.0[from..] {
        println!(
            "  {:4} {:28} > {}  < {}",
            if e.device == Device::Card {
                "card"
            } else {
                "psam"
            },
            e.step,
            hex::encode_upper(&e.command),
            e.response
                .as_ref()
                .map_or_else(|| "(no response)".to_string(), hex::encode_upper)
        );
    }
}

fn print_faults(card: &mut FaultyTransport<Box<dyn Transport>>) {
    for ev in std::mem::take(&mut card.events) {
        println!("  ! fault at command {}: {}", ev.command_no, ev.what);
    }
}

/// `pos purchase AMOUNT [--fault F]`: a tap, and a second tap if the first left the sale in
/// doubt. Every sale is journaled at the terminal for `settle`.
/// `step_delay_ms`: a pause after each command to a card image (crash tests).
pub fn purchase(
    o: &PosOpts,
    amount: u32,
    fault: Option<&str>,
    step_delay_ms: u64,
) -> Result<ExitCode, String> {
    let plan = parse_fault(fault)?;
    if !plan.is_card_fault() && plan != FaultPlan::None {
        return Err(format!(
            "`{plan}` is not a card fault; purchases take {HELP}"
        ));
    }
    let p = load_profile(&o.profile)?;
    let clock = Clock::from_arg(o.clock.as_deref())?;
    // The terminal is locked before the card image is read: no other process of this
    // terminal can change the image between the read and this flow's saves.
    let home = open_home(o, &p)?;
    let link = Link::open(o, std::time::Duration::from_millis(step_delay_ms))?;
    if plan != FaultPlan::None {
        println!("fault: {plan}");
    }
    let mut ok = false;
    for tap in 1..=2 {
        // The second tap powers the card up again and has no fault.
        let plan = if tap == 1 { plan } else { FaultPlan::None };
        let mut pos = home
            .pos(link.connect(tap, plan)?, clock, p.wallet_aid.clone())
            .map_err(home_err)?;
        println!(
            "tap {tap}{}",
            if tap == 2 {
                " (the customer taps again)"
            } else {
                ""
            }
        );
        let r = home.sale(&mut pos, amount);
        print_trace(&pos.trace, 0);
        print_faults(&mut pos.card);
        match r {
            Ok(out) => {
                for st in &out.steps {
                    println!("  recovery: {st}");
                }
                let rec = &out.record;
                println!(
                    "purchase of {} yuan {}{}: card counter {}, TTC {}, TAC {}{}",
                    yuan(rec.amount),
                    if rec.recovered { "recovered" } else { "done" },
                    out.code().map(|c| format!(" [{c}]")).unwrap_or_default(),
                    rec.counter,
                    rec.ttc,
                    hex::encode_upper(rec.tac),
                    if rec.flagged {
                        " (flagged: no TAC to settle with)"
                    } else {
                        ""
                    }
                );
                ok = true;
                break;
            }
            Err(e @ PosError::InDoubt(_)) if tap == 1 => {
                explain_failure(&e);
                println!("  in doubt: the DEBIT answer was lost; tap again");
            }
            Err(e) => {
                explain_failure(&e);
                if matches!(e, PosError::InDoubt(_)) {
                    println!(
                        "  still in doubt: kept by the terminal until the card is tapped again"
                    );
                }
                break;
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The flows that need one tap and no journal: `pos load`, `pos balance`, `pos history`.
pub enum Query {
    Load { amount: u32, pin: String },
    Balance,
    History,
}

pub fn query(o: &PosOpts, q: Query) -> Result<ExitCode, String> {
    let p = load_profile(&o.profile)?;
    let clock = Clock::from_arg(o.clock.as_deref())?;
    // The terminal is locked before the card image is read: no other process of this
    // terminal can change the image between the read and this flow's saves.
    let home = open_home(o, &p)?;
    let link = Link::open(o, std::time::Duration::ZERO)?;
    let host = IssuerHost::from_profile(&p);
    let mut pos = home
        .pos(
            link.connect(1, FaultPlan::None)?,
            clock,
            p.wallet_aid.clone(),
        )
        .map_err(home_err)?;
    let r = match q {
        Query::Load { amount, pin } => pos.load(&host, amount, &pin).map(|r| {
            println!(
                "load of {} yuan done: balance now {} yuan, TAC {} ({})",
                yuan(r.amount),
                yuan(r.balance_after),
                hex::encode_upper(r.tac),
                if r.tac_ok {
                    "verified by the issuer"
                } else {
                    "TAC DOES NOT VERIFY"
                }
            );
        }),
        Query::Balance => pos.balance().map(|b| println!("balance {} yuan", yuan(b))),
        Query::History => pos.history().map(|h| {
            if h.is_empty() {
                println!("no transactions");
            }
            for (i, e) in h.iter().enumerate() {
                println!("{:2}. {e}", i + 1);
            }
        }),
    };
    match r {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprint!("{}", pos.trace);
            explain_failure(&e);
            Ok(ExitCode::from(1))
        }
    }
}

pub struct TopupArgs {
    pub amount: u32,
    pub pan: String,
    pub pin: String,
    pub bank: PathBuf,
    pub fault: Option<String>,
    pub step_delay_ms: u64,
}

/// `pos topup`: resume, then one integrated top-up.
pub fn topup(o: &PosOpts, a: TopupArgs) -> Result<ExitCode, String> {
    let acq_down = acquirer_down(a.fault.as_deref())?;
    let plan = match acq_down {
        Some(_) => FaultPlan::None,
        None => parse_fault(a.fault.as_deref())?,
    };
    let p = load_profile(&o.profile)?;
    let clock = Clock::from_arg(o.clock.as_deref())?;
    // The terminal is locked before the card image is read: no other process of this
    // terminal can change the image between the read and this flow's saves.
    let home = open_home(o, &p)?;
    let link = Link::open(o, std::time::Duration::ZERO)?;
    let bank = SqliteBank::open(&a.bank).map_err(|e| e.to_string())?;
    let acq = FlakyAcquirer::new(&bank, acq_down.unwrap_or(0));
    let issuer = IssuerHost::from_profile(&p);
    let link_to_issuer = FlakyIssuer::new(&issuer, plan);
    let card_plan = if plan.is_card_fault() {
        plan
    } else {
        FaultPlan::None
    };
    let mut pos = home
        .pos(
            link.connect(1, FaultPlan::None)?,
            clock,
            p.wallet_aid.clone(),
        )
        .map_err(home_err)?;
    let delay = std::time::Duration::from_millis(a.step_delay_ms);
    let mut pause = |step: &str| {
        println!("  step: {step}");
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    };
    for st in pos
        .resume(&home.journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("resume: {st}");
    }
    pos.card.rearm(card_plan);
    let r = pos.topup(
        &home.journal,
        &link_to_issuer,
        &acq,
        &a.pan,
        a.amount,
        &a.pin,
        &mut pause,
    );
    print_faults(&mut pos.card);
    match r {
        Ok(rep) => {
            for st in &rep.steps {
                println!("  {st}");
            }
            match rep.outcome {
                TopupOutcome::Loaded { tac } => println!(
                    "top-up {} of {} yuan loaded, TAC {}",
                    rep.txn,
                    yuan(a.amount),
                    hex::encode_upper(tac),
                ),
                TopupOutcome::Reversed { acknowledged } => println!(
                    "top-up {} not loaded; bank charge reversal {}",
                    rep.txn,
                    if acknowledged {
                        "acknowledged".to_string()
                    } else {
                        format!(
                            "queued ({}): run `stk-wallet pos resume`",
                            stk_wallet::errors::Code::HReversalPending
                        )
                    }
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            explain_failure(&e);
            Ok(ExitCode::from(1))
        }
    }
}

/// `pos resume`: unfinished top-ups and queued reversals.
pub fn resume(
    o: &PosOpts,
    bank: &Path,
    fault: Option<&str>,
    step_delay_ms: u64,
) -> Result<ExitCode, String> {
    let down = acquirer_down(fault)?.unwrap_or(0);
    let p = load_profile(&o.profile)?;
    let clock = Clock::from_arg(o.clock.as_deref())?;
    // The terminal is locked before the card image is read: no other process of this
    // terminal can change the image between the read and this flow's saves.
    let home = open_home(o, &p)?;
    let link = Link::open(o, std::time::Duration::ZERO)?;
    let bank = SqliteBank::open(bank).map_err(|e| e.to_string())?;
    let acq = FlakyAcquirer::new(&bank, down);
    let mut pos: Pos<_, SimPsam> = home
        .pos(
            link.connect(1, FaultPlan::None)?,
            clock,
            p.wallet_aid.clone(),
        )
        .map_err(home_err)?;
    let delay = std::time::Duration::from_millis(step_delay_ms);
    let mut pause = |step: &str| {
        if !delay.is_zero() {
            println!("  step: {step}");
            std::thread::sleep(delay);
        }
    };
    for st in pos
        .resume(&home.journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("{st}");
    }
    let left = home
        .journal
        .pending_reversals()
        .map_err(|e| e.to_string())?
        .len();
    let open = home
        .journal
        .unfinished_topups()
        .map_err(|e| e.to_string())?
        .len();
    println!("{open} top-up(s) unfinished, {left} reversal(s) queued");
    Ok(if open == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub struct SettleArgs {
    pub terminal: Option<PathBuf>,
    /// A POS journal file written by an older version (before terminal homes).
    pub journal: Option<PathBuf>,
    pub ledger: PathBuf,
    pub card: PathBuf,
    pub profile: String,
    pub fault: Option<String>,
}

/// `settle`: uploads the terminal's journal (twice with `--fault duplicate-upload`). Exits 1
/// when the clearing host rejects a record of the upload: the merchant is not paid for it.
pub fn settle(a: SettleArgs) -> Result<ExitCode, String> {
    let plan = parse_fault(a.fault.as_deref())?;
    let p = load_profile(&a.profile)?;
    let home;
    let legacy;
    let journal: &Journal = match &a.journal {
        Some(path) => {
            legacy = Journal::open(path).map_err(|e| e.to_string())?;
            println!("journal {} (a POS journal file)", path.display());
            &legacy
        }
        None => {
            let dir = TerminalHome::dir_from(a.terminal.as_deref());
            home = TerminalHome::open_existing(&dir).map_err(home_err)?;
            println!(
                "terminal {} at {}",
                hex::encode_upper(home.term_id),
                dir.display()
            );
            let doubt = home.all_in_doubt().map_err(|e| e.to_string())?;
            if !doubt.is_empty() {
                println!(
                    "  {} sale(s) still in doubt (P-NO-RESPONSE): tap the card(s) again to complete them",
                    doubt.len()
                );
            }
            &home.journal
        }
    };
    let mut clearing = ClearingHost::new(
        IssuerHost::from_profile(&p),
        SqliteLedger::open(&a.ledger).map_err(|e| e.to_string())?,
    );
    let serial = p.issuer.serial;
    clearing
        .ledger
        .open_card(&serial, p.purse.balance)
        .map_err(|e| e.to_string())?;
    // Loads the issuer authorised through this POS's top-ups.
    for t in journal.all_topups().map_err(|e| e.to_string())? {
        if let (TopupState::Loaded | TopupState::Done, Some(s), Some(c)) =
            (t.state, t.serial, t.counter)
        {
            clearing
                .ledger
                .add_load(&s, c, t.amount)
                .map_err(|e| e.to_string())?;
        }
    }
    let upload = journal.sales_to_upload().map_err(|e| e.to_string())?;
    let rounds = if plan == FaultPlan::DuplicateUpload {
        2
    } else {
        1
    };
    let mut refused = 0;
    for round in 1..=rounds {
        let rep = clearing.settle(&upload).map_err(|e| e.to_string())?;
        println!(
            "upload {round}: {} record(s), {} accepted, {} rejected",
            upload.len(),
            rep.accepted.len(),
            rep.rejected.len()
        );
        for r in &rep.rejected {
            println!(
                "  rejected {} counter {} TTC {} ({}): {}",
                hex::encode_upper(r.record.serial),
                r.record.counter,
                r.record.ttc,
                r.code,
                r.reason
            );
        }
        if round == 1 {
            refused = rep.rejected.len();
        }
    }
    journal.mark_uploaded(&upload).map_err(|e| e.to_string())?;
    let shadow = clearing
        .shadow_balance(&serial)
        .map_err(|e| e.to_string())?;
    let card = image::load(&a.card).ok().map(|c| c.state().purse.balance);
    println!(
        "shadow balance {}; card balance {}",
        shadow.map_or("?".into(), yuan),
        card.map_or("? (no card image)".into(), yuan)
    );
    if refused > 0 {
        eprintln!("{refused} record(s) rejected: not paid to the merchant");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
