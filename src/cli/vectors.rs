//! `vectors import-scriptor`, `vectors export-scriptor`, `vectors schema`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stk_wallet::vectors::{report, runner, scriptor};

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// A vector from a scriptor script (every step accepts any status word until you add
    /// expectations).
    ImportScriptor {
        script: PathBuf,
        /// Write the vector here (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// A scriptor script that replays a vector's APDUs (symbolic steps expanded by a run on the
    /// simulated card), expected answers in comments.
    ExportScriptor {
        vector: PathBuf,
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// The JSON Schema of vector files (generated from the format's types; shipped as
    /// vectors/vector.schema.json for editors).
    Schema {
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
}

fn write_out(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

pub fn run(cmd: Cmd) -> Result<ExitCode, String> {
    match cmd {
        Cmd::Schema { out } => {
            write_out(out.as_deref(), &stk_wallet::vectors::format::json_schema())?;
        }
        Cmd::ImportScriptor { script, out } => {
            let text = stk_wallet::vectors::format::read_text(&script)
                .map_err(|e| format!("{}: {e}", script.display()))?;
            let name = script
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let v = scriptor::import(&name, &text).map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n";
            write_out(out.as_deref(), &json)?;
        }
        Cmd::ExportScriptor { vector, out } => {
            let o = runner::run_file(&vector, &mut runner::Target::Simulator);
            if !matches!(o.status, runner::Status::Passed) {
                return Err(format!(
                    "the vector does not pass on the simulated card, so there is nothing faithful to export:\n{}{}",
                    report::line(&o),
                    report::details(&o)
                ));
            }
            write_out(out.as_deref(), &scriptor::export(&o.name, &o.transcript))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
