//! `explain [CODE]`: a status word or a catalogue code, or the whole catalogue.

use std::process::ExitCode;
use stk_wallet::errors::{self, Reason};

#[derive(clap::Args)]
pub struct Args {
    code: Option<String>,
    /// List the catalogue: every status word and code with its one-line meaning.
    #[arg(long, conflicts_with = "code")]
    list: bool,
}

/// `explain CODE`: a status word (any, catalogued or not), a catalogue code, or a status-word
/// pattern of the catalogue (`63Cx`); without a code, the catalogue.
pub fn run(a: Args) -> Result<ExitCode, String> {
    let Some(code) = a.code.as_deref().filter(|_| !a.list) else {
        for e in errors::all() {
            println!("{}", e.one_line());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let text = match code.parse::<Reason>() {
        Ok(r) => r.render(),
        Err(_) => errors::lookup(code).map(|e| e.render()).ok_or_else(|| {
            format!(
                "`{code}` is not a status word (4 hex digits) or a catalogue code; `stk-wallet explain P-DIGEST`, `stk-wallet explain 9302`; `stk-wallet explain --list` lists the catalogue"
            )
        })?,
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
