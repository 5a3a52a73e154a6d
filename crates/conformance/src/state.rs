//! The card state a vector needs. Vectors are written for a freshly personalised card; against
//! a card in a reader (which the runner cannot personalise itself) the state is checked before
//! the vector runs, with read-only commands — SELECT the wallet, GET BALANCE, READ RECORD 1 of
//! the transaction log — and a card that has drifted is reported as `V-STATE`, "card not in the
//! required state: … (personalise it first)", instead of failing later at a misleading step.

use crate::card::command::Command;
use crate::decode::spaced;
use crate::errors::{Code, Reason};
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

/// The failure of a vector that needs a fresh card, if the card in the reader is not (or cannot
/// be checked): the state is checked, then the card power-cycled so that the vector starts
/// unselected. The exchanges are appended to `transcript`.
pub fn precondition(
    t: &mut dyn Transport,
    profile: &Profile,
    transcript: &mut Vec<Exchange>,
) -> Option<Box<Failure>> {
    let checked = check_fresh(t, profile, transcript);
    let reset = t.reset();
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
            "a freshly personalised card",
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
    let (data, sw) = send(Command::GetBalance, "balance")?;
    let want = profile.purse.balance;
    if sw != Sw::OK || data.len() != 4 {
        return Err(NotFresh::Drift(format!("GET BALANCE answers SW {sw}")));
    }
    let have = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    let mut drift = Vec::new();
    if have != want {
        drift.push(format!(
            "balance {} where a fresh card has {}",
            Fen(have),
            Fen(want)
        ));
    }
    let (_, sw) = send(LogRecord::read_command(1), "log record 1")?;
    if sw == Sw::OK {
        drift.push("the transaction log has records where a fresh card has none".into());
    }
    if drift.is_empty() {
        Ok(())
    } else {
        Err(NotFresh::Drift(drift.join("; ")))
    }
}
