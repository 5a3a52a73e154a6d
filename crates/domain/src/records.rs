//! What a terminal keeps and uploads of a transaction: the offline purchase record, the load
//! receipt, the history entry as read from the card, and money shown as yuan.

use crate::crypto::{Mac4, TYPE_LOAD, TYPE_PURCHASE};
use crate::money::Fen;
use std::fmt;

/// A completed (or flagged) offline purchase, as the POS stores it for settlement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PurchaseRecord {
    #[serde(with = "crate::hexser::array")]
    pub serial: [u8; 10],
    /// The card's offline counter used by this purchase (before it).
    pub counter: u16,
    pub amount: u32,
    #[serde(with = "crate::hexser::array")]
    pub term_id: [u8; 6],
    pub ttc: u32,
    #[serde(with = "crate::hexser::array")]
    pub date: [u8; 4],
    #[serde(with = "crate::hexser::array")]
    pub time: [u8; 3],
    #[serde(with = "crate::hexser::array")]
    pub tac: [u8; 4],
    /// The PSAM rejected the card's MAC2 ("digest error"), or a recovered sale has no proof:
    /// no receipt was given.
    pub flagged: bool,
    /// Completed on a later tap after the DEBIT answer was lost (`P-TORN-RECOVERED`).
    #[serde(default)]
    pub recovered: bool,
}

/// A completed load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadReceipt {
    pub serial: [u8; 10],
    pub counter: u16,
    pub amount: u32,
    pub balance_after: u32,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
    pub tac: Mac4,
    /// Whether the issuer host verified the TAC.
    pub tac_ok: bool,
}

/// One history record as the POS reads it (SPEC.md §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub counter: u16,
    pub amount: u32,
    pub tx_type: u8,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
}

impl HistoryEntry {
    pub fn parse(r: &[u8]) -> Option<HistoryEntry> {
        (r.len() == 23).then(|| HistoryEntry {
            counter: u16::from_be_bytes([r[0], r[1]]),
            amount: u32::from_be_bytes([r[5], r[6], r[7], r[8]]),
            tx_type: r[9],
            term_id: r[10..16].try_into().unwrap_or_default(),
            date: r[16..20].try_into().unwrap_or_default(),
            time: r[20..23].try_into().unwrap_or_default(),
        })
    }
    pub fn kind(&self) -> &'static str {
        match self.tx_type {
            TYPE_LOAD => "load",
            TYPE_PURCHASE => "purchase",
            crate::crypto::TYPE_COMPOSITE => "composite purchase",
            _ => "other",
        }
    }
}

impl fmt::Display for HistoryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {:<9} {:>10} term {} ctr {}",
            hex::encode(self.date),
            hex::encode(self.time),
            self.kind(),
            Fen(self.amount),
            hex::encode_upper(self.term_id),
            self.counter
        )
    }
}

/// Fen as `123.45` (see [`Fen`]).
pub fn yuan(fen: u32) -> String {
    Fen(fen).to_string()
}
