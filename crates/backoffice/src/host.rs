//! The simulated issuer host: holds the issuer's master keys, authorises loads (checks the card's
//! MAC1, returns MAC2), verifies TACs, and signs issuer commands (RELOAD PIN, RESET OPERATION
//! PASSWORD). Settlement and the acquirer live in later modules.

use crate::crypto::{self, Key16, Mac4};
use crate::issuer_db::{IssuerParams, IssuerState};
use crate::profile::{KeySpec, Profile};
use stk_domain::issuer::KeyChoice;

pub use stk_domain::issuer::{HostError, LoadRequest, SignInAnswer};

/// How a terminal reaches the issuer host (the host itself, or a faulty link to it).
pub trait IssuerLink {
    /// Checks the card's MAC1 and answers MAC2 for CREDIT FOR LOAD.
    fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError>;
    /// A terminal's sign-in (签到): tests the link and answers the terminal's parameters.
    fn sign_in(&self, term_id: [u8; 6]) -> Result<SignInAnswer, HostError> {
        Ok(self.host().sign_in(term_id))
    }
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
    /// Which keys are current and retired, and the sign-in parameters (`issuer.db`).
    state: IssuerState,
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
            state: IssuerState::fresh(p).unwrap_or_else(|_| {
                let first = KeyChoice {
                    index: 1,
                    version: 1,
                };
                IssuerState {
                    purchase: first,
                    load: first,
                    retired: Vec::new(),
                    params: IssuerParams::default(),
                }
            }),
        }
    }

    /// This host with the issuer's key state and parameters (read from `issuer.db`).
    pub fn with_state(mut self, state: IssuerState) -> IssuerHost {
        self.state = state;
        self
    }

    /// The issuer's key state and parameters.
    pub fn state(&self) -> &IssuerState {
        &self.state
    }

    /// The parameters and keys a terminal signing in gets (docs/spec.md §8).
    pub fn sign_in(&self, term_id: [u8; 6]) -> SignInAnswer {
        let p = &self.state.params;
        SignInAnswer {
            term_id,
            merchant: p.merchant.clone(),
            host_timeout_ms: p.host_timeout_ms,
            resends: p.resends,
            reversal_tries: p.reversal_tries,
            purchase_key: self.state.purchase,
            load_key: self.state.load,
        }
    }

    /// Refused with `H-KEY-RETIRED` if the issuer rolled load key `index` over.
    pub fn check_load_key(&self, index: u8) -> Result<(), HostError> {
        match self.state.retired_load(index) {
            Some(version) => Err(HostError::KeyRetired { index, version }),
            None => Ok(()),
        }
    }

    /// Whether the issuer holds a load key with this index.
    pub fn has_load_key(&self, index: u8) -> bool {
        self.load_keys.iter().any(|(i, _)| *i == index)
    }

    /// Checks the card's MAC1 and answers MAC2 for CREDIT FOR LOAD.
    pub fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError> {
        self.check_load_key(r.key_index)?;
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

    /// The card's TAC key (its diversified TAC key's halves XORed): two 3DES blocks to
    /// diversify, so a host checking many records of one card derives it once
    /// ([`IssuerHost::purchase_tac_ok_with`]).
    pub fn tac_key(&self, serial: &[u8; 10]) -> [u8; 8] {
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
        Self::purchase_tac_ok_with(&self.tac_key(serial), amount, term, ttc, date, time, tac)
    }

    /// Verifies a purchase TAC under the card's TAC key `key` ([`IssuerHost::tac_key`]).
    pub fn purchase_tac_ok_with(
        key: &[u8; 8],
        amount: u32,
        term: &[u8; 6],
        ttc: u32,
        date: &[u8; 4],
        time: &[u8; 3],
        tac: Mac4,
    ) -> bool {
        crypto::purchase_tac(key, amount, term, ttc, date, time) == tac
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
