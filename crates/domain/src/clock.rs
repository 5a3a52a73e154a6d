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
    fn display_reads_the_bcd_digits() {
        assert_eq!(
            super::display(&[0x20, 0x12, 0x02, 0x29], &[0x13, 0x51, 0x00]),
            "2012-02-29 13:51:00"
        );
    }
}
