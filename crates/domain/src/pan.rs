//! Bank card numbers (PANs) as a POS handles them: checked with the Luhn check digit (ISO/IEC
//! 7812-1) when keyed, and masked wherever they are kept or shown — the first six digits (the
//! issuer identification number) and the last four in clear, the rest `*`.

use std::fmt;

/// A bank card number that passed the Luhn check: 12 to 19 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(String);

/// Why a keyed card number was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PanError {
    #[error("a bank card number is 12 to 19 digits, not {0} character(s)")]
    Length(usize),
    #[error("a bank card number has digits only")]
    NotDigits,
    #[error("the check digit does not match (Luhn): the number was keyed wrongly")]
    CheckDigit,
}

/// Whether the digits `d` pass the Luhn check (the last digit is the check digit).
pub fn luhn_ok(d: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in d.bytes().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

impl Pan {
    pub fn parse(s: &str) -> Result<Pan, PanError> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PanError::NotDigits);
        }
        if !(12..=19).contains(&s.len()) {
            return Err(PanError::Length(s.len()));
        }
        if !luhn_ok(s) {
            return Err(PanError::CheckDigit);
        }
        Ok(Pan(s.to_string()))
    }

    /// The number in clear, for the message to the acquirer only.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// First six, last four, `*` between: `622202*********3445`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any card number of 12 characters or more as [`Pan::masked`] does (one already masked
/// stays as it is); a shorter text is no card number and is kept as it is.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    if n < 12 {
        return s.to_string();
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { c } else { '*' })
        .collect()
}

/// Never the digits in clear.
impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_luhn_examples() {
        // The worked example of ISO/IEC 7812-1's check digit (Wikipedia "Luhn algorithm"):
        // 7992739871 has check digit 3.
        assert!(luhn_ok("79927398713"));
        for wrong in ["79927398710", "79927398711", "79927398714"] {
            assert!(!luhn_ok(wrong), "{wrong}");
        }
        // Card networks' published test numbers.
        for ok in ["4111111111111111", "5555555555554444", "378282246310005"] {
            assert!(Pan::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Pan::parse("4111111111111112"), Err(PanError::CheckDigit));
        assert_eq!(Pan::parse("abc"), Err(PanError::NotDigits));
        assert_eq!(Pan::parse("4111"), Err(PanError::Length(4)));
    }

    #[test]
    fn masked_first_six_last_four() {
        let p = Pan::parse("4111111111111111").unwrap();
        assert_eq!(p.masked(), "411111******1111");
        assert_eq!(
            format!("{p} {p:?}"),
            "411111******1111 Pan(411111******1111)"
        );
        assert_eq!(mask(&p.masked()), p.masked());
        assert_eq!(mask("6222"), "6222");
    }
}
