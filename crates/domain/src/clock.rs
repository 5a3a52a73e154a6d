//! Dates and times stamped on transactions: the BCD `YYYYMMDD` / `HHMMSS` the purse, the PSAM
//! and the hosts exchange, a fixed or system clock, and the `"YYYYMMDD HHMMSS"` text form.

/// Date and time stamped on transactions: fixed (tests, vectors) or the system clock (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Fixed { date: [u8; 4], time: [u8; 3] },
    System,
}

impl Clock {
    /// The CLI's `--clock "YYYYMMDD HHMMSS"`; absent: the system clock.
    pub fn from_arg(arg: Option<&str>) -> Result<Clock, String> {
        match arg {
            Some(c) => {
                let (date, time) = parse_clock(c)?;
                Ok(Clock::Fixed { date, time })
            }
            None => Ok(Clock::System),
        }
    }

    pub fn now(&self) -> ([u8; 4], [u8; 3]) {
        match *self {
            Clock::Fixed { date, time } => (date, time),
            Clock::System => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                bcd_datetime(secs)
            }
        }
    }
}

/// BCD `YYYYMMDD`, `HHMMSS` (UTC) of a Unix time. Hand-written (days-to-civil conversion from
/// H. Hinnant's public-domain algorithm) because this is the only date arithmetic the crate
/// needs and a calendar crate would add far more than it saves.
pub fn bcd_datetime(unix: u64) -> ([u8; 4], [u8; 3]) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let b = |v: i64| (((v / 10 % 10) << 4) | (v % 10)) as u8;
    (
        [b(y / 100), b(y % 100), b(m), b(d)],
        [
            b((secs / 3600) as i64),
            b((secs / 60 % 60) as i64),
            b((secs % 60) as i64),
        ],
    )
}

/// The Unix time (UTC) of a BCD `YYYYMMDD` `HHMMSS`; `None` if a digit is not BCD or the date
/// or time is out of range. The inverse of [`bcd_datetime`] (H. Hinnant's days-from-civil).
pub fn unix_of(date: &[u8; 4], time: &[u8; 3]) -> Option<u64> {
    let dec = |b: u8| -> Option<i64> {
        let (h, l) = (b >> 4, b & 0x0F);
        (h < 10 && l < 10).then_some(i64::from(h * 10 + l))
    };
    let y = dec(date[0])? * 100 + dec(date[1])?;
    let (m, d) = (dec(date[2])?, dec(date[3])?);
    let (hh, mm, ss) = (dec(time[0])?, dec(time[1])?, dec(time[2])?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t = days * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(t).ok()
}

/// BCD date and time as people read them: `2026-11-22 12:00:00`.
pub fn display(date: &[u8; 4], time: &[u8; 3]) -> String {
    format!(
        "{:02X}{:02X}-{:02X}-{:02X} {:02X}:{:02X}:{:02X}",
        date[0], date[1], date[2], date[3], time[0], time[1], time[2]
    )
}

/// Parses `"YYYYMMDD HHMMSS"` into BCD.
pub fn parse_clock(s: &str) -> Result<([u8; 4], [u8; 3]), String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("clock `{s}` must be \"YYYYMMDD HHMMSS\""));
    }
    let b = hex::decode(&t).map_err(|e| e.to_string())?;
    Ok(([b[0], b[1], b[2], b[3]], [b[4], b[5], b[6]]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_of_inverts_bcd_datetime() {
        // 2012-02-29 13:51:00 UTC is 1330523460 (date -u -d '2012-02-29 13:51:00' +%s).
        let (d, t) = ([0x20, 0x12, 0x02, 0x29], [0x13, 0x51, 0x00]);
        assert_eq!(super::unix_of(&d, &t), Some(1_330_523_460));
        for u in [
            0u64,
            951_782_400,
            1_330_523_460,
            1_796_083_200,
            4_102_444_799,
        ] {
            let (d, t) = super::bcd_datetime(u);
            assert_eq!(super::unix_of(&d, &t), Some(u));
        }
        assert_eq!(super::unix_of(&[0x20, 0x26, 0x13, 0x01], &[0, 0, 0]), None);
        assert_eq!(
            super::unix_of(&[0x20, 0x26, 0x11, 0x30], &[0x24, 0, 0]),
            None
        );
        assert_eq!(super::unix_of(&[0x2A, 0x26, 0x11, 0x30], &[0, 0, 0]), None);
    }

    #[test]
    fn display_reads_the_bcd_digits() {
        assert_eq!(
            super::display(&[0x20, 0x12, 0x02, 0x29], &[0x13, 0x51, 0x00]),
            "2012-02-29 13:51:00"
        );
    }
}
