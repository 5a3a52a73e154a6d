//! `desk`: the issuer's service desk (docs/spec.md §7): resets the operation password, reloads
//! the payment password, cancels a phone number, closes a wallet with money on it (refunded to
//! the holder at the clearing host), answers a lost phone with the handbook's rule, and lists
//! its log. The desk keeps its own home (`--desk DIR`, else `$STK_DESK`, else `./desk`).

use super::open::{self, Link};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use stk_wallet::desk::{Desk, DeskError, Holder, Request};
use stk_wallet::errors::Code;
use stk_wallet::fault::CardFault;
use stk_wallet::handset::Handset;
use stk_wallet::settle::{Ledger, SqliteLedger};
use stk_wallet::transport::Transport;
use stk_wallet::transport::sim::{SharedCard, shared};

/// The environment variable naming the desk's home (`--desk` wins over it).
const DESK_ENV: &str = "STK_DESK";

#[derive(clap::Args)]
pub struct Args {
    /// The desk's home folder (desk.db and its lock); default $STK_DESK, else ./desk.
    #[arg(long, global = true)]
    desk: Option<PathBuf>,
    /// The profile the card was made from (the issuer's keys).
    #[arg(long, default_value = "default", global = true)]
    profile: String,
    /// The desk's date and time "YYYYMMDD HHMMSS" (default: now, UTC).
    #[arg(long, global = true)]
    clock: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

/// Who asks and which card.
#[derive(clap::Args)]
struct AtCard {
    /// The card image (saved after every command the card answers).
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    /// counter: the card at the desk's reader (contactless interface); air: over the air, the
    /// issuer's commands delivered to the SIM through the handset (contact interface).
    #[arg(long, default_value = "counter", value_parser = ["counter", "air"])]
    via: String,
    /// The counter's PC/SC reader holding the card (its contactless side) instead of the image
    /// (builds with the `pcsc` feature); only at the counter.
    #[arg(long)]
    reader: Option<String>,
    #[command(flatten)]
    holder: HolderArgs,
}

#[derive(clap::Args)]
struct HolderArgs {
    /// The holder's name, as on the ID card.
    #[arg(long)]
    name: String,
    /// The holder's ID number.
    #[arg(long = "id")]
    id_number: String,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Reset the operation password (4-12 digits) after checking the holder's name and ID.
    ResetOperationPassword {
        #[command(flatten)]
        at: AtCard,
        /// The new operation password.
        #[arg(long = "new")]
        new: String,
    },
    /// Reload the payment password (6 digits; it works at once) after checking the holder.
    ReloadPin {
        #[command(flatten)]
        at: AtCard,
        /// The new payment password.
        #[arg(long = "new")]
        new: String,
    },
    /// Cancel the phone number: top-ups refused from now on, purchases still work.
    CancelNumber {
        #[command(flatten)]
        at: AtCard,
    },
    /// Close the wallet; money on it leaves the card and is refunded to the holder (booked at
    /// the clearing host, so settlement reconciles).
    Close {
        #[command(flatten)]
        at: AtCard,
        /// The clearing host's ledger (SQLite).
        #[arg(long, default_value = "ledger.db")]
        ledger: PathBuf,
        /// Print each durable step and pause this long after it (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// A lost phone: the handbook's rule (not reported, not recovered); always exits 1.
    ReportLost {
        #[command(flatten)]
        holder: HolderArgs,
    },
    /// The desk's log: every request, done or refused, oldest first.
    Log,
}

fn desk_dir(arg: Option<&Path>) -> PathBuf {
    arg.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DESK_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("desk"))
}

fn holder(h: &HolderArgs) -> Holder {
    Holder {
        name: h.name.clone(),
        id_number: h.id_number.clone(),
    }
}

/// The card's own reason for its last refusal, when the card is simulated (none through a
/// reader: the card there says only its status word).
fn card_reason(card: Option<&SharedCard>) -> String {
    card.and_then(|c| {
        c.borrow()
            .last_refusal()
            .map(|r| format!(" (card: {})", r.why))
    })
    .unwrap_or_default()
}

/// A refusal: exit 1 (a wrong holder, a card that refused, a lost phone); storage and a busy
/// desk are errors of the desk's home (exit 2).
fn refused(e: &DeskError, extra: &str) -> Result<ExitCode, String> {
    match e {
        DeskError::Busy { .. } | DeskError::Storage(_) | DeskError::Value(_) => Err(e.to_string()),
        _ => {
            eprintln!("desk: refused: {e}{extra}");
            Ok(super::failed())
        }
    }
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let p = open::profile(&a.profile)?;
    let clock = open::clock(a.clock.as_deref())?;
    let dir = desk_dir(a.desk.as_deref());
    let (at, req, ledger) = match a.cmd {
        Cmd::Log => {
            let desk = Desk::open(&dir, &p, clock).map_err(|e| e.to_string())?;
            for r in desk.entries().map_err(|e| e.to_string())? {
                println!(
                    "{:>4}  {}  {:<24}  {:<20}  {:<7}  {:<14}  {}",
                    r.id,
                    r.at,
                    r.request,
                    r.serial.as_deref().unwrap_or("-"),
                    r.outcome,
                    r.code.as_deref().unwrap_or("-"),
                    r.detail
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        Cmd::ReportLost { holder: h } => {
            let desk = Desk::open(&dir, &p, clock).map_err(|e| e.to_string())?;
            let e = desk.report_lost(&holder(&h));
            return refused(&e, "");
        }
        Cmd::ResetOperationPassword { at, new } => (at, Request::ResetOperationPassword(new), None),
        Cmd::ReloadPin { at, new } => (at, Request::ReloadPin(new), None),
        Cmd::CancelNumber { at } => (at, Request::CancelNumber, None),
        Cmd::Close {
            at,
            ledger,
            step_delay_ms,
        } => (at, Request::Close, Some((ledger, step_delay_ms))),
    };
    if at.reader.is_some() && at.via == "air" {
        return Err(format!(
            "{}: --reader is the counter's reader; over the air (--via air) the handset carries \
             the issuer's commands to the card",
            Code::PReader
        ));
    }
    let mut desk = Desk::open(&dir, &p, clock).map_err(|e| e.to_string())?;
    if let Some((_, ms)) = ledger.as_ref().filter(|(_, ms)| *ms > 0) {
        let pause = std::time::Duration::from_millis(*ms);
        desk.on_step(move |what| {
            println!("  step: {what}");
            std::thread::sleep(pause);
        });
    }
    // At the counter the card is an image in this process or a card in the counter's reader
    // (the POS's link); over the air the handset is on: it starts the SIM as a phone does
    // (files, TERMINAL PROFILE, SET UP MENU) and then carries the issuer's commands to its
    // contact interface.
    let mut handset;
    let mut counter;
    let mut in_reader;
    let mut card = None;
    let link: &mut dyn Transport = if let Some(name) = &at.reader {
        in_reader =
            Link::open(&at.card, Some(name), Duration::ZERO)?.connect(1, CardFault::None)?;
        in_reader
            .reset()
            .map_err(|e| format!("{}: {e}", Code::PReader))?;
        &mut in_reader
    } else if at.via == "air" {
        let c = card.insert(shared(open::owned_card(&at.card)?)).clone();
        handset = Handset::new(open::ImageCard::contact(c, &at.card));
        handset.transport().reset().map_err(|e| e.to_string())?;
        handset
            .power_on()
            .map_err(|e| format!("{}: the handset: {e}", Code::PReader))?;
        handset.transport()
    } else {
        let c = card.insert(shared(open::owned_card(&at.card)?)).clone();
        counter = open::ImageCard::contactless(c, &at.card);
        counter.reset().map_err(|e| e.to_string())?;
        &mut counter
    };
    let mut book = match &ledger {
        Some((path, _)) => Some(SqliteLedger::open(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let r = desk.serve(
        link,
        &holder(&at.holder),
        &req,
        book.as_mut().map(|l| l as &mut dyn Ledger),
    );
    match r {
        Ok(line) => {
            println!(
                "desk: {} ({}): {line}",
                req.name(),
                match (&at.reader, at.via.as_str()) {
                    (Some(r), _) => format!("at the counter, card in reader {r}"),
                    (None, "air") => "over the air".into(),
                    (None, _) => "at the counter".into(),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(&e, &card_reason(card.as_ref())),
    }
}
