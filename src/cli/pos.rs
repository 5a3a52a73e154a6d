//! `pos …`: the terminal's flows. Whatever the link to the card (a card image in this process,
//! behind the fault injector or not, or a card in a PC/SC reader), every flow runs at the
//! terminal's home (termID, PSAM keys, TTC, journal, sales in doubt) through the one `Pos`;
//! this module only chooses the link, the faults, and prints, one format per flow.

use super::open::{self, Link};
use super::{failed, fen, status};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use stk_wallet::acquirer::SqliteBank;
use stk_wallet::errors::Code;
use stk_wallet::fault::{AcquirerFault, CardFault, FaultPlan, FaultyTransport, FlakyIssuer, Layer};
use stk_wallet::home::TerminalHome;
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Device, PosError, TopupOutcome, Trace, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::transport::Transport;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
    /// The terminal's home folder, created if needed (default: $STK_TERMINAL, else ./pos).
    #[arg(long, global = true)]
    terminal: Option<PathBuf>,
    /// The terminal number (12 hex digits) of a home being created (default: the
    /// profile's PSAM terminal number).
    #[arg(long, global = true)]
    term_id: Option<String>,
    /// The card image.
    #[arg(long, global = true, default_value = "card.json")]
    card: PathBuf,
    /// The key profile: the terminal's PSAM keys are loaded from it on every run, and the
    /// issuer host's keys for loads.
    #[arg(long, global = true, default_value = "default")]
    profile: String,
    /// Transaction date and time "YYYYMMDD HHMMSS" (default: now, UTC).
    #[arg(long, global = true)]
    clock: Option<String>,
    /// Use the card in this PC/SC reader instead of the image (the PSAM stays simulated).
    #[arg(long, global = true)]
    reader: Option<String>,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// An offline purchase of AMOUNT (yuan, e.g. 12.34).
    Purchase {
        amount: String,
        /// A fault at the card link (lose-response:debit, bad-mac:mac2) or the card's power
        /// (tear:debit:3; not through --reader); the recovery is shown step by step.
        #[arg(long)]
        fault: Option<FaultPlan>,
        /// Refused: every sale is journaled in the terminal's home (--terminal).
        #[arg(long, hide = true)]
        journal: Option<PathBuf>,
        /// Sleep this long after each command to a card image (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// Integrated top-up: charge bank card PAN at the acquirer, load the wallet, confirm (or
    /// reverse). Resumes unfinished top-ups and queued reversals first.
    Topup {
        amount: String,
        #[arg(long, default_value = "6222020200112233445")]
        pan: String,
        #[arg(long, default_value = "123456")]
        pin: String,
        /// Refused: the journal is in the terminal's home (--terminal).
        #[arg(long, hide = true)]
        journal: Option<PathBuf>,
        /// The simulated acquirer's database.
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// A fault: card link (lose-response:credit, bad-mac:load-mac2), card power
        /// (tear:credit:7), issuer link (host-down[:N], host-delay:MS) or acquirer link
        /// (acquirer-down[:N]).
        #[arg(long)]
        fault: Option<FaultPlan>,
        /// Sleep this long after each journaled step (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// Resolve unfinished top-ups and retry queued reversals.
    Resume {
        /// Refused: the journal is in the terminal's home (--terminal).
        #[arg(long, hide = true)]
        journal: Option<PathBuf>,
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// acquirer-down[:N] keeps the acquirer unreachable.
        #[arg(long)]
        fault: Option<FaultPlan>,
        /// Sleep this long after each journaled step (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// A top-up of AMOUNT (yuan) authorised by the issuer host.
    Load {
        amount: String,
        /// The payment password.
        #[arg(long, default_value = "123456")]
        pin: String,
        /// A fault at the card link (lose-response:credit, bad-mac:load-mac2), the card's
        /// power (tear:credit:7) or the issuer link (host-down[:N], host-delay:MS).
        #[arg(long)]
        fault: Option<FaultPlan>,
    },
    /// The card's balance.
    Balance,
    /// The card's last ten transactions, newest first.
    History,
}

/// A terminal at work: its profile, clock, home (locked) and link to the card.
struct Counter {
    profile: Profile,
    clock: Clock,
    home: TerminalHome,
    link: Link,
}

impl Args {
    /// Opens the terminal, then the link: the terminal is locked before the card image is
    /// read, so no other process of this terminal can change the image between the read and
    /// this flow's saves.
    fn counter(&self, delay: Duration) -> Result<Counter, String> {
        let profile = open::profile(&self.profile)?;
        let clock = open::clock(self.clock.as_deref())?;
        let home = open::terminal(
            self.terminal.as_deref(),
            self.term_id.as_deref(),
            &profile,
            &self.card,
        )?;
        let link = Link::open(&self.card, self.reader.as_deref(), delay)?;
        Ok(Counter {
            profile,
            clock,
            home,
            link,
        })
    }

    /// `fault`, if `flow` over this link reaches its layer (`reaches`; the card's power only
    /// on a card image).
    fn fault(
        &self,
        flow: &str,
        fault: Option<FaultPlan>,
        reaches: &[Layer],
    ) -> Result<FaultPlan, String> {
        let (flow, reaches): (String, Vec<Layer>) = match &self.reader {
            Some(_) => (
                format!("{flow} --reader"),
                reaches
                    .iter()
                    .copied()
                    .filter(|l| *l != Layer::CardPower)
                    .collect(),
            ),
            None => (flow.to_string(), reaches.to_vec()),
        };
        fault
            .unwrap_or_default()
            .reaching(&flow, &reaches)
            .map_err(|e| e.to_string())
    }
}

fn journal_moved(j: Option<PathBuf>) -> Result<(), String> {
    match j {
        Some(_) => Err(format!(
            "{}: --journal is gone: the journal is kept in the terminal's home \
             (--terminal DIR, default ./pos); `stk-wallet settle --journal FILE` still uploads an \
             older journal file",
            Code::PTerminal
        )),
        None => Ok(()),
    }
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    const CARD: [Layer; 2] = [Layer::Link, Layer::CardPower];
    match &a.cmd {
        Cmd::Purchase {
            amount,
            fault,
            journal,
            step_delay_ms,
        } => {
            journal_moved(journal.clone())?;
            let fault = a.fault("pos purchase", *fault, &CARD)?;
            purchase(&a, fen(amount)?, fault, *step_delay_ms)
        }
        Cmd::Topup {
            amount,
            pan,
            pin,
            journal,
            bank,
            fault,
            step_delay_ms,
        } => {
            journal_moved(journal.clone())?;
            let layers = [
                Layer::Link,
                Layer::CardPower,
                Layer::Issuer,
                Layer::Acquirer,
            ];
            let fault = a.fault("pos topup", *fault, &layers)?;
            let top = Topup {
                amount: fen(amount)?,
                pan,
                pin,
                bank,
                step_delay_ms: *step_delay_ms,
            };
            topup(&a, top, fault)
        }
        Cmd::Resume {
            journal,
            bank,
            fault,
            step_delay_ms,
        } => {
            journal_moved(journal.clone())?;
            let fault = a.fault("pos resume", *fault, &[Layer::Acquirer])?;
            resume(&a, bank, fault, *step_delay_ms)
        }
        Cmd::Load { amount, pin, fault } => {
            let layers = [Layer::Link, Layer::CardPower, Layer::Issuer];
            let fault = a.fault("pos load", *fault, &layers)?;
            let q = Query::Load {
                amount: fen(amount)?,
                pin,
            };
            query(&a, q, fault)
        }
        Cmd::Balance => query(&a, Query::Balance, FaultPlan::NONE),
        Cmd::History => query(&a, Query::History, FaultPlan::NONE),
    }
}

fn explain_failure(e: &PosError) {
    let code = e.code();
    eprintln!("failed ({code}): {e}");
    eprintln!("{}", code.render());
}

/// Every flow's first line: where the card is and the fault armed.
fn print_header(link: &Link, fault: FaultPlan) {
    println!("{}, fault: {fault}", link.describe());
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
fn purchase(
    a: &Args,
    amount: u32,
    fault: FaultPlan,
    step_delay_ms: u64,
) -> Result<ExitCode, String> {
    let c = a.counter(Duration::from_millis(step_delay_ms))?;
    print_header(&c.link, fault);
    let mut ok = false;
    for tap in 1..=2 {
        // The second tap powers the card up again and has no fault.
        let card_fault = if tap == 1 {
            fault.card()
        } else {
            CardFault::None
        };
        let mut pos = c
            .home
            .pos(
                c.link.connect(tap, card_fault)?,
                c.clock,
                c.profile.wallet_aid.clone(),
            )
            .map_err(open::terminal_error)?;
        println!(
            "tap {tap}{}",
            if tap == 2 {
                " (the customer taps again)"
            } else {
                ""
            }
        );
        let r = c.home.sale(&mut pos, amount);
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
    Ok(status(ok))
}

/// The flows that need one tap and no journal: `pos load`, `pos balance`, `pos history`.
enum Query<'a> {
    Load { amount: u32, pin: &'a str },
    Balance,
    History,
}

fn query(a: &Args, q: Query, fault: FaultPlan) -> Result<ExitCode, String> {
    let c = a.counter(Duration::ZERO)?;
    if matches!(q, Query::Load { .. }) {
        print_header(&c.link, fault);
    }
    let host = IssuerHost::from_profile(&c.profile);
    let issuer = FlakyIssuer::maybe(&host, fault.issuer());
    let mut pos = c
        .home
        .pos(
            c.link.connect(1, fault.card())?,
            c.clock,
            c.profile.wallet_aid.clone(),
        )
        .map_err(open::terminal_error)?;
    let r = match q {
        Query::Load { amount, pin } => pos
            .load_journaled(&c.home.journal, &issuer, amount, pin)
            .map(|r| {
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
    print_faults(&mut pos.card);
    match r {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprint!("{}", pos.trace);
            explain_failure(&e);
            Ok(failed())
        }
    }
}

struct Topup<'a> {
    amount: u32,
    pan: &'a str,
    pin: &'a str,
    bank: &'a Path,
    step_delay_ms: u64,
}

/// What the top-up flow does at each journaled step: print it (always, or only when pausing),
/// then sleep `delay_ms` (crash tests widen the window between steps with it).
fn steps(always_print: bool, delay_ms: u64) -> impl FnMut(&str) {
    let delay = Duration::from_millis(delay_ms);
    move |step: &str| {
        if always_print || !delay.is_zero() {
            println!("  step: {step}");
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }
}

/// `pos topup`: resume, then one integrated top-up.
fn topup(a: &Args, t: Topup, fault: FaultPlan) -> Result<ExitCode, String> {
    let c = a.counter(Duration::ZERO)?;
    print_header(&c.link, fault);
    let bank = SqliteBank::open(t.bank).map_err(|e| e.to_string())?;
    let acq = AcquirerFault::link(&bank, fault.acquirer());
    let issuer = IssuerHost::from_profile(&c.profile);
    let link_to_issuer = FlakyIssuer::maybe(&issuer, fault.issuer());
    let mut pos = c
        .home
        .pos(
            c.link.connect(1, CardFault::None)?,
            c.clock,
            c.profile.wallet_aid.clone(),
        )
        .map_err(open::terminal_error)?;
    let mut pause = steps(true, t.step_delay_ms);
    for st in pos
        .resume(&c.home.journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("resume: {st}");
    }
    pos.card.rearm(fault.card());
    let r = pos.topup(
        &c.home.journal,
        &link_to_issuer,
        &acq,
        t.pan,
        t.amount,
        t.pin,
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
                    yuan(t.amount),
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
                            Code::HReversalPending
                        )
                    }
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            explain_failure(&e);
            Ok(failed())
        }
    }
}

/// `pos resume`: unfinished top-ups and queued reversals.
fn resume(a: &Args, bank: &Path, fault: FaultPlan, step_delay_ms: u64) -> Result<ExitCode, String> {
    let c = a.counter(Duration::ZERO)?;
    let bank = SqliteBank::open(bank).map_err(|e| e.to_string())?;
    let acq = AcquirerFault::link(&bank, fault.acquirer());
    let mut pos = c
        .home
        .pos(
            c.link.connect(1, CardFault::None)?,
            c.clock,
            c.profile.wallet_aid.clone(),
        )
        .map_err(open::terminal_error)?;
    let mut pause = steps(false, step_delay_ms);
    for st in pos
        .resume(&c.home.journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("{st}");
    }
    let left = c
        .home
        .journal
        .pending_reversals()
        .map_err(|e| e.to_string())?
        .len();
    let open = c
        .home
        .journal
        .unfinished_topups()
        .map_err(|e| e.to_string())?
        .len();
    println!("{open} top-up(s) unfinished, {left} reversal(s) queued");
    Ok(status(open == 0))
}
