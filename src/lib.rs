//! stk-wallet: a simulated mobile-wallet SIM (SIM Toolkit menus + PBOC-style e-purse), the
//! handset and POS/PSAM that talk to it, and the conformance vectors that test them.
//!
//! Layers, bottom up: [`apdu`] and [`sw`] (ISO 7816-4), [`crypto`] (PBOC DES/3DES),
//! [`profile`] (personalisation), [`card`] (the pure card state machine, no I/O),
//! [`transport`] (how terminals reach a card), [`psam`], [`host`] and [`pos`] (the terminal
//! side), [`vectors`] (the conformance format and runner), [`errors`] (the error catalogue).

pub mod acquirer;
pub mod apdu;
pub mod card;
pub mod crypto;
pub mod errors;
pub mod fault;
pub mod handset;
pub mod hexser;
pub mod host;
pub mod journal;
pub mod pcap;
pub mod pos;
pub mod profile;
pub mod psam;
pub mod serve;
pub mod settle;
pub mod stk;
pub mod sw;
pub mod transport;
pub mod vectors;
