//! `readers`: the PC/SC readers.

use super::open;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode, String> {
    let list = open::reader_names()?;
    if list.is_empty() {
        println!(
            "no readers (is pcscd running with the vpcd driver? `stk-wallet serve` connects a card to \"Virtual PCD 00 00\")"
        );
    }
    for r in list {
        println!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}
