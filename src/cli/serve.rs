//! `serve`: a card image to PC/SC applications through pcscd and the vsmartcard vpcd driver.

use super::{IfaceArg, open};
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::errors::Code;
use stk_wallet::fault::{CardFault, FaultPlan, FaultyTransport, Layer};
use stk_wallet::transport::Transport;
use stk_wallet::transport::sim::{SimCard, shared};

#[derive(clap::Args)]
pub struct Args {
    /// The card image (created from --profile if it does not exist).
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    #[arg(long, default_value = "default")]
    profile: String,
    /// vpcd's address (reader "Virtual PCD 00 00" listens on 35963, "00 01" on 35964).
    #[arg(long, default_value = stk_wallet::transport::vpcd::DEFAULT_ADDR)]
    addr: String,
    /// Which of the card's interfaces the reader reaches.
    #[arg(long, value_enum, default_value = "contactless")]
    interface: IfaceArg,
    /// Log every exchange with its meaning.
    #[arg(short, long)]
    verbose: bool,
    /// Inject a card fault once: the card link (lose-response:debit, bad-mac:mac2) or the
    /// card's power (tear:debit:3); a lost answer or a power cut makes the card leave the
    /// reader and come back.
    #[arg(long)]
    fault: Option<FaultPlan>,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let fault = a
        .fault
        .unwrap_or_default()
        .reaching("serve", &[Layer::Link, Layer::CardPower])
        .map_err(|e| e.to_string())?
        .card();
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .try_init();
    if !a.card.exists() {
        let p = open::profile(&a.profile)?;
        open::new_card(&p, &a.card)?;
        log::info!(
            "created card image {} from profile `{}`",
            a.card.display(),
            p.name
        );
    }
    let card = shared(open::owned_card(&a.card)?);
    let front: Box<dyn Transport> = Box::new(FaultyTransport::new(
        SimCard {
            card: card.clone(),
            iface: a.interface.interface(),
        },
        Some(card.clone()),
        fault,
    ));
    if fault != CardFault::None {
        log::info!("fault armed: {fault} (fires once)");
    }
    let mut server = stk_wallet::serve::CardServer::new(card, front, Some(a.card.clone()));
    server.verbose = a.verbose;
    log::info!(
        "serving {} to vpcd at {}; PC/SC applications see it in the \"Virtual PCD\" reader (Ctrl-C stops)",
        a.card.display(),
        a.addr
    );
    let opts = stk_wallet::transport::vpcd::ServeOptions::default();
    stk_wallet::transport::vpcd::serve(&mut server, &a.addr, opts)
        .map_err(|e| format!("{}: vpcd at {}: {e}", Code::PReader, a.addr))?;
    Ok(ExitCode::SUCCESS)
}
