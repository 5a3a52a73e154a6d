//! `issuer …`: the issuer's own state (docs/spec.md §8): roll a purchase or load key over to the
//! next version the profile holds, and the parameters terminals download when they sign in.
//! The state is a SQLite file (`--issuer`, default `issuer.db`); the key material stays in the
//! profile.

use super::open;
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::errors::Code;
use stk_wallet::issuer_db::{DEFAULT_ISSUER_DB, IssuerDbError, IssuerState, KeyKind};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
    /// The issuer's state file (created when first written).
    #[arg(long, global = true, default_value = DEFAULT_ISSUER_DB)]
    issuer: PathBuf,
    /// The key profile whose keys the issuer holds.
    #[arg(long, global = true, default_value = "default")]
    profile: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Purchase,
    Load,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Roll the purchase or load key over to the next version the profile holds: the current
    /// one is retired (loads under it are refused, H-KEY-RETIRED) and terminals get the new
    /// one when they sign in (`pos signin`).
    RollKey {
        #[arg(value_enum)]
        kind: KindArg,
    },
    /// Show the current and retired keys and the sign-in parameters; with options, change the
    /// parameters terminals download at their next sign-in.
    Params {
        /// The merchant number (15 digits).
        #[arg(long, value_parser = merchant_number)]
        merchant: Option<String>,
        /// How long a terminal waits for the host's answer, in ms (1-600000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=600_000))]
        timeout_ms: Option<u32>,
        /// How many times a terminal sends a request again (0-9).
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9))]
        resends: Option<u32>,
        /// Failed reversal tries before manual handling (1-99).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=99))]
        reversal_tries: Option<u32>,
    },
}

/// A merchant number: 15 digits.
fn merchant_number(s: &str) -> Result<String, String> {
    if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a merchant number (15 digits)"))
    }
}

fn db_error(e: IssuerDbError) -> String {
    e.to_string()
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let profile = open::profile(&a.profile)?;
    match a.cmd {
        Cmd::RollKey { kind } => {
            let kind = match kind {
                KindArg::Purchase => KeyKind::Purchase,
                KindArg::Load => KeyKind::Load,
            };
            let (old, new) =
                IssuerState::roll(&a.issuer, &profile, kind, &super::settle::now_utc())
                    .map_err(db_error)?;
            println!(
                "{kind} key rolled over: index {:02X} version {:02X} retired, index {:02X} version {:02X} current",
                old.index, old.version, new.index, new.version
            );
            println!(
                "terminals use the new key once they sign in (`stk-wallet pos signin`); until then {}",
                match kind {
                    KeyKind::Load => format!("their loads are refused ({})", Code::HKeyRetired),
                    KeyKind::Purchase => format!(
                        "a card holding only the new key refuses them ({})",
                        Code::PKeyVersion
                    ),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Params {
            merchant,
            timeout_ms,
            resends,
            reversal_tries,
        } => {
            let mut s = IssuerState::read(&a.issuer, &profile).map_err(db_error)?;
            if merchant.is_some()
                || timeout_ms.is_some()
                || resends.is_some()
                || reversal_tries.is_some()
            {
                let p = &mut s.params;
                if let Some(m) = merchant {
                    p.merchant = m;
                }
                p.host_timeout_ms = timeout_ms.unwrap_or(p.host_timeout_ms);
                p.resends = resends.unwrap_or(p.resends);
                p.reversal_tries = reversal_tries.unwrap_or(p.reversal_tries);
                IssuerState::set_params(&a.issuer, p).map_err(db_error)?;
            }
            let p = &s.params;
            println!(
                "sign-in parameters: merchant {}, host time-out {} ms, {} resend(s), {} reversal tries",
                p.merchant, p.host_timeout_ms, p.resends, p.reversal_tries
            );
            for kind in [KeyKind::Purchase, KeyKind::Load] {
                let c = s.current(kind);
                println!(
                    "{kind} key: index {:02X} version {:02X} current",
                    c.index, c.version
                );
            }
            for (kind, c) in &s.retired {
                println!(
                    "{kind} key: index {:02X} version {:02X} retired",
                    c.index, c.version
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
