//! Runs vector files against a target: a freshly personalised simulated card, or any
//! [`Transport`] (a real card in a PC/SC reader). Symbolic steps are expanded with the simulated
//! POS, PSAM and issuer host built from the vector's profile, so the same file runs against a
//! real card personalised with the same test keys.

use super::format::{
    Action, CardState, HistorySpec, InterfaceName, Masked, StepSpec, SwSpec, VectorFile,
    parse_clock,
};
use crate::apdu::ResponseApdu;
use crate::card::command::Command;
use crate::card::{Card, Interface};
use crate::decode::spaced;
use crate::errors::{Code, Reason};
use crate::host::IssuerHost;
use crate::pos::{Clock, Pos, PosError};
use crate::profile::Profile;
use crate::psam::Psam;
use crate::sw::Sw;
use crate::transport::sim::{SharedCard, SimCard, SimPsam, shared};
use crate::transport::{Transport, TransportError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where vectors run.
pub enum Target<'a> {
    /// A fresh simulated card for every vector file.
    Simulator,
    /// A card behind a transport; `capabilities` lists what it offers (`fixed-random` when the
    /// card is a simulator serving a profile with fixed randoms). `fresh_card`, if given, is
    /// called with each vector's profile before the card is reset (e.g. to write a freshly
    /// personalised image for `stk-wallet serve` to load at power-on).
    External {
        transport: &'a mut dyn Transport,
        capabilities: Vec<String>,
        fresh_card: Option<FreshCard<'a>>,
        /// The same card's other interface in a second reader (`serve --both`), and which
        /// interface that is: then vectors that use both interfaces run too, each step on its
        /// interface's reader.
        other: Option<(Interface, &'a mut dyn Transport)>,
    },
}

/// Puts a card personalised from a profile in the reader.
pub type FreshCard<'a> = Box<dyn FnMut(&Profile) -> Result<(), String> + 'a>;

/// One APDU exchange as the runner saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub step: String,
    pub command: Vec<u8>,
    pub response: Option<Vec<u8>>,
}

/// Why a vector failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What kind of failure: `V-SW` (another status word), `V-MISMATCH` (other data or
    /// outcome), `P-READER` / `P-NO-RESPONSE` (the target failed: the reader is gone, the card
    /// is mute).
    pub code: Code,
    /// The status word or code that came back, for its catalogue entry.
    pub reason: Option<Reason>,
    /// Expected and actual bytes when response data differs (for byte-by-byte reports).
    pub bytes: Option<(Masked, Vec<u8>)>,
    /// Step number (1-based; `3.2` is the second step of the third step's repeat, `3.2#4` its
    /// fourth round).
    pub step: String,
    pub note: Option<String>,
    /// The action as written in the file.
    pub action: String,
    /// What was expected and what came back.
    pub expected: String,
    pub actual: String,
    /// A byte-by-byte marker line under `actual` (`^^` where bytes differ).
    pub diff: Option<String>,
    /// The catalogue explanation of the status word or code that came back.
    pub explanation: String,
    /// The simulated card's own reason for a refusal.
    pub card_reason: Option<String>,
}

impl Failure {
    /// The catalogue code of the failure (its `code` field).
    pub fn code(&self) -> Code {
        self.code
    }

    /// Whether the target failed (reader or card link) rather than the card answering wrong.
    pub fn is_target(&self) -> bool {
        is_target_code(self.code)
    }

    /// Whether this is an error rather than a card defect: a failed target, or a card not in
    /// the state the vector needs (`V-STATE`).
    pub fn is_error(&self) -> bool {
        self.is_target() || self.code == Code::VState
    }
}

/// The codes of a failed target: the reader or its link, a mute card.
pub fn is_target_code(c: Code) -> bool {
    matches!(c, Code::PReader | Code::PNoResponse)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed(Box<Failure>),
    Skipped(String),
    /// The file itself is malformed (V-FORMAT).
    Invalid(String),
    /// The file exceeds one of the runner's limits (V-LIMIT): the message names it.
    Limit(String),
}

impl Status {
    /// The catalogue code of a failed or malformed vector.
    pub fn code(&self) -> Option<Code> {
        match self {
            Status::Failed(f) => Some(f.code()),
            Status::Invalid(_) => Some(Code::VFormat),
            Status::Limit(_) => Some(Code::VLimit),
            Status::Passed | Status::Skipped(_) => None,
        }
    }

    /// Whether the target failed (see [`Failure::is_target`]).
    pub fn is_target_failure(&self) -> bool {
        matches!(self, Status::Failed(f) if f.is_target())
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub path: PathBuf,
    pub name: String,
    /// The vector's metadata (empty when the file could not be loaded).
    pub meta: Meta,
    pub status: Status,
    pub steps: usize,
    pub duration: Duration,
    pub transcript: Vec<Exchange>,
}

pub use stk_vector_format::{load, parse};

/// What a vector file says about itself, kept with its outcome for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub description: String,
    /// The spec sections it checks (`"§2 §3"`).
    pub spec: String,
    pub tags: Vec<String>,
    /// The profile it personalises the card from (`"default"` or a path relative to the file).
    pub profile: String,
    /// Its top-level steps, each in a few words (`purchase 1234, expect 9000`).
    pub steps: Vec<String>,
    /// The profile's warnings (test keys with equal halves).
    pub warnings: Vec<String>,
}

impl Meta {
    pub fn of(v: &VectorFile) -> Meta {
        Meta {
            description: v.description.clone(),
            spec: v.spec.clone(),
            tags: v.tags.clone(),
            profile: v.profile.clone(),
            steps: v.steps.iter().map(describe_step).collect(),
            warnings: Vec::new(),
        }
    }
}

/// A step in a few words: its action, what it expects, its note.
pub fn describe_step(s: &StepSpec) -> String {
    let action = match s.action() {
        Ok(Action::Apdu(b)) => format!(
            "apdu {}{}",
            spaced(&b),
            Command::name_of(&b)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        Ok(Action::Select) => "select the wallet".into(),
        Ok(Action::Verify(p)) => format!("verify {p}"),
        Ok(Action::Purchase(a)) => format!("purchase {a} fen"),
        Ok(Action::Load(a)) => format!("load {a} fen"),
        Ok(Action::PowerCycle) => "power cycle".into(),
        Ok(Action::Balance(b)) => format!("balance is {b} fen"),
        Ok(Action::History(h)) => format!("history has {} entries", h.len()),
        Ok(Action::Repeat(n, inner)) => format!("repeat {n} times: {} steps", inner.len()),
        Err(e) => format!("(malformed: {e})"),
    };
    let mut out = action;
    if let Some(sw) = &s.sw {
        out.push_str(&format!(", expect {}", sw.describe()));
    }
    if let Some(e) = &s.expect {
        out.push_str(&format!(", data {e}"));
    }
    if let Some(n) = &s.note {
        out.push_str(&format!(" — {n}"));
    }
    out
}

use crate::limits::exchange_bytes;
pub use crate::limits::{Limits, TIME_LIMIT_ENV};
pub use crate::select::collect;

/// The state a run carries from step to step.
struct Ctx<'t, 'a> {
    sim: Option<SharedCard>,
    external: Option<&'t mut (dyn Transport + 'a)>,
    /// The card's other interface in a second reader, and which interface it is.
    other: Option<(Interface, &'t mut (dyn Transport + 'a))>,
    psam: SimPsam,
    host: IssuerHost,
    profile: Profile,
    clock: Clock,
    iface: Interface,
    transcript: Vec<Exchange>,
    limits: Limits,
    start: Instant,
    /// Transcript entries already counted, and their bytes.
    counted: usize,
    bytes: usize,
    /// The limit the run hit, if any.
    limit: Option<String>,
}

impl Ctx<'_, '_> {
    /// Whether the run may go on: within its time and transcript limits.
    fn check_limits(&mut self) -> Result<(), String> {
        for e in &self.transcript[self.counted..] {
            self.bytes += exchange_bytes(e);
        }
        self.counted = self.transcript.len();
        if self.bytes > self.limits.transcript_bytes {
            return Err(format!(
                "{}: the transcript holds {} bytes, more than the {} a run may record; split the vector",
                Code::VLimit,
                self.bytes,
                self.limits.transcript_bytes
            ));
        }
        let t = self.start.elapsed();
        if t > self.limits.time {
            return Err(format!(
                "{}: the run took {:.1} s, more than its limit of {:.1} s (set with {TIME_LIMIT_ENV}=SECONDS)",
                Code::VLimit,
                t.as_secs_f64(),
                self.limits.time.as_secs_f64()
            ));
        }
        Ok(())
    }
}

fn iface_of(n: Option<InterfaceName>, default: Interface) -> Interface {
    match n {
        Some(InterfaceName::Contact) => Interface::Contact,
        Some(InterfaceName::Contactless) => Interface::Contactless,
        None => default,
    }
}

impl Ctx<'_, '_> {
    fn transport(&mut self, iface: Interface) -> Box<dyn Transport + '_> {
        if self.sim.is_none()
            && let Some((other, t)) = self.other.as_mut()
            && *other == iface
        {
            return Box::new(&mut **t);
        }
        match (&self.sim, &mut self.external) {
            (Some(card), _) => Box::new(SimCard {
                card: card.clone(),
                iface,
            }),
            (None, Some(t)) => Box::new(&mut **t),
            (None, None) => unreachable!("a run has a simulator or an external transport"),
        }
    }

    fn card_reason(&self) -> Option<String> {
        let c = self.sim.as_ref()?.borrow();
        c.last_refusal()
            .filter(|r| !r.why.is_empty())
            .map(|r| r.why.to_string())
    }
}

fn explain(r: impl Into<Reason>) -> String {
    r.into().render()
}

fn diff_marker(expected: &Masked, actual: &[u8]) -> String {
    let n = expected.0.len().max(actual.len());
    (0..n)
        .map(|i| match (expected.0.get(i), actual.get(i)) {
            (Some(None), Some(_)) => "  ",
            (Some(Some(e)), Some(a)) if e == a => "  ",
            _ => "^^",
        })
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end()
        .to_string()
}

/// Runs one vector file, within the [`Limits`] the environment sets.
pub fn run_file(path: &Path, target: &mut Target) -> Outcome {
    match Limits::from_env() {
        Ok(l) => run_file_within(path, target, l),
        Err(e) => Outcome {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            meta: Meta::default(),
            status: Status::Limit(e),
            steps: 0,
            duration: Duration::ZERO,
            transcript: Vec::new(),
        },
    }
}

/// Runs one vector file within `limits`.
pub fn run_file_within(path: &Path, target: &mut Target, limits: Limits) -> Outcome {
    let start = Instant::now();
    let mut out = Outcome {
        path: path.to_path_buf(),
        name: path.display().to_string(),
        meta: Meta::default(),
        status: Status::Passed,
        steps: 0,
        duration: Duration::ZERO,
        transcript: Vec::new(),
    };
    let (v, profile) = match load(path) {
        Ok(x) => x,
        Err(e) if stk_vector_format::is_limit(&e) => {
            out.status = Status::Limit(e);
            return out;
        }
        Err(e) => {
            out.status = Status::Invalid(e);
            return out;
        }
    };
    out.name = v.name.clone();
    out.meta = Meta::of(&v);
    out.meta.warnings = profile.warnings();
    let (status, steps, transcript) = run_vector_within(&v, profile, target, limits);
    out.status = status;
    out.steps = steps;
    out.transcript = transcript;
    out.duration = start.elapsed();
    out
}

/// Runs a parsed vector within the default [`Limits`].
pub fn run_vector(
    v: &VectorFile,
    profile: Profile,
    target: &mut Target,
) -> (Status, usize, Vec<Exchange>) {
    run_vector_within(v, profile, target, Limits::default())
}

/// Runs a parsed vector within `limits`.
pub fn run_vector_within(
    v: &VectorFile,
    profile: Profile,
    target: &mut Target,
    limits: Limits,
) -> (Status, usize, Vec<Exchange>) {
    let start = Instant::now();
    let caps: Vec<String> = match target {
        Target::Simulator => vec![
            "fixed-random".into(),
            "simulator".into(),
            "contact".into(),
            "contactless".into(),
        ],
        Target::External { capabilities, .. } => capabilities.clone(),
    };
    // The interfaces a vector speaks on are requirements too: a reader reaches one of them.
    let default = v.interface.unwrap_or(InterfaceName::Contactless);
    let mut requires = v.requires.clone();
    let used = interfaces_used(&v.steps, default);
    for i in &used {
        requires.push(if *i == InterfaceName::Contact {
            "contact".into()
        } else {
            "contactless".into()
        });
    }
    if let Some(missing) = requires.iter().find(|r| !caps.contains(r)) {
        let why = match missing.as_str() {
            "fixed-random" => {
                "needs the card to use the profile's fixed random numbers (byte-exact MACs)".into()
            }
            "contact" | "contactless" if used.len() > 1 => {
                "uses both interfaces of one card, and the reader reaches one of them: serve \
                 both with `serve --both` (contactless in \"Virtual PCD 00 00\", contact in \
                 \"Virtual PCD 00 01\") and run with `run --reader \"Virtual PCD 00 00\" \
                 --other-reader \"Virtual PCD 00 01\"`, or on the simulator (`run` without \
                 `--reader`)"
                    .to_string()
            }
            "contact" | "contactless" => format!(
                "speaks on the {missing} interface only: serve the card with `serve \
                 --interface {missing}` and run with `run --reader … --interface {missing}`"
            ),
            _ => "needs the simulated card (a step only a simulator can do)".into(),
        };
        return (
            Status::Skipped(format!("requires {missing}: {why}")),
            0,
            Vec::new(),
        );
    }
    let (date, time) = parse_clock(&v.clock).unwrap_or(([0x20, 0x26, 0x01, 0x01], [0, 0, 0]));
    let (sim, external, other) = match target {
        Target::Simulator => (Some(shared(Card::personalise(&profile))), None, None),
        Target::External {
            transport,
            fresh_card,
            other,
            ..
        } => {
            let fresh = fresh_card.as_mut().filter(|_| v.state == CardState::Fresh);
            if let Some(Err(e)) = fresh.map(|f| f(&profile)) {
                return (
                    Status::Invalid(format!("cannot put a fresh card in the reader: {e}")),
                    0,
                    Vec::new(),
                );
            }
            (
                None,
                Some(&mut **transport),
                other.as_mut().map(|(i, t)| (*i, &mut **t)),
            )
        }
    };
    let mut ctx = Ctx {
        sim,
        external,
        other,
        psam: SimPsam::new(Psam::from_profile(&profile)),
        host: IssuerHost::from_profile(&profile),
        clock: Clock::Fixed { date, time },
        iface: iface_of(v.interface, Interface::Contactless),
        profile,
        transcript: Vec::new(),
        limits,
        start,
        counted: 0,
        bytes: 0,
        limit: None,
    };
    let other_reset = ctx.other.as_mut().map(|(_, t)| t.reset());
    if let Some(Err(e)) = ctx
        .external
        .as_mut()
        .map(|t| t.reset())
        .filter(|r| r.is_err())
        .or(other_reset)
    {
        {
            return (
                Status::Failed(Box::new(Failure {
                    code: Code::PReader,
                    reason: Some(Code::PReader.into()),
                    bytes: None,
                    step: "0".into(),
                    note: Some("power up the card".into()),
                    action: "reset".into(),
                    expected: "an ATR".into(),
                    actual: e.to_string(),
                    diff: None,
                    explanation: explain(Code::PReader),
                    card_reason: None,
                })),
                0,
                Vec::new(),
            );
        }
    }
    if let (Some(t), CardState::Fresh) = (ctx.external.as_mut(), v.state)
        && let Some(f) = crate::state::precondition(&mut **t, &ctx.profile, &mut ctx.transcript)
    {
        return (Status::Failed(f), 0, ctx.transcript);
    }
    let mut count = 0;
    let status = match run_steps(&mut ctx, &v.steps, "", &mut count) {
        Ok(()) => Status::Passed,
        Err(f) => match ctx.limit.take() {
            Some(l) => Status::Limit(match l.strip_prefix(&format!("{}: ", Code::VLimit)) {
                Some(rest) => format!("{}: step {}: {rest}", Code::VLimit, f.step),
                None => l,
            }),
            None => Status::Failed(f),
        },
    };
    (status, count, ctx.transcript)
}

/// Every interface the steps use (a step's own, or the file's default).
fn interfaces_used(steps: &[StepSpec], default: InterfaceName) -> Vec<InterfaceName> {
    let mut out = Vec::new();
    for s in steps {
        let i = s.interface.unwrap_or(default);
        if !out.contains(&i) {
            out.push(i);
        }
        for j in interfaces_used(s.steps.as_deref().unwrap_or(&[]), i) {
            if !out.contains(&j) {
                out.push(j);
            }
        }
    }
    out
}

fn run_steps(
    ctx: &mut Ctx,
    steps: &[StepSpec],
    prefix: &str,
    count: &mut usize,
) -> Result<(), Box<Failure>> {
    for (i, s) in steps.iter().enumerate() {
        let at = format!("{prefix}{}", i + 1);
        if let Err(l) = ctx.check_limits() {
            let f = fail(
                &at,
                s,
                "(not run)".into(),
                "a run within its limits".into(),
                l.clone(),
            );
            ctx.limit = Some(l);
            return Err(f);
        }
        *count += 1;
        run_step(ctx, s, &at, count)?;
    }
    Ok(())
}

fn fail(at: &str, s: &StepSpec, action: String, expected: String, actual: String) -> Box<Failure> {
    Box::new(Failure {
        code: Code::VMismatch,
        reason: None,
        bytes: None,
        step: at.into(),
        note: s.note.clone(),
        action,
        expected,
        actual,
        diff: None,
        explanation: String::new(),
        card_reason: None,
    })
}

fn sw_spec(s: &StepSpec) -> SwSpec {
    s.sw.clone().unwrap_or_else(SwSpec::ok)
}

fn run_step(ctx: &mut Ctx, s: &StepSpec, at: &str, count: &mut usize) -> Result<(), Box<Failure>> {
    let action = s
        .action()
        .map_err(|e| fail(at, s, "?".into(), "a valid step".into(), e))?;
    let iface = iface_of(s.interface, ctx.iface);
    match action {
        Action::Repeat(n, inner) => {
            for round in 1..=n {
                run_steps(ctx, &inner, &format!("{at}."), count).map_err(|mut f| {
                    f.step = format!("{}#{round}", f.step);
                    f
                })?;
            }
            Ok(())
        }
        Action::Apdu(cmd) => raw(
            ctx,
            s,
            at,
            iface,
            cmd,
            format!(
                "apdu {}",
                spaced(
                    &s.apdu
                        .as_deref()
                        .map(crate::hexser::decode)
                        .and_then(Result::ok)
                        .unwrap_or_default()
                )
            ),
        ),
        Action::Select => {
            let cmd = Command::Select {
                name: ctx.profile.wallet_aid.clone(),
                want_fci: true,
            }
            .to_bytes();
            raw(ctx, s, at, iface, cmd, "select wallet".into())
        }
        Action::Verify(pin) => {
            if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(
                    at,
                    s,
                    format!("verify {pin}"),
                    "6 digits".into(),
                    "a malformed password in the vector".into(),
                ));
            }
            let cmd = Command::Verify {
                pin: Some(crate::card::pin_bcd(&pin)),
            }
            .to_bytes();
            raw(ctx, s, at, iface, cmd, format!("verify {pin}"))
        }
        Action::PowerCycle => {
            // A vector's power cycle is the whole card's: with the other interface in a second
            // reader, that reader powers it off and on too (as the simulator's power cycle).
            let other = match ctx.other.as_mut() {
                Some((i, t)) if *i != iface => t.reset().err(),
                _ => None,
            };
            if other.is_none()
                && let Some((i, _)) = ctx.other.as_ref()
                && *i == iface
                && let Some(t) = ctx.external.as_mut()
            {
                let _ = t.reset();
            }
            let atr = match other {
                Some(e) => Err(e),
                None => ctx.transport(iface).reset(),
            };
            // An empty command in the transcript is a power cycle (its response: the ATR).
            ctx.transcript.push(Exchange {
                step: "power cycle".into(),
                command: Vec::new(),
                response: atr.as_ref().ok().cloned(),
            });
            let expect_atr = ctx.profile.atr.clone();
            match atr {
                Ok(a) if ctx.sim.is_none() || a == expect_atr => Ok(()),
                Ok(a) => Err(fail(
                    at,
                    s,
                    "power cycle".into(),
                    format!("ATR {}", spaced(&expect_atr)),
                    format!("ATR {}", spaced(&a)),
                )),
                Err(e) => {
                    let mut f = fail(at, s, "power cycle".into(), "an ATR".into(), e.to_string());
                    f.code = Code::PReader;
                    f.reason = Some(Code::PReader.into());
                    f.explanation = explain(Code::PReader);
                    Err(f)
                }
            }
        }
        Action::Purchase(amount) => {
            let r = pos_flow(ctx, s, iface, |pos, _| {
                pos.purchase(amount).map(|rec| {
                    (
                        rec.serial,
                        rec.amount,
                        rec.term_id,
                        rec.ttc,
                        rec.date,
                        rec.time,
                        rec.tac,
                    )
                })
            });
            let host = ctx.host.clone();
            check_flow(ctx, s, at, format!("purchase {amount}"), r, |x| {
                let (serial, amount, term, ttc, date, time, tac) = x;
                host.purchase_tac_ok(&serial, amount, &term, ttc, &date, &time, tac)
                    .then_some(())
                    .ok_or_else(|| {
                        format!(
                            "TAC {} does not verify with the issuer's keys",
                            hex::encode_upper(tac)
                        )
                    })
            })
        }
        Action::Load(amount) => {
            let pin = s
                .pin
                .clone()
                .unwrap_or_else(|| ctx.profile.passwords.payment.clone());
            let host = ctx.host.clone();
            let r = pos_flow(ctx, s, iface, |pos, _| pos.load(&host, amount, &pin));
            check_flow(ctx, s, at, format!("load {amount}"), r, |rec| {
                if rec.tac_ok {
                    Ok(())
                } else {
                    Err(format!(
                        "load TAC {} does not verify with the issuer's keys",
                        hex::encode_upper(rec.tac)
                    ))
                }
            })
        }
        Action::Balance(want) => {
            let r = pos_flow(ctx, s, iface, |pos, _| pos.balance());
            match r {
                Ok(b) if b == want => Ok(()),
                Ok(b) => Err(fail(
                    at,
                    s,
                    "balance".into(),
                    format!("balance {want}"),
                    format!("balance {b}"),
                )),
                Err(e) => Err(flow_error(ctx, s, at, "balance".into(), "9000".into(), e)),
            }
        }
        Action::History(want) => {
            let r = pos_flow(ctx, s, iface, |pos, _| pos.history());
            let got = r.map_err(|e| flow_error(ctx, s, at, "history".into(), "9000".into(), e))?;
            let render = |h: &[crate::pos::HistoryEntry]| {
                h.iter()
                    .map(|e| format!("{} {}", e.kind(), e.amount))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let want_s = want
                .iter()
                .map(|w| format!("{} {}", w.tx_type, w.amount))
                .collect::<Vec<_>>()
                .join(", ");
            let ok = got.len() == want.len()
                && got.iter().zip(&want).all(|(g, w)| history_matches(g, w));
            if ok {
                Ok(())
            } else {
                Err(fail(
                    at,
                    s,
                    "history".into(),
                    format!("[{want_s}]"),
                    format!("[{}]", render(&got)),
                ))
            }
        }
    }
}

fn history_matches(g: &crate::pos::HistoryEntry, w: &HistorySpec) -> bool {
    let ty = match w.tx_type.as_str() {
        "load" => Some(crate::crypto::TYPE_LOAD),
        "purchase" => Some(crate::crypto::TYPE_PURCHASE),
        other => u8::from_str_radix(other, 16).ok(),
    };
    ty == Some(g.tx_type)
        && w.amount == g.amount
        && w.counter.is_none_or(|c| c == g.counter)
        && w.term_id
            .as_deref()
            .is_none_or(|t| crate::hexser::decode(t).ok().as_deref() == Some(&g.term_id[..]))
}

type Flow<'t> = Pos<Box<dyn Transport + 't>, &'t mut SimPsam>;

fn pos_flow<R>(
    ctx: &mut Ctx,
    s: &StepSpec,
    iface: Interface,
    f: impl FnOnce(&mut Flow, ()) -> Result<R, PosError>,
) -> Result<R, PosError> {
    let aid = ctx.profile.wallet_aid.clone();
    let clock = ctx.clock;
    let mut psam = ctx.psam.clone();
    let (r, trace) = {
        let t = ctx.transport(iface);
        let mut pos: Flow = Pos::new(t, &mut psam, clock, aid);
        pos.purchase_key_index = s.key_index.unwrap_or(1);
        pos.load_key_index = s.key_index.unwrap_or(1);
        let r = f(&mut pos, ());
        (r, pos.trace)
    };
    let label = s.note.clone().unwrap_or_default();
    ctx.transcript.extend(
        trace
            .0
            .into_iter()
            .filter(|e| e.device == crate::pos::Device::Card)
            .map(|e| Exchange {
                step: format!("{label} {}", e.step).trim().to_string(),
                command: e.command,
                response: e.response,
            }),
    );
    r
}

fn flow_error(
    ctx: &Ctx,
    s: &StepSpec,
    at: &str,
    action: String,
    expected: String,
    e: PosError,
) -> Box<Failure> {
    let code = e.code();
    let mut f = fail(at, s, action, expected, format!("{code} ({e})"));
    f.code = match code {
        Reason::Sw(_) => Code::VSw,
        Reason::Code(c) if is_target_code(c) => c,
        Reason::Code(_) => Code::VMismatch,
    };
    f.reason = Some(code);
    f.explanation = explain(code);
    f.card_reason = ctx.card_reason();
    f
}

fn check_flow<R>(
    ctx: &mut Ctx,
    s: &StepSpec,
    at: &str,
    action: String,
    r: Result<R, PosError>,
    verify: impl FnOnce(R) -> Result<(), String>,
) -> Result<(), Box<Failure>> {
    let want = sw_spec(s);
    match r {
        Ok(x) => {
            if !want.accepts(Sw::OK) {
                let mut f = fail(
                    at,
                    s,
                    action,
                    want.describe(),
                    "9000 (the flow completed)".into(),
                );
                f.reason = Some(Sw::OK.into());
                f.explanation = explain(Sw::OK);
                return Err(f);
            }
            verify(x).map_err(|why| fail(at, s, action, "a verifiable transaction".into(), why))
        }
        Err(e) => {
            // A card refusal the POS names with its own code (9403 as P-KEY-VERSION) still
            // matches a vector that expects the card's status word.
            if want.accepts(e.code()) || e.card_sw().is_some_and(|sw| want.accepts(sw)) {
                Ok(())
            } else {
                Err(flow_error(ctx, s, at, action, want.describe(), e))
            }
        }
    }
}

fn raw(
    ctx: &mut Ctx,
    s: &StepSpec,
    at: &str,
    iface: Interface,
    cmd: Vec<u8>,
    action: String,
) -> Result<(), Box<Failure>> {
    let r = ctx.transport(iface).transmit_raw(&cmd);
    ctx.transcript.push(Exchange {
        step: s.note.clone().unwrap_or_else(|| action.clone()),
        command: cmd.clone(),
        response: r.as_ref().ok().cloned(),
    });
    let want_sw = sw_spec(s);
    let raw = match r {
        Ok(b) => b,
        Err(e) => {
            let code = if e == TransportError::NoResponse {
                Code::PNoResponse
            } else {
                Code::PReader
            };
            if want_sw.accepts(code) {
                return Ok(());
            }
            let mut f = fail(at, s, action, want_sw.describe(), format!("{code} ({e})"));
            f.code = code;
            f.reason = Some(code.into());
            f.explanation = explain(code);
            return Err(f);
        }
    };
    let Some(resp) = ResponseApdu::parse(&raw) else {
        let mut f = fail(
            at,
            s,
            action,
            want_sw.describe(),
            format!("malformed response {}", spaced(&raw)),
        );
        f.code = Code::PReader;
        f.reason = Some(Code::PReader.into());
        f.explanation = explain(Code::PReader);
        return Err(f);
    };
    let sw_ok = want_sw.accepts(resp.sw);
    let expect = s
        .expect
        .as_deref()
        .map(Masked::parse)
        .transpose()
        .unwrap_or(None);
    let data_ok = expect.as_ref().is_none_or(|m| m.matches(&resp.data));
    if sw_ok && data_ok {
        return Ok(());
    }
    let mut f = fail(at, s, action.clone(), String::new(), String::new());
    if !sw_ok {
        f.code = Code::VSw;
        f.expected = format!("SW {}", want_sw.describe());
        f.actual = format!("SW {}", resp.sw);
    }
    if let Some(m) = expect.as_ref().filter(|_| !data_ok) {
        let sep = if f.expected.is_empty() { "" } else { "; " };
        f.expected = format!("{}{sep}data {}", f.expected, m.render());
        f.actual = format!("{}{sep}data {}", f.actual, spaced(&resp.data));
        f.diff = Some(diff_marker(m, &resp.data));
        f.bytes = Some((m.clone(), resp.data.clone()));
    }
    let why: Reason = if sw_ok {
        Code::VMismatch.into()
    } else {
        resp.sw.into()
    };
    f.reason = Some(why);
    f.explanation = explain(why);
    f.card_reason = ctx.card_reason();
    Err(f)
}
