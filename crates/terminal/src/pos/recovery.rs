//! Torn purchase recovery (docs/spec.md §5): a sale whose DEBIT answer was lost is *in doubt*. The
//! POS keeps it ([`InDoubt`], serialisable so it survives a restart) and resolves it on the next
//! tap of the same card, before anything else:
//!
//! 1. GET TRANSACTION PROOF for type `06` and the saved counter + 1. `9000` means the card's
//!    last transaction is a purchase that left the counter there; the newest log record must
//!    then be this sale (counter, amount, termID, date, time), and the PSAM checks the MAC2
//!    if it still has the session. The sale completes with the proof's TAC: `P-TORN-RECOVERED`.
//! 2. `9406`: the debit did not happen *or* the card has transacted since. The log decides: a
//!    record with the saved counter, this termID, amount, date and time means it happened (the
//!    sale is completed but flagged: no TAC to settle with); none means it did not, and the
//!    sale starts over with a fresh INITIALIZE.
//!
//! The sale is never debited twice: a new DEBIT is sent only when the card shows no trace of
//! the first.

use super::{CardInfo, Device, HistoryEntry, Pos, PosError, PurchaseRecord};
use crate::apdu::ResponseApdu;
use crate::card::command::Command;
use crate::crypto::TYPE_PURCHASE;
use crate::errors::Code;
use crate::sw::Sw;
use crate::transport::Transport;
use serde::{Deserialize, Serialize};
use std::path::Path;
use stk_domain::codec::{ProofAnswer, PsamCommand};

/// A sale whose DEBIT answer was lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InDoubt {
    #[serde(with = "crate::hexser::array")]
    pub serial: [u8; 10],
    /// The offline counter INITIALIZE returned (before the debit).
    pub counter: u16,
    pub amount: u32,
    #[serde(with = "crate::hexser::array")]
    pub term_id: [u8; 6],
    pub ttc: u32,
    #[serde(with = "crate::hexser::array")]
    pub date: [u8; 4],
    #[serde(with = "crate::hexser::array")]
    pub time: [u8; 3],
}

/// How a tap ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleOutcome {
    pub record: PurchaseRecord,
    /// What the recovery did, step by step (empty for an ordinary sale).
    pub steps: Vec<String>,
}

impl InDoubt {
    /// The stored record of this sale, once its TAC is known.
    pub fn record(&self, tac: [u8; 4], recovered: bool) -> PurchaseRecord {
        PurchaseRecord {
            serial: self.serial,
            counter: self.counter,
            amount: self.amount,
            term_id: self.term_id,
            ttc: self.ttc,
            date: self.date,
            time: self.time,
            tac,
            flagged: false,
            recovered,
        }
    }

    /// The sale an earlier POS run left in doubt, kept in `path` (`None` if there is no file).
    /// A file that does not parse is an error, never "nothing in doubt": that would let the
    /// next tap start a new sale while the old one may have been debited.
    pub fn load_from(path: &Path) -> Result<Option<InDoubt>, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t)
                .map_err(|e| format!("in-doubt sale {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Keeps `pending` in `path` atomically (temp file, fsync, rename), or removes the file
    /// when nothing is in doubt.
    pub fn store(pending: Option<&InDoubt>, path: &Path) -> Result<(), String> {
        match pending {
            Some(d) => {
                let json = serde_json::to_string_pretty(d).map_err(|e| e.to_string())?;
                stk_domain::durable::save_bytes(json.as_bytes(), path)
                    .map_err(|e| format!("cannot save {}: {e}", path.display()))
            }
            None => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("cannot remove {}: {e}", path.display()))
                }
                _ => Ok(()),
            },
        }
    }
}

impl SaleOutcome {
    /// The catalogue code to show: `P-TORN-RECOVERED` for a recovered sale.
    pub fn code(&self) -> Option<Code> {
        self.record.recovered.then_some(Code::PTornRecovered)
    }
}

impl<C: Transport, S: Transport> Pos<C, S> {
    /// A sale of `amount` on this tap. If `pending` holds an in-doubt sale, it is resolved
    /// first (see the module docs) and `amount` must be the same sale's; `pending` is cleared
    /// once resolved and set if this tap's DEBIT answer is lost in turn.
    pub fn sale(
        &mut self,
        pending: &mut Option<InDoubt>,
        amount: u32,
    ) -> Result<SaleOutcome, PosError> {
        let info = self.tap()?;
        self.sale_tapped(&info, pending, amount)
    }

    /// A tap: powers the card up (a card torn on the last tap recovers its commit here),
    /// SELECTs the wallet and reads file 0015.
    pub fn tap(&mut self) -> Result<CardInfo, PosError> {
        self.card.reset().map_err(|err| PosError::Transport {
            step: "power up",
            err,
        })?;
        self.select()
    }

    /// [`Pos::sale`] after [`Pos::tap`], so a terminal can look up the tapped card's sale in
    /// doubt by its serial.
    pub fn sale_tapped(
        &mut self,
        info: &CardInfo,
        pending: &mut Option<InDoubt>,
        amount: u32,
    ) -> Result<SaleOutcome, PosError> {
        let info = info.clone();
        let mut steps = Vec::new();
        let result = match pending.clone() {
            None => self
                .purchase_selected(&info, amount)
                .map(|record| SaleOutcome {
                    record,
                    steps: Vec::new(),
                }),
            Some(d) => {
                if d.serial != info.serial {
                    return Err(PosError::Unexpected {
                        step: "recovery",
                        why: format!(
                            "a sale of card {} is in doubt: present that card (this is {})",
                            hex::encode_upper(d.serial),
                            hex::encode_upper(info.serial)
                        ),
                    });
                }
                if d.amount != amount {
                    return Err(PosError::Unexpected {
                        step: "recovery",
                        why: format!(
                            "the sale in doubt is of {} fen, not {amount}: finish it first",
                            d.amount
                        ),
                    });
                }
                match self.resolve(&info, &d, &mut steps)? {
                    Some(record) => {
                        *pending = None;
                        return Ok(SaleOutcome { record, steps });
                    }
                    None => {
                        steps.push("the card shows no trace of the debit: starting over".into());
                        *pending = None;
                        self.purchase_selected(&info, amount)
                            .map(|record| SaleOutcome { record, steps })
                    }
                }
            }
        };
        if let Err(PosError::InDoubt(d)) = &result {
            *pending = Some((**d).clone());
        }
        result
    }

    /// Whether the in-doubt debit happened: `Some(record)` if so, `None` if not.
    fn resolve(
        &mut self,
        info: &CardInfo,
        d: &InDoubt,
        steps: &mut Vec<String>,
    ) -> Result<Option<PurchaseRecord>, PosError> {
        let after = d.counter.wrapping_add(1);
        let mut record = PurchaseRecord {
            serial: info.serial,
            ..d.record([0; 4], true)
        };
        let proof = self.transaction_proof(TYPE_PURCHASE, d.counter)?;
        let in_log = self.find_in_log(&HistoryEntry {
            counter: d.counter,
            amount: d.amount,
            tx_type: TYPE_PURCHASE,
            term_id: d.term_id,
            date: d.date,
            time: d.time,
        })?;
        match proof.sw {
            Sw::OK if proof.data.len() == ProofAnswer::LEN && in_log == Some(1) => {
                let answer = ProofAnswer::parse(&proof.data)?;
                steps.push(format!(
                    "GET TRANSACTION PROOF for counter {after}: the debit happened (log record 1 matches)"
                ));
                record.tac = answer.tac;
                let check = self.send(
                    Device::Psam,
                    "CREDIT SAM FOR PURCHASE",
                    PsamCommand::CreditSamForPurchase { mac2: answer.mac2 }.to_apdu(),
                )?;
                match check.sw {
                    Sw::OK => steps.push("the PSAM verified the recovered MAC2".into()),
                    Sw::MAC_INVALID => {
                        steps.push("the PSAM rejected the recovered MAC2: digest error".into());
                        record.flagged = true;
                        return Err(PosError::Digest {
                            record: Box::new(record),
                        });
                    }
                    sw => steps.push(format!(
                        "the PSAM no longer has the session ({sw}): the TAC is checked at settlement"
                    )),
                }
                Ok(Some(record))
            }
            Sw::OK | Sw::NO_PROOF => match in_log {
                Some(n) => {
                    steps.push(format!(
                        "no proof for counter {after}, but log record {n} is this sale: it happened; \
                         no TAC, record flagged for manual settlement"
                    ));
                    record.flagged = true;
                    Ok(Some(record))
                }
                None => {
                    steps.push(format!(
                        "GET TRANSACTION PROOF for counter {after}: {}; no log record of this sale",
                        proof.sw
                    ));
                    Ok(None)
                }
            },
            sw => Err(PosError::Card {
                step: "GET TRANSACTION PROOF",
                sw,
            }),
        }
    }

    /// GET TRANSACTION PROOF (docs/spec.md §3) for the `tx_type` transaction that used `counter`:
    /// the card is asked with the counter after it.
    pub(super) fn transaction_proof(
        &mut self,
        tx_type: u8,
        counter: u16,
    ) -> Result<ResponseApdu, PosError> {
        let after = counter.wrapping_add(1);
        self.send(
            Device::Card,
            "GET TRANSACTION PROOF",
            Command::GetTransactionProof {
                tx_type,
                counter: after,
            }
            .to_apdu(),
        )
    }

    /// The log record number (1 = newest) that is exactly `want`, if the card logged it. The
    /// search stops at a record of the same type with a smaller counter (older ones follow) or
    /// at the end of the log (6A83). Any other answer is an error, never "not in the log": a
    /// POS that took it for "not there" would sell again or reverse a load that happened.
    pub(super) fn find_in_log(&mut self, want: &HistoryEntry) -> Result<Option<u8>, PosError> {
        for n in 1..=10u8 {
            let r = self.send(
                Device::Card,
                "READ RECORD log",
                HistoryEntry::read_command(n).to_apdu(),
            )?;
            match r.sw {
                Sw::OK => {
                    if let Some(e) = HistoryEntry::parse(&r.data) {
                        if e == *want {
                            return Ok(Some(n));
                        }
                        if e.tx_type == want.tx_type && e.counter < want.counter {
                            return Ok(None);
                        }
                    }
                }
                Sw::RECORD_NOT_FOUND => return Ok(None),
                sw => {
                    return Err(PosError::Card {
                        step: "READ RECORD log",
                        sw,
                    });
                }
            }
        }
        Ok(None)
    }
}
