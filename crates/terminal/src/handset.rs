//! A simulated handset: the phone side of docs/spec.md 1.1 over any [`Transport`] (the card's
//! contact interface).
//!
//! At power-on it first reads the SIM's files as a phone does (module `startup`: MF, EF_ICCID,
//! EF_DIR, the USIM or DF GSM, EF_IMSI, the service table, EF_AD, STATUS), then it sends
//! TERMINAL PROFILE, FETCHes every `91xx`, decodes proactive commands into the typed
//! model, answers SET UP MENU and SET UP IDLE MODE TEXT itself (as phones do), and shows the
//! other commands as a [`Screen`] until the user answers with a [`Key`]. It is a permissive
//! phone: it passes whatever the user types to the card (even letters into a digits-only
//! input, or too few digits), so the card's own checks can be tested.
//!
//! Key tokens (for scripts and the CLI): an item number on a menu, the literal text on an input
//! (`'` forces a literal, e.g. `'b`), `o` (or anything) to acknowledge a message, `b` back
//! (result `11`), `e` end (`10`), `t` time-out (`12`), `?N` help on item N of the SIM menu
//! (MENU SELECTION with the help request) or of a list (result `13` with item N), `?` help on
//! an input screen (result `13`). Help is shown as offered only where the card set the
//! command's "help information available" bit, but the handset sends the request anyway.
//!
//! # Data channel (Bearer Independent Protocol)
//!
//! The handset also carries the card's over-the-air requests to the issuer, as a phone does:
//! it executes OPEN CHANNEL, SEND DATA, RECEIVE DATA and CLOSE CHANNEL itself (no user) with
//! its [`IssuerNetwork`] ([`Handset::with_network`]). One channel (1), TCP client towards the
//! address the card names; the issuer's answer to a SEND DATA waits in the receive buffer for
//! RECEIVE DATA. Its answers:
//!
//! * OPEN CHANNEL: `00` with channel status `81 00` (channel 1, link established), the bearer
//!   and buffer size echoed; no network, or out of coverage: `20 04` (terminal unable, no
//!   service); a channel already open: `3A 01` (BIP error, no channel available); a handset
//!   whose TERMINAL PROFILE lacks BIP: `30` (beyond the terminal's capabilities);
//! * SEND DATA: `00` with the free transmit space (`FF`: more than 255); the wrong channel:
//!   `3A 03` (channel identifier not valid);
//! * RECEIVE DATA: `00` with the data and how much is left; nothing arrived (the issuer did
//!   not answer): `3A 07` (remote device not reachable);
//! * CLOSE CHANNEL: `00`; the wrong channel: `3A 03`.
//!
//! [`Handset::hold_bip`] stops the handset at a BIP command of a given type and shows it as
//! the current screen, so a test (or the CLI user) can answer it with a key instead: `o`
//! carries it out, `b`/`e`/`t` answer back, end or time-out.

mod startup;
pub use startup::{SimFiles, imsi_digits, swapped_digits};

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card::command::Command;
use crate::network::IssuerNetwork;
use crate::stk::{
    Envelope, Item, LocalTime, Proactive, ProactiveCommand, ResultCode, StkError, TerminalProfile,
    TerminalResponse, ucs2_display,
};
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};
use std::rc::Rc;
use stk_domain::clock::Clock;

/// The handset's TERMINAL PROFILE: docs/spec.md 1.1's example (byte 2 b7 set: the handset displays
/// UCS2) extended with byte 8 b3 (PROVIDE LOCAL INFORMATION date/time), byte 12 `0F` (OPEN
/// CHANNEL, CLOSE CHANNEL, RECEIVE DATA, SEND DATA), byte 13 `22` (GPRS bearer, one channel)
/// and byte 17 `01` (TCP, UICC in client mode, remote connection).
pub const PROFILE_UCS2: [u8; 17] = [
    0x09, 0x61, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0F, 0x22, 0x00, 0x00, 0x00,
    0x01,
];
/// The same handset without UCS2 display (byte 2 b7 clear): English-only.
pub const PROFILE_NO_UCS2: [u8; 17] = [
    0x09, 0x21, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0F, 0x22, 0x00, 0x00, 0x00,
    0x01,
];
/// docs/spec.md 1.1's worked-example profile as it stands: UCS2, no data channel (no BIP), so
/// the wallet's Top Up and Pay Phone Bill are refused on this handset.
pub const PROFILE_NO_BIP: [u8; 9] = [0x09, 0x61, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00];

/// BIP result codes (TS 102 223 §8.12).
const TERMINAL_UNABLE: u8 = 0x20;
const NO_SERVICE: u8 = 0x04;
const BEYOND_CAPABILITIES: u8 = 0x30;
const BIP_ERROR: u8 = 0x3A;
const NO_CHANNEL_AVAILABLE: u8 = 0x01;
const CHANNEL_ID_NOT_VALID: u8 = 0x03;
const REMOTE_NOT_REACHABLE: u8 = 0x07;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandsetError {
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    #[error("the card answered {0} to {1}")]
    Card(Sw, &'static str),
    #[error("the card sent a proactive command the handset cannot decode: {0}")]
    Decode(#[from] StkError),
    #[error("`{0}` is not an item number")]
    NotAnItem(String),
    #[error("the card kept sending proactive commands without user interaction")]
    Loop,
}

/// A user action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Item(u8),
    Text(String),
    Ok,
    Back,
    End,
    Timeout,
    /// Help: on this item (SIM menu or list), or on the screen (input).
    Help(Option<u8>),
}

/// One command/response pair on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub command: Vec<u8>,
    pub response: Vec<u8>,
}

/// The handset.
pub struct Handset<T: Transport> {
    transport: T,
    pub profile: Vec<u8>,
    /// CLA of the toolkit commands: `80` (UICC) or `A0` (GSM).
    pub cla: u8,
    /// The SIM menu (from SET UP MENU).
    pub menu: Option<(String, Vec<Item>)>,
    /// The SET UP MENU said help information is available (qualifier b8).
    pub menu_help: bool,
    pub idle_text: Option<String>,
    /// The command on the screen, waiting for the user (None: idle, showing the SIM menu).
    pub current: Option<ProactiveCommand>,
    /// Every APDU exchanged.
    pub log: Vec<Exchange>,
    /// The network behind the handset (None: no data service at all).
    pub network: Option<Rc<IssuerNetwork>>,
    /// Stop at BIP commands of this type (e.g. `0x42` RECEIVE DATA) and show them, instead of
    /// carrying them out at once.
    pub hold_bip: Option<u8>,
    /// The open data channel: its number and the bytes received, not yet read by the card.
    channel: Option<(u8, Vec<u8>)>,
    /// What the last start-up read from the SIM's files (see [`Handset::start_up`]).
    pub sim: Option<SimFiles>,
    /// How many exchanges of [`Handset::log`] the last start-up took (TERMINAL PROFILE follows).
    pub startup_exchanges: usize,
    /// The handset's clock: what it answers PROVIDE LOCAL INFORMATION (date, time) with,
    /// time zone `00` (the clock is UTC).
    pub clock: Clock,
}

impl<T: Transport> Handset<T> {
    pub fn new(transport: T) -> Self {
        Handset {
            transport,
            profile: PROFILE_UCS2.to_vec(),
            cla: 0x80,
            menu: None,
            menu_help: false,
            idle_text: None,
            current: None,
            log: Vec::new(),
            network: None,
            hold_bip: None,
            channel: None,
            sim: None,
            startup_exchanges: 0,
            clock: Clock::System,
        }
    }

    pub fn with_profile(mut self, profile: &[u8]) -> Self {
        self.profile = profile.to_vec();
        self
    }

    /// The handset's clock (tests fix it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// PROVIDE LOCAL INFORMATION (date, time and time zone): the clock's time, if the
    /// handset's profile claims the command (byte 8 b3); else "beyond terminal's capabilities".
    fn local_time(&self, cmd: &ProactiveCommand) -> TerminalResponse {
        if !TerminalProfile(&self.profile).local_time() {
            return TerminalResponse::to(cmd, ResultCode::from_byte(BEYOND_CAPABILITIES));
        }
        let (date, time) = self.clock.now();
        TerminalResponse {
            date_time: Some(LocalTime {
                date,
                time,
                zone: 0x00,
            }),
            ..TerminalResponse::to(cmd, ResultCode::Ok)
        }
    }

    /// The network the handset's data channel reaches.
    pub fn with_network(mut self, network: Rc<IssuerNetwork>) -> Self {
        self.network = Some(network);
        self
    }

    /// Whether a data channel is open.
    pub fn channel_open(&self) -> bool {
        self.channel.is_some()
    }

    /// Carries out a BIP command; the TERMINAL RESPONSE to give the card.
    fn run_bip(&mut self, cmd: &ProactiveCommand) -> TerminalResponse {
        let fail = |result: u8, info: Option<u8>| TerminalResponse {
            additional: info,
            ..TerminalResponse::to(cmd, ResultCode::from_byte(result))
        };
        let ok = TerminalResponse::to(cmd, ResultCode::Ok);
        let wrong_channel =
            |c: u8, open: &Option<(u8, Vec<u8>)>| open.as_ref().map(|o| o.0) != Some(c);
        match &cmd.kind {
            Proactive::OpenChannel {
                bearer,
                buffer_size,
                ..
            } => {
                if !TerminalProfile(&self.profile).bip() {
                    return fail(BEYOND_CAPABILITIES, None);
                }
                if self.channel.is_some() {
                    return fail(BIP_ERROR, Some(NO_CHANNEL_AVAILABLE));
                }
                if !self.network.as_ref().is_some_and(|n| n.reachable.get()) {
                    return fail(TERMINAL_UNABLE, Some(NO_SERVICE));
                }
                self.channel = Some((1, Vec::new()));
                TerminalResponse {
                    channel_status: Some([0x81, 0x00]),
                    bearer: Some(bearer.clone()),
                    buffer_size: Some(*buffer_size),
                    ..ok
                }
            }
            Proactive::SendData { channel, data, .. } => {
                if wrong_channel(*channel, &self.channel) {
                    return fail(BIP_ERROR, Some(CHANNEL_ID_NOT_VALID));
                }
                let answer = self.network.as_ref().and_then(|n| n.exchange(data));
                if let (Some(open), Some(answer)) = (self.channel.as_mut(), answer) {
                    open.1.extend(answer);
                }
                TerminalResponse {
                    channel_data_length: Some(0xFF),
                    ..ok
                }
            }
            Proactive::ReceiveData { channel, length } => {
                if wrong_channel(*channel, &self.channel) {
                    return fail(BIP_ERROR, Some(CHANNEL_ID_NOT_VALID));
                }
                let Some((_, rx)) = self.channel.as_mut().filter(|o| !o.1.is_empty()) else {
                    return fail(BIP_ERROR, Some(REMOTE_NOT_REACHABLE));
                };
                let n = usize::from(*length).min(rx.len());
                let data: Vec<u8> = rx.drain(..n).collect();
                TerminalResponse {
                    channel_data: Some(data),
                    channel_data_length: Some(rx.len().min(0xFF) as u8),
                    ..ok
                }
            }
            Proactive::CloseChannel { channel } => {
                if wrong_channel(*channel, &self.channel) {
                    return fail(BIP_ERROR, Some(CHANNEL_ID_NOT_VALID));
                }
                self.channel = None;
                ok
            }
            _ => fail(BEYOND_CAPABILITIES, None),
        }
    }

    fn ucs2(&self) -> bool {
        ucs2_display(&self.profile)
    }

    fn send(
        &mut self,
        apdu: CommandApdu,
        what: &'static str,
    ) -> Result<ResponseApdu, HandsetError> {
        let command = apdu.to_bytes();
        let response = self.transport.transmit_raw(&command)?;
        self.log.push(Exchange {
            command,
            response: response.clone(),
        });
        let r = ResponseApdu::parse(&response).ok_or(TransportError::Malformed(response))?;
        if r.sw != Sw::OK && r.sw.sw1() != 0x91 && what != "FETCH" {
            return Err(HandsetError::Card(r.sw, what));
        }
        Ok(r)
    }

    /// The SIM start-up ([`Handset::start_up`]), then TERMINAL PROFILE, then what the card
    /// queues (SET UP MENU).
    pub fn power_on(&mut self) -> Result<(), HandsetError> {
        self.channel = None;
        let before = self.log.len();
        self.sim = Some(self.start_up()?);
        self.startup_exchanges = self.log.len() - before;
        let apdu = Command::TerminalProfile {
            profile: self.profile.clone(),
        }
        .to_apdu_in_class(self.cla);
        let r = self.send(apdu, "TERMINAL PROFILE")?;
        self.after(r.sw)
    }

    /// Fetches and handles proactive commands until one needs the user, or the card is idle.
    fn after(&mut self, mut sw: Sw) -> Result<(), HandsetError> {
        self.current = None;
        for _ in 0..16 {
            if sw.sw1() != 0x91 {
                return Ok(());
            }
            let fetch = Command::Fetch {
                le: Some(usize::from(sw.sw2())),
            }
            .to_apdu_in_class(self.cla);
            let r = self.send(fetch, "FETCH")?;
            if r.sw != Sw::OK {
                return Err(HandsetError::Card(r.sw, "FETCH"));
            }
            let cmd = ProactiveCommand::decode(&r.data)?;
            match &cmd.kind {
                Proactive::SetUpMenu { title, items, help } => {
                    self.menu = Some((title.clone(), items.clone()));
                    self.menu_help = *help;
                }
                Proactive::SetUpIdleModeText { text } => self.idle_text = Some(text.clone()),
                Proactive::ProvideLocalTime => {
                    let tr = self.local_time(&cmd);
                    sw = self.respond(tr)?;
                    continue;
                }
                k if k.is_bip() && self.hold_bip != Some(k.type_code()) => {
                    let tr = self.run_bip(&cmd);
                    sw = self.respond(tr)?;
                    continue;
                }
                _ => {
                    self.current = Some(cmd);
                    return Ok(());
                }
            }
            sw = self.respond(TerminalResponse::to(&cmd, ResultCode::Ok))?;
        }
        Err(HandsetError::Loop)
    }

    fn respond(&mut self, tr: TerminalResponse) -> Result<Sw, HandsetError> {
        let apdu = Command::TerminalResponse {
            data: tr.encode(self.ucs2()),
        }
        .to_apdu_in_class(self.cla);
        Ok(self.send(apdu, "TERMINAL RESPONSE")?.sw)
    }

    /// The user presses `key`.
    pub fn press(&mut self, key: Key) -> Result<(), HandsetError> {
        let Some(cmd) = self.current.clone() else {
            // Idle: only choosing a SIM menu item, or asking help on one, does anything.
            let envelope = match key {
                Key::Item(item) => Envelope::MenuSelection { item },
                Key::Help(Some(item)) => Envelope::MenuHelpRequest { item },
                _ => return Ok(()),
            };
            let apdu = Command::Envelope {
                data: envelope.encode(),
            }
            .to_apdu_in_class(self.cla);
            let r = self.send(apdu, "ENVELOPE")?;
            return self.after(r.sw);
        };
        let result = match &key {
            Key::Back => ResultCode::Back,
            Key::End => ResultCode::EndedByUser,
            Key::Timeout => ResultCode::NoResponse,
            Key::Help(_) => ResultCode::HelpRequired,
            _ => ResultCode::Ok,
        };
        let mut tr = TerminalResponse::to(&cmd, result);
        if let Key::Help(item) = key {
            // TS 102 223 §6.4.9: to SELECT ITEM, the item the user asked help on.
            if matches!(cmd.kind, Proactive::SelectItem { .. }) {
                tr.item = item;
            }
            let sw = self.respond(tr)?;
            return self.after(sw);
        }
        if result == ResultCode::Ok && cmd.kind.is_bip() {
            tr = self.run_bip(&cmd);
        } else if result == ResultCode::Ok {
            match (&cmd.kind, key) {
                (Proactive::SelectItem { .. }, Key::Item(i)) => tr.item = Some(i),
                (Proactive::SelectItem { .. }, Key::Text(t)) => {
                    return Err(HandsetError::NotAnItem(t));
                }
                (Proactive::GetInput { .. }, Key::Text(t)) => tr.text = Some(t),
                (Proactive::GetInput { .. }, Key::Item(i)) => tr.text = Some(i.to_string()),
                (Proactive::GetInput { .. }, _) => tr.text = Some(String::new()),
                _ => {}
            }
        }
        let sw = self.respond(tr)?;
        self.after(sw)
    }

    /// Interprets a key token (see the module docs) for the current screen and presses it.
    pub fn press_token(&mut self, token: &str) -> Result<(), HandsetError> {
        self.press(self.key_for(token)?)
    }

    /// The key a token means on the current screen.
    pub fn key_for(&self, token: &str) -> Result<Key, HandsetError> {
        let t = token.trim();
        match t {
            "b" => return Ok(Key::Back),
            "e" => return Ok(Key::End),
            "t" => return Ok(Key::Timeout),
            _ => {}
        }
        if let Some(lit) = t.strip_prefix('\'') {
            return Ok(Key::Text(lit.to_string()));
        }
        if let Some(n) = t.strip_prefix('?') {
            let n = n.trim();
            if n.is_empty() {
                return Ok(Key::Help(None));
            }
            return Ok(Key::Help(Some(
                n.parse().map_err(|_| HandsetError::NotAnItem(t.into()))?,
            )));
        }
        Ok(match self.current.as_ref().map(|c| &c.kind) {
            None | Some(Proactive::SelectItem { .. }) => {
                Key::Item(t.parse().map_err(|_| HandsetError::NotAnItem(t.into()))?)
            }
            Some(Proactive::GetInput { .. }) => Key::Text(t.to_string()),
            _ => Key::Ok,
        })
    }

    /// Whether the current screen asks for hidden input.
    pub fn hidden_input(&self) -> bool {
        matches!(
            self.current.as_ref().map(|c| &c.kind),
            Some(Proactive::GetInput { hidden: true, .. })
        )
    }

    /// The screen as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let list = |out: &mut String, title: &str, items: &[Item]| {
            out.push_str(&format!("== {title} ==\n"));
            for i in items {
                out.push_str(&format!("  {}. {}\n", i.id, i.text));
            }
        };
        let help = |on: bool, what: &str| {
            if on {
                format!(", {what} help")
            } else {
                String::new()
            }
        };
        match self.current.as_ref().map(|c| &c.kind) {
            None => match &self.menu {
                Some((title, items)) => {
                    list(&mut out, title, items);
                    out.push_str(&format!("[item number{}]\n", help(self.menu_help, "?N")));
                }
                None => out.push_str("(no SIM menu)\n"),
            },
            Some(Proactive::SelectItem {
                title,
                items,
                help: on,
                ..
            }) => {
                list(&mut out, title.as_deref().unwrap_or(""), items);
                out.push_str(&format!(
                    "[item number{}, b back, e end]\n",
                    help(*on, "?N")
                ));
            }
            Some(Proactive::GetInput {
                prompt,
                min,
                max,
                hidden,
                help: on,
                ..
            }) => {
                out.push_str(&format!("{prompt}\n"));
                let n = if min == max {
                    format!("{min}")
                } else {
                    format!("{min}-{max}")
                };
                out.push_str(&format!(
                    "[{n} digits{}{}, b back, e end]\n",
                    if *hidden { ", hidden" } else { "" },
                    help(*on, "?")
                ));
            }
            Some(Proactive::DisplayText { text, .. }) => {
                for line in text.lines() {
                    out.push_str(&format!("| {line}\n"));
                }
                out.push_str("[o ok, b back, e end]\n");
            }
            Some(k) if k.is_bip() => {
                let what = match k {
                    Proactive::OpenChannel { .. } => "OPEN CHANNEL",
                    Proactive::SendData { .. } => "SEND DATA",
                    Proactive::ReceiveData { .. } => "RECEIVE DATA",
                    _ => "CLOSE CHANNEL",
                };
                out.push_str(&format!("(data channel: {what})\n"));
                out.push_str("[o carry out, b back, e end, t time-out]\n");
            }
            Some(other) => out.push_str(&format!("{other:?}\n")),
        }
        out
    }

    /// The transport (to power-cycle the card, etc.).
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }
}

/// Splits a key script (`"1,2,b"`) into tokens.
pub fn tokens(script: &str) -> Vec<String> {
    script
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
