//! `completions SHELL` and `man`: shell completion scripts and manual pages, generated from the
//! command line's own definition by clap's generators (so they cannot fall behind it).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write one page per command (stk-wallet.1, stk-wallet-run.1, …) into this folder instead
    /// of printing the main page.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Prints the completion script for `a.shell` (e.g. `stk-wallet completions bash >
/// /etc/bash_completion.d/stk-wallet`).
pub fn completions(mut cmd: clap::Command, a: CompletionArgs) -> Result<ExitCode, String> {
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "stk-wallet", &mut out);
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("cannot write the completions: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the main manual page (roff), or writes every command's page into a folder.
pub fn man(cmd: clap::Command, a: ManArgs) -> Result<ExitCode, String> {
    match a.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .and_then(|_| clap_mangen::generate_to(cmd, &dir))
                .map_err(|e| format!("cannot write the manual pages to {}: {e}", dir.display()))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            std::io::stdout()
                .write_all(&out)
                .map_err(|e| format!("cannot write the manual page: {e}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
