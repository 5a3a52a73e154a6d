//! The error catalogue (docs/spec.md §6).
//!
//! Every status word the wallet card returns and every failure the terminal side reports has a
//! stable code, a one-line meaning in English and Chinese, the likely cause and what to do, in
//! the style of a field troubleshooting manual.
//!
//! Codes come in three shapes:
//! - a concrete status word, `9302`;
//! - a status-word pattern whose `x` digits vary, `63Cx` (tries left), `6Cxx` (the right Le),
//!   `91xx` (length of the pending proactive command);
//! - a terminal-side code with a prefix: `P-` POS/PSAM/reader, `H-` issuer, acquirer and
//!   clearing hosts, `V-` conformance vectors, `I-` card images and profiles. These are the
//!   [`Code`] enum; each variant's entry comes from an exhaustive match ([`Code::entry`]), so a
//!   code cannot exist without its entry. A failure is explained by a [`Reason`]: a status word
//!   or a [`Code`].
//!
//! [`lookup`] finds catalogue entries by code; [`for_sw`] explains any status word at all,
//! falling back to a generic entry for its ISO 7816-4 SW1 group; [`render_for`] fills in the
//! concrete value of a pattern (e.g. "2 tries left").

use crate::sw::Sw;

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `"9302"`, `"63Cx"`, `"6Cxx"`, `"91xx"`, or a terminal-side code like `"P-DIGEST"`.
    pub code: &'static str,
    /// One-line meaning, English.
    pub en: &'static str,
    /// One-line meaning, Chinese.
    pub zh: &'static str,
    /// Likely cause.
    pub cause: &'static str,
    /// What to do.
    pub remedy: &'static str,
}

const fn e(
    code: &'static str,
    en: &'static str,
    zh: &'static str,
    cause: &'static str,
    remedy: &'static str,
) -> Entry {
    Entry {
        code,
        en,
        zh,
        cause,
        remedy,
    }
}

mod codes;
pub mod faq;
mod status;
#[cfg(test)]
mod tests;

use status::*;

macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// A catalogue code for a failure outside the card: `P-` POS, PSAM and reader, `H-`
        /// issuer, acquirer and clearing hosts, `V-` conformance vectors, `I-` card images and
        /// profiles. Status words are [`Sw`]; [`Reason`] is either.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $v,)*
        }

        impl Code {
            /// Every code, in catalogue order (generated from the same list as the enum, so it
            /// cannot miss one).
            pub const ALL: &'static [Code] = &[$(Code::$v,)*];

            /// The code as printed and as written in vectors: `"P-DIGEST"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$v => $s,)*
                }
            }
        }
    };
}

codes! {
    /// The PSAM rejected the card's MAC2 after the card debited.
    PDigest = "P-DIGEST",
    /// The card's answer was lost.
    PNoResponse = "P-NO-RESPONSE",
    /// A sale whose DEBIT answer was lost was completed from GET TRANSACTION PROOF.
    PTornRecovered = "P-TORN-RECOVERED",
    /// The PSAM answered an error.
    PPsam = "P-PSAM",
    /// The reader or the link to it failed, or the card answered something malformed.
    PReader = "P-READER",
    /// The vpcd reader slot `serve` was pointed at already has a card served.
    PSlotTaken = "P-SLOT-TAKEN",
    /// Another process holds the terminal's home.
    PTerminalBusy = "P-TERMINAL-BUSY",
    /// The terminal's home cannot be used (missing, damaged, another termID, a moved option).
    PTerminal = "P-TERMINAL",
    /// A bank card number or bank PIN keyed at the POS is not well formed.
    PBankCard = "P-BANK-CARD",
    /// The wallet cannot take this load: refused before the bank card is charged.
    PLoadRefused = "P-LOAD-REFUSED",
    /// No transaction in the terminal's journal matches a reprint or a lookup.
    PNotFound = "P-NOT-FOUND",
    /// The card's application is past its expiry date: the POS refuses the sale.
    PExpired = "P-EXPIRED",
    /// The sale was already refunded at this terminal.
    PRefunded = "P-REFUNDED",
    /// A refund's amount is more than the sale's (or zero).
    PRefundAmount = "P-REFUND-AMOUNT",
    /// The card presented is not the card of the transaction.
    PWrongCard = "P-WRONG-CARD",
    /// The terminal has never signed in (签到): it refuses to work until it does.
    PSignIn = "P-SIGN-IN",
    /// The card has no key of the index the terminal uses (`9403`): the terminal's key version
    /// is out of date (the issuer rolled the key and the terminal has not signed in since).
    PKeyVersion = "P-KEY-VERSION",
    /// The issuer host rejected the card's load MAC1 (or has no key for its index).
    HMac1 = "H-MAC1",
    /// The issuer refused a load under a key version it has retired (a key rollover).
    HKeyRetired = "H-KEY-RETIRED",
    /// The issuer or acquirer host cannot be reached.
    HUnreachable = "H-UNREACHABLE",
    /// A reversal could not be delivered and is queued.
    HReversalPending = "H-REVERSAL-PENDING",
    /// A reversal failed the configured number of tries and waits for a person.
    HReversalManual = "H-REVERSAL-MANUAL",
    /// The host did not answer within the terminal's time-out, on every try.
    HTimeout = "H-TIMEOUT",
    /// The clearing host found the record's TAC invalid.
    HTac = "H-TAC",
    /// The clearing host already holds this record.
    HDuplicate = "H-DUPLICATE",
    /// The acquirer declined the charge.
    HDeclined = "H-DECLINED",
    /// The acquirer already holds a charge with this id for another card or amount.
    HConflict = "H-CONFLICT",
    /// An over-the-air request or answer could not be decoded.
    HOta = "H-OTA",
    /// A record the clearing host rejected is not resolved yet.
    HRejected = "H-REJECTED",
    /// A card's balance differs from its shadow balance by more than the named records explain.
    HUnexplained = "H-UNEXPLAINED",
    /// The issuer refused a refund: it holds one of that sale already, or the request does not
    /// match the sale.
    HRefundRefused = "H-REFUND-REFUSED",
    /// The service desk refused: the holder's name or ID number differs from the card's.
    HHolder = "H-HOLDER",
    /// A lost phone's wallet: the handbook's rule is not reported, not recovered.
    HNotReported = "H-NOT-REPORTED",
    /// Another process holds the service desk's home.
    HDeskBusy = "H-DESK-BUSY",
    /// A vector step's response data differs.
    VMismatch = "V-MISMATCH",
    /// A vector step's status word differs.
    VSw = "V-SW",
    /// A vector file is malformed.
    VFormat = "V-FORMAT",
    /// A vector file exceeds one of the runner's limits (file size, hex string length, repeat
    /// count or nesting, expanded steps, transcript size, run time).
    VLimit = "V-LIMIT",
    /// The card in the reader is not in the state a vector needs (not freshly personalised).
    VState = "V-STATE",
    /// A card image cannot be loaded or saved.
    IImage = "I-IMAGE",
    /// Another process holds the card image.
    IBusy = "I-BUSY",
    /// A card image, a database or another file could not be written to storage.
    IStorage = "I-STORAGE",
    /// A database or a row in it cannot be read back.
    IDamaged = "I-DAMAGED",
    /// A personalisation profile is invalid.
    IProfile = "I-PROFILE",
    /// A `--fault` that is malformed, out of reach or for a layer the command does not reach.
    IFault = "I-FAULT",
    /// A reader-lab scenario file is malformed, names an unknown card profile, or schedules a
    /// fault that can never fire.
    IScenario = "I-SCENARIO",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a catalogue code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an error-catalogue code (known codes: {known})", known = known_codes())]
pub struct UnknownCode(pub String);

fn known_codes() -> String {
    Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for Code {
    type Err = UnknownCode;
    /// Case-insensitive, surrounding spaces ignored: `"p-digest"` is [`Code::PDigest`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

/// What a failure is explained by: the card's status word or a catalogue code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Sw(Sw),
    Code(Code),
}

impl Reason {
    /// The entry explaining this reason ([`for_sw`] for a status word).
    pub fn entry(self) -> Entry {
        match self {
            Reason::Sw(sw) => for_sw(sw),
            Reason::Code(c) => c.entry(),
        }
    }

    /// Multi-line explanation; a status word pattern gets its variable part filled in.
    pub fn render(self) -> String {
        match self {
            Reason::Sw(sw) => render_for(sw),
            Reason::Code(c) => c.entry().render(),
        }
    }

    /// The catalogue code, if this is not a status word.
    pub fn code(self) -> Option<Code> {
        match self {
            Reason::Code(c) => Some(c),
            Reason::Sw(_) => None,
        }
    }

    /// The status word, if this is one.
    pub fn sw(self) -> Option<Sw> {
        match self {
            Reason::Sw(sw) => Some(sw),
            Reason::Code(_) => None,
        }
    }
}

impl From<Sw> for Reason {
    fn from(sw: Sw) -> Self {
        Reason::Sw(sw)
    }
}

impl From<Code> for Reason {
    fn from(c: Code) -> Self {
        Reason::Code(c)
    }
}

impl PartialEq<Code> for Reason {
    fn eq(&self, other: &Code) -> bool {
        *self == Reason::Code(*other)
    }
}

impl PartialEq<Sw> for Reason {
    fn eq(&self, other: &Sw) -> bool {
        *self == Reason::Sw(*other)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Sw(sw) => write!(f, "{sw}"),
            Reason::Code(c) => f.write_str(c.as_str()),
        }
    }
}

impl std::str::FromStr for Reason {
    type Err = String;
    /// A status word (`"9302"`, `"93 02"`, `"0x9302"`) or a catalogue code (`"P-DIGEST"`,
    /// case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t.as_str());
        if t.len() == 4
            && let Ok(v) = u16::from_str_radix(t, 16)
        {
            return Ok(Reason::Sw(Sw(v)));
        }
        t.parse::<Code>().map(Reason::Code).map_err(|_| {
            format!("`{s}` is not a status word (4 hex digits) or an error-catalogue code")
        })
    }
}

/// The whole catalogue: every status word the card returns, then every [`Code`].
/// (The generic per-class fallbacks of [`for_sw`] are not part of it.)
pub fn all() -> Vec<Entry> {
    sw_entries()
        .iter()
        .copied()
        .chain(Code::ALL.iter().map(|c| c.entry()))
        .collect()
}

/// The status-word part of the catalogue: concrete status words and patterns like `63Cx`.
pub fn sw_entries() -> &'static [Entry] {
    CATALOGUE
}

fn is_sw_code(code: &str) -> bool {
    code.len() == 4
        && code
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b.eq_ignore_ascii_case(&b'x'))
}

fn is_pattern(code: &str) -> bool {
    is_sw_code(code) && code.bytes().any(|b| b.eq_ignore_ascii_case(&b'x'))
}

/// `hex` is 4 upper-case hex digits; `x` in `code` matches any digit.
fn pattern_matches(code: &str, hex: &str) -> bool {
    code.len() == hex.len()
        && code
            .bytes()
            .zip(hex.bytes())
            .all(|(c, h)| c.eq_ignore_ascii_case(&b'x') || c.eq_ignore_ascii_case(&h))
}

fn find_sw(hex: &str) -> Option<&'static Entry> {
    CATALOGUE
        .iter()
        .find(|e| is_sw_code(e.code) && !is_pattern(e.code) && e.code.eq_ignore_ascii_case(hex))
        .or_else(|| {
            CATALOGUE
                .iter()
                .find(|e| is_pattern(e.code) && pattern_matches(e.code, hex))
        })
}

/// Looks up a catalogue entry by code: `"9302"`, `"93 02"`, `"0x9302"`, `"63C2"` (matches the
/// `63Cx` pattern entry), `"63Cx"`, `"p-digest"` (case-insensitive). Status words the catalogue
/// does not list give `None`; use [`for_sw`] to get a generic explanation for those.
pub fn lookup(code: &str) -> Option<Entry> {
    let t: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t.as_str());
    if t.is_empty() {
        return None;
    }
    if let Ok(c) = t.parse::<Code>() {
        return Some(c.entry());
    }
    if let Some(e) = CATALOGUE.iter().find(|e| e.code.eq_ignore_ascii_case(t)) {
        return Some(*e);
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return find_sw(&t.to_ascii_uppercase()).copied();
    }
    None
}

/// What a phrase was found in: a catalogue entry or a handbook entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Entry(Entry),
    Faq(&'static faq::Faq),
}

impl Found {
    /// The entry's code or the handbook entry's name.
    pub fn name(&self) -> &'static str {
        match self {
            Found::Entry(e) => e.code,
            Found::Faq(f) => f.name,
        }
    }

    /// Multi-line explanation ([`Entry::render`], [`faq::Faq::render`]).
    pub fn render(&self) -> String {
        match self {
            Found::Entry(e) => e.render(),
            Found::Faq(f) => f.render(),
        }
    }
}

/// Every catalogue entry ([`all`]) and handbook entry ([`faq::FAQ`]) that mentions `phrase`:
/// case-insensitive substring match over codes and names, meanings (English and Chinese),
/// causes and remedies, questions and answers; handbook entries first (they are written for
/// people), then catalogue entries in catalogue order.
/// A blank phrase finds nothing.
pub fn search(phrase: &str) -> Vec<Found> {
    let p = phrase.trim().to_lowercase();
    if p.is_empty() {
        return Vec::new();
    }
    let hit = |t: &str| t.to_lowercase().contains(&p);
    let entries = all()
        .into_iter()
        .filter(|e| {
            [e.code, e.en, e.zh, e.cause, e.remedy]
                .iter()
                .any(|t| hit(t))
        })
        .map(Found::Entry);
    let faqs = faq::FAQ
        .iter()
        .filter(|f| f.texts().iter().any(|t| hit(t)))
        .map(Found::Faq);
    faqs.chain(entries).collect()
}

/// Explains any status word: its catalogue entry, or a generic "unknown status word" entry
/// naming its ISO 7816-4 SW1 group.
pub fn for_sw(sw: Sw) -> Entry {
    if let Some(e) = find_sw(&format!("{:04X}", sw.0)) {
        return *e;
    }
    let sw1 = sw.sw1();
    if let Some((_, e)) = GENERIC.iter().find(|(b, _)| *b == sw1) {
        return *e;
    }
    if (0x91..=0x9F).contains(&sw1) {
        GENERIC_APP
    } else {
        GENERIC_INVALID
    }
}

/// The meaning of `entry` with the variable part of a pattern filled in from `sw`.
fn meaning_for(entry: &Entry, sw: Sw) -> (String, String) {
    let x = sw.sw2();
    match entry.code {
        "63Cx" => {
            let n = x & 0x0F;
            match n {
                0 => (
                    "wrong password, no tries left (now locked)".into(),
                    "密码错误，已无重试机会（密码已锁定）".into(),
                ),
                1 => (
                    "wrong password, 1 try left".into(),
                    "密码错误，还剩1次机会".into(),
                ),
                _ => (
                    format!("wrong password, {n} tries left"),
                    format!("密码错误，还剩{n}次机会"),
                ),
            }
        }
        "6Cxx" => {
            let len = if x == 0 { 256 } else { usize::from(x) };
            (
                format!("wrong Le: resend with Le = {x:02X} ({len} bytes available)"),
                format!("Le错误：请以Le={x:02X}重发（可返回{len}字节）"),
            )
        }
        "91xx" => (
            format!("success, proactive command of {x} bytes pending (FETCH with Le = {x:02X})"),
            format!("成功，有{x}字节的主动式命令待取（FETCH，Le={x:02X}）"),
        ),
        _ => (entry.en.to_string(), entry.zh.to_string()),
    }
}

fn render_parts(code: &str, en: &str, zh: &str, cause: &str, remedy: &str) -> String {
    format!("{code}  {en} / {zh}\n  cause: {cause}\n  remedy: {remedy}")
}

impl Entry {
    /// Multi-line explanation: `"9302  MAC invalid / 摘要错误\n  cause: ...\n  remedy: ..."`.
    pub fn render(&self) -> String {
        render_parts(self.code, self.en, self.zh, self.cause, self.remedy)
    }

    /// `"9302 MAC invalid / 摘要错误"`.
    pub fn one_line(&self) -> String {
        format!("{} {} / {}", self.code, self.en, self.zh)
    }
}

/// [`Entry::render`] of [`for_sw`]`(sw)` with the concrete status word in place of the code and
/// a pattern's variable part filled in (e.g. `63C2` says "2 tries left").
pub fn render_for(sw: Sw) -> String {
    let entry = for_sw(sw);
    let (en, zh) = meaning_for(&entry, sw);
    render_parts(&format!("{sw}"), &en, &zh, entry.cause, entry.remedy)
}
