//! The simulated POS reader (SPEC.md §5): purchase, load, balance and history against any card
//! reachable through a [`Transport`], with a PSAM reached the same way.
//!
//! Every APDU exchange is kept in a [`Trace`], so a failure can show exactly which step went
//! wrong. Recovery of torn purchases, reversal and settlement build on these flows.

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card::command::{INIT_LOAD_RESPONSE, INIT_PURCHASE_RESPONSE, TxKind};
use crate::crypto::{Mac4, TYPE_PURCHASE};
use crate::host::{HostError, IssuerLink, LoadRequest};
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};
use std::fmt;

pub mod recovery;
pub mod topup;
pub use recovery::{InDoubt, SaleOutcome};
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
    #[error("{step}: the card answered {sw}")]
    Card { step: &'static str, sw: Sw },
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
    /// The DEBIT answer was lost: the sale is in doubt until the card is tapped again.
    #[error("DEBIT FOR PURCHASE: no answer; the sale is in doubt, tap the same card again")]
    InDoubt(Box<InDoubt>),
}

impl PosError {
    /// The error-catalogue code for this failure.
    pub fn code(&self) -> String {
        match self {
            PosError::Card { sw, .. } => sw.to_string(),
            PosError::Psam { .. } => "P-PSAM".into(),
            PosError::Transport {
                err: TransportError::NoResponse,
                ..
            } => "P-NO-RESPONSE".into(),
            PosError::Transport { .. } => "P-READER".into(),
            PosError::Unexpected { .. } => "P-READER".into(),
            PosError::Digest { .. } => "P-DIGEST".into(),
            PosError::Host(HostError::Unreachable) => "H-UNREACHABLE".into(),
            PosError::Host(HostError::Declined(_)) => "H-DECLINED".into(),
            PosError::Host(_) => "H-MAC1".into(),
            PosError::InDoubt(_) => "P-NO-RESPONSE".into(),
        }
    }
    /// The card's status word, when the card refused.
    pub fn card_sw(&self) -> Option<Sw> {
        match self {
            PosError::Card { sw, .. } => Some(*sw),
            _ => None,
        }
    }
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
    /// Key index for purchases and loads.
    pub key_index: u8,
    /// The wallet's DF name.
    pub aid: Vec<u8>,
    pub trace: Trace,
    term_id: Option<[u8; 6]>,
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
            key_index: 1,
            aid,
            trace: Trace::default(),
            term_id: None,
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
            return Err(PosError::Card { step, sw: r.sw });
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
            CommandApdu::new(0x00, 0xB0, 0x96, 0x00).with_le(6),
            6,
        )?;
        let t = arr(&d);
        self.term_id = Some(t);
        Ok(t)
    }

    /// SELECT the wallet and read file 0015.
    pub fn select(&mut self) -> Result<CardInfo, PosError> {
        self.card_ok(
            "SELECT wallet",
            CommandApdu::new(0x00, 0xA4, 0x04, 0x00)
                .with_data(self.aid.clone())
                .with_le(256),
            None,
        )?;
        let ef = self.card_ok(
            "READ BINARY 0015",
            CommandApdu::new(0x00, 0xB0, 0x95, 0x00).with_le(0x1E),
            Some(30),
        )?;
        Ok(CardInfo {
            serial: arr(&ef[10..20]),
            ef0015: ef,
        })
    }

    /// GET BALANCE (after a select).
    pub fn read_balance(&mut self) -> Result<u32, PosError> {
        let d = self.card_ok(
            "GET BALANCE",
            CommandApdu::new(0x80, 0x5C, 0x00, 0x02).with_le(4),
            Some(4),
        )?;
        Ok(u32::from_be_bytes(arr(&d)))
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
                CommandApdu::new(0x00, 0xB2, n, 0xC4).with_le(0x17),
            )?;
            match r.sw {
                Sw::OK => out.push(HistoryEntry::parse(&r.data).ok_or(PosError::Unexpected {
                    step: "READ RECORD log",
                    why: "a log record is 23 bytes".into(),
                })?),
                Sw::RECORD_NOT_FOUND => break,
                sw => {
                    return Err(PosError::Card {
                        step: "READ RECORD log",
                        sw,
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
        let mut data = vec![self.key_index];
        data.extend_from_slice(&amount.to_be_bytes());
        data.extend_from_slice(&term_id);
        let (step, p1, len) = match kind {
            TxKind::Load => ("INITIALIZE FOR LOAD", 0x00, INIT_LOAD_RESPONSE),
            TxKind::Purchase => ("INITIALIZE FOR PURCHASE", 0x01, INIT_PURCHASE_RESPONSE),
        };
        self.card_ok(
            step,
            CommandApdu::new(0x80, 0x50, p1, 0x02)
                .with_data(data)
                .with_le(len),
            Some(len),
        )
    }

    /// CREDIT FOR LOAD with the host's MAC2; the card's TAC.
    pub fn credit_for_load(
        &mut self,
        date: [u8; 4],
        time: [u8; 3],
        mac2: Mac4,
    ) -> Result<Mac4, PosError> {
        let data = [&date[..], &time[..], &mac2[..]].concat();
        let tac = self.card_ok(
            "CREDIT FOR LOAD",
            CommandApdu::new(0x80, 0x52, 0x00, 0x00)
                .with_data(data)
                .with_le(4),
            Some(4),
        )?;
        Ok(arr(&tac))
    }

    /// An offline purchase (SPEC.md §5): select, read 0015, INITIALIZE FOR PURCHASE, PSAM MAC1,
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
        let term_id = self.term_id()?;
        let (date, time) = self.clock.now();
        let init = self.initialize(TxKind::Purchase, amount, term_id)?;
        let counter = u16::from_be_bytes([init[4], init[5]]);
        let (key_ver, alg) = (init[9], init[10]);
        let random = &init[11..15];
        let mut sam = random.to_vec();
        sam.extend_from_slice(&counter.to_be_bytes());
        sam.extend_from_slice(&amount.to_be_bytes());
        sam.push(TYPE_PURCHASE);
        sam.extend_from_slice(&date);
        sam.extend_from_slice(&time);
        sam.push(key_ver);
        sam.push(alg);
        sam.extend_from_slice(&info.serial[2..]);
        let d = self.psam_ok(
            "INIT SAM FOR PURCHASE",
            CommandApdu::new(0x80, 0x70, 0x00, 0x00)
                .with_data(sam)
                .with_le(8),
            8,
        )?;
        let ttc = u32::from_be_bytes(arr(&d[..4]));
        let mut debit = d[..4].to_vec();
        debit.extend_from_slice(&date);
        debit.extend_from_slice(&time);
        debit.extend_from_slice(&d[4..8]);
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
            CommandApdu::new(0x80, 0x54, 0x01, 0x00)
                .with_data(debit)
                .with_le(8),
            Some(8),
        ) {
            Err(PosError::Transport { .. }) => return Err(PosError::InDoubt(Box::new(sale))),
            r => r?,
        };
        let mut record = sale.record(arr(&r[..4]), false);
        let check = self.send(
            Device::Psam,
            "CREDIT SAM FOR PURCHASE",
            CommandApdu::new(0x80, 0x72, 0x00, 0x00).with_data(r[4..8].to_vec()),
        )?;
        if check.sw != Sw::OK {
            record.flagged = true;
            return Err(PosError::Digest {
                record: Box::new(record),
            });
        }
        Ok(record)
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
            CommandApdu::new(0x00, 0x20, 0x00, 0x00).with_data(bcd),
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
        let term_id = self.term_id()?;
        let (date, time) = self.clock.now();
        let init = self.initialize(TxKind::Load, amount, term_id)?;
        let req = LoadRequest::from_init(
            info.serial,
            self.key_index,
            &init,
            amount,
            term_id,
            date,
            time,
        );
        let (balance, counter) = (req.balance, req.online_counter);
        let mac2 = host.authorize_load(&req)?;
        let tac = self.credit_for_load(date, time, mac2)?;
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
