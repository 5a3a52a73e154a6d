//! The domain vocabulary every party speaks: ISO 7816-4 APDUs and status words, the typed
//! purse commands, PBOC DES/3DES crypto, personalisation profiles, money, records and dates,
//! the issuer's messages, and the error catalogue. No party's behaviour lives here.

pub mod apdu;
pub mod clock;
pub mod codec;
pub mod command;
pub mod crypto;
pub mod durable;
pub mod errors;
pub mod hexser;
pub mod issuer;
pub mod money;
pub mod numbering;
pub mod pan;
pub mod profile;
pub mod records;
pub mod sw;
