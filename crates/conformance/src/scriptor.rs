//! Interop with `scriptor` (pcsc-tools) APDU scripts.
//!
//! A scriptor script is one hex APDU per line, `#` comments, and the commands `reset` and `exit`.
//! scriptor checks no status word, and it stops at any line that contains the word "exit" —
//! comments included — so an exported script never contains that word.
//!
//! - [`import`] turns a vendor's script into a vector: one raw `apdu` step per line, accepting
//!   any status word (`????`), with the script's comments as step notes; the user then adds the
//!   expectations (or runs it with `-v` to see what the card answers).
//! - [`export`] turns a vector run's transcript into a script that replays the same APDUs
//!   (symbolic steps expanded), with each expected answer in a comment. Replayed on a card in
//!   the same state (a fresh card from the same profile), the answers are the same; MACs are
//!   byte-exact only where the card's randoms are the profile's fixed ones.

use super::runner::Exchange;
use serde_json::{Value, json};

/// Removes the word scriptor stops at from a comment.
fn safe_comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let lower = s.to_ascii_lowercase();
    let mut i = 0;
    while i < s.len() {
        if lower[i..].starts_with("exit") {
            out.push_str("leave");
            i += 4;
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out.replace('\n', " ")
}

/// A scriptor script from a run transcript.
pub fn export(name: &str, transcript: &[Exchange]) -> String {
    let mut out = format!(
        "#!/usr/bin/env scriptor\n# {}\n# Exported by stk-wallet; expected answers are in the comments.\n",
        safe_comment(name)
    );
    for e in transcript {
        if e.command.is_empty() {
            out.push_str("reset\n");
            continue;
        }
        out.push_str(&format!("# {}\n", safe_comment(&e.step)));
        if let Some(r) = &e.response {
            out.push_str(&format!("#   expect {}\n", spaced(r)));
        }
        out.push_str(&spaced(&e.command));
        out.push('\n');
    }
    out
}

fn spaced(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a script line could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: line {line}: {why}", code = crate::errors::Code::VFormat)]
pub struct ImportError {
    pub line: usize,
    pub why: String,
}

impl ImportError {
    /// The error-catalogue code (also the start of the message): always `V-FORMAT`.
    pub fn code(&self) -> crate::errors::Code {
        crate::errors::Code::VFormat
    }
}

/// A vector (JSON) from a scriptor script. `reset` becomes a power cycle; `exit` ends the
/// script as scriptor would.
pub fn import(name: &str, script: &str) -> Result<Value, ImportError> {
    let mut steps = Vec::new();
    let mut note: Vec<String> = Vec::new();
    let mut expect: Option<Vec<u8>> = None;
    for (i, raw) in script.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("#!") {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            // Our own export writes `expect <response>`: import it as the expectation.
            match c.trim().strip_prefix("expect ").map(crate::hexser::decode) {
                Some(Ok(r)) if r.len() >= 2 => expect = Some(r),
                _ => note.push(c.trim().to_string()),
            }
            continue;
        }
        let take_note =
            |note: &mut Vec<String>| (!note.is_empty()).then(|| std::mem::take(note).join(" "));
        match line.to_ascii_lowercase().as_str() {
            "exit" => break,
            "reset" => {
                let mut s = json!({ "power_cycle": true });
                if let Some(n) = take_note(&mut note) {
                    s["note"] = n.into();
                }
                steps.push(s);
            }
            _ => {
                let bytes =
                    crate::hexser::decode(line).map_err(|why| ImportError { line: i + 1, why })?;
                if bytes.len() < 4 {
                    return Err(ImportError {
                        line: i + 1,
                        why: format!("`{line}` is shorter than an APDU header"),
                    });
                }
                let mut s = match expect.take() {
                    Some(r) => {
                        let (data, sw) = r.split_at(r.len() - 2);
                        json!({ "apdu": spaced(&bytes), "expect": spaced(data), "sw": hex::encode_upper(sw) })
                    }
                    None => json!({ "apdu": spaced(&bytes), "sw": "????" }),
                };
                if let Some(n) = take_note(&mut note) {
                    s["note"] = n.into();
                }
                steps.push(s);
            }
        }
    }
    Ok(json!({
        "name": name,
        "description": "Imported from a scriptor script: steps without an `expect` comment accept any status word until expectations are added.",
        "steps": steps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_keeps_apdus_comments_and_reset_and_stops_at_exit() {
        let v = import("t", "#!/usr/bin/env scriptor\n# select\n00 A4 04 00 02 3F 00\nreset\n80 5C 00 02 04\nexit\n80 5C 00 02 04\n").unwrap();
        let steps = v["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0]["apdu"], "00 A4 04 00 02 3F 00");
        assert_eq!(steps[0]["note"], "select");
        assert_eq!(steps[1]["power_cycle"], true);
        assert!(import("t", "00 A4\n").is_err());
        // Our export's expectations come back as expectations.
        let v = import("t", "#   expect 00 00 27 10 90 00\n80 5C 00 02 04\n").unwrap();
        assert_eq!(
            (&v["steps"][0]["expect"], &v["steps"][0]["sw"]),
            (&json!("00 00 27 10"), &json!("9000"))
        );
        assert_eq!(import("t", "ZZ\n").unwrap_err().line, 1);
    }

    #[test]
    fn export_never_contains_the_stop_word() {
        let t = vec![
            Exchange {
                step: "Exit test: EXIT and exit".into(),
                command: vec![0x80, 0x5C, 0, 2, 4],
                response: Some(vec![0, 0, 0x27, 0x10, 0x90, 0]),
            },
            Exchange {
                step: "power cycle".into(),
                command: vec![],
                response: None,
            },
        ];
        let s = export("exit", &t);
        assert!(!s.to_ascii_lowercase().contains("exit"), "{s}");
        assert!(s.contains("80 5C 00 02 04\n") && s.contains("reset\n"));
    }
}
