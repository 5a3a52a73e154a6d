//! `card new`, `card show`: card images.

use super::open;
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::pos::yuan;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Personalise a new card image from a profile.
    New {
        /// `default` or a profile JSON file.
        #[arg(long, default_value = "default")]
        profile: String,
        #[arg(long, short, default_value = "card.json")]
        out: PathBuf,
        /// Overwrite an existing image.
        #[arg(long)]
        force: bool,
    },
    /// Show a card image's balance, counters and passwords state.
    Show {
        #[arg(default_value = "card.json")]
        image: PathBuf,
    },
}

pub fn run(cmd: Cmd) -> Result<ExitCode, String> {
    match cmd {
        Cmd::New {
            profile,
            out,
            force,
        } => {
            let p = open::profile(&profile)?;
            if out.exists() && !force {
                return Err(format!(
                    "{} exists; pass --force to replace it",
                    out.display()
                ));
            }
            open::create_card(&p, &out)?;
            println!(
                "card image {} written from profile `{}`: balance {} yuan, serial {}",
                out.display(),
                p.name,
                yuan(p.purse.balance),
                hex::encode_upper(p.issuer.serial)
            );
        }
        Cmd::Show { image } => {
            let c = open::card(&image)?;
            let s = c.state();
            println!(
                "serial          {}",
                hex::encode_upper(&s.perso.ef0015[10..20])
            );
            println!(
                "wallet          {}",
                if s.purse.open { "open" } else { "closed" }
            );
            println!(
                "balance         {} yuan (cap {})",
                yuan(s.purse.balance),
                yuan(s.purse.balance_cap)
            );
            println!(
                "payment limit   {} yuan",
                yuan(s.purse.single_payment_limit)
            );
            println!(
                "counters        online {}  offline {}",
                s.purse.online_counter, s.purse.offline_counter
            );
            println!(
                "payment pwd     {} of {} tries left",
                s.payment_password.tries_left, s.payment_password.max_tries
            );
            if let Some(at) = s.payment_password.locked_at {
                let (d, t) = stk_wallet::clock::bcd_datetime(at);
                let (ud, ut) = stk_wallet::clock::bcd_datetime(at + 24 * 3600);
                println!(
                    "payment lock    since {} (menu time), lifts at {}",
                    stk_wallet::clock::display(&d, &t),
                    stk_wallet::clock::display(&ud, &ut)
                );
            }
            if s.purse.number_cancelled {
                println!("phone number    cancelled by the issuer: loads refused (9405)");
            }
            println!(
                "operation pwd   {} ({} of {} tries left)",
                if s.operation_password.enabled {
                    "on"
                } else {
                    "off"
                },
                s.operation_password.tries_left,
                s.operation_password.max_tries
            );
            println!("log records     {}", s.log.count);
        }
    }
    Ok(ExitCode::SUCCESS)
}
