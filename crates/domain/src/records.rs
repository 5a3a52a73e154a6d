//! What a terminal keeps and uploads of a transaction: the offline purchase record, the load
//! receipt, and the transaction log record the card writes and terminals read.

use crate::codec::CodecError;
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

/// One record of the transaction log (SFI 0x18, docs/spec.md §2), 23 bytes: counter used 2 ‖
/// overdraft limit 3 (`000000`) ‖ amount 4 ‖ type 1 ‖ termID 6 ‖ date 4 ‖ time 3. The card
/// writes it, the POS reads it as history, the menu shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub counter: u16,
    pub amount: u32,
    pub tx_type: u8,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
}

/// The log record under the name docs/spec.md §2 gives it.
pub type LogRecord = HistoryEntry;

impl HistoryEntry {
    /// Length of a log record.
    pub const LEN: usize = 23;
    /// SFI of the transaction log.
    pub const SFI: u8 = 0x18;

    /// READ RECORD of log record `n` (1 = newest): `00 B2 n C4 17`.
    pub fn read_command(n: u8) -> crate::command::Command {
        crate::command::Command::ReadRecord {
            record: n,
            sfi: Self::SFI,
            le: Some(Self::LEN),
        }
    }

    /// Decodes a 23-byte log record. The overdraft field is not kept (this purse has none).
    pub fn decode(r: &[u8]) -> Result<HistoryEntry, CodecError> {
        let r: [u8; Self::LEN] = r.try_into().map_err(|_| CodecError {
            what: "READ RECORD (log)",
            expected: Self::LEN,
            got: r.len(),
        })?;
        let at = |i: usize, n: usize| &r[i..i + n];
        let mut e = HistoryEntry {
            counter: u16::from_be_bytes([r[0], r[1]]),
            amount: u32::from_be_bytes([r[5], r[6], r[7], r[8]]),
            tx_type: r[9],
            term_id: [0; 6],
            date: [0; 4],
            time: [0; 3],
        };
        e.term_id.copy_from_slice(at(10, 6));
        e.date.copy_from_slice(at(16, 4));
        e.time.copy_from_slice(at(20, 3));
        Ok(e)
    }

    /// [`HistoryEntry::decode`], `None` for a record of the wrong length.
    pub fn parse(r: &[u8]) -> Option<HistoryEntry> {
        Self::decode(r).ok()
    }

    /// The 23 bytes the card stores (overdraft `000000`).
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut r = [0u8; Self::LEN];
        r[..2].copy_from_slice(&self.counter.to_be_bytes());
        r[5..9].copy_from_slice(&self.amount.to_be_bytes());
        r[9] = self.tx_type;
        r[10..16].copy_from_slice(&self.term_id);
        r[16..20].copy_from_slice(&self.date);
        r[20..23].copy_from_slice(&self.time);
        r
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
