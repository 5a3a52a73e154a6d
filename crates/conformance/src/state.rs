//! The card state a vector needs. Vectors are written for a freshly personalised card; against
//! a card in a reader (which the runner cannot personalise itself) the state is checked before
//! the vector runs, with read-only commands — SELECT the wallet, GET BALANCE, READ RECORD 1 of
//! the transaction log — and a card that has drifted is reported as `V-STATE`, "card not in the
//! required state: … (personalise it first)", instead of failing later at a misleading step.

use crate::card::command::Command;
use crate::decode::spaced;
use crate::profile::Profile;
use crate::runner::Exchange;
use crate::sw::Sw;
use crate::transport::Transport;
use stk_domain::money::Fen;
use stk_domain::records::LogRecord;

/// Why the card is not freshly personalised from `profile` (`Ok` when it is). The exchanges
/// are appended to `transcript`.
pub fn check_fresh(
    t: &mut dyn Transport,
    profile: &Profile,
    transcript: &mut Vec<Exchange>,
) -> Result<(), String> {
    let mut send = |cmd: Command, what: &str| -> Result<(Vec<u8>, Sw), String> {
        let bytes = cmd.to_bytes();
        let r = t.transmit_raw(&bytes);
        transcript.push(Exchange {
            step: format!("state check: {what}"),
            command: bytes,
            response: r.as_ref().ok().cloned(),
        });
        let r = r.map_err(|e| format!("{what}: {e}"))?;
        let sw = r
            .len()
            .checked_sub(2)
            .map(|n| Sw(u16::from_be_bytes([r[n], r[n + 1]])))
            .ok_or_else(|| format!("{what}: malformed response {}", spaced(&r)))?;
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
        return Err(format!("the wallet cannot be selected (SW {sw})"));
    }
    let (data, sw) = send(Command::GetBalance, "balance")?;
    let want = profile.purse.balance;
    if sw != Sw::OK || data.len() != 4 {
        return Err(format!("GET BALANCE answers SW {sw}"));
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
        Err(drift.join("; "))
    }
}
