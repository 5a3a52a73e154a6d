//! The card state a vector needs. Vectors are written for a freshly personalised card; against
//! a card in a reader (which the runner cannot personalise itself) the state is checked before
//! the vector runs, with read-only commands — SELECT the wallet, GET BALANCE, READ RECORD 1 of
//! the transaction log — and a card that has drifted is reported as `V-STATE`, "card not in the
//! required state: … (personalise it first)", instead of failing later at a misleading step.
//!
//! A vector written relative to the card's state (`"state": "any"`) may state finer
//! [`Preconditions`] — a balance at least or at most so much, an empty log, payment password
//! tries left — checked the same way on every target (on the simulator too, so that a shipped
//! vector whose preconditions a fresh card does not meet is caught), with the precise difference
//! in the `V-STATE` message: "balance 0.50 < required 1.00".

use crate::card::command::Command;
use crate::decode::spaced;
use crate::errors::{Code, Reason};
use crate::format::Preconditions;
use crate::profile::Profile;
use crate::runner::{Exchange, Failure};
use crate::sw::Sw;
use crate::transport::Transport;
use crate::transport::TransportError;
use stk_domain::money::Fen;
use stk_domain::records::LogRecord;

/// Why the check could not conclude or the card is not fresh.
#[derive(Debug)]
pub enum NotFresh {
    /// The reader or the card link failed (`P-READER`, `P-NO-RESPONSE`): a target failure.
    Target(Code, String),
    /// The card answered, and it is not freshly personalised: what differs.
    Drift(String),
}

/// The failure of a vector whose card is not in the state it needs (or cannot be checked):
/// freshly personalised when `fresh`, and meeting `pre`. The state is checked, then the card
/// power-cycled so that the vector starts unselected. The exchanges are appended to
/// `transcript`.
pub fn precondition(
    t: &mut dyn Transport,
    profile: &Profile,
    fresh: bool,
    pre: Option<&Preconditions>,
    transcript: &mut Vec<Exchange>,
) -> Option<Box<Failure>> {
    let checked = check_state(t, profile, fresh, pre, transcript);
    let reset = t.reset();
    // An empty command in the transcript is a power cycle (its response: the ATR), so a replay
    // of the transcript (an exported scriptor script) starts the steps unselected too.
    transcript.push(Exchange {
        step: "state check: power cycle".into(),
        command: Vec::new(),
        response: reset.as_ref().ok().cloned(),
    });
    let failure = |code: Code, action: &str, expected: &str, actual: String| {
        Some(Box::new(Failure {
            code,
            reason: Some(code.into()),
            bytes: None,
            step: "0".into(),
            note: None,
            action: action.into(),
            expected: expected.into(),
            actual,
            diff: None,
            explanation: Reason::from(code).render(),
            card_reason: None,
        }))
    };
    match (checked, reset) {
        (Err(NotFresh::Drift(d)), _) => failure(
            Code::VState,
            "check the card's state",
            if fresh {
                "a freshly personalised card"
            } else {
                "a card meeting the vector's preconditions"
            },
            format!("card not in the required state: {d} (personalise it first)"),
        ),
        (Err(NotFresh::Target(code, e)), _) => failure(
            code,
            "check the card's state",
            "answers from the card",
            format!("{code} ({e})"),
        ),
        (Ok(()), Err(e)) => failure(Code::PReader, "reset", "an ATR", e.to_string()),
        (Ok(()), Ok(_)) => None,
    }
}

/// Why the card is not freshly personalised from `profile` (`Ok` when it is). The exchanges
/// are appended to `transcript`.
pub fn check_fresh(
    t: &mut dyn Transport,
    profile: &Profile,
    transcript: &mut Vec<Exchange>,
) -> Result<(), NotFresh> {
    check_state(t, profile, true, None, transcript)
}

/// Why the card is not in the state a vector needs (`Ok` when it is): freshly personalised from
/// `profile` when `fresh`, and meeting `pre`. Only read-only commands are sent: SELECT the
/// wallet, GET BALANCE, READ RECORD 1 of the log, VERIFY without data. The exchanges are
/// appended to `transcript`.
pub fn check_state(
    t: &mut dyn Transport,
    profile: &Profile,
    fresh: bool,
    pre: Option<&Preconditions>,
    transcript: &mut Vec<Exchange>,
) -> Result<(), NotFresh> {
    let none = Preconditions::default();
    let pre = pre.unwrap_or(&none);
    let mut send = |cmd: Command, what: &str| -> Result<(Vec<u8>, Sw), NotFresh> {
        let bytes = cmd.to_bytes();
        let r = t.transmit_raw(&bytes);
        transcript.push(Exchange {
            step: format!("state check: {what}"),
            command: bytes,
            response: r.as_ref().ok().cloned(),
        });
        let r = r.map_err(|e| {
            let code = if e == TransportError::NoResponse {
                Code::PNoResponse
            } else {
                Code::PReader
            };
            NotFresh::Target(code, format!("{what}: {e}"))
        })?;
        let sw = r
            .len()
            .checked_sub(2)
            .map(|n| Sw(u16::from_be_bytes([r[n], r[n + 1]])))
            .ok_or_else(|| {
                NotFresh::Target(
                    Code::PReader,
                    format!("{what}: malformed response {}", spaced(&r)),
                )
            })?;
        Ok((r[..r.len() - 2].to_vec(), sw))
    };
    let (_, sw) = send(
        Command::Select {
            name: profile.wallet_aid.clone(),
            want_fci: true,
        },
        "select the wallet",
    )?;
    if sw != Sw::OK {
        return Err(NotFresh::Drift(format!(
            "the wallet cannot be selected (SW {sw})"
        )));
    }
    let mut drift = Vec::new();
    if fresh || pre.balance_at_least.is_some() || pre.balance_at_most.is_some() {
        let (data, sw) = send(Command::GetBalance, "balance")?;
        if sw != Sw::OK || data.len() != 4 {
            return Err(NotFresh::Drift(format!("GET BALANCE answers SW {sw}")));
        }
        let have = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let want = profile.purse.balance;
        if fresh && have != want {
            drift.push(format!(
                "balance {} where a fresh card has {}",
                Fen(have),
                Fen(want)
            ));
        }
        if let Some(lo) = pre.balance_at_least.filter(|lo| have < *lo) {
            drift.push(format!("balance {} < required {}", Fen(have), Fen(lo)));
        }
        if let Some(hi) = pre.balance_at_most.filter(|hi| have > *hi) {
            drift.push(format!("balance {} > allowed {}", Fen(have), Fen(hi)));
        }
    }
    if fresh || pre.log_empty.is_some() {
        let (_, sw) = send(LogRecord::read_command(1), "log record 1")?;
        let has_records = sw == Sw::OK;
        if fresh && has_records {
            drift.push("the transaction log has records where a fresh card has none".into());
        } else if pre.log_empty == Some(true) && has_records {
            drift.push("the transaction log has records where the vector needs it empty".into());
        } else if pre.log_empty == Some(false) && !has_records {
            drift.push(format!(
                "the transaction log has no record where the vector needs one (READ RECORD 1 answers {sw})"
            ));
        }
    }
    if let Some(n) = pre.payment_password_tries_at_least {
        let (_, sw) = send(Command::Verify { pin: None }, "payment password tries")?;
        let left = match sw.0 {
            0x9000 => None, // already verified: not blocked, tries full
            0x6983 => Some(0),
            w if w & 0xFFF0 == 0x63C0 => Some((w & 0x0F) as u8),
            _ => {
                return Err(NotFresh::Drift(format!(
                    "VERIFY without data answers SW {sw} instead of the tries left (63Cx)"
                )));
            }
        };
        if let Some(left) = left.filter(|l| *l < n) {
            drift.push(if left == 0 {
                format!("payment password blocked (0 tries left) < required {n}")
            } else {
                format!("payment password tries left {left} < required {n}")
            });
        }
    }
    if drift.is_empty() {
        Ok(())
    } else {
        Err(NotFresh::Drift(drift.join("; ")))
    }
}
