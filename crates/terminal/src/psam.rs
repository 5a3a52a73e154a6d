//! The simulated PSAM (SPEC.md §5): the terminal's secure module. It holds the purchase master
//! keys, its terminal number and the terminal transaction counter (TTC), computes MAC1 and
//! checks the card's MAC2. It speaks APDUs, so the POS drives it through a [`crate::transport::Transport`]
//! exactly as it would a real PSAM in a SAM slot.

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::crypto::{self, Key16, TYPE_PURCHASE};
use crate::hexser;
use crate::profile::{KeySpec, Profile};
use crate::sw::Sw;
use serde::{Deserialize, Serialize};

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
        match (a.cla, a.ins) {
            // READ BINARY of file 0016 (SFI 16): the terminal number.
            (0x00, 0xB0) => {
                if (a.p1, a.p2) != (0x96, 0x00) {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(ResponseApdu::ok(self.term_id))
            }
            // INIT SAM FOR PURCHASE: random 4 ‖ offline ctr 2 ‖ amount 4 ‖ type 1 ‖ date 4 ‖ time 3 ‖
            // keyVer 1 ‖ algID 1 ‖ factor 8 → TTC 4 ‖ MAC1 4.
            (0x80, 0x70) => {
                if (a.p1, a.p2) != (0, 0) {
                    return Err(Sw::WRONG_P1P2);
                }
                if a.data.len() != 0x1C {
                    return Err(Sw::WRONG_LENGTH);
                }
                let d = &a.data;
                let random: [u8; 4] = d[0..4].try_into().unwrap_or_default();
                let ctr = u16::from_be_bytes([d[4], d[5]]);
                let amount = u32::from_be_bytes([d[6], d[7], d[8], d[9]]);
                if d[10] != TYPE_PURCHASE {
                    return Err(Sw::WRONG_DATA);
                }
                let date: [u8; 4] = d[11..15].try_into().unwrap_or_default();
                let time: [u8; 3] = d[15..18].try_into().unwrap_or_default();
                let version = d[18];
                let factor: [u8; 8] = d[20..28].try_into().unwrap_or_default();
                let key = self
                    .keys
                    .iter()
                    .find(|k| k.version == version)
                    .ok_or(Sw::KEY_NOT_FOUND)?;
                let dpk = if key.master {
                    let mut serial = [0u8; 10];
                    serial[2..].copy_from_slice(&factor);
                    crypto::diversify(&key.key, &serial)
                } else {
                    key.key
                };
                if self.ttc == u32::MAX {
                    return Err(Sw::COUNTER_MAX);
                }
                let ttc = self.ttc;
                self.ttc += 1;
                let sespk = crypto::purchase_session_key(&dpk, random, ctr, ttc);
                let mac1 = crypto::purchase_mac1(&sespk, amount, &self.term_id, &date, &time);
                self.pending = Some(PsamPending { sespk, amount });
                Ok(ResponseApdu::ok([ttc.to_be_bytes(), mac1].concat()))
            }
            // CREDIT SAM FOR PURCHASE: MAC2 → 9000 or 9302.
            (0x80, 0x72) => {
                if a.data.len() != 4 {
                    return Err(Sw::WRONG_LENGTH);
                }
                let p = pending.ok_or(Sw::CONDITIONS_NOT_SATISFIED)?;
                if crypto::purchase_mac2(&p.sespk, p.amount)[..] == a.data[..] {
                    Ok(ResponseApdu::status(Sw::OK))
                } else {
                    Err(Sw::MAC_INVALID)
                }
            }
            (0x00 | 0x80, _) => Err(Sw::INS_NOT_SUPPORTED),
            _ => Err(Sw::CLA_NOT_SUPPORTED),
        }
    }
}
