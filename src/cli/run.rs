//! `run [PATHS]`: conformance vectors against the embedded simulated card or a card in a
//! reader.

use super::{IfaceArg, open, status};
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::profile::Profile;
use stk_wallet::vectors::{report, runner};

#[derive(clap::Args)]
pub struct Args {
    paths: Vec<PathBuf>,
    /// Also write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Print every APDU exchange of every vector.
    #[arg(short, long)]
    verbose: bool,
    /// Run against the card in this PC/SC reader (exact name or a unique part of it).
    #[arg(long)]
    reader: Option<String>,
    /// With --reader and a card served by `stk-wallet serve --card IMAGE`: before each
    /// vector, write a card personalised from the vector's profile to IMAGE (the server
    /// loads it at the next power-on), so every vector starts from a fresh card.
    #[arg(long, requires = "reader")]
    card_image: Option<PathBuf>,
    /// Capabilities the reader's card has (e.g. `fixed-random` for a test card with the
    /// profile's fixed random numbers); --card-image implies fixed-random.
    #[arg(long, requires = "reader")]
    assume: Vec<String>,
    /// Also write every APDU exchange of the run as a pcap of GSMTAP SIM frames (Wireshark
    /// decodes them, toolkit commands included).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Which interface of the card the reader reaches (vectors for the other are skipped).
    #[arg(long, value_enum, default_value = "contactless")]
    interface: IfaceArg,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let Args {
        paths,
        junit,
        verbose,
        reader,
        card_image,
        mut assume,
        pcap,
        interface,
    } = a;
    assume.push(interface.name().into());
    let mut capture = stk_wallet::pcap::Pcap::new();
    let mut reader = reader
        .as_deref()
        .map(|r| open::reader(r, true))
        .transpose()?;
    if card_image.is_some() && !assume.iter().any(|a| a == "fixed-random") {
        assume.push("fixed-random".into());
    }

    let paths = if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths
    };
    let files = runner::collect(&paths)?;
    if files.is_empty() {
        return Err(format!(
            "no vector files (*.json) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut outcomes = Vec::with_capacity(files.len());
    for f in &files {
        let o = match reader.as_mut() {
            None => runner::run_file(f, &mut runner::Target::Simulator),
            Some(t) => {
                let fresh_card: Option<runner::FreshCard> = card_image.as_ref().map(|img| {
                    let img = img.clone();
                    Box::new(move |p: &Profile| open::new_card(p, &img)) as runner::FreshCard
                });
                runner::run_file(
                    f,
                    &mut runner::Target::External {
                        transport: t.as_mut(),
                        capabilities: assume.clone(),
                        fresh_card,
                    },
                )
            }
        };
        println!("{}", report::line(&o));
        print!("{}", report::details(&o));
        if verbose {
            for e in &o.transcript {
                println!("    > {}  ({})", hex::encode_upper(&e.command), e.step);
                println!(
                    "    < {}",
                    e.response
                        .as_ref()
                        .map_or("(no response)".into(), hex::encode_upper)
                );
            }
        }
        for e in o.transcript.iter().filter(|e| !e.command.is_empty()) {
            capture.add_apdu(&e.command, e.response.as_deref().unwrap_or(&[]));
        }
        outcomes.push(o);
    }
    println!("{}", report::summary(&outcomes));
    if let Some(p) = pcap {
        capture
            .write(&p)
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        println!(
            "{} APDU exchanges written to {}",
            capture.frames(),
            p.display()
        );
    }
    if let Some(j) = junit {
        std::fs::write(&j, report::junit(&outcomes, "stk-wallet vectors"))
            .map_err(|e| format!("cannot write {}: {e}", j.display()))?;
    }
    let (_, failed, _) = report::counts(&outcomes);
    Ok(status(failed == 0))
}
