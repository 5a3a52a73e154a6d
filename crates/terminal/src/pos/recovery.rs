//! Torn purchase recovery (docs/spec.md §5): a sale whose DEBIT answer was lost is *in doubt*. The
//! POS keeps it ([`InDoubt`], serialisable so it survives a restart) and resolves it on the next
//! tap of the same card, before anything else:
//!
//! 1. The card's offline counter (GET DATA `DF36`) decides whether a purchase used the saved
//!    counter: still equal, the debit did not happen and the sale starts over with a fresh
//!    INITIALIZE; past it, a purchase with that counter was committed.
//! 2. GET TRANSACTION PROOF for type `06` and the saved counter + 1, then the log, tell whether
//!    it was this sale. `9000` with the newest log record being this sale (counter, amount,
//!    termID, date, time): it completes with the proof's TAC (`P-TORN-RECOVERED`), the PSAM
//!    checking the MAC2 if it still has the session. The proof gone but a log record of this
//!    sale: completed, flagged (no TAC to settle with). A log record of another transaction with
//!    that counter: this sale did not happen, it starts over. No record left (the card has made
//!    ten transactions since): the counter alone says it happened; completed, flagged.
//! 3. Any other answer (a read error, a counter behind the saved one) keeps the sale in doubt.
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
use stk_domain::codec::{CountersAnswer, ProofAnswer, PsamCommand, TAG_COUNTERS};

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

/// Where the log search for a counter ended.
enum LogSearch {
    /// Record `n` (1 = newest) has the counter.
    Found(u8, HistoryEntry),
    /// A record of the type with a smaller counter came first: the counter is not in the log.
    OlderOnly,
    /// The log ended (or has dropped the record): nothing of that counter is left.
    NotThere,
}

/// What the card shows about a transaction in doubt (see [`Pos::decide`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The counter moved past it, GET TRANSACTION PROOF answered and the newest log record is
    /// this transaction: it happened, with this MAC2 and TAC.
    Proof(ProofAnswer),
    /// The counter moved past it and log record `n` is this transaction; the proof is gone.
    Logged(u8),
    /// The counter moved past it (to the value held) and no log record is left to tell which
    /// transaction used it: the counter alone says it happened (the answer was lost after the
    /// card committed).
    CounterOnly(u16),
    /// It did not happen, for the reason given (the counter is unchanged, or another
    /// transaction used it).
    NotDone(String),
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
        let evidence = self.decide(&HistoryEntry {
            counter: d.counter,
            amount: d.amount,
            tx_type: TYPE_PURCHASE,
            term_id: d.term_id,
            date: d.date,
            time: d.time,
        })?;
        match evidence {
            Evidence::Proof(answer) => {
                steps.push(format!(
                    "offline counter past {}; GET TRANSACTION PROOF for counter {after}: the debit \
                     happened (log record 1 matches)",
                    d.counter
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
            Evidence::Logged(n) => {
                steps.push(format!(
                    "offline counter past {}, no proof for counter {after}, but log record {n} is \
                     this sale: it happened; no TAC, record flagged for manual settlement",
                    d.counter
                ));
                record.flagged = true;
                Ok(Some(record))
            }
            Evidence::CounterOnly(now) => {
                steps.push(format!(
                    "offline counter {now} is past {}: the debit happened (the card has \
                     transacted since, so neither proof nor log is left); no TAC, record \
                     flagged for manual settlement",
                    d.counter
                ));
                record.flagged = true;
                Ok(Some(record))
            }
            Evidence::NotDone(why) => {
                steps.push(why);
                Ok(None)
            }
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

    /// The card's online and offline counters (GET DATA `DF36`; the wallet must be selected).
    pub(super) fn counters(&mut self) -> Result<CountersAnswer, PosError> {
        let cmd = Command::GetData { tag: TAG_COUNTERS };
        let data = self.card_ok(
            "GET DATA counters",
            cmd.to_apdu(),
            Some(CountersAnswer::LEN),
        )?;
        Ok(CountersAnswer::parse(&data)?)
    }

    /// What the card says about `want`, the transaction INITIALIZE opened with counter
    /// `want.counter` and whose answer was lost (docs/spec.md §5, "how a transaction in doubt is
    /// decided"). The counter decides whether *a* transaction of that type used the counter;
    /// GET TRANSACTION PROOF, then the log, tell whether it was this one. Any answer that is
    /// not one of those proofs is an error: the transaction stays in doubt.
    pub(super) fn decide(&mut self, want: &HistoryEntry) -> Result<Evidence, PosError> {
        let c = want.counter;
        let counters = self.counters()?;
        let now = if want.tx_type == TYPE_PURCHASE {
            counters.offline_counter
        } else {
            counters.online_counter
        };
        if now < c {
            return Err(PosError::Unexpected {
                step: "recovery",
                why: format!(
                    "the card's counter {now} is behind the {c} its INITIALIZE answered:                      is this an older copy of the card?"
                ),
            });
        }
        let proof = self.transaction_proof(want.tx_type, c)?;
        if proof.sw != Sw::OK && proof.sw != Sw::NO_PROOF {
            return Err(PosError::Card {
                step: "GET TRANSACTION PROOF",
                sw: proof.sw,
                limit: None,
            });
        }
        let logged = self.log_at_counter(want.tx_type, c)?;
        if now == c {
            // The counter, the log record and the proof are committed together: an unchanged
            // counter proves the transaction did not happen. Anything claiming otherwise is
            // a card to look at, not a verdict.
            return match (proof.sw, &logged) {
                (Sw::NO_PROOF, LogSearch::NotThere | LogSearch::OlderOnly) => {
                    Ok(Evidence::NotDone(format!(
                        "the card's counter is still {c}: it did not happen"
                    )))
                }
                _ => Err(PosError::Unexpected {
                    step: "recovery",
                    why: format!(
                        "the card's counter is still {c} but its proof or log shows counter {c} used"
                    ),
                }),
            };
        }
        Ok(match logged {
            LogSearch::Found(1, e) if e == *want && proof.sw == Sw::OK => {
                if proof.data.len() != ProofAnswer::LEN {
                    return Err(PosError::Unexpected {
                        step: "GET TRANSACTION PROOF",
                        why: format!(
                            "expected {} bytes, got {}",
                            ProofAnswer::LEN,
                            proof.data.len()
                        ),
                    });
                }
                Evidence::Proof(ProofAnswer::parse(&proof.data)?)
            }
            LogSearch::Found(n, e) if e == *want => Evidence::Logged(n),
            LogSearch::Found(n, e) => Evidence::NotDone(format!(
                "counter {c} was used by another transaction (log record {n}: {e}): \
                 this one did not happen"
            )),
            LogSearch::NotThere => Evidence::CounterOnly(now),
            // The log is kept in order: the record of counter c would come before this one.
            LogSearch::OlderOnly => {
                return Err(PosError::Unexpected {
                    step: "recovery",
                    why: format!(
                        "the card's counter is past {c} but its log has no record of counter {c}"
                    ),
                });
            }
        })
    }

    /// Searches the log (newest first) for the record of type `tx_type` that used `counter`.
    /// Any answer but a record or the end of the log (6A83) is an error, never "not in the
    /// log".
    fn log_at_counter(&mut self, tx_type: u8, counter: u16) -> Result<LogSearch, PosError> {
        for n in 1..=10u8 {
            let r = self.send(
                Device::Card,
                "READ RECORD log",
                HistoryEntry::read_command(n).to_apdu(),
            )?;
            match r.sw {
                Sw::OK => {
                    if let Some(e) = HistoryEntry::parse(&r.data) {
                        if e.tx_type == tx_type && e.counter == counter {
                            return Ok(LogSearch::Found(n, e));
                        }
                        if e.tx_type == tx_type && e.counter < counter {
                            return Ok(LogSearch::OlderOnly);
                        }
                    }
                }
                Sw::RECORD_NOT_FOUND => return Ok(LogSearch::NotThere),
                sw => {
                    return Err(PosError::Card {
                        step: "READ RECORD log",
                        sw,
                        limit: None,
                    });
                }
            }
        }
        Ok(LogSearch::NotThere)
    }
}
