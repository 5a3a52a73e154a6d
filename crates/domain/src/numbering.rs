//! docs/spec.md §7 (Bill payment): which phone numbers a bill can be paid for.
//!
//! The handbook says the number paid for must be a China Mobile number. Mainland mobile numbers
//! are 11 digits whose first three (sometimes four) digits, the network identifier, name the
//! operator the Ministry of Industry and Information Technology allocated them to (the
//! Telecommunications Network Numbering Plan, 电信网编号计划). [`PREFIXES`] is that allocation for
//! China Mobile as data, the one table the card's menu and the issuer's over-the-air gateway read;
//! the longest prefix that matches decides. The sources and the decisions (satellite `1349`,
//! resale `1703`/`1705`/`1706`, IoT `1440`, ported numbers) are in docs/spec.md §7.

/// Who holds the numbers under a prefix, as far as bill payment is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// China Mobile's own subscribers: their bills can be paid from the wallet.
    ChinaMobile,
    /// The satellite service (`1349`, allocated to China Satcom inside China Mobile's `134`).
    Satellite,
    /// A mobile virtual network operator reselling China Mobile's network (`1703`, `1705`,
    /// `1706`): the reseller bills the number, not China Mobile.
    Resale,
    /// China Mobile's Internet-of-Things numbers (`1440`): 13 digits, never an 11-digit phone
    /// number.
    Iot,
}

/// China Mobile's prefixes (MIIT allocation; docs/spec.md §7 cites the sources). The longest
/// prefix that matches a number decides; a number no row matches is another operator's.
#[rustfmt::skip]
pub const PREFIXES: &[(&str, Holder)] = &[
    ("134", Holder::ChinaMobile), // 1340-1348; 1349 below
    ("1349", Holder::Satellite),
    ("135", Holder::ChinaMobile),
    ("136", Holder::ChinaMobile),
    ("137", Holder::ChinaMobile),
    ("138", Holder::ChinaMobile),
    ("139", Holder::ChinaMobile),
    ("1440", Holder::Iot),
    ("147", Holder::ChinaMobile),
    ("150", Holder::ChinaMobile),
    ("151", Holder::ChinaMobile),
    ("152", Holder::ChinaMobile),
    ("157", Holder::ChinaMobile),
    ("158", Holder::ChinaMobile),
    ("159", Holder::ChinaMobile),
    ("1703", Holder::Resale),
    ("1705", Holder::Resale),
    ("1706", Holder::Resale),
    ("172", Holder::ChinaMobile),
    ("178", Holder::ChinaMobile),
    ("182", Holder::ChinaMobile),
    ("183", Holder::ChinaMobile),
    ("184", Holder::ChinaMobile),
    ("187", Holder::ChinaMobile),
    ("188", Holder::ChinaMobile),
    ("195", Holder::ChinaMobile),
    ("197", Holder::ChinaMobile),
    ("198", Holder::ChinaMobile),
];

/// Who holds `number` according to [`PREFIXES`] (`None`: not a China Mobile prefix at all).
pub fn holder(number: &str) -> Option<Holder> {
    PREFIXES
        .iter()
        .filter(|(p, _)| number.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, h)| *h)
}

/// Whether a bill can be paid for `number`: 11 digits under a China Mobile prefix.
pub fn bill_payable(number: &str) -> bool {
    number.len() == 11
        && number.bytes().all(|b| b.is_ascii_digit())
        && holder(number) == Some(Holder::ChinaMobile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_mobile_numbers_only() {
        for ok in [
            "13400000000",
            "13480000000",
            "13800138000",
            "13912345678",
            "14700000000",
            "15012345678",
            "15200000000",
            "15700000000",
            "15999999999",
            "17200000000",
            "17800000000",
            "18200000000",
            "18400000000",
            "18700000000",
            "18800000000",
            "19500000000",
            "19700000000",
            "19800000000",
        ] {
            assert!(bill_payable(ok), "{ok}");
        }
        for no in [
            // China Unicom, China Telecom, China Broadnet
            "13000000000",
            "13100000000",
            "13200000000",
            "13300000000",
            "15300000000",
            "15500000000",
            "15600000000",
            "18000000000",
            "18500000000",
            "18600000000",
            "18900000000",
            "19200000000",
            "19900000000",
            // satellite, resale, IoT, unallocated
            "13490000000",
            "17030000000",
            "17050000000",
            "17060000000",
            "17090000000",
            "14400000000",
            "14800000000",
            "16500000000",
            "17000000000",
            // not 11 digits
            "1380013800",
            "138001380000",
            "1380013800a",
            "",
        ] {
            assert!(!bill_payable(no), "{no}");
        }
        assert_eq!(holder("13490000000"), Some(Holder::Satellite));
        assert_eq!(holder("13480000000"), Some(Holder::ChinaMobile));
        assert_eq!(holder("17050000000"), Some(Holder::Resale));
        assert_eq!(holder("13000000000"), None);
    }

    /// Every prefix is 3 or 4 digits starting with `1`, and none is listed twice.
    #[test]
    fn the_table_is_well_formed() {
        for (i, (p, _)) in PREFIXES.iter().enumerate() {
            assert!((3..=4).contains(&p.len()) && p.starts_with('1'), "{p}");
            assert!(p.bytes().all(|b| b.is_ascii_digit()), "{p}");
            assert!(PREFIXES[..i].iter().all(|(q, _)| q != p), "{p} twice");
        }
    }
}
