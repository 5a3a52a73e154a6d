//! The simulated POS reader (docs/spec.md §5): purchase, load, balance and history against any card
//! reachable through a [`Transport`], with a PSAM reached the same way.
//!
//! Every APDU exchange is kept in a [`Trace`], so a failure can show exactly which step went
//! wrong. Recovery of torn purchases, reversal and settlement build on these flows.

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card::command::{Command, INIT_LOAD_RESPONSE, INIT_PURCHASE_RESPONSE, TxKind};
use crate::crypto::{Mac4, TYPE_PURCHASE};
use crate::errors::{Code, Reason};
use crate::host::{HostError, IssuerLink, LoadRequest};
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};
use std::fmt;
use stk_domain::codec::{
    BalanceAnswer, CodecError, CreditAnswer, DebitAnswer, InitPurchaseAnswer, InitSam,
    InitSamAnswer, IssuerFile, LimitAnswer, PsamCommand, TermIdAnswer,
};

pub mod recovery;
pub mod refund;
pub mod topup;
pub use recovery::{InDoubt, SaleOutcome};
pub use refund::{RefundIssuer, RefundReport};
pub use topup::{TopupOutcome, TopupReport, drain_reversals};

pub use stk_domain::clock::{Clock, bcd_datetime};
pub use stk_domain::records::{HistoryEntry, LoadReceipt, PurchaseRecord, yuan};

/// One APDU exchange of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub device: Device,
    pub step: &'static str,
    pub command: Vec<u8>,
    /// `None`: no answer (lost response, card removed).
    pub response: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Card,
    Psam,
}

/// The exchanges of a flow, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace(pub Vec<Exchange>);

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            let who = if e.device == Device::Card {
                "card"
            } else {
                "psam"
            };
            let resp = e
                .response
                .as_ref()
                .map_or_else(|| "(no response)".to_string(), hex::encode_upper);
            writeln!(
                f,
                "  {who:4} {:28} > {}",
                e.step,
                hex::encode_upper(&e.command)
            )?;
            writeln!(f, "  {who:4} {:28} < {resp}", "")?;
        }
        Ok(())
    }
}

/// Why a POS flow failed. `code()` is the error-catalogue code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PosError {
    /// `limit`: the single-payment limit the POS read (GET DATA `9F78`) after a purchase was
    /// refused `6985`, to tell the customer.
    #[error("{step}: the card answered {sw}{}", limit_note(.limit))]
    Card {
        step: &'static str,
        sw: Sw,
        limit: Option<u32>,
    },
    /// The application's expiry date (file 0015) is before today: refused before INITIALIZE.
    /// `nothing` says what did not happen (no sale, no load, the bank card not charged).
    #[error(
        "the card's application expired on {}, today is {}: {nothing}",
        bcd_date(.expiry),
        bcd_date(.today)
    )]
    Expired {
        expiry: [u8; 4],
        today: [u8; 4],
        nothing: &'static str,
    },
    #[error("{step}: the PSAM answered {sw}")]
    Psam { step: &'static str, sw: Sw },
    #[error("{step}: {err}")]
    Transport {
        step: &'static str,
        err: TransportError,
    },
    #[error("{step}: {why}")]
    Unexpected { step: &'static str, why: String },
    #[error("digest error: the PSAM rejected the card's MAC2; no receipt, record flagged")]
    Digest { record: Box<PurchaseRecord> },
    #[error("{0}")]
    Host(#[from] HostError),
    /// Read before the bank card is charged: the wallet cannot take this load.
    #[error("the wallet cannot take this load: {why}; the bank card was not charged")]
    LoadRefused { why: String },
    /// The terminal refused a request before it moved any money (a refund of a sale already
    /// refunded, over its amount, or on another card).
    #[error("{why}")]
    Refused { code: Code, why: String },
    /// The card has no key of the index the terminal signed in with (`9403`): the terminal's
    /// keys are out of date (a key rollover it has not signed in since).
    #[error(
        "{step}: the card answered 9403 (key not found) for key index {index:02X}: this terminal's {what} key version is out of date; sign in (`stk-wallet pos signin`) to update its keys"
    )]
    KeyVersion {
        step: &'static str,
        what: &'static str,
        index: u8,
    },
    /// The DEBIT answer was lost: the sale is in doubt until the card is tapped again.
    #[error("DEBIT FOR PURCHASE: no answer; the sale is in doubt, tap the same card again")]
    InDoubt(Box<InDoubt>),
}

impl PosError {
    /// The error-catalogue entry for this failure: the card's status word when the card
    /// refused, otherwise a catalogue code.
    pub fn code(&self) -> Reason {
        match self {
            PosError::Card { sw, .. } => Reason::Sw(*sw),
            PosError::Psam { .. } => Code::PPsam.into(),
            PosError::Transport {
                err: TransportError::NoResponse,
                ..
            } => Code::PNoResponse.into(),
            PosError::Transport {
                err: TransportError::Storage(_),
                ..
            } => Code::IStorage.into(),
            PosError::Transport { .. } => Code::PReader.into(),
            PosError::Unexpected { .. } => Code::PReader.into(),
            PosError::Digest { .. } => Code::PDigest.into(),
            PosError::Host(e) => e.code().into(),
            PosError::InDoubt(_) => Code::PNoResponse.into(),
            PosError::LoadRefused { .. } => Code::PLoadRefused.into(),
            PosError::Expired { .. } => Code::PExpired.into(),
            PosError::Refused { code, .. } => (*code).into(),
            PosError::KeyVersion { .. } => Code::PKeyVersion.into(),
        }
    }
    /// The card's status word, when the card refused.
    pub fn card_sw(&self) -> Option<Sw> {
        match self {
            PosError::Card { sw, .. } => Some(*sw),
            PosError::KeyVersion { .. } => Some(Sw::KEY_NOT_FOUND),
            _ => None,
        }
    }
}

fn limit_note(limit: &Option<u32>) -> String {
    limit.map_or_else(String::new, |l| {
        format!(" (the card's single-payment limit is {})", yuan(l))
    })
}

/// `YYYY-MM-DD` of a BCD date.
fn bcd_date(d: &[u8; 4]) -> String {
    format!("{:02X}{:02X}-{:02X}-{:02X}", d[0], d[1], d[2], d[3])
}

/// Card data the POS reads at the start of every flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardInfo {
    pub serial: [u8; 10],
    pub ef0015: Vec<u8>,
}

/// A POS: a card transport, a PSAM transport and a clock.
pub struct Pos<C: Transport, S: Transport> {
    pub card: C,
    pub psam: S,
    pub clock: Clock,
    /// Key index for purchases (INITIALIZE FOR PURCHASE), as the terminal signed in.
    pub purchase_key_index: u8,
    /// Key index for loads (INITIALIZE FOR LOAD), as the terminal signed in.
    pub load_key_index: u8,
    /// The wallet's DF name.
    pub aid: Vec<u8>,
    pub trace: Trace,
    term_id: Option<[u8; 6]>,
    /// The card's balance after the last purchase this POS completed with a DEBIT answer
    /// (INITIALIZE FOR PURCHASE's balance less the amount); `None` for a recovered sale.
    pub sale_balance: Option<u32>,
}

/// An answer whose layout is not the one docs/spec.md gives (a reader or card fault).
impl From<CodecError> for PosError {
    fn from(e: CodecError) -> PosError {
        PosError::Unexpected {
            step: e.what,
            why: e.to_string(),
        }
    }
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

impl<C: Transport, S: Transport> Pos<C, S> {
    pub fn new(card: C, psam: S, clock: Clock, aid: Vec<u8>) -> Self {
        Pos {
            card,
            psam,
            clock,
            purchase_key_index: 1,
            load_key_index: 1,
            aid,
            trace: Trace::default(),
            term_id: None,
            sale_balance: None,
        }
    }

    fn send(
        &mut self,
        device: Device,
        step: &'static str,
        cmd: CommandApdu,
    ) -> Result<ResponseApdu, PosError> {
        let bytes = cmd.to_bytes();
        let t: &mut dyn Transport = if device == Device::Card {
            &mut self.card
        } else {
            &mut self.psam
        };
        let r = t.transmit_raw(&bytes);
        self.trace.0.push(Exchange {
            device,
            step,
            command: bytes,
            response: r.as_ref().ok().cloned(),
        });
        let raw = r.map_err(|err| PosError::Transport { step, err })?;
        ResponseApdu::parse(&raw).ok_or(PosError::Transport {
            step,
            err: TransportError::Malformed(raw),
        })
    }

    /// Sends to the card; anything but `9000` is an error.
    fn card_ok(
        &mut self,
        step: &'static str,
        cmd: CommandApdu,
        len: Option<usize>,
    ) -> Result<Vec<u8>, PosError> {
        let r = self.send(Device::Card, step, cmd)?;
        if r.sw != Sw::OK {
            return Err(PosError::Card {
                step,
                sw: r.sw,
                limit: None,
            });
        }
        if let Some(n) = len.filter(|&n| n != r.data.len()) {
            return Err(PosError::Unexpected {
                step,
                why: format!("expected {n} response bytes, got {}", r.data.len()),
            });
        }
        Ok(r.data)
    }

    fn psam_ok(
        &mut self,
        step: &'static str,
        cmd: CommandApdu,
        len: usize,
    ) -> Result<Vec<u8>, PosError> {
        let r = self.send(Device::Psam, step, cmd)?;
        if r.sw != Sw::OK {
            return Err(PosError::Psam { step, sw: r.sw });
        }
        if r.data.len() != len {
            return Err(PosError::Unexpected {
                step,
                why: format!("PSAM gave {} bytes, expected {len}", r.data.len()),
            });
        }
        Ok(r.data)
    }

    /// The PSAM's terminal number (read once).
    pub fn term_id(&mut self) -> Result<[u8; 6], PosError> {
        if let Some(t) = self.term_id {
            return Ok(t);
        }
        let d = self.psam_ok(
            "PSAM read termID",
            PsamCommand::ReadTermId.to_apdu(),
            TermIdAnswer::LEN,
        )?;
        let t = TermIdAnswer::parse(&d)?.term_id;
        self.term_id = Some(t);
        Ok(t)
    }

    /// SELECT the wallet and read file 0015.
    pub fn select(&mut self) -> Result<CardInfo, PosError> {
        self.card_ok(
            "SELECT wallet",
            Command::Select {
                name: self.aid.clone(),
                want_fci: true,
            }
            .to_apdu(),
            None,
        )?;
        let ef = self.card_ok(
            "READ BINARY 0015",
            Command::ReadBinary {
                sfi: IssuerFile::SFI,
                offset: 0,
                le: Some(IssuerFile::LEN),
            }
            .to_apdu(),
            Some(IssuerFile::LEN),
        )?;
        Ok(CardInfo {
            serial: IssuerFile::parse(&ef)?.serial,
            ef0015: ef,
        })
    }

    /// GET BALANCE (after a select).
    pub fn read_balance(&mut self) -> Result<u32, PosError> {
        let d = self.card_ok(
            "GET BALANCE",
            Command::GetBalance.to_apdu(),
            Some(BalanceAnswer::LEN),
        )?;
        Ok(BalanceAnswer::parse(&d)?.balance)
    }

    /// GET DATA `9F78`: the card's single-payment limit in fen.
    pub fn read_limit(&mut self) -> Result<u32, PosError> {
        let d = self.card_ok(
            "GET DATA 9F78",
            Command::GetData { tag: 0x9F78 }.to_apdu(),
            Some(LimitAnswer::LEN),
        )?;
        Ok(LimitAnswer::parse(&d)?.limit)
    }

    /// Balance query (the handbook's "POS terminal query").
    pub fn balance(&mut self) -> Result<u32, PosError> {
        self.select()?;
        self.read_balance()
    }

    /// History query: records 1.. until `6A83`, newest first.
    pub fn history(&mut self) -> Result<Vec<HistoryEntry>, PosError> {
        self.select()?;
        let mut out = Vec::new();
        for n in 1..=10u8 {
            let r = self.send(
                Device::Card,
                "READ RECORD log",
                HistoryEntry::read_command(n).to_apdu(),
            )?;
            match r.sw {
                Sw::OK => out.push(HistoryEntry::decode(&r.data)?),
                Sw::RECORD_NOT_FOUND => break,
                sw => {
                    return Err(PosError::Card {
                        step: "READ RECORD log",
                        sw,
                        limit: None,
                    });
                }
            }
        }
        Ok(out)
    }

    /// INITIALIZE FOR LOAD or PURCHASE with the POS's key index and termID; the card's answer
    /// (16 or 15 bytes, checked).
    pub fn initialize(
        &mut self,
        kind: TxKind,
        amount: u32,
        term_id: [u8; 6],
    ) -> Result<Vec<u8>, PosError> {
        let (key_index, what, len) = match kind {
            TxKind::Load => (self.load_key_index, "load", INIT_LOAD_RESPONSE),
            TxKind::Purchase => (self.purchase_key_index, "purchase", INIT_PURCHASE_RESPONSE),
        };
        let cmd = Command::Initialize {
            kind,
            key_index,
            amount,
            term_id,
        };
        match self.card_ok(cmd.name(), cmd.to_apdu(), Some(len)) {
            // docs/spec.md §8 Decision (key rollover): the card does not know the terminal's key
            // index: the terminal's keys are out of date, and signing in is the remedy.
            Err(PosError::Card {
                step,
                sw: Sw::KEY_NOT_FOUND,
                ..
            }) => Err(PosError::KeyVersion {
                step,
                what,
                index: key_index,
            }),
            r => r,
        }
    }

    /// CREDIT FOR LOAD with the host's MAC2; the card's TAC.
    pub fn credit_for_load(
        &mut self,
        date: [u8; 4],
        time: [u8; 3],
        mac2: Mac4,
    ) -> Result<Mac4, PosError> {
        let tac = self.card_ok(
            "CREDIT FOR LOAD",
            Command::CreditForLoad { date, time, mac2 }.to_apdu(),
            Some(CreditAnswer::LEN),
        )?;
        Ok(CreditAnswer::parse(&tac)?.tac)
    }

    /// An offline purchase (docs/spec.md §5): select, read 0015, INITIALIZE FOR PURCHASE, PSAM MAC1,
    /// DEBIT, PSAM checks MAC2. A MAC2 the PSAM rejects is a digest error: the record is kept,
    /// flagged, and no receipt is given.
    pub fn purchase(&mut self, amount: u32) -> Result<PurchaseRecord, PosError> {
        let info = self.select()?;
        self.purchase_selected(&info, amount)
    }

    /// The purchase after SELECT/READ BINARY (so a recovering POS can re-enter here).
    pub fn purchase_selected(
        &mut self,
        info: &CardInfo,
        amount: u32,
    ) -> Result<PurchaseRecord, PosError> {
        let (date, time) = self.clock.now();
        self.check_expiry(info, "no sale, nothing was debited")?;
        let term_id = self.term_id()?;
        let init = match self.initialize(TxKind::Purchase, amount, term_id) {
            // Over the single-payment limit: read the limit (GET DATA 9F78) to tell the customer.
            Err(PosError::Card {
                step,
                sw: Sw::CONDITIONS_NOT_SATISFIED,
                ..
            }) => {
                return Err(PosError::Card {
                    step,
                    sw: Sw::CONDITIONS_NOT_SATISFIED,
                    limit: self.read_limit().ok(),
                });
            }
            r => InitPurchaseAnswer::parse(&r?)?,
        };
        let counter = init.offline_counter;
        let sam = PsamCommand::InitSamForPurchase(InitSam {
            random: init.random,
            offline_counter: counter,
            amount,
            tx_type: TYPE_PURCHASE,
            date,
            time,
            key_version: init.key_version,
            alg_id: init.alg_id,
            factor: arr(&info.serial[2..]),
        });
        let d = self.psam_ok(sam.name(), sam.to_apdu(), InitSamAnswer::LEN)?;
        let InitSamAnswer { ttc, mac1 } = InitSamAnswer::parse(&d)?;
        let sale = InDoubt {
            serial: info.serial,
            counter,
            amount,
            term_id,
            ttc,
            date,
            time,
        };
        let r = match self.card_ok(
            "DEBIT FOR PURCHASE",
            Command::DebitForPurchase {
                ttc,
                date,
                time,
                mac1,
            }
            .to_apdu(),
            Some(DebitAnswer::LEN),
        ) {
            Err(PosError::Transport { .. }) => return Err(PosError::InDoubt(Box::new(sale))),
            r => DebitAnswer::parse(&r?)?,
        };
        let mut record = sale.record(r.tac, false);
        self.sale_balance = Some(init.balance.saturating_sub(amount));
        let check = self.send(
            Device::Psam,
            "CREDIT SAM FOR PURCHASE",
            PsamCommand::CreditSamForPurchase { mac2: r.mac2 }.to_apdu(),
        )?;
        if check.sw != Sw::OK {
            record.flagged = true;
            return Err(PosError::Digest {
                record: Box::new(record),
            });
        }
        Ok(record)
    }

    /// docs/spec.md §5 Decision: the terminal, not the card, refuses an expired application,
    /// for a sale and for anything that would credit the card (load, top-up, refund), before
    /// INITIALIZE. `nothing` is what the refusal says did not happen.
    pub fn check_expiry(&self, info: &CardInfo, nothing: &'static str) -> Result<(), PosError> {
        let (today, _) = self.clock.now();
        let expiry = IssuerFile::parse(&info.ef0015)?.expiry_date;
        if expiry < today {
            return Err(PosError::Expired {
                expiry,
                today,
                nothing,
            });
        }
        Ok(())
    }

    /// A load (top-up) authorised by the issuer host: VERIFY the payment password, INITIALIZE
    /// FOR LOAD, the host checks MAC1 and returns MAC2, CREDIT FOR LOAD, the host checks the TAC.
    pub fn load(
        &mut self,
        host: &impl IssuerLink,
        amount: u32,
        pin: &str,
    ) -> Result<LoadReceipt, PosError> {
        let info = self.select()?;
        self.check_expiry(&info, "no load, nothing was credited")?;
        self.verify_pin(pin)?;
        self.load_selected(host, &info, amount)
    }

    /// VERIFY the payment password (6 digits).
    pub fn verify_pin(&mut self, pin: &str) -> Result<(), PosError> {
        if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PosError::Unexpected {
                step: "VERIFY",
                why: "the payment password is exactly 6 digits".into(),
            });
        }
        let bcd = crate::card::pin_bcd(pin);
        self.card_ok(
            "VERIFY",
            Command::Verify { pin: Some(bcd) }.to_apdu(),
            Some(0),
        )?;
        Ok(())
    }

    /// The load after SELECT and VERIFY.
    pub fn load_selected(
        &mut self,
        host: &impl IssuerLink,
        info: &CardInfo,
        amount: u32,
    ) -> Result<LoadReceipt, PosError> {
        self.load_core(host, info, amount, None)
    }

    /// A load journaled at the terminal (`pos load`): the load is written to `journal` once
    /// INITIALIZE FOR LOAD answered, before the issuer is asked for MAC2 (so before any CREDIT),
    /// and closed with the card's TAC, or as failed when no MAC2 came. A load whose CREDIT got
    /// no answer stays `loading`: the clearing host decides it from the card's counters.
    pub fn load_journaled(
        &mut self,
        journal: &crate::journal::Journal,
        host: &impl IssuerLink,
        amount: u32,
        pin: &str,
    ) -> Result<LoadReceipt, PosError> {
        let info = self.select()?;
        self.check_expiry(&info, "no load, nothing was credited")?;
        self.verify_pin(pin)?;
        self.load_core(host, &info, amount, Some(journal))
    }

    fn load_core(
        &mut self,
        host: &impl IssuerLink,
        info: &CardInfo,
        amount: u32,
        journal: Option<&crate::journal::Journal>,
    ) -> Result<LoadReceipt, PosError> {
        self.check_expiry(info, "no load, nothing was credited")?;
        let term_id = self.term_id()?;
        let (date, time) = self.clock.now();
        let init = self.initialize(TxKind::Load, amount, term_id)?;
        let req = LoadRequest::from_init(
            info.serial,
            self.load_key_index,
            &init,
            amount,
            term_id,
            date,
            time,
        );
        let (balance, counter) = (req.balance, req.online_counter);
        let id = match journal {
            Some(j) => Some(j.begin_load(&crate::journal::PosLoad {
                id: 0,
                serial: info.serial,
                counter,
                amount,
                term_id,
                date,
                time,
                balance_before: balance,
                tac: None,
            })?),
            None => None,
        };
        let mac2 = match host.authorize_load(&req) {
            Ok(m) => m,
            Err(e) => {
                if let (Some(j), Some(id)) = (journal, id) {
                    j.end_load(id, None)?;
                }
                return Err(e.into());
            }
        };
        let tac = self.credit_for_load(date, time, mac2)?;
        if let (Some(j), Some(id)) = (journal, id) {
            j.end_load(id, Some(&tac))?;
        }
        let balance_after = balance + amount;
        let tac_ok = host.host().load_tac_ok(
            &info.serial,
            balance_after,
            counter,
            amount,
            &term_id,
            &date,
            &time,
            tac,
        );
        Ok(LoadReceipt {
            serial: info.serial,
            counter,
            amount,
            balance_after,
            term_id,
            date,
            time,
            tac,
            tac_ok,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bcd_datetime_known_instants() {
        // 2012-02-29 13:51:00 UTC = 1330523460 (date -u -d '2012-02-29 13:51:00' +%s)
        assert_eq!(
            super::bcd_datetime(1_330_523_460),
            ([0x20, 0x12, 0x02, 0x29], [0x13, 0x51, 0x00])
        );
        assert_eq!(
            super::bcd_datetime(0),
            ([0x19, 0x70, 0x01, 0x01], [0, 0, 0])
        );
    }
}
