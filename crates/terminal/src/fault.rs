//! Fault injection (docs/spec.md §5): what goes wrong at a counter, on demand and
//! reproducibly.
//!
//! - [`FaultyTransport`] wraps any [`Transport`] and, according to a [`FaultPlan`], loses the
//!   answer to a command the card *did* execute, cuts the power at a chosen EEPROM write of the
//!   card's commit (needs the [`SharedCard`] behind the transport), or flips a byte of a MAC or
//!   TAC in transit.
//! - [`FlakyIssuer`] wraps the issuer host link: down for the next `n` calls, or slow.
//! - `duplicate-upload` is a flag settlement reads ([`FaultPlan::DuplicateUpload`]).
//!
//! Plans parse from the strings the CLI takes (`lose-response:debit`, `tear:debit:3`,
//! `bad-mac:mac1`, `host-down`, …; see [`FaultPlan::from_str`]) and [`FaultPlan::random`] picks
//! one from a seed, so a failing property-test case replays exactly.

use crate::crypto::Mac4;
use crate::host::{HostError, IssuerHost, IssuerLink, LoadRequest};
use crate::transport::sim::SharedCard;
use crate::transport::{Transport, TransportError};
use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use stk_domain::codec::{self, DebitAnswer};

/// A command's fault-plan name (`debit`), from the codec's instruction table.
fn ins_name(ins: u8) -> String {
    codec::instruction(ins).map_or_else(|| format!("INS {ins:02X}"), |i| i.token.to_string())
}

fn parse_ins(s: &str) -> Result<u8, FaultParseError> {
    codec::instruction_by_token(s)
        .map(|i| i.ins)
        .ok_or_else(|| FaultParseError(format!("unknown command `{s}` (one of: {})", ins_list())))
}

fn ins_list() -> String {
    codec::INSTRUCTIONS
        .iter()
        .map(|i| i.token)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which command a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The first command with this instruction byte.
    Ins(u8),
    /// The n-th command through the transport (1 = the first).
    Nth(u32),
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Ins(i) => f.write_str(&ins_name(*i)),
            Trigger::Nth(n) => write!(f, "{n}"),
        }
    }
}

/// Where in a commit of `n` changes the power goes: before write `k` (0..=2n+1), or at the
/// last write (`2n+1`, the journal disarm: the card recovers to the new state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TearPoint {
    Write(u32),
    Last,
}

/// A MAC or TAC field to corrupt in transit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacField {
    /// The PSAM's MAC1 in the DEBIT command (the card answers `9302`).
    Mac1,
    /// The card's MAC2 in the DEBIT answer (the PSAM rejects it: a digest error).
    Mac2,
    /// The card's TAC in the DEBIT or CREDIT answer (settlement rejects it).
    Tac,
    /// The host's MAC2 in the CREDIT FOR LOAD command (the card answers `9302`).
    LoadMac2,
}

/// One fault scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPlan {
    None,
    /// The card executes the command; its answer never reaches the terminal.
    LoseResponse(Trigger),
    /// Power loss during the commit of the first command with this INS.
    Tear {
        ins: u8,
        at: TearPoint,
    },
    /// Flip a byte of a MAC/TAC in transit (once).
    BadMac(MacField),
    /// The issuer/acquirer host does not answer the next `n` calls.
    HostDown(u32),
    /// The host answers after this many milliseconds.
    HostDelay(u64),
    /// Settlement receives the POS's upload twice.
    DuplicateUpload,
}

/// An unknown or malformed fault name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}`; {HELP}")]
pub struct FaultParseError(String);

/// The accepted fault strings (for CLI help and errors).
pub const HELP: &str = "faults: none, lose-response:<cmd|N>, tear:<cmd>:<write|last>, \
tear-after-debit, bad-mac:<mac1|mac2|tac|load-mac2>, host-down[:N], host-delay:<ms>, \
duplicate-upload, random:<seed>";

impl FromStr for FaultPlan {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<FaultPlan, FaultParseError> {
        let bad = |why: &str| FaultParseError(format!("{s}` ({why})"));
        let parts: Vec<&str> = s.trim().split(':').collect();
        let num = |x: &str| -> Result<u64, FaultParseError> {
            x.parse::<u64>()
                .map_err(|_| bad(&format!("`{x}` is not a number")))
        };
        let plan = match parts.as_slice() {
            ["none"] => FaultPlan::None,
            ["lose-response", what] => FaultPlan::LoseResponse(match what.parse::<u32>() {
                Ok(0) => return Err(bad("commands count from 1")),
                Ok(n) => Trigger::Nth(n),
                Err(_) => Trigger::Ins(parse_ins(what).map_err(|e| bad(&e.0))?),
            }),
            ["tear", cmd, at] => FaultPlan::Tear {
                ins: parse_ins(cmd).map_err(|e| bad(&e.0))?,
                at: if *at == "last" {
                    TearPoint::Last
                } else {
                    TearPoint::Write(
                        u32::try_from(num(at)?).map_err(|_| bad("write index too large"))?,
                    )
                },
            },
            ["tear", cmd] => FaultPlan::Tear {
                ins: parse_ins(cmd).map_err(|e| bad(&e.0))?,
                at: TearPoint::Write(0),
            },
            ["tear-after-debit"] => FaultPlan::Tear {
                ins: codec::INS_DEBIT,
                at: TearPoint::Last,
            },
            ["bad-mac", f] => FaultPlan::BadMac(match *f {
                "mac1" => MacField::Mac1,
                "mac2" => MacField::Mac2,
                "tac" => MacField::Tac,
                "load-mac2" => MacField::LoadMac2,
                _ => return Err(bad("field is mac1, mac2, tac or load-mac2")),
            }),
            ["host-down"] => FaultPlan::HostDown(u32::MAX),
            ["host-down", n] => {
                FaultPlan::HostDown(u32::try_from(num(n)?).map_err(|_| bad("count too large"))?)
            }
            ["host-delay", ms] => FaultPlan::HostDelay(num(ms)?),
            ["duplicate-upload"] => FaultPlan::DuplicateUpload,
            ["random", seed] => FaultPlan::random(num(seed)?),
            _ => return Err(FaultParseError(s.to_string())),
        };
        Ok(plan)
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultPlan::None => f.write_str("none"),
            FaultPlan::LoseResponse(t) => write!(f, "lose-response:{t}"),
            FaultPlan::Tear { ins, at } => match at {
                TearPoint::Write(n) => write!(f, "tear:{}:{n}", ins_name(*ins)),
                TearPoint::Last => write!(f, "tear:{}:last", ins_name(*ins)),
            },
            FaultPlan::BadMac(m) => write!(
                f,
                "bad-mac:{}",
                match m {
                    MacField::Mac1 => "mac1",
                    MacField::Mac2 => "mac2",
                    MacField::Tac => "tac",
                    MacField::LoadMac2 => "load-mac2",
                }
            ),
            FaultPlan::HostDown(n) if *n == u32::MAX => f.write_str("host-down"),
            FaultPlan::HostDown(n) => write!(f, "host-down:{n}"),
            FaultPlan::HostDelay(ms) => write!(f, "host-delay:{ms}"),
            FaultPlan::DuplicateUpload => f.write_str("duplicate-upload"),
        }
    }
}

/// SplitMix64: a tiny deterministic generator (no dependency, same sequence everywhere).
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

impl FaultPlan {
    /// A card-side fault chosen by `seed` (same seed, same plan).
    pub fn random(seed: u64) -> FaultPlan {
        let mut r = SplitMix(seed);
        let money_ins = [
            codec::INS_DEBIT,
            codec::INS_CREDIT,
            codec::INS_VERIFY,
            codec::INS_INITIALIZE,
        ];
        match r.below(7) {
            0 => FaultPlan::None,
            1 => FaultPlan::LoseResponse(Trigger::Ins(money_ins[r.below(2) as usize])),
            2 => FaultPlan::LoseResponse(Trigger::Nth(1 + r.below(8) as u32)),
            3 => FaultPlan::Tear {
                ins: money_ins[r.below(4) as usize],
                // DEBIT/CREDIT commit 5 changes: 12 writes; 12 is "never tears".
                at: TearPoint::Write(r.below(13) as u32),
            },
            4 => FaultPlan::Tear {
                ins: money_ins[r.below(2) as usize],
                at: TearPoint::Last,
            },
            5 => FaultPlan::BadMac(
                [
                    MacField::Mac1,
                    MacField::Mac2,
                    MacField::Tac,
                    MacField::LoadMac2,
                ][r.below(4) as usize],
            ),
            _ => FaultPlan::HostDown(1 + r.below(2) as u32),
        }
    }

    /// Whether this plan acts on the card link (as opposed to a host or the upload).
    pub fn is_card_fault(&self) -> bool {
        matches!(
            self,
            FaultPlan::LoseResponse(_) | FaultPlan::Tear { .. } | FaultPlan::BadMac(_)
        )
    }
}

/// What the injector did, for traces and the CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultEvent {
    /// 1-based command number through this transport.
    pub command_no: u32,
    pub what: String,
}

/// A transport that injects one [`FaultPlan`] (once; later commands pass untouched).
pub struct FaultyTransport<T: Transport> {
    pub inner: T,
    /// The card behind `inner`, needed for tears.
    pub card: Option<SharedCard>,
    pub plan: FaultPlan,
    /// The fault has fired (each plan fires at most once).
    pub fired: bool,
    commands: u32,
    pub events: Vec<FaultEvent>,
}

impl<T: Transport> FaultyTransport<T> {
    pub fn new(inner: T, card: Option<SharedCard>, plan: FaultPlan) -> Self {
        FaultyTransport {
            inner,
            card,
            plan,
            fired: false,
            commands: 0,
            events: Vec::new(),
        }
    }

    /// Arms another plan (e.g. a new fault for the next tap); `lose-response:N` counts
    /// commands from here.
    pub fn rearm(&mut self, plan: FaultPlan) {
        self.plan = plan;
        self.fired = false;
        self.commands = 0;
    }

    fn note(&mut self, what: String) {
        self.fired = true;
        self.events.push(FaultEvent {
            command_no: self.commands,
            what,
        });
    }
}

fn flip(buf: &mut [u8], at: usize) -> bool {
    match buf.get_mut(at) {
        Some(b) => {
            *b ^= 0x5A;
            true
        }
        None => false,
    }
}

impl<T: Transport> Transport for FaultyTransport<T> {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands = self.commands.saturating_add(1);
        let ins = apdu.get(1).copied().unwrap_or(0);
        if self.fired {
            return self.inner.transmit_raw(apdu);
        }
        match self.plan {
            FaultPlan::LoseResponse(t) => {
                let hit = match t {
                    Trigger::Ins(i) => i == ins,
                    Trigger::Nth(n) => n == self.commands,
                };
                if hit {
                    let r = self.inner.transmit_raw(apdu);
                    self.note(format!(
                        "{} executed by the card, answer {} lost",
                        ins_name(ins),
                        r.as_ref().map_or_else(|e| e.to_string(), hex::encode_upper)
                    ));
                    return Err(TransportError::NoResponse);
                }
                self.inner.transmit_raw(apdu)
            }
            FaultPlan::Tear { ins: want, at } if want == ins => {
                let Some(card) = self.card.clone() else {
                    return self.inner.transmit_raw(apdu);
                };
                // A single-change commit has 4 writes, DEBIT/CREDIT 12; `Last` is the disarm.
                let n = match at {
                    TearPoint::Write(n) => n,
                    TearPoint::Last => match ins {
                        codec::INS_DEBIT | codec::INS_CREDIT => {
                            crate::card::state::Eeprom::commit_writes(5) - 1
                        }
                        _ => crate::card::state::Eeprom::commit_writes(1) - 1,
                    },
                };
                card.borrow_mut().tear_after_writes(n);
                let r = self.inner.transmit_raw(apdu);
                let torn = card.borrow().is_mute();
                // The command committed less than planned (or was refused): disarm the plan.
                card.borrow_mut().eeprom.tear = Default::default();
                if torn {
                    self.note(format!(
                        "power lost before EEPROM write {n} of {}'s commit",
                        ins_name(ins)
                    ));
                }
                r
            }
            FaultPlan::BadMac(field) => {
                let mut cmd = apdu.to_vec();
                // Data starts at offset 5 (short Lc).
                let hit = match (field, ins) {
                    (MacField::Mac1, codec::INS_DEBIT) => flip(&mut cmd, 5 + codec::DEBIT_MAC1_AT),
                    (MacField::LoadMac2, codec::INS_CREDIT) => {
                        flip(&mut cmd, 5 + codec::CREDIT_MAC2_AT)
                    }
                    _ => false,
                };
                if hit {
                    self.note(format!(
                        "{} field of {} corrupted",
                        self.plan,
                        ins_name(ins)
                    ));
                    return self.inner.transmit_raw(&cmd);
                }
                let mut r = self.inner.transmit_raw(apdu)?;
                let ok = r.len() >= 2 && r[r.len() - 2..] == [0x90, 0x00];
                let hit = ok
                    && match (field, ins) {
                        (MacField::Mac2, codec::INS_DEBIT) => flip(&mut r, DebitAnswer::MAC2_AT),
                        (MacField::Tac, codec::INS_DEBIT | codec::INS_CREDIT) => {
                            flip(&mut r, DebitAnswer::TAC_AT)
                        }
                        _ => false,
                    };
                if hit {
                    self.note(format!(
                        "{} in {}'s answer corrupted",
                        self.plan,
                        ins_name(ins)
                    ));
                }
                Ok(r)
            }
            _ => self.inner.transmit_raw(apdu),
        }
    }

    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.reset()
    }

    fn describe(&self) -> String {
        format!("{} with fault {}", self.inner.describe(), self.plan)
    }
}

/// An issuer host link that can be down for a number of calls, or slow.
#[derive(Debug)]
pub struct FlakyIssuer<'a> {
    pub inner: &'a IssuerHost,
    /// Calls still to fail (`u32::MAX`: down for good).
    pub down_for: Cell<u32>,
    pub delay: Duration,
    /// Calls that reached the host.
    pub delivered: Cell<u32>,
}

impl<'a> FlakyIssuer<'a> {
    pub fn new(inner: &'a IssuerHost, plan: FaultPlan) -> Self {
        let (down, delay) = match plan {
            FaultPlan::HostDown(n) => (n, 0),
            FaultPlan::HostDelay(ms) => (0, ms),
            _ => (0, 0),
        };
        FlakyIssuer {
            inner,
            down_for: Cell::new(down),
            delay: Duration::from_millis(delay),
            delivered: Cell::new(0),
        }
    }

    /// Consumes one "down" call: `true` if this call fails.
    pub fn link_down(&self) -> bool {
        let d = self.down_for.get();
        if d == 0 {
            if !self.delay.is_zero() {
                std::thread::sleep(self.delay);
            }
            return false;
        }
        if d != u32::MAX {
            self.down_for.set(d - 1);
        }
        true
    }
}

impl IssuerLink for FlakyIssuer<'_> {
    fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError> {
        if self.link_down() {
            return Err(HostError::Unreachable);
        }
        self.delivered.set(self.delivered.get() + 1);
        self.inner.authorize_load(r)
    }
    fn host(&self) -> &IssuerHost {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_names_and_round_trips() {
        for s in [
            "none",
            "lose-response:debit",
            "lose-response:3",
            "tear:debit:3",
            "tear:credit:last",
            "bad-mac:mac1",
            "bad-mac:mac2",
            "bad-mac:tac",
            "bad-mac:load-mac2",
            "host-down",
            "host-down:2",
            "host-delay:50",
            "duplicate-upload",
        ] {
            let p: FaultPlan = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.to_string(), s);
        }
        assert_eq!(
            "tear-after-debit".parse::<FaultPlan>(),
            Ok(FaultPlan::Tear {
                ins: 0x54,
                at: TearPoint::Last
            })
        );
    }

    #[test]
    fn unknown_faults_get_a_clear_error() {
        for s in [
            "",
            "explode",
            "lose-response:fly",
            "lose-response:0",
            "tear:debit:x",
            "bad-mac:mac9",
            "host-down:-1",
        ] {
            let e = s.parse::<FaultPlan>().unwrap_err().to_string();
            assert!(e.contains("unknown fault") && e.contains("faults:"), "{e}");
        }
    }

    #[test]
    fn random_plans_are_reproducible_and_varied() {
        let a: Vec<_> = (0..64).map(FaultPlan::random).collect();
        let b: Vec<_> = (0..64).map(FaultPlan::random).collect();
        assert_eq!(a, b);
        let kinds: std::collections::HashSet<_> = a.iter().map(std::mem::discriminant).collect();
        assert!(kinds.len() >= 5, "{a:?}");
    }
}
