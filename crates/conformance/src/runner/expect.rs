//! Matching what came back against what a step expects, and the [`Failure`] that says how
//! they differ.

use super::Failure;
use crate::errors::Code;
use crate::errors::Reason;
use crate::format::{HistorySpec, Masked, StepSpec, SwSpec};

pub(super) fn explain(r: impl Into<Reason>) -> String {
    r.into().render()
}

pub(super) fn diff_marker(expected: &Masked, actual: &[u8]) -> String {
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

pub(super) fn fail(
    at: &str,
    s: &StepSpec,
    action: String,
    expected: String,
    actual: String,
) -> Box<Failure> {
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

pub(super) fn sw_spec(s: &StepSpec) -> SwSpec {
    s.sw.clone().unwrap_or_else(SwSpec::ok)
}

pub(super) fn history_matches(g: &crate::pos::HistoryEntry, w: &HistorySpec) -> bool {
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
