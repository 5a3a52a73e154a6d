//! Runs vector files against a target: a freshly personalised simulated card, or any
//! [`Transport`] (a real card in a PC/SC reader). Symbolic steps are expanded with the simulated
//! POS, PSAM and issuer host built from the vector's profile, so the same file runs against a
//! real card personalised with the same test keys.
//!
//! The module is split by concern: `run` orchestrates a vector (requirements, the card, the
//! state check, its steps), `ctx` holds what a run carries from step to step (the transport, the
//! transcript, the limits), `steps` executes each step, and `expect` matches what came back
//! against what the step expects and builds the [`Failure`].

mod ctx;
mod expect;
mod run;
mod steps;

pub use run::{
    CardInReader, run_file, run_file_tracked, run_file_within, run_vector, run_vector_within,
};

use crate::card::Interface;
use crate::card::command::Command;
use crate::decode::spaced;
use crate::errors::{Code, Reason};
use crate::format::{Action, BalanceExpect, HistoryExpect, Masked, StepSpec, VectorFile};
use crate::profile::Profile;
use crate::transport::Transport;
use std::path::PathBuf;
use std::time::Duration;

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
        Ok(Action::Snapshot) => "snapshot the balance and log".into(),
        Ok(Action::Balance(BalanceExpect::Exact(b))) => format!("balance is {b} fen"),
        Ok(Action::Balance(BalanceExpect::Delta(0))) => "balance unchanged".into(),
        Ok(Action::Balance(BalanceExpect::Delta(d))) => format!("balance moved by {d:+} fen"),
        Ok(Action::History(HistoryExpect::Exact(h))) => {
            format!("history has {} entries", h.len())
        }
        Ok(Action::History(HistoryExpect::SinceSnapshot(h))) if h.is_empty() => {
            "history unchanged".into()
        }
        Ok(Action::History(HistoryExpect::SinceSnapshot(h))) => {
            format!("history has {} new entries", h.len())
        }
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

pub use crate::limits::{Limits, TIME_LIMIT_ENV};
pub use crate::select::collect;
