//! The reader lab's scenario file: which card to serve and, per tap or per command, the faults
//! to inject. docs/reader-lab.md documents the format; `scenarios/` holds ready ones.
//!
//! ```json
//! {
//!   "scenario": "lost-debit-answer",
//!   "description": "The answer to the first DEBIT FOR PURCHASE is lost.",
//!   "profile": "default",
//!   "taps": 2,
//!   "faults": [
//!     { "tap": 1, "fault": "lose-response:debit" },
//!     { "tap": 2, "fault": "late:read-record:80" }
//!   ]
//! }
//! ```
//!
//! A *tap* is one insertion of the card in the reader (one vpcd connection): tap 1 is the
//! first; a card that gave no answer leaves the reader and its return is the next tap. Every
//! fault is checked when the file loads; one that can never fire is refused with `I-SCENARIO`.

use crate::fault::{CardFault, LinkFault, Tear, Trigger};
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use stk_domain::codec;
use stk_domain::errors::Code;

/// The largest scenario file read (a scenario is a few hundred bytes).
pub const MAX_FILE: u64 = 64 * 1024;
/// The most faults one scenario schedules.
pub const MAX_FAULTS: usize = 256;
/// The longest late answer, in milliseconds (readers time out long before).
pub const MAX_LATE_MS: u64 = 60_000;

/// What a scheduled fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A card link or power fault, carried out by [`crate::fault::FaultyTransport`]: the answer
    /// lost (the card executed the command), a power cut at an EEPROM write, a MAC/TAC flipped.
    Card(CardFault),
    /// The card leaves the reader before it executes the command (it is not executed).
    Remove(Trigger),
    /// The card answers the command this many milliseconds late.
    Late(Trigger, u64),
}

impl Action {
    /// Whether the fault takes the card out of the reader (so nothing after it in that tap
    /// can fire).
    pub fn ends_tap(&self) -> bool {
        matches!(
            self,
            Action::Remove(_)
                | Action::Card(CardFault::Link(LinkFault::LoseResponse(_)))
                | Action::Card(CardFault::Power(_))
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Card(c) => c.fmt(f),
            Action::Remove(t) => write!(f, "remove:{t}"),
            Action::Late(t, ms) => write!(f, "late:{t}:{ms}"),
        }
    }
}

/// One fault of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled {
    /// The tap it fires in (`None`: the first matching command of any tap, as `--fault`).
    pub tap: Option<u32>,
    pub action: Action,
}

/// A loaded, checked scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The card profile (`default` or a profile file) of a card image created for the run.
    pub profile: String,
    /// Taps the scenario plays; the verdict is given when the card is idle after the last.
    pub taps: Option<u32>,
    pub faults: Vec<Scheduled>,
    /// A deck of cards, the next one inserted each time the reader lets go of the card (empty:
    /// the one card of `profile`).
    pub deck: Vec<DeckCard>,
}

/// One card of a deck: a profile, and states a profile cannot give.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckCard {
    /// `default` or a profile file (a relative path is taken from the scenario's folder).
    pub profile: String,
    /// What the card is called in logs (default: the profile's file name).
    #[serde(default)]
    pub name: Option<String>,
    /// `false`: the holder closed the wallet (purchases answer `6A81`).
    #[serde(default)]
    pub wallet_open: Option<bool>,
    /// Payment-password tries left (`0`: locked).
    #[serde(default)]
    pub payment_tries_left: Option<u8>,
}

/// The most cards a deck holds.
pub const MAX_DECK: usize = 64;

/// A scenario file refused, with `I-SCENARIO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub source: String,
    pub why: String,
}

impl ScenarioError {
    pub fn code(&self) -> Code {
        Code::IScenario
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: scenario {}: {}",
            Code::IScenario,
            self.source,
            self.why
        )
    }
}

impl std::error::Error for ScenarioError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    scenario: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_profile")]
    profile: String,
    #[serde(default)]
    taps: Option<u32>,
    #[serde(default)]
    faults: Vec<FaultEntry>,
    #[serde(default)]
    deck: Vec<DeckCard>,
}

fn default_profile() -> String {
    "default".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    tap: u32,
    fault: String,
}

/// Parses one fault as a scenario writes it: a card fault as `--fault` takes it
/// (`lose-response:<cmd|N>`, `tear:<debit|credit>:<write|last>`, `bad-mac:<field>`), or
/// `remove:<cmd|N>`, or `late:<cmd|N>:<ms>`. `N` counts the commands of the tap from 1.
pub fn parse_action(s: &str) -> Result<Action, String> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let trigger = |x: &str| -> Result<Trigger, String> {
        match x.parse::<u32>() {
            Ok(0) => Err("commands count from 1".into()),
            Ok(n) => Ok(Trigger::Nth(n)),
            Err(_) => codec::instruction_by_token(x)
                .map(|i| Trigger::Ins(i.ins))
                .ok_or_else(|| format!("unknown command `{x}`")),
        }
    };
    match parts.as_slice() {
        ["remove", what] => Ok(Action::Remove(trigger(what)?)),
        ["late", what, ms] => {
            let ms: u64 = ms
                .parse()
                .map_err(|_| format!("`{ms}` is not a number of milliseconds"))?;
            if ms == 0 || ms > MAX_LATE_MS {
                return Err(format!("a late answer is 1 to {MAX_LATE_MS} ms late"));
            }
            Ok(Action::Late(trigger(what)?, ms))
        }
        ["random", ..] => Err("a scenario names its faults: `random` is for --fault".into()),
        _ => {
            let c: CardFault = s.parse().map_err(|e: crate::fault::FaultParseError| {
                format!("{e}; or remove:<cmd|N>, late:<cmd|N>:<ms>")
            })?;
            if let CardFault::Power(Tear { ins, .. }) = c
                && Tear::commit_writes(ins).is_none()
            {
                return Err(format!(
                    "a tear is scheduled at a DEBIT or CREDIT commit, whose writes are numbered; \
                     `{s}` may never fire"
                ));
            }
            Ok(Action::Card(c))
        }
    }
}

impl Scenario {
    /// The scenario of a single `--fault` (fires once, at the first matching command of any tap).
    pub fn single(fault: CardFault) -> Scenario {
        Scenario {
            name: "fault".into(),
            description: String::new(),
            profile: default_profile(),
            taps: None,
            deck: Vec::new(),
            faults: match fault {
                CardFault::None => Vec::new(),
                f => vec![Scheduled {
                    tap: None,
                    action: Action::Card(f),
                }],
            },
        }
    }

    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let source = path.display().to_string();
        let err = |why: String| ScenarioError {
            source: source.clone(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        if !meta.is_file() {
            return Err(err("not a file".into()));
        }
        if meta.len() > MAX_FILE {
            return Err(err(format!(
                "{} bytes: a scenario file is at most {MAX_FILE}",
                meta.len()
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        let mut s = Scenario::parse(&text).map_err(err)?;
        // Profile files are found from the scenario's folder.
        let dir = path.parent().unwrap_or(Path::new("."));
        for c in &mut s.deck {
            if c.profile != "default" && Path::new(&c.profile).is_relative() {
                c.profile = dir.join(&c.profile).display().to_string();
            }
        }
        Ok(s)
    }

    /// Parses and checks a scenario's JSON text.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let f: File = serde_json::from_str(text).map_err(|e| format!("not a scenario: {e}"))?;
        if f.faults.len() > MAX_FAULTS {
            return Err(format!("{} faults: at most {MAX_FAULTS}", f.faults.len()));
        }
        if f.deck.len() > MAX_DECK {
            return Err(format!(
                "{} cards in the deck: at most {MAX_DECK}",
                f.deck.len()
            ));
        }
        if f.taps == Some(0) {
            return Err("`taps` counts from 1".into());
        }
        let mut faults = Vec::with_capacity(f.faults.len());
        for (i, e) in f.faults.iter().enumerate() {
            let at = format!("faults[{i}] (`{}` in tap {})", e.fault, e.tap);
            if e.tap == 0 {
                return Err(format!("{at}: taps count from 1"));
            }
            if let Some(t) = f.taps
                && e.tap > t
            {
                return Err(format!(
                    "{at}: the scenario plays {t} tap(s), so tap {} never comes",
                    e.tap
                ));
            }
            let action = parse_action(&e.fault).map_err(|why| format!("{at}: {why}"))?;
            if let Some(prev) = faults.iter().find(|p: &&Scheduled| {
                p.tap == Some(e.tap) && p.action.ends_tap() && action.ends_tap()
            }) {
                return Err(format!(
                    "{at}: `{}` already takes the card out of the reader in tap {}, so this \
                     fault can never fire (one answer-ending fault per tap)",
                    prev.action, e.tap
                ));
            }
            if matches!(action, Action::Card(_))
                && faults.iter().any(|p: &Scheduled| {
                    p.tap == Some(e.tap) && matches!(p.action, Action::Card(_))
                })
            {
                return Err(format!(
                    "{at}: one card link or power fault per tap (the injector carries one)"
                ));
            }
            faults.push(Scheduled {
                tap: Some(e.tap),
                action,
            });
        }
        Ok(Scenario {
            name: f.scenario,
            description: f.description,
            profile: f.profile,
            taps: f.taps,
            faults,
            deck: f.deck,
        })
    }

    /// The card link or power fault scheduled for `tap`, if any.
    pub fn card_fault(&self, tap: u32) -> Option<CardFault> {
        self.faults.iter().find_map(|s| match s.action {
            Action::Card(c) if s.tap == Some(tap) => Some(c),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(json: &str) -> String {
        Scenario::parse(json).unwrap_err()
    }

    #[test]
    fn a_scenario_parses_with_its_faults() {
        let s = Scenario::parse(
            r#"{"scenario":"x","taps":2,"faults":[
                {"tap":1,"fault":"lose-response:debit"},
                {"tap":2,"fault":"late:3:80"},
                {"tap":2,"fault":"remove:debit"}]}"#,
        )
        .unwrap();
        assert_eq!(s.faults.len(), 3);
        assert_eq!(s.faults[1].action, Action::Late(Trigger::Nth(3), 80));
        assert_eq!(s.faults[2].action.to_string(), "remove:debit");
        assert_eq!(s.profile, "default");
        assert!(s.card_fault(1).is_some() && s.card_fault(2).is_none());
    }

    #[test]
    fn unreachable_faults_are_refused_at_load() {
        for (json, says) in [
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"tear:debit:99"}]}"#,
                "0-11",
            ),
            (
                r#"{"scenario":"x","taps":1,"faults":[{"tap":2,"fault":"remove:debit"}]}"#,
                "never comes",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":0,"fault":"remove:debit"}]}"#,
                "count from 1",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"tear:select:2"}]}"#,
                "may never fire",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"host-down"}]}"#,
                "not a card",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"late:debit:0"}]}"#,
                "late",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"remove:0"}]}"#,
                "count from 1",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"random:3"}]}"#,
                "random",
            ),
            (
                r#"{"scenario":"x","faults":[{"tap":1,"fault":"remove:debit"},{"tap":1,"fault":"lose-response:credit"}]}"#,
                "can never fire",
            ),
            (r#"{"scenario":"x","bogus":1}"#, "unknown field"),
            (r#"[1,2]"#, "not a scenario"),
        ] {
            let e = refused(json);
            assert!(e.contains(says), "{json}: {e}");
        }
    }
}
