//! CLI for faults and recovery: purchases with injected faults and their recovery, integrated top-ups with
//! the acquirer, resume after a crash, and settlement. Kept out of `main.rs` so that file only
//! gains enum variants and dispatch arms.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stk_wallet::acquirer::{FlakyAcquirer, SqliteBank};
use stk_wallet::card::image;
use stk_wallet::fault::{FaultPlan, FaultyTransport, FlakyIssuer, HELP};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::Journal;
use stk_wallet::pos::{Clock, InDoubt, Pos, PosError, TopupOutcome, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};
use stk_wallet::transport::{Transport, TransportError};

/// The card as an image file: saved after every command, so a killed POS process loses
/// nothing the card committed (the save is atomic: temp file + rename).
struct ImageCard {
    inner: SimCard,
    path: PathBuf,
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

struct Setup {
    profile: Profile,
    card: SharedCard,
    psam: SimPsam,
    clock: Clock,
}

fn setup(card_path: &Path, profile: &str, clock: Option<&str>) -> Result<Setup, String> {
    let p = Profile::load(profile).map_err(|e| format!("{}: {e}", e.code()))?;
    let card = shared(image::load(card_path).map_err(|e| e.to_string())?);
    let clock = Clock::from_arg(clock)?;
    let psam = SimPsam::persistent(&card_path.with_extension("psam.json"), &p)?;
    Ok(Setup {
        profile: p,
        card,
        psam,
        clock,
    })
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

/// `pos purchase AMOUNT --fault F [--journal J]`: the faulted tap, then the recovery tap.
pub fn purchase(
    amount: &u32,
    fault: Option<&str>,
    journal: Option<&Path>,
    card_path: &Path,
    profile: &str,
    clock: Option<&str>,
) -> Result<ExitCode, String> {
    let amount = *amount;
    let plan = parse_fault(fault)?;
    if !plan.is_card_fault() && plan != FaultPlan::None {
        return Err(format!(
            "`{plan}` is not a card fault; purchases take {HELP}"
        ));
    }
    let s = setup(card_path, profile, clock)?;
    let journal = journal
        .map(Journal::open)
        .transpose()
        .map_err(|e| e.to_string())?;
    let pending_path = card_path.with_extension("pending.json");
    let mut pending = InDoubt::load_from(&pending_path)?;
    let mut pos = Pos::new(
        FaultyTransport::new(
            ImageCard {
                inner: SimCard::contactless(s.card.clone()),
                path: card_path.to_path_buf(),
            },
            Some(s.card.clone()),
            plan,
        ),
        s.psam.clone(),
        s.clock,
        s.profile.wallet_aid.clone(),
    );
    println!("fault: {plan}");
    let mut result = Ok(());
    for tap in 1..=2 {
        if tap == 2 && pending.is_none() {
            break;
        }
        println!(
            "tap {tap}{}",
            if tap == 2 {
                " (the customer taps again)"
            } else {
                ""
            }
        );
        let before = pos.trace.0.len();
        let r = pos.sale(&mut pending, amount);
        for e in &pos.trace.0[before..] {
            println!(
                "  {:4} {:28} > {}  < {}",
                if e.device == stk_wallet::pos::Device::Card {
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
        for ev in std::mem::take(&mut pos.card.events) {
            println!("  ! fault at command {}: {}", ev.command_no, ev.what);
        }
        match r {
            Ok(out) => {
                for st in &out.steps {
                    println!("  recovery: {st}");
                }
                let rec = &out.record;
                println!(
                    "  sale of {} yuan {}: card counter {}, TTC {}, TAC {}{}",
                    yuan(rec.amount),
                    if rec.recovered { "recovered" } else { "done" },
                    rec.counter,
                    rec.ttc,
                    hex::encode_upper(rec.tac),
                    out.code().map(|c| format!(" ({c})")).unwrap_or_default()
                );
                if let Some(j) = &journal {
                    j.add_sale(rec).map_err(|e| e.to_string())?;
                }
                result = Ok(());
            }
            Err(e) => {
                if let (PosError::Digest { record }, Some(j)) = (&e, &journal) {
                    j.add_sale(record).map_err(|e| e.to_string())?;
                }
                explain_failure(&e);
                result = Err(e);
            }
        }
        // The next tap powers the card up and has no fault.
        pos.card.rearm(FaultPlan::None);
    }
    InDoubt::store(pending.as_ref(), &pending_path)?;
    println!(
        "card balance {} yuan",
        yuan(s.card.borrow().state().purse.balance)
    );
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub struct TopupArgs {
    pub amount: u32,
    pub pan: String,
    pub pin: String,
    pub journal: PathBuf,
    pub bank: PathBuf,
    pub fault: Option<String>,
    pub step_delay_ms: u64,
}

/// `pos topup`: resume, then one integrated top-up.
pub fn topup(
    a: TopupArgs,
    card_path: &Path,
    profile: &str,
    clock: Option<&str>,
) -> Result<ExitCode, String> {
    let acq_down = acquirer_down(a.fault.as_deref())?;
    let plan = match acq_down {
        Some(_) => FaultPlan::None,
        None => parse_fault(a.fault.as_deref())?,
    };
    let s = setup(card_path, profile, clock)?;
    let journal = Journal::open(&a.journal).map_err(|e| e.to_string())?;
    let bank = SqliteBank::open(&a.bank).map_err(|e| e.to_string())?;
    let acq = FlakyAcquirer::new(&bank, acq_down.unwrap_or(0));
    let issuer = IssuerHost::from_profile(&s.profile);
    let link = FlakyIssuer::new(&issuer, plan);
    let card_plan = if plan.is_card_fault() {
        plan
    } else {
        FaultPlan::None
    };
    let mut pos = Pos::new(
        FaultyTransport::new(
            ImageCard {
                inner: SimCard::contactless(s.card.clone()),
                path: card_path.to_path_buf(),
            },
            Some(s.card.clone()),
            FaultPlan::None,
        ),
        s.psam.clone(),
        s.clock,
        s.profile.wallet_aid.clone(),
    );
    let delay = std::time::Duration::from_millis(a.step_delay_ms);
    let mut pause = |step: &str| {
        println!("  step: {step}");
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    };
    for st in pos
        .resume(&journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("resume: {st}");
    }
    pos.card.rearm(card_plan);
    let r = pos.topup(&journal, &link, &acq, &a.pan, a.amount, &a.pin, &mut pause);
    for ev in &pos.card.events {
        println!("  ! fault at command {}: {}", ev.command_no, ev.what);
    }
    match r {
        Ok(rep) => {
            for st in &rep.steps {
                println!("  {st}");
            }
            match rep.outcome {
                TopupOutcome::Loaded { tac } => println!(
                    "top-up {} of {} yuan loaded, TAC {}; balance {} yuan",
                    rep.txn,
                    yuan(a.amount),
                    hex::encode_upper(tac),
                    yuan(s.card.borrow().state().purse.balance)
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
    journal: &Path,
    bank: &Path,
    fault: Option<&str>,
    card_path: &Path,
    profile: &str,
    clock: Option<&str>,
) -> Result<ExitCode, String> {
    let down = acquirer_down(fault)?.unwrap_or(0);
    let s = setup(card_path, profile, clock)?;
    let journal = Journal::open(journal).map_err(|e| e.to_string())?;
    let bank = SqliteBank::open(bank).map_err(|e| e.to_string())?;
    let acq = FlakyAcquirer::new(&bank, down);
    let mut pos = Pos::new(
        ImageCard {
            inner: SimCard::contactless(s.card.clone()),
            path: card_path.to_path_buf(),
        },
        s.psam.clone(),
        s.clock,
        s.profile.wallet_aid.clone(),
    );
    for st in pos
        .resume(&journal, &acq, &mut |_| {})
        .map_err(|e| e.to_string())?
    {
        println!("{st}");
    }
    let left = journal
        .pending_reversals()
        .map_err(|e| e.to_string())?
        .len();
    let open = journal
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

/// `settle`: upload the journal's records (twice with `--fault duplicate-upload`).
pub fn settle(
    journal: &Path,
    ledger: &Path,
    card_path: &Path,
    profile: &str,
    fault: Option<&str>,
) -> Result<ExitCode, String> {
    let plan = parse_fault(fault)?;
    let p = Profile::load(profile).map_err(|e| format!("{}: {e}", e.code()))?;
    let journal = Journal::open(journal).map_err(|e| e.to_string())?;
    let mut clearing = ClearingHost::new(
        IssuerHost::from_profile(&p),
        SqliteLedger::open(ledger).map_err(|e| e.to_string())?,
    );
    let serial = p.issuer.serial;
    clearing
        .ledger
        .open_card(&serial, p.purse.balance)
        .map_err(|e| e.to_string())?;
    // Loads the issuer authorised through this POS's top-ups.
    for t in journal.all_topups().map_err(|e| e.to_string())? {
        if let (true, Some(s), Some(c)) = (
            matches!(t.state.as_str(), "loaded" | "done"),
            t.serial,
            t.counter,
        ) {
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
                "  rejected {} counter {} ({}): {}",
                hex::encode_upper(r.record.serial),
                r.record.counter,
                r.code,
                r.reason
            );
        }
    }
    journal.mark_uploaded(&upload).map_err(|e| e.to_string())?;
    let shadow = clearing
        .shadow_balance(&serial)
        .map_err(|e| e.to_string())?;
    let card = image::load(card_path).ok().map(|c| c.state().purse.balance);
    println!(
        "shadow balance {}; card balance {}",
        shadow.map_or("?".into(), yuan),
        card.map_or("? (no card image)".into(), yuan)
    );
    Ok(ExitCode::SUCCESS)
}
