//! Running a vector: loading it, checking what it requires of the target, putting a card in
//! front of it (a fresh simulated one, or the reader's after the state check), then its steps.

use super::ctx::{Ctx, iface_of};
use super::expect::explain;
use super::steps::run_steps;
use super::{Exchange, Failure, Meta, Outcome, Status, Target, load};
use crate::card::{Card, Interface};
use crate::errors::Code;
use crate::format::{CardState, InterfaceName, StepSpec, VectorFile, parse_clock};
use crate::host::IssuerHost;
use crate::limits::Limits;
use crate::pos::Clock;
use crate::profile::Profile;
use crate::psam::Psam;
use crate::transport::sim::{SimPsam, shared};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs one vector file, within the [`Limits`] the environment sets.
pub fn run_file(path: &Path, target: &mut Target) -> Outcome {
    run_file_tracked(path, target, None)
}

/// What a run of several vector files knows about the card in a reader: the profile it was
/// last personalised from. At the start of a run that is assumed to be the default profile (a
/// card vendor's first step); the fresh-card hook changes it. A vector written for any state
/// (`"state": "any"`) still needs a card personalised from its own profile (its keys, limits
/// and counters), so with a hook it gets a fresh card when the one in the reader was
/// personalised from another profile, and runs on the card as it is otherwise.
#[derive(Clone, Debug)]
pub struct CardInReader {
    pub profile: Profile,
}

impl Default for CardInReader {
    fn default() -> Self {
        CardInReader {
            profile: Profile::default_profile(),
        }
    }
}

/// [`run_file`] as one of a run's files: `card` says what the card in the reader was last
/// personalised from, and is updated when the fresh-card hook puts another card in.
pub fn run_file_tracked(
    path: &Path,
    target: &mut Target,
    card: Option<&mut CardInReader>,
) -> Outcome {
    match Limits::from_env() {
        Ok(l) => run_file_inner(path, target, l, card),
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
    run_file_inner(path, target, limits, None)
}

fn run_file_inner(
    path: &Path,
    target: &mut Target,
    limits: Limits,
    card: Option<&mut CardInReader>,
) -> Outcome {
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
    let (status, steps, transcript) = run_vector_inner(&v, profile, target, limits, card);
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
    run_vector_inner(v, profile, target, limits, None)
}

fn run_vector_inner(
    v: &VectorFile,
    profile: Profile,
    target: &mut Target,
    limits: Limits,
    card: Option<&mut CardInReader>,
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
            let needs_card = match v.state {
                CardState::Fresh => true,
                CardState::Any => card.as_ref().is_some_and(|c| c.profile != profile),
            };
            match fresh_card
                .as_mut()
                .filter(|_| needs_card)
                .map(|f| f(&profile))
            {
                Some(Err(e)) => {
                    return (
                        Status::Invalid(format!("cannot put a fresh card in the reader: {e}")),
                        0,
                        Vec::new(),
                    );
                }
                Some(Ok(())) => {
                    if let Some(c) = card {
                        c.profile = profile.clone();
                    }
                }
                None => {}
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
        snapshot: None,
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
    // The card's state: a card in a reader is checked for freshness before a `fresh` vector
    // (the simulator's card is fresh by construction); stated preconditions are checked on
    // every target.
    let fresh = v.state == CardState::Fresh && ctx.external.is_some();
    if fresh || v.preconditions.is_some() {
        let profile = ctx.profile.clone();
        let iface = ctx.iface;
        let mut checks = Vec::new();
        let failed = crate::state::precondition(
            &mut *ctx.transport(iface),
            &profile,
            fresh,
            v.preconditions.as_ref(),
            &mut checks,
        );
        ctx.transcript.extend(checks);
        if let Some(f) = failed {
            return (Status::Failed(f), 0, ctx.transcript);
        }
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
