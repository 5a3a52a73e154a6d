//! `stk-wallet`: a thin command-line shell over the library.

mod faults_cli;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stk_wallet::card::{Card, image};
use stk_wallet::errors::{self, Code, Reason};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::{Clock, yuan};
use stk_wallet::profile::Profile;
use stk_wallet::transport::Transport;
use stk_wallet::transport::sim::{SimCard, shared};
use stk_wallet::vectors::{report, runner};

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
        /// Run against the card in this PC/SC reader (exact name or a unique part of it).
        #[arg(long)]
        reader: Option<String>,
        /// With --reader and a card served by `stk-wallet serve --card IMAGE`: before each
        /// vector, write a card personalised from the vector's profile to IMAGE (the server
        /// loads it at the next power-on), so every vector starts from a fresh card.
        #[arg(long, requires = "reader")]
        card_image: Option<PathBuf>,
        /// Capabilities the reader's card has (e.g. `fixed-random` for a test card with the
        /// profile's fixed random numbers); --card-image implies fixed-random.
        #[arg(long, requires = "reader")]
        assume: Vec<String>,
        /// Also write every APDU exchange of the run as a pcap of GSMTAP SIM frames (Wireshark
        /// decodes them, toolkit commands included).
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Which interface of the card the reader reaches (vectors for the other are skipped).
        #[arg(long, value_enum, default_value = "contactless")]
        interface: IfaceArg,
    },
    /// Serve a card image to PC/SC applications through pcscd and the vsmartcard vpcd driver.
    Serve {
        /// The card image (created from --profile if it does not exist).
        #[arg(long, default_value = "card.json")]
        card: PathBuf,
        #[arg(long, default_value = "default")]
        profile: String,
        /// vpcd's address (reader "Virtual PCD 00 00" listens on 35963, "00 01" on 35964).
        #[arg(long, default_value = stk_wallet::transport::vpcd::DEFAULT_ADDR)]
        addr: String,
        /// Which of the card's interfaces the reader reaches.
        #[arg(long, value_enum, default_value = "contactless")]
        interface: IfaceArg,
        /// Log every exchange with its meaning.
        #[arg(short, long)]
        verbose: bool,
        /// Inject a card fault once (e.g. lose-response:debit, tear:debit:3, bad-mac:mac2):
        /// a lost answer or a power cut makes the card leave the reader and come back.
        #[arg(long)]
        fault: Option<String>,
    },
    /// List the PC/SC readers.
    Readers,
    /// Convert between vectors and scriptor (pcsc-tools) APDU scripts.
    Vectors {
        #[command(subcommand)]
        cmd: VectorsCmd,
    },
    /// Explain a status word or error code from the catalogue (e.g. 9302, 63C2, P-DIGEST);
    /// without a code, or with --list, list every catalogue entry.
    Explain {
        code: Option<String>,
        /// List the catalogue: every status word and code with its one-line meaning.
        #[arg(long, conflicts_with = "code")]
        list: bool,
    },
    /// Card images.
    Card {
        #[command(subcommand)]
        cmd: CardCmd,
    },
    /// Settlement: upload a terminal's journal (its sales) to the clearing host.
    Settle {
        /// The terminal's home folder (default: $STK_TERMINAL, else ./pos).
        #[arg(long)]
        terminal: Option<PathBuf>,
        /// Upload this POS journal file (written by a version before terminal homes) instead.
        #[arg(long, conflicts_with = "terminal")]
        journal: Option<PathBuf>,
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
    /// POS flows at a terminal (its home folder keeps the termID, PSAM keys, TTC and journal)
    /// against a card image (saved atomically after every command) or a card in a reader.
    Pos {
        #[command(subcommand)]
        cmd: PosCmd,
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
    },
    /// The holder's phone: the wallet's SIM Toolkit menu on a card image, interactive or
    /// replaying --keys (item numbers, text input, o ok, b back, e end, t time-out).
    Phone {
        /// The card image (saved after the session).
        #[arg(long, default_value = "card.json")]
        card: PathBuf,
        /// zh: a handset that displays Chinese (UCS2); en: one that does not (English menus).
        #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
        lang: String,
        /// Replay these comma-separated keys and print every screen, e.g. "1,2".
        #[arg(long)]
        keys: Option<String>,
        /// The profile the card was made from (the issuer host's keys for Top Up).
        #[arg(long, default_value = "default")]
        profile: String,
        /// Network date and time "YYYYMMDD HHMMSS" (default: now, UTC).
        #[arg(long)]
        clock: Option<String>,
    },
}

#[derive(Subcommand)]
enum VectorsCmd {
    /// A vector from a scriptor script (every step accepts any status word until you add
    /// expectations).
    ImportScriptor {
        script: PathBuf,
        /// Write the vector here (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// A scriptor script that replays a vector's APDUs (symbolic steps expanded by a run on the
    /// simulated card), expected answers in comments.
    ExportScriptor {
        vector: PathBuf,
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum IfaceArg {
    Contactless,
    Contact,
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
        /// Refused: the journal is in the terminal's home (--terminal).
        #[arg(long, hide = true)]
        journal: Option<PathBuf>,
        #[arg(long, default_value = "bank.db")]
        bank: PathBuf,
        /// acquirer-down[:N] keeps the acquirer unreachable.
        #[arg(long)]
        fault: Option<String>,
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
    },
    /// The card's balance.
    Balance,
    /// The card's last ten transactions, newest first.
    History,
}

/// Parses a yuan amount ("12.34", "12", "0.5") into fen.
fn fen(s: &str) -> Result<u32, String> {
    stk_domain::money::Fen::parse(s)
        .map(u32::from)
        .map_err(|e| format!("amount `{s}`: {e}"))
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
            reader,
            card_image,
            mut assume,
            interface,
            pcap,
        } => {
            assume.push(match interface {
                IfaceArg::Contactless => "contactless".into(),
                IfaceArg::Contact => "contact".into(),
            });
            let opts = RunOpts {
                junit,
                verbose,
                reader,
                card_image,
                assume,
                pcap,
            };
            run_vectors(paths, opts)
        }
        Cmd::Explain { code, list } => explain(code.as_deref().filter(|_| !list)),
        Cmd::Card { cmd } => card(cmd),
        Cmd::Settle {
            terminal,
            journal,
            ledger,
            card,
            profile,
            fault,
        } => faults_cli::settle(faults_cli::SettleArgs {
            terminal,
            journal,
            ledger,
            card,
            profile,
            fault,
        }),
        Cmd::Pos {
            cmd,
            terminal,
            term_id,
            card,
            profile,
            clock,
            reader,
        } => pos(
            cmd,
            faults_cli::PosOpts {
                card,
                profile,
                clock,
                reader,
                terminal,
                term_id,
            },
        ),
        Cmd::Serve {
            card,
            profile,
            addr,
            interface,
            verbose,
            fault,
        } => serve(&card, &profile, &addr, interface, verbose, fault.as_deref()),
        Cmd::Readers => readers(),
        Cmd::Vectors { cmd } => vectors_cmd(cmd),
        Cmd::Phone {
            card,
            lang,
            keys,
            profile,
            clock,
        } => phone(&card, &lang, keys.as_deref(), &profile, clock.as_deref()),
    }
}

struct RunOpts {
    pcap: Option<PathBuf>,
    junit: Option<PathBuf>,
    verbose: bool,
    reader: Option<String>,
    card_image: Option<PathBuf>,
    assume: Vec<String>,
}

/// Opens a PC/SC reader (only in builds with the `pcsc` feature).
/// `conformance`: pass the card's `6Cxx` answers through for the vectors to judge.
#[cfg(feature = "pcsc")]
fn open_reader(name: &str, conformance: bool) -> Result<Box<dyn Transport>, String> {
    let mut t = stk_wallet::transport::pcsc::PcscTransport::connect(name)
        .map_err(|e| format!("{}: {e}", Code::PReader))?;
    t.set_resend_on_wrong_le(!conformance);
    Ok(Box::new(t))
}

#[cfg(not(feature = "pcsc"))]
fn open_reader(_name: &str, _conformance: bool) -> Result<Box<dyn Transport>, String> {
    Err(format!(
        "{}: this stk-wallet was built without PC/SC support; rebuild with `cargo build --release --features pcsc` (needs libpcsclite-dev)",
        Code::PReader
    ))
}

#[cfg(feature = "pcsc")]
fn readers() -> Result<ExitCode, String> {
    let list = stk_wallet::transport::pcsc::list_readers()
        .map_err(|e| format!("{}: {e}", Code::PReader))?;
    if list.is_empty() {
        println!(
            "no readers (is pcscd running with the vpcd driver? `stk-wallet serve` connects a card to \"Virtual PCD 00 00\")"
        );
    }
    for r in list {
        println!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "pcsc"))]
fn readers() -> Result<ExitCode, String> {
    open_reader("", false).map(|_| ExitCode::SUCCESS)
}

fn serve(
    card_path: &Path,
    profile: &str,
    addr: &str,
    iface: IfaceArg,
    verbose: bool,
    fault: Option<&str>,
) -> Result<ExitCode, String> {
    use stk_wallet::fault::{FaultPlan, FaultyTransport};
    let plan: FaultPlan = fault
        .map(str::parse)
        .transpose()
        .map_err(|e| format!("{e}"))?
        .unwrap_or(FaultPlan::None);
    if plan != FaultPlan::None && !plan.is_card_fault() {
        return Err(format!(
            "`{plan}` is not a card fault; serve takes lose-response, tear and bad-mac faults"
        ));
    }
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .try_init();
    if !card_path.exists() {
        let p = Profile::load(profile).map_err(|e| format!("{}: {e}", e.code()))?;
        image::save(&Card::personalise(&p), card_path)
            .map_err(|e| format!("cannot write {}: {e}", card_path.display()))?;
        log::info!(
            "created card image {} from profile `{}`",
            card_path.display(),
            p.name
        );
    }
    let card = shared(load_card(card_path)?);
    let iface = match iface {
        IfaceArg::Contactless => stk_wallet::card::Interface::Contactless,
        IfaceArg::Contact => stk_wallet::card::Interface::Contact,
    };
    let front: Box<dyn Transport> = Box::new(FaultyTransport::new(
        SimCard {
            card: card.clone(),
            iface,
        },
        Some(card.clone()),
        plan,
    ));
    if plan != FaultPlan::None {
        log::info!("fault armed: {plan} (fires once)");
    }
    let mut server = stk_wallet::serve::CardServer::new(card, front, Some(card_path.to_path_buf()));
    server.verbose = verbose;
    log::info!(
        "serving {} to vpcd at {addr}; PC/SC applications see it in the \"Virtual PCD\" reader (Ctrl-C stops)",
        card_path.display()
    );
    let opts = stk_wallet::transport::vpcd::ServeOptions::default();
    stk_wallet::transport::vpcd::serve(&mut server, addr, opts)
        .map_err(|e| format!("{}: vpcd at {addr}: {e}", Code::PReader))?;
    Ok(ExitCode::SUCCESS)
}

fn run_vectors(paths: Vec<PathBuf>, o: RunOpts) -> Result<ExitCode, String> {
    let RunOpts {
        junit,
        verbose,
        reader,
        card_image,
        mut assume,
        pcap,
    } = o;
    let mut capture = stk_wallet::pcap::Pcap::new();
    let mut reader = reader
        .as_deref()
        .map(|r| open_reader(r, true))
        .transpose()?;
    if card_image.is_some() && !assume.iter().any(|a| a == "fixed-random") {
        assume.push("fixed-random".into());
    }

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
        let o = match reader.as_mut() {
            None => runner::run_file(f, &mut runner::Target::Simulator),
            Some(t) => {
                let fresh_card: Option<runner::FreshCard> = card_image.as_ref().map(|img| {
                    let img = img.clone();
                    Box::new(move |p: &Profile| {
                        image::save(&Card::personalise(p), &img)
                            .map_err(|e| format!("cannot write {}: {e}", img.display()))
                    }) as runner::FreshCard
                });
                runner::run_file(
                    f,
                    &mut runner::Target::External {
                        transport: t.as_mut(),
                        capabilities: assume.clone(),
                        fresh_card,
                    },
                )
            }
        };
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
        for e in o.transcript.iter().filter(|e| !e.command.is_empty()) {
            capture.add_apdu(&e.command, e.response.as_deref().unwrap_or(&[]));
        }
        outcomes.push(o);
    }
    println!("{}", report::summary(&outcomes));
    if let Some(p) = pcap {
        capture
            .write(&p)
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        println!(
            "{} APDU exchanges written to {}",
            capture.frames(),
            p.display()
        );
    }
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

fn write_out(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn vectors_cmd(cmd: VectorsCmd) -> Result<ExitCode, String> {
    use stk_wallet::vectors::scriptor;
    match cmd {
        VectorsCmd::ImportScriptor { script, out } => {
            let text = std::fs::read_to_string(&script)
                .map_err(|e| format!("cannot read {}: {e}", script.display()))?;
            let name = script
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let v = scriptor::import(&name, &text).map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n";
            write_out(out.as_deref(), &json)?;
        }
        VectorsCmd::ExportScriptor { vector, out } => {
            let o = runner::run_file(&vector, &mut runner::Target::Simulator);
            if !matches!(o.status, runner::Status::Passed) {
                return Err(format!(
                    "the vector does not pass on the simulated card, so there is nothing faithful to export:\n{}{}",
                    report::line(&o),
                    report::details(&o)
                ));
            }
            write_out(out.as_deref(), &scriptor::export(&o.name, &o.transcript))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `explain CODE`: a status word (any, catalogued or not), a catalogue code, or a status-word
/// pattern of the catalogue (`63Cx`); `None` lists the catalogue.
fn explain(code: Option<&str>) -> Result<ExitCode, String> {
    let Some(code) = code else {
        for e in errors::all() {
            println!("{}", e.one_line());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let text = match code.parse::<Reason>() {
        Ok(r) => r.render(),
        Err(_) => errors::lookup(code).map(|e| e.render()).ok_or_else(|| {
            format!(
                "`{code}` is not a status word (4 hex digits) or a catalogue code; `stk-wallet explain P-DIGEST`, `stk-wallet explain 9302`; `stk-wallet explain --list` lists the catalogue"
            )
        })?,
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
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
            let p = Profile::load(&profile).map_err(|e| format!("{}: {e}", e.code()))?;
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

/// The `pos` subcommands: the terminal's flows, whatever the link (see `faults_cli`).
fn pos(cmd: PosCmd, o: faults_cli::PosOpts) -> Result<ExitCode, String> {
    let journal_moved = |j: Option<PathBuf>| match j {
        Some(_) => Err(format!(
            "{}: --journal is gone: the journal is kept in the terminal's home \
             (--terminal DIR, default ./pos); `stk-wallet settle --journal FILE` still uploads an \
             older journal file",
            stk_wallet::errors::Code::PTerminal
        )),
        None => Ok(()),
    };
    match cmd {
        PosCmd::Purchase {
            amount,
            fault,
            journal,
            step_delay_ms,
        } => {
            journal_moved(journal)?;
            faults_cli::purchase(&o, fen(&amount)?, fault.as_deref(), step_delay_ms)
        }
        PosCmd::Topup {
            amount,
            pan,
            pin,
            journal,
            bank,
            fault,
            step_delay_ms,
        } => {
            journal_moved(journal)?;
            faults_cli::topup(
                &o,
                faults_cli::TopupArgs {
                    amount: fen(&amount)?,
                    pan,
                    pin,
                    bank,
                    fault,
                    step_delay_ms,
                },
            )
        }
        PosCmd::Resume {
            journal,
            bank,
            fault,
            step_delay_ms,
        } => {
            journal_moved(journal)?;
            faults_cli::resume(&o, &bank, fault.as_deref(), step_delay_ms)
        }
        PosCmd::Load { amount, pin } => faults_cli::query(
            &o,
            faults_cli::Query::Load {
                amount: fen(&amount)?,
                pin,
            },
        ),
        PosCmd::Balance => faults_cli::query(&o, faults_cli::Query::Balance),
        PosCmd::History => faults_cli::query(&o, faults_cli::Query::History),
    }
}

fn phone(
    card_path: &Path,
    lang: &str,
    keys: Option<&str>,
    profile: &str,
    clock: Option<&str>,
) -> Result<ExitCode, String> {
    use std::io::{BufRead, IsTerminal, Write};
    use stk_wallet::handset::{Handset, HandsetError, PROFILE_NO_UCS2, PROFILE_UCS2, tokens};
    let p = Profile::load(profile).map_err(|e| format!("{}: {e}", e.code()))?;
    let card = shared(load_card(card_path)?);
    let clock = Clock::from_arg(clock)?;
    let net = stk_wallet::network::IssuerNetwork::new(IssuerHost::from_profile(&p), clock);
    let tp = if lang == "en" {
        PROFILE_NO_UCS2
    } else {
        PROFILE_UCS2
    };
    let mut h = Handset::new(SimCard::contact(card.clone()))
        .with_profile(&tp)
        .with_network(std::rc::Rc::new(net));
    let save = |card: &stk_wallet::transport::sim::SharedCard| {
        image::save(&card.borrow(), card_path)
            .map_err(|e| format!("cannot save {}: {e}", card_path.display()))
    };
    let report = |e: HandsetError, card: &stk_wallet::transport::sim::SharedCard| {
        let why = card
            .borrow()
            .last_refusal()
            .map(|r| format!(" ({})", r.why))
            .unwrap_or_default();
        format!("{e}{why}")
    };
    if let Err(e) = h.power_on() {
        return Err(report(e, &card));
    }
    match keys {
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
    save(&card)?;
    Ok(ExitCode::SUCCESS)
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
