//! stk-wallet: a simulated mobile-wallet SIM (SIM Toolkit menus + PBOC-style e-purse), the
//! handset and POS/PSAM that talk to it, the back office behind them, and the conformance
//! vectors that test them.
//!
//! The parties are crates, depending strictly downward (a cycle cannot compile):
//! [`stk_domain`] (the vocabulary) → [`stk_card`] (the pure card and the toolkit codec) and
//! [`stk_backoffice`] (issuer, acquirer, clearing) → [`stk_terminal`] (transports, PSAM, POS,
//! handset, reader lab) → [`stk_conformance`] (vectors, runner, reports) → this crate (the CLI).
//! This library only gathers them under one roof for the CLI, the tests and the benchmarks.

pub use stk_backoffice::{acquirer, host, issuer_db, ledger, reconcile, settle};
pub use stk_conformance as vectors;
pub use stk_domain::{
    apdu, clock, codec, command, crypto, durable, errors, hexser, issuer, money, numbering, pan,
    profile, records, sw,
};
pub use stk_terminal::{
    desk, fault, handset, home, journal, lab, link, network, pcap, pos, psam, receipt, serve,
    transport,
};

/// The card (re-exported from [`stk_card`]), with its image files from the terminal side.
pub mod card {
    pub use stk_card::*;
    /// Card images: pure encoding in [`stk_card::image`], files in [`stk_terminal::card_file`].
    pub mod image {
        pub use stk_terminal::card_file::*;
    }
}
pub use stk_card::stk;
