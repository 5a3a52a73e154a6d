//! The `Transport` trait: how a terminal (POS, PSAM driver, vector runner, handset) reaches a card.
//!
//! The same POS and vector code runs over the in-process simulated card, a fault-injecting
//! wrapper, or a real PC/SC reader. Bytes cross this boundary exactly as on the wire.

#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod vpcd;

use crate::apdu::{CommandApdu, ResponseApdu};

pub mod sim;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card executed (or not) but no answer reached the terminal: response lost, card torn
    /// away, field lost. The terminal cannot tell whether the command took effect.
    #[error("no response from the card (lost answer, card removed or power lost)")]
    NoResponse,
    /// The card answered with fewer than 2 bytes.
    #[error("malformed response {0:02X?}: a response needs at least SW1 SW2")]
    Malformed(Vec<u8>),
    /// The reader, driver or socket failed.
    #[error("reader error: {0}")]
    Reader(String),
    /// The card's or the terminal's persistent state could not be written (disk full,
    /// read-only folder): the message starts with its catalogue code, `I-STORAGE`.
    #[error("{0}")]
    Storage(String),
}

/// A channel to one card.
pub trait Transport {
    /// Sends one command APDU; returns the raw response (data ‖ SW1 SW2).
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Cold-resets the card (power off, power on) and returns its ATR. Volatile state is gone.
    fn reset(&mut self) -> Result<Vec<u8>, TransportError>;

    /// A short description for reports ("simulated card", "PC/SC: Virtual PCD 00 00").
    fn describe(&self) -> String;

    /// Sends a typed command and splits the answer.
    fn transmit(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let raw = self.transmit_raw(&cmd.to_bytes())?;
        ResponseApdu::parse(&raw).ok_or(TransportError::Malformed(raw))
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        (**self).reset()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        (**self).reset()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
