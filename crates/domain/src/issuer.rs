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

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error(
        "{}: the card's load MAC1 does not verify (wrong load key, or balance/amount/termID differ)",
        Code::HMac1
    )]
    BadMac1,
    #[error("{code}: the issuer has no load key with index {0:02X}", code = Code::HMac1)]
    UnknownKey(u8),
    #[error(
        "{}: the issuer or acquirer host cannot be reached",
        Code::HUnreachable
    )]
    Unreachable,
    /// The acquirer refused the request (e.g. a charge whose id was already reversed).
    #[error("{code}: the acquirer declined: {0}", code = Code::HDeclined)]
    Declined(String),
}

impl HostError {
    /// The error-catalogue code (also the start of the message).
    pub fn code(&self) -> Code {
        match self {
            HostError::BadMac1 | HostError::UnknownKey(_) => Code::HMac1,
            HostError::Unreachable => Code::HUnreachable,
            HostError::Declined(_) => Code::HDeclined,
        }
    }
}
