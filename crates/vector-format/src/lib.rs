//! The vector file format (documented for users in `vectors/README.md`).
//!
//! A file is one JSON object: the card profile it needs, optional overrides (a JSON merge patch,
//! RFC 7386, over the profile), what it requires of the target, and a list of steps. Each step
//! has exactly one action key; the other keys say what to expect. Parsing goes through serde
//! with unknown keys refused, then [`StepSpec::action`] checks that exactly one action is given,
//! so a typo is reported with its place instead of being ignored.

use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use stk_domain::profile::Profile;
use stk_domain::sw::Sw;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The SPEC.md section(s) this vector checks, e.g. "§3".
    #[serde(default)]
    pub spec: String,
    /// `"default"` (the embedded profile), or a profile file path relative to this file.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// A JSON merge patch applied to the profile before the card is personalised.
    #[serde(default)]
    pub profile_overrides: Option<Value>,
    /// Capabilities the target must have: `fixed-random` (the card's randoms are the profile's
    /// fixed sequence: byte-exact runs), `simulator` (steps that only a simulated card can do).
    #[serde(default)]
    pub requires: Vec<String>,
    /// `contactless` (default: the POS side) or `contact` (the handset side).
    #[serde(default)]
    pub interface: Option<InterfaceName>,
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

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceName {
    Contact,
    Contactless,
}

/// Expected status word(s): one pattern or a list of accepted ones. A pattern is 4 hex digits
/// where `?` matches any nibble (`63C?`), or an error-catalogue code for a failure that is not a
/// card status word (`P-DIGEST`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SwSpec {
    One(String),
    Any(Vec<String>),
}

impl SwSpec {
    pub fn patterns(&self) -> Vec<&str> {
        match self {
            SwSpec::One(s) => vec![s.as_str()],
            SwSpec::Any(v) => v.iter().map(|s| s.as_str()).collect(),
        }
    }
    /// Whether `code` (a status word like `9000` or a catalogue code) is accepted.
    pub fn accepts(&self, code: &str) -> bool {
        self.patterns().iter().any(|p| pattern_matches(p, code))
    }
    pub fn describe(&self) -> String {
        self.patterns().join(" or ")
    }
}

fn pattern_matches(pattern: &str, code: &str) -> bool {
    let p: String = pattern.chars().filter(|c| !c.is_whitespace()).collect();
    if p.len() != code.len() {
        return false;
    }
    p.chars()
        .zip(code.chars())
        .all(|(a, b)| a == '?' || a.eq_ignore_ascii_case(&b))
}

/// Checks a status-word pattern's shape.
pub fn check_sw_pattern(p: &str) -> Result<(), String> {
    let t: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    let is_sw = t.len() == 4 && t.chars().all(|c| c == '?' || c.is_ascii_hexdigit());
    let is_code = t.len() > 2
        && t.as_bytes()[1] == b'-'
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if is_sw || is_code {
        Ok(())
    } else {
        Err(format!(
            "`{p}` is neither a status word pattern (4 hex digits, ? = any nibble) nor a catalogue code like P-DIGEST"
        ))
    }
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
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Default, Deserialize)]
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
    /// Expect this balance (select + GET BALANCE).
    #[serde(default)]
    pub balance: Option<u32>,
    /// Expect exactly this history, newest first (select + READ RECORD 1.. until 6A83).
    #[serde(default)]
    pub history: Option<Vec<HistorySpec>>,
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
    Balance(u32),
    History(Vec<HistorySpec>),
    Repeat(u32, Vec<StepSpec>),
}

impl StepSpec {
    /// The one action of this step, or why the step is malformed.
    pub fn action(&self) -> Result<Action, String> {
        let mut found: Vec<Action> = Vec::new();
        if let Some(a) = &self.apdu {
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
        if let Some(b) = self.balance {
            found.push(Action::Balance(b));
        }
        if let Some(h) = &self.history {
            found.push(Action::History(h.clone()));
        }
        match (self.repeat, &self.steps) {
            (Some(n), Some(s)) => found.push(Action::Repeat(n, s.clone())),
            (None, None) => {}
            _ => return Err("`repeat` and `steps` go together".into()),
        }
        if let Some(e) = &self.expect {
            Masked::parse(e)?;
        }
        if let Some(sw) = &self.sw {
            for p in sw.patterns() {
                check_sw_pattern(p)?;
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("the step has no action (one of apdu, select, verify, purchase, load, power_cycle, balance, history, repeat)".into()),
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

/// Whether `s` is a status word (used when rendering).
pub fn as_sw(s: &str) -> Option<Sw> {
    s.parse().ok()
}

/// Loads a vector file and its profile (with overrides applied).
pub fn load(path: &Path) -> Result<(VectorFile, Profile), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    parse(&text, path.parent().unwrap_or(Path::new(".")))
}

/// Parses vector JSON; `base` resolves a relative profile path.
pub fn parse(text: &str, base: &Path) -> Result<(VectorFile, Profile), String> {
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
    check_steps(&v.steps, "")?;
    Ok((v, profile))
}

fn check_steps(steps: &[StepSpec], prefix: &str) -> Result<(), String> {
    for (i, s) in steps.iter().enumerate() {
        let at = format!("{prefix}{}", i + 1);
        match s.action().map_err(|e| format!("step {at}: {e}"))? {
            Action::Repeat(_, inner) => check_steps(&inner, &format!("{at}."))?,
            Action::Purchase(_) | Action::Load(_) if s.expect.is_some() => {
                return Err(format!("step {at}: `expect` is for raw apdu steps"));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sw_patterns() {
        let s = SwSpec::Any(vec!["63C?".into(), "6983".into()]);
        assert!(s.accepts("63C4") && s.accepts("6983") && !s.accepts("6985"));
        assert!(SwSpec::One("P-DIGEST".into()).accepts("P-DIGEST"));
        assert!(
            check_sw_pattern("90 00").is_ok()
                && check_sw_pattern("900").is_err()
                && check_sw_pattern("zz").is_err()
        );
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
