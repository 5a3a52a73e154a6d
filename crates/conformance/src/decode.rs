//! Exchanges as people read them: the command's name and fields (parsed by the domain's
//! [`Command`], the one codec of the card's commands) and the status word's meaning from the
//! error catalogue. Used by `run -v`, the JUnit transcript and the HTML report.

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::errors::{self, Entry};
use crate::runner::Exchange;
use crate::sw::Sw;
use std::fmt::Write as _;
use stk_domain::command::{Command, TxKind};

/// Bytes as spaced upper-case hex: `00 A4 04 00`.
pub fn spaced(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One exchange, decoded.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The runner's label for the exchange (the step's note or action).
    pub step: String,
    /// `true` for a power cycle (no command; the response is the ATR).
    pub power_cycle: bool,
    pub command: Vec<u8>,
    /// The command's name (`SELECT`), if the codec knows it.
    pub name: Option<&'static str>,
    /// Header and body fields, name and value.
    pub fields: Vec<(&'static str, String)>,
    /// The raw response (`None`: no response came).
    pub response: Option<Vec<u8>>,
    /// Response data and status word, when the response has one.
    pub data: Vec<u8>,
    pub sw: Option<Sw>,
}

impl Decoded {
    /// The status word's one-line meaning (`9000  success / 成功`, a pattern's variable part
    /// filled in), from the catalogue.
    pub fn sw_meaning(&self) -> Option<String> {
        self.sw.map(|sw| {
            errors::render_for(sw)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
    }

    /// The status word's catalogue entry (cause and remedy).
    pub fn sw_entry(&self) -> Option<Entry> {
        self.sw.map(errors::for_sw)
    }
}

/// Decodes one exchange.
pub fn decode(e: &Exchange) -> Decoded {
    let power_cycle = e.command.is_empty();
    let mut fields = Vec::new();
    let mut name = None;
    if !power_cycle {
        name = Command::name_of(&e.command);
        if let Ok(a) = CommandApdu::parse(&e.command) {
            fields.push(("CLA", format!("{:02X}", a.cla)));
            fields.push(("INS", format!("{:02X}", a.ins)));
            fields.push(("P1", format!("{:02X}", a.p1)));
            fields.push(("P2", format!("{:02X}", a.p2)));
            if !a.data.is_empty() {
                fields.push(("Lc", a.data.len().to_string()));
            }
            if let Some(le) = a.le {
                fields.push(("Le", le.to_string()));
            }
            if let Ok(c) = Command::try_from(&a) {
                fields.extend(command_fields(&c));
            } else if !a.data.is_empty() {
                fields.push(("data", spaced(&a.data)));
            }
        }
    }
    let parsed = if power_cycle {
        None
    } else {
        e.response.as_deref().and_then(ResponseApdu::parse)
    };
    Decoded {
        step: e.step.clone(),
        power_cycle,
        command: e.command.clone(),
        name,
        fields,
        response: e.response.clone(),
        data: parsed.as_ref().map(|r| r.data.clone()).unwrap_or_default(),
        sw: parsed.map(|r| r.sw),
    }
}

fn bcd(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The body fields of a parsed command, by the names docs/spec.md gives them.
fn command_fields(c: &Command) -> Vec<(&'static str, String)> {
    match c {
        Command::Select { name, want_fci } => vec![
            ("DF name", spaced(name)),
            ("FCI", if *want_fci { "asked" } else { "not asked" }.into()),
        ],
        Command::SelectFile { fid, .. } => vec![("file", format!("{fid:04X}"))],
        Command::SelectPath { from_mf, path, .. } => vec![
            ("from", if *from_mf { "MF" } else { "current DF" }.into()),
            (
                "path",
                path.iter()
                    .map(|f| format!("{f:04X}"))
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
        ],
        Command::GsmSelect { fid } => vec![("file", format!("{fid:04X}"))],
        Command::GetResponse { le } => vec![("Le", le.map_or("none".into(), |l| l.to_string()))],
        Command::ReadCurrentBinary { offset, .. } => vec![("offset", offset.to_string())],
        Command::ReadCurrentRecord { record, .. } => vec![("record", record.to_string())],
        Command::Status { data, .. } => vec![(
            "asks",
            match data {
                stk_domain::command::StatusData::Fcp => "the FCP",
                stk_domain::command::StatusData::DfName => "the DF name",
                stk_domain::command::StatusData::Nothing => "nothing",
            }
            .into(),
        )],
        Command::ReadBinary { sfi, offset, .. } => vec![
            ("SFI", format!("{sfi:02X}")),
            ("offset", offset.to_string()),
        ],
        Command::ReadRecord { record, sfi, .. } => vec![
            ("record", record.to_string()),
            ("SFI", format!("{sfi:02X}")),
        ],
        Command::Verify { pin } => match pin {
            Some(_) => vec![("password", "(hidden)".into())],
            None => vec![("password", "none: asks the tries left".into())],
        },
        Command::VerifyPin1 { pin, .. } => match pin {
            Some(_) => vec![("PIN1", "(hidden)".into())],
            None => vec![("PIN1", "none: asks whether verification is needed".into())],
        },
        Command::ChangePin { .. } => vec![("passwords", "(hidden)".into())],
        Command::ReloadPin { mac, .. } | Command::ResetOperationPassword { mac, .. } => {
            vec![("password", "(hidden)".into()), ("MAC", spaced(mac))]
        }
        Command::CloseWallet {
            amount,
            date,
            time,
            mac,
        } => vec![
            ("amount", format!("{amount} fen")),
            ("date", spaced(date)),
            ("time", spaced(time)),
            ("MAC", spaced(mac)),
        ],
        Command::CancelNumber { mac } => vec![("MAC", spaced(mac))],
        Command::GetChallenge | Command::GetBalance => Vec::new(),
        Command::GetData { tag } => vec![("tag", format!("{tag:04X}"))],
        Command::Initialize {
            kind,
            key_index,
            amount,
            term_id,
        } => vec![
            (
                "type",
                match kind {
                    TxKind::Load => "load",
                    TxKind::Purchase => "purchase",
                }
                .into(),
            ),
            ("key index", key_index.to_string()),
            ("amount", format!("{amount} fen")),
            ("termID", spaced(term_id)),
        ],
        Command::CreditForLoad { date, time, mac2 } => vec![
            ("date", bcd(date)),
            ("time", bcd(time)),
            ("MAC2", spaced(mac2)),
        ],
        Command::DebitForPurchase {
            ttc,
            date,
            time,
            mac1,
        } => vec![
            ("terminal counter", ttc.to_string()),
            ("date", bcd(date)),
            ("time", bcd(time)),
            ("MAC1", spaced(mac1)),
        ],
        Command::GetTransactionProof { tx_type, counter } => vec![
            ("type", format!("{tx_type:02X}")),
            ("counter", counter.to_string()),
        ],
        Command::TerminalProfile { profile } => vec![("profile", spaced(profile))],
        Command::Fetch { .. } => Vec::new(),
        Command::TerminalResponse { data } | Command::Envelope { data } => {
            vec![("data", spaced(data))]
        }
    }
}

/// A transcript as text, one command and one response line per exchange, each decoded:
/// ```text
/// > 80 5C 00 02 04  GET BALANCE  [CLA 80, INS 5C, P1 00, P2 02, Le 4]  (step)
/// < 00 00 27 10 90 00  9000  success / 成功
/// ```
pub fn transcript_text(t: &[Exchange], indent: &str) -> String {
    let mut s = String::new();
    for e in t {
        let d = decode(e);
        if d.power_cycle {
            let _ = writeln!(s, "{indent}~ power cycle  ({})", d.step);
            let _ = writeln!(
                s,
                "{indent}< ATR {}",
                d.response.as_deref().map_or("(none)".into(), spaced)
            );
            continue;
        }
        let fields = d
            .fields
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "{indent}> {}  {}  [{fields}]  ({})",
            spaced(&d.command),
            d.name.unwrap_or("(unknown command)"),
            d.step
        );
        match (&d.response, d.sw_meaning()) {
            (None, _) => {
                let _ = writeln!(s, "{indent}< (no response)");
            }
            (Some(r), Some(m)) => {
                let _ = writeln!(s, "{indent}< {}  {m}", spaced(r));
            }
            (Some(r), None) => {
                let _ = writeln!(s, "{indent}< {}  (malformed response)", spaced(r));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_balance_exchange_reads_as_text() {
        let e = Exchange {
            step: "balance".into(),
            command: vec![0x80, 0x5C, 0x00, 0x02, 0x04],
            response: Some(vec![0, 0, 0x27, 0x10, 0x90, 0x00]),
        };
        let t = transcript_text(&[e], "");
        assert!(t.contains("> 80 5C 00 02 04  GET BALANCE  [CLA 80"), "{t}");
        assert!(t.contains("< 00 00 27 10 90 00  9000"), "{t}");
        let e = Exchange {
            step: "x".into(),
            command: vec![0x00, 0x20, 0x00, 0x00, 0x03, 1, 2, 3],
            response: Some(vec![0x63, 0xC2]),
        };
        let t = transcript_text(&[e], "");
        assert!(t.contains("VERIFY") && t.contains("2 tries left"), "{t}");
    }
}
