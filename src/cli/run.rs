//! `run [PATHS]`: conformance vectors against the embedded simulated card or a card in a
//! reader; text, JSON, JUnit and HTML reports; the exit status of [`super::EXIT_CODES`].

use super::{IfaceArg, open};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::profile::Profile;
use stk_wallet::transport::Transport as _;
use stk_wallet::vectors::coverage::{self, Matrix};
use stk_wallet::vectors::report::{self, RunInfo};
use stk_wallet::vectors::select::{self, Filter};
use stk_wallet::vectors::{decode, html, junit, runner};

#[derive(clap::Args)]
pub struct Args {
    /// Vector files or folders (default: vectors/); a file reached twice runs once.
    paths: Vec<PathBuf>,
    /// List the vectors that would run (path, name, spec sections, tags) and run nothing.
    #[arg(long)]
    list: bool,
    /// Run only matching vectors: TEXT (in the name or path), name:TEXT, folder:PATH,
    /// spec:§N (a section or its subsections) or tag:NAME. Repeat to combine: terms of one
    /// kind are alternatives, different kinds must all match.
    #[arg(long, value_name = "TERM")]
    filter: Vec<Filter>,
    /// Exit 0 instead of 4 when nothing ran (every vector skipped or filtered out).
    #[arg(long)]
    allow_empty: bool,
    /// Print the requirement coverage of the selected vectors (each numbered section of the
    /// specification → the vectors whose `spec` names it, then the sections none checks) and
    /// run nothing.
    #[arg(long)]
    coverage: bool,
    /// The specification whose numbered sections are the requirements (for --coverage and
    /// the HTML report).
    #[arg(long, value_name = "FILE", default_value = "docs/spec.md")]
    spec: PathBuf,
    /// Standard output: `text` (a line per vector, a block per failure) or `json` (one JSON
    /// object per vector, then one with the summary).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a self-contained HTML report here (every exchange decoded, differences
    /// highlighted).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print every APDU exchange of every vector, decoded (command names, fields, status words).
    #[arg(short, long)]
    verbose: bool,
    /// Run against the card in this PC/SC reader (exact name or a unique part of it).
    #[arg(long)]
    reader: Option<String>,
    /// Run against this card image as it is, in this process (both interfaces, no reader,
    /// nothing personalised): vectors written for any state run on it, those that need a fresh
    /// card report V-STATE on a used one. The image is saved after every command, as `serve`
    /// saves it.
    #[arg(long, value_name = "IMAGE", conflicts_with_all = ["reader", "other_reader"])]
    card: Option<PathBuf>,
    /// With --reader and a card served by `stk-wallet serve --card IMAGE`: before each
    /// vector, write a card personalised from the vector's profile to IMAGE (the server
    /// loads it at the next power-on), so every vector starts from a fresh card.
    #[arg(long, requires = "reader")]
    card_image: Option<PathBuf>,
    /// With --reader: a command that puts a card freshly personalised from the vector's profile
    /// in the reader (your personalisation tool), run with `sh -c` before each vector that needs
    /// a fresh card, with STK_PROFILE naming a JSON file of that profile; it must exit 0.
    #[arg(
        long,
        value_name = "CMD",
        requires = "reader",
        conflicts_with = "card_image"
    )]
    personalise: Option<String>,
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
    /// With --reader: the same card's other interface (the one --interface does not name) is
    /// in this reader, as `serve --both` serves it ("Virtual PCD 00 01" for the contacts), so
    /// vectors that use both interfaces run too, each step in its interface's reader.
    #[arg(long, requires = "reader")]
    other_reader: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Runs the vendor's personalisation command for a card from `p` (its profile in the file that
/// STK_PROFILE names).
fn personalise_hook(cmd: &str, p: &Profile) -> Result<(), String> {
    let json = serde_json::to_string_pretty(p).map_err(|e| e.to_string())?;
    let file = std::env::temp_dir().join(format!("stk-wallet-profile-{}.json", std::process::id()));
    std::fs::write(&file, json).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("STK_PROFILE", &file)
        .status();
    let _ = std::fs::remove_file(&file);
    match st {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("--personalise `{cmd}` exited with {s}")),
        Err(e) => Err(format!("--personalise `{cmd}` cannot run: {e}")),
    }
}

/// Exit status 3: the target or a report's file failed.
fn target_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(3)
}

/// Exit status 4 (or 0 with --allow-empty): nothing ran.
fn nothing_ran(allow: bool, why: &str) -> ExitCode {
    if allow {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: nothing ran: {why} (--allow-empty accepts that)");
        ExitCode::from(4)
    }
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let Args {
        paths,
        list,
        filter,
        allow_empty,
        coverage,
        spec,
        format,
        junit,
        html,
        verbose,
        reader,
        card,
        card_image,
        personalise,
        mut assume,
        pcap,
        interface,
        other_reader,
    } = a;
    assume.push(interface.name().into());
    let other_iface = match interface {
        IfaceArg::Contactless => IfaceArg::Contact,
        IfaceArg::Contact => IfaceArg::Contactless,
    };
    if other_reader.is_some() {
        assume.push(other_iface.name().into());
    }
    if card_image.is_some() && !assume.iter().any(|a| a == "fixed-random") {
        assume.push("fixed-random".into());
    }
    let paths = if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths
    };
    let all = select::collect(&paths)?;
    let typed = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if all.is_empty() {
        return Ok(nothing_ran(
            allow_empty,
            &format!("no vector files (*.json) under {typed}"),
        ));
    }
    let files: Vec<PathBuf> = if filter.is_empty() {
        all.clone()
    } else {
        all.iter()
            .filter(|f| {
                let v = runner::load(f).ok().map(|(v, _)| v);
                select::selected(&filter, f, v.as_ref())
            })
            .cloned()
            .collect()
    };
    let matrix = |files: &[PathBuf]| -> Result<Matrix, String> {
        let text = std::fs::read_to_string(&spec)
            .map_err(|e| format!("cannot read the specification {}: {e}", spec.display()))?;
        let loaded: Vec<_> = files
            .iter()
            .filter_map(|f| runner::load(f).ok().map(|(v, _)| (f.clone(), v)))
            .collect();
        Ok(Matrix::of(&coverage::requirements(&text), &loaded))
    };
    if coverage {
        let m = matrix(&files)?;
        match format {
            Format::Text => print!("{}", m.text()),
            Format::Json => {
                for (r, v) in &m.rows {
                    let vectors: Vec<String> =
                        v.iter().map(|(p, _)| p.display().to_string()).collect();
                    println!(
                        "{}",
                        serde_json::json!({"requirement": r.id, "title": r.title, "vectors": vectors})
                    );
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if list {
        for f in &files {
            match runner::load(f) {
                Ok((v, _)) => println!(
                    "{}\t{}\t{}\t{}",
                    f.display(),
                    v.name,
                    v.spec,
                    v.tags.join(",")
                ),
                Err(e) => println!("{}\t(malformed: {e})\t\t", f.display()),
            }
        }
        eprintln!("{} of {} vector files", files.len(), all.len());
        return Ok(if files.is_empty() {
            nothing_ran(allow_empty, "no vector matches the filter")
        } else {
            ExitCode::SUCCESS
        });
    }
    if files.is_empty() {
        return Ok(nothing_ran(
            allow_empty,
            &format!(
                "no vector of the {} under {typed} matches the filter",
                all.len()
            ),
        ));
    }

    let mut capture = stk_wallet::pcap::Pcap::new();
    let mut reader_t = match reader.as_deref().map(|r| open::reader(r, true)).transpose() {
        Ok(t) => t,
        Err(e) => return Ok(target_error(&e)),
    };
    let mut other_t = match other_reader
        .as_deref()
        .map(|r| open::reader(r, true))
        .transpose()
    {
        Ok(t) => t,
        Err(e) => return Ok(target_error(&e)),
    };
    // A card image, as it is: both interfaces of one card, saved after every command.
    let image = match &card {
        Some(path) => {
            let c = stk_wallet::transport::sim::shared(open::owned_card(path)?);
            let contactless = open::ImageCard::contactless(c.clone(), path);
            let contact = open::ImageCard::contact(c.clone(), path);
            for i in ["fixed-random", "contactless", "contact"] {
                if !assume.iter().any(|a| a == i) {
                    assume.push(i.into());
                }
            }
            Some((path.clone(), contactless, contact))
        }
        None => None,
    };
    let mut image = image;
    let (target, atr) = match (&reader, reader_t.as_mut()) {
        _ if image.is_some() => match image.as_mut().map(|(p, t, _)| (p.clone(), t.reset())) {
            Some((p, Ok(atr))) => (format!("card image {}", p.display()), Some(atr)),
            Some((p, Err(e))) => {
                return Ok(target_error(&format!("card image {}: {e}", p.display())));
            }
            None => unreachable!("checked above"),
        },
        (Some(name), Some(t)) => match t.reset() {
            Ok(atr) => (name.clone(), Some(atr)),
            Err(e) => {
                return Ok(target_error(&format!(
                    "{}: the card in {name} does not answer reset: {e}",
                    stk_wallet::errors::Code::PReader
                )));
            }
        },
        _ => (
            "simulator".to_string(),
            Some(Profile::default_profile().atr),
        ),
    };
    let mut info = RunInfo::start(&target, atr, &assume);
    let started = std::time::Instant::now();
    let mut out = std::io::stdout().lock();
    if !filter.is_empty() && format == Format::Text {
        let _ = writeln!(out, "filter: {} of {} vector files", files.len(), all.len());
    }
    let mut outcomes = Vec::with_capacity(files.len());
    let mut warned: Vec<String> = Vec::new();
    let mut in_reader = runner::CardInReader::default();
    for f in &files {
        let o = match reader_t.as_mut() {
            None if image.is_some() => {
                let (_, contactless, contact) = image.as_mut().expect("checked");
                runner::run_file(
                    f,
                    &mut runner::Target::External {
                        transport: contactless,
                        capabilities: assume.clone(),
                        fresh_card: None,
                        other: Some((stk_wallet::card::Interface::Contact, contact)),
                    },
                )
            }
            None => runner::run_file(f, &mut runner::Target::Simulator),
            Some(t) => {
                let fresh_card: Option<runner::FreshCard> = match (&card_image, &personalise) {
                    (Some(img), _) => {
                        let img = img.clone();
                        Some(Box::new(move |p: &Profile| open::new_card(p, &img)))
                    }
                    (None, Some(cmd)) => {
                        let cmd = cmd.clone();
                        Some(Box::new(move |p: &Profile| personalise_hook(&cmd, p)))
                    }
                    (None, None) => None,
                };
                runner::run_file_tracked(
                    f,
                    &mut runner::Target::External {
                        transport: t.as_mut(),
                        capabilities: assume.clone(),
                        fresh_card,
                        other: match other_t.as_mut() {
                            Some(o) => Some((other_iface.interface(), &mut **o)),
                            None => None,
                        },
                    },
                    Some(&mut in_reader),
                )
            }
        };
        match format {
            Format::Text => {
                let _ = writeln!(out, "{}", report::line(&o));
                let _ = write!(out, "{}", report::details(&o));
                if verbose {
                    let _ = write!(out, "{}", decode::transcript_text(&o.transcript, "    "));
                }
            }
            Format::Json => {
                let _ = writeln!(out, "{}", report::json(&o));
            }
        }
        for w in &o.meta.warnings {
            if !warned.contains(w) {
                eprintln!("{w} (profile {} of {})", o.meta.profile, o.path.display());
                warned.push(w.clone());
            }
        }
        for e in o.transcript.iter().filter(|e| !e.command.is_empty()) {
            capture.add_apdu(&e.command, e.response.as_deref().unwrap_or(&[]));
        }
        outcomes.push(o);
    }
    info.duration = started.elapsed();
    info.add_profiles(&outcomes);

    let exit = report::exit_status(&outcomes, allow_empty);
    let target_failed = exit == 3;
    match format {
        Format::Text => {
            let _ = writeln!(out, "{}", report::summary(&outcomes));
        }
        Format::Json => {
            let _ = writeln!(out, "{}", report::json_summary(&outcomes, &info, exit));
        }
    }
    drop(out);
    let write = |p: &PathBuf, text: &[u8]| {
        std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    if let Some(p) = pcap {
        if let Err(e) = capture.write(&p) {
            return Ok(target_error(&format!("cannot write {}: {e}", p.display())));
        }
        if format == Format::Text {
            println!(
                "{} APDU exchanges written to {}",
                capture.frames(),
                p.display()
            );
        }
    }
    if let Some(j) = junit
        && let Err(e) = write(&j, junit::junit(&outcomes, &info).as_bytes())
    {
        return Ok(target_error(&e));
    }
    // The HTML report shows the coverage when the specification can be read.
    if let Some(h) = html
        && let Err(e) = write(
            &h,
            html::page(&outcomes, &info, matrix(&files).ok().as_ref()).as_bytes(),
        )
    {
        return Ok(target_error(&e));
    }
    if target_failed {
        eprintln!(
            "error: the target failed (reader gone or card mute): see the vectors marked with {} or {}",
            stk_wallet::errors::Code::PReader,
            stk_wallet::errors::Code::PNoResponse
        );
    } else if exit == 4 {
        eprintln!("error: nothing ran: every vector was skipped (--allow-empty accepts that)");
    }
    Ok(ExitCode::from(exit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_personalise_hook_gets_the_profile_and_its_exit_status_counts() {
        let p = Profile::default_profile();
        let ok = personalise_hook(
            r#"test -s "$STK_PROFILE" && grep -q '"wallet_aid"' "$STK_PROFILE""#,
            &p,
        );
        assert_eq!(ok, Ok(()));
        let e = personalise_hook("exit 3", &p).unwrap_err();
        assert!(e.contains("--personalise `exit 3` exited"), "{e}");
    }
}
