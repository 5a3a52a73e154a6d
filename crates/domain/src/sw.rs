//! ISO 7816-4 status words (SW1 SW2) as a typed value.
//!
//! Every refusal the card gives is one of these; the error catalogue
//! ([`crate::errors`]) explains each one in English and Chinese.

use std::fmt;

/// A status word, SW1 in the high byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sw(pub u16);

impl Sw {
    /// Normal processing.
    pub const OK: Sw = Sw(0x9000);
    /// Selected file invalidated (not used by the wallet, kept for completeness).
    pub const WRONG_LENGTH: Sw = Sw(0x6700);
    /// Security status not satisfied: payment password not verified in this session.
    pub const SECURITY_NOT_SATISFIED: Sw = Sw(0x6982);
    /// Authentication method blocked: password or key locked.
    pub const BLOCKED: Sw = Sw(0x6983);
    /// Conditions of use not satisfied (no session, over limit, over cap, flow order).
    pub const CONDITIONS_NOT_SATISFIED: Sw = Sw(0x6985);
    /// Incorrect parameters in the data field.
    pub const WRONG_DATA: Sw = Sw(0x6A80);
    /// Function not supported: the wallet is closed.
    pub const WALLET_CLOSED: Sw = Sw(0x6A81);
    /// File or application not found.
    pub const NOT_FOUND: Sw = Sw(0x6A82);
    /// Record not found.
    pub const RECORD_NOT_FOUND: Sw = Sw(0x6A83);
    /// Incorrect P1-P2.
    pub const WRONG_P1P2: Sw = Sw(0x6A86);
    /// Referenced data (GET DATA tag) not found.
    pub const DATA_NOT_FOUND: Sw = Sw(0x6A88);
    /// Offset outside the file (READ BINARY).
    pub const WRONG_OFFSET: Sw = Sw(0x6B00);
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);
    /// No precise diagnosis (internal error; never expected).
    pub const UNKNOWN: Sw = Sw(0x6F00);
    /// MAC invalid ("digest error").
    pub const MAC_INVALID: Sw = Sw(0x9302);
    /// Insufficient balance.
    pub const INSUFFICIENT_BALANCE: Sw = Sw(0x9401);
    /// Transaction counter at its maximum (FFFF).
    pub const COUNTER_MAX: Sw = Sw(0x9402);
    /// Key index not supported.
    pub const KEY_NOT_FOUND: Sw = Sw(0x9403);
    /// Loads refused: the issuer cancelled the phone number (CANCEL NUMBER).
    pub const NUMBER_CANCELLED: Sw = Sw(0x9405);
    /// MAC2/TAC (transaction proof) not available.
    pub const NO_PROOF: Sw = Sw(0x9406);
    /// Toolkit busy: a proactive session is open.
    pub const TOOLKIT_BUSY: Sw = Sw(0x9300);
    /// The command does not fit the current file's structure (READ BINARY on a record file).
    pub const WRONG_FILE_STRUCTURE: Sw = Sw(0x6981);
    /// No current EF for READ BINARY / READ RECORD (TS 102 221 §10.2.1.4).
    pub const NO_CURRENT_EF: Sw = Sw(0x6986);
    /// GSM class: no EF selected (GSM 11.11 §9.4.4).
    pub const GSM_NO_EF: Sw = Sw(0x9400);
    /// GSM class: file identifier not found (GSM 11.11 §9.4.4).
    pub const GSM_NOT_FOUND: Sw = Sw(0x9404);
    /// GSM class: the file does not fit the command (GSM 11.11 §9.4.4).
    pub const GSM_WRONG_FILE: Sw = Sw(0x9408);
    /// Referenced data invalidated (TS 102 221 §10.2.1.5): VERIFY PIN of a disabled PIN1.
    pub const PIN_DISABLED: Sw = Sw(0x6984);
    /// GSM class: in contradiction with CHV status (GSM 11.11 §9.4.5): VERIFY CHV1 while CHV1
    /// is disabled.
    pub const GSM_CHV_DISABLED: Sw = Sw(0x9808);

    /// Wrong password, `tries` attempts left (`63Cx`).
    pub fn wrong_pin(tries: u8) -> Sw {
        Sw(0x63C0 | u16::from(tries.min(15)))
    }
    /// GSM class: `len` bytes of response data wait for GET RESPONSE (`9Fxx`).
    pub fn gsm_response(len: usize) -> Sw {
        Sw(0x9F00 | (len.min(255) as u16))
    }
    /// Wrong Le; the right one is `len` (`6Cxx`).
    pub fn wrong_le(len: usize) -> Sw {
        Sw(0x6C00 | (len.min(255) as u16))
    }
    /// Success with a proactive command of `len` bytes waiting (`91xx`).
    pub fn proactive(len: usize) -> Sw {
        Sw(0x9100 | (len.min(255) as u16))
    }

    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
    /// `9000`, or `91xx` (success with a proactive command pending).
    pub fn is_success(self) -> bool {
        self == Sw::OK || self.sw1() == 0x91
    }
}

impl fmt::Display for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl fmt::Debug for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sw({:04X})", self.0)
    }
}

impl std::str::FromStr for Sw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if t.len() != 4 {
            return Err(format!("status word `{s}` must be 4 hex digits, e.g. 9000"));
        }
        u16::from_str_radix(&t, 16)
            .map(Sw)
            .map_err(|_| format!("status word `{s}` is not hex"))
    }
}
