//! COMPREHENSION-TLV (ETSI TS 101 220 §7.1.1, used by TS 102 223 §8) and the single-byte
//! BER-TLV wrappers of the toolkit (`D0` proactive command, `D3` MENU SELECTION envelope).
//!
//! # Why a codec of our own
//!
//! The maintained ISO 7816 TLV crate (`iso7816-tlv`, checked at 0.4.4) implements ISO 7816-4
//! SIMPLE-TLV and BER-TLV only. COMPREHENSION-TLV is a different tag grammar:
//!
//! * bit 8 of a tag byte is the *comprehension required* flag, not part of the tag: `81` and
//!   `01` are the same object (COMMAND DETAILS). A BER codec treats them as two different tags
//!   (context-specific vs universal class);
//! * bit 6 (`0x20`) is part of the tag value, not the BER "constructed" flag, so a BER parser
//!   would try to parse e.g. tag `0x2D` (text attribute) as nested TLVs;
//! * `7F` introduces a three-byte tag (`7F` + CR bit + 15-bit value), unlike BER's `xF`
//!   multi-byte tags; `00`, `80` and `FF` are not valid first bytes.
//!
//! No crate on the registry offered COMPREHENSION-TLV, and the whole grammar is ~100 lines, so
//! this module implements both forms directly.
//!
//! # Lengths
//!
//! Lengths are coded as in TS 101 220 §7.1.2: one byte `00..7F`, or `81 xx`, `82 xxxx`,
//! `83 xxxxxx` (and `84 xxxxxxxx`, accepted for completeness). Output is always minimal; on
//! input a non-minimal length (e.g. `81 05`) is accepted and reported through
//! [`Tlv::minimal_length`] / [`BerTlv::minimal_length`]. A length that runs past the end of
//! the input is an error. Nothing in this module panics on malformed input.

/// Why bytes could not be parsed as TLV.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum TlvError {
    #[error("input ends inside a tag or length field")]
    Truncated,
    #[error("{0:02X} is not a valid COMPREHENSION-TLV tag byte")]
    InvalidTag(u8),
    #[error("{0:02X} is not a valid length byte (indefinite or over 4 bytes)")]
    InvalidLength(u8),
    #[error("length {length} runs past the end of the input ({available} bytes left)")]
    Overrun { length: usize, available: usize },
    #[error("expected BER-TLV tag {expected:02X}, found {found:02X}")]
    UnexpectedBerTag { expected: u8, found: u8 },
    #[error("BER-TLV tag {0:02X} is a multi-byte tag, not used by the toolkit")]
    MultiByteBerTag(u8),
    #[error("{0} unexpected bytes after the TLV")]
    TrailingBytes(usize),
}

/// A COMPREHENSION-TLV tag, with the comprehension-required flag split off.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tag {
    /// The tag value without the CR bit: `0x01..=0x7E` for the single-byte form,
    /// `0x0000..=0x7FFF` for the three-byte form.
    pub value: u16,
    /// The comprehension-required flag.
    pub cr: bool,
    /// Whether the tag was written in the three-byte (`7F`) form.
    pub three_byte: bool,
}

impl Tag {
    /// Whether this is the single-byte tag `value` (CR bit ignored).
    pub fn is(&self, value: u8) -> bool {
        !self.three_byte && self.value == u16::from(value)
    }
}

/// One COMPREHENSION-TLV data object, borrowing its value from the input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tlv<'a> {
    pub tag: Tag,
    pub value: &'a [u8],
    /// False when the input used a longer length form than needed (accepted, but noted).
    pub minimal_length: bool,
}

/// A single-byte-tag BER-TLV object (`D0`, `D3`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BerTlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub minimal_length: bool,
}

/// Appends a minimal length field.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    let bytes = (len as u64).to_be_bytes();
    let n = match len {
        0..=0x7F => {
            out.push(len as u8);
            return;
        }
        0x80..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFF_FFFF => 3,
        _ => 4,
    };
    out.push(0x80 | n as u8);
    out.extend_from_slice(&bytes[8 - n..]);
}

/// Parses a length field; returns (length, minimal, rest).
fn parse_length(input: &[u8]) -> Result<(usize, bool, &[u8]), TlvError> {
    let (&first, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    if first < 0x80 {
        return Ok((first as usize, true, rest));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 4 {
        return Err(TlvError::InvalidLength(first));
    }
    if rest.len() < n {
        return Err(TlvError::Truncated);
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    let minimal = match n {
        1 => len >= 0x80,
        _ => len >= 1 << (8 * (n - 1)),
    };
    Ok((len, minimal, &rest[n..]))
}

fn take_value(input: &[u8], len: usize) -> Result<(&[u8], &[u8]), TlvError> {
    if input.len() < len {
        return Err(TlvError::Overrun {
            length: len,
            available: input.len(),
        });
    }
    Ok(input.split_at(len))
}

/// Parses one COMPREHENSION-TLV object from the front of `input`; returns it and the rest.
pub fn parse_ctlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (&first, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    let (tag, rest) = match first {
        0x00 | 0x80 | 0xFF => return Err(TlvError::InvalidTag(first)),
        0x7F => {
            if rest.len() < 2 {
                return Err(TlvError::Truncated);
            }
            let tag = Tag {
                value: (u16::from(rest[0] & 0x7F) << 8) | u16::from(rest[1]),
                cr: rest[0] & 0x80 != 0,
                three_byte: true,
            };
            (tag, &rest[2..])
        }
        b => (
            Tag {
                value: u16::from(b & 0x7F),
                cr: b & 0x80 != 0,
                three_byte: false,
            },
            rest,
        ),
    };
    let (len, minimal_length, rest) = parse_length(rest)?;
    let (value, rest) = take_value(rest, len)?;
    Ok((
        Tlv {
            tag,
            value,
            minimal_length,
        },
        rest,
    ))
}

/// Parses a whole buffer as a sequence of COMPREHENSION-TLV objects.
pub fn parse_ctlvs(mut input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = parse_ctlv(input)?;
        out.push(tlv);
        input = rest;
    }
    Ok(out)
}

/// Appends a single-byte-tag COMPREHENSION-TLV object with the CR bit set (as docs/spec.md 1.1
/// writes them: `81`, `82`, `85`, `8D`, ...). `tag` is the value without the CR bit.
pub fn push_ctlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(0x80 | (tag & 0x7F));
    encode_length(value.len(), out);
    out.extend_from_slice(value);
}

/// Parses one single-byte-tag BER-TLV object from the front of `input`.
pub fn parse_ber(input: &[u8]) -> Result<(BerTlv<'_>, &[u8]), TlvError> {
    let (&tag, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    if tag & 0x1F == 0x1F {
        return Err(TlvError::MultiByteBerTag(tag));
    }
    let (len, minimal_length, rest) = parse_length(rest)?;
    let (value, rest) = take_value(rest, len)?;
    Ok((
        BerTlv {
            tag,
            value,
            minimal_length,
        },
        rest,
    ))
}

/// Parses `input` as exactly one BER-TLV object with tag `expected` and returns its value.
pub fn parse_ber_exact(input: &[u8], expected: u8) -> Result<&[u8], TlvError> {
    let (ber, rest) = parse_ber(input)?;
    if ber.tag != expected {
        return Err(TlvError::UnexpectedBerTag {
            expected,
            found: ber.tag,
        });
    }
    if !rest.is_empty() {
        return Err(TlvError::TrailingBytes(rest.len()));
    }
    Ok(ber.value)
}

/// Wraps `value` in a BER-TLV object with the single-byte tag `tag` (minimal length).
pub fn encode_ber(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    encode_length(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_bytes(n: usize) -> Vec<u8> {
        let mut v = Vec::new();
        encode_length(n, &mut v);
        v
    }

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(len_bytes(0), [0x00]);
        assert_eq!(len_bytes(0x7F), [0x7F]);
        assert_eq!(len_bytes(0x80), [0x81, 0x80]);
        assert_eq!(len_bytes(0xFF), [0x81, 0xFF]);
        assert_eq!(len_bytes(0x100), [0x82, 0x01, 0x00]);
        assert_eq!(len_bytes(0x1_0000), [0x83, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn cr_bit_is_split_off() {
        let (a, _) = parse_ctlv(&[0x81, 0x01, 0xAA]).unwrap();
        let (b, _) = parse_ctlv(&[0x01, 0x01, 0xAA]).unwrap();
        assert!(a.tag.cr && !b.tag.cr);
        assert!(a.tag.is(0x01) && b.tag.is(0x01));
        assert_eq!(a.value, b.value);
    }

    #[test]
    fn three_byte_tag() {
        let (t, rest) = parse_ctlv(&[0x7F, 0x81, 0x23, 0x00, 0x99]).unwrap();
        assert_eq!(
            t.tag,
            Tag {
                value: 0x0123,
                cr: true,
                three_byte: true
            }
        );
        assert!(t.value.is_empty());
        assert_eq!(rest, [0x99]);
        assert!(!t.tag.is(0x23));
    }

    #[test]
    fn non_minimal_length_accepted_and_noted() {
        let (t, rest) = parse_ctlv(&[0x85, 0x81, 0x02, 0x41, 0x42]).unwrap();
        assert_eq!(t.value, b"AB");
        assert!(!t.minimal_length);
        assert!(rest.is_empty());
        let (t, _) = parse_ctlv(&[0x85, 0x82, 0x00, 0x01, 0x41]).unwrap();
        assert!(!t.minimal_length);
        let mut long = vec![0x85, 0x81, 0x80];
        long.extend(std::iter::repeat_n(0x41, 0x80));
        let (t, _) = parse_ctlv(&long).unwrap();
        assert!(t.minimal_length);
        assert_eq!(t.value.len(), 0x80);
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(parse_ctlv(&[]), Err(TlvError::Truncated));
        assert_eq!(parse_ctlv(&[0x81]), Err(TlvError::Truncated));
        assert_eq!(parse_ctlv(&[0x81, 0x81]), Err(TlvError::Truncated));
        assert_eq!(parse_ctlv(&[0x7F, 0x01]), Err(TlvError::Truncated));
        assert_eq!(parse_ctlv(&[0x00, 0x00]), Err(TlvError::InvalidTag(0x00)));
        assert_eq!(parse_ctlv(&[0x80, 0x00]), Err(TlvError::InvalidTag(0x80)));
        assert_eq!(parse_ctlv(&[0xFF, 0x00]), Err(TlvError::InvalidTag(0xFF)));
        assert_eq!(
            parse_ctlv(&[0x81, 0x80]),
            Err(TlvError::InvalidLength(0x80))
        );
        assert_eq!(
            parse_ctlv(&[0x81, 0x85, 1, 1, 1, 1, 1]),
            Err(TlvError::InvalidLength(0x85))
        );
        assert_eq!(
            parse_ctlv(&[0x81, 0x03, 0x01, 0x25]),
            Err(TlvError::Overrun {
                length: 3,
                available: 2
            })
        );
        assert_eq!(
            parse_ctlv(&[0x81, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(TlvError::Overrun {
                length: 0xFFFF_FFFF,
                available: 0
            })
        );
    }

    #[test]
    fn ber_wrapper() {
        let v = encode_ber(0xD0, &[0x81, 0x00]);
        assert_eq!(v, [0xD0, 0x02, 0x81, 0x00]);
        assert_eq!(parse_ber_exact(&v, 0xD0).unwrap(), [0x81, 0x00]);
        assert_eq!(
            parse_ber_exact(&v, 0xD3),
            Err(TlvError::UnexpectedBerTag {
                expected: 0xD3,
                found: 0xD0
            })
        );
        assert_eq!(
            parse_ber_exact(&[0xD0, 0x00, 0x00], 0xD0),
            Err(TlvError::TrailingBytes(1))
        );
        assert_eq!(
            parse_ber(&[0xDF, 0x00]),
            Err(TlvError::MultiByteBerTag(0xDF))
        );
        let big = encode_ber(0xD0, &[0u8; 200]);
        assert_eq!(&big[..3], [0xD0, 0x81, 200]);
    }
}
