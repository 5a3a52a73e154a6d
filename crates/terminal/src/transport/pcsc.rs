//! [`PcscTransport`]: a card in a PC/SC reader (pcsc-lite's `pcscd` on Linux and macOS, WinSCard
//! on Windows), including our own simulated card behind the vsmartcard `vpcd` driver (reader
//! `Virtual PCD 00 00`, see [`super::vpcd`]).
//!
//! Built only with the cargo feature `pcsc` (off by default), which links `libpcsclite`
//! (`libpcsclite-dev` on Debian/Ubuntu).
//!
//! # 61xx and 6Cxx
//!
//! PC/SC passes APDUs through; it does not hide the T=0 transport conventions. A card spoken to
//! with T=0 (all SIMs, most real PBOC cards) answers a case-4 command with `61 xx` ("xx bytes
//! waiting") and expects GET RESPONSE, and may answer a wrong Le with `6C xx` ("repeat with
//! Le = xx"). With [`PcscTransport::set_t0_handling`] on (the default), `transmit_raw` does what
//! a T=0 terminal does, so callers see the same `data ‖ 90 00` they would get over T=1 or from
//! the in-process card:
//!
//! - `61 xx`: send GET RESPONSE `CLA C0 00 00 xx` (xx = `00` means 256) and append its data; repeat
//!   while the card keeps answering `61 xx` (bounded by [`MAX_CHAINED_RESPONSES`]). The final
//!   status word is the last GET RESPONSE's. CLA: the command's logical-channel bits on an
//!   interindustry class (`0x`/`4x`), `A0` for a GSM-class `A0` command, otherwise `00`.
//! - `6C xx`: re-send the same command once with Le = xx (appended to a case-1 command, replacing
//!   the Le of a short case-2 command; T=0 cards only send it for those), then continue as above.
//!
//! Turn it off to see the card's raw answers, as a conformance run of the transport rules must.
//!
//! # Errors
//!
//! Reader, driver and daemon failures become [`TransportError::Reader`] with a hint of what to
//! check. A card removed or unpowered *during* a command becomes [`TransportError::NoResponse`],
//! because the terminal cannot know whether the command took effect (the trait's definition of
//! that variant).

use std::ffi::CString;

use pcsc::{Attribute, Card, Context, Disposition, Protocols, Scope, ShareMode};

use super::{Transport, TransportError};

/// Upper bound on GET RESPONSE rounds for one command.
pub const MAX_CHAINED_RESPONSES: usize = 64;

/// A card in a PC/SC reader.
pub struct PcscTransport {
    // Field order matters: the card handle is released before the context.
    card: Card,
    _ctx: Context,
    reader: String,
    t0_handling: bool,
    resend_on_wrong_le: bool,
}

impl std::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransport")
            .field("reader", &self.reader)
            .field("t0_handling", &self.t0_handling)
            .finish_non_exhaustive()
    }
}

/// Names of the readers PC/SC knows, in its order. Empty when there are none.
pub fn list_readers() -> Result<Vec<String>, TransportError> {
    let ctx = establish()?;
    readers(&ctx)
}

fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| reader_error("cannot reach the PC/SC service", e))
}

fn readers(ctx: &Context) -> Result<Vec<String>, TransportError> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(reader_error("cannot list readers", e)),
    }
}

/// Picks `wanted` among `names`: an exact match, else the only name containing it
/// (case-insensitively).
fn choose_reader<'a>(names: &'a [String], wanted: &str) -> Result<&'a str, TransportError> {
    if let Some(n) = names.iter().find(|n| *n == wanted) {
        return Ok(n);
    }
    let w = wanted.to_lowercase();
    let hits: Vec<&String> = names
        .iter()
        .filter(|n| n.to_lowercase().contains(&w))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] if names.is_empty() => Err(TransportError::Reader(format!(
            "no PC/SC reader at all (wanted {wanted:?}): is the reader plugged in? for the \
             simulated card, is the vpcd driver installed (/etc/reader.conf.d/vpcd) and was pcscd \
             started after it?"
        ))),
        [] => Err(TransportError::Reader(format!(
            "no PC/SC reader matches {wanted:?}; readers: {names:?}"
        ))),
        many => Err(TransportError::Reader(format!(
            "{wanted:?} matches several readers, give more of the name: {many:?}"
        ))),
    }
}

impl PcscTransport {
    /// Connects (shared mode, T=0 or T=1) to the card in the reader named `reader`: its exact
    /// name, or a substring matching exactly one reader (e.g. `"Virtual PCD 00 00"`, `"00 00"`).
    pub fn connect(reader: &str) -> Result<Self, TransportError> {
        let ctx = establish()?;
        let names = readers(&ctx)?;
        let name = choose_reader(&names, reader)?.to_owned();
        let cname = CString::new(name.clone())
            .map_err(|_| TransportError::Reader(format!("reader name {name:?} contains NUL")))?;
        let card = ctx
            .connect(&cname, ShareMode::Shared, Protocols::ANY)
            .map_err(|e| reader_error(&format!("cannot connect to the card in {name:?}"), e))?;
        Ok(PcscTransport {
            card,
            _ctx: ctx,
            reader: name,
            t0_handling: true,
            resend_on_wrong_le: true,
        })
    }

    /// The full name of the reader in use.
    pub fn reader_name(&self) -> &str {
        &self.reader
    }

    /// Whether `transmit_raw` answers `61xx` with GET RESPONSE and `6Cxx` by re-issuing the
    /// command (on by default; see the module documentation).
    pub fn set_t0_handling(&mut self, on: bool) {
        self.t0_handling = on;
    }

    /// Whether a `6Cxx` answer is re-sent with the right Le (default on). A conformance run
    /// turns it off: `6Cxx` is then the card's own answer for the vector to judge, while `61xx`
    /// chaining (pure transport) stays on.
    pub fn set_resend_on_wrong_le(&mut self, on: bool) {
        self.resend_on_wrong_le = on;
    }

    /// The card's current ATR.
    pub fn atr(&self) -> Result<Vec<u8>, TransportError> {
        match self.card.get_attribute_owned(Attribute::AtrString) {
            Ok(atr) if !atr.is_empty() => Ok(atr),
            _ => self
                .card
                .status2_owned()
                .map(|s| s.atr().to_vec())
                .map_err(|e| reader_error(&format!("cannot read the ATR in {:?}", self.reader), e)),
        }
    }

    /// One exchange with no T=0 handling.
    fn exchange(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        match self.card.transmit(apdu, &mut buf) {
            Ok(r) if r.len() < 2 => Err(TransportError::Malformed(r.to_vec())),
            Ok(r) => Ok(r.to_vec()),
            Err(
                pcsc::Error::RemovedCard
                | pcsc::Error::NoSmartcard
                | pcsc::Error::UnpoweredCard
                | pcsc::Error::UnresponsiveCard,
            ) => Err(TransportError::NoResponse),
            Err(e) => Err(reader_error(
                &format!("transmit to the card in {:?} failed", self.reader),
                e,
            )),
        }
    }
}

/// CLA of a GET RESPONSE following a command of class `cla`.
fn get_response_cla(cla: u8) -> u8 {
    match cla {
        0xA0 => 0xA0,
        c if c & 0xE0 == 0x00 => c & 0x03,
        c if c & 0xC0 == 0x40 => 0x40 | (c & 0x0F),
        _ => 0x00,
    }
}

/// `apdu` with its short Le set to `le`: appended to a 4-byte (case 1) command, else the last byte
/// replaced (case 2 or 4 short).
fn with_le(apdu: &[u8], le: u8) -> Vec<u8> {
    let mut v = apdu.to_vec();
    if v.len() == 4 {
        v.push(le);
    } else if let Some(last) = v.last_mut() {
        *last = le;
    }
    v
}

impl Transport for PcscTransport {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut resp = self.exchange(apdu)?;
        if !self.t0_handling || apdu.len() < 4 {
            return Ok(resp);
        }
        let n = resp.len();
        if self.resend_on_wrong_le && resp[n - 2] == 0x6C && (apdu.len() == 4 || apdu.len() == 5) {
            resp = self.exchange(&with_le(apdu, resp[n - 1]))?;
        }
        let mut data = Vec::new();
        for _ in 0..MAX_CHAINED_RESPONSES {
            let n = resp.len();
            if resp[n - 2] != 0x61 {
                data.extend_from_slice(&resp);
                return Ok(data);
            }
            data.extend_from_slice(&resp[..n - 2]);
            let get = [get_response_cla(apdu[0]), 0xC0, 0x00, 0x00, resp[n - 1]];
            resp = self.exchange(&get)?;
        }
        Err(TransportError::Reader(format!(
            "card in {:?} kept answering 61xx after {MAX_CHAINED_RESPONSES} GET RESPONSE",
            self.reader
        )))
    }

    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        self.card
            .reconnect(ShareMode::Shared, Protocols::ANY, Disposition::UnpowerCard)
            .map_err(|e| reader_error(&format!("cannot reset the card in {:?}", self.reader), e))?;
        self.atr()
    }

    fn describe(&self) -> String {
        format!("PC/SC: {}", self.reader)
    }
}

/// A [`TransportError::Reader`] saying what failed, the PC/SC error and what to check.
fn reader_error(what: &str, e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    let hint = match e {
        E::NoService | E::ServiceStopped | E::NoReadersAvailable | E::CommError => {
            "is pcscd running? (start it with `pcscd -f` or `.ci/pcsc-up.sh`; its socket is \
             /run/pcscd/pcscd.comm) and is a reader plugged in?"
        }
        E::UnknownReader | E::ReaderUnavailable => {
            "is the reader still plugged in? (list readers with `pcsc_scan -r`)"
        }
        E::NoSmartcard | E::RemovedCard => {
            "is a card present in the reader? for the simulated card, is its vpcd client \
             connected (port 35963 for Virtual PCD 00 00)?"
        }
        E::UnpoweredCard | E::UnresponsiveCard | E::ResetCard => {
            "is the card inserted correctly? try a reset"
        }
        E::SharingViolation => "another program holds the card exclusively",
        E::ProtoMismatch => "the card supports neither T=0 nor T=1",
        _ => "check `pcsc_scan` and pcscd's log",
    };
    TransportError::Reader(format!("{what}: {e} ({e:?}); {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_choice() {
        let names = vec![
            "Virtual PCD 00 00".to_string(),
            "Virtual PCD 00 01".to_string(),
            "Gemalto USB Shell Token V2 01 00".to_string(),
        ];
        assert_eq!(
            choose_reader(&names, "Virtual PCD 00 01").unwrap(),
            "Virtual PCD 00 01"
        );
        assert_eq!(choose_reader(&names, "gemalto").unwrap(), names[2]);
        assert_eq!(choose_reader(&names, "00 00").unwrap(), names[0]);
        assert!(matches!(
            choose_reader(&names, "Virtual"),
            Err(TransportError::Reader(m)) if m.contains("several")
        ));
        assert!(choose_reader(&names, "Omnikey").is_err());
        assert!(choose_reader(&[], "x").is_err());
    }

    #[test]
    fn get_response_class() {
        assert_eq!(get_response_cla(0x00), 0x00);
        assert_eq!(get_response_cla(0x80), 0x00);
        assert_eq!(get_response_cla(0x84), 0x00);
        assert_eq!(get_response_cla(0x0C), 0x00);
        assert_eq!(get_response_cla(0x01), 0x01);
        assert_eq!(get_response_cla(0x43), 0x43);
        assert_eq!(get_response_cla(0xA0), 0xA0);
    }

    #[test]
    fn le_rewrite() {
        assert_eq!(with_le(&[0, 0xB0, 0, 0], 8), [0, 0xB0, 0, 0, 8]);
        assert_eq!(with_le(&[0x80, 0x5C, 0, 2, 0], 4), [0x80, 0x5C, 0, 2, 4]);
    }
}
