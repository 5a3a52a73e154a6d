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
use stk_wallet::fault::{AcquirerFault, CardFault, FaultPlan, FaultyTransport, Layer};
use stk_wallet::home::{TerminalHome, signed_in_line};
use stk_wallet::host::IssuerHost;
use stk_wallet::issuer::RefundRequest;
use stk_wallet::issuer_db::{DEFAULT_ISSUER_DB, IssuerState};
use stk_wallet::journal::{RefundRow, RefundState};
use stk_wallet::link::HostLink;
use stk_wallet::pan::Pan;
use stk_wallet::pos::{Clock, Device, PosError, TopupOutcome, Trace, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::receipt::{Receipt, ReceiptKind};
use stk_wallet::settle::{ClearingHost, SqliteLedger};
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
    /// The issuer's state (current and retired key versions, the parameters a sign-in
    /// downloads): read, never created, by `pos` commands; `issuer roll-key` writes it.
    #[arg(long, global = true, default_value = DEFAULT_ISSUER_DB)]
    issuer: PathBuf,
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
    /// Integrated top-up: read the card first (refused before any charge if the wallet cannot
    /// take the load), charge bank card PAN at the acquirer, load the wallet, confirm (or
    /// reverse). Resumes unfinished top-ups and queued reversals first. Exits 1 unless the
    /// wallet was loaded.
    Topup {
        amount: String,
        /// The bank card number (12 to 19 digits, Luhn-checked; kept and shown masked).
        #[arg(long, default_value = "6222020200112233446")]
        pan: String,
        /// The customer's bank card PIN (4 to 12 digits): checked for form, never stored,
        /// never printed.
        #[arg(long)]
        bank_pin: String,
        /// The wallet's payment password (the card's VERIFY), not the bank PIN.
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
    /// Resolve unfinished top-ups and refunds and retry queued reversals.
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
    /// Refund (退货) of the sale of terminal TTC N to the card it debited, as an online load the
    /// issuer authorises against the sale: the whole sale, or --amount of it. A sale is refunded
    /// once; the card must be the sale's. Resumes unfinished refunds first. Exits 1 unless the
    /// refund was loaded.
    Refund {
        /// The sale's terminal transaction counter (on its receipt; `pos lookup` lists them).
        #[arg(long, value_name = "N")]
        ttc: u32,
        /// The amount to give back (yuan), at most the sale's (default: the whole sale).
        #[arg(long)]
        amount: Option<String>,
        /// The payment password (the card's VERIFY, as for any load).
        #[arg(long, default_value = "123456")]
        pin: String,
        /// The clearing host's ledger (SQLite), where the issuer holds the refund against the
        /// sale before it authorises it (the ledger `settle` and `phone` use).
        #[arg(long, default_value = "ledger.db")]
        ledger: PathBuf,
        /// A fault at the card link (lose-response:credit, bad-mac:load-mac2), the card's
        /// power (tear:credit:7) or the issuer link (host-down[:N], host-delay:MS).
        #[arg(long)]
        fault: Option<FaultPlan>,
        /// Sleep this long after each journaled step (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// The reversal queue: reversals retried automatically and those handed to a person after
    /// the terminal's number of tries (H-REVERSAL-MANUAL), with every try; --resolve closes a
    /// manual one once the account is adjusted with the bank.
    Reversals {
        /// The simulated acquirer's database (where a resolution adjusts the account).
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// Resolve this manual reversal (its top-up id): the account is adjusted by hand with
        /// the bank (the charge reversed there); needs --by and --why.
        #[arg(long, value_name = "TXN", requires_all = ["by", "why"])]
        resolve: Option<String>,
        /// Who adjusted the account with the bank.
        #[arg(long)]
        by: Option<String>,
        /// Why, or how it was put right.
        #[arg(long)]
        why: Option<String>,
    },
    /// Print a kept receipt again, marked as a copy (重打印 / REPRINT): the newest one, the
    /// sale of terminal TTC N, or top-up ID. Exits 1 (P-NOT-FOUND) if the journal has none.
    #[command(group(clap::ArgGroup::new("which").required(true).multiple(false)))]
    Reprint {
        /// The newest receipt of this terminal.
        #[arg(long, group = "which")]
        last: bool,
        /// The sale that used this terminal transaction counter (TTC).
        #[arg(long, group = "which", value_name = "N")]
        ttc: Option<u32>,
        /// The integrated top-up with this id.
        #[arg(long, group = "which", value_name = "ID")]
        topup: Option<String>,
        /// The refund of the sale that used this terminal TTC.
        #[arg(long, group = "which", value_name = "N")]
        refund: Option<u32>,
    },
    /// The terminal's completed transactions (查询交易流水), one line each, oldest first; the
    /// filters combine. Exits 1 (P-NOT-FOUND) if none matches.
    #[command(alias = "journal")]
    Lookup {
        /// The card's serial (20 hex digits, as the card reports it).
        #[arg(long = "card-serial", visible_alias = "serial", value_name = "SERIAL", value_parser = parse_serial)]
        card_serial: Option<[u8; 10]>,
        /// The sale that used this terminal transaction counter (TTC), and its refund.
        #[arg(long, value_name = "N")]
        ttc: Option<u32>,
        /// The integrated top-up with this id.
        #[arg(long, value_name = "ID")]
        topup: Option<String>,
        /// A day YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD (both days included).
        #[arg(long, value_name = "DAY[..DAY]", value_parser = parse_days)]
        date: Option<Days>,
        /// One JSON array of the transactions, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Sign in (签到): test the link to the issuer host and download the parameters
    /// (merchant number, time-out, resends, reversal tries) and the purchase and load key
    /// index and version to use. A new terminal signs in when its home is created; one that
    /// has never signed in refuses to sell or load (P-SIGN-IN). A failed sign-in keeps the
    /// previous parameters.
    Signin {
        /// A fault on the issuer link (host-down[:N], host-delay:MS).
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

/// The POS of a flow whose faults sit on its hosts, not on the card.
type HostFlowPos =
    stk_wallet::pos::Pos<FaultyTransport<Box<dyn Transport>>, stk_wallet::transport::sim::SimPsam>;

impl Counter {
    /// The terminal's POS on the card's first tap, with no card fault.
    fn pos_on_first_tap(&self) -> Result<HostFlowPos, String> {
        self.home
            .pos(
                self.link.connect(1, CardFault::None)?,
                self.clock,
                self.profile.wallet_aid.clone(),
            )
            .map_err(open::terminal_error)
    }
}

impl Args {
    /// Opens the terminal, then the link: the terminal is locked before the card image is
    /// read, so no other process of this terminal can change the image between the read and
    /// this flow's saves.
    fn counter(&self, delay: Duration) -> Result<Counter, String> {
        let profile = open::profile(&self.profile)?;
        let clock = open::clock(self.clock.as_deref())?;
        let home = self.home(&profile, true)?;
        let link = Link::open(&self.card, self.reader.as_deref(), delay)?;
        Ok(Counter {
            profile,
            clock,
            home,
            link,
        })
    }

    /// The issuer host: the profile's keys, with the issuer's state (`--issuer`).
    fn issuer(&self, profile: &Profile) -> Result<IssuerHost, String> {
        let state = IssuerState::read(&self.issuer, profile)
            .map_err(|e| format!("the issuer's state {}: {e}", self.issuer.display()))?;
        Ok(IssuerHost::from_profile(profile).with_state(state))
    }

    /// Opens the terminal's home; a home this opening creates signs in, in the same
    /// transaction, over a healthy link when `sign_in_new` (a new terminal is installed signed
    /// in: docs/spec.md §8).
    fn home(&self, profile: &Profile, sign_in_new: bool) -> Result<TerminalHome, String> {
        let host = if sign_in_new {
            Some(self.issuer(profile)?)
        } else {
            None
        };
        let at = super::settle::now_utc();
        open::terminal(
            self.terminal.as_deref(),
            self.term_id.as_deref(),
            profile,
            &self.card,
            host.as_ref().map(|h| (h, at.as_str())),
        )
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
            bank_pin,
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
            let card_no =
                Pan::parse(pan).map_err(|e| format!("{}: --pan: {e}", Code::PBankCard))?;
            if !(4..=12).contains(&bank_pin.len()) || !bank_pin.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(format!(
                    "{}: --bank-pin: a bank card PIN is 4 to 12 digits",
                    Code::PBankCard
                ));
            }
            let top = Topup {
                amount: fen(amount)?,
                pan: card_no.digits(),
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
        Cmd::Refund {
            ttc,
            amount,
            pin,
            ledger,
            fault,
            step_delay_ms,
        } => {
            let layers = [Layer::Link, Layer::CardPower, Layer::Issuer];
            let fault = a.fault("pos refund", *fault, &layers)?;
            let amount = amount.as_deref().map(fen).transpose()?;
            let r = RefundArgs {
                ttc: *ttc,
                amount,
                pin,
                ledger,
                step_delay_ms: *step_delay_ms,
            };
            refund(&a, &r, fault)
        }
        Cmd::Reversals {
            bank,
            resolve,
            by,
            why,
        } => reversals(&a, bank, resolve.as_deref(), by, why),
        Cmd::Reprint {
            last,
            ttc,
            topup,
            refund,
        } => {
            let which = match (last, ttc, topup, refund) {
                (_, Some(n), _, _) => Pick::Ttc(*n),
                (_, _, Some(id), _) => Pick::Topup(id.clone()),
                (_, _, _, Some(n)) => Pick::Refund(*n),
                _ => Pick::Last,
            };
            reprint(&a, &which)
        }
        Cmd::Lookup {
            card_serial,
            ttc,
            topup,
            date,
            json,
        } => {
            let f = Filter {
                serial: *card_serial,
                ttc: *ttc,
                topup: topup.clone(),
                days: *date,
            };
            lookup(&a, &f, *json)
        }
        Cmd::Signin { fault } => {
            let fault = a.fault("pos signin", *fault, &[Layer::Issuer])?;
            signin(&a, fault)
        }
        Cmd::Balance => query(&a, Query::Balance, FaultPlan::NONE),
        Cmd::History => query(&a, Query::History, FaultPlan::NONE),
    }
}

/// Whether the terminal has signed in; if not, says so (`P-SIGN-IN`) and the flow stops.
fn signed_in(home: &TerminalHome) -> Result<bool, String> {
    if home
        .journal
        .sign_in_record()
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(true);
    }
    eprintln!(
        "failed ({}): terminal {} has not signed in: run `stk-wallet pos signin` first; nothing was sent to the card",
        Code::PSignIn,
        hex::encode_upper(home.term_id)
    );
    eprintln!(
        "{}",
        stk_wallet::errors::Reason::Code(Code::PSignIn).render()
    );
    Ok(false)
}

/// `pos signin [--fault host-down[:N]|host-delay:MS]`: the link to the issuer is tested under
/// the terminal's current time-out and resends; what the issuer answers is stored at once.
fn signin(a: &Args, fault: FaultPlan) -> Result<ExitCode, String> {
    let profile = open::profile(&a.profile)?;
    let home = a.home(&profile, false)?;
    let host = a.issuer(&profile)?;
    let params = home.journal.params().map_err(|e| e.to_string())?;
    let link = HostLink::new(&host, params, fault.issuer());
    println!(
        "terminal {} signs in to the issuer, fault: {fault}",
        hex::encode_upper(home.term_id)
    );
    let r = home.sign_in(&link, &super::settle::now_utc());
    for t in link.tries.borrow().iter() {
        println!("  {t}");
    }
    match r {
        Ok(ans) => {
            println!("signed in: {}", signed_in_line(&ans));
            let psam = home.keys().map_err(open::terminal_error)?;
            if !psam.iter().any(|k| k.version == ans.purchase_key.version) {
                println!(
                    "  warning: the PSAM holds no purchase key of version {:02X} (profile `{}`): sales will fail until it is loaded",
                    ans.purchase_key.version, profile.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let kept = match home.journal.sign_in_record().map_err(|e| e.to_string())? {
                Some(s) => format!(
                    "the parameters of the sign-in at {} are kept (merchant {}, purchase key index {:02X}, load key index {:02X})",
                    s.at, s.merchant, s.purchase_key.index, s.load_key.index
                ),
                None => "the terminal has still never signed in".to_string(),
            };
            explain_failure(&e);
            eprintln!("sign-in failed: {kept}");
            Ok(failed())
        }
    }
}

fn explain_failure(e: &PosError) {
    let code = e.code();
    eprintln!("failed ({code}): {e}");
    eprintln!("{}", code.render());
}

/// The receipt of the transaction `which` picks, read from the journal row that completed it,
/// printed after the flow's result line.
fn print_receipt(home: &TerminalHome, which: impl Fn(&Receipt) -> bool) -> Result<(), String> {
    let all = home.journal.receipts().map_err(|e| e.to_string())?;
    if let Some(r) = all.iter().rev().find(|r| which(r)) {
        print!("{}", r.render(false));
    }
    Ok(())
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
    if !signed_in(&c.home)? {
        return Ok(failed());
    }
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
                print_receipt(&c.home, |r| {
                    matches!(r.kind, ReceiptKind::Sale | ReceiptKind::RecoveredSale)
                        && r.serial == rec.serial
                        && r.counter == rec.counter
                })?;
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
        if !signed_in(&c.home)? {
            return Ok(failed());
        }
        print_header(&c.link, fault);
    }
    let host = a.issuer(&c.profile)?;
    let params = c.home.journal.params().map_err(|e| e.to_string())?;
    let issuer = HostLink::new(&host, params, fault.issuer());
    let mut pos = c
        .home
        .pos(
            c.link.connect(1, fault.card())?,
            c.clock,
            c.profile.wallet_aid.clone(),
        )
        .map_err(open::terminal_error)?;
    let mut loaded = None;
    let r = match q {
        Query::Load { amount, pin } => pos
            .load_journaled(&c.home.journal, &issuer, amount, pin)
            .map(|r| {
                loaded = Some((r.serial, r.counter));
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
    for t in issuer.tries.borrow().iter() {
        println!("  {t}");
    }
    if let Some((serial, counter)) = loaded {
        print_receipt(&c.home, |r| {
            r.kind == ReceiptKind::Load && r.serial == serial && r.counter == counter
        })?;
    }
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
    if !signed_in(&c.home)? {
        return Ok(failed());
    }
    print_header(&c.link, fault);
    let bank = SqliteBank::open(t.bank).map_err(|e| e.to_string())?;
    let acq = AcquirerFault::link(&bank, fault.acquirer());
    let issuer = a.issuer(&c.profile)?;
    let params = c.home.journal.params().map_err(|e| e.to_string())?;
    let link_to_issuer = HostLink::new(&issuer, params, fault.issuer());
    let mut pos = c.pos_on_first_tap()?;
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
    for t in link_to_issuer.tries.borrow().iter() {
        println!("  {t}");
    }
    match r {
        Ok(rep) => {
            for st in &rep.steps {
                println!("  {st}");
            }
            let manual = c
                .home
                .journal
                .manual_reversals()
                .map_err(|e| e.to_string())?
                .iter()
                .any(|m| m.txn == rep.txn && m.resolved.is_none());
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
                    } else if manual {
                        format!(
                            "handed to a person ({}): `stk-wallet pos reversals`",
                            Code::HReversalManual
                        )
                    } else {
                        format!(
                            "queued ({}): run `stk-wallet pos resume`",
                            Code::HReversalPending
                        )
                    }
                ),
            }
            if matches!(rep.outcome, TopupOutcome::Loaded { .. }) {
                print_receipt(&c.home, |r| {
                    r.topup.as_ref().is_some_and(|t| t.id == rep.txn)
                })?;
            }
            // Only a loaded wallet is a top-up done.
            Ok(status(matches!(rep.outcome, TopupOutcome::Loaded { .. })))
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
    let mut pos = c.pos_on_first_tap()?;
    let mut pause = steps(false, step_delay_ms);
    let open_before: Vec<String> = c
        .home
        .journal
        .unfinished_topups()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|t| t.txn)
        .collect();
    for st in pos
        .resume(&c.home.journal, &acq, &mut pause)
        .map_err(|e| e.to_string())?
    {
        println!("{st}");
    }
    // A top-up this run finished with the wallet loaded gets its receipt here.
    for txn in &open_before {
        print_receipt(&c.home, |r| r.topup.as_ref().is_some_and(|t| &t.id == txn))?;
    }
    let refunds_open = resume_refunds(&c.home, &mut pos, &mut pause)?;
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
    println!("{refunds_open} refund(s) unfinished");
    Ok(status(open == 0 && refunds_open == 0))
}

/// Decides the terminal's unfinished refunds with the card, prints what was done and the
/// receipt of every refund that turned out loaded; returns how many are still unfinished.
fn resume_refunds<C: Transport>(
    home: &TerminalHome,
    pos: &mut stk_wallet::pos::Pos<C, stk_wallet::transport::sim::SimPsam>,
    pause: &mut dyn FnMut(&str),
) -> Result<usize, String> {
    let j = &home.journal;
    let before: Vec<i64> = j
        .unfinished_refunds()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| r.id)
        .collect();
    for st in pos.resume_refunds(j, pause).map_err(|e| e.to_string())? {
        println!("{st}");
    }
    for id in before {
        if let Some(row) = j.refund(id).map_err(|e| e.to_string())?
            && row.state == RefundState::Loaded
        {
            print_refund_receipt(home, &row)?;
        }
    }
    Ok(j.unfinished_refunds().map_err(|e| e.to_string())?.len())
}

fn print_refund_receipt(home: &TerminalHome, row: &RefundRow) -> Result<(), String> {
    print_receipt(home, |r| {
        r.kind == ReceiptKind::Refund
            && r.serial == row.sale.serial
            && Some(r.counter) == row.counter
            && r.refund_of.as_ref().is_some_and(|s| s.ttc == row.sale.ttc)
    })
}

struct RefundArgs<'a> {
    ttc: u32,
    amount: Option<u32>,
    pin: &'a str,
    ledger: &'a Path,
    step_delay_ms: u64,
}

/// `pos refund --ttc N [--amount X]`: unfinished refunds first, then the refund of that sale.
fn refund(a: &Args, r: &RefundArgs, fault: FaultPlan) -> Result<ExitCode, String> {
    // The pause of the crash tests also follows every command to a card image, so a test can
    // stop the refund between the CREDIT and its journal entry.
    let c = a.counter(Duration::from_millis(r.step_delay_ms))?;
    if !signed_in(&c.home)? {
        return Ok(failed());
    }
    print_header(&c.link, fault);
    let j = &c.home.journal;
    let mut pos = c.pos_on_first_tap()?;
    let mut pause = steps(true, r.step_delay_ms);
    if !j
        .unfinished_refunds()
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        resume_refunds(&c.home, &mut pos, &mut pause)?;
    }
    let sale = match j.sale_by_ttc(r.ttc).map_err(|e| e.to_string())? {
        Some((sale, true)) if sale.term_id == c.home.term_id => sale,
        Some((sale, _)) if sale.term_id != c.home.term_id => {
            return Ok(not_found(&format!(
                "the sale with TTC {} in this journal was made at terminal {}, not this one:                  refund it there",
                r.ttc,
                hex::encode_upper(sale.term_id)
            )));
        }
        Some(_) => {
            return Ok(not_found(&format!(
                "the sale with TTC {} did not complete (a digest error, or recovered without                  its TAC): there is nothing to refund before it is settled",
                r.ttc
            )));
        }
        None => {
            return Ok(not_found(&format!(
                "no sale with TTC {} at this terminal",
                r.ttc
            )));
        }
    };
    let amount = r.amount.unwrap_or(sale.amount);
    let issuer = a.issuer(&c.profile)?;
    let ledger = SqliteLedger::open(r.ledger).map_err(|e| e.to_string())?;
    let clearing = std::cell::RefCell::new(ClearingHost::new(issuer.clone(), ledger));
    let params = j.params().map_err(|e| e.to_string())?;
    let link = HostLink::new(&issuer, params, fault.issuer());
    let authorise = |req: &RefundRequest| link.call(|| clearing.borrow_mut().authorize_refund(req));
    pos.card.rearm(fault.card());
    let out = pos.refund(j, &authorise, &sale, amount, r.pin, &mut pause);
    print_faults(&mut pos.card);
    for t in link.tries.borrow().iter() {
        println!("  {t}");
    }
    match out {
        Ok(rep) => {
            for st in &rep.steps {
                println!("  {st}");
            }
            let row = &rep.row;
            println!(
                "refund of {} yuan for sale TTC {} ({} yuan) done: balance now {}, TAC {}",
                yuan(row.amount),
                sale.ttc,
                yuan(sale.amount),
                row.balance_after()
                    .map_or("not read".to_string(), |b| format!("{} yuan", yuan(b))),
                row.tac.map_or("pending".to_string(), hex::encode_upper)
            );
            print_refund_receipt(&c.home, row)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{}", pos.trace);
            explain_failure(&e);
            Ok(failed())
        }
    }
}

/// `pos reversals [--resolve TXN --by WHO --why TEXT]`.
fn reversals(
    a: &Args,
    bank: &Path,
    resolve: Option<&str>,
    by: &Option<String>,
    why: &Option<String>,
) -> Result<ExitCode, String> {
    let profile = open::profile(&a.profile)?;
    let home = a.home(&profile, true)?;
    let j = &home.journal;
    let err = |e: stk_wallet::acquirer::StoreError| e.to_string();
    if let Some(txn) = resolve {
        let (by, why) = (by.as_deref().unwrap_or(""), why.as_deref().unwrap_or(""));
        if by.trim().is_empty() || why.trim().is_empty() {
            return Err(format!(
                "{}: --by and --why must say who adjusted the account and why",
                Code::HReversalManual
            ));
        }
        let waiting = j
            .manual_reversals()
            .map_err(err)?
            .iter()
            .any(|m| m.txn == txn && m.resolved.is_none());
        if !waiting {
            return Err(format!(
                "{}: {txn} is not a reversal waiting for a person (`stk-wallet pos reversals` lists them)",
                Code::HReversalManual
            ));
        }
        // The adjustment by hand: the bank reverses the charge at its own desk (no link).
        use stk_wallet::acquirer::AcquirerHost;
        SqliteBank::open(bank)
            .map_err(err)?
            .reverse(txn)
            .map_err(|e| format!("the bank did not take the adjustment: {e}"))?;
        let at = super::settle::now_utc();
        j.resolve_manual(txn, by, &at, why).map_err(err)?;
        println!("reversal {txn} resolved by {by} at {at}: {why}");
        return Ok(ExitCode::SUCCESS);
    }
    let queued = j.pending_reversals().map_err(err)?;
    let manual = j.manual_reversals().map_err(err)?;
    let log = j.reversal_log().map_err(err)?;
    let tries = |txn: &str| {
        log.iter()
            .filter(|(t, ..)| t == txn)
            .map(|(_, n, o)| format!("    try {n}: {o}"))
            .collect::<Vec<_>>()
    };
    println!(
        "{} reversal(s) queued (retried automatically)",
        queued.len()
    );
    for q in &queued {
        println!("  {} after {} tr(ies)", q.txn, q.tries);
        tries(&q.txn).iter().for_each(|l| println!("{l}"));
    }
    let open = manual.iter().filter(|m| m.resolved.is_none()).count();
    println!(
        "{open} reversal(s) waiting for a person ({}), {} resolved",
        Code::HReversalManual,
        manual.len() - open
    );
    for m in &manual {
        println!(
            "  {} card {} {} yuan, manual after {} tries: {}",
            m.txn,
            m.pan,
            yuan(m.amount),
            m.tries,
            match &m.resolved {
                None => "OPEN".to_string(),
                Some((by, at, why)) => format!("resolved by {by} at {at}: {why}"),
            }
        );
        tries(&m.txn).iter().for_each(|l| println!("{l}"));
    }
    Ok(status(open == 0))
}

/// Which kept receipt `pos reprint` prints.
enum Pick {
    Last,
    Ttc(u32),
    Topup(String),
    /// The refund of the sale of this TTC.
    Refund(u32),
}

/// Days of `pos lookup --date`, as the card's BCD dates (YYYYMMDD), both included.
#[derive(Clone, Copy, Debug)]
struct Days {
    from: [u8; 4],
    to: [u8; 4],
}

/// `YYYY-MM-DD` as the card's BCD date.
fn parse_day(s: &str) -> Result<[u8; 4], String> {
    let bad = || format!("`{s}` is not a day YYYY-MM-DD");
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let num = |t: &str| {
        t.parse::<u32>()
            .ok()
            .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(_), Some(mm), Some(dd)) = (num(y), num(m), num(d)) else {
        return Err(bad());
    };
    if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
        return Err(bad());
    }
    let v = hex::decode(format!("{y}{m}{d}")).map_err(|_| bad())?;
    v.try_into().map_err(|_| bad())
}

fn parse_days(s: &str) -> Result<Days, String> {
    let (from, to) = match s.split_once("..") {
        Some((a, b)) => (parse_day(a)?, parse_day(b)?),
        None => {
            let d = parse_day(s)?;
            (d, d)
        }
    };
    if from > to {
        return Err(format!("`{s}`: the range ends before it begins"));
    }
    Ok(Days { from, to })
}

/// A card serial: 20 hex digits.
fn parse_serial(s: &str) -> Result<[u8; 10], String> {
    hex::decode(s)
        .ok()
        .and_then(|v| <[u8; 10]>::try_from(v).ok())
        .ok_or_else(|| format!("`{s}` is not a card serial (20 hex digits)"))
}

/// What `pos lookup` keeps: every filter given must match.
struct Filter {
    serial: Option<[u8; 10]>,
    ttc: Option<u32>,
    topup: Option<String>,
    days: Option<Days>,
}

impl Filter {
    fn matches(&self, r: &Receipt) -> bool {
        self.serial.is_none_or(|s| r.serial == s)
            && self.ttc.is_none_or(|t| {
                r.ttc == Some(t) || r.refund_of.as_ref().is_some_and(|s| s.ttc == t)
            })
            && self
                .topup
                .as_ref()
                .is_none_or(|id| r.topup.as_ref().is_some_and(|t| &t.id == id))
            && self.days.is_none_or(|d| d.from <= r.date && r.date <= d.to)
    }
}

/// The terminal's home alone (no card): for what reads its journal.
fn home_only(a: &Args) -> Result<TerminalHome, String> {
    let profile = open::profile(&a.profile)?;
    a.home(&profile, true)
}

fn not_found(what: &str) -> ExitCode {
    eprintln!("{}: {what}", Code::PNotFound);
    eprintln!(
        "{}",
        stk_wallet::errors::Reason::Code(Code::PNotFound).render()
    );
    failed()
}

/// `pos reprint --last | --ttc N | --topup ID`.
fn reprint(a: &Args, which: &Pick) -> Result<ExitCode, String> {
    let home = home_only(a)?;
    let all = home.journal.receipts().map_err(|e| e.to_string())?;
    let found = match which {
        Pick::Last => all.last(),
        Pick::Ttc(n) => all.iter().rev().find(|r| r.ttc == Some(*n)),
        Pick::Topup(id) => all
            .iter()
            .rev()
            .find(|r| r.topup.as_ref().is_some_and(|t| &t.id == id)),
        Pick::Refund(n) => all
            .iter()
            .rev()
            .find(|r| r.refund_of.as_ref().is_some_and(|s| s.ttc == *n)),
    };
    match found {
        Some(r) => {
            print!("{}", r.render(true));
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(not_found(&match which {
            Pick::Last => "this terminal has no receipt yet".to_string(),
            Pick::Ttc(n) => format!("no completed sale with TTC {n} at this terminal"),
            Pick::Topup(id) => format!("no loaded top-up {id} at this terminal"),
            Pick::Refund(n) => {
                format!("no loaded refund of the sale with TTC {n} at this terminal")
            }
        })),
    }
}

/// `pos lookup [--card-serial S] [--ttc N] [--topup ID] [--date DAY[..DAY]] [--json]`.
fn lookup(a: &Args, f: &Filter, json: bool) -> Result<ExitCode, String> {
    let home = home_only(a)?;
    let found: Vec<Receipt> = home
        .journal
        .receipts()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|r| f.matches(r))
        .collect();
    if found.is_empty() {
        return Ok(not_found("no completed transaction matches the filters"));
    }
    if json {
        let v: Vec<serde_json::Value> = found.iter().map(Receipt::json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        );
    } else {
        for r in &found {
            println!("{}", r.summary());
        }
    }
    Ok(ExitCode::SUCCESS)
}
