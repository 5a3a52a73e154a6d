//! `settle`: a terminal's journal (its sales) uploaded to the clearing host.

use super::open;
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::fault::{FaultPlan, Layer, SettlementFault};
use stk_wallet::host::IssuerHost;
use stk_wallet::journal::{Journal, TopupState};
use stk_wallet::pos::yuan;
use stk_wallet::settle::{ClearingHost, Ledger, SqliteLedger};

#[derive(clap::Args)]
pub struct Args {
    /// The terminal's home folder (default: $STK_TERMINAL, else ./pos).
    #[arg(long)]
    terminal: Option<PathBuf>,
    /// Upload this POS journal file (written by a version before terminal homes) instead.
    #[arg(long, conflicts_with = "terminal")]
    journal: Option<PathBuf>,
    /// The clearing host's ledger (SQLite).
    #[arg(long, default_value = "ledger.db")]
    ledger: PathBuf,
    /// Compare the shadow balance with this card image.
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    #[arg(long, default_value = "default")]
    profile: String,
    /// `duplicate-upload` sends the upload twice.
    #[arg(long)]
    fault: Option<FaultPlan>,
}

/// Uploads the terminal's journal (twice with `--fault duplicate-upload`). Exits 1 when the
/// clearing host rejects a record of the upload: the merchant is not paid for it.
pub fn run(a: Args) -> Result<ExitCode, String> {
    let fault = a
        .fault
        .unwrap_or_default()
        .reaching("settle", &[Layer::Settlement])
        .map_err(|e| e.to_string())?;
    let p = open::profile(&a.profile)?;
    let home;
    let legacy;
    let journal: &Journal = match &a.journal {
        Some(path) => {
            legacy = Journal::open(path).map_err(|e| e.to_string())?;
            println!("journal {} (a POS journal file)", path.display());
            &legacy
        }
        None => {
            let dir;
            (dir, home) = open::existing_terminal(a.terminal.as_deref())?;
            println!(
                "terminal {} at {}",
                hex::encode_upper(home.term_id),
                dir.display()
            );
            let doubt = home.all_in_doubt().map_err(|e| e.to_string())?;
            if !doubt.is_empty() {
                println!(
                    "  {} sale(s) still in doubt (P-NO-RESPONSE): tap the card(s) again to complete them",
                    doubt.len()
                );
            }
            &home.journal
        }
    };
    let mut clearing = ClearingHost::new(
        IssuerHost::from_profile(&p),
        SqliteLedger::open(&a.ledger).map_err(|e| e.to_string())?,
    );
    let serial = p.issuer.serial;
    clearing
        .ledger
        .open_card(&serial, p.purse.balance)
        .map_err(|e| e.to_string())?;
    // Loads the issuer authorised through this POS's top-ups.
    for t in journal.all_topups().map_err(|e| e.to_string())? {
        if let (TopupState::Loaded | TopupState::Done, Some(s), Some(c)) =
            (t.state, t.serial, t.counter)
        {
            clearing
                .ledger
                .add_load(&s, c, t.amount)
                .map_err(|e| e.to_string())?;
        }
    }
    let upload = journal.sales_to_upload().map_err(|e| e.to_string())?;
    let mut refused = 0;
    for round in 1..=SettlementFault::uploads(fault.settlement()) {
        let rep = clearing.settle(&upload).map_err(|e| e.to_string())?;
        println!(
            "upload {round}: {} record(s), {} accepted, {} rejected{}",
            upload.len(),
            rep.accepted.len(),
            rep.rejected.len(),
            if rep.already.is_empty() {
                String::new()
            } else {
                format!(", {} settled by an earlier upload", rep.already.len())
            }
        );
        for r in &rep.rejected {
            println!(
                "  rejected {} counter {} TTC {} ({}): {}",
                hex::encode_upper(r.record.serial),
                r.record.counter,
                r.record.ttc,
                r.code,
                r.reason
            );
        }
        if round == 1 {
            refused = rep.rejected.len();
        }
    }
    journal.mark_uploaded(&upload).map_err(|e| e.to_string())?;
    let shadow = clearing
        .shadow_balance(&serial)
        .map_err(|e| e.to_string())?;
    let card = open::card(&a.card).ok().map(|c| c.state().purse.balance);
    println!(
        "shadow balance {}; card balance {}",
        shadow.map_or("?".into(), yuan),
        card.map_or("? (no card image)".into(), yuan)
    );
    if refused > 0 {
        eprintln!("{refused} record(s) rejected: not paid to the merchant");
        return Ok(super::failed());
    }
    Ok(ExitCode::SUCCESS)
}
