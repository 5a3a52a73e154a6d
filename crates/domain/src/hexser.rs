//! Serde helpers: byte strings as upper-case hex (spaces allowed on input, for readability).

use serde::{Deserialize, Deserializer, Serializer, de::Error};

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Decodes hex with spaces allowed; the error says what was wrong.
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    let t = clean(s);
    hex::decode(&t).map_err(|e| format!("`{s}` is not hex bytes ({e})"))
}

/// `Vec<u8>` as hex.
pub mod bytes {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        decode(&s).map_err(D::Error::custom)
    }
}

/// `[u8; N]` as hex of exactly N bytes.
pub mod array {
    use super::*;
    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        let v = decode(&s).map_err(D::Error::custom)?;
        let n = v.len();
        v.try_into()
            .map_err(|_| D::Error::custom(format!("`{s}` must be {N} bytes, got {n}")))
    }
}

/// `Vec<[u8; N]>` as a list of hex strings.
pub mod array_list {
    use super::*;
    use serde::ser::SerializeSeq;
    pub fn serialize<S: Serializer, const N: usize>(
        v: &[[u8; N]],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for a in v {
            seq.serialize_element(&hex::encode_upper(a))?;
        }
        seq.end()
    }
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<Vec<[u8; N]>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                let b = decode(s).map_err(D::Error::custom)?;
                let n = b.len();
                b.try_into()
                    .map_err(|_| D::Error::custom(format!("`{s}` must be {N} bytes, got {n}")))
            })
            .collect()
    }
}

/// `Vec<Vec<u8>>` as a list of hex strings.
pub mod bytes_list {
    use super::*;
    use serde::ser::SerializeSeq;
    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for a in v {
            seq.serialize_element(&hex::encode_upper(a))?;
        }
        seq.end()
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| decode(s).map_err(D::Error::custom))
            .collect()
    }
}
