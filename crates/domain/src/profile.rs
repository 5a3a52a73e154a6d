//! Card profiles: everything a wallet SIM is personalised with, as serde JSON.
//!
//! A profile holds the *issuer's* view: master keys (the card receives diversified keys at
//! personalisation, docs/spec.md §4) or, for cards whose keys were published without a master,
//! the card keys themselves. [`Profile::default_profile`] is the embedded test profile; its keys
//! are non-degenerate (halves differ) as docs/spec.md §4 requires. A vendor's test keys with
//! equal halves (`11…11`, common in test kits) are accepted with a warning
//! ([`Profile::warnings`]): 3DES with equal halves is single DES.

use crate::crypto::{self, Key16};
use crate::hexser;
use serde::{Deserialize, Serialize};

/// The embedded default profile (also shipped as `profiles/default.json`).
pub const DEFAULT_PROFILE_JSON: &str = include_str!("../../../profiles/default.json");

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Answer to reset; its TCK must be right (checked by [`Profile::validate`]).
    #[serde(with = "hexser::bytes")]
    pub atr: Vec<u8>,
    /// The wallet ADF's DF name.
    #[serde(with = "hexser::bytes")]
    pub wallet_aid: Vec<u8>,
    /// Further DF names that select the same ADF (e.g. the China Mobile RFID-SIM name).
    #[serde(default, with = "hexser::bytes_list")]
    pub aid_aliases: Vec<Vec<u8>>,
    pub issuer: IssuerInfo,
    pub holder: Holder,
    pub keys: KeySet,
    pub purse: PurseSetup,
    pub passwords: Passwords,
    /// Wrong MACs tolerated per key before it is blocked (`6983`); `null` = never block.
    #[serde(default)]
    pub mac_failure_limit: Option<u8>,
    pub menu: MenuSetup,
    /// Fixed card random numbers, used in order and then from the start again, for
    /// deterministic, byte-exact runs. Empty: the operating system's random generator.
    #[serde(default, with = "hexser::array_list")]
    pub card_random: Vec<[u8; 4]>,
    /// The test bed's PSAM (terminal) set-up that goes with this card.
    pub psam: PsamSetup,
    /// The SIM side: ICCID and IMSI (docs/files.md). Profiles written before the card was a
    /// SIM have none and get [`SimSetup::default`].
    #[serde(default)]
    pub sim: SimSetup,
}

/// The identities of the SIM file system (EF_ICCID, EF_IMSI).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SimSetup {
    /// The ICCID as printed on the card, 19 or 20 digits, the last one the Luhn check digit
    /// (ITU-T E.118).
    pub iccid: String,
    /// The IMSI, 6-15 digits: MCC, MNC, MSIN (3GPP TS 23.003).
    pub imsi: String,
    /// Digits of the MNC in the IMSI (2 or 3), written to EF_AD.
    #[serde(default = "two")]
    pub mnc_digits: u8,
}

fn two() -> u8 {
    2
}

impl Default for SimSetup {
    /// The default profile's identities: a China ICCID (89 86) and a China Mobile IMSI (460 00).
    fn default() -> SimSetup {
        SimSetup {
            iccid: "89860026013141592653".into(),
            imsi: "460000314159265".into(),
            mnc_digits: 2,
        }
    }
}

/// The Luhn check digit of `digits` (ITU-T E.118 for the ICCID).
pub fn luhn_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(((10 - sum % 10) % 10) as u8)
}

impl SimSetup {
    /// Checks the digit counts, the ICCID's Luhn digit and the MNC length.
    pub fn validate(&self) -> Result<(), String> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.iccid) || !(19..=20).contains(&self.iccid.len()) {
            return Err("sim.iccid must be 19 or 20 digits".into());
        }
        let (body, check) = self.iccid.split_at(self.iccid.len() - 1);
        let want = luhn_digit(body).unwrap_or(0);
        if check.as_bytes()[0] - b'0' != want {
            return Err(format!(
                "sim.iccid {}: its last digit must be the Luhn check digit {want}",
                self.iccid
            ));
        }
        if !digits(&self.imsi) || !(6..=15).contains(&self.imsi.len()) {
            return Err("sim.imsi must be 6-15 digits".into());
        }
        if !(2..=3).contains(&self.mnc_digits) {
            return Err("sim.mnc_digits must be 2 or 3".into());
        }
        Ok(())
    }
}

/// File 0015 fields (docs/spec.md §2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IssuerInfo {
    #[serde(with = "hexser::array")]
    pub issuer_id: [u8; 8],
    pub app_version: u8,
    /// Application serial number (10 bytes); its last 8 bytes diversify the card keys.
    #[serde(with = "hexser::array")]
    pub serial: [u8; 10],
    #[serde(with = "hexser::array")]
    pub start_date: [u8; 4],
    #[serde(with = "hexser::array")]
    pub expiry_date: [u8; 4],
    #[serde(with = "hexser::array")]
    pub issuer_data: [u8; 2],
}

/// File 0016 fields (docs/spec.md §2). Text is stored as UTF-8, padded with `00`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub card_type: u8,
    pub staff: u8,
    pub name: String,
    pub id_number: String,
    pub id_type: u8,
}

/// A key given either as the issuer's master key (diversified with the card serial) or as the
/// card's own key (no diversification: the PSAM and hosts use it as it is).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_key")]
    pub master: Option<Key16>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_key")]
    pub card: Option<Key16>,
}

mod opt_key {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    pub fn serialize<S: Serializer>(v: &Option<[u8; 16]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(k) => s.serialize_str(&hex::encode_upper(k)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 16]>, D::Error> {
        let s = String::deserialize(d)?;
        let v = crate::hexser::decode(&s).map_err(D::Error::custom)?;
        let n = v.len();
        v.try_into()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("key `{s}` must be 16 bytes, got {n}")))
    }
}

impl KeySpec {
    /// The key the card holds, for a card with this serial.
    pub fn card_key(&self, serial: &[u8; 10]) -> Key16 {
        match (&self.master, &self.card) {
            (_, Some(k)) => *k,
            (Some(m), None) => crypto::diversify(m, serial),
            (None, None) => [0; 16], // refused by Profile::validate
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IndexedKey {
    pub index: u8,
    pub version: u8,
    /// Algorithm identifier returned by INITIALIZE (echoed, informational).
    pub alg: u8,
    #[serde(flatten)]
    pub key: KeySpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeySet {
    /// DPK per key index (purchase).
    pub purchase: Vec<IndexedKey>,
    /// DLK per key index (load).
    pub load: Vec<IndexedKey>,
    /// DTK (TAC).
    pub tac: KeySpec,
    /// Issuer key authenticating RELOAD PIN and RESET OPERATION PASSWORD.
    pub issuer: KeySpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PurseSetup {
    pub balance: u32,
    pub online_counter: u16,
    pub offline_counter: u16,
    /// Highest balance a load may reach, in fen (default 1000.00 CNY).
    pub balance_cap: u32,
    /// Single-payment limit, in fen.
    pub single_payment_limit: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Passwords {
    /// The 6-digit payment password (purse PIN).
    pub payment: String,
    pub payment_retries: u8,
    /// The operation password guarding the toolkit menu (4-12 digits; initially 1234).
    pub operation: String,
    pub operation_enabled: bool,
    pub operation_retries: u8,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Zh,
    En,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MenuSetup {
    pub language: Language,
    /// termID recorded for bill payments made from the menu.
    #[serde(with = "hexser::array")]
    pub operator_term_id: [u8; 6],
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PsamSetup {
    #[serde(with = "hexser::array")]
    pub term_id: [u8; 6],
    /// The next terminal transaction counter.
    pub ttc: u32,
}

/// Why a profile was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot read profile {path}: {err}")]
    Io { path: String, err: std::io::Error },
    #[error("profile is not valid: {0}")]
    Invalid(String),
}

impl ProfileError {
    /// The error-catalogue code: always `I-PROFILE`.
    pub fn code(&self) -> crate::errors::Code {
        crate::errors::Code::IProfile
    }
}

impl Profile {
    pub fn default_profile() -> Profile {
        Profile::from_json(DEFAULT_PROFILE_JSON).expect("the embedded default profile is valid")
    }

    pub fn from_json(s: &str) -> Result<Profile, ProfileError> {
        let p: Profile = serde_json::from_str(s)?;
        p.validate().map_err(ProfileError::Invalid)?;
        Ok(p)
    }

    pub fn from_value(v: serde_json::Value) -> Result<Profile, ProfileError> {
        let p: Profile = serde_json::from_value(v)?;
        p.validate().map_err(ProfileError::Invalid)?;
        Ok(p)
    }

    /// Loads `name`: `default` is the embedded profile; anything else is a JSON file path.
    pub fn load(name: &str) -> Result<Profile, ProfileError> {
        if name == "default" {
            return Ok(Profile::default_profile());
        }
        let s = std::fs::read_to_string(name).map_err(|err| ProfileError::Io {
            path: name.into(),
            err,
        })?;
        Profile::from_json(&s)
    }

    /// Keys with equal halves, one warning each (empty for a profile fit for the field, and
    /// always for the embedded default). Such keys are accepted: vendors' test kits use them.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (what, list) in [("purchase", &self.keys.purchase), ("load", &self.keys.load)] {
            for k in list {
                w.extend(weak_key(&format!("keys.{what}[index {}]", k.index), &k.key));
            }
        }
        w.extend(weak_key("keys.tac", &self.keys.tac));
        w.extend(weak_key("keys.issuer", &self.keys.issuer));
        w
    }

    /// Checks what serde cannot: ATR checksum, key presence and quality, password formats.
    pub fn validate(&self) -> Result<(), String> {
        check_atr(&self.atr)?;
        self.sim.validate()?;
        if self.wallet_aid.len() < 5 || self.wallet_aid.len() > 16 {
            return Err(format!(
                "wallet_aid must be 5-16 bytes, got {}",
                self.wallet_aid.len()
            ));
        }
        for (what, list) in [("purchase", &self.keys.purchase), ("load", &self.keys.load)] {
            if list.is_empty() {
                return Err(format!("keys.{what} needs at least one key"));
            }
            for k in list {
                check_key(&format!("keys.{what}[index {}]", k.index), &k.key)?;
            }
        }
        check_key("keys.tac", &self.keys.tac)?;
        check_key("keys.issuer", &self.keys.issuer)?;
        let tac = self.keys.tac.card_key(&self.issuer.serial);
        if crypto::is_degenerate(&tac) {
            return Err("keys.tac: the card's TAC key has equal halves, so its TAC key would be all zeros (docs/spec.md §4)".into());
        }
        let p = &self.passwords;
        if p.payment.len() != 6 || !p.payment.bytes().all(|b| b.is_ascii_digit()) {
            return Err("passwords.payment must be exactly 6 digits".into());
        }
        if !(4..=12).contains(&p.operation.len())
            || !p.operation.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("passwords.operation must be 4-12 digits".into());
        }
        if !(1..=15).contains(&p.payment_retries) || !(1..=15).contains(&p.operation_retries) {
            return Err("password retry limits must be 1-15".into());
        }
        if self.purse.balance > self.purse.balance_cap {
            return Err("purse.balance is above purse.balance_cap".into());
        }
        if self.purse.single_payment_limit > 999_999_999 {
            return Err(
                "purse.single_payment_limit must fit 6 BCD bytes (at most 999999999 fen)".into(),
            );
        }
        if self.holder.name.len() > 20 || self.holder.id_number.len() > 32 {
            return Err(
                "holder.name is at most 20 bytes and holder.id_number at most 32 (UTF-8)".into(),
            );
        }
        Ok(())
    }
}

fn check_key(what: &str, k: &KeySpec) -> Result<(), String> {
    match (&k.master, &k.card) {
        (Some(_), Some(_)) => Err(format!("{what}: give `master` or `card`, not both")),
        (None, None) => Err(format!("{what}: needs `master` or `card`")),
        _ => Ok(()),
    }
}

/// The warning for a key with equal halves, or `None`.
fn weak_key(what: &str, k: &KeySpec) -> Option<String> {
    let (kind, key) = match (&k.master, &k.card) {
        (Some(m), _) => ("master", m),
        (None, Some(c)) => ("card", c),
        (None, None) => return None,
    };
    crypto::is_degenerate(key).then(|| {
        format!(
            "warning: {what}: the {kind} key {} has equal halves, so its 3DES is single DES: accepted as a test key, never for a card in the field",
            hex::encode_upper(key)
        )
    })
}

/// The historical bytes of a valid ATR (those T0's low nibble counts, before TCK).
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    check_atr(atr).ok()?;
    let k = usize::from(atr[1] & 0x0F);
    // TCK, the last byte, is present when a protocol other than T=0 is indicated.
    let tck = usize::from(atr_has_tck(atr));
    let end = atr.len() - tck;
    atr.get(end - k..end)
}

/// Whether a TDi of the ATR indicates a protocol other than T=0 (then TCK ends it).
fn atr_has_tck(atr: &[u8]) -> bool {
    let mut i = 1;
    let mut y = atr[1] >> 4;
    loop {
        let mut next = 0;
        for bit in 0..4 {
            if y & (1 << bit) != 0 {
                i += 1;
                if bit == 3 {
                    next = atr.get(i).copied().unwrap_or(0);
                }
            }
        }
        if y & 0x08 == 0 {
            return false;
        }
        if next & 0x0F != 0 {
            return true;
        }
        y = next >> 4;
    }
}

/// The ATR a PC/SC reader builds for an ISO 14443-4 card (PC/SC part 3 §3.1.3.2.3): `3B 8n 80
/// 01`, the card's `n` historical bytes (at most 15), and TCK; T=1 is the protocol offered.
pub fn contactless_atr(historical: &[u8]) -> Vec<u8> {
    let h = &historical[..historical.len().min(15)];
    let mut atr = vec![0x3B, 0x80 | h.len() as u8, 0x80, 0x01];
    atr.extend_from_slice(h);
    let tck = atr[1..].iter().fold(0u8, |a, b| a ^ b);
    atr.push(tck);
    atr
}

/// ISO 7816-3 ATR check: the historical byte count fits, and TCK (present unless only T=0 is
/// indicated) makes the XOR of T0..TCK zero.
pub fn check_atr(atr: &[u8]) -> Result<(), String> {
    if atr.len() < 2 || !(atr[0] == 0x3B || atr[0] == 0x3F) {
        return Err("atr must start with TS 3B or 3F".into());
    }
    let hist = (atr[1] & 0x0F) as usize;
    let mut i = 1;
    let mut y = atr[1] >> 4;
    let mut protocols = Vec::new();
    loop {
        let mut next = 0;
        for bit in 0..4 {
            if y & (1 << bit) != 0 {
                i += 1;
                if i >= atr.len() {
                    return Err("atr is shorter than its interface bytes say".into());
                }
                if bit == 3 {
                    next = atr[i];
                }
            }
        }
        if y & 0x08 == 0 {
            break;
        }
        protocols.push(next & 0x0F);
        y = next >> 4;
    }
    let needs_tck = protocols.iter().any(|&t| t != 0);
    let expected = i + 1 + hist + usize::from(needs_tck);
    if atr.len() != expected {
        return Err(format!(
            "atr has {} bytes; its T0/TDi bytes say {expected}",
            atr.len()
        ));
    }
    if needs_tck {
        let x = atr[1..].iter().fold(0u8, |a, b| a ^ b);
        if x != 0 {
            let good = atr[atr.len() - 1] ^ x;
            return Err(format!(
                "atr TCK is {:02X}, should be {good:02X}",
                atr[atr.len() - 1]
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn contactless_atr_is_pc_sc_part_3s() {
        // PC/SC part 3's example for a contactless card with no historical bytes: 3B 80 80 01 01.
        assert_eq!(
            super::contactless_atr(&[]),
            vec![0x3B, 0x80, 0x80, 0x01, 0x01]
        );
        let p = super::Profile::default_profile();
        let h = super::historical_bytes(&p.atr).unwrap();
        assert_eq!(h.len(), usize::from(p.atr[1] & 0x0F));
        assert!(super::check_atr(&super::contactless_atr(h)).is_ok());
        // A T=0-only ATR has no TCK: its historical bytes run to the end.
        assert_eq!(
            super::historical_bytes(&[0x3B, 0x02, 0x12, 0x34]),
            Some(&[0x12, 0x34][..])
        );
    }

    #[test]
    fn luhn_matches_the_e118_example() {
        // ITU-T E.118 / ISO/IEC 7812 worked example: 7992739871 has check digit 3.
        assert_eq!(super::luhn_digit("7992739871"), Some(3));
        assert!(super::SimSetup::default().validate().is_ok());
        let mut bad = super::SimSetup::default();
        bad.iccid.replace_range(19.., "4");
        assert!(bad.validate().is_err());
    }

    use super::*;

    #[test]
    fn default_profile_is_valid_and_non_degenerate() {
        let p = Profile::default_profile();
        for k in p.keys.purchase.iter().chain(&p.keys.load) {
            assert!(!crypto::is_degenerate(&k.key.card_key(&p.issuer.serial)));
        }
        // Test keys with equal halves are accepted elsewhere, never in the embedded default.
        assert_eq!(p.warnings(), Vec::<String>::new());
    }

    #[test]
    fn test_keys_with_equal_halves_are_accepted_with_a_warning() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_PROFILE_JSON).unwrap();
        let weak = "11111111111111111111111111111111";
        v["keys"]["purchase"][0]["master"] = weak.into();
        v["keys"]["issuer"] = serde_json::json!({ "card": "2222222222222222 2222222222222222" });
        let p = Profile::from_value(v).expect("accepted");
        let w = p.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("warning: keys.purchase[index 1]: the master key 1111")
                && w[0].contains("equal halves")
                && w[0].contains("single DES"),
            "{w:?}"
        );
        assert!(w[1].contains("keys.issuer: the card key 2222"), "{w:?}");
        // A TAC card key with equal halves stays refused: its TAC key would be all zeros.
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_PROFILE_JSON).unwrap();
        v["keys"]["tac"] = serde_json::json!({ "card": weak });
        assert!(Profile::from_value(v).is_err());
    }

    #[test]
    fn atr_tck_is_checked() {
        // docs/spec.md §2's example ATR ends in 01, but the XOR over T0..TCK says the TCK is 90.
        let spec = hex::decode("3B9F95801FC78031E073FE211B633A204E8300900001").unwrap();
        assert_eq!(check_atr(&spec).unwrap_err(), "atr TCK is 01, should be 90");
        let fixed = hex::decode("3B9F95801FC78031E073FE211B633A204E8300900090").unwrap();
        assert!(check_atr(&fixed).is_ok());
        // T=0 only: no TCK.
        assert!(check_atr(&hex::decode("3B02AABB").unwrap()).is_ok());
    }

    #[test]
    fn bad_profiles_are_refused_with_reasons() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_PROFILE_JSON).unwrap();
        v["passwords"]["payment"] = "12345".into();
        let e = Profile::from_value(v).unwrap_err().to_string();
        assert!(e.contains("exactly 6 digits"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_PROFILE_JSON).unwrap();
        v["keys"]["tac"] = serde_json::json!({"card": "0123456789ABCDEF0123456789ABCDEF"});
        let e = Profile::from_value(v).unwrap_err().to_string();
        assert!(e.contains("all zeros"), "{e}");
    }
}
