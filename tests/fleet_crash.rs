//! Money is conserved across crashes, cards and terminals, with the CLI as processes.
//!
//! Two cards (the default profile and one with another serial) and two terminal homes (each
//! with its own termID) share one back office: one bank (bank.db) and one clearing ledger
//! (ledger.db). Purchases, issuer loads, integrated top-ups, over-the-air top-ups from the
//! phone's menu and settlements are started at random and killed (SIGKILL) at random instants;
//! after each kill the shop carries on as a real one would (the card tapped again for a sale in
//! doubt, `pos resume` after a top-up, settlement run again), and then:
//!
//! * each card moved by at most the killed operation: one debit of its amount, one load of its
//!   amount, or nothing; a completed operation moved it exactly once, as it reported;
//! * each card's balance = its initial balance + loads − purchases, counted from those moves;
//! * the bank's charges − reversals = the top-up loads, nothing left open;
//! * every settlement accepted all it was sent (no `H-DUPLICATE`, no `H-TAC` for a genuine
//!   sale).
//!
//! Once a terminal settles a card, the clearing host's books for that card hold every purchase,
//! POS load, top-up load and over-the-air load counted, less those still only in the other
//! terminal's journal, plus any over-the-air load the card never took that the clearing host
//! could only presume: the issuer booked it pending as it approved it, the phone was killed
//! before the card took it, the card spent that counter on a POS load or top-up at the other
//! terminal, and its log (ten records) no longer held that load when this terminal settled the
//! card. Nothing on the card tells the two apart then; the other terminal's upload, proved by
//! its TAC, replaces the presumed load (the test knows the counter of every over-the-air load
//! the card took, so it counts only presumptions that are wrong). At the end every terminal has settled every card: each card's purchases
//! and loads of every kind in the ledger are those counted, so its shadow balance = its card
//! balance, to the fen; no TTC was used twice at a terminal, no top-up id twice.
//!
//! `FLEET_SEED` seeds the choices and kill instants (SplitMix); `FLEET_KILLS` is the number of
//! kills to reach (default 600; a run stops early after `FLEET_SECS`, default 150 s, and says so).

mod common;

use common::{cli, env_u64, other_profile, output, said, sale_ttc};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use stk_wallet::acquirer::SqliteBank;
use stk_wallet::card::image;
use stk_wallet::fault::SplitMix;
use stk_wallet::home::TerminalHome;
use stk_wallet::journal::Journal;
use stk_wallet::settle::{ClearingHost, Ledger, MoveKind, SqliteLedger};

/// A card of the fleet: its image, profile argument, serial and what the test counted.
struct CardBook {
    image: &'static str,
    profile: &'static str,
    serial: [u8; 10],
    initial: u32,
    purchases: u64,
    pos_loads: u64,
    topup_loads: u64,
    air_loads: u64,
}

impl CardBook {
    fn expected(&self) -> u64 {
        u64::from(self.initial) + self.pos_loads + self.topup_loads + self.air_loads
            - self.purchases
    }
}

/// Balance, online counter, offline counter of a card image.
fn state(d: &Path, image: &str) -> (u32, u16, u16) {
    let c = image::load(&d.join(image)).unwrap();
    let p = &c.state().purse;
    (p.balance, p.online_counter, p.offline_counter)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Flow {
    Purchase,
    Load,
    Topup,
    Air,
    Settle,
}

const TERMINALS: [(&str, &str); 2] = [("t1", "001122334455"), ("t2", "001122330002")];

/// Runs the CLI to its end and insists on exit status 0.
fn ok(d: &Path, args: &[&str]) -> String {
    let o = output(d, args);
    assert!(o.status.success(), "{args:?}:\n{}", said(&o));
    said(&o)
}

/// Settles terminal `t` for `card`: every record sent is accepted.
fn settle(d: &Path, t: &str, card: &CardBook) -> String {
    let out = ok(
        d,
        &[
            "settle",
            "--terminal",
            t,
            "--card",
            card.image,
            "--profile",
            card.profile,
        ],
    );
    for l in out.lines().filter(|l| l.starts_with("upload ")) {
        assert!(l.contains(" 0 rejected"), "a genuine sale rejected:\n{out}");
    }
    out
}

#[test]
fn money_is_conserved_across_kills_cards_and_terminals() {
    let target = env_u64("FLEET_KILLS", 600);
    let budget = Duration::from_secs(env_u64("FLEET_SECS", 150));
    let seed = env_u64("FLEET_SEED", 0xF1EE_7001);
    let mut rng = SplitMix(seed);
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let b = other_profile(d, "b-profile", 0x52);
    ok(d, &["card", "new", "-o", "a.json"]);
    ok(
        d,
        &["card", "new", "--profile", "b-profile.json", "-o", "b.json"],
    );
    let a_serial = stk_wallet::profile::Profile::default_profile()
        .issuer
        .serial;
    let mut cards = [
        ("a.json", "default", a_serial),
        ("b.json", "b-profile.json", b.issuer.serial),
    ]
    .map(|(image, profile, serial)| CardBook {
        image,
        profile,
        serial,
        initial: state(d, image).0,
        purchases: 0,
        pos_loads: 0,
        topup_loads: 0,
        air_loads: 0,
    });
    // Both homes exist, and the clearing host knows both cards, before anything is killed.
    for (t, id) in TERMINALS {
        ok(
            d,
            &[
                "pos",
                "balance",
                "--terminal",
                t,
                "--term-id",
                id,
                "--card",
                "a.json",
            ],
        );
    }
    for c in &cards {
        settle(d, "t1", c);
    }

    let mut ttcs: HashSet<(&str, u32)> = HashSet::new();
    // (card, online counter) of every over-the-air load a card took.
    let mut air_at: HashSet<(usize, u16)> = HashSet::new();
    // What each terminal has not yet settled, per card: purchases and top-up loads.
    let mut unsettled = [[(0u64, 0u64); 2]; 2];
    let mut landed: BTreeMap<(Flow, String), u32> = BTreeMap::new();
    let mut length: BTreeMap<Flow, Vec<u64>> = BTreeMap::new();
    let (mut kills, mut ops) = (0u64, 0u64);
    let start = Instant::now();
    while kills < target && start.elapsed() < budget {
        ops += 1;
        let ci = rng.below(2) as usize;
        let ti = rng.below(2) as usize;
        let (t, term_id) = TERMINALS[ti];
        let before = [state(d, "a.json"), state(d, "b.json")];
        // Keep the balance between 30.00 and 900.00: loads when low, purchases when high.
        let flow = match (before[ci].0, rng.below(10)) {
            (0..3000, r) => [Flow::Load, Flow::Topup, Flow::Air][r as usize % 3],
            (90000.., r) if r < 8 => Flow::Purchase,
            (_, 0..=2) => Flow::Purchase,
            (_, 3) => Flow::Load,
            (_, 4..=5) => Flow::Topup,
            (_, 6..=7) => Flow::Air,
            _ => Flow::Settle,
        };
        let yuan = 1 + rng.below(5) as u32;
        let amount = yuan.to_string();
        let card = &cards[ci];
        let clock = format!(
            "20261122 {:02}{:02}{:02}",
            8 + ops / 3600,
            ops / 60 % 60,
            ops % 60
        );
        let mut args: Vec<String> = match flow {
            Flow::Purchase => vec!["pos", "purchase", &amount, "--step-delay-ms", "8"],
            Flow::Load => vec!["pos", "load", &amount],
            Flow::Topup => vec![
                "pos",
                "topup",
                &amount,
                "--bank-pin",
                "2468",
                "--step-delay-ms",
                "8",
            ],
            Flow::Air => vec!["phone", "--lang", "en"],
            Flow::Settle => vec!["settle"],
        }
        .into_iter()
        .map(String::from)
        .collect();
        let keys = format!("1,1,{yuan},123456");
        match flow {
            Flow::Air => args.extend(["--keys".into(), keys, "--clock".into(), clock.clone()]),
            Flow::Settle => args.extend(["--terminal".into(), t.into()]),
            _ => args.extend(
                ["--terminal", t, "--term-id", term_id, "--clock", &clock].map(String::from),
            ),
        }
        args.extend(["--card", card.image, "--profile", card.profile].map(String::from));
        // The instant of the kill: within one and a half times the flow's length on this
        // machine, the longest of its first three runs (which are not killed).
        let runs = length.entry(flow).or_default();
        let window = (runs.len() >= 3).then(|| runs.iter().max().unwrap() * 3 / 2);
        // A lost answer now and then: a sale or a load in doubt within the process as well.
        if rng.below(4) == 0 {
            match flow {
                Flow::Purchase => args.extend(["--fault".into(), "lose-response:debit".into()]),
                Flow::Topup => args.extend(["--fault".into(), "lose-response:credit".into()]),
                _ => {}
            }
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = cli(d, &argv)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let killed = match window {
            Some(ms) => {
                std::thread::sleep(Duration::from_millis(rng.below(ms)));
                child.try_wait().unwrap().is_none()
            }
            None => {
                child.wait().unwrap();
                runs.push(started.elapsed().as_millis() as u64 + 1);
                false
            }
        };
        if killed {
            child.kill().unwrap(); // SIGKILL on Unix
            kills += 1;
        }
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        if !killed {
            assert!(status.success(), "{argv:?} failed:\n{out}");
        }
        // Where the kill landed: the last step the process printed.
        let last = |prefix: &str| {
            out.lines()
                .rev()
                .find_map(|l| l.trim_start().strip_prefix(prefix))
                .unwrap_or("(nothing yet)")
                .to_string()
        };
        let mut at = match flow {
            Flow::Topup => last("step: "),
            Flow::Air => format!(
                "after {} key(s)",
                out.lines().filter(|l| l.starts_with("> ")).count()
            ),
            Flow::Settle => shape(out.lines().last().unwrap_or("(nothing yet)")),
            _ => "killed".to_string(),
        };

        // The shop carries on.
        let mut ttc_seen = Vec::new();
        let mut reported = out.clone();
        if let Some(n) = sale_ttc(&out) {
            ttc_seen.push(n);
        }
        match flow {
            Flow::Purchase => {
                let doubt = TerminalHome::open_existing(&d.join(t))
                    .unwrap()
                    .in_doubt(&card.serial)
                    .unwrap();
                if killed {
                    at = if doubt.is_some() {
                        "sale in doubt"
                    } else {
                        "no sale in doubt"
                    }
                    .to_string();
                }
                if let Some(sale) = doubt {
                    // Tapped again for the same sale until the terminal no longer doubts it.
                    assert!(killed || !out.contains("done"), "{out}");
                    assert_eq!(sale.amount, yuan * 100);
                    let again = ok(
                        d,
                        &[
                            "pos",
                            "purchase",
                            &amount,
                            "--terminal",
                            t,
                            "--card",
                            card.image,
                            "--profile",
                            card.profile,
                        ],
                    );
                    ttc_seen.push(sale_ttc(&again).expect("a sale line"));
                    reported.push_str(&again);
                }
            }
            Flow::Topup => {
                let again = ok(
                    d,
                    &[
                        "pos",
                        "resume",
                        "--terminal",
                        t,
                        "--card",
                        card.image,
                        "--profile",
                        card.profile,
                    ],
                );
                assert!(
                    again.contains("0 top-up(s) unfinished, 0 reversal(s) queued"),
                    "{again}"
                );
                reported.push_str(&again);
            }
            Flow::Settle if killed => {
                settle(d, t, card);
            }
            _ => {}
        }
        for n in ttc_seen {
            assert!(
                ttcs.insert((t, n)),
                "TTC {n} used twice at {t}:\n{reported}"
            );
        }

        // Each card moved by at most this operation, exactly once if it reported completion.
        let after = [state(d, "a.json"), state(d, "b.json")];
        assert_eq!(
            after[1 - ci],
            before[1 - ci],
            "the other card moved: {argv:?}\n{out}"
        );
        let (b0, on0, off0) = before[ci];
        let (b1, on1, off1) = after[ci];
        let (dn, df) = (on1 - on0, off1 - off0);
        let fen = u64::from(yuan) * 100;
        let card = &mut cards[ci];
        match flow {
            Flow::Purchase => {
                // A killed sale not in doubt may never have reached the card.
                let sold = if killed { df } else { 1 };
                assert_eq!(
                    (dn, df),
                    (0, sold),
                    "a sale is debited once: {argv:?}\n{reported}"
                );
                card.purchases += u64::from(df) * fen;
                unsettled[ti][ci].0 += u64::from(df) * fen;
            }
            Flow::Settle => assert_eq!((dn, df), (0, 0)),
            _ => {
                assert_eq!(df, 0);
                assert!(dn <= 1, "loaded twice: {argv:?}\n{reported}");
                let done = match flow {
                    Flow::Load => out.contains(&format!("load of {yuan}.00 yuan done")),
                    Flow::Topup => {
                        reported.contains("loaded, TAC") || reported.contains("charge confirmed")
                    }
                    _ => out.contains(&format!("Topped up {yuan}.00 yuan")),
                };
                if !killed {
                    assert!(done, "{argv:?} did not load:\n{out}");
                }
                if done {
                    assert_eq!(dn, 1, "reported loaded, not on the card:\n{reported}");
                }
                if killed {
                    at = format!("{at} ({})", if dn == 1 { "loaded" } else { "not loaded" });
                }
                let l = u64::from(dn) * fen;
                match flow {
                    Flow::Load => {
                        card.pos_loads += l;
                        unsettled[ti][ci].1 += l;
                    }
                    Flow::Topup => {
                        card.topup_loads += l;
                        unsettled[ti][ci].1 += l;
                    }
                    _ => {
                        card.air_loads += l;
                        if dn == 1 {
                            air_at.insert((ci, on0));
                        }
                    }
                }
            }
        }
        if flow == Flow::Purchase && killed {
            at = format!("{at} ({})", if df == 1 { "debited" } else { "not debited" });
        }
        assert_eq!(
            u64::from(b1),
            card.expected(),
            "{}: balance {b0} → {b1} after {argv:?} (seed {seed}):\n{reported}",
            card.image
        );
        if killed {
            *landed.entry((flow, at)).or_insert(0) += 1;
        }

        // The clearing host, once a terminal has settled a card: all that card's sales, POS
        // loads and top-up loads at that terminal are booked, once, and its over-the-air loads
        // (booked by the issuer as it approved them) are decided from the card.
        if flow == Flow::Settle {
            for l in out.lines().filter(|l| l.starts_with("upload ")) {
                assert!(l.contains(" 0 rejected"), "a genuine sale rejected:\n{out}");
            }
            unsettled[ti] = [(0, 0); 2];
            let mut ledger = SqliteLedger::open(&d.join("ledger.db")).unwrap();
            let (sales, loads) = (
                unsettled[0][ci].0 + unsettled[1][ci].0,
                unsettled[0][ci].1 + unsettled[1][ci].1,
            );
            let card = &cards[ci];
            // Over-the-air loads the card never took, booked as presumed (see the header).
            let presumed: u64 = ledger
                .presumed_moves(&card.serial)
                .unwrap()
                .iter()
                .filter(|p| p.m.kind == MoveKind::AirLoad && !air_at.contains(&(ci, p.m.counter)))
                .map(|p| u64::from(p.m.amount))
                .sum();
            assert_eq!(
                ledger.totals(&card.serial).unwrap(),
                Some((
                    u64::from(card.initial),
                    card.pos_loads + card.topup_loads + card.air_loads - loads + presumed,
                    card.purchases - sales
                )),
                "{}: the clearing host's books after {argv:?} (seed {seed}):\n{reported}",
                card.image
            );
        }

        // The bank: every top-up charge is a load or was reversed, none left open.
        let bank = SqliteBank::open(&d.join("bank.db"))
            .unwrap()
            .totals()
            .unwrap();
        let topped: u64 = cards.iter().map(|c| c.topup_loads).sum();
        assert_eq!(
            (bank.charged - bank.reversed, bank.open),
            (topped, 0),
            "bank {bank:?} after {argv:?} (seed {seed}):\n{reported}"
        );
    }
    let elapsed = start.elapsed();

    // Settle everything at both terminals, once per card so that each card's balance is shown.
    for (t, _) in TERMINALS {
        for c in &cards {
            settle(d, t, c);
        }
        let home = TerminalHome::open_existing(&d.join(t)).unwrap();
        assert!(home.all_in_doubt().unwrap().is_empty());
        assert!(home.journal.sales_to_upload().unwrap().is_empty());
    }
    let mut ledger = ClearingHost::new(
        stk_wallet::host::IssuerHost::from_profile(&stk_wallet::profile::Profile::default_profile()),
        SqliteLedger::open(&d.join("ledger.db")).unwrap(),
    );
    for c in &cards {
        let (balance, _, _) = state(d, c.image);
        assert_eq!(u64::from(balance), c.expected(), "{}", c.image);
        assert_eq!(
            ledger.ledger.totals(&c.serial).unwrap(),
            Some((
                u64::from(c.initial),
                c.pos_loads + c.topup_loads + c.air_loads,
                c.purchases
            )),
            "{}: the clearing host's books",
            c.image
        );
        // Every fen is booked: the shadow balance is the card's.
        assert_eq!(
            ledger.shadow(&c.serial).unwrap(),
            Some(i64::from(balance)),
            "{}",
            c.image
        );
    }
    // Top-up ids: one per top-up over both terminals, each charged at most once.
    let bank = SqliteBank::open(&d.join("bank.db")).unwrap();
    let mut ids = HashSet::new();
    let mut by_state: BTreeMap<&str, u32> = BTreeMap::new();
    for (t, _) in TERMINALS {
        let j = Journal::open(&d.join(t).join("terminal.db")).unwrap();
        for top in j.all_topups().unwrap() {
            assert!(
                ids.insert(top.txn.clone()),
                "top-up id {} used twice",
                top.txn
            );
            assert!(bank.deliveries(&top.txn, "charge").unwrap().1 <= 1);
            assert!(top.state.is_final(), "{top:?}");
            *by_state.entry(top.state.as_str()).or_insert(0) += 1;
        }
    }
    assert!(bank.txns().unwrap().iter().all(|t| ids.contains(t)));
    assert!(
        kills >= target.min(1),
        "no run was killed: the test proves nothing"
    );
    let sales = ttcs.len();
    eprintln!(
        "fleet (seed {seed:#x}): {ops} operations, {kills} killed in {elapsed:.1?}{}; \
         {sales} sales settled once, top-ups by final state {by_state:?}",
        if kills < target {
            format!(" (stopped by FLEET_SECS before {target})")
        } else {
            String::new()
        }
    );
    for c in &cards {
        eprintln!(
            "  {}: {} + POS loads {} + top-ups {} + over the air {} − purchases {} = {}",
            c.image,
            c.initial,
            c.pos_loads,
            c.topup_loads,
            c.air_loads,
            c.purchases,
            c.expected()
        );
    }
    eprintln!("  each flow's first three runs (ms): {length:?}");
    eprintln!("  where the kills landed (flow: last step printed or the card's state):");
    for ((flow, at), n) in &landed {
        eprintln!("    {flow:?}: {at}: {n}");
    }
}

/// A line with its numbers blanked (`#`), to count where kills landed.
fn shape(line: &str) -> String {
    let mut out = String::new();
    for ch in line.chars() {
        if ch.is_ascii_digit() || ch == '.' && out.ends_with('#') {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// Two processes on one card at one terminal at once: each completes or is refused at once as
/// busy (exit status 2, `P-TERMINAL-BUSY` for the terminal, `I-BUSY` for the card image), and
/// the card ends at its initial balance + every completed load − every completed purchase.
/// `FLEET_PAIRS` rounds (default 60), the second process started after a seeded delay.
#[test]
fn two_processes_on_one_card_and_terminal_serialise_or_refuse() {
    let rounds = env_u64("FLEET_PAIRS", 60);
    let seed = env_u64("FLEET_SEED", 0xF1EE_7001);
    let mut rng = SplitMix(seed ^ 0xC0C0);
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new"]);
    let (initial, _, _) = state(d, "card.json");
    let purchase: &[&str] = &["pos", "purchase", "1", "--terminal", "t"];
    let topup: &[&str] = &["pos", "topup", "2", "--bank-pin", "2468", "--terminal", "t"];
    let phone: &[&str] = &["phone", "--lang", "en", "--keys", "1,1,3,123456"];
    let pairs = [
        (purchase, purchase),
        (topup, purchase),
        (phone, purchase),
        (phone, topup),
    ];
    let (mut loads, mut sales, mut refused) = (0u64, 0u64, 0u64);
    let (mut n_loads, mut n_sales, mut topped) = (0u16, 0u16, 0u64);
    let start = Instant::now();
    for round in 0..rounds {
        let (first, second) = pairs[round as usize % pairs.len()];
        let one = cli(d, first)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(15)));
        let two = cli(d, second)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for (args, child) in [(first, one), (second, two)] {
            let o = child.wait_with_output().unwrap();
            let out = said(&o);
            match o.status.code() {
                Some(2) => {
                    assert!(
                        out.contains("P-TERMINAL-BUSY") || out.contains("I-BUSY"),
                        "{args:?} refused without saying it is busy:\n{out}"
                    );
                    refused += 1;
                }
                Some(0) if args[0] == "phone" && out.contains("Topped up 3.00 yuan") => {
                    loads += 300;
                    n_loads += 1;
                }
                Some(0) if args[1] == "topup" && out.contains("loaded, TAC") => {
                    loads += 200;
                    topped += 200;
                    n_loads += 1;
                }
                Some(0) if args[1] == "purchase" && out.contains("purchase of 1.00 yuan done") => {
                    sales += 100;
                    n_sales += 1;
                }
                c => panic!("{args:?} neither completed nor refused as busy ({c:?}):\n{out}"),
            }
        }
        let (balance, online, offline) = state(d, "card.json");
        assert_eq!(
            (u64::from(balance), online, offline),
            (u64::from(initial) + loads - sales, n_loads, n_sales),
            "a lost or doubled update in round {round} (seed {seed})"
        );
    }
    let bank = SqliteBank::open(&d.join("bank.db"))
        .unwrap()
        .totals()
        .unwrap();
    assert_eq!((bank.charged - bank.reversed, bank.open), (topped, 0));
    eprintln!(
        "{rounds} pairs in {:.1?} (seed {seed:#x}): {n_sales} purchases, {n_loads} loads, {refused} refused as busy",
        start.elapsed()
    );
}

/// An over-the-air top-up the issuer authorised (booked pending at the card's online counter)
/// whose phone was killed before the card took it; the card then spends that counter on a POS
/// load at the other terminal, and enough sales follow that the card's log (ten records) no
/// longer holds the load. Settling the first terminal cannot tell from the card who used the
/// counter; the POS load's upload, proved by its TAC, must still be booked, and the
/// over-the-air load that never happened must not be.
#[test]
fn a_killed_air_load_does_not_take_the_counter_of_a_pos_load_uploaded_later() {
    use stk_wallet::settle::{Move, MoveState};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["card", "new", "-o", "a.json"]);
    let p = stk_wallet::profile::Profile::default_profile();
    let serial = p.issuer.serial;
    let (initial, online, _) = state(d, "a.json");
    for (t, id) in TERMINALS {
        ok(
            d,
            &[
                "pos",
                "balance",
                "--terminal",
                t,
                "--term-id",
                id,
                "--card",
                "a.json",
            ],
        );
    }
    ok(d, &["settle", "--terminal", "t1", "--card", "a.json"]);
    // What the issuer's gateway books as it approves a top-up of 1.00 yuan at the card's
    // online counter, before its answer leaves (the phone is killed then).
    SqliteLedger::open(&d.join("ledger.db"))
        .unwrap()
        .add_move(
            &Move {
                serial,
                kind: MoveKind::AirLoad,
                counter: online,
                amount: 100,
                term_id: p.menu.operator_term_id,
                date: [0x20, 0x26, 0x11, 0x22],
                time: [0x08, 0, 0],
                reference: "over the air".into(),
            },
            MoveState::Pending,
        )
        .unwrap();
    let load = ok(
        d,
        &["pos", "load", "2", "--terminal", "t2", "--card", "a.json"],
    );
    assert!(load.contains("load of 2.00 yuan done"), "{load}");
    for _ in 0..10 {
        ok(
            d,
            &[
                "pos",
                "purchase",
                "1",
                "--terminal",
                "t1",
                "--card",
                "a.json",
            ],
        );
    }
    let (balance, on, _) = state(d, "a.json");
    assert_eq!((balance, on), (initial + 200 - 1000, online + 1));
    let first = ok(d, &["settle", "--terminal", "t1", "--card", "a.json"]);
    assert!(
        first.contains("booked on the counter alone"),
        "the first settlement names the presumed move:\n{first}"
    );
    // At this instant the card cannot tell who used the counter: the over-the-air load is
    // presumed, and named.
    let mut ledger = SqliteLedger::open(&d.join("ledger.db")).unwrap();
    assert_eq!(
        ledger.totals(&serial).unwrap(),
        Some((u64::from(initial), 100, 1000)),
        "{first}"
    );
    assert_eq!(ledger.presumed_moves(&serial).unwrap().len(), 1);
    drop(ledger);
    let second = ok(d, &["settle", "--terminal", "t2", "--card", "a.json"]);
    assert!(
        second.contains("reconciled, nothing outstanding"),
        "{second}"
    );
    let mut ledger = SqliteLedger::open(&d.join("ledger.db")).unwrap();
    assert_eq!(
        ledger.totals(&serial).unwrap(),
        Some((u64::from(initial), 200, 1000)),
        "the books hold the POS load, not the over-the-air load:\n{first}\n{second}"
    );
    let moves = ledger.moves(&serial).unwrap();
    let state_of = |k: MoveKind| moves.iter().find(|m| m.m.kind == k).map(|m| m.state);
    assert_eq!(
        state_of(MoveKind::AirLoad),
        Some(MoveState::Void),
        "{moves:?}"
    );
    assert_eq!(
        state_of(MoveKind::PosLoad),
        Some(MoveState::Booked),
        "{moves:?}"
    );
}
