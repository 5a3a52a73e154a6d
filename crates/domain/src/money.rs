//! Money: an amount in fen (0.01 CNY), the unit the purse counts in (docs/spec.md: "Amounts are
//! integers in fen"). One parser for what people type (`12.34` on a command line, `12*34` on a
//! phone keypad) and one printer for what they read (`12.34`, `12.34元`, `12.34 yuan`).

use std::fmt;
use std::str::FromStr;

/// An amount in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub u32);

/// Why a typed amount is not money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("no amount given")]
    Empty,
    #[error("an amount cannot be negative")]
    Negative,
    #[error("an amount is digits only (letters are not allowed)")]
    Letters,
    #[error("an amount is yuan with an optional point and fen, e.g. 12.34")]
    Malformed,
    #[error("an amount has at most two decimals (fen)")]
    TooManyDecimals,
    #[error("an amount can be at most 42949672.95 yuan")]
    TooLarge,
}

impl Fen {
    /// The largest amount the purse can count (4 bytes of fen).
    pub const MAX: Fen = Fen(u32::MAX);

    /// Yuan as written on a command line or in a file: `12.34`, `12.3`, `12`, `12.`.
    pub fn parse(s: &str) -> Result<Fen, MoneyError> {
        parse_with_point(s, &['.'])
    }

    /// Yuan as typed on a phone keypad in a GET INPUT "digits only" answer: the keypad has
    /// `0-9 * # +` but no point, so `*` is the decimal point (`50*01` = 50.01); a `.` is
    /// accepted too.
    pub fn parse_keypad(s: &str) -> Result<Fen, MoneyError> {
        parse_with_point(s, &['.', '*'])
    }

    /// The amount as typed on a keypad: `50*01`.
    pub fn keypad(self) -> String {
        format!("{}*{:02}", self.0 / 100, self.0 % 100)
    }

    /// As the Chinese menu shows it: `50.00元`.
    pub fn zh(self) -> String {
        format!("{self}元")
    }

    /// As the English menu shows it: `50.00 yuan`.
    pub fn en(self) -> String {
        format!("{self} yuan")
    }
}

fn parse_with_point(s: &str, points: &[char]) -> Result<Fen, MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    if s.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    if s.chars().any(|c| c.is_alphabetic()) {
        return Err(MoneyError::Letters);
    }
    let (int, frac) = match s.find(points) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(MoneyError::Malformed);
    }
    if frac.len() > 2 {
        return Err(MoneyError::TooManyDecimals);
    }
    let int = int.trim_start_matches('0');
    if int.len() > 8 {
        return Err(MoneyError::TooLarge);
    }
    let yuan: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| MoneyError::Malformed)?
    };
    let fen: u64 = match frac.len() {
        0 => 0,
        1 => u64::from(frac.as_bytes()[0] - b'0') * 10,
        _ => frac.parse().map_err(|_| MoneyError::Malformed)?,
    };
    u32::try_from(yuan * 100 + fen)
        .map(Fen)
        .map_err(|_| MoneyError::TooLarge)
}

impl FromStr for Fen {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        Fen::parse(s)
    }
}

/// `12.34`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}.{:02}", self.0 / 100, self.0 % 100))
    }
}

impl From<u32> for Fen {
    fn from(v: u32) -> Fen {
        Fen(v)
    }
}

impl From<Fen> for u32 {
    fn from(v: Fen) -> u32 {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_with_up_to_two_decimals() {
        assert_eq!(Fen::parse("12.34"), Ok(Fen(1234)));
        assert_eq!(Fen::parse("12.3"), Ok(Fen(1230)));
        assert_eq!(Fen::parse("12."), Ok(Fen(1200)));
        assert_eq!(Fen::parse("7"), Ok(Fen(700)));
        assert_eq!(Fen::parse("0"), Ok(Fen(0)));
        assert_eq!(Fen::parse("0.05"), Ok(Fen(5)));
        assert_eq!(Fen::parse("007.50"), Ok(Fen(750)));
        assert_eq!("1000.00".parse::<Fen>(), Ok(Fen(100_000)));
    }

    #[test]
    fn parses_the_keypad_form() {
        // docs/spec.md §1 menu: the keypad has no point; `*` stands for it.
        assert_eq!(Fen::parse_keypad("50*01"), Ok(Fen(5001)));
        assert_eq!(Fen::parse_keypad("0*5"), Ok(Fen(50)));
        assert_eq!(Fen::parse_keypad("50"), Ok(Fen(5000)));
        assert_eq!(Fen::parse_keypad("50.00"), Ok(Fen(5000)));
        // The command-line form does not take a star.
        assert_eq!(Fen::parse("50*01"), Err(MoneyError::Malformed));
    }

    #[test]
    fn refuses_bad_amounts_with_a_reason() {
        assert_eq!(Fen::parse(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Fen::parse("abc"), Err(MoneyError::Letters));
        assert_eq!(Fen::parse("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Fen::parse("1..2"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse(".5"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse("."), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse("#12"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse(" 12"), Err(MoneyError::Malformed));
        assert_eq!(Fen::parse_keypad("1*2*3"), Err(MoneyError::Malformed));
        // 2^32 - 1 fen = 42949672.95 yuan is the most a 4-byte amount holds.
        assert_eq!(Fen::parse("42949672.95"), Ok(Fen(u32::MAX)));
        assert_eq!(Fen::parse("42949672.96"), Err(MoneyError::TooLarge));
        assert_eq!(Fen::parse("99999999"), Err(MoneyError::TooLarge));
        assert_eq!(Fen::parse("123456789"), Err(MoneyError::TooLarge));
        assert_eq!(Fen::parse("99999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn prints_plain_and_menu_forms() {
        assert_eq!(Fen(1234).to_string(), "12.34");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(0).to_string(), "0.00");
        assert_eq!(Fen(u32::MAX).to_string(), "42949672.95");
        assert_eq!(format!("{:>8}", Fen(150)), "    1.50");
        assert_eq!(Fen(5000).zh(), "50.00元");
        assert_eq!(Fen(5000).en(), "50.00 yuan");
        assert_eq!(Fen(5001).keypad(), "50*01");
        assert_eq!(Fen::parse_keypad(&Fen(12_345).keypad()), Ok(Fen(12_345)));
    }
}
