//! A simulated handset: the phone side of SPEC.md 1.1 over any [`Transport`] (the card's
//! contact interface).
//!
//! It sends TERMINAL PROFILE, FETCHes every `91xx`, decodes proactive commands into the typed
//! model, answers SET UP MENU and SET UP IDLE MODE TEXT itself (as phones do), and shows the
//! other commands as a [`Screen`] until the user answers with a [`Key`]. It is a permissive
//! phone: it passes whatever the user types to the card (even letters into a digits-only
//! input, or too few digits), so the card's own checks can be tested.
//!
//! Key tokens (for scripts and the CLI): an item number on a menu, the literal text on an input
//! (`'` forces a literal, e.g. `'b`), `o` (or anything) to acknowledge a message, `b` back
//! (result `11`), `e` end (`10`), `t` time-out (`12`).

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card::command::Command;
use crate::stk::{
    Envelope, Item, Proactive, ProactiveCommand, ResultCode, StkError, TerminalResponse,
    ucs2_display,
};
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};

/// SPEC.md 1.1's TERMINAL PROFILE (byte 2 b7 set: the handset displays UCS2).
pub const PROFILE_UCS2: [u8; 9] = [0x09, 0x61, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00];
/// The same handset without UCS2 display (byte 2 b7 clear): English-only.
pub const PROFILE_NO_UCS2: [u8; 9] = [0x09, 0x21, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00];

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
    pub idle_text: Option<String>,
    /// The command on the screen, waiting for the user (None: idle, showing the SIM menu).
    pub current: Option<ProactiveCommand>,
    /// Every APDU exchanged.
    pub log: Vec<Exchange>,
}

impl<T: Transport> Handset<T> {
    pub fn new(transport: T) -> Self {
        Handset {
            transport,
            profile: PROFILE_UCS2.to_vec(),
            cla: 0x80,
            menu: None,
            idle_text: None,
            current: None,
            log: Vec::new(),
        }
    }

    pub fn with_profile(mut self, profile: &[u8]) -> Self {
        self.profile = profile.to_vec();
        self
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

    /// Sends TERMINAL PROFILE and handles what the card queues (SET UP MENU).
    pub fn power_on(&mut self) -> Result<(), HandsetError> {
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
                Proactive::SetUpMenu { title, items } => {
                    self.menu = Some((title.clone(), items.clone()));
                }
                Proactive::SetUpIdleModeText { text } => self.idle_text = Some(text.clone()),
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
            // Idle: only choosing a SIM menu item does anything.
            if let Key::Item(item) = key {
                let apdu = Command::Envelope {
                    data: Envelope::MenuSelection { item }.encode(),
                }
                .to_apdu_in_class(self.cla);
                let r = self.send(apdu, "ENVELOPE")?;
                return self.after(r.sw);
            }
            return Ok(());
        };
        let result = match &key {
            Key::Back => ResultCode::Back,
            Key::End => ResultCode::EndedByUser,
            Key::Timeout => ResultCode::NoResponse,
            _ => ResultCode::Ok,
        };
        let mut tr = TerminalResponse::to(&cmd, result);
        if result == ResultCode::Ok {
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
        match self.current.as_ref().map(|c| &c.kind) {
            None => match &self.menu {
                Some((title, items)) => {
                    list(&mut out, title, items);
                    out.push_str("[item number]\n");
                }
                None => out.push_str("(no SIM menu)\n"),
            },
            Some(Proactive::SelectItem { title, items, .. }) => {
                list(&mut out, title.as_deref().unwrap_or(""), items);
                out.push_str("[item number, b back, e end]\n");
            }
            Some(Proactive::GetInput {
                prompt,
                min,
                max,
                hidden,
                ..
            }) => {
                out.push_str(&format!("{prompt}\n"));
                let n = if min == max {
                    format!("{min}")
                } else {
                    format!("{min}-{max}")
                };
                out.push_str(&format!(
                    "[{n} digits{}, b back, e end]\n",
                    if *hidden { ", hidden" } else { "" }
                ));
            }
            Some(Proactive::DisplayText { text, .. }) => {
                for line in text.lines() {
                    out.push_str(&format!("| {line}\n"));
                }
                out.push_str("[o ok, b back, e end]\n");
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
