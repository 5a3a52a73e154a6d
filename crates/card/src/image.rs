//! Card images: the card's whole persistent memory as a file.
//!
//! Format: a JSON envelope `{"format": "stk-wallet-card-image", "version": 1, "crc32": "...",
//! "eeprom": {...}}`. The CRC-32 covers the canonical JSON of `eeprom`, so a truncated or
//! bit-flipped file is refused instead of loading half a card. Saving writes a temporary file
//! in the same folder, fsyncs it, renames it over the old one and fsyncs the folder, so a crash
//! leaves either the old image or the new one.

use super::Card;
use super::state::Eeprom;
use serde::{Deserialize, Serialize};
use stk_domain::errors::Code;

pub const FORMAT: &str = "stk-wallet-card-image";
pub const VERSION: u32 = 1;
/// Images larger than this are refused before parsing (a real one is a few kB).
pub const MAX_IMAGE_BYTES: u64 = 1 << 20;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    crc32: String,
    eeprom: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{}: cannot read card image {path}: {err}", Code::IImage)]
    Io { path: String, err: std::io::Error },
    #[error(
        "{}: card image {path} is {size} bytes, more than the {MAX_IMAGE_BYTES} an image can be: not a card image?",
        Code::IImage
    )]
    TooLarge { path: String, size: u64 },
    #[error(
        "{}: card image {path} is not a valid image ({why}); it was not loaded. Re-create it with `stk-wallet card new`, or restore a backup",
        Code::IImage
    )]
    Corrupt { path: String, why: String },
    #[error(
        "{}: card image {path} has format version {found}; this build reads version {VERSION}",
        Code::IImage
    )]
    WrongVersion { path: String, found: u32 },
    #[error(
        "{}: card image {path} is {kind}, not a regular file; it was not opened",
        Code::IImage
    )]
    NotAFile { path: String, kind: String },
    #[error(
        "{}: card image {path} is in use by another process (it holds {lock}); try again when it has finished",
        Code::IBusy
    )]
    Busy { path: String, lock: String },
    #[error(
        "{}: cannot write card image {path}: {err}; the previous image is unchanged",
        Code::IStorage
    )]
    Storage { path: String, err: std::io::Error },
}

impl ImageError {
    /// The error-catalogue code (also the start of the message): `I-BUSY` when another process
    /// holds the image, `I-STORAGE` when it cannot be written, otherwise `I-IMAGE`.
    pub fn code(&self) -> Code {
        match self {
            ImageError::Busy { .. } => Code::IBusy,
            ImageError::Storage { .. } => Code::IStorage,
            _ => Code::IImage,
        }
    }
}

/// Serialises the card's persistent memory.
pub fn to_bytes(card: &Card) -> Vec<u8> {
    let body = serde_json::to_value(&card.eeprom).expect("card state serialises");
    let crc = crc32fast::hash(body.to_string().as_bytes());
    let env = Envelope {
        format: FORMAT.into(),
        version: VERSION,
        crc32: format!("{crc:08X}"),
        eeprom: body,
    };
    let mut v = serde_json::to_vec_pretty(&env).expect("envelope serialises");
    v.push(b'\n');
    v
}

/// Parses an image; `path` is only used in messages.
pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Card, ImageError> {
    let corrupt = |why: String| ImageError::Corrupt {
        path: path.into(),
        why,
    };
    let env: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("not an image envelope: {e}")))?;
    if env.format != FORMAT {
        return Err(corrupt(format!(
            "format is `{}`, expected `{FORMAT}`",
            env.format
        )));
    }
    if env.version != VERSION {
        return Err(ImageError::WrongVersion {
            path: path.into(),
            found: env.version,
        });
    }
    let crc = crc32fast::hash(env.eeprom.to_string().as_bytes());
    if format!("{crc:08X}") != env.crc32.to_ascii_uppercase() {
        return Err(corrupt(format!(
            "checksum mismatch (stored {}, computed {crc:08X}): the file was altered or damaged",
            env.crc32
        )));
    }
    let eeprom: Eeprom =
        serde_json::from_value(env.eeprom).map_err(|e| corrupt(format!("card state: {e}")))?;
    check(&eeprom).map_err(corrupt)?;
    Ok(Card::from_eeprom(eeprom))
}

/// Invariants a loaded state must meet (a hand-edited image with a fixed CRC still must not
/// give a card that panics or holds impossible money).
fn check(e: &Eeprom) -> Result<(), String> {
    let s = &e.state;
    if s.log.slots.len() != super::state::LOG_RECORDS
        || s.log.count as usize > super::state::LOG_RECORDS
        || s.log.newest as usize >= super::state::LOG_RECORDS
    {
        return Err("transaction log shape is wrong".into());
    }
    if s.purse.balance > s.purse.balance_cap {
        return Err("balance is above the balance cap".into());
    }
    if s.perso.aids.is_empty() || s.perso.ef0015.len() != 30 || s.perso.ef0016.len() != 55 {
        return Err("personalisation files have the wrong size".into());
    }
    if s.perso.keys.purchase.is_empty() || s.perso.keys.load.is_empty() {
        return Err("no purchase or load keys".into());
    }
    for p in [&s.payment_password, &s.operation_password] {
        if p.tries_left > p.max_tries || !p.value.bytes().all(|b| b.is_ascii_digit()) {
            return Err("password record is inconsistent".into());
        }
    }
    if e.journal.entries.len() > 64 {
        return Err("commit journal is implausibly long".into());
    }
    Ok(())
}
