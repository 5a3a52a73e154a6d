//! `serve`: a card image to PC/SC applications through pcscd and the vsmartcard vpcd driver, as
//! the reader lab: a scenario's faults injected per tap, an exchange log, a capture, and a
//! verdict on the reader printed on Ctrl-C or at the scenario's end.

use super::{IfaceArg, open};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use stk_wallet::card::Interface;
use stk_wallet::errors::Code;
use stk_wallet::fault::{CardFault, FaultPlan, Layer};
use stk_wallet::lab::{Lab, Scenario};
use stk_wallet::serve::{CardServer, DualCard, PcapFile, SlotServer};
use stk_wallet::transport::sim::{SimCard, shared};
use stk_wallet::transport::vpcd::{self, ServeError, ServeOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The card image (created from the scenario's or --profile's profile if it does not exist).
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    #[arg(long, default_value = "default")]
    profile: String,
    /// vpcd's address (reader "Virtual PCD 00 00" listens on 35963, "00 01" on 35964).
    #[arg(long, default_value = vpcd::DEFAULT_ADDR)]
    addr: String,
    /// Which of the card's interfaces the reader reaches.
    #[arg(long, value_enum, default_value = "contactless")]
    interface: IfaceArg,
    /// Serve both interfaces of the card from this process: the contactless one on --addr (as
    /// without --both) and the contact one on --contact-addr, each slot with its interface's
    /// ATR; a power-off or reset on one slot drops only that interface's session.
    #[arg(long, conflicts_with_all = ["interface", "scenario", "fault", "log", "pcap", "junit"])]
    both: bool,
    /// With --both: vpcd's address for the contact interface (default reader
    /// "Virtual PCD 00 01").
    #[arg(long, default_value = "127.0.0.1:35964", requires = "both")]
    contact_addr: String,
    /// Log every exchange with its meaning (stderr).
    #[arg(short, long)]
    verbose: bool,
    /// Inject a card fault once: the card link (lose-response:debit, bad-mac:mac2) or the
    /// card's power (tear:debit:3); a lost answer or a power cut makes the card leave the
    /// reader and come back.
    #[arg(long, conflicts_with = "scenario")]
    fault: Option<FaultPlan>,
    /// A reader-lab scenario (JSON, see docs/reader-lab.md and scenarios/): faults per tap and
    /// per command; the verdict is printed when its taps are done and the card is idle.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Write every exchange and power event, with millisecond UTC timestamps and decoded
    /// commands, to this file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Write every exchange as a pcap of GSMTAP SIM frames (Wireshark/tshark decode it).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Write the verdict on the reader as JUnit XML (one test case per check).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// With a scenario of N taps: how long the card stays idle after tap N before the verdict.
    #[arg(long, default_value_t = 2000)]
    idle_ms: u64,
}

/// Raised by SIGINT/SIGTERM; read by the serve loop between messages.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    // Async-signal-safe: one atomic load (the OnceLock is set before the handler) and one store.
    if let Some(s) = STOP.get() {
        s.store(true, Ordering::SeqCst);
    }
}

fn catch_signals(stop: Arc<AtomicBool>) {
    let _ = STOP.set(stop);
    #[cfg(unix)]
    // SAFETY: the handler only touches atomics; installed once, before the serve loop.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

fn scenario(a: &Args) -> Result<Scenario, String> {
    if let Some(path) = &a.scenario {
        return Scenario::load(path).map_err(|e| e.to_string());
    }
    let fault = a
        .fault
        .unwrap_or_default()
        .reaching("serve", &[Layer::Link, Layer::CardPower])
        .map_err(|e| e.to_string())?
        .card();
    let mut s = Scenario::single(fault);
    s.profile = a.profile.clone();
    if fault != CardFault::None {
        log::info!("fault armed: {fault} (fires once)");
    }
    Ok(s)
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .try_init();
    // Refused at once, before anything waits on it.
    vpcd::resolve(&a.addr).map_err(|e| format!("{}: {e}", Code::PReader))?;
    if a.both {
        return both(&a);
    }
    let scenario = scenario(&a)?;
    let mut deck = stk_wallet::lab::deck::deal_all(&scenario.deck)
        .map_err(|e| format!("{}: scenario: {e}", Code::IScenario))?;
    let (card, image, first_name) = if deck.is_empty() {
        if !a.card.exists() {
            let p = open::profile(&scenario.profile)?;
            open::new_card(&p, &a.card)?;
            log::info!(
                "created card image {} from profile `{}`",
                a.card.display(),
                p.name
            );
        }
        (
            shared(open::owned_card(&a.card)?),
            Some(a.card.clone()),
            None,
        )
    } else {
        // A deck lives in memory: each card keeps its state for the run, none is saved.
        log::info!(
            "deck of {} card(s), in this order: {}",
            deck.len(),
            deck.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let first = deck.remove(0);
        (shared(first.card), None, Some(first.name))
    };
    let sim = SimCard {
        card: card.clone(),
        iface: a.interface.interface(),
    };
    let name = scenario.name.clone();
    let mut server = CardServer::new(card, Box::new(sim.clone()), image);
    server.set_interface(a.interface.interface());
    if let Some(first) = first_name {
        server.set_deck(first, deck);
    }
    server.lab = Some(Lab::new(scenario, sim));
    server.verbose = a.verbose;
    if let Some(p) = &a.log {
        let f = std::fs::File::create(p).map_err(|e| {
            format!(
                "{}: cannot write the log {}: {e}",
                Code::IStorage,
                p.display()
            )
        })?;
        server.log = Some(Box::new(std::io::LineWriter::new(f)));
    }
    if let Some(p) = &a.pcap {
        server.pcap = Some(PcapFile::create(p.clone()).map_err(|e| {
            format!(
                "{}: cannot write the capture {}: {e}",
                Code::IStorage,
                p.display()
            )
        })?);
    }
    let stop = Arc::new(AtomicBool::new(false));
    catch_signals(stop.clone());
    let taps = server.lab.as_ref().and_then(|l| l.scenario.taps);
    if let Some(n) = taps {
        watch_scenario_end(&server, n, Duration::from_millis(a.idle_ms), stop.clone());
    }
    let reader = vpcd::reader_name(&a.addr);
    let insertions = server.insertions.clone();
    let activity = server.activity.clone();
    let atr = server.atr_bytes().to_vec();
    let addr = a.addr.clone();
    let on_connect = move |_: &str| {
        // The idle time before the scenario's end counts from the insertion too.
        activity.store(stk_wallet::serve::millis_now(), Ordering::SeqCst);
        insertions.fetch_add(1, Ordering::SeqCst);
        announce(&addr, reader.clone(), atr.clone());
    };
    log::info!(
        "serving {} (scenario {name}) to vpcd at {}; Ctrl-C stops and prints the verdict",
        a.card.display(),
        a.addr
    );
    let opts = ServeOptions {
        stop: Some(stop),
        on_connect: Some(Box::new(on_connect)),
        eject: Some(server.eject.clone()),
        ..ServeOptions::default()
    };
    let served = vpcd::serve(&mut server, &a.addr, opts);
    for n in server.notices.drain(..) {
        eprintln!("{n}");
    }
    if let Err(e) = served {
        return Err(match vpcd::serve_error(&e) {
            Some(s @ ServeError::SlotTaken(_)) => format!("{}: {s}", Code::PSlotTaken),
            _ => format!("{}: vpcd at {}: {e}", Code::PReader, a.addr),
        });
    }
    let verdict = server
        .lab
        .as_ref()
        .map(Lab::verdict)
        .expect("the lab is set");
    print!("{verdict}");
    if let Some(p) = &a.junit {
        write_junit(p, &verdict.junit())?;
    }
    if let Some(p) = &server.pcap {
        log::info!("capture: {} frame(s)", p.frames());
    }
    Ok(super::status(!verdict.failed()))
}

/// `serve --both`: one card image, its contactless interface on `--addr` and its contact
/// interface on `--contact-addr`, each slot served by its own thread until Ctrl-C.
fn both(a: &Args) -> Result<ExitCode, String> {
    vpcd::resolve(&a.contact_addr).map_err(|e| format!("{}: {e}", Code::PReader))?;
    if a.addr == a.contact_addr {
        return Err(format!(
            "{}: --addr and --contact-addr are both {}: each interface needs its own vpcd slot",
            Code::PReader,
            a.addr
        ));
    }
    if !a.card.exists() {
        let p = open::profile(&a.profile)?;
        open::new_card(&p, &a.card)?;
        log::info!(
            "created card image {} from profile `{}`",
            a.card.display(),
            p.name
        );
    }
    let card = DualCard::new(open::owned_card(&a.card)?, a.card.clone());
    let stop = Arc::new(AtomicBool::new(false));
    catch_signals(stop.clone());
    let slots = [
        (Interface::Contactless, a.addr.clone()),
        (Interface::Contact, a.contact_addr.clone()),
    ];
    let results: Vec<(String, std::io::Result<()>)> = std::thread::scope(|s| {
        let handles: Vec<_> = slots
            .iter()
            .map(|(iface, addr)| {
                let mut slot = SlotServer::new(card.clone(), *iface);
                slot.verbose = a.verbose;
                let stop = stop.clone();
                let reader = vpcd::reader_name(addr);
                let atr = slot.atr_bytes().to_vec();
                let iface = *iface;
                s.spawn(move || {
                    log::info!(
                        "serving the {} interface of the card on vpcd at {addr} (reader {}, ATR {})",
                        iface_name(iface),
                        reader.as_deref().unwrap_or("see `stk-wallet readers`"),
                        hex::encode_upper(&atr)
                    );
                    let opts = ServeOptions {
                        stop: Some(stop.clone()),
                        ..ServeOptions::default()
                    };
                    let r = vpcd::serve(&mut slot, addr, opts);
                    // One slot failing ends the other: half a card is not what was asked for.
                    stop.store(true, Ordering::SeqCst);
                    (addr.clone(), r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a slot thread"))
            .collect()
    });
    for (addr, r) in results {
        if let Err(e) = r {
            return Err(match vpcd::serve_error(&e) {
                Some(s @ ServeError::SlotTaken(_)) => format!("{}: {s}", Code::PSlotTaken),
                _ => format!("{}: vpcd at {addr}: {e}", Code::PReader),
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn iface_name(i: Interface) -> &'static str {
    match i {
        Interface::Contact => "contact",
        Interface::Contactless => "contactless",
    }
}

fn write_junit(p: &Path, xml: &str) -> Result<(), String> {
    std::fs::write(p, xml)
        .map_err(|e| format!("{}: cannot write {}: {e}", Code::IStorage, p.display()))
}

/// Raises `stop` once `taps` taps have come and the card has then been idle for `idle`.
fn watch_scenario_end(server: &CardServer, taps: u32, idle: Duration, stop: Arc<AtomicBool>) {
    let insertions = server.insertions.clone();
    let activity = server.activity.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let last = activity.load(Ordering::SeqCst);
            let now = stk_wallet::serve::millis_now();
            if insertions.load(Ordering::SeqCst) >= taps
                && last != 0
                && now.saturating_sub(last) >= idle.as_millis() as u64
            {
                log::info!("scenario done: {taps} tap(s) played and the card idle for {idle:?}");
                stop.store(true, Ordering::SeqCst);
                return;
            }
        }
    });
}

/// Says which PC/SC reader shows the card: the name derived from the vpcd port, checked with
/// pcscd when the build has PC/SC.
fn announce(addr: &str, derived: Option<String>, atr: Vec<u8>) {
    let Some(name) = derived else {
        log::info!(
            "vpcd at {addr} adopted the card; the port is not vpcd's default 35963/35964, so \
             list the readers (`stk-wallet readers`) to find its name"
        );
        return;
    };
    #[cfg(feature = "pcsc")]
    {
        let addr = addr.to_string();
        std::thread::spawn(move || match confirm(&name, &atr) {
            Ok(()) => log::info!(
                "PC/SC applications see the card in reader \"{name}\" (confirmed with pcscd)"
            ),
            Err(why) => log::warn!(
                "vpcd at {addr} adopted the card, which should be reader \"{name}\", but pcscd \
                 does not confirm it: {why}"
            ),
        });
    }
    #[cfg(not(feature = "pcsc"))]
    {
        let _ = atr;
        log::info!(
            "PC/SC applications see the card in reader \"{name}\" (from the vpcd port; this \
             build has no PC/SC to confirm it)"
        );
    }
}

/// Waits up to 5 s for pcscd to show a card with `atr` in reader `name`.
#[cfg(feature = "pcsc")]
fn confirm(name: &str, atr: &[u8]) -> Result<(), String> {
    use pcsc::{Context, ReaderState, Scope, State};
    let ctx = Context::establish(Scope::User).map_err(|e| format!("no PC/SC service: {e}"))?;
    let cname = std::ffi::CString::new(name).map_err(|e| e.to_string())?;
    let mut states = [ReaderState::new(cname, State::UNAWARE)];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match ctx.get_status_change(Duration::from_millis(500), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(format!("reader \"{name}\": {e}")),
        }
        let s = &states[0];
        if s.event_state().contains(State::PRESENT) && s.atr() == atr {
            return Ok(());
        }
        if s.event_state().contains(State::UNKNOWN) {
            return Err(format!("pcscd has no reader \"{name}\""));
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "reader \"{name}\" shows {:?} with ATR {}",
                s.event_state(),
                hex::encode_upper(s.atr())
            ));
        }
        states[0].sync_current_state();
    }
}
