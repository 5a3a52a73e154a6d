//! SIM Toolkit (ETSI TS 102 223) codec and typed model: the bytes of docs/spec.md 1.1.
//!
//! * [`tlv`]: COMPREHENSION-TLV and the `D0`/`D3` BER-TLV wrappers;
//! * [`text`]: GSM 03.38 default alphabet and UCS2 for alpha identifiers and TEXT STRINGs;
//! * [`proactive`]: proactive commands (card → handset, fetched with FETCH), TERMINAL
//!   RESPONSE (handset → card), the MENU SELECTION envelope and the TERMINAL PROFILE bits the
//!   wallet cares about, and the Bearer Independent Protocol commands (OPEN CHANNEL, SEND DATA,
//!   RECEIVE DATA, CLOSE CHANNEL) that carry the over-the-air requests.
//!
//! This module holds no menu logic and no card state: it turns typed values into the exact
//! bytes and back. Every decoder returns an error for malformed input and never panics.

pub mod proactive;
pub mod text;
pub mod tlv;

pub use proactive::{
    Envelope, HELP_AVAILABLE, Item, LocalTime, Proactive, ProactiveCommand, ResultCode,
    TerminalProfile, TerminalResponse, ucs2_display,
};

/// Why toolkit bytes could not be decoded.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum StkError {
    #[error("TLV: {0}")]
    Tlv(#[from] tlv::TlvError),
    #[error("text: {0}")]
    Text(#[from] text::TextError),
    #[error("mandatory {0} object missing")]
    Missing(&'static str),
    #[error("{what} object has a bad value {value:02X?}")]
    BadObject { what: &'static str, value: Vec<u8> },
    #[error("proactive command type {0:02X} is not one this wallet uses")]
    UnknownCommandType(u8),
    #[error("unknown object {0:?} is marked comprehension-required")]
    UnknownRequired(tlv::Tag),
    #[error("device identities {src:02X}->{dst:02X} do not fit this message")]
    WrongDevices { src: u8, dst: u8 },
    #[error("envelope tag {0:02X} is not supported")]
    UnsupportedEnvelope(u8),
}

/// COMPREHENSION-TLV tag values (CR bit clear; written with it set, e.g. `81`).
pub mod tag {
    pub const COMMAND_DETAILS: u8 = 0x01;
    pub const DEVICE_IDENTITIES: u8 = 0x02;
    pub const RESULT: u8 = 0x03;
    pub const ALPHA_IDENTIFIER: u8 = 0x05;
    pub const TEXT_STRING: u8 = 0x0D;
    pub const ITEM: u8 = 0x0F;
    pub const ITEM_IDENTIFIER: u8 = 0x10;
    pub const RESPONSE_LENGTH: u8 = 0x11;
    pub const HELP_REQUEST: u8 = 0x15;
    /// Date-Time and Time zone (TS 102 223 §8.39): 7 bytes, swapped-nibble BCD YY MM DD hh mm ss tz.
    pub const DATE_TIME_AND_TIME_ZONE: u8 = 0x26;
    pub const BEARER_DESCRIPTION: u8 = 0x35;
    pub const CHANNEL_DATA: u8 = 0x36;
    pub const CHANNEL_DATA_LENGTH: u8 = 0x37;
    pub const CHANNEL_STATUS: u8 = 0x38;
    pub const BUFFER_SIZE: u8 = 0x39;
    /// UICC/terminal interface transport level.
    pub const TRANSPORT_LEVEL: u8 = 0x3C;
    /// Other address (here: the data destination address).
    pub const OTHER_ADDRESS: u8 = 0x3E;
    /// BER-TLV tag of a proactive command.
    pub const PROACTIVE_COMMAND: u8 = 0xD0;
    /// BER-TLV tag of the MENU SELECTION envelope.
    pub const MENU_SELECTION: u8 = 0xD3;
}

/// Device identities (TS 102 223 §8.7).
pub mod device {
    pub const KEYPAD: u8 = 0x01;
    pub const DISPLAY: u8 = 0x02;
    pub const UICC: u8 = 0x81;
    pub const TERMINAL: u8 = 0x82;
    /// Channel 1 of the Bearer Independent Protocol (channels 1..7 are `21`..`27`).
    pub const CHANNEL_1: u8 = 0x21;
}

/// Proactive command type codes (TS 102 223 §9.4).
pub mod command_type {
    pub const DISPLAY_TEXT: u8 = 0x21;
    pub const GET_INPUT: u8 = 0x23;
    pub const SELECT_ITEM: u8 = 0x24;
    pub const SET_UP_MENU: u8 = 0x25;
    pub const PROVIDE_LOCAL_INFORMATION: u8 = 0x26;
    pub const SET_UP_IDLE_MODE_TEXT: u8 = 0x28;
    pub const OPEN_CHANNEL: u8 = 0x40;
    pub const CLOSE_CHANNEL: u8 = 0x41;
    pub const RECEIVE_DATA: u8 = 0x42;
    pub const SEND_DATA: u8 = 0x43;
}
