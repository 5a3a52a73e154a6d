//! `explain [CODE | PHRASE]`: a status word, a catalogue code, a handbook entry, or every entry
//! that mentions a phrase; or the whole catalogue and handbook.

use std::process::ExitCode;
use stk_wallet::errors::{self, Reason, faq};

#[derive(clap::Args)]
pub struct Args {
    /// A status word (`9302`), a catalogue code (`P-DIGEST`), a handbook entry
    /// (`FAQ-LOST-PHONE`), or a phrase in English or Chinese (`reversal`, `摘要错误`).
    code: Option<String>,
    /// List the catalogue (every status word and code with its one-line meaning), then the
    /// handbook's entries (FAQ-… customer questions, FIELD-… field practice).
    #[arg(long, conflicts_with = "code")]
    list: bool,
}

/// Whether `s` looks like a code rather than a phrase: hex digits and `x` only (`930`, `63Cx`),
/// or a prefix and a dash (`P-NOPE`). Such an argument that is no code is refused as a code.
fn code_shaped(s: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t.as_str());
    let hexish = !t.is_empty()
        && t.len() <= 4
        && t.bytes()
            .all(|b| b.is_ascii_hexdigit() || b.eq_ignore_ascii_case(&b'x'));
    let prefixed = s.trim().split_once('-').is_some_and(|(p, rest)| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_alphabetic())
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    hexish || prefixed
}

/// `explain CODE`: a status word (any, catalogued or not), a catalogue code, a status-word
/// pattern of the catalogue (`63Cx`) or a handbook entry; `explain PHRASE`: every entry that
/// mentions it; without an argument, the catalogue and the handbook.
pub fn run(a: Args) -> Result<ExitCode, String> {
    let Some(code) = a.code.as_deref().filter(|_| !a.list) else {
        for e in errors::all() {
            println!("{}", e.one_line());
        }
        for f in faq::FAQ {
            println!("{}", f.one_line());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let text = if let Ok(r) = code.parse::<Reason>() {
        r.render()
    } else if let Some(e) = errors::lookup(code) {
        e.render()
    } else if let Some(f) = faq::find(code) {
        f.render()
    } else if code_shaped(code) {
        return Err(format!(
            "`{code}` is not a status word (4 hex digits) or a catalogue code; `stk-wallet explain P-DIGEST`, `stk-wallet explain 9302`; `stk-wallet explain --list` lists the catalogue"
        ));
    } else {
        let found = errors::search(code);
        match found.as_slice() {
            [] => {
                return Err(format!(
                    "`{}` is not a status word, a catalogue code or a handbook entry, and no entry mentions it; try a shorter phrase in English or Chinese (`stk-wallet explain reversal`, `stk-wallet explain 冲正`), or `stk-wallet explain --list` for every entry",
                    code.trim()
                ));
            }
            [one] => one.render(),
            many => {
                let names: Vec<&str> = many.iter().map(|f| f.name()).collect();
                let mut t = format!(
                    "{} entries mention `{}`: {}",
                    many.len(),
                    code.trim(),
                    names.join(", ")
                );
                for f in many {
                    t.push_str("\n\n");
                    t.push_str(&f.render());
                }
                t
            }
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
