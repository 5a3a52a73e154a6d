//! The vector file format (documented for users in `vectors/README.md`).
//!
//! A file is one JSON object: the card profile it needs, optional overrides (a JSON merge patch,
//! RFC 7386, over the profile), what it requires of the target, and a list of steps. Each step
//! has exactly one action key; the other keys say what to expect. Parsing goes through serde
//! with unknown keys refused, then [`StepSpec::action`] checks that exactly one action is given,
//! so a typo is reported with its place instead of being ignored.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use stk_domain::errors::{Code, Reason};
use stk_domain::profile::Profile;
use stk_domain::sw::Sw;

/// A vector file larger than this is refused before it is parsed (`V-LIMIT`).
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// A hex string (an APDU, expected data) longer than this is refused before it is decoded:
/// room for the longest extended APDU, 65 544 bytes, written with a space between bytes.
pub const MAX_HEX_CHARS: usize = 200_000;
/// The largest `repeat` count.
pub const MAX_REPEAT: u32 = 100_000;
/// How deep `repeat`s may nest (a repeat inside a repeat is depth 2).
pub const MAX_NESTING: usize = 4;
/// The most steps a file may expand to, counting every round of every repeat.
pub const MAX_EXPANDED_STEPS: u64 = 1_000_000;

/// A limit message: starts with `V-LIMIT`, names the limit and its value.
fn limit(what: String) -> String {
    format!("{}: {what}", Code::VLimit)
}

/// Whether a load or parse error is a limit (`V-LIMIT`) rather than a malformed file.
pub fn is_limit(e: &str) -> bool {
    e.starts_with(Code::VLimit.as_str())
}

fn hex_within_limit(what: &str, s: &str) -> Result<(), String> {
    if s.len() > MAX_HEX_CHARS {
        return Err(limit(format!(
            "{what} is {} characters long, more than the {MAX_HEX_CHARS} a hex string may have (the longest extended APDU); it was not decoded",
            s.len()
        )));
    }
    Ok(())
}

/// One vector file (the JSON Schema shipped as `vectors/vector.schema.json` is generated from
/// these types).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "stk-wallet conformance vector")]
pub struct VectorFile {
    /// What the vector checks, in a few words (the test name in reports).
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The docs/spec.md section(s) this vector checks, e.g. "§3" (`run --filter spec:§3`).
    #[serde(default)]
    pub spec: String,
    /// Free labels for finding and filtering vectors (`run --filter tag:NAME`), e.g. "smoke".
    #[serde(default)]
    pub tags: Vec<String>,
    /// `"default"` (the embedded profile), or a profile file path relative to this file.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// A JSON merge patch applied to the profile before the card is personalised.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub profile_overrides: Option<Value>,
    /// Capabilities the target must have: `fixed-random` (the card's randoms are the profile's
    /// fixed sequence: byte-exact runs), `simulator` (steps that only a simulated card can do).
    #[serde(default)]
    pub requires: Vec<String>,
    /// `contactless` (default: the POS side) or `contact` (the handset side).
    #[serde(default)]
    pub interface: Option<InterfaceName>,
    /// The card state the vector needs: `fresh` (default: freshly personalised from the
    /// profile; checked first on a card in a reader) or `any` (written relative to the card's
    /// state).
    #[serde(default)]
    pub state: CardState,
    /// What the card must hold before the steps run, checked with read-only commands (GET
    /// BALANCE, READ RECORD, VERIFY without data); a card that does not meet them is reported
    /// `V-STATE` with the difference, and the steps do not run.
    #[serde(default)]
    pub preconditions: Option<Preconditions>,
    /// Date and time for symbolic steps, `"YYYYMMDD HHMMSS"`.
    #[serde(default = "default_clock")]
    pub clock: String,
    pub steps: Vec<StepSpec>,
}

fn default_profile() -> String {
    "default".into()
}
fn default_clock() -> String {
    "20261122 120000".into()
}

/// The card state a vector needs.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CardState {
    /// Freshly personalised from the vector's profile: its balance, an empty log.
    #[default]
    Fresh,
    /// Any state: the vector's steps are written relative to what the card holds.
    Any,
}

/// Preconditions on the card's state, checked with read-only commands before a vector runs.
/// Amounts are in fen, as everywhere in the format.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Preconditions {
    /// The balance (GET BALANCE) must be at least this many fen.
    #[serde(default)]
    pub balance_at_least: Option<u32>,
    /// The balance must be at most this many fen (room below the cap for a load).
    #[serde(default)]
    pub balance_at_most: Option<u32>,
    /// `true`: the transaction log must be empty (READ RECORD 1 answers `6A83`); `false`: it
    /// must hold a record.
    #[serde(default)]
    pub log_empty: Option<bool>,
    /// The payment password must have at least this many tries left (VERIFY without data
    /// answers `63Cx`); 1 means "not blocked".
    #[serde(default)]
    pub payment_password_tries_at_least: Option<u8>,
}

impl Preconditions {
    /// Why the preconditions contradict themselves, if they do.
    pub fn check(&self) -> Result<(), String> {
        if let (Some(lo), Some(hi)) = (self.balance_at_least, self.balance_at_most)
            && lo > hi
        {
            return Err(format!(
                "preconditions: balance_at_least {lo} is more than balance_at_most {hi}"
            ));
        }
        if self.payment_password_tries_at_least.is_some_and(|n| n > 15) {
            return Err(
                "preconditions: payment_password_tries_at_least is at most 15 (63Cx has one nibble)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// What a `balance` step expects: a balance in fen (`8766`), or the balance relative to the
/// last `snapshot` step (`{"delta": -1234}`, `{"unchanged": true}`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum BalanceCheck {
    /// Exactly this many fen.
    Exact(u32),
    /// Relative to the last snapshot.
    Relative(RelativeBalance),
}

/// A balance relative to the last `snapshot` step: exactly one of `delta` and `unchanged`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelativeBalance {
    /// The balance moved by this many fen since the snapshot (negative: debited).
    #[serde(default)]
    pub delta: Option<i64>,
    /// `true`: the balance is the snapshot's.
    #[serde(default)]
    pub unchanged: Option<bool>,
}

/// What a `history` step expects: the whole log (`[...]`, newest first), or the log relative
/// to the last `snapshot` step (`{"new": [...]}`: these records at the head, newest first, then
/// the snapshot's records, the oldest dropped past the log's 10; `{"unchanged": true}`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum HistoryCheck {
    /// Exactly these records, newest first (`[]`: an empty log).
    Exact(Vec<HistorySpec>),
    /// Relative to the last snapshot.
    Relative(RelativeHistory),
}

/// A log relative to the last `snapshot` step: exactly one of `new` and `unchanged`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelativeHistory {
    /// The records written since the snapshot, newest first; the snapshot's records follow.
    #[serde(default)]
    pub new: Option<Vec<HistorySpec>>,
    /// `true`: the log is the snapshot's, record for record.
    #[serde(default)]
    pub unchanged: Option<bool>,
}

/// A `balance` step's expectation, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceExpect {
    /// Exactly this many fen.
    Exact(u32),
    /// The snapshot's balance plus this (0: unchanged).
    Delta(i64),
}

/// A `history` step's expectation, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryExpect {
    /// Exactly these records, newest first.
    Exact(Vec<HistorySpec>),
    /// These new records at the head, then the snapshot's (empty: unchanged).
    SinceSnapshot(Vec<HistorySpec>),
}

impl BalanceCheck {
    fn expect(&self) -> Result<BalanceExpect, String> {
        match self {
            BalanceCheck::Exact(b) => Ok(BalanceExpect::Exact(*b)),
            BalanceCheck::Relative(r) => match (r.delta, r.unchanged) {
                (Some(d), None) => Ok(BalanceExpect::Delta(d)),
                (None, Some(true)) => Ok(BalanceExpect::Delta(0)),
                (None, Some(false)) => {
                    Err("`balance`: `unchanged` can only be true (give a `delta`)".into())
                }
                _ => Err("`balance` takes fen, or exactly one of `delta` and `unchanged`".into()),
            },
        }
    }
}

impl HistoryCheck {
    fn expect(&self) -> Result<HistoryExpect, String> {
        match self {
            HistoryCheck::Exact(h) => Ok(HistoryExpect::Exact(h.clone())),
            HistoryCheck::Relative(r) => match (&r.new, r.unchanged) {
                (Some(n), None) => Ok(HistoryExpect::SinceSnapshot(n.clone())),
                (None, Some(true)) => Ok(HistoryExpect::SinceSnapshot(Vec::new())),
                (None, Some(false)) => {
                    Err("`history`: `unchanged` can only be true (give the `new` records)".into())
                }
                _ => Err(
                    "`history` takes a list of records, or exactly one of `new` and `unchanged`"
                        .into(),
                ),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceName {
    Contact,
    Contactless,
}

/// One accepted outcome of a step: a status word pattern, 4 hex digits where `?` matches any
/// nibble (`63C?`), or an error-catalogue code for a failure that is not a card status word
/// (`P-DIGEST`), parsed to [`Code`] so that a misspelt code is refused when the file is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwPattern {
    /// `value` on the bits set in `mask` (a `?` nibble is 0 in both).
    Sw {
        value: u16,
        mask: u16,
    },
    Code(Code),
}

impl SwPattern {
    /// Exactly this status word.
    pub fn sw(sw: Sw) -> SwPattern {
        SwPattern::Sw {
            value: sw.0,
            mask: 0xFFFF,
        }
    }

    /// Whether the outcome `r` (a status word or a catalogue code) is accepted.
    pub fn accepts(&self, r: Reason) -> bool {
        match (self, r) {
            (SwPattern::Sw { value, mask }, Reason::Sw(sw)) => sw.0 & mask == *value,
            (SwPattern::Code(want), Reason::Code(got)) => *want == got,
            _ => false,
        }
    }
}

impl std::str::FromStr for SwPattern {
    type Err = String;
    fn from_str(p: &str) -> Result<Self, Self::Err> {
        let t: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        if t.len() == 4 && t.chars().all(|c| c == '?' || c.is_ascii_hexdigit()) {
            let (mut value, mut mask) = (0u16, 0u16);
            for c in t.chars() {
                value <<= 4;
                mask <<= 4;
                if let Some(d) = c.to_digit(16) {
                    value |= d as u16;
                    mask |= 0xF;
                }
            }
            return Ok(SwPattern::Sw { value, mask });
        }
        let looks_like_code = t.len() > 2 && t.as_bytes()[1] == b'-';
        if looks_like_code {
            return t
                .parse::<Code>()
                .map(SwPattern::Code)
                .map_err(|e| e.to_string());
        }
        Err(format!(
            "`{p}` is neither a status word pattern (4 hex digits, ? = any nibble) nor a catalogue code like P-DIGEST"
        ))
    }
}

impl std::fmt::Display for SwPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SwPattern::Sw { value, mask } => {
                for shift in [12, 8, 4, 0] {
                    if (mask >> shift) & 0xF == 0 {
                        f.write_str("?")?;
                    } else {
                        write!(f, "{:X}", (value >> shift) & 0xF)?;
                    }
                }
                Ok(())
            }
            SwPattern::Code(c) => f.write_str(c.as_str()),
        }
    }
}

/// Expected status word(s) or code(s): one pattern or a list of accepted ones (see
/// [`SwPattern`]). In JSON a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SwText")]
pub struct SwSpec(Vec<SwPattern>);

/// `sw` as written in the file: one status word pattern (4 hex digits, `?` any nibble) or
/// catalogue code (`P-DIGEST`), or a list of accepted ones.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum SwText {
    One(#[schemars(regex(pattern = SW_TEXT_PATTERN))] String),
    Any(#[schemars(length(min = 1), inner(regex(pattern = SW_TEXT_PATTERN)))] Vec<String>),
}

/// The shape of one `sw` entry in the schema: a status word pattern (spaces allowed) or a code
/// like `P-DIGEST` (the loader also checks that the code is in the catalogue).
const SW_TEXT_PATTERN: &str = r"^\s*([0-9A-Fa-f?]\s*){4}$|^\s*[A-Za-z]-[A-Za-z0-9-]+\s*$";

impl TryFrom<SwText> for SwSpec {
    type Error = String;
    fn try_from(t: SwText) -> Result<Self, Self::Error> {
        let texts = match t {
            SwText::One(s) => vec![s],
            SwText::Any(v) => v,
        };
        if texts.is_empty() {
            return Err("`sw` is an empty list: it would accept nothing".into());
        }
        texts
            .iter()
            .map(|p| p.parse())
            .collect::<Result<Vec<_>, _>>()
            .map(SwSpec)
    }
}

impl SwSpec {
    /// The default expectation: `9000`.
    pub fn ok() -> SwSpec {
        SwSpec(vec![SwPattern::sw(Sw::OK)])
    }
    pub fn patterns(&self) -> &[SwPattern] {
        &self.0
    }
    /// Whether `r` (a status word like `9000` or a catalogue code) is accepted.
    pub fn accepts(&self, r: impl Into<Reason>) -> bool {
        let r = r.into();
        self.0.iter().any(|p| p.accepts(r))
    }
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// Checks a status-word pattern's or catalogue code's shape.
pub fn check_sw_pattern(p: &str) -> Result<(), String> {
    p.parse::<SwPattern>().map(|_| ())
}

/// Expected response data: hex bytes, `??` for a byte that may be anything (card randoms,
/// computed MACs when the vector does not pin them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked(pub Vec<Option<u8>>);

impl Masked {
    pub fn parse(s: &str) -> Result<Masked, String> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if !t.len().is_multiple_of(2) {
            return Err(format!(
                "expected data `{s}` has an odd number of hex digits"
            ));
        }
        let mut out = Vec::with_capacity(t.len() / 2);
        for pair in t.as_bytes().chunks(2) {
            let p = std::str::from_utf8(pair).unwrap_or("");
            if p == "??" {
                out.push(None);
            } else {
                out.push(Some(u8::from_str_radix(p, 16).map_err(|_| {
                    format!("`{p}` in expected data `{s}` is not a hex byte or ??")
                })?));
            }
        }
        Ok(Masked(out))
    }
    pub fn matches(&self, actual: &[u8]) -> bool {
        self.0.len() == actual.len()
            && self
                .0
                .iter()
                .zip(actual)
                .all(|(e, a)| e.is_none_or(|e| e == *a))
    }
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|b| b.map_or("??".to_string(), |b| format!("{b:02X}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One expected history entry (newest first).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistorySpec {
    /// `load`, `purchase`, or a type byte in hex.
    #[serde(rename = "type")]
    pub tx_type: String,
    pub amount: u32,
    /// termID in hex, if it matters.
    #[serde(default)]
    pub term_id: Option<String>,
    #[serde(default)]
    pub counter: Option<u16>,
}

/// One step: exactly one action key, plus expectations.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// What the step is for (printed on failure).
    #[serde(default)]
    pub note: Option<String>,

    // ---- actions (exactly one) ----
    /// A raw command APDU in hex.
    #[serde(default)]
    pub apdu: Option<String>,
    /// SELECT the wallet by its DF name (from the profile).
    #[serde(default)]
    pub select: Option<bool>,
    /// VERIFY the payment password (6 digits).
    #[serde(default)]
    pub verify: Option<String>,
    /// A whole POS purchase of this many fen (select, read 0015, INITIALIZE, PSAM, DEBIT, PSAM).
    #[serde(default)]
    pub purchase: Option<u32>,
    /// A whole POS load of this many fen (select, VERIFY `pin`, INITIALIZE, host, CREDIT).
    #[serde(default)]
    pub load: Option<u32>,
    /// Power the card off and on (volatile state is lost).
    #[serde(default)]
    pub power_cycle: Option<bool>,
    /// Record the card's balance and transaction log (select + GET BALANCE + READ RECORD 1..
    /// until 6A83) for the relative `balance` and `history` steps that follow.
    #[serde(default)]
    pub snapshot: Option<bool>,
    /// Expect this balance in fen, or a balance relative to the last snapshot (select + GET
    /// BALANCE).
    #[serde(default)]
    pub balance: Option<BalanceCheck>,
    /// Expect exactly this history, newest first, or a history relative to the last snapshot
    /// (select + READ RECORD 1.. until 6A83).
    #[serde(default)]
    pub history: Option<HistoryCheck>,
    /// Run `steps` this many times.
    #[serde(default)]
    pub repeat: Option<u32>,
    #[serde(default)]
    pub steps: Option<Vec<StepSpec>>,

    // ---- expectations and options ----
    /// Expected response data (`??` masks a byte). Absent: data not checked.
    #[serde(default)]
    pub expect: Option<String>,
    /// Expected status word(s); default `9000`.
    #[serde(default)]
    #[schemars(with = "Option<SwText>")]
    pub sw: Option<SwSpec>,
    /// Payment password for `load` (default: the profile's).
    #[serde(default)]
    pub pin: Option<String>,
    /// Key index for `purchase`/`load` (default 1).
    #[serde(default)]
    pub key_index: Option<u8>,
    /// Interface for this step (default: the file's).
    #[serde(default)]
    pub interface: Option<InterfaceName>,
}

/// A step's action, once checked.
#[derive(Debug, Clone)]
pub enum Action {
    Apdu(Vec<u8>),
    Select,
    Verify(String),
    Purchase(u32),
    Load(u32),
    PowerCycle,
    Snapshot,
    Balance(BalanceExpect),
    History(HistoryExpect),
    Repeat(u32, Vec<StepSpec>),
}

impl StepSpec {
    /// The one action of this step, or why the step is malformed.
    pub fn action(&self) -> Result<Action, String> {
        let mut found: Vec<Action> = Vec::new();
        if let Some(a) = &self.apdu {
            hex_within_limit("apdu", a)?;
            let b = stk_domain::hexser::decode(a)?;
            if b.len() < 4 {
                return Err(format!("apdu `{a}` is shorter than a 4-byte header"));
            }
            found.push(Action::Apdu(b));
        }
        if self.select == Some(true) {
            found.push(Action::Select);
        }
        if let Some(p) = &self.verify {
            found.push(Action::Verify(p.clone()));
        }
        if let Some(a) = self.purchase {
            found.push(Action::Purchase(a));
        }
        if let Some(a) = self.load {
            found.push(Action::Load(a));
        }
        if self.power_cycle == Some(true) {
            found.push(Action::PowerCycle);
        }
        if self.snapshot == Some(true) {
            found.push(Action::Snapshot);
        }
        if let Some(b) = &self.balance {
            found.push(Action::Balance(b.expect()?));
        }
        if let Some(h) = &self.history {
            found.push(Action::History(h.expect()?));
        }
        match (self.repeat, &self.steps) {
            (Some(n), _) if n > MAX_REPEAT => {
                return Err(limit(format!(
                    "repeat {n} is more than the {MAX_REPEAT} rounds a repeat may have; split the vector"
                )));
            }
            (Some(n), Some(s)) => found.push(Action::Repeat(n, s.clone())),
            (None, None) => {}
            _ => return Err("`repeat` and `steps` go together".into()),
        }
        if let Some(e) = &self.expect {
            hex_within_limit("expect", e)?;
            Masked::parse(e)?;
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("the step has no action (one of apdu, select, verify, purchase, load, power_cycle, snapshot, balance, history, repeat)".into()),
            _ => Err("the step has more than one action; split it into several steps".into()),
        }
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

pub use stk_domain::clock::parse_clock;

/// The JSON Schema of a vector file, generated from [`VectorFile`] (pretty-printed, with a
/// final newline: the text shipped as `vectors/vector.schema.json`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(VectorFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Whether `s` is a status word (used when rendering).
pub fn as_sw(s: &str) -> Option<Sw> {
    s.parse().ok()
}

/// Loads a vector file and its profile (with overrides applied).
/// The file is read through a bounded reader: one larger than [`MAX_FILE_BYTES`] is refused
/// with `V-LIMIT` before it is parsed.
pub fn load(path: &Path) -> Result<(VectorFile, Profile), String> {
    let text = read_text(path)?;
    parse(&text, path.parent().unwrap_or(Path::new(".")))
}

/// The text of a vector or script file, read through a bounded reader: a file that is not a
/// regular file, or larger than [`MAX_FILE_BYTES`], is refused (`V-LIMIT` for the size) before
/// anything is parsed.
pub fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let too_big = |size: u64| {
        limit(format!(
            "the file is {size} bytes, more than the {MAX_FILE_BYTES} a vector file may have; split it"
        ))
    };
    let meta = f.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("cannot read: not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut text = String::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read: {e}"))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(text.len() as u64));
    }
    Ok(text)
}

/// Parses vector JSON; `base` resolves a relative profile path.
pub fn parse(text: &str, base: &Path) -> Result<(VectorFile, Profile), String> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(limit(format!(
            "the vector is {} bytes, more than the {MAX_FILE_BYTES} a vector file may have; split it",
            text.len()
        )));
    }
    let v: VectorFile =
        serde_json::from_str(text).map_err(|e| format!("not a vector file: {e}"))?;
    let mut pj: serde_json::Value = if v.profile == "default" {
        serde_json::from_str(stk_domain::profile::DEFAULT_PROFILE_JSON)
            .map_err(|e| e.to_string())?
    } else {
        let p = base.join(&v.profile);
        let t = std::fs::read_to_string(&p).map_err(|e| format!("profile {}: {e}", p.display()))?;
        serde_json::from_str(&t).map_err(|e| format!("profile {}: {e}", p.display()))?
    };
    if let Some(o) = &v.profile_overrides {
        merge_patch(&mut pj, o);
    }
    let profile = Profile::from_value(pj).map_err(|e| e.to_string())?;
    parse_clock(&v.clock)?;
    for r in &v.requires {
        if !matches!(r.as_str(), "fixed-random" | "simulator") {
            return Err(format!(
                "unknown requirement `{r}` (known: fixed-random, simulator)"
            ));
        }
    }
    if let Some(p) = &v.preconditions {
        p.check()?;
    }
    let mut snapshot = false;
    let expanded = check_steps(&v.steps, "", 1, &mut snapshot)?;
    if expanded > MAX_EXPANDED_STEPS {
        return Err(limit(format!(
            "the steps expand to {expanded} with their repeats, more than the {MAX_EXPANDED_STEPS} a vector may run; split the vector"
        )));
    }
    Ok((v, profile))
}

/// Checks the steps at nesting `depth` (1 for the file's own: a repeat among them nests 1
/// deep); returns how many steps they expand to with every round of their repeats (saturating).
/// `snapshot`: whether a `snapshot` step came earlier in the file (a relative `balance` or
/// `history` step needs one).
fn check_steps(
    steps: &[StepSpec],
    prefix: &str,
    depth: usize,
    snapshot: &mut bool,
) -> Result<u64, String> {
    let mut expanded: u64 = 0;
    for (i, s) in steps.iter().enumerate() {
        let at = format!("{prefix}{}", i + 1);
        // A limit keeps V-LIMIT at the start of the message.
        let place = |e: String| match e.strip_prefix(&format!("{}: ", Code::VLimit)) {
            Some(rest) => limit(format!("step {at}: {rest}")),
            None => format!("step {at}: {e}"),
        };
        expanded = expanded.saturating_add(1);
        match s.action().map_err(place)? {
            Action::Repeat(n, inner) => {
                if depth > MAX_NESTING {
                    return Err(limit(format!(
                        "step {at}: repeats nest {depth} deep, more than the {MAX_NESTING} allowed"
                    )));
                }
                let rounds = check_steps(&inner, &format!("{at}."), depth + 1, snapshot)?;
                expanded = expanded.saturating_add(rounds.saturating_mul(u64::from(n)));
            }
            Action::Purchase(_) | Action::Load(_) if s.expect.is_some() => {
                return Err(format!("step {at}: `expect` is for raw apdu steps"));
            }
            Action::Snapshot => *snapshot = true,
            Action::Balance(BalanceExpect::Delta(_))
            | Action::History(HistoryExpect::SinceSnapshot(_))
                if !*snapshot =>
            {
                return Err(format!(
                    "step {at}: a relative `balance` or `history` needs a `snapshot` step before it"
                ));
            }
            _ => {}
        }
    }
    Ok(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<SwSpec, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn sw_patterns() {
        let s = spec(r#"["63C?", "6983"]"#).unwrap();
        assert!(s.accepts(Sw(0x63C4)) && s.accepts(Sw(0x6983)) && !s.accepts(Sw(0x6985)));
        assert!(!s.accepts(Code::PDigest));
        assert_eq!(s.describe(), "63C? or 6983");
        let d = spec(r#""P-DIGEST""#).unwrap();
        assert!(d.accepts(Code::PDigest) && !d.accepts(Code::PPsam) && !d.accepts(Sw::OK));
        // Codes are case-insensitive in the file and printed in their own spelling.
        assert_eq!(spec(r#""p-digest""#).unwrap(), d);
        assert_eq!(d.describe(), "P-DIGEST");
        assert!(spec(r#""6a82""#).unwrap().accepts(Sw::NOT_FOUND));
        assert!(SwSpec::ok().accepts(Sw::OK) && !SwSpec::ok().accepts(Sw(0x9001)));
        assert!(
            check_sw_pattern("90 00").is_ok()
                && check_sw_pattern("900").is_err()
                && check_sw_pattern("zz").is_err()
        );
    }

    #[test]
    fn unknown_codes_and_bad_patterns_are_refused_at_load() {
        let e = spec(r#""P-DIGST""#).unwrap_err();
        assert!(
            e.contains("`P-DIGST` is not an error-catalogue code"),
            "{e}"
        );
        assert!(e.contains("P-DIGEST"), "lists the known codes: {e}");
        let e = spec(r#"["9000", "H-NOPE"]"#).unwrap_err();
        assert!(e.contains("H-NOPE"), "{e}");
        assert!(spec("[]").unwrap_err().contains("empty"));
        assert!(spec(r#""90G0""#).unwrap_err().contains("neither"));

        // Through the whole loader: the file is refused, naming the code.
        let text = r#"{"name": "x", "steps": [{"purchase": 100, "sw": "P-DIGST"}]}"#;
        let e = parse(text, Path::new(".")).unwrap_err();
        assert!(
            e.contains("P-DIGST") && e.contains("not an error-catalogue code"),
            "{e}"
        );
        let text = r#"{"name": "x", "steps": [{"purchase": 100, "sw": "P-DIGEST"}]}"#;
        let (v, _) = parse(text, Path::new(".")).unwrap();
        assert!(v.steps[0].sw.as_ref().unwrap().accepts(Code::PDigest));
    }

    #[test]
    fn masked_data() {
        let m = Masked::parse("00 ?? 02").unwrap();
        assert!(m.matches(&[0, 0xAB, 2]) && !m.matches(&[0, 0xAB, 3]) && !m.matches(&[0, 1]));
        assert!(Masked::parse("0").is_err() && Masked::parse("0G").is_err());
    }

    #[test]
    fn steps_need_exactly_one_action() {
        let s: StepSpec =
            serde_json::from_str(r#"{"apdu": "80 5C 00 02 04", "sw": "9000"}"#).unwrap();
        assert!(matches!(s.action(), Ok(Action::Apdu(_))));
        let s: StepSpec = serde_json::from_str(r#"{"sw": "9000"}"#).unwrap();
        assert!(s.action().unwrap_err().contains("no action"));
        let s: StepSpec = serde_json::from_str(r#"{"purchase": 1, "load": 2}"#).unwrap();
        assert!(s.action().unwrap_err().contains("more than one"));
        assert!(serde_json::from_str::<StepSpec>(r#"{"apdux": "00"}"#).is_err());
    }

    #[test]
    fn relative_steps_and_preconditions_are_typed_and_checked_at_load() {
        let ok = |t: &str| parse(t, Path::new(".")).map(|(v, _)| v);
        let v = ok(r#"{"name": "x", "state": "any",
            "preconditions": {"balance_at_least": 100, "log_empty": true},
            "steps": [{"snapshot": true}, {"purchase": 100},
                      {"balance": {"delta": -100}}, {"balance": {"unchanged": true}},
                      {"balance": 0}, {"history": {"unchanged": true}},
                      {"history": {"new": [{"type": "purchase", "amount": 100}]}},
                      {"history": []}]}"#)
        .unwrap();
        assert_eq!(v.state, CardState::Any);
        assert_eq!(
            v.preconditions.as_ref().unwrap().balance_at_least,
            Some(100)
        );
        let actions: Vec<Action> = v.steps.iter().map(|s| s.action().unwrap()).collect();
        assert!(matches!(actions[0], Action::Snapshot));
        assert!(matches!(
            actions[2],
            Action::Balance(BalanceExpect::Delta(-100))
        ));
        assert!(matches!(
            actions[3],
            Action::Balance(BalanceExpect::Delta(0))
        ));
        assert!(matches!(
            actions[4],
            Action::Balance(BalanceExpect::Exact(0))
        ));
        assert!(
            matches!(&actions[5], Action::History(HistoryExpect::SinceSnapshot(n)) if n.is_empty())
        );
        assert!(
            matches!(&actions[6], Action::History(HistoryExpect::SinceSnapshot(n)) if n.len() == 1)
        );
        assert!(matches!(&actions[7], Action::History(HistoryExpect::Exact(h)) if h.is_empty()));

        let bad = |t: &str| parse(t, Path::new(".")).map(|_| ()).unwrap_err();
        // A relative step needs a snapshot before it.
        let e = bad(r#"{"name": "x", "steps": [{"balance": {"delta": -1}}, {"snapshot": true}]}"#);
        assert!(
            e.contains("step 1") && e.contains("needs a `snapshot`"),
            "{e}"
        );
        let e = bad(r#"{"name": "x", "steps": [{"history": {"unchanged": true}}]}"#);
        assert!(e.contains("needs a `snapshot`"), "{e}");
        // Exactly one of delta and unchanged; unchanged only true.
        let e = bad(
            r#"{"name": "x", "steps": [{"snapshot": true}, {"balance": {"delta": 1, "unchanged": true}}]}"#,
        );
        assert!(e.contains("exactly one of `delta` and `unchanged`"), "{e}");
        let e = bad(
            r#"{"name": "x", "steps": [{"snapshot": true}, {"balance": {"unchanged": false}}]}"#,
        );
        assert!(e.contains("can only be true"), "{e}");
        let e = bad(r#"{"name": "x", "steps": [{"snapshot": true}, {"history": {}}]}"#);
        assert!(e.contains("exactly one of `new` and `unchanged`"), "{e}");
        // Unknown keys are refused, in relative steps and preconditions too.
        bad(r#"{"name": "x", "steps": [{"snapshot": true}, {"balance": {"delta": 1, "x": 2}}]}"#);
        let e = bad(r#"{"name": "x", "preconditions": {"balance_atleast": 1}, "steps": []}"#);
        assert!(e.contains("balance_atleast"), "{e}");
        // Contradictory preconditions.
        let e = bad(
            r#"{"name": "x", "preconditions": {"balance_at_least": 2, "balance_at_most": 1}, "steps": []}"#,
        );
        assert!(e.contains("more than balance_at_most"), "{e}");
        let e = bad(
            r#"{"name": "x", "preconditions": {"payment_password_tries_at_least": 16}, "steps": []}"#,
        );
        assert!(e.contains("at most 15"), "{e}");
    }

    #[test]
    fn merge_patch_rfc7386_examples() {
        // RFC 7386 appendix A, a few of its test cases.
        let mut t = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &serde_json::json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, serde_json::json!({"a": "z", "c": {"d": "e"}}));
        let mut t = serde_json::json!({"a": ["b"]});
        merge_patch(&mut t, &serde_json::json!({"a": "c"}));
        assert_eq!(t, serde_json::json!({"a": "c"}));
    }
}
