//! The set-up the integration tests share: a card personalised from a profile, a POS with its
//! PSAM at a fixed date and time, the issuer host, a till with its bank and journal, and the
//! CLI binary. A test file takes it with `mod common;`; no file uses every helper.
#![allow(dead_code)]

#[cfg(feature = "pcsc")]
pub mod pcsc;

use std::path::Path;
use std::process::{Command, Stdio};
use stk_wallet::acquirer::SqliteBank;
use stk_wallet::card::Card;
use stk_wallet::fault::{CardFault, FaultyTransport};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::Journal;
use stk_wallet::pos::{Clock, Pos, PosError, TopupReport};
use stk_wallet::profile::Profile;
use stk_wallet::psam::Psam;
use stk_wallet::transport::Transport;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};

/// The `stk-wallet` binary Cargo built for this test run.
pub const CLI: &str = env!("CARGO_BIN_EXE_stk-wallet");

/// The POS clock of the tests: 2026-11-22 12:00:00.
pub const NOON: Clock = Clock::Fixed {
    date: [0x20, 0x26, 0x11, 0x22],
    time: [0x12, 0, 0],
};

/// A POS whose card commands pass through the fault injector.
pub type FaultyPos = Pos<FaultyTransport<SimCard>, SimPsam>;

/// A card freshly personalised from `p`, reachable from both interfaces.
pub fn new_card(p: &Profile) -> SharedCard {
    shared(Card::personalise(p))
}

/// A POS that reaches the card through `link`, with a PSAM personalised from `p`, at [`NOON`].
pub fn pos_with<T: Transport>(link: T, p: &Profile) -> Pos<T, SimPsam> {
    Pos::new(
        link,
        SimPsam::new(Psam::from_profile(p)),
        NOON,
        p.wallet_aid.clone(),
    )
}

/// `card`'s contactless interface behind the fault injector, which carries out `plan`.
pub fn faulty(card: &SharedCard, plan: CardFault) -> FaultyTransport<SimCard> {
    FaultyTransport::new(SimCard::contactless(card.clone()), Some(card.clone()), plan)
}

/// A card-side fault written as the CLI's `--fault` takes it.
pub fn plan(text: &str) -> CardFault {
    text.parse().expect("plan")
}

/// A card from the default profile, a POS on its contactless interface, the issuer host.
pub fn bed() -> (SharedCard, Pos<SimCard, SimPsam>, IssuerHost) {
    let p = Profile::default_profile();
    let card = new_card(&p);
    let pos = pos_with(SimCard::contactless(card.clone()), &p);
    (card, pos, IssuerHost::from_profile(&p))
}

/// As [`bed`], with the POS's card commands passing through the fault injector with `plan`.
pub fn faulty_bed(plan: CardFault) -> (SharedCard, FaultyPos, IssuerHost) {
    let p = Profile::default_profile();
    let card = new_card(&p);
    let pos = pos_with(faulty(&card, plan), &p);
    (card, pos, IssuerHost::from_profile(&p))
}

/// A shop's till for integrated top-ups: a card, a POS reaching it through the link `C` (the
/// fault injector unless a test brings its own), the issuer, the acquirer (bank) and the POS
/// journal, both SQLite files in a temporary folder that lives as long as the till.
pub struct Till<C: Transport = FaultyTransport<SimCard>> {
    pub card: SharedCard,
    pub pos: Pos<C, SimPsam>,
    pub issuer: IssuerHost,
    pub bank: SqliteBank,
    pub journal: Journal,
    _dir: tempfile::TempDir,
}

/// A [`Till`] on a card from the default profile, the card link carrying out `plan`.
pub fn till(plan: CardFault) -> Till {
    let (card, pos, issuer) = faulty_bed(plan);
    Till::around(card, pos, issuer)
}

impl<C: Transport> Till<C> {
    /// A till around `pos`, which reaches `card`, with a fresh bank and journal.
    pub fn around(card: SharedCard, pos: Pos<C, SimPsam>, issuer: IssuerHost) -> Till<C> {
        let dir = tempfile::tempdir().unwrap();
        Till {
            card,
            pos,
            issuer,
            bank: SqliteBank::open(&dir.path().join("bank.db")).unwrap(),
            journal: Journal::open(&dir.path().join("pos.db")).unwrap(),
            _dir: dir,
        }
    }

    /// The till's top-up of 50.00 yuan, card 6222, the right payment password.
    pub fn topup_5000(&mut self) -> Result<TopupReport, PosError> {
        self.pos.topup(
            &self.journal,
            &self.issuer,
            &self.bank,
            "6222",
            5000,
            "123456",
            &mut |_| {},
        )
    }
}

/// The CLI with `args`, run in `dir`, its output thrown away unless the caller pipes it.
pub fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(CLI);
    c.current_dir(dir)
        .env_remove("STK_TERMINAL")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Runs `cmd` with its stdout piped until it prints a line containing `marker` (a flow's
/// `step: …` line), then SIGKILLs it in the pause that follows. Returns every line read; the
/// caller asserts the marker was among them (the process may end before printing it).
pub fn kill_at_step(mut cmd: Command, marker: &str) -> Vec<String> {
    use std::io::BufRead;
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut said = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let stop = line.contains(marker);
        said.push(line);
        if stop {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    said
}

/// Writes a card freshly personalised from `p` as the image file `path`.
pub fn card_image(path: &Path, p: &Profile) {
    stk_wallet::card::image::save(&Card::personalise(p), path).unwrap();
}

/// A `pos` flow's lines reduced to their shape: the header (link and fault) and every hex
/// string or number blanked; fault notices (only a fault injected in this process prints them)
/// and the terminal's notes dropped.
pub fn purchase_shape(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with("terminal: ") && !l.starts_with("  ! fault at"))
        .map(|l| {
            let header = l.starts_with("card image ") || l.starts_with("card in reader ");
            if header && l.contains(", fault: ") {
                return "<link>, fault: <fault>".to_string();
            }
            l.split_whitespace()
                .map(|w| {
                    let number = w.chars().any(|c| c.is_ascii_digit())
                        && w.chars()
                            .all(|c| c.is_ascii_hexdigit() || ".,:()".contains(c));
                    if number { "#" } else { w }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Card `i` of a fleet: the default profile with the last byte of its serial changed (so its
/// keys, diversified from the serial, are its own); every card shares the issuer's keys.
pub fn fleet_profile(i: u8) -> Profile {
    let mut p = Profile::default_profile();
    p.issuer.serial[9] = p.issuer.serial[9].wrapping_add(i);
    p
}

/// A fixed POS clock `t` seconds into 2026-11-01 (one instant per model step).
pub fn tick_clock(t: u32) -> Clock {
    let bcd = |v: u32| (((v / 10) << 4) | (v % 10)) as u8;
    Clock::Fixed {
        date: [0x20, 0x26, 0x11, bcd(1 + t / 86_400 % 28)],
        time: [bcd(t / 3600 % 24), bcd(t / 60 % 60), bcd(t % 60)],
    }
}

/// A whole number from the environment variable `name`, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A process's standard output and error, one after the other.
pub fn said(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The CLI with `args` in `dir`, run to its end, its output kept.
pub fn output(dir: &Path, args: &[&str]) -> std::process::Output {
    cli(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Writes `NAME.json` in `dir`: the default profile with another last serial byte, so its card
/// is another card at the same terminals and clearing host.
pub fn other_profile(dir: &Path, name: &str, last_serial_byte: u8) -> Profile {
    let mut p = Profile::default_profile();
    p.name = name.into();
    p.issuer.serial[9] = last_serial_byte;
    p.validate().unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&p).unwrap(),
    )
    .unwrap();
    p
}

/// The TTC of a completed sale's line (`purchase of … TTC n, TAC …`), if the output has one.
pub fn sale_ttc(out: &str) -> Option<u32> {
    let line = out.lines().find(|l| l.starts_with("purchase of"))?;
    let rest = &line[line.find("TTC ")? + 4..];
    rest[..rest.find(',')?].parse().ok()
}

/// The property tests' configuration: shrunk failures are kept in `proptest-regressions/`
/// beside the test file, so a failing case replays on the next run.
pub fn model_config() -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}
