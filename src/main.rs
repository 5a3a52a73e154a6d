//! `stk-wallet`: a thin command-line shell over the library.

mod faults_cli;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stk_wallet::card::{Card, image};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, Pos, PosError, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::sim::{SimCard, SimPsam, shared};
use stk_wallet::vectors::{report, runner};
use stk_wallet::{errors, sw::Sw};

#[derive(Parser)]
#[command(
    name = "stk-wallet",
    version,
    about = "Simulated SIM-card mobile wallet: card, handset, POS and conformance vectors"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run vector files or folders (default: vectors/) against the embedded simulated card.
    Run {
        paths: Vec<PathBuf>,
        /// Also write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Print every APDU exchange of every vector.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Explain a status word or error code from the catalogue (e.g. 9302, 63C2, P-DIGEST).
    Explain { code: String },
    /// Card images.
    Card {
        #[command(subcommand)]
        cmd: CardCmd,
    },
    /// Settlement: upload the POS journal's purchase records to the clearing host.
    Settle {
        #[arg(long, default_value = "pos.db")]
        journal: PathBuf,
        /// The clearing host's ledger (SQLite).
        #[arg(long, default_value = "ledger.db")]
        ledger: PathBuf,
        /// Compare the shadow balance with this card image.
        #[arg(long, default_value = "card.json")]
        card: PathBuf,
        #[arg(long, default_value = "default")]
        profile: String,
        /// `duplicate-upload` sends the upload twice.
        #[arg(long)]
        fault: Option<String>,
    },
    /// POS flows against a card image (the image is updated atomically after each flow).
    Pos {
        #[command(subcommand)]
        cmd: PosCmd,
        /// The card image.
        #[arg(long, global = true, default_value = "card.json")]
        card: PathBuf,
        /// The profile the card was made from (for the PSAM's and issuer's keys).
        #[arg(long, global = true, default_value = "default")]
        profile: String,
        /// Transaction date and time "YYYYMMDD HHMMSS" (default: now, UTC).
        #[arg(long, global = true)]
        clock: Option<String>,
    },
}

#[derive(Subcommand)]
enum CardCmd {
    /// Personalise a new card image from a profile.
    New {
        /// `default` or a profile JSON file.
        #[arg(long, default_value = "default")]
        profile: String,
        #[arg(long, short, default_value = "card.json")]
        out: PathBuf,
        /// Overwrite an existing image.
        #[arg(long)]
        force: bool,
    },
    /// Show a card image's balance, counters and passwords state.
    Show {
        #[arg(default_value = "card.json")]
        image: PathBuf,
    },
}

#[derive(Subcommand)]
enum PosCmd {
    /// An offline purchase of AMOUNT (yuan, e.g. 12.34).
    Purchase {
        amount: String,
        /// Inject a fault and show the recovery step by step (`stk-wallet pos purchase 5
        /// --fault lose-response:debit`; see `--fault help`).
        #[arg(long)]
        fault: Option<String>,
        /// Store the sale record in this POS journal (SQLite) for `stk-wallet settle`.
        #[arg(long)]
        journal: Option<PathBuf>,
    },
    /// Integrated top-up: charge bank card PAN at the acquirer, load the wallet, confirm (or
    /// reverse). Resumes unfinished top-ups and queued reversals first.
    Topup {
        amount: String,
        #[arg(long, default_value = "6222020200112233445")]
        pan: String,
        #[arg(long, default_value = "123456")]
        pin: String,
        /// The POS journal (SQLite, WAL).
        #[arg(long, default_value = "pos.db")]
        journal: PathBuf,
        /// The simulated acquirer's database.
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// A fault: card faults (lose-response:credit, tear:credit:7, bad-mac:load-mac2) or
        /// host-down[:N] (the issuer), acquirer-down[:N].
        #[arg(long)]
        fault: Option<String>,
        /// Sleep this long after each journaled step (crash tests).
        #[arg(long, default_value_t = 0, hide = true)]
        step_delay_ms: u64,
    },
    /// Resolve unfinished top-ups and retry queued reversals.
    Resume {
        #[arg(long, default_value = "pos.db")]
        journal: PathBuf,
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// acquirer-down[:N] keeps the acquirer unreachable.
        #[arg(long)]
        fault: Option<String>,
    },
    /// A top-up of AMOUNT (yuan) authorised by the issuer host.
    Load {
        amount: String,
        /// The payment password.
        #[arg(long, default_value = "123456")]
        pin: String,
    },
    /// The card's balance.
    Balance,
    /// The card's last ten transactions, newest first.
    History,
}

/// Parses a yuan amount ("12.34", "12", "0.5") into fen.
fn fen(s: &str) -> Result<u32, String> {
    let bad = || format!("amount `{s}` must be yuan with at most two decimals, e.g. 12.34");
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || frac.len() > 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac = format!("{frac:0<2}");
    let v =
        int.parse::<u64>().map_err(|_| bad())? * 100 + frac.parse::<u64>().map_err(|_| bad())?;
    u32::try_from(v).map_err(|_| bad())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.cmd {
        Cmd::Run {
            paths,
            junit,
            verbose,
        } => run_vectors(paths, junit, verbose),
        Cmd::Explain { code } => explain(&code),
        Cmd::Card { cmd } => card(cmd),
        Cmd::Settle {
            journal,
            ledger,
            card,
            profile,
            fault,
        } => faults_cli::settle(&journal, &ledger, &card, &profile, fault.as_deref()),
        Cmd::Pos {
            cmd:
                PosCmd::Purchase {
                    amount,
                    fault,
                    journal,
                },
            card,
            profile,
            clock,
        } if fault.is_some() || journal.is_some() => faults_cli::purchase(
            &fen(&amount)?,
            fault.as_deref(),
            journal.as_deref(),
            &card,
            &profile,
            clock.as_deref(),
        ),
        Cmd::Pos {
            cmd:
                PosCmd::Topup {
                    amount,
                    pan,
                    pin,
                    journal,
                    bank,
                    fault,
                    step_delay_ms,
                },
            card,
            profile,
            clock,
        } => faults_cli::topup(
            faults_cli::TopupArgs {
                amount: fen(&amount)?,
                pan,
                pin,
                journal,
                bank,
                fault,
                step_delay_ms,
            },
            &card,
            &profile,
            clock.as_deref(),
        ),
        Cmd::Pos {
            cmd:
                PosCmd::Resume {
                    journal,
                    bank,
                    fault,
                },
            card,
            profile,
            clock,
        } => faults_cli::resume(
            &journal,
            &bank,
            fault.as_deref(),
            &card,
            &profile,
            clock.as_deref(),
        ),
        Cmd::Pos {
            cmd,
            card,
            profile,
            clock,
        } => pos(cmd, &card, &profile, clock.as_deref()),
    }
}

fn run_vectors(
    paths: Vec<PathBuf>,
    junit: Option<PathBuf>,
    verbose: bool,
) -> Result<ExitCode, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths
    };
    let files = runner::collect(&paths)?;
    if files.is_empty() {
        return Err(format!(
            "no vector files (*.json) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut outcomes = Vec::with_capacity(files.len());
    for f in &files {
        let o = runner::run_file(f, &mut runner::Target::Simulator);
        println!("{}", report::line(&o));
        print!("{}", report::details(&o));
        if verbose {
            for e in &o.transcript {
                println!("    > {}  ({})", hex::encode_upper(&e.command), e.step);
                println!(
                    "    < {}",
                    e.response
                        .as_ref()
                        .map_or("(no response)".into(), hex::encode_upper)
                );
            }
        }
        outcomes.push(o);
    }
    println!("{}", report::summary(&outcomes));
    if let Some(j) = junit {
        std::fs::write(&j, report::junit(&outcomes, "stk-wallet vectors"))
            .map_err(|e| format!("cannot write {}: {e}", j.display()))?;
    }
    let (_, failed, _) = report::counts(&outcomes);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain(code: &str) -> Result<ExitCode, String> {
    let t: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.trim_start_matches("0x").trim_start_matches("0X");
    if let Ok(sw) = t.parse::<Sw>() {
        println!("{}", errors::render_for(sw));
        return Ok(ExitCode::SUCCESS);
    }
    match errors::lookup(code) {
        Some(e) => {
            println!("{}", e.render());
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!(
            "`{code}` is not a status word (4 hex digits) or a catalogue code; `stk-wallet explain P-DIGEST`, `stk-wallet explain 9302`"
        )),
    }
}

fn load_card(path: &Path) -> Result<Card, String> {
    image::load(path).map_err(|e| e.to_string())
}

fn card(cmd: CardCmd) -> Result<ExitCode, String> {
    match cmd {
        CardCmd::New {
            profile,
            out,
            force,
        } => {
            let p = Profile::load(&profile).map_err(|e| format!("I-PROFILE: {e}"))?;
            if out.exists() && !force {
                return Err(format!(
                    "{} exists; pass --force to replace it",
                    out.display()
                ));
            }
            let c = Card::personalise(&p);
            image::save(&c, &out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!(
                "card image {} written from profile `{}`: balance {} yuan, serial {}",
                out.display(),
                p.name,
                yuan(p.purse.balance),
                hex::encode_upper(p.issuer.serial)
            );
            Ok(ExitCode::SUCCESS)
        }
        CardCmd::Show { image: path } => {
            let c = load_card(&path)?;
            let s = c.state();
            println!(
                "serial          {}",
                hex::encode_upper(&s.perso.ef0015[10..20])
            );
            println!(
                "wallet          {}",
                if s.purse.open { "open" } else { "closed" }
            );
            println!(
                "balance         {} yuan (cap {})",
                yuan(s.purse.balance),
                yuan(s.purse.balance_cap)
            );
            println!(
                "payment limit   {} yuan",
                yuan(s.purse.single_payment_limit)
            );
            println!(
                "counters        online {}  offline {}",
                s.purse.online_counter, s.purse.offline_counter
            );
            println!(
                "payment pwd     {} of {} tries left",
                s.payment_password.tries_left, s.payment_password.max_tries
            );
            println!(
                "operation pwd   {} ({} of {} tries left)",
                if s.operation_password.enabled {
                    "on"
                } else {
                    "off"
                },
                s.operation_password.tries_left,
                s.operation_password.max_tries
            );
            println!("log records     {}", s.log.count);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn pos(
    cmd: PosCmd,
    card_path: &Path,
    profile: &str,
    clock: Option<&str>,
) -> Result<ExitCode, String> {
    let p = Profile::load(profile).map_err(|e| format!("I-PROFILE: {e}"))?;
    let card = shared(load_card(card_path)?);
    let clock = match clock {
        Some(c) => {
            let (date, time) = stk_wallet::vectors::format::parse_clock(c)?;
            Clock::Fixed { date, time }
        }
        None => Clock::System,
    };
    let psam_path = card_path.with_extension("psam.json");
    let psam: Psam = match std::fs::read_to_string(&psam_path) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| format!("PSAM state {}: {e}", psam_path.display()))?,
        Err(_) => Psam::from_profile(&p),
    };
    let psam = SimPsam::new(psam);
    let host = IssuerHost::from_profile(&p);
    let mut pos = Pos::new(
        SimCard::contactless(card.clone()),
        psam.clone(),
        clock,
        p.wallet_aid.clone(),
    );
    let result: Result<(), PosError> = match cmd {
        PosCmd::Purchase { amount, .. } => {
            let a = fen(&amount)?;
            pos.purchase(a).map(|r| {
                println!(
                    "purchase of {} yuan done: card counter {}, TTC {}, TAC {}",
                    yuan(r.amount),
                    r.counter,
                    r.ttc,
                    hex::encode_upper(r.tac)
                );
            })
        }
        PosCmd::Load { amount, pin } => {
            let a = fen(&amount)?;
            pos.load(&host, a, &pin).map(|r| {
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
            })
        }
        PosCmd::Balance => pos.balance().map(|b| println!("balance {} yuan", yuan(b))),
        PosCmd::Topup { .. } | PosCmd::Resume { .. } => {
            return Err("top-up and resume run through faults_cli".into());
        }
        PosCmd::History => pos.history().map(|h| {
            if h.is_empty() {
                println!("no transactions");
            }
            for (i, e) in h.iter().enumerate() {
                println!("{:2}. {e}", i + 1);
            }
        }),
    };
    image::save(&card.borrow(), card_path)
        .map_err(|e| format!("cannot save {}: {e}", card_path.display()))?;
    let psam_json = serde_json::to_string_pretty(&*psam.0.borrow()).map_err(|e| e.to_string())?;
    std::fs::write(&psam_path, psam_json)
        .map_err(|e| format!("cannot save {}: {e}", psam_path.display()))?;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("failed: {e}");
            eprintln!("{}", pos.trace);
            let code = e.code();
            let text = match code.parse::<Sw>() {
                Ok(sw) => errors::render_for(sw),
                Err(_) => errors::lookup(&code)
                    .map(|x| x.render())
                    .unwrap_or_default(),
            };
            eprintln!("{text}");
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_amounts() {
        assert_eq!(super::fen("12.34"), Ok(1234));
        assert_eq!(super::fen("12.3"), Ok(1230));
        assert_eq!(super::fen("7"), Ok(700));
        assert!(
            super::fen("1.234").is_err()
                && super::fen("-1").is_err()
                && super::fen("").is_err()
                && super::fen("99999999999").is_err()
        );
    }
}
