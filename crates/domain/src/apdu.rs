//! ISO 7816-4 command and response APDUs.
//!
//! Parsing covers the four cases in short and extended form (ISO 7816-4 §5.1); a malformed
//! APDU is refused with `6700` (wrong length) — never a panic. Building a command for a
//! transport goes through `apdu_core::Command`, the type the `apdu` crate family shares, so any
//! apdu-based client and this crate agree on the encoding at the transport boundary.

use crate::sw::Sw;

/// A parsed command APDU. `le` is the decoded Ne (0 in the short form means 256, in the extended
/// form 65536); `None` when the command carries no Le field.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommandApdu {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<usize>,
    /// Whether the APDU used the extended-length form.
    pub extended: bool,
}

/// Why an APDU could not be parsed; always answered with `6700`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ParseError {
    #[error("an APDU needs at least 4 header bytes (CLA INS P1 P2), got {0}")]
    TooShort(usize),
    #[error(
        "Lc says {lc} data bytes but the APDU body does not match ({body} bytes after the header)"
    )]
    LengthMismatch { lc: usize, body: usize },
    #[error("extended-length APDU with Lc = 0000 is not valid")]
    ZeroExtendedLc,
}

impl ParseError {
    pub fn sw(self) -> Sw {
        Sw::WRONG_LENGTH
    }
}

impl CommandApdu {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            extended: false,
        }
    }
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Parses any ISO 7816-4 case, short or extended.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        if b.len() < 4 {
            return Err(ParseError::TooShort(b.len()));
        }
        let mut c = CommandApdu::new(b[0], b[1], b[2], b[3]);
        let body = &b[4..];
        match body.len() {
            0 => {}                                                              // case 1
            1 => c.le = Some(if body[0] == 0 { 256 } else { body[0] as usize }), // case 2S
            _ if body[0] != 0 => {
                let lc = body[0] as usize;
                if body.len() == 1 + lc {
                    c.data = body[1..].to_vec(); // case 3S
                } else if body.len() == 2 + lc {
                    c.data = body[1..1 + lc].to_vec(); // case 4S
                    let le = body[1 + lc];
                    c.le = Some(if le == 0 { 256 } else { le as usize });
                } else {
                    return Err(ParseError::LengthMismatch {
                        lc,
                        body: body.len(),
                    });
                }
            }
            3 => {
                // case 2E: 00 Le1 Le2
                c.extended = true;
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                c.le = Some(if le == 0 { 65536 } else { le });
            }
            n if n >= 3 => {
                c.extended = true;
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                if lc == 0 {
                    return Err(ParseError::ZeroExtendedLc);
                }
                if n == 3 + lc {
                    c.data = body[3..].to_vec(); // case 3E
                } else if n == 5 + lc {
                    c.data = body[3..3 + lc].to_vec(); // case 4E
                    let le = u16::from_be_bytes([body[3 + lc], body[4 + lc]]) as usize;
                    c.le = Some(if le == 0 { 65536 } else { le });
                } else {
                    return Err(ParseError::LengthMismatch { lc, body: n });
                }
            }
            n => return Err(ParseError::LengthMismatch { lc: 0, body: n }),
        }
        Ok(c)
    }

    /// Encodes the command. Short commands go through `apdu_core::Command`; the extended form is
    /// written here because apdu-core 0.4 writes extended lengths low byte first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let short = !self.extended && self.data.len() <= 255 && self.le.is_none_or(|l| l <= 256);
        if short {
            let le = self.le.map(|l| if l == 256 { 0 } else { l as u16 });
            let payload = (!self.data.is_empty()).then_some(self.data.as_slice());
            let cmd = apdu::core::Command {
                cla: self.cla,
                ins: self.ins,
                p1: self.p1,
                p2: self.p2,
                le,
                payload,
            };
            return Vec::from(cmd);
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2, 0];
        if !self.data.is_empty() {
            out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.extend_from_slice(&(if le >= 65536 { 0 } else { le as u16 }).to_be_bytes());
        }
        out
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ResponseApdu {
    pub data: Vec<u8>,
    pub sw: Sw,
}

impl ResponseApdu {
    pub fn ok(data: impl Into<Vec<u8>>) -> Self {
        ResponseApdu {
            data: data.into(),
            sw: Sw::OK,
        }
    }
    pub fn status(sw: Sw) -> Self {
        ResponseApdu {
            data: Vec::new(),
            sw,
        }
    }
    /// Splits raw response bytes; fewer than 2 bytes is not a response.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let r = apdu::core::Response::from(b);
        (b.len() >= 2).then(|| ResponseApdu {
            data: r.payload.to_vec(),
            sw: Sw(u16::from_be_bytes([r.trailer.0, r.trailer.1])),
        })
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.data.len() + 2);
        v.extend_from_slice(&self.data);
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case1() {
        let c = CommandApdu::parse(&[0x80, 0x5C, 0x00, 0x02]).unwrap();
        assert_eq!((c.data.len(), c.le), (0, None));
    }
    #[test]
    fn case2_short_le_zero_means_256() {
        let c = CommandApdu::parse(&[0x00, 0xB0, 0x95, 0x00, 0x00]).unwrap();
        assert_eq!(c.le, Some(256));
    }
    #[test]
    fn case3_and_4_short() {
        let c = CommandApdu::parse(&[0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56]).unwrap();
        assert_eq!((c.data, c.le), (vec![0x12, 0x34, 0x56], None));
        let c = CommandApdu::parse(&[0x00, 0xA4, 0x04, 0x00, 0x02, 0xAA, 0xBB, 0x00]).unwrap();
        assert_eq!((c.data, c.le), (vec![0xAA, 0xBB], Some(256)));
    }
    #[test]
    fn extended_cases() {
        let c = CommandApdu::parse(&[0x00, 0xB0, 0, 0, 0x00, 0x01, 0x00]).unwrap();
        assert_eq!((c.le, c.extended), (Some(256), true));
        let c = CommandApdu::parse(&[0x00, 0xB0, 0, 0, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(c.le, Some(65536));
        let c = CommandApdu::parse(&[0x80, 0x50, 0, 2, 0x00, 0x00, 0x02, 0xAA, 0xBB]).unwrap();
        assert_eq!((c.data.clone(), c.le), (vec![0xAA, 0xBB], None));
        let c =
            CommandApdu::parse(&[0x80, 0x50, 0, 2, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x10]).unwrap();
        assert_eq!((c.data.clone(), c.le), (vec![0xAA], Some(16)));
        assert_eq!(CommandApdu::parse(&c.to_bytes()).unwrap(), c);
    }
    #[test]
    fn malformed_is_6700() {
        for bad in [
            &[0x00u8][..],
            &[0, 0, 0],
            &[0, 0xB0, 0, 0, 5, 1],
            &[0, 0xB0, 0, 0, 0, 0],
            &[0, 0xB0, 0, 0, 0, 0, 0, 1],
        ] {
            let e = CommandApdu::parse(bad).unwrap_err();
            assert_eq!(e.sw(), Sw::WRONG_LENGTH, "{bad:02X?}");
        }
    }
    #[test]
    fn short_encoding_matches_iso_layout() {
        // Independent: the bytes docs/spec.md §3 writes for INITIALIZE FOR LOAD.
        let c = CommandApdu::new(0x80, 0x50, 0x00, 0x02)
            .with_data(vec![1; 11])
            .with_le(0x10);
        let b = c.to_bytes();
        assert_eq!(&b[..5], &[0x80, 0x50, 0x00, 0x02, 0x0B]);
        assert_eq!(b.len(), 5 + 11 + 1);
        assert_eq!(b[16], 0x10);
    }
}
