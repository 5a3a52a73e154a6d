//! Fault injection (docs/spec.md §5): what goes wrong at a counter, on demand and
//! reproducibly, typed by the layer it hits.
//!
//! A [`FaultPlan`] (what `--fault` says) holds at most one [`Fault`], and every fault belongs to
//! one [`Layer`]:
//!
//! - the card link ([`LinkFault`]: an answer lost, a MAC or TAC flipped in transit) and the
//!   card's power ([`Tear`]: a cut at a chosen EEPROM write of a commit) are carried out by
//!   [`FaultyTransport`], which takes only a [`CardFault`] (one of these two; a tear needs the
//!   [`SharedCard`] behind the transport);
//! - the issuer link ([`IssuerFault`]: down for the next `n` calls, or slow) by [`FlakyIssuer`];
//! - the acquirer link ([`AcquirerFault`]: down for the next `n` calls) by the acquirer's
//!   [`FlakyAcquirer`], built by [`AcquirerFault::link`];
//! - settlement ([`SettlementFault`]: the upload sent twice) by the settling flow.
//!
//! Plans parse from the strings the CLI takes (`lose-response:debit`, `tear:debit:3`,
//! `bad-mac:mac1`, `host-down`, `acquirer-down:2`, …; see [`FaultPlan::from_str`]) and
//! [`FaultPlan::random`] picks one from a seed, so a failing property-test case replays exactly.
//! A flow states the layers it reaches ([`FaultPlan::reaching`]); a fault at any other layer is
//! refused before the flow starts.

use crate::acquirer::{AcquirerHost, FlakyAcquirer};
use crate::crypto::Mac4;
use crate::host::{HostError, IssuerHost, IssuerLink, LoadRequest};
use crate::transport::sim::SharedCard;
use crate::transport::{Transport, TransportError};
use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use stk_domain::codec::{self, DebitAnswer};
use stk_domain::errors::Code;

/// A command's fault-plan name (`debit`), from the codec's instruction table.
fn ins_name(ins: u8) -> String {
    codec::instruction(ins).map_or_else(|| format!("INS {ins:02X}"), |i| i.token.to_string())
}

fn parse_ins(s: &str) -> Result<u8, String> {
    codec::instruction_by_token(s)
        .map(|i| i.ins)
        .ok_or_else(|| format!("unknown command `{s}` (one of: {})", ins_list()))
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

impl MacField {
    fn token(self) -> &'static str {
        match self {
            MacField::Mac1 => "mac1",
            MacField::Mac2 => "mac2",
            MacField::Tac => "tac",
            MacField::LoadMac2 => "load-mac2",
        }
    }
}

/// A fault on the link between the terminal and the card (fires once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkFault {
    /// The card executes the command; its answer never reaches the terminal.
    LoseResponse(Trigger),
    /// A byte of a MAC/TAC flipped in transit.
    BadMac(MacField),
}

/// A power cut during the commit of the first command with instruction byte `ins`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tear {
    pub ins: u8,
    pub at: TearPoint,
}

impl Tear {
    /// The EEPROM writes a commit of this command makes, when the fault syntax documents it
    /// (DEBIT and CREDIT commit 5 changes: 12 writes).
    pub fn commit_writes(ins: u8) -> Option<u32> {
        match ins {
            codec::INS_DEBIT | codec::INS_CREDIT => {
                Some(crate::card::state::Eeprom::commit_writes(5))
            }
            _ => None,
        }
    }

    /// The write before which the power goes.
    fn write(self) -> u32 {
        match self.at {
            TearPoint::Write(n) => n,
            TearPoint::Last => match Tear::commit_writes(self.ins) {
                Some(n) => n - 1,
                // A single-change commit has 4 writes; the last is the disarm.
                None => crate::card::state::Eeprom::commit_writes(1) - 1,
            },
        }
    }
}

/// A fault on the link to the issuer host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerFault {
    /// The host does not answer the next `n` calls (`u32::MAX`: none).
    Down(u32),
    /// The host answers after this many milliseconds.
    Delay(u64),
}

/// A fault on the link to the acquirer (the bank charging the customer's card).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquirerFault {
    /// The acquirer does not answer the next `n` calls (`u32::MAX`: none).
    Down(u32),
}

impl AcquirerFault {
    /// The calls the acquirer link fails.
    pub fn calls_down(fault: Option<AcquirerFault>) -> u32 {
        match fault {
            Some(AcquirerFault::Down(n)) => n,
            None => 0,
        }
    }

    /// The link to `inner` carrying out `fault` (a reliable link for `None`).
    pub fn link<A: AcquirerHost>(inner: &A, fault: Option<AcquirerFault>) -> FlakyAcquirer<'_, A> {
        FlakyAcquirer::new(inner, AcquirerFault::calls_down(fault))
    }
}

/// A fault in the upload of a terminal's journal to the clearing host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementFault {
    /// The clearing host receives the upload twice.
    DuplicateUpload,
}

impl SettlementFault {
    /// How many times the upload is sent.
    pub fn uploads(fault: Option<SettlementFault>) -> u32 {
        match fault {
            Some(SettlementFault::DuplicateUpload) => 2,
            None => 1,
        }
    }
}

/// The layer a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Link,
    CardPower,
    Issuer,
    Acquirer,
    Settlement,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Link => "the card link (lose-response, bad-mac)",
            Layer::CardPower => "the card's power (tear)",
            Layer::Issuer => "the issuer link (host-down, host-delay)",
            Layer::Acquirer => "the acquirer link (acquirer-down)",
            Layer::Settlement => "settlement (duplicate-upload)",
        })
    }
}

/// One fault, by the layer it hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Link(LinkFault),
    CardPower(Tear),
    Issuer(IssuerFault),
    Acquirer(AcquirerFault),
    Settlement(SettlementFault),
}

impl Fault {
    pub fn layer(&self) -> Layer {
        match self {
            Fault::Link(_) => Layer::Link,
            Fault::CardPower(_) => Layer::CardPower,
            Fault::Issuer(_) => Layer::Issuer,
            Fault::Acquirer(_) => Layer::Acquirer,
            Fault::Settlement(_) => Layer::Settlement,
        }
    }
}

/// What the card-side injector ([`FaultyTransport`]) carries out: a link fault or a power cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CardFault {
    #[default]
    None,
    Link(LinkFault),
    Power(Tear),
}

impl From<LinkFault> for CardFault {
    fn from(f: LinkFault) -> CardFault {
        CardFault::Link(f)
    }
}

impl From<Tear> for CardFault {
    fn from(t: Tear) -> CardFault {
        CardFault::Power(t)
    }
}

/// One fault scenario: no fault, or one [`Fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FaultPlan(pub Option<Fault>);

impl FaultPlan {
    pub const NONE: FaultPlan = FaultPlan(None);

    pub fn layer(&self) -> Option<Layer> {
        self.0.map(|f| f.layer())
    }
    /// The fault for the card-side injector (none if the plan hits another layer).
    pub fn card(&self) -> CardFault {
        match self.0 {
            Some(Fault::Link(l)) => CardFault::Link(l),
            Some(Fault::CardPower(t)) => CardFault::Power(t),
            _ => CardFault::None,
        }
    }
    pub fn issuer(&self) -> Option<IssuerFault> {
        match self.0 {
            Some(Fault::Issuer(f)) => Some(f),
            _ => None,
        }
    }
    pub fn acquirer(&self) -> Option<AcquirerFault> {
        match self.0 {
            Some(Fault::Acquirer(f)) => Some(f),
            _ => None,
        }
    }
    pub fn settlement(&self) -> Option<SettlementFault> {
        match self.0 {
            Some(Fault::Settlement(f)) => Some(f),
            _ => None,
        }
    }

    /// The plan, if `flow` reaches its layer (`reaches`); otherwise a [`MisplacedFault`]
    /// naming the layers the flow does reach.
    pub fn reaching(self, flow: &str, reaches: &[Layer]) -> Result<FaultPlan, MisplacedFault> {
        match self.layer() {
            Some(l) if !reaches.contains(&l) => Err(MisplacedFault {
                fault: self,
                layer: l,
                flow: flow.to_string(),
                reaches: reaches.to_vec(),
            }),
            _ => Ok(self),
        }
    }
}

/// A fault given to a flow that cannot reach its layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MisplacedFault {
    pub fault: FaultPlan,
    pub layer: Layer,
    pub flow: String,
    pub reaches: Vec<Layer>,
}

impl fmt::Display for MisplacedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: fault `{}` hits {}, which `{}` does not reach; ",
            Code::IFault,
            self.fault,
            self.layer,
            self.flow
        )?;
        if self.reaches.is_empty() {
            return write!(f, "`{}` takes no fault", self.flow);
        }
        let list: Vec<String> = self.reaches.iter().map(Layer::to_string).collect();
        write!(f, "`{}` takes faults at {}", self.flow, list.join(", "))
    }
}

impl std::error::Error for MisplacedFault {}

impl MisplacedFault {
    /// The catalogue code: always `I-FAULT`.
    pub fn code(&self) -> Code {
        Code::IFault
    }
}

/// An unknown or malformed fault name, or a number out of reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultParseError {
    fault: String,
    /// What is wrong with a known fault's arguments (`None`: no such fault).
    why: Option<String>,
}

impl FaultParseError {
    /// The catalogue code: always `I-FAULT`.
    pub fn code(&self) -> Code {
        Code::IFault
    }
}

impl fmt::Display for FaultParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            None => write!(
                f,
                "{}: unknown fault `{}`; {HELP}",
                Code::IFault,
                self.fault
            ),
            Some(why) => write!(f, "{}: fault `{}`: {why}; {HELP}", Code::IFault, self.fault),
        }
    }
}

impl std::error::Error for FaultParseError {}

/// The accepted fault strings (for CLI help and errors).
pub const HELP: &str = "faults: none, lose-response:<cmd|N>, tear:<cmd>:<write|last>, \
tear-after-debit, bad-mac:<mac1|mac2|tac|load-mac2>, host-down[:N], host-delay:<ms>, \
acquirer-down[:N], duplicate-upload, random:<seed>";

impl FromStr for FaultPlan {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<FaultPlan, FaultParseError> {
        let bad = |why: &str| FaultParseError {
            fault: s.to_string(),
            why: Some(why.to_string()),
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        let num = |x: &str| -> Result<u64, FaultParseError> {
            x.parse::<u64>()
                .map_err(|_| bad(&format!("`{x}` is not a number")))
        };
        let count = |x: &str| -> Result<u32, FaultParseError> {
            u32::try_from(num(x)?).map_err(|_| bad("count too large"))
        };
        let tear = |cmd: &str, at: TearPoint| -> Result<Fault, FaultParseError> {
            let ins = parse_ins(cmd).map_err(|e| bad(&e))?;
            if let (TearPoint::Write(k), Some(n)) = (at, Tear::commit_writes(ins))
                && k >= n
            {
                return Err(bad(&format!(
                    "a {}'s commit makes {n} EEPROM writes, numbered 0-{}: write {k} is never reached",
                    cmd.to_uppercase(),
                    n - 1
                )));
            }
            Ok(Fault::CardPower(Tear { ins, at }))
        };
        let fault = match parts.as_slice() {
            ["none"] => return Ok(FaultPlan::NONE),
            ["lose-response", what] => {
                Fault::Link(LinkFault::LoseResponse(match what.parse::<u32>() {
                    Ok(0) => return Err(bad("commands count from 1")),
                    Ok(n) => Trigger::Nth(n),
                    Err(_) => Trigger::Ins(parse_ins(what).map_err(|e| bad(&e))?),
                }))
            }
            ["tear", cmd, "last"] => tear(cmd, TearPoint::Last)?,
            ["tear", cmd, at] => tear(
                cmd,
                TearPoint::Write(
                    u32::try_from(num(at)?).map_err(|_| bad("write index too large"))?,
                ),
            )?,
            ["tear", cmd] => tear(cmd, TearPoint::Write(0))?,
            ["tear-after-debit"] => tear("debit", TearPoint::Last)?,
            ["bad-mac", f] => Fault::Link(LinkFault::BadMac(
                [
                    MacField::Mac1,
                    MacField::Mac2,
                    MacField::Tac,
                    MacField::LoadMac2,
                ]
                .into_iter()
                .find(|m| m.token() == *f)
                .ok_or_else(|| bad("field is mac1, mac2, tac or load-mac2"))?,
            )),
            ["host-down"] => Fault::Issuer(IssuerFault::Down(u32::MAX)),
            ["host-down", n] => Fault::Issuer(IssuerFault::Down(count(n)?)),
            ["host-delay", ms] => Fault::Issuer(IssuerFault::Delay(num(ms)?)),
            ["acquirer-down"] => Fault::Acquirer(AcquirerFault::Down(u32::MAX)),
            ["acquirer-down", n] => Fault::Acquirer(AcquirerFault::Down(count(n)?)),
            ["duplicate-upload"] => Fault::Settlement(SettlementFault::DuplicateUpload),
            ["random", seed] => return Ok(FaultPlan::random(num(seed)?)),
            _ => {
                return Err(FaultParseError {
                    fault: s.to_string(),
                    why: None,
                });
            }
        };
        Ok(FaultPlan(Some(fault)))
    }
}

/// A plan written as `--fault` takes it, refused unless it is for the card-side injector.
impl FromStr for CardFault {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<CardFault, FaultParseError> {
        let p: FaultPlan = s.parse()?;
        match (p.0, p.card()) {
            (Some(_), CardFault::None) => Err(FaultParseError {
                fault: s.to_string(),
                why: Some("not a card link or power fault".into()),
            }),
            (_, c) => Ok(c),
        }
    }
}

/// A plan written as `--fault` takes it, refused unless it is an issuer-link fault.
impl FromStr for IssuerFault {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<IssuerFault, FaultParseError> {
        s.parse::<FaultPlan>()?
            .issuer()
            .ok_or_else(|| FaultParseError {
                fault: s.to_string(),
                why: Some("not an issuer-link fault".into()),
            })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Link(LinkFault::LoseResponse(t)) => write!(f, "lose-response:{t}"),
            Fault::Link(LinkFault::BadMac(m)) => write!(f, "bad-mac:{}", m.token()),
            Fault::CardPower(Tear { ins, at }) => match at {
                TearPoint::Write(n) => write!(f, "tear:{}:{n}", ins_name(*ins)),
                TearPoint::Last => write!(f, "tear:{}:last", ins_name(*ins)),
            },
            Fault::Issuer(IssuerFault::Down(u32::MAX)) => f.write_str("host-down"),
            Fault::Issuer(IssuerFault::Down(n)) => write!(f, "host-down:{n}"),
            Fault::Issuer(IssuerFault::Delay(ms)) => write!(f, "host-delay:{ms}"),
            Fault::Acquirer(AcquirerFault::Down(u32::MAX)) => f.write_str("acquirer-down"),
            Fault::Acquirer(AcquirerFault::Down(n)) => write!(f, "acquirer-down:{n}"),
            Fault::Settlement(SettlementFault::DuplicateUpload) => f.write_str("duplicate-upload"),
        }
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("none"),
            Some(x) => x.fmt(f),
        }
    }
}

impl fmt::Display for CardFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CardFault::None => f.write_str("none"),
            CardFault::Link(l) => Fault::Link(l).fmt(f),
            CardFault::Power(t) => Fault::CardPower(t).fmt(f),
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
    /// A card-side or issuer-link fault chosen by `seed` (same seed, same plan).
    pub fn random(seed: u64) -> FaultPlan {
        let mut r = SplitMix(seed);
        let money_ins = [
            codec::INS_DEBIT,
            codec::INS_CREDIT,
            codec::INS_VERIFY,
            codec::INS_INITIALIZE,
        ];
        let fault = match r.below(7) {
            0 => return FaultPlan::NONE,
            1 => Fault::Link(LinkFault::LoseResponse(Trigger::Ins(
                money_ins[r.below(2) as usize],
            ))),
            2 => Fault::Link(LinkFault::LoseResponse(Trigger::Nth(1 + r.below(8) as u32))),
            3 => Fault::CardPower(Tear {
                ins: money_ins[r.below(4) as usize],
                // DEBIT/CREDIT commit 5 changes: 12 writes; 12 is "never tears".
                at: TearPoint::Write(r.below(13) as u32),
            }),
            4 => Fault::CardPower(Tear {
                ins: money_ins[r.below(2) as usize],
                at: TearPoint::Last,
            }),
            5 => Fault::Link(LinkFault::BadMac(
                [
                    MacField::Mac1,
                    MacField::Mac2,
                    MacField::Tac,
                    MacField::LoadMac2,
                ][r.below(4) as usize],
            )),
            _ => Fault::Issuer(IssuerFault::Down(1 + r.below(2) as u32)),
        };
        FaultPlan(Some(fault))
    }
}

/// What the injector did, for traces and the CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultEvent {
    /// 1-based command number through this transport.
    pub command_no: u32,
    pub what: String,
}

/// A transport that injects one [`CardFault`] (once; later commands pass untouched).
pub struct FaultyTransport<T: Transport> {
    pub inner: T,
    /// The card behind `inner`, needed for tears.
    pub card: Option<SharedCard>,
    pub plan: CardFault,
    /// The fault has fired (each plan fires at most once).
    pub fired: bool,
    commands: u32,
    pub events: Vec<FaultEvent>,
}

impl<T: Transport> FaultyTransport<T> {
    pub fn new(inner: T, card: Option<SharedCard>, plan: impl Into<CardFault>) -> Self {
        FaultyTransport {
            inner,
            card,
            plan: plan.into(),
            fired: false,
            commands: 0,
            events: Vec::new(),
        }
    }

    /// Arms another fault (e.g. a new fault for the next tap); `lose-response:N` counts
    /// commands from here.
    pub fn rearm(&mut self, plan: impl Into<CardFault>) {
        self.plan = plan.into();
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

    fn lose(&mut self, t: Trigger, ins: u8, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let hit = match t {
            Trigger::Ins(i) => i == ins,
            Trigger::Nth(n) => n == self.commands,
        };
        if !hit {
            return self.inner.transmit_raw(apdu);
        }
        let r = self.inner.transmit_raw(apdu);
        self.note(format!(
            "{} executed by the card, answer {} lost",
            ins_name(ins),
            r.as_ref().map_or_else(|e| e.to_string(), hex::encode_upper)
        ));
        Err(TransportError::NoResponse)
    }

    fn tear(&mut self, tear: Tear, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(card) = self.card.clone() else {
            return self.inner.transmit_raw(apdu);
        };
        let n = tear.write();
        card.borrow_mut().tear_after_writes(n);
        let r = self.inner.transmit_raw(apdu);
        let torn = card.borrow().is_mute();
        // The command committed less than planned (or was refused): disarm the plan.
        card.borrow_mut().eeprom.tear = Default::default();
        if torn {
            self.note(format!(
                "power lost before EEPROM write {n} of {}'s commit",
                ins_name(tear.ins)
            ));
        }
        r
    }

    fn bad_mac(
        &mut self,
        field: MacField,
        ins: u8,
        apdu: &[u8],
    ) -> Result<Vec<u8>, TransportError> {
        let mut cmd = apdu.to_vec();
        // Data starts at offset 5 (short Lc).
        let hit = match (field, ins) {
            (MacField::Mac1, codec::INS_DEBIT) => flip(&mut cmd, 5 + codec::DEBIT_MAC1_AT),
            (MacField::LoadMac2, codec::INS_CREDIT) => flip(&mut cmd, 5 + codec::CREDIT_MAC2_AT),
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
            CardFault::Link(LinkFault::LoseResponse(t)) => self.lose(t, ins, apdu),
            CardFault::Link(LinkFault::BadMac(field)) => self.bad_mac(field, ins, apdu),
            CardFault::Power(t) if t.ins == ins => self.tear(t, apdu),
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
    pub fn new(inner: &'a IssuerHost, fault: IssuerFault) -> Self {
        FlakyIssuer::maybe(inner, Some(fault))
    }

    /// The link with `fault`, or a reliable link.
    pub fn maybe(inner: &'a IssuerHost, fault: Option<IssuerFault>) -> Self {
        let (down, delay) = match fault {
            Some(IssuerFault::Down(n)) => (n, 0),
            Some(IssuerFault::Delay(ms)) => (0, ms),
            None => (0, 0),
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

    /// Every documented spelling, with the layer it hits.
    const SPELLINGS: &[(&str, Layer)] = &[
        ("lose-response:debit", Layer::Link),
        ("lose-response:3", Layer::Link),
        ("bad-mac:mac1", Layer::Link),
        ("bad-mac:mac2", Layer::Link),
        ("bad-mac:tac", Layer::Link),
        ("bad-mac:load-mac2", Layer::Link),
        ("tear:debit:3", Layer::CardPower),
        ("tear:debit:11", Layer::CardPower),
        ("tear:credit:last", Layer::CardPower),
        ("tear:verify:6", Layer::CardPower),
        ("host-down", Layer::Issuer),
        ("host-down:2", Layer::Issuer),
        ("host-delay:50", Layer::Issuer),
        ("acquirer-down", Layer::Acquirer),
        ("acquirer-down:2", Layer::Acquirer),
        ("duplicate-upload", Layer::Settlement),
    ];

    #[test]
    fn parses_the_documented_names_by_layer_and_round_trips() {
        assert_eq!("none".parse::<FaultPlan>(), Ok(FaultPlan::NONE));
        for (s, layer) in SPELLINGS {
            let p: FaultPlan = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.to_string(), *s);
            assert_eq!(p.layer(), Some(*layer), "{s}");
        }
        assert_eq!(
            "tear-after-debit".parse::<FaultPlan>(),
            Ok(FaultPlan(Some(Fault::CardPower(Tear {
                ins: 0x54,
                at: TearPoint::Last
            }))))
        );
        assert_eq!(
            "tear:debit".parse::<FaultPlan>().map(|p| p.to_string()),
            Ok("tear:debit:0".into())
        );
    }

    #[test]
    fn each_injector_gets_only_its_layer() {
        for (s, layer) in SPELLINGS {
            let p: FaultPlan = s.parse().unwrap();
            assert_eq!(
                p.card() != CardFault::None,
                matches!(layer, Layer::Link | Layer::CardPower),
                "{s}"
            );
            assert_eq!(p.issuer().is_some(), *layer == Layer::Issuer, "{s}");
            assert_eq!(p.acquirer().is_some(), *layer == Layer::Acquirer, "{s}");
            assert_eq!(p.settlement().is_some(), *layer == Layer::Settlement, "{s}");
        }
        let down2 = "acquirer-down:2".parse::<FaultPlan>().unwrap().acquirer();
        assert_eq!(down2, Some(AcquirerFault::Down(2)));
        assert_eq!(AcquirerFault::calls_down(down2), 2);
        assert_eq!(SettlementFault::uploads(None), 1);
        assert!("host-down".parse::<CardFault>().is_err());
        assert!("tear:debit:1".parse::<IssuerFault>().is_err());
        assert_eq!(
            "host-down:1".parse::<IssuerFault>(),
            Ok(IssuerFault::Down(1))
        );
    }

    #[test]
    fn a_flow_refuses_a_layer_it_does_not_reach() {
        let p: FaultPlan = "acquirer-down".parse().unwrap();
        let e = p
            .reaching("pos load", &[Layer::Link, Layer::CardPower, Layer::Issuer])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("acquirer link") && e.contains("pos load") && e.contains("issuer link"),
            "{e}"
        );
        assert!(p.reaching("pos resume", &[Layer::Acquirer]).is_ok());
        assert!(FaultPlan::NONE.reaching("pos balance", &[]).is_ok());
    }

    #[test]
    fn unknown_faults_and_unreachable_writes_get_a_clear_error() {
        for s in [
            "",
            "explode",
            "lose-response:fly",
            "lose-response:0",
            "tear:debit:x",
            "tear:debit:12",
            "tear:credit:99",
            "bad-mac:mac9",
            "host-down:-1",
            "acquirer-down:x",
        ] {
            let e = s.parse::<FaultPlan>().unwrap_err().to_string();
            assert!(
                e.starts_with("I-FAULT: ")
                    && e.contains(&format!("fault `{s}`"))
                    && e.contains("faults:"),
                "{e}"
            );
        }
        let e = "tear:debit:99"
            .parse::<FaultPlan>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("12 EEPROM writes") && e.contains("0-11"), "{e}");
    }

    #[test]
    fn random_plans_are_reproducible_and_varied() {
        let a: Vec<_> = (0..64).map(FaultPlan::random).collect();
        let b: Vec<_> = (0..64).map(FaultPlan::random).collect();
        assert_eq!(a, b);
        let kinds: std::collections::HashSet<_> = a
            .iter()
            .map(|p| p.to_string().split(':').next().map(str::to_string))
            .collect();
        assert!(kinds.len() >= 5, "{a:?}");
    }
}
