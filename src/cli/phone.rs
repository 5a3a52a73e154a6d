//! `phone`: the wallet's SIM Toolkit menu on a card image, interactive or replaying keys.

use super::open;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::handset::{Handset, HandsetError, PROFILE_NO_UCS2, PROFILE_UCS2, tokens};
use stk_wallet::host::IssuerHost;
use stk_wallet::issuer_db::{DEFAULT_ISSUER_DB, IssuerState};
use stk_wallet::settle::SqliteLedger;
use stk_wallet::transport::sim::{SharedCard, shared};

#[derive(clap::Args)]
pub struct Args {
    /// The card image (saved after every command the card answers).
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    /// zh: a handset that displays Chinese (UCS2); en: one that does not (English menus).
    #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
    lang: String,
    /// Replay these comma-separated keys and print every screen, e.g. "1,2" ("?N": help on
    /// item N, "?": help on an input screen).
    #[arg(long)]
    keys: Option<String>,
    /// The profile the card was made from (the issuer host's keys for Top Up).
    #[arg(long, default_value = "default")]
    profile: String,
    /// The clearing host's ledger (SQLite), where the issuer books over-the-air top-ups and
    /// bill payments as it approves them.
    #[arg(long, default_value = "ledger.db")]
    ledger: PathBuf,
    /// The issuer's state (current and retired key versions): its over-the-air gateway
    /// refuses a top-up under a retired load key. Read, never created.
    #[arg(long, default_value = DEFAULT_ISSUER_DB)]
    issuer: PathBuf,
    /// Network and handset date and time "YYYYMMDD HHMMSS" (default: now, UTC).
    #[arg(long)]
    clock: Option<String>,
    /// uicc: a 3G/4G handset (USIM, class 00/80); gsm: a GSM handset (DF GSM, class A0).
    #[arg(long, default_value = "uicc", value_parser = ["uicc", "gsm"])]
    class: String,
    /// Print the SIM files the handset read at start-up (ICCID, EF_DIR, IMSI, services, AD).
    #[arg(short, long)]
    verbose: bool,
}

fn report(e: HandsetError, card: &SharedCard) -> String {
    let why = card
        .borrow()
        .last_refusal()
        .map(|r| format!(" ({})", r.why))
        .unwrap_or_default();
    format!("{e}{why}")
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let p = open::profile(&a.profile)?;
    let card = shared(open::owned_card(&a.card)?);
    let clock = open::clock(a.clock.as_deref())?;
    let ledger = SqliteLedger::open(&a.ledger).map_err(|e| e.to_string())?;
    let state = IssuerState::read(&a.issuer, &p)
        .map_err(|e| format!("the issuer's state {}: {e}", a.issuer.display()))?;
    let host = IssuerHost::from_profile(&p).with_state(state);
    let net = stk_wallet::network::IssuerNetwork::new(host, clock).with_ledger(Box::new(ledger));
    let tp = if a.lang == "en" {
        PROFILE_NO_UCS2
    } else {
        PROFILE_UCS2
    };
    // Every command is saved as the card answers it: the card's memory survives a phone
    // killed mid-session, as a SIM's EEPROM survives a handset switched off.
    let mut h = Handset::new(open::ImageCard::contact(card.clone(), &a.card))
        .with_profile(&tp)
        .with_network(std::rc::Rc::new(net))
        .with_clock(clock);
    if a.class == "gsm" {
        h.cla = 0xA0;
    }
    if let Err(e) = h.power_on() {
        return Err(report(e, &card));
    }
    if let Some(files) = h.sim.as_ref().filter(|_| a.verbose) {
        print!("{}", files.render());
    }
    match a.keys.as_deref() {
        Some(script) => {
            print!("{}", h.render());
            for t in tokens(script) {
                let shown = if h.hidden_input() {
                    "*".repeat(t.len())
                } else {
                    t.clone()
                };
                println!("> {shown}");
                if let Err(e) = h.press_token(&t) {
                    println!("! {}", report(e, &card));
                }
                print!("{}", h.render());
            }
        }
        None => {
            let stdin = std::io::stdin();
            let tty = stdin.is_terminal();
            loop {
                print!("{}q quit> ", h.render());
                let _ = std::io::stdout().flush();
                let hide = tty && h.hidden_input();
                if hide {
                    let _ = std::process::Command::new("stty").arg("-echo").status();
                }
                let mut line = String::new();
                let n = stdin.lock().read_line(&mut line);
                if hide {
                    let _ = std::process::Command::new("stty").arg("echo").status();
                    println!();
                }
                let line = line.trim();
                if matches!(n, Ok(0) | Err(_)) || line == "q" {
                    break;
                }
                let token = if line.is_empty() { "o" } else { line };
                if let Err(e) = h.press_token(token) {
                    println!("! {}", report(e, &card));
                }
            }
        }
    }
    open::save_card(&card.borrow(), &a.card)?;
    Ok(ExitCode::SUCCESS)
}
