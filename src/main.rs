//! `stk-wallet`: a thin command-line shell over the library. This file parses the command line
//! and hands it to the subcommand's module under `cli/`; the exit status is documented in
//! [`cli::EXIT_CODES`] (shown by every `--help`).

mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "stk-wallet",
    version,
    about = "Simulated SIM-card mobile wallet: card, handset, POS and conformance vectors"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run vector files or folders (default: vectors/) against the embedded simulated card.
    Run(cli::run::Args),
    /// Serve a card image to PC/SC applications through pcscd and the vsmartcard vpcd driver.
    Serve(cli::serve::Args),
    /// List the PC/SC readers.
    Readers,
    /// Convert between vectors and scriptor (pcsc-tools) APDU scripts.
    Vectors {
        #[command(subcommand)]
        cmd: cli::vectors::Cmd,
    },
    /// Explain a status word or error code from the catalogue (e.g. 9302, 63C2, P-DIGEST);
    /// without a code, or with --list, list every catalogue entry.
    Explain(cli::explain::Args),
    /// Card images.
    Card {
        #[command(subcommand)]
        cmd: cli::card::Cmd,
    },
    /// Settlement: upload a terminal's journal (its sales) to the clearing host.
    Settle(cli::settle::Args),
    /// POS flows at a terminal (its home folder keeps the termID, PSAM keys, TTC and journal)
    /// against a card image (saved atomically after every command) or a card in a reader.
    Pos(cli::pos::Args),
    /// The issuer's key versions (roll a purchase or load key over) and the parameters
    /// terminals download when they sign in.
    Issuer(cli::issuer::Args),
    /// The holder's phone: the wallet's SIM Toolkit menu on a card image, interactive or
    /// replaying --keys (item numbers, text input, o ok, b back, e end, t time-out, ?N help on
    /// item N, ? help on an input).
    Phone(cli::phone::Args),
    /// The issuer's service desk: reset the operation password, reload the payment password,
    /// cancel a phone number, close a wallet with money on it (refunded to the holder), answer
    /// a lost phone; each after checking the holder's name and ID number, each logged.
    Desk(cli::desk::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cli::docs::CompletionArgs),
    /// Print the manual page (roff), or write one page per command with --out-dir.
    Man(cli::docs::ManArgs),
}

/// The command line, every command's help ending with the exit status.
fn command() -> clap::Command {
    fn with_exit_codes(c: clap::Command) -> clap::Command {
        c.after_help(cli::EXIT_CODES)
            .mut_subcommands(with_exit_codes)
    }
    with_exit_codes(Cli::command())
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`| head`) made every print panic. Restore the
    // default: the process ends quietly when its reader goes away.
    #[cfg(unix)]
    // SAFETY: at the start of main, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let r = match cli.cmd {
        Cmd::Run(a) => cli::run::run(a),
        Cmd::Serve(a) => cli::serve::run(a),
        Cmd::Issuer(a) => cli::issuer::run(a),
        Cmd::Readers => cli::readers::run(),
        Cmd::Vectors { cmd } => cli::vectors::run(cmd),
        Cmd::Explain(a) => cli::explain::run(a),
        Cmd::Card { cmd } => cli::card::run(cmd),
        Cmd::Settle(a) => cli::settle::run(a),
        Cmd::Pos(a) => cli::pos::run(a),
        Cmd::Phone(a) => cli::phone::run(a),
        Cmd::Desk(a) => cli::desk::run(a),
        Cmd::Completions(a) => cli::docs::completions(command(), a),
        Cmd::Man(a) => cli::docs::man(command(), a),
    };
    r.unwrap_or_else(|msg| cli::usage_error(&msg))
}
