//! The reader lab: what `stk-wallet serve` adds for POS developers who point their reader
//! software at the card through pcscd. A [`Scenario`] schedules faults per tap and per command;
//! [`Lab`] carries them out in front of the card and records every exchange; [`verdict`] judges
//! the reader from that record. docs/reader-lab.md is the user's guide.

pub mod deck;
pub mod scenario;
pub mod verdict;

pub use scenario::{Action, Scenario, ScenarioError, Scheduled};
pub use verdict::{CheckName, Outcome, Verdict};

use crate::card::command::{Command, TxKind};
use crate::fault::{CardFault, FaultyTransport, Trigger};
use crate::transport::sim::SimCard;
use crate::transport::{Transport, TransportError};
use std::time::Duration;

/// One command the card received, as the verdict sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// Number of the command in the run, from 1.
    pub seq: u64,
    /// The tap (insertion) it came in, from 1.
    pub tap: u32,
    /// Power cycles (power-on or reset) seen before it, over the run.
    pub power: u32,
    pub command: Vec<u8>,
    /// `None`: no answer reached the reader (lost, card removed, power cut).
    pub answer: Option<Vec<u8>>,
    /// What the lab injected on this command.
    pub injected: Option<String>,
    /// The answer was held back this long.
    pub late_ms: Option<u64>,
    /// INITIALIZE FOR PURCHASE refused because the amount is above the single-payment limit.
    pub limit_refusal: bool,
}

/// What the lab did with one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    /// The answer (`None`: none, the card leaves the reader).
    pub answer: Option<Vec<u8>>,
    /// What was injected, for the log.
    pub injected: Option<String>,
}

/// A scenario being played in front of a card.
pub struct Lab {
    pub scenario: Scenario,
    injector: FaultyTransport<SimCard>,
    fired: Vec<bool>,
    tap: u32,
    in_tap: u32,
    power: u32,
    seq: u64,
    pub exchanges: Vec<Exchange>,
    /// Whether the scenario's tap-less fault (a `--fault`) was armed.
    armed_any: bool,
}

fn hits(t: Trigger, ins: u8, nth: u32) -> bool {
    match t {
        Trigger::Ins(i) => i == ins,
        Trigger::Nth(n) => n == nth,
    }
}

impl Lab {
    /// Plays `scenario` in front of `card`.
    pub fn new(scenario: Scenario, card: SimCard) -> Lab {
        let shared = card.card.clone();
        let fired = vec![false; scenario.faults.len()];
        Lab {
            scenario,
            injector: FaultyTransport::new(card, Some(shared), CardFault::None),
            fired,
            tap: 0,
            in_tap: 0,
            power: 0,
            seq: 0,
            exchanges: Vec::new(),
            armed_any: false,
        }
    }

    /// The tap now being played (0 before the first).
    pub fn tap(&self) -> u32 {
        self.tap
    }

    /// The card was powered on or reset.
    pub fn power_cycle(&mut self) {
        self.power += 1;
    }

    /// The card entered the reader (tap `tap`, from 1).
    pub fn begin_tap(&mut self, tap: u32) {
        if tap == self.tap {
            return;
        }
        self.tap = tap;
        self.in_tap = 0;
        let untapped = self
            .scenario
            .faults
            .iter()
            .find_map(|s| match (s.tap, s.action) {
                (None, Action::Card(f)) => Some(f),
                _ => None,
            });
        match untapped {
            // A `--fault`: armed once, fires at the first matching command of the run.
            Some(f) => {
                if !self.armed_any {
                    self.injector.rearm(f);
                    self.armed_any = true;
                }
            }
            None => self
                .injector
                .rearm(self.scenario.card_fault(tap).unwrap_or(CardFault::None)),
        }
    }

    /// Finds an unfired fault of this tap matching `pred`.
    fn take(&mut self, pred: impl Fn(&Action) -> bool) -> Option<Action> {
        let tap = self.tap;
        let i = self.scenario.faults.iter().enumerate().position(|(i, s)| {
            !self.fired[i] && s.tap.is_none_or(|t| t == tap) && pred(&s.action)
        })?;
        self.fired[i] = true;
        Some(self.scenario.faults[i].action)
    }

    /// Passes one command to the card through the scenario's faults.
    pub fn execute(&mut self, apdu: &[u8]) -> Handled {
        if self.tap == 0 {
            self.begin_tap(1);
        }
        self.in_tap += 1;
        self.seq += 1;
        let ins = apdu.get(1).copied().unwrap_or(0);
        let nth = self.in_tap;
        let limit_refusal = self.limit_refusal_ahead(apdu);
        let removed = self.take(|a| matches!(a, Action::Remove(t) if hits(*t, ins, nth)));
        let (answer, mut injected) = if removed.is_some() {
            (
                None,
                Some(format!(
                    "card removed before it executed {} (command {nth} of tap {})",
                    name(apdu),
                    self.tap
                )),
            )
        } else {
            let before = self.injector.events.len();
            let r = self.injector.transmit_raw(apdu);
            let injected = self.injector.events[before..]
                .iter()
                .map(|e| e.what.clone())
                .reduce(|a, b| format!("{a}; {b}"));
            match r {
                Ok(a) => (Some(a), injected),
                Err(TransportError::NoResponse) => (
                    None,
                    Some(injected.unwrap_or_else(|| "the card gave no answer".into())),
                ),
                Err(e) => (None, Some(e.to_string())),
            }
        };
        let mut late_ms = None;
        if answer.is_some()
            && let Some(Action::Late(_, ms)) =
                self.take(|a| matches!(a, Action::Late(t, _) if hits(*t, ins, nth)))
        {
            std::thread::sleep(Duration::from_millis(ms));
            late_ms = Some(ms);
            let what = format!("answer held back {ms} ms");
            injected = Some(match injected {
                Some(i) => format!("{i}; {what}"),
                None => what,
            });
        }
        let limit_refusal = limit_refusal
            && answer
                .as_ref()
                .is_some_and(|a| a.len() >= 2 && a[a.len() - 2..] == [0x69, 0x85]);
        self.exchanges.push(Exchange {
            seq: self.seq,
            tap: self.tap,
            power: self.power,
            command: apdu.to_vec(),
            answer: answer.clone(),
            injected: injected.clone(),
            late_ms,
            limit_refusal,
        });
        Handled { answer, injected }
    }

    /// Whether `apdu` is an INITIALIZE FOR PURCHASE above the card's single-payment limit.
    fn limit_refusal_ahead(&self, apdu: &[u8]) -> bool {
        let Ok(a) = crate::apdu::CommandApdu::parse(apdu) else {
            return false;
        };
        match Command::try_from(&a) {
            Ok(Command::Initialize {
                kind: TxKind::Purchase,
                amount,
                ..
            }) => {
                amount
                    > self
                        .injector
                        .inner
                        .card
                        .borrow()
                        .eeprom
                        .state
                        .purse
                        .single_payment_limit
            }
            _ => false,
        }
    }

    /// The verdict on what the reader did so far.
    pub fn verdict(&self) -> Verdict {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        verdict::judge(&self.scenario.name, &self.exchanges, now)
    }
}

fn name(apdu: &[u8]) -> &'static str {
    Command::name_of(apdu).unwrap_or("a command")
}
