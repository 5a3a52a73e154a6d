//! The messages between a terminal (or the card's over-the-air applet) and the issuer host:
//! the load authorisation request and why a host refused it.

use crate::codec::InitLoadAnswer;
use crate::crypto::Mac4;
use crate::errors::Code;

/// What the host needs to authorise a load (from INITIALIZE FOR LOAD and the terminal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadRequest {
    pub serial: [u8; 10],
    pub key_index: u8,
    pub balance: u32,
    pub online_counter: u16,
    pub random: [u8; 4],
    pub mac1: Mac4,
    pub amount: u32,
    pub term_id: [u8; 6],
    pub date: [u8; 4],
    pub time: [u8; 3],
}

impl LoadRequest {
    /// The request for a load whose INITIALIZE FOR LOAD answered `init` (balance 4 ‖ online
    /// counter 2 ‖ key version 1 ‖ algorithm 1 ‖ random 4 ‖ MAC1 4; at least 16 bytes).
    pub fn from_init(
        serial: [u8; 10],
        key_index: u8,
        init: &[u8],
        amount: u32,
        term_id: [u8; 6],
        date: [u8; 4],
        time: [u8; 3],
    ) -> LoadRequest {
        let mut b = [0u8; InitLoadAnswer::LEN];
        let n = init.len().min(b.len());
        b[..n].copy_from_slice(&init[..n]);
        let a = InitLoadAnswer::parse(&b).unwrap_or_default();
        LoadRequest {
            serial,
            key_index,
            balance: a.balance,
            online_counter: a.online_counter,
            random: a.random,
            mac1: a.mac1,
            amount,
            term_id,
            date,
            time,
        }
    }
}

/// A refund (退货): the load that gives money back to the card (INITIALIZE FOR LOAD's answer,
/// as for any load) and the sale it gives back, as the terminal's journal keeps it (with its
/// TAC, which the issuer verifies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    pub load: LoadRequest,
    pub sale: crate::records::PurchaseRecord,
}

impl RefundRequest {
    /// How the issuer and the clearing host name the refunded sale: `sale TERMID-TTC`.
    pub fn reference(&self) -> String {
        sale_reference(&self.sale.term_id, self.sale.ttc)
    }
}

/// The reference of a refund of the sale of terminal `term_id` with TTC `ttc`: `sale TERMID-TTC`.
pub fn sale_reference(term_id: &[u8; 6], ttc: u32) -> String {
    format!("sale {}-{ttc}", hex::encode_upper(term_id))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error(
        "{}: the card's load MAC1 does not verify (wrong load key, or balance/amount/termID differ)",
        Code::HMac1
    )]
    BadMac1,
    #[error("{code}: the issuer has no load key with index {0:02X}", code = Code::HMac1)]
    UnknownKey(u8),
    /// The issuer rolled this load key over: it no longer authorises loads under it.
    #[error(
        "{code}: the issuer retired load key index {index:02X} (version {version:02X}); the terminal's keys are out of date: sign in (`stk-wallet pos signin`)",
        code = Code::HKeyRetired
    )]
    KeyRetired { index: u8, version: u8 },
    #[error(
        "{}: the issuer or acquirer host cannot be reached",
        Code::HUnreachable
    )]
    Unreachable,
    /// The acquirer refused the request (e.g. a charge whose id was already reversed).
    #[error("{code}: the acquirer declined: {0}", code = Code::HDeclined)]
    Declined(String),
    /// The acquirer holds a charge with the same id for another card or amount.
    #[error("{code}: the acquirer refused the charge: {0}", code = Code::HConflict)]
    Conflict(String),
    /// No answer within the terminal's time-out, on any of its tries (the first send and the
    /// resends its parameters allow).
    #[error(
        "{code}: no answer from the host within {ms} ms on any of {tries} tr(ies)",
        code = Code::HTimeout
    )]
    TimedOut { ms: u64, tries: u32 },
    /// The issuer refused a refund (already refunded, or not matching the sale).
    #[error("{code}: the issuer refused the refund: {0}", code = Code::HRefundRefused)]
    RefundRefused(String),
}

impl HostError {
    /// The error-catalogue code (also the start of the message).
    pub fn code(&self) -> Code {
        match self {
            HostError::BadMac1 | HostError::UnknownKey(_) => Code::HMac1,
            HostError::KeyRetired { .. } => Code::HKeyRetired,
            HostError::Unreachable => Code::HUnreachable,
            HostError::Declined(_) => Code::HDeclined,
            HostError::Conflict(_) => Code::HConflict,
            HostError::TimedOut { .. } => Code::HTimeout,
            HostError::RefundRefused(_) => Code::HRefundRefused,
        }
    }
}

/// Which key a terminal uses for purchases or loads: the index it sends in INITIALIZE and the
/// version the card answers with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyChoice {
    pub index: u8,
    pub version: u8,
}

/// What a sign-in (签到) brings the terminal from the issuer host (docs/spec.md §8): the host's
/// parameters and the key index and version to use for purchases and loads.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInAnswer {
    /// The terminal number the host knows the terminal by (the one it signed in with).
    pub term_id: [u8; 6],
    /// The merchant number (15 digits) the terminal's receipts print.
    pub merchant: String,
    /// How long to wait for a host's answer.
    pub host_timeout_ms: u32,
    /// How many times a request is sent again after a time-out or a lost answer.
    pub resends: u32,
    /// How many failed tries move a reversal to manual handling.
    pub reversal_tries: u32,
    pub purchase_key: KeyChoice,
    pub load_key: KeyChoice,
}

/// # Over-the-air messages (wallet SIM ↔ issuer's OTA server)
///
/// The card's Top Up and Pay Phone Bill reach the issuer through the handset over a Bearer
/// Independent Protocol channel (SIM Toolkit OPEN CHANNEL / SEND DATA / RECEIVE DATA / CLOSE
/// CHANNEL, TCP client mode). One request goes out in one SEND DATA; one answer of fixed
/// length ([`OTA_ANSWER_LEN`]) comes back in one RECEIVE DATA. Integers are big-endian.
///
/// Requests (first byte: the message type):
///
/// | type | body |
/// |---|---|
/// | `01` load | serial 10 ‖ key index 1 ‖ balance 4 ‖ online counter 2 ‖ random 4 ‖ MAC1 4 ‖ amount 4 ‖ termID 6 (36 bytes with the type) |
/// | `02` bill payment | serial 10 ‖ offline counter 2 ‖ amount 4 ‖ termID 6 ‖ phone number 6 (11 BCD digits, `F`-padded) (29 bytes) |
///
/// Answer (13 bytes): type 1 (the request's type + `80`) ‖ status 1 ‖ date 4 (BCD
/// `YYYYMMDD`) ‖ time 3 (BCD `HHMMSS`) ‖ MAC2 4. The issuer chooses the date and time (its
/// network clock): for a load they are what its MAC2 covers, for a bill payment they stamp the
/// debit; a bill answer's MAC2 is `00000000`. Status: `00` approved, `01` MAC1 does not verify
/// (`H-MAC1`), `02` unknown load key (`H-MAC1`), `03` declined (`H-DECLINED`), `04` request
/// not understood (`H-OTA`), `05` the issuer host is unavailable (`H-UNREACHABLE`), `06` the
/// issuer retired the load key the request names (`H-KEY-RETIRED`; the card asks under its
/// newest load key, so a card that gets `06` holds no current one). A refused answer carries
/// zero date, time and MAC2.
pub const OTA_LOAD: u8 = 0x01;
/// Message type of a bill-payment request (see [`OTA_LOAD`] for the layout).
pub const OTA_BILL: u8 = 0x02;
/// The length of every answer.
pub const OTA_ANSWER_LEN: usize = 13;
const OTA_LOAD_LEN: usize = 36;
const OTA_BILL_LEN: usize = 29;

/// A load request as it travels over the air (the issuer adds its date and time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaLoad {
    pub serial: [u8; 10],
    pub key_index: u8,
    pub balance: u32,
    pub online_counter: u16,
    pub random: [u8; 4],
    pub mac1: Mac4,
    pub amount: u32,
    pub term_id: [u8; 6],
}

impl OtaLoad {
    /// The host's request, at the issuer's `date` and `time`.
    pub fn at(&self, date: [u8; 4], time: [u8; 3]) -> LoadRequest {
        LoadRequest {
            serial: self.serial,
            key_index: self.key_index,
            balance: self.balance,
            online_counter: self.online_counter,
            random: self.random,
            mac1: self.mac1,
            amount: self.amount,
            term_id: self.term_id,
            date,
            time,
        }
    }
}

/// A bill payment (a phone number's bill paid from the purse) as it travels over the air. It
/// carries no single-payment limit and none applies: that limit is the holder's bound on one
/// contactless purchase (docs/spec.md §1, §7); the card bounds a bill by its balance, and the
/// issuer declines a number that is not China Mobile's ([`crate::numbering`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaBill {
    pub serial: [u8; 10],
    pub offline_counter: u16,
    pub amount: u32,
    pub term_id: [u8; 6],
    /// 11 digits.
    pub phone: String,
}

/// A request from the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtaRequest {
    Load(OtaLoad),
    Bill(OtaBill),
}

/// The issuer's verdict in an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtaStatus {
    Approved = 0x00,
    BadMac1 = 0x01,
    UnknownKey = 0x02,
    Declined = 0x03,
    NotUnderstood = 0x04,
    Unavailable = 0x05,
    KeyRetired = 0x06,
}

impl OtaStatus {
    /// The status for a host refusal.
    pub fn from_host(e: &HostError) -> OtaStatus {
        match e {
            HostError::BadMac1 => OtaStatus::BadMac1,
            HostError::UnknownKey(_) => OtaStatus::UnknownKey,
            HostError::KeyRetired { .. } => OtaStatus::KeyRetired,
            HostError::Unreachable | HostError::TimedOut { .. } => OtaStatus::Unavailable,
            // The issuer never reports a conflict (only the acquirer does); a refusal is a
            // refusal to the SIM.
            HostError::Declined(_) | HostError::Conflict(_) | HostError::RefundRefused(_) => {
                OtaStatus::Declined
            }
        }
    }

    fn from_byte(b: u8) -> Option<OtaStatus> {
        Some(match b {
            0x00 => OtaStatus::Approved,
            0x01 => OtaStatus::BadMac1,
            0x02 => OtaStatus::UnknownKey,
            0x03 => OtaStatus::Declined,
            0x04 => OtaStatus::NotUnderstood,
            0x05 => OtaStatus::Unavailable,
            0x06 => OtaStatus::KeyRetired,
            _ => return None,
        })
    }
}

/// The issuer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaAnswer {
    /// The type of the request answered ([`OTA_LOAD`] or [`OTA_BILL`]).
    pub request: u8,
    pub status: OtaStatus,
    pub date: [u8; 4],
    pub time: [u8; 3],
    pub mac2: Mac4,
}

/// Why over-the-air bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtaError {
    #[error("{code}: the over-the-air message is not understood: {0}", code = Code::HOta)]
    Malformed(String),
    #[error("{}: the issuer did not understand the request", Code::HOta)]
    NotUnderstood,
}

impl OtaError {
    /// The error-catalogue code (also the start of the message).
    pub fn code(&self) -> Code {
        Code::HOta
    }
}

fn bad(why: impl Into<String>) -> OtaError {
    OtaError::Malformed(why.into())
}

fn take<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// 11 digits as 6 BCD bytes, the last nibble `F`. `None` unless `phone` is 11 digits.
fn phone_bcd(phone: &str) -> Option<[u8; 6]> {
    let d = phone.as_bytes();
    if d.len() != 11 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0xFFu8; 6];
    for (i, c) in d.iter().enumerate() {
        let n = c - b'0';
        out[i / 2] = if i % 2 == 0 {
            (n << 4) | 0x0F
        } else {
            (out[i / 2] & 0xF0) | n
        };
    }
    Some(out)
}

fn phone_digits(b: &[u8; 6]) -> Option<String> {
    let mut s = String::with_capacity(11);
    for (i, n) in b.iter().flat_map(|x| [x >> 4, x & 0x0F]).enumerate() {
        match (i, n) {
            (0..=10, 0..=9) => s.push(char::from(b'0' + n)),
            (11, 0x0F) => {}
            _ => return None,
        }
    }
    Some(s)
}

impl OtaRequest {
    /// The bytes for SEND DATA. A bill whose phone number is not 11 digits is an error.
    pub fn encode(&self) -> Result<Vec<u8>, OtaError> {
        let mut v = Vec::with_capacity(OTA_LOAD_LEN);
        match self {
            OtaRequest::Load(l) => {
                v.push(OTA_LOAD);
                v.extend_from_slice(&l.serial);
                v.push(l.key_index);
                v.extend_from_slice(&l.balance.to_be_bytes());
                v.extend_from_slice(&l.online_counter.to_be_bytes());
                v.extend_from_slice(&l.random);
                v.extend_from_slice(&l.mac1);
                v.extend_from_slice(&l.amount.to_be_bytes());
                v.extend_from_slice(&l.term_id);
            }
            OtaRequest::Bill(b) => {
                let phone = phone_bcd(&b.phone)
                    .ok_or_else(|| bad(format!("phone number `{}` is not 11 digits", b.phone)))?;
                v.push(OTA_BILL);
                v.extend_from_slice(&b.serial);
                v.extend_from_slice(&b.offline_counter.to_be_bytes());
                v.extend_from_slice(&b.amount.to_be_bytes());
                v.extend_from_slice(&b.term_id);
                v.extend_from_slice(&phone);
            }
        }
        Ok(v)
    }

    pub fn decode(b: &[u8]) -> Result<OtaRequest, OtaError> {
        let want = match b.first() {
            Some(&OTA_LOAD) => OTA_LOAD_LEN,
            Some(&OTA_BILL) => OTA_BILL_LEN,
            Some(t) => return Err(bad(format!("unknown request type {t:02X}"))),
            None => return Err(bad("empty request")),
        };
        if b.len() != want {
            return Err(bad(format!(
                "request type {:02X} is {want} bytes, got {}",
                b[0],
                b.len()
            )));
        }
        Ok(if b[0] == OTA_LOAD {
            OtaRequest::Load(OtaLoad {
                serial: take(b, 1),
                key_index: b[11],
                balance: u32::from_be_bytes(take(b, 12)),
                online_counter: u16::from_be_bytes(take(b, 16)),
                random: take(b, 18),
                mac1: take(b, 22),
                amount: u32::from_be_bytes(take(b, 26)),
                term_id: take(b, 30),
            })
        } else {
            OtaRequest::Bill(OtaBill {
                serial: take(b, 1),
                offline_counter: u16::from_be_bytes(take(b, 11)),
                amount: u32::from_be_bytes(take(b, 13)),
                term_id: take(b, 17),
                phone: phone_digits(&take(b, 23))
                    .ok_or_else(|| bad("the phone number is not 11 BCD digits"))?,
            })
        })
    }

    /// The message type byte.
    pub fn kind(&self) -> u8 {
        match self {
            OtaRequest::Load(_) => OTA_LOAD,
            OtaRequest::Bill(_) => OTA_BILL,
        }
    }
}

impl OtaAnswer {
    /// A refusal of a request of type `request` (zero date, time and MAC2).
    pub fn refused(request: u8, status: OtaStatus) -> OtaAnswer {
        OtaAnswer {
            request,
            status,
            date: [0; 4],
            time: [0; 3],
            mac2: [0; 4],
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(OTA_ANSWER_LEN);
        v.push(self.request | 0x80);
        v.push(self.status as u8);
        v.extend_from_slice(&self.date);
        v.extend_from_slice(&self.time);
        v.extend_from_slice(&self.mac2);
        v
    }

    pub fn decode(b: &[u8]) -> Result<OtaAnswer, OtaError> {
        if b.len() != OTA_ANSWER_LEN {
            return Err(bad(format!(
                "an answer is {OTA_ANSWER_LEN} bytes, got {}",
                b.len()
            )));
        }
        let request = b[0] & 0x7F;
        if b[0] & 0x80 == 0 || !matches!(request, OTA_LOAD | OTA_BILL) {
            return Err(bad(format!("{:02X} is not an answer type", b[0])));
        }
        let status = OtaStatus::from_byte(b[1])
            .ok_or_else(|| bad(format!("unknown status {:02X}", b[1])))?;
        Ok(OtaAnswer {
            request,
            status,
            date: take(b, 2),
            time: take(b, 6),
            mac2: take(b, 9),
        })
    }

    /// `Ok` if approved; else the host error the holder is shown (`key_index`: the load key
    /// the request named, for an unknown-key refusal).
    pub fn verdict(&self, key_index: u8) -> Result<(), OtaVerdict> {
        match self.status {
            OtaStatus::Approved => Ok(()),
            OtaStatus::BadMac1 => Err(OtaVerdict::Host(HostError::BadMac1)),
            OtaStatus::UnknownKey => Err(OtaVerdict::Host(HostError::UnknownKey(key_index))),
            OtaStatus::Declined => Err(OtaVerdict::Host(HostError::Declined(
                "the issuer refused the over-the-air request".into(),
            ))),
            OtaStatus::Unavailable => Err(OtaVerdict::Host(HostError::Unreachable)),
            OtaStatus::NotUnderstood => Err(OtaVerdict::Ota(OtaError::NotUnderstood)),
            OtaStatus::KeyRetired => Err(OtaVerdict::KeyRetired(key_index)),
        }
    }
}

/// Why an answer is not an approval.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtaVerdict {
    #[error("{0}")]
    Host(HostError),
    #[error("{0}")]
    Ota(OtaError),
    /// The issuer retired the card's newest load key: no key on this card loads over the air
    /// any more. (Not [`HostError::KeyRetired`], whose remedy is a terminal's sign-in.)
    #[error(
        "{code}: the issuer retired this card's load key (index {0:02X}); nothing was loaded: take the card to the issuer for one with the current key",
        code = Code::HKeyRetired
    )]
    KeyRetired(u8),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn load() -> OtaLoad {
        OtaLoad {
            serial: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            key_index: 1,
            balance: 10_000,
            online_counter: 5,
            random: [0xAA, 0xBB, 0xCC, 0xDD],
            mac1: [0x11, 0x22, 0x33, 0x44],
            amount: 5_000,
            term_id: [0x12, 0x34, 0x56, 0x78, 0x90, 0x12],
        }
    }

    #[test]
    fn load_request_layout() {
        // Written from the table in the doc comment, field by field.
        let want = hex(
            "01 00 01 02 03 04 05 06 07 08 09 01 00 00 27 10 00 05 AA BB CC DD 11 22 33 44 \
             00 00 13 88 12 34 56 78 90 12",
        );
        let r = OtaRequest::Load(load());
        assert_eq!(r.encode().unwrap(), want);
        assert_eq!(OtaRequest::decode(&want).unwrap(), r);
        let lr = load().at([0x20, 0x26, 0x11, 0x22], [0x12, 0x34, 0x56]);
        assert_eq!(
            (lr.amount, lr.date, lr.time[2]),
            (5_000, [0x20, 0x26, 0x11, 0x22], 0x56)
        );
    }

    #[test]
    fn bill_request_layout() {
        let want = hex(
            "02 00 01 02 03 04 05 06 07 08 09 00 07 00 00 03 E8 12 34 56 78 90 12 \
             13 80 01 38 00 0F",
        );
        let r = OtaRequest::Bill(OtaBill {
            serial: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            offline_counter: 7,
            amount: 1_000,
            term_id: [0x12, 0x34, 0x56, 0x78, 0x90, 0x12],
            phone: "13800138000".into(),
        });
        assert_eq!(r.encode().unwrap(), want);
        assert_eq!(OtaRequest::decode(&want).unwrap(), r);
        let OtaRequest::Bill(mut b) = r else {
            unreachable!()
        };
        b.phone = "1380013800".into();
        assert!(OtaRequest::Bill(b).encode().is_err());
        // A digit nibble above 9 or a missing F pad is not a phone number.
        let mut odd = want.clone();
        odd[28] = 0x0A;
        assert!(OtaRequest::decode(&odd).is_err());
        odd[28] = 0x00;
        assert!(OtaRequest::decode(&odd).is_err());
    }

    #[test]
    fn answer_layout_and_verdicts() {
        let want = hex("81 00 20 26 11 22 12 34 56 DE AD BE EF");
        let a = OtaAnswer {
            request: OTA_LOAD,
            status: OtaStatus::Approved,
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0x34, 0x56],
            mac2: [0xDE, 0xAD, 0xBE, 0xEF],
        };
        assert_eq!(a.encode(), want);
        assert_eq!(OtaAnswer::decode(&want).unwrap(), a);
        assert_eq!(a.verdict(1), Ok(()));
        let r = OtaAnswer::refused(OTA_BILL, OtaStatus::Unavailable);
        assert_eq!(r.encode(), hex("82 05 00 00 00 00 00 00 00 00 00 00 00"));
        assert_eq!(r.verdict(1), Err(OtaVerdict::Host(HostError::Unreachable)));
        assert!(
            r.verdict(1)
                .unwrap_err()
                .to_string()
                .starts_with("H-UNREACHABLE")
        );
        let k = OtaAnswer::refused(OTA_LOAD, OtaStatus::UnknownKey);
        assert_eq!(
            k.verdict(3),
            Err(OtaVerdict::Host(HostError::UnknownKey(3)))
        );
        // A retired load key: status 06, shown as H-KEY-RETIRED with the card's remedy.
        let retired = OtaAnswer::refused(OTA_LOAD, OtaStatus::KeyRetired);
        assert_eq!(
            retired.encode(),
            hex("81 06 00 00 00 00 00 00 00 00 00 00 00")
        );
        assert_eq!(retired.verdict(1), Err(OtaVerdict::KeyRetired(1)));
        let said = retired.verdict(1).unwrap_err().to_string();
        assert!(
            said.starts_with("H-KEY-RETIRED") && said.contains("nothing was loaded"),
            "{said}"
        );
        assert_eq!(
            OtaStatus::from_host(&HostError::KeyRetired {
                index: 1,
                version: 1
            }),
            OtaStatus::KeyRetired
        );
        for e in [
            HostError::BadMac1,
            HostError::UnknownKey(2),
            HostError::KeyRetired {
                index: 1,
                version: 1,
            },
            HostError::Unreachable,
            HostError::Declined("x".into()),
        ] {
            let s = OtaStatus::from_host(&e);
            assert_eq!(OtaStatus::from_byte(s as u8), Some(s));
        }
    }

    #[test]
    fn malformed_messages_are_errors() {
        let req = OtaRequest::Load(load()).encode().unwrap();
        for cut in 0..req.len() {
            assert!(OtaRequest::decode(&req[..cut]).is_err(), "cut {cut}");
        }
        assert!(OtaRequest::decode(&[req.clone(), vec![0]].concat()).is_err());
        assert!(OtaRequest::decode(&hex("03 00")).is_err());
        let ans = hex("81 00 20 26 11 22 12 34 56 DE AD BE EF");
        for cut in 0..ans.len() {
            assert!(OtaAnswer::decode(&ans[..cut]).is_err(), "cut {cut}");
        }
        let mut a = ans.clone();
        a[0] = 0x01; // a request type, not an answer
        assert!(OtaAnswer::decode(&a).is_err());
        a[0] = 0x83;
        assert!(OtaAnswer::decode(&a).is_err());
        let mut a = ans.clone();
        a[1] = 0x07; // no such status (06 is a retired load key)
        let e = OtaAnswer::decode(&a).unwrap_err();
        assert!(e.to_string().starts_with("H-OTA"), "{e}");
        // Never a panic on any short input.
        for n in 0..=40u8 {
            let b: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            let _ = OtaRequest::decode(&b);
            let _ = OtaAnswer::decode(&b);
        }
    }
}
