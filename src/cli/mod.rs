//! The subcommands, one module each. Every module parses its own arguments (clap) and prints;
//! cards, readers, terminals and profiles are opened in [`open`] only, and the flows
//! themselves are the crates'.

pub mod card;
pub mod desk;
pub mod docs;
pub mod explain;
pub mod issuer;
pub mod open;
pub mod phone;
pub mod pos;
pub mod readers;
pub mod run;
pub mod serve;
pub mod settle;
pub mod vectors;

use std::process::ExitCode;

/// What `--help` says about the exit status (every command and subcommand).
pub const EXIT_CODES: &str = "\
Exit status:
  0  done: the command did what was asked (every vector that ran passed, the sale, load,
     top-up or refund completed, settlement reconciled)
  1  a flow or a vector failed: a vector did not pass or its file is malformed, a sale or load
     failed or stayed in doubt, a top-up did not load the wallet (refused before the charge,
     or reversed), `pos refund` was refused (no such complete sale, already refunded, over the
     sale's amount, another card) or failed, `pos reversals` lists one waiting for a person,
     `pos resume` left a top-up or refund unfinished, a terminal that never signed in refused a
     sale, load or top-up (P-SIGN-IN), a terminal on a retired key version was refused
     (H-KEY-RETIRED, P-KEY-VERSION), `pos signin` did not get through (the previous parameters
     are kept), `settle` had a record rejected, holds one nobody resolved (H-REJECTED) or found
     a difference the records do not explain (H-UNEXPLAINED), `serve`'s verdict failed a check
     on the reader, `desk` refused: a holder's name or ID that is not the card's (H-HOLDER,
     logged), a card that refused the issuer's command (its status word), a lost phone
     (H-NOT-REPORTED: not reported, not recovered)
  2  usage or input error: bad flags or arguments, a path that does not exist, a bad --filter
     or --fault, a bank card number or PIN not well formed, an unknown code for `explain` or a
     phrase no entry mentions, an unreadable card image, profile, scenario, terminal home or
     issuer state (issuer.db), `issuer roll-key` with no newer key in the profile, a bad vpcd
     address or a vpcd slot already taken, a `desk` new password not of the right form, a desk
     home another process holds (H-DESK-BUSY); for commands other than `run`, an unreachable
     reader
  3  `run`: the target or I/O failed: the reader is unreachable or gone, the card is mute or
     answers garbage, a report file cannot be written
  4  `run`: nothing ran: every vector was skipped or filtered out, or no vector file was found
     (`--allow-empty` makes that 0)";

/// Exit status 1: the flow or a vector failed.
pub fn failed() -> ExitCode {
    ExitCode::from(1)
}

/// Exit status 0 or 1.
pub fn status(ok: bool) -> ExitCode {
    if ok { ExitCode::SUCCESS } else { failed() }
}

/// Exit status 2, after printing the error.
pub fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Parses a yuan amount ("12.34", "12", "0.5") into fen.
pub fn fen(s: &str) -> Result<u32, String> {
    stk_domain::money::Fen::parse(s)
        .map(u32::from)
        .map_err(|e| format!("amount `{s}`: {e}"))
}

/// Which interface of the card a reader reaches.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum IfaceArg {
    Contactless,
    Contact,
}

impl IfaceArg {
    pub fn interface(self) -> stk_wallet::card::Interface {
        match self {
            IfaceArg::Contactless => stk_wallet::card::Interface::Contactless,
            IfaceArg::Contact => stk_wallet::card::Interface::Contact,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            IfaceArg::Contactless => "contactless",
            IfaceArg::Contact => "contact",
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_amounts() {
        assert_eq!(super::fen("12.34"), Ok(1234));
        assert_eq!(super::fen("12.3"), Ok(1230));
        assert_eq!(super::fen("7"), Ok(700));
        assert!(
            super::fen("1.234").is_err()
                && super::fen("-1").is_err()
                && super::fen("").is_err()
                && super::fen("99999999999").is_err()
        );
    }
}
