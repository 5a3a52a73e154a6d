//! The simulated PSAM (docs/spec.md §5): the terminal's secure module. It holds the purchase master
//! keys, its terminal number and the terminal transaction counter (TTC), computes MAC1 and
//! checks the card's MAC2. It speaks APDUs, so the POS drives it through a [`crate::transport::Transport`]
//! exactly as it would a real PSAM in a SAM slot.

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::crypto::{self, Key16, TYPE_PURCHASE};
use crate::hexser;
use crate::profile::{KeySpec, Profile};
use crate::sw::Sw;
use serde::{Deserialize, Serialize};
use stk_domain::codec::{InitSamAnswer, PsamCommand, TermIdAnswer};

/// A purchase key the PSAM holds, found by the key version the card reports.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PsamKey {
    pub version: u8,
    /// `true`: a master key, diversified with the factor from the card; `false`: used as is.
    pub master: bool,
    #[serde(with = "hexser::array")]
    pub key: Key16,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct PsamPending {
    #[serde(with = "hexser::array")]
    sespk: [u8; 8],
    amount: u32,
}

/// PSAM state (persistent: keys, termID, TTC; volatile: the open purchase).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Psam {
    pub keys: Vec<PsamKey>,
    #[serde(with = "hexser::array")]
    pub term_id: [u8; 6],
    /// The next TTC to use.
    pub ttc: u32,
    #[serde(skip)]
    pending: Option<PsamPending>,
}

/// The PSAM key of `version` for a profile's purchase key (a master key is diversified per card).
pub fn psam_key(version: u8, spec: &KeySpec) -> PsamKey {
    match (&spec.master, &spec.card) {
        (Some(m), _) => PsamKey {
            version,
            master: true,
            key: *m,
        },
        (None, Some(k)) => PsamKey {
            version,
            master: false,
            key: *k,
        },
        (None, None) => PsamKey {
            version,
            master: false,
            key: [0; 16],
        },
    }
}

impl Psam {
    /// The PSAM that goes with a profile's cards.
    pub fn from_profile(p: &Profile) -> Psam {
        Psam {
            keys: p
                .keys
                .purchase
                .iter()
                .map(|k| psam_key(k.version, &k.key))
                .collect(),
            term_id: p.psam.term_id,
            ttc: p.psam.ttc,
            pending: None,
        }
    }

    /// A PSAM with these keys, terminal number and next TTC (a terminal home's).
    pub fn with_state(keys: Vec<PsamKey>, term_id: [u8; 6], ttc: u32) -> Psam {
        Psam {
            keys,
            term_id,
            ttc,
            pending: None,
        }
    }

    /// The PSAM state an older version kept beside a card image (`<card>.psam.json`), if
    /// there is such a file. Only read, to carry its TTC over into a terminal home.
    pub fn read_legacy(path: &std::path::Path) -> Result<Option<Psam>, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| format!("PSAM state {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn reset(&mut self) {
        self.pending = None;
    }

    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let pending = self.pending.take();
        let r = match CommandApdu::parse(apdu) {
            Err(e) => ResponseApdu::status(e.sw()),
            Ok(a) => self
                .dispatch(&a, pending)
                .unwrap_or_else(ResponseApdu::status),
        };
        r.to_bytes()
    }

    fn dispatch(
        &mut self,
        a: &CommandApdu,
        pending: Option<PsamPending>,
    ) -> Result<ResponseApdu, Sw> {
        match PsamCommand::try_from(a)? {
            // READ BINARY of file 0016 (SFI 16): the terminal number.
            PsamCommand::ReadTermId => Ok(ResponseApdu::ok(
                TermIdAnswer {
                    term_id: self.term_id,
                }
                .to_bytes(),
            )),
            PsamCommand::InitSamForPurchase(s) => {
                if s.tx_type != TYPE_PURCHASE {
                    return Err(Sw::WRONG_DATA);
                }
                let key = self
                    .keys
                    .iter()
                    .find(|k| k.version == s.key_version)
                    .ok_or(Sw::KEY_NOT_FOUND)?;
                let dpk = if key.master {
                    let mut serial = [0u8; 10];
                    serial[2..].copy_from_slice(&s.factor);
                    crypto::diversify(&key.key, &serial)
                } else {
                    key.key
                };
                if self.ttc == u32::MAX {
                    return Err(Sw::COUNTER_MAX);
                }
                let ttc = self.ttc;
                self.ttc += 1;
                let sespk = crypto::purchase_session_key(&dpk, s.random, s.offline_counter, ttc);
                let mac1 = crypto::purchase_mac1(&sespk, s.amount, &self.term_id, &s.date, &s.time);
                self.pending = Some(PsamPending {
                    sespk,
                    amount: s.amount,
                });
                Ok(ResponseApdu::ok(InitSamAnswer { ttc, mac1 }.to_bytes()))
            }
            // CREDIT SAM FOR PURCHASE: MAC2 → 9000 or 9302.
            PsamCommand::CreditSamForPurchase { mac2 } => {
                let p = pending.ok_or(Sw::CONDITIONS_NOT_SATISFIED)?;
                if crypto::purchase_mac2(&p.sespk, p.amount) == mac2 {
                    Ok(ResponseApdu::status(Sw::OK))
                } else {
                    Err(Sw::MAC_INVALID)
                }
            }
        }
    }
}
