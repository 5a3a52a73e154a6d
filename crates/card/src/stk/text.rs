//! Toolkit text codings: the GSM 03.38 (3GPP TS 23.038) default alphabet and UCS2.
//!
//! Two places carry text (docs/spec.md 1.1):
//!
//! * **Alpha identifiers and item texts** (tags `85`, `8F`) have no DCS byte. They are either
//!   the GSM default alphabet unpacked (one septet per byte, bit 8 zero), or `80` followed by
//!   UCS2 big-endian (TS 102 221 annex A). [`decode_alpha`] also accepts the `81` and `82`
//!   compact UCS2 forms of annex A, and strips trailing `FF` padding as found in EF records.
//! * **TEXT STRING** (tag `8D`) starts with a data coding scheme byte: `04` = 8-bit data,
//!   which the toolkit uses for the GSM default alphabet unpacked; `08` = UCS2 big-endian.
//!   [`decode_text_string`] also accepts `00` (GSM 7-bit packed) and the `F x` DCS group.
//!
//! Encoding rules ([`encode_alpha`], [`encode_text_string`]): text the GSM default alphabet
//! (with its extension table) can express is sent in it, since every handset displays it. Other
//! text (Chinese) is sent as UCS2 when `ucs2_ok` (the handset's TERMINAL PROFILE says it
//! displays UCS2); otherwise it is sent in the GSM alphabet with every character it cannot
//! express replaced by `?` (the menu layer should pick the English labels for such handsets).
//! Characters outside the Basic Multilingual Plane are written as UTF-16 surrogate pairs.

/// Why bytes could not be decoded as toolkit text.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum TextError {
    #[error("byte {0:02X} is not a GSM default alphabet septet")]
    InvalidGsmByte(u8),
    #[error("UCS2 text has an odd number of bytes")]
    OddUcs2Length,
    #[error("compact UCS2 alpha identifier is shorter than its header says")]
    Truncated,
    #[error("data coding scheme {0:02X} is not supported")]
    UnsupportedDcs(u8),
}

/// DCS byte: GSM default alphabet, 7-bit packed.
pub const DCS_GSM7_PACKED: u8 = 0x00;
/// DCS byte: 8-bit data (the GSM default alphabet unpacked, one septet per byte).
pub const DCS_8BIT: u8 = 0x04;
/// DCS byte: UCS2 big-endian.
pub const DCS_UCS2: u8 = 0x08;

const ESC: u8 = 0x1B;

/// The GSM 03.38 default alphabet, indexed by septet. Index `0x1B` is the escape to the
/// extension table and is never produced or consumed as a character.
const GSM_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The default alphabet extension table (septets that follow `1B`).
const GSM_EXT: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// The septet(s) for `c` in the GSM default alphabet, or `None`.
fn gsm_septets(c: char) -> Option<([u8; 2], usize)> {
    if c != '\u{1B}'
        && let Some(i) = GSM_BASIC.iter().position(|&g| g == c)
    {
        return Some(([i as u8, 0], 1));
    }
    GSM_EXT
        .iter()
        .find(|&&(_, g)| g == c)
        .map(|&(s, _)| ([ESC, s], 2))
}

/// Whether every character of `s` is in the GSM default alphabet (or its extension table).
pub fn is_gsm(s: &str) -> bool {
    s.chars().all(|c| gsm_septets(c).is_some())
}

/// Encodes `s` in the GSM default alphabet, unpacked; unrepresentable characters become `?`.
pub fn encode_gsm_unpacked(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match gsm_septets(c) {
            Some((b, n)) => out.extend_from_slice(&b[..n]),
            None => out.push(0x3F),
        }
    }
    out
}

/// Decodes GSM default alphabet septets (one per byte). An escape followed by a septet the
/// extension table lacks shows the basic character (TS 23.038 §6.2.1.1); a trailing escape
/// is dropped.
fn decode_septets(septets: impl IntoIterator<Item = u8>) -> Result<String, TextError> {
    let mut out = String::new();
    let mut escaped = false;
    for s in septets {
        if s > 0x7F {
            return Err(TextError::InvalidGsmByte(s));
        }
        if escaped {
            escaped = false;
            match GSM_EXT.iter().find(|&&(e, _)| e == s) {
                Some(&(_, c)) => out.push(c),
                None if s == ESC => out.push(' '),
                None => out.push(GSM_BASIC[s as usize]),
            }
        } else if s == ESC {
            escaped = true;
        } else {
            out.push(GSM_BASIC[s as usize]);
        }
    }
    Ok(out)
}

/// Decodes the GSM default alphabet, unpacked (one septet per byte).
pub fn decode_gsm_unpacked(bytes: &[u8]) -> Result<String, TextError> {
    decode_septets(bytes.iter().copied())
}

/// Decodes the GSM default alphabet, 7-bit packed (TS 23.038 §6.1.2.1). A final `CR` septet
/// that only fills the last octet is padding and dropped.
pub fn decode_gsm_packed(bytes: &[u8]) -> Result<String, TextError> {
    let count = bytes.len() * 8 / 7;
    let mut septets = Vec::with_capacity(count);
    for i in 0..count {
        let bit = i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let mut v = u16::from(bytes[byte]) >> shift;
        if shift > 1 {
            v |= u16::from(bytes.get(byte + 1).copied().unwrap_or(0)) << (8 - shift);
        }
        septets.push((v & 0x7F) as u8);
    }
    if bytes.len().is_multiple_of(7) && septets.last() == Some(&0x0D) {
        septets.pop();
    }
    decode_septets(septets)
}

/// UCS2 big-endian (UTF-16BE for characters beyond the BMP).
pub fn encode_ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Decodes UCS2 big-endian; unpaired surrogates become U+FFFD.
pub fn decode_ucs2(bytes: &[u8]) -> Result<String, TextError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(TextError::OddUcs2Length);
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    Ok(char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect())
}

/// Encodes an alpha identifier or item text (no DCS byte): GSM default alphabet when it can
/// express `s`, else `80` + UCS2 when `ucs2_ok`, else GSM with `?` replacements.
pub fn encode_alpha(s: &str, ucs2_ok: bool) -> Vec<u8> {
    if !is_gsm(s) && ucs2_ok {
        let mut out = vec![0x80];
        out.extend(encode_ucs2(s));
        out
    } else {
        encode_gsm_unpacked(s)
    }
}

/// Decodes an alpha identifier or item text in any of the TS 102 221 annex A forms.
pub fn decode_alpha(bytes: &[u8]) -> Result<String, TextError> {
    match bytes.first() {
        None => Ok(String::new()),
        Some(0x80) => {
            let mut body = &bytes[1..];
            if !body.len().is_multiple_of(2) && body.last() == Some(&0xFF) {
                body = &body[..body.len() - 1];
            }
            while body.ends_with(&[0xFF, 0xFF]) {
                body = &body[..body.len() - 2];
            }
            decode_ucs2(body)
        }
        Some(0x81) => {
            let [_, n, base, ref rest @ ..] = *bytes else {
                return Err(TextError::Truncated);
            };
            decode_compact(n, u32::from(base) << 7, rest)
        }
        Some(0x82) => {
            let [_, n, hi, lo, ref rest @ ..] = *bytes else {
                return Err(TextError::Truncated);
            };
            decode_compact(n, u32::from(u16::from_be_bytes([hi, lo])), rest)
        }
        Some(_) => {
            let end = bytes.iter().rposition(|&b| b != 0xFF).map_or(0, |i| i + 1);
            decode_gsm_unpacked(&bytes[..end])
        }
    }
}

/// The `81`/`82` forms: `n` characters; a byte with bit 8 set is `base + (b & 7F)` in UCS2,
/// otherwise a GSM default alphabet septet.
fn decode_compact(n: u8, base: u32, rest: &[u8]) -> Result<String, TextError> {
    let chars = rest.get(..n as usize).ok_or(TextError::Truncated)?;
    let mut out = String::new();
    let mut gsm_run = Vec::new();
    for &b in chars {
        if b & 0x80 != 0 {
            out.push_str(&decode_gsm_unpacked(&gsm_run)?);
            gsm_run.clear();
            // The compact forms address UCS2 (the BMP). A code point past U+FFFE (out of range,
            // or U+FFFF, which UCS2 alpha fields use as padding and so cannot carry) becomes
            // U+FFFD, so what decodes here re-encodes to the same text (found by fuzzing).
            let cp = base + u32::from(b & 0x7F);
            let c = char::from_u32(cp)
                .filter(|_| cp < 0xFFFF)
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            out.push(c);
        } else {
            gsm_run.push(b);
        }
    }
    out.push_str(&decode_gsm_unpacked(&gsm_run)?);
    Ok(out)
}

/// Encodes a TEXT STRING value (DCS byte + text): `04` + GSM unpacked when the GSM alphabet
/// can express `s`, else `08` + UCS2 when `ucs2_ok`, else `04` + GSM with `?` replacements.
pub fn encode_text_string(s: &str, ucs2_ok: bool) -> Vec<u8> {
    if !is_gsm(s) && ucs2_ok {
        let mut out = vec![DCS_UCS2];
        out.extend(encode_ucs2(s));
        out
    } else {
        let mut out = vec![DCS_8BIT];
        out.extend(encode_gsm_unpacked(s));
        out
    }
}

/// Decodes a TEXT STRING value. An empty value (the "null text string") decodes to `""`.
pub fn decode_text_string(bytes: &[u8]) -> Result<String, TextError> {
    let Some((&dcs, text)) = bytes.split_first() else {
        return Ok(String::new());
    };
    // TS 23.038 §4: general data coding group 00xx (uncompressed only) or group 1111.
    let alphabet = match dcs {
        d if d & 0xE0 == 0x00 => (d >> 2) & 0x03,
        d if d & 0xF0 == 0xF0 => (d >> 2) & 0x01,
        d => return Err(TextError::UnsupportedDcs(d)),
    };
    match alphabet {
        0 => decode_gsm_packed(text),
        1 => decode_gsm_unpacked(text),
        2 => decode_ucs2(text),
        _ => Err(TextError::UnsupportedDcs(dcs)),
    }
}

#[cfg(test)]
pub(crate) fn pack_septets(septets: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; (septets.len() * 7).div_ceil(8)];
    for (i, &s) in septets.iter().enumerate() {
        let bit = i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        out[byte] |= s << shift;
        if shift > 1 {
            out[byte + 1] |= s >> (8 - shift);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_table_is_a_bijection() {
        for (i, &c) in GSM_BASIC.iter().enumerate() {
            if i != ESC as usize {
                assert_eq!(gsm_septets(c), Some(([i as u8, 0], 1)), "{c:?}");
            }
        }
        assert_eq!(gsm_septets('\u{1B}'), None);
        assert_eq!(gsm_septets('€'), Some(([0x1B, 0x65], 2)));
    }

    #[test]
    fn english_alpha_is_gsm() {
        assert_eq!(encode_alpha("My Wallet", true), b"My Wallet");
        assert_eq!(encode_alpha("@£$", false), [0x00, 0x01, 0x02]);
        assert_eq!(
            encode_alpha("a{€}", true),
            [0x61, 0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29]
        );
        assert_eq!(
            decode_alpha(&[0x61, 0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29]).unwrap(),
            "a{€}"
        );
        assert_eq!(decode_alpha(b"Top Up\xFF\xFF").unwrap(), "Top Up");
    }

    #[test]
    fn chinese_alpha_is_ucs2_with_80() {
        assert_eq!(
            encode_alpha("手机钱包", true),
            [0x80, 0x62, 0x4B, 0x67, 0x3A, 0x94, 0xB1, 0x53, 0x05]
        );
        assert_eq!(
            decode_alpha(&[0x80, 0x62, 0x4B, 0x67, 0x3A, 0x94, 0xB1, 0x53, 0x05]).unwrap(),
            "手机钱包"
        );
        // Padding as found in EF records.
        assert_eq!(
            decode_alpha(&[0x80, 0x62, 0x4B, 0xFF, 0xFF, 0xFF]).unwrap(),
            "手"
        );
        // Without UCS2 the text degrades to GSM '?'.
        assert_eq!(encode_alpha("钱包 A", false), b"?? A");
        // Mixed text that is not all GSM goes UCS2 as a whole.
        assert_eq!(encode_alpha("A钱", true), [0x80, 0x00, 0x41, 0x94, 0xB1]);
    }

    #[test]
    fn compact_ucs2_forms_decode() {
        // 81 form: base = byte << 7; 我 = U+6211 = 0x6200 + 0x11, 0x6200 >> 7 = 0xC4.
        assert_eq!(
            decode_alpha(&[0x81, 0x02, 0xC4, 0x91, 0x41]).unwrap(),
            "我A"
        );
        // 82 form: 16-bit base.
        assert_eq!(
            decode_alpha(&[0x82, 0x03, 0x53, 0x00, 0x85, 0x20, 0x85]).unwrap(),
            "包 包"
        );
        assert_eq!(
            decode_alpha(&[0x81, 0x05, 0x00, 0x41]),
            Err(TextError::Truncated)
        );
        assert_eq!(decode_alpha(&[0x82, 0x01, 0x00]), Err(TextError::Truncated));
        // Fuzzer find: a base of FFFF reaches past UCS2; such characters decode to U+FFFD.
        assert_eq!(
            decode_alpha(&[0x82, 0x02, 0xFF, 0xFF, 0x80, 0x81]).unwrap(),
            "\u{FFFD}\u{FFFD}"
        );
        assert_eq!(
            decode_alpha(&[0x82, 0x01, 0xFF, 0x80, 0xFF]).unwrap(),
            "\u{FFFD}"
        );
        assert_eq!(decode_alpha(&[0x81]), Err(TextError::Truncated));
    }

    #[test]
    fn malformed_alpha() {
        assert_eq!(decode_alpha(&[0x80, 0x62]), Err(TextError::OddUcs2Length));
        assert_eq!(
            decode_alpha(&[0x41, 0x90, 0x41]),
            Err(TextError::InvalidGsmByte(0x90))
        );
        assert_eq!(decode_alpha(&[]).unwrap(), "");
        assert_eq!(decode_alpha(&[0x80]).unwrap(), "");
    }

    #[test]
    fn text_strings() {
        assert_eq!(encode_text_string("123456", true), b"\x04123456");
        assert_eq!(decode_text_string(b"\x04123456").unwrap(), "123456");
        let t = encode_text_string("请输入操作密码", true);
        assert_eq!(
            t,
            [
                0x08, 0x8B, 0xF7, 0x8F, 0x93, 0x51, 0x65, 0x64, 0xCD, 0x4F, 0x5C, 0x5B, 0xC6, 0x78,
                0x01
            ]
        );
        assert_eq!(decode_text_string(&t).unwrap(), "请输入操作密码");
        assert_eq!(decode_text_string(&[]).unwrap(), "");
        assert_eq!(decode_text_string(&[0x04]).unwrap(), "");
        assert_eq!(
            decode_text_string(&[0x08, 0x00]),
            Err(TextError::OddUcs2Length)
        );
        assert_eq!(
            decode_text_string(&[0x24, 0x41]),
            Err(TextError::UnsupportedDcs(0x24))
        );
        assert_eq!(
            decode_text_string(&[0x0C, 0x41]),
            Err(TextError::UnsupportedDcs(0x0C))
        );
        assert_eq!(decode_text_string(&[0xF4, 0x41]).unwrap(), "A");
        assert_eq!(
            decode_text_string(&[0x04, 0x80]),
            Err(TextError::InvalidGsmByte(0x80))
        );
    }

    #[test]
    fn packed_gsm() {
        // "hellohello" packed, TS 23.038 classic example: E8 32 9B FD 46 97 D9 EC 37.
        let packed = [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37];
        assert_eq!(decode_gsm_packed(&packed).unwrap(), "hellohello");
        let mut dcs = vec![DCS_GSM7_PACKED];
        dcs.extend(packed);
        assert_eq!(decode_text_string(&dcs).unwrap(), "hellohello");
        // Seven septets in 7 bytes would leave a CR pad as the 8th.
        let seven = encode_gsm_unpacked("1234567");
        let mut padded = seven.clone();
        padded.push(0x0D);
        assert_eq!(pack_septets(&padded).len(), 7);
        assert_eq!(
            decode_gsm_packed(&pack_septets(&padded)).unwrap(),
            "1234567"
        );
        // Without the pad the spare bits read as a final '@' (the ambiguity the CR pad avoids).
        assert_eq!(
            decode_gsm_packed(&pack_septets(&seven)).unwrap(),
            "1234567@"
        );
    }

    #[test]
    fn ucs2_beyond_bmp_uses_surrogates() {
        let e = encode_alpha("😀", true);
        assert_eq!(e, [0x80, 0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(decode_alpha(&e).unwrap(), "😀");
        assert_eq!(decode_ucs2(&[0xD8, 0x3D]).unwrap(), "\u{FFFD}");
    }
}
