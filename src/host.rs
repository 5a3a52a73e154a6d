//! The simulated issuer host: holds the issuer's master keys, authorises loads (checks the card's
//! MAC1, returns MAC2), verifies TACs, and signs issuer commands (RELOAD PIN, RESET OPERATION
//! PASSWORD). Settlement and the acquirer live in later modules.

use crate::crypto::{self, Key16, Mac4};
use crate::profile::{KeySpec, Profile};

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
        let mut b = [0u8; 16];
        let n = init.len().min(16);
        b[..n].copy_from_slice(&init[..n]);
        LoadRequest {
            serial,
            key_index,
            balance: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            online_counter: u16::from_be_bytes([b[4], b[5]]),
            random: [b[8], b[9], b[10], b[11]],
            mac1: [b[12], b[13], b[14], b[15]],
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
        "H-MAC1: the card's load MAC1 does not verify (wrong load key, or balance/amount/termID differ)"
    )]
    BadMac1,
    #[error("H-MAC1: the issuer has no load key with index {0:02X}")]
    UnknownKey(u8),
    #[error("H-UNREACHABLE: the issuer or acquirer host cannot be reached")]
    Unreachable,
    /// The acquirer refused the request (e.g. a charge whose id was already reversed).
    #[error("H-DECLINED: the acquirer declined: {0}")]
    Declined(String),
}

/// How a terminal reaches the issuer host (the host itself, or a faulty link to it).
pub trait IssuerLink {
    /// Checks the card's MAC1 and answers MAC2 for CREDIT FOR LOAD.
    fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError>;
    /// The host behind the link (for TAC checks, which need no round trip here).
    fn host(&self) -> &IssuerHost;
}

impl IssuerLink for IssuerHost {
    fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError> {
        IssuerHost::authorize_load(self, r)
    }
    fn host(&self) -> &IssuerHost {
        self
    }
}

/// The issuer host.
#[derive(Clone, Debug)]
pub struct IssuerHost {
    load_keys: Vec<(u8, KeySpec)>,
    tac: KeySpec,
    issuer: KeySpec,
}

impl IssuerHost {
    pub fn from_profile(p: &Profile) -> IssuerHost {
        IssuerHost {
            load_keys: p
                .keys
                .load
                .iter()
                .map(|k| (k.index, k.key.clone()))
                .collect(),
            tac: p.keys.tac.clone(),
            issuer: p.keys.issuer.clone(),
        }
    }

    /// Checks the card's MAC1 and answers MAC2 for CREDIT FOR LOAD.
    pub fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError> {
        let spec = self
            .load_keys
            .iter()
            .find(|(i, _)| *i == r.key_index)
            .map(|(_, k)| k)
            .ok_or(HostError::UnknownKey(r.key_index))?;
        let dlk = spec.card_key(&r.serial);
        let seslk = crypto::load_session_key(&dlk, r.random, r.online_counter);
        if crypto::load_mac1(&seslk, r.balance, r.amount, &r.term_id) != r.mac1 {
            return Err(HostError::BadMac1);
        }
        Ok(crypto::load_mac2(
            &seslk, r.amount, &r.term_id, &r.date, &r.time,
        ))
    }

    fn tac_key(&self, serial: &[u8; 10]) -> [u8; 8] {
        crypto::tac_key(&self.tac.card_key(serial))
    }

    /// Verifies a purchase TAC.
    #[allow(clippy::too_many_arguments)]
    pub fn purchase_tac_ok(
        &self,
        serial: &[u8; 10],
        amount: u32,
        term: &[u8; 6],
        ttc: u32,
        date: &[u8; 4],
        time: &[u8; 3],
        tac: Mac4,
    ) -> bool {
        crypto::purchase_tac(&self.tac_key(serial), amount, term, ttc, date, time) == tac
    }

    /// Verifies a load TAC.
    #[allow(clippy::too_many_arguments)]
    pub fn load_tac_ok(
        &self,
        serial: &[u8; 10],
        balance_after: u32,
        ctr_before: u16,
        amount: u32,
        term: &[u8; 6],
        date: &[u8; 4],
        time: &[u8; 3],
        tac: Mac4,
    ) -> bool {
        crypto::load_tac(
            &self.tac_key(serial),
            balance_after,
            ctr_before,
            amount,
            term,
            date,
            time,
        ) == tac
    }

    /// MAC for an issuer command (see [`crypto::issuer_mac`]).
    pub fn issuer_mac(
        &self,
        serial: &[u8; 10],
        challenge: [u8; 4],
        header: [u8; 5],
        value: &[u8],
    ) -> Mac4 {
        let k: Key16 = self.issuer.card_key(serial);
        crypto::issuer_mac(&k, challenge, header, value)
    }
}

/// The mobile network between the wallet SIM's over-the-air applet and the issuer host (for the
/// STK menu's Top Up and bill payment): the network's clock, and a link that can be cut.
#[derive(Clone, Debug)]
pub struct IssuerNetwork {
    pub host: IssuerHost,
    pub clock: crate::pos::Clock,
    /// `false`: every request fails with `H-UNREACHABLE` (no coverage).
    pub reachable: std::cell::Cell<bool>,
}

impl IssuerNetwork {
    pub fn new(host: IssuerHost, clock: crate::pos::Clock) -> IssuerNetwork {
        IssuerNetwork {
            host,
            clock,
            reachable: std::cell::Cell::new(true),
        }
    }
}

impl crate::card::toolkit::OtaNetwork for IssuerNetwork {
    fn now(&self) -> ([u8; 4], [u8; 3]) {
        self.clock.now()
    }
    fn authorize_load(&self, req: &LoadRequest) -> Result<Mac4, HostError> {
        if !self.reachable.get() {
            return Err(HostError::Unreachable);
        }
        self.host.authorize_load(req)
    }
}
