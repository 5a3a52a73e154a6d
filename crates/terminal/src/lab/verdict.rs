//! The verdict on the reader: named checks over what the card saw, each passed, failed or not
//! exercised (the scenario never gave the reader the chance to get it wrong). docs/reader-lab.md
//! lists the checks and what each one looks for.

use super::Exchange;
use crate::card::command::{Command, TxKind};
use crate::sw::Sw;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

/// A check of the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckName {
    NoDoubleDebit,
    DebitAfterInitialize,
    TtcNeverReused,
    StopsAfterRefusal,
    ReadsLimitAfterRefusal,
    PlausibleDateTime,
    WaitsForLateAnswers,
}

impl CheckName {
    pub const ALL: [CheckName; 7] = [
        CheckName::NoDoubleDebit,
        CheckName::DebitAfterInitialize,
        CheckName::TtcNeverReused,
        CheckName::StopsAfterRefusal,
        CheckName::ReadsLimitAfterRefusal,
        CheckName::PlausibleDateTime,
        CheckName::WaitsForLateAnswers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::NoDoubleDebit => "no-double-debit",
            CheckName::DebitAfterInitialize => "debit-after-initialize",
            CheckName::TtcNeverReused => "ttc-never-reused",
            CheckName::StopsAfterRefusal => "stops-after-refusal",
            CheckName::ReadsLimitAfterRefusal => "reads-limit-after-refusal",
            CheckName::PlausibleDateTime => "plausible-date-time",
            CheckName::WaitsForLateAnswers => "waits-for-late-answers",
        }
    }

    /// What the check asks of the reader.
    pub fn rule(self) -> &'static str {
        match self {
            CheckName::NoDoubleDebit => {
                "after a DEBIT with no answer, the next tap asks GET TRANSACTION PROOF or reads \
                 the counter (GET DATA DF36) before any new DEBIT from that terminal"
            }
            CheckName::DebitAfterInitialize => {
                "DEBIT FOR PURCHASE and CREDIT FOR LOAD come right after their INITIALIZE, with no \
                 command or power cycle between"
            }
            CheckName::TtcNeverReused => "a terminal never sends two DEBITs with one TTC",
            CheckName::StopsAfterRefusal => {
                "after 9401, 6985 or 6A81 the reader does not send the refused command again in \
                 the same tap"
            }
            CheckName::ReadsLimitAfterRefusal => {
                "after a purchase refused for the single-payment limit, the reader reads the limit \
                 (GET DATA 9F78) in that tap"
            }
            CheckName::PlausibleDateTime => {
                "DEBIT and CREDIT carry a valid BCD date and time within two days of the card's \
                 clock"
            }
            CheckName::WaitsForLateAnswers => {
                "after a late answer, the reader does not send the same command again (a re-send \
                 means it gave up waiting and retried)"
            }
        }
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    NotExercised(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass(_) => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::NotExercised(_) => "not exercised",
        }
    }
    pub fn detail(&self) -> &str {
        match self {
            Outcome::Pass(s) | Outcome::Fail(s) | Outcome::NotExercised(s) => s,
        }
    }
}

/// The verdict: every check, in [`CheckName::ALL`] order.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub scenario: String,
    pub taps: u32,
    pub commands: usize,
    pub injected: usize,
    pub checks: Vec<(CheckName, Outcome)>,
}

impl Verdict {
    pub fn failed(&self) -> bool {
        self.checks
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Fail(_)))
    }

    pub fn outcome(&self, c: CheckName) -> &Outcome {
        &self
            .checks
            .iter()
            .find(|(n, _)| *n == c)
            .expect("every check")
            .1
    }

    /// The verdict as JUnit XML: one test suite, one test case per check (a check not
    /// exercised is skipped).
    pub fn junit(&self) -> String {
        let fails = self
            .checks
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Fail(_)))
            .count();
        let skips = self
            .checks
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::NotExercised(_)))
            .count();
        let suite = xml(&format!("reader-lab {}", self.scenario));
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"reader-lab\" \
             tests=\"{n}\" failures=\"{fails}\" skipped=\"{skips}\">\n  <testsuite name=\"{suite}\" \
             tests=\"{n}\" failures=\"{fails}\" skipped=\"{skips}\">\n",
            n = self.checks.len()
        );
        for (c, o) in &self.checks {
            let _ = write!(
                s,
                "    <testcase classname=\"{suite}\" name=\"{}\">",
                c.as_str()
            );
            match o {
                Outcome::Pass(d) => {
                    let _ = write!(s, "<system-out>{}</system-out>", xml(d));
                }
                Outcome::Fail(d) => {
                    let _ = write!(
                        s,
                        "<failure message=\"{}\">{}</failure>",
                        xml(d),
                        xml(c.rule())
                    );
                }
                Outcome::NotExercised(d) => {
                    let _ = write!(s, "<skipped message=\"{}\"/>", xml(d));
                }
            }
            s.push_str("</testcase>\n");
        }
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verdict on the reader (scenario {}: {} tap(s), {} command(s), {} fault(s) injected): {}",
            self.scenario,
            self.taps,
            self.commands,
            self.injected,
            if self.failed() { "FAILED" } else { "passed" }
        )?;
        for (c, o) in &self.checks {
            writeln!(f, "  {:<13} {:<26} {}", o.label(), c.as_str(), o.detail())?;
        }
        Ok(())
    }
}

fn parsed(e: &Exchange) -> Option<Command> {
    let a = crate::apdu::CommandApdu::parse(&e.command).ok()?;
    Command::try_from(&a).ok()
}

fn name(e: &Exchange) -> &'static str {
    Command::name_of(&e.command).unwrap_or("(unknown command)")
}

fn sw(e: &Exchange) -> Option<Sw> {
    let a = e.answer.as_ref()?;
    (a.len() >= 2).then(|| Sw(u16::from_be_bytes([a[a.len() - 2], a[a.len() - 1]])))
}

/// The commands of one tap, by name.
fn tap_commands(ex: &[Exchange], tap: u32) -> String {
    ex.iter()
        .filter(|e| e.tap == tap)
        .map(name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal of the INITIALIZE before exchange `i` in its tap.
fn terminal_of(ex: &[Exchange], i: usize) -> Option<[u8; 6]> {
    ex[..i]
        .iter()
        .rev()
        .take_while(|e| e.tap == ex[i].tap)
        .find_map(|e| match parsed(e) {
            Some(Command::Initialize { term_id, .. }) => Some(term_id),
            _ => None,
        })
}

fn is_debit(e: &Exchange) -> bool {
    matches!(parsed(e), Some(Command::DebitForPurchase { .. }))
}

/// Judges the exchanges of one run.
pub fn judge(scenario: &str, ex: &[Exchange], now_unix: u64) -> Verdict {
    let checks = CheckName::ALL
        .iter()
        .map(|c| {
            let o = match c {
                CheckName::NoDoubleDebit => no_double_debit(ex),
                CheckName::DebitAfterInitialize => debit_after_initialize(ex),
                CheckName::TtcNeverReused => ttc_never_reused(ex),
                CheckName::StopsAfterRefusal => stops_after_refusal(ex),
                CheckName::ReadsLimitAfterRefusal => reads_limit(ex),
                CheckName::PlausibleDateTime => plausible_date_time(ex, now_unix),
                CheckName::WaitsForLateAnswers => waits_for_late(ex),
            };
            (*c, o)
        })
        .collect();
    Verdict {
        scenario: scenario.to_string(),
        taps: ex.iter().map(|e| e.tap).max().unwrap_or(0),
        commands: ex.len(),
        injected: ex.iter().filter(|e| e.injected.is_some()).count(),
        checks,
    }
}

fn no_double_debit(ex: &[Exchange]) -> Outcome {
    let mut resolved = Vec::new();
    for (i, e) in ex.iter().enumerate() {
        if !is_debit(e) || e.answer.is_some() {
            continue;
        }
        let term = terminal_of(ex, i);
        let lost = format!(
            "tap {}'s DEBIT FOR PURCHASE (command {}) got no answer",
            e.tap, e.seq
        );
        // The first later command that settles it: a proof or counter read, or a new DEBIT
        // from the same terminal.
        let mut verdict = None;
        for (j, l) in ex.iter().enumerate().skip(i + 1) {
            match parsed(l) {
                Some(Command::GetTransactionProof { .. }) => {
                    verdict = Some(Ok(format!(
                        "{lost}; tap {} asked GET TRANSACTION PROOF first",
                        l.tap
                    )));
                }
                Some(Command::GetData { tag: 0xDF36 }) => {
                    verdict = Some(Ok(format!(
                        "{lost}; tap {} read the counter (DF36) first",
                        l.tap
                    )));
                }
                Some(Command::DebitForPurchase { ttc, .. })
                    if term.is_none() || terminal_of(ex, j) == term =>
                {
                    verdict = Some(Err(format!(
                        "possible double debit: {lost}; tap {} sent DEBIT FOR PURCHASE (command {}, \
                         TTC {ttc}) without asking GET TRANSACTION PROOF or reading the counter \
                         first; tap {}'s commands: {}",
                        l.tap,
                        l.seq,
                        l.tap,
                        tap_commands(ex, l.tap)
                    )));
                }
                _ => {}
            }
            if verdict.is_some() {
                break;
            }
        }
        match verdict {
            Some(Err(f)) => return Outcome::Fail(f),
            Some(Ok(p)) => resolved.push(p),
            None => {
                return Outcome::NotExercised(format!(
                    "{lost}, and the reader did not come back to resolve it"
                ));
            }
        }
    }
    if resolved.is_empty() {
        Outcome::NotExercised("no DEBIT went unanswered".into())
    } else {
        Outcome::Pass(resolved.join("; "))
    }
}

fn debit_after_initialize(ex: &[Exchange]) -> Outcome {
    let mut n = 0;
    for (i, e) in ex.iter().enumerate() {
        let want = match parsed(e) {
            Some(Command::DebitForPurchase { .. }) => TxKind::Purchase,
            Some(Command::CreditForLoad { .. }) => TxKind::Load,
            _ => continue,
        };
        n += 1;
        let prev = i.checked_sub(1).map(|p| &ex[p]);
        let ok = prev.is_some_and(|p| {
            p.tap == e.tap
                && p.power == e.power
                && matches!(parsed(p), Some(Command::Initialize { kind, .. }) if kind == want)
                && sw(p) == Some(Sw::OK)
        });
        if !ok {
            return Outcome::Fail(format!(
                "tap {}: {} (command {}) came after {} instead of its INITIALIZE; tap {}'s \
                 commands: {}",
                e.tap,
                name(e),
                e.seq,
                prev.map_or("nothing", name),
                e.tap,
                tap_commands(ex, e.tap)
            ));
        }
    }
    if n == 0 {
        Outcome::NotExercised("no DEBIT or CREDIT was sent".into())
    } else {
        Outcome::Pass(format!("{n} DEBIT/CREDIT, each right after its INITIALIZE"))
    }
}

fn ttc_never_reused(ex: &[Exchange]) -> Outcome {
    let mut seen: HashMap<([u8; 6], u32), &Exchange> = HashMap::new();
    for (i, e) in ex.iter().enumerate() {
        let Some(Command::DebitForPurchase { ttc, .. }) = parsed(e) else {
            continue;
        };
        let term = terminal_of(ex, i).unwrap_or_default();
        if let Some(first) = seen.insert((term, ttc), e) {
            return Outcome::Fail(format!(
                "terminal {} sent TTC {ttc} twice: DEBIT FOR PURCHASE in tap {} (command {}) and \
                 in tap {} (command {})",
                hex::encode_upper(term),
                first.tap,
                first.seq,
                e.tap,
                e.seq
            ));
        }
    }
    if seen.is_empty() {
        Outcome::NotExercised("no DEBIT was sent".into())
    } else {
        Outcome::Pass(format!("{} DEBIT(s), every TTC new", seen.len()))
    }
}

const REFUSALS: [u16; 3] = [0x9401, 0x6985, 0x6A81];

fn stops_after_refusal(ex: &[Exchange]) -> Outcome {
    let mut refused = 0;
    for (i, e) in ex.iter().enumerate() {
        let Some(s) = sw(e).filter(|s| REFUSALS.contains(&s.0)) else {
            continue;
        };
        refused += 1;
        if let Some(again) = ex[i + 1..]
            .iter()
            .take_while(|l| l.tap == e.tap)
            .find(|l| l.command == e.command)
        {
            return Outcome::Fail(format!(
                "tap {}: {} (command {}) was refused {:04X} and sent again unchanged (command {}); \
                 tap {}'s commands: {}",
                e.tap,
                name(e),
                e.seq,
                s.0,
                again.seq,
                e.tap,
                tap_commands(ex, e.tap)
            ));
        }
    }
    if refused == 0 {
        Outcome::NotExercised("the card answered no 9401, 6985 or 6A81".into())
    } else {
        Outcome::Pass(format!("{refused} refusal(s), none retried"))
    }
}

fn reads_limit(ex: &[Exchange]) -> Outcome {
    let mut n = 0;
    for e in ex.iter().filter(|e| e.limit_refusal) {
        n += 1;
        let read = ex
            .iter()
            .filter(|l| l.tap == e.tap)
            .any(|l| matches!(parsed(l), Some(Command::GetData { tag: 0x9F78 })));
        if !read {
            return Outcome::Fail(format!(
                "tap {}: {} (command {}) was refused for the single-payment limit and the reader \
                 never read the limit (GET DATA 9F78) to show it; tap {}'s commands: {}",
                e.tap,
                name(e),
                e.seq,
                e.tap,
                tap_commands(ex, e.tap)
            ));
        }
    }
    if n == 0 {
        Outcome::NotExercised("no purchase was refused for the single-payment limit".into())
    } else {
        Outcome::Pass(format!("{n} limit refusal(s), the limit read each time"))
    }
}

fn bcd(b: u8) -> Option<u32> {
    let (h, l) = (b >> 4, b & 0x0F);
    (h < 10 && l < 10).then(|| u32::from(h) * 10 + u32::from(l))
}

/// Days since 1970-01-01 of a BCD date/time, if valid.
fn unix_of(date: &[u8; 4], time: &[u8; 3]) -> Option<u64> {
    let y = bcd(date[0])? * 100 + bcd(date[1])?;
    let (m, d) = (bcd(date[2])?, bcd(date[3])?);
    let (hh, mm, ss) = (bcd(time[0])?, bcd(time[1])?, bcd(time[2])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days from civil (proleptic Gregorian).
    let (y, m) = (i64::from(y), i64::from(m));
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(hh * 3600 + mm * 60 + ss);
    u64::try_from(secs).ok()
}

fn plausible_date_time(ex: &[Exchange], now: u64) -> Outcome {
    let mut n = 0;
    for e in ex {
        let (date, time) = match parsed(e) {
            Some(Command::DebitForPurchase { date, time, .. })
            | Some(Command::CreditForLoad { date, time, .. }) => (date, time),
            _ => continue,
        };
        n += 1;
        let shown = format!("{}-{}", hex::encode_upper(date), hex::encode_upper(time));
        match unix_of(&date, &time) {
            None => {
                return Outcome::Fail(format!(
                    "tap {}: {} (command {}) carries {shown}, not a valid BCD date and time",
                    e.tap,
                    name(e),
                    e.seq
                ));
            }
            Some(t) if t.abs_diff(now) > 2 * 86_400 => {
                return Outcome::Fail(format!(
                    "tap {}: {} (command {}) carries {shown}, {} day(s) from the card's clock",
                    e.tap,
                    name(e),
                    e.seq,
                    t.abs_diff(now) / 86_400
                ));
            }
            Some(_) => {}
        }
    }
    if n == 0 {
        Outcome::NotExercised("no DEBIT or CREDIT was sent".into())
    } else {
        Outcome::Pass(format!("{n} date(s) and time(s), all plausible"))
    }
}

fn waits_for_late(ex: &[Exchange]) -> Outcome {
    let mut n = 0;
    for (i, e) in ex.iter().enumerate() {
        let Some(ms) = e.late_ms else { continue };
        n += 1;
        if let Some(next) = ex
            .get(i + 1)
            .filter(|l| l.tap == e.tap && l.command == e.command)
        {
            return Outcome::Fail(format!(
                "tap {}: {} (command {}) was answered {ms} ms late and the reader sent it again \
                 (command {}): it gave up waiting",
                e.tap,
                name(e),
                e.seq,
                next.seq
            ));
        }
    }
    if n == 0 {
        Outcome::NotExercised("no answer was late".into())
    } else {
        Outcome::Pass(format!("{n} late answer(s), each waited for"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::command::Command;

    const TERM: [u8; 6] = [0, 0x11, 0x22, 0x33, 0x44, 0x55];

    fn ex(seq: u64, tap: u32, c: Command, answer: Option<&[u8]>) -> Exchange {
        Exchange {
            seq,
            tap,
            power: tap,
            command: c.to_apdu().to_bytes(),
            answer: answer.map(<[u8]>::to_vec),
            injected: None,
            late_ms: None,
            limit_refusal: false,
        }
    }

    fn init(seq: u64, tap: u32) -> Exchange {
        let c = Command::Initialize {
            kind: TxKind::Purchase,
            key_index: 1,
            amount: 700,
            term_id: TERM,
        };
        ex(seq, tap, c, Some(&[0x90, 0x00]))
    }

    fn debit(seq: u64, tap: u32, ttc: u32, answered: bool) -> Exchange {
        let c = Command::DebitForPurchase {
            ttc,
            date: [0x20, 0x26, 0x11, 0x30],
            time: [0x12, 0, 0],
            mac1: [0; 4],
        };
        ex(seq, tap, c, answered.then_some(&[0x90, 0x00][..]))
    }

    const NOW: u64 = 1_796_040_000;

    #[test]
    fn a_blind_retry_after_a_lost_debit_is_a_possible_double_debit() {
        let run = [
            init(1, 1),
            debit(2, 1, 1, false),
            init(3, 2),
            debit(4, 2, 2, true),
        ];
        let v = judge("t", &run, NOW);
        let Outcome::Fail(why) = v.outcome(CheckName::NoDoubleDebit) else {
            panic!("{v}");
        };
        assert!(
            why.contains("tap 1's DEBIT FOR PURCHASE (command 2) got no answer")
                && why.contains("tap 2 sent DEBIT FOR PURCHASE (command 4, TTC 2)")
                && why.contains("tap 2's commands: INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE"),
            "{why}"
        );
        assert!(v.failed());
        assert!(v.junit().contains("failures=\"1\""));
    }

    #[test]
    fn a_proof_before_the_next_debit_passes_and_no_loss_is_not_exercised() {
        let proof = Command::GetTransactionProof {
            tx_type: 6,
            counter: 1,
        };
        let run = [
            init(1, 1),
            debit(2, 1, 1, false),
            ex(3, 2, proof, Some(&[0x90, 0x00])),
            init(4, 2),
            debit(5, 2, 2, true),
        ];
        let v = judge("t", &run, NOW);
        assert!(
            matches!(v.outcome(CheckName::NoDoubleDebit), Outcome::Pass(_)),
            "{v}"
        );
        let v = judge("t", &[init(1, 1), debit(2, 1, 1, true)], NOW);
        assert!(
            matches!(
                v.outcome(CheckName::NoDoubleDebit),
                Outcome::NotExercised(_)
            ),
            "{v}"
        );
        assert!(
            matches!(v.outcome(CheckName::DebitAfterInitialize), Outcome::Pass(_)),
            "{v}"
        );
        assert!(!v.failed());
    }

    #[test]
    fn reused_ttc_debit_without_initialize_retried_refusal_and_odd_dates_fail() {
        let v = judge(
            "t",
            &[
                init(1, 1),
                debit(2, 1, 5, true),
                init(3, 2),
                debit(4, 2, 5, true),
            ],
            NOW,
        );
        assert!(
            matches!(v.outcome(CheckName::TtcNeverReused), Outcome::Fail(_)),
            "{v}"
        );
        let v = judge("t", &[debit(1, 1, 1, true)], NOW);
        assert!(
            matches!(v.outcome(CheckName::DebitAfterInitialize), Outcome::Fail(_)),
            "{v}"
        );
        let mut refused = init(1, 1);
        refused.answer = Some(vec![0x94, 0x01]);
        let mut again = init(2, 1);
        again.answer = Some(vec![0x94, 0x01]);
        let v = judge("t", &[refused, again], NOW);
        assert!(
            matches!(v.outcome(CheckName::StopsAfterRefusal), Outcome::Fail(_)),
            "{v}"
        );
        let v = judge("t", &[init(1, 1), debit(2, 1, 1, true)], NOW + 30 * 86_400);
        assert!(
            matches!(v.outcome(CheckName::PlausibleDateTime), Outcome::Fail(_)),
            "{v}"
        );
        let mut limit = init(1, 1);
        limit.answer = Some(vec![0x69, 0x85]);
        limit.limit_refusal = true;
        let v = judge("t", &[limit], NOW);
        assert!(
            matches!(
                v.outcome(CheckName::ReadsLimitAfterRefusal),
                Outcome::Fail(_)
            ),
            "{v}"
        );
    }

    #[test]
    fn dates_are_checked_against_the_clock() {
        // 2026-11-30 12:00:00 UTC.
        let t = unix_of(&[0x20, 0x26, 0x11, 0x30], &[0x12, 0, 0]).unwrap();
        assert_eq!(t, 1_796_040_000);
        assert!(unix_of(&[0x20, 0x26, 0x13, 0x01], &[0, 0, 0]).is_none());
        assert!(unix_of(&[0x20, 0x26, 0x01, 0x01], &[0x24, 0, 0]).is_none());
        assert!(unix_of(&[0x20, 0x2A, 0x01, 0x01], &[0, 0, 0]).is_none());
    }
}
