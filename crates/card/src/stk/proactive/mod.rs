//! Proactive commands, TERMINAL RESPONSE, the MENU SELECTION envelope and TERMINAL PROFILE,
//! as typed values with exact encoders and tolerant-but-safe decoders (docs/spec.md 1.1).
//!
//! Encoders write every COMPREHENSION-TLV tag with the comprehension-required bit set and
//! minimal lengths, in the order TS 102 223 prescribes (command details, device identities,
//! then the command's own objects). Decoders accept tags with or without the CR bit, accept
//! objects in any order after the wrapper (the first of a repeated single object wins), skip
//! unknown objects whose CR bit is clear and refuse unknown objects whose CR bit is set
//! ([`StkError::UnknownRequired`], which a handset answers with result `32`).

use super::tag::{
    ALPHA_IDENTIFIER, BEARER_DESCRIPTION, BUFFER_SIZE, CHANNEL_DATA, CHANNEL_DATA_LENGTH,
    CHANNEL_STATUS, COMMAND_DETAILS, DATE_TIME_AND_TIME_ZONE, DEVICE_IDENTITIES, HELP_REQUEST,
    ITEM, ITEM_IDENTIFIER, MENU_SELECTION, OTHER_ADDRESS, PROACTIVE_COMMAND, RESPONSE_LENGTH,
    RESULT, TEXT_STRING, TRANSPORT_LEVEL,
};
use super::text::{decode_alpha, decode_text_string, encode_alpha, encode_text_string};
use super::tlv::{Tlv, encode_ber, parse_ber, parse_ber_exact, parse_ctlvs, push_ctlv};
use super::{StkError, command_type as ct, device};

/// One menu entry: its identifier and its label.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Item {
    pub id: u8,
    pub text: String,
}

impl Item {
    pub fn new(id: u8, text: impl Into<String>) -> Self {
        Item {
            id,
            text: text.into(),
        }
    }
}

/// The proactive commands the wallet uses.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Proactive {
    /// SET UP MENU `25`: title (alpha `85`) and items (`8F`). No items is written as the null
    /// item `8F 00` (which removes the menu). Qualifier b8 (`80`, TS 102 223 §8.6) = help
    /// information available: the handset may offer help on an item (MENU SELECTION with the
    /// help request, tag 15: `95 00`).
    SetUpMenu {
        title: String,
        items: Vec<Item>,
        help: bool,
    },
    /// SELECT ITEM `24`: optional title, items, optional default item (`90`). Qualifier b8
    /// (`80`) = help information available (the handset may answer result `13` with the item
    /// the user asked help on).
    SelectItem {
        title: Option<String>,
        items: Vec<Item>,
        default_item: Option<u8>,
        help: bool,
    },
    /// GET INPUT `23`: prompt (TEXT STRING `8D`), response length (`91 02 min max`).
    /// Qualifier bits (TS 102 223 §8.6): b1 (`01`) set = any alphabet, clear = digits only;
    /// b3 (`04`) = hide the input; b8 (`80`) = help information available (the handset may
    /// answer result `13`). So `04` = hidden digits, `00` = visible digits (docs/spec.md),
    /// `84` and `80` the same with help.
    GetInput {
        prompt: String,
        min: u8,
        max: u8,
        hidden: bool,
        digits_only: bool,
        help: bool,
    },
    /// DISPLAY TEXT `21`, to the display (`81→02`). Qualifier b1 (`01`) = high priority,
    /// b8 (`80`) = wait for the user to clear the message.
    DisplayText {
        text: String,
        high_priority: bool,
        wait_for_user: bool,
    },
    /// SET UP IDLE MODE TEXT `28`, qualifier `00`.
    SetUpIdleModeText { text: String },
    /// PROVIDE LOCAL INFORMATION `26`, qualifier `03` (date, time and time zone), to the
    /// terminal; no further objects. The TERMINAL RESPONSE carries Date-Time and Time zone `26`.
    ProvideLocalTime,
    /// OPEN CHANNEL `40` (TS 102 223 §6.4.27), qualifier `01` (immediate link
    /// establishment), to the terminal: bearer description `35` (e.g. `03`, the default
    /// bearer for the transport), buffer size `39` (2 bytes), optional transport level `3C`
    /// (protocol type, e.g. `02` TCP with the UICC as client, remote connection, and a
    /// 2-byte port) and optional data destination address `3E` (type, e.g. `21` IPv4, then
    /// the address).
    OpenChannel {
        bearer: Vec<u8>,
        buffer_size: u16,
        transport: Option<(u8, u16)>,
        destination: Option<Vec<u8>>,
    },
    /// CLOSE CHANNEL `41`, qualifier `00`, to channel `channel` (device `20 + channel`).
    CloseChannel { channel: u8 },
    /// RECEIVE DATA `42`, qualifier `00`, from channel `channel`: channel data length `37`
    /// (how many bytes the card asks for).
    ReceiveData { channel: u8, length: u8 },
    /// SEND DATA `43` to channel `channel`: channel data `36`. Qualifier b1 (`01`) = send
    /// immediately, clear = store in the transmit buffer.
    SendData {
        channel: u8,
        data: Vec<u8>,
        immediate: bool,
    },
}

impl Proactive {
    /// The command type byte.
    pub fn type_code(&self) -> u8 {
        match self {
            Proactive::SetUpMenu { .. } => ct::SET_UP_MENU,
            Proactive::SelectItem { .. } => ct::SELECT_ITEM,
            Proactive::GetInput { .. } => ct::GET_INPUT,
            Proactive::DisplayText { .. } => ct::DISPLAY_TEXT,
            Proactive::SetUpIdleModeText { .. } => ct::SET_UP_IDLE_MODE_TEXT,
            Proactive::ProvideLocalTime => ct::PROVIDE_LOCAL_INFORMATION,
            Proactive::OpenChannel { .. } => ct::OPEN_CHANNEL,
            Proactive::CloseChannel { .. } => ct::CLOSE_CHANNEL,
            Proactive::ReceiveData { .. } => ct::RECEIVE_DATA,
            Proactive::SendData { .. } => ct::SEND_DATA,
        }
    }

    /// The command qualifier byte.
    pub fn qualifier(&self) -> u8 {
        match *self {
            Proactive::GetInput {
                hidden,
                digits_only,
                help,
                ..
            } => {
                (if hidden { 0x04 } else { 0 })
                    | (if digits_only { 0 } else { 0x01 })
                    | help_bit(help)
            }
            Proactive::SetUpMenu { help, .. } | Proactive::SelectItem { help, .. } => {
                help_bit(help)
            }
            Proactive::DisplayText {
                high_priority,
                wait_for_user,
                ..
            } => (if high_priority { 0x01 } else { 0 }) | (if wait_for_user { 0x80 } else { 0 }),
            Proactive::OpenChannel { .. } => 0x01,
            Proactive::SendData { immediate, .. } => u8::from(immediate),
            Proactive::ProvideLocalTime => 0x03,
            _ => 0x00,
        }
    }

    /// Whether the command says help information is available (qualifier b8 of SET UP MENU,
    /// SELECT ITEM and GET INPUT; always false for the other commands, whose b8 means
    /// something else or nothing).
    pub fn help(&self) -> bool {
        match *self {
            Proactive::SetUpMenu { help, .. }
            | Proactive::SelectItem { help, .. }
            | Proactive::GetInput { help, .. } => help,
            _ => false,
        }
    }

    /// The same command with help information available set to `on` (SET UP MENU, SELECT ITEM,
    /// GET INPUT; any other command is returned unchanged).
    pub fn with_help(mut self, on: bool) -> Proactive {
        match &mut self {
            Proactive::SetUpMenu { help, .. }
            | Proactive::SelectItem { help, .. }
            | Proactive::GetInput { help, .. } => *help = on,
            _ => {}
        }
        self
    }

    /// The destination device: the display for DISPLAY TEXT, the channel for CLOSE
    /// CHANNEL, RECEIVE DATA and SEND DATA, the terminal otherwise.
    pub fn destination(&self) -> u8 {
        match *self {
            Proactive::DisplayText { .. } => device::DISPLAY,
            Proactive::CloseChannel { channel }
            | Proactive::ReceiveData { channel, .. }
            | Proactive::SendData { channel, .. } => 0x20 | (channel & 0x07),
            _ => device::TERMINAL,
        }
    }

    /// Whether this is a Bearer Independent Protocol command (the handset carries it out
    /// without the user).
    pub fn is_bip(&self) -> bool {
        matches!(
            self,
            Proactive::OpenChannel { .. }
                | Proactive::CloseChannel { .. }
                | Proactive::ReceiveData { .. }
                | Proactive::SendData { .. }
        )
    }
}

/// Qualifier b8 of SET UP MENU, SELECT ITEM and GET INPUT: help information available.
pub const HELP_AVAILABLE: u8 = 0x80;

fn help_bit(help: bool) -> u8 {
    if help { HELP_AVAILABLE } else { 0 }
}

/// A proactive command: its command number and what it asks.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProactiveCommand {
    pub number: u8,
    pub kind: Proactive,
}

fn push_items(out: &mut Vec<u8>, items: &[Item], ucs2_ok: bool) {
    if items.is_empty() {
        push_ctlv(out, ITEM, &[]);
    }
    for item in items {
        let mut v = vec![item.id];
        v.extend(encode_alpha(&item.text, ucs2_ok));
        push_ctlv(out, ITEM, &v);
    }
}

/// Fails on an unknown object that is marked comprehension-required.
fn unknown(t: &Tlv<'_>) -> Result<(), StkError> {
    if t.tag.cr {
        Err(StkError::UnknownRequired(t.tag))
    } else {
        Ok(())
    }
}

fn bad(what: &'static str, value: &[u8]) -> StkError {
    StkError::BadObject {
        what,
        value: value.to_vec(),
    }
}

fn fixed<const N: usize>(what: &'static str, value: &[u8]) -> Result<[u8; N], StkError> {
    value.try_into().map_err(|_| bad(what, value))
}

/// The objects of one message, sorted by tag (first occurrence of single objects).
#[derive(Default)]
struct Objects<'a> {
    details: Option<&'a [u8]>,
    devices: Option<&'a [u8]>,
    result: Option<&'a [u8]>,
    alpha: Option<&'a [u8]>,
    text: Option<&'a [u8]>,
    items: Vec<&'a [u8]>,
    item_id: Option<&'a [u8]>,
    response_length: Option<&'a [u8]>,
    help: bool,
    bearer: Option<&'a [u8]>,
    channel_data: Option<&'a [u8]>,
    channel_data_length: Option<&'a [u8]>,
    channel_status: Option<&'a [u8]>,
    buffer_size: Option<&'a [u8]>,
    transport: Option<&'a [u8]>,
    other_address: Option<&'a [u8]>,
    date_time: Option<&'a [u8]>,
}

impl<'a> Objects<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, StkError> {
        let mut o = Objects::default();
        for t in parse_ctlvs(body)? {
            if t.tag.three_byte {
                unknown(&t)?;
                continue;
            }
            let slot = match t.tag.value as u8 {
                COMMAND_DETAILS => &mut o.details,
                DEVICE_IDENTITIES => &mut o.devices,
                RESULT => &mut o.result,
                ALPHA_IDENTIFIER => &mut o.alpha,
                TEXT_STRING => &mut o.text,
                ITEM_IDENTIFIER => &mut o.item_id,
                RESPONSE_LENGTH => &mut o.response_length,
                BEARER_DESCRIPTION => &mut o.bearer,
                CHANNEL_DATA => &mut o.channel_data,
                CHANNEL_DATA_LENGTH => &mut o.channel_data_length,
                CHANNEL_STATUS => &mut o.channel_status,
                BUFFER_SIZE => &mut o.buffer_size,
                TRANSPORT_LEVEL => &mut o.transport,
                OTHER_ADDRESS => &mut o.other_address,
                DATE_TIME_AND_TIME_ZONE => &mut o.date_time,
                ITEM => {
                    o.items.push(t.value);
                    continue;
                }
                HELP_REQUEST => {
                    o.help = true;
                    continue;
                }
                _ => {
                    unknown(&t)?;
                    continue;
                }
            };
            slot.get_or_insert(t.value);
        }
        Ok(o)
    }

    fn details(&self) -> Result<[u8; 3], StkError> {
        fixed(
            "command details",
            self.details.ok_or(StkError::Missing("command details"))?,
        )
    }

    /// Device identities, checked against the expected source.
    fn devices(&self, src: u8) -> Result<[u8; 2], StkError> {
        let d: [u8; 2] = fixed(
            "device identities",
            self.devices.ok_or(StkError::Missing("device identities"))?,
        )?;
        if d[0] != src {
            return Err(StkError::WrongDevices {
                src: d[0],
                dst: d[1],
            });
        }
        Ok(d)
    }

    fn items(&self) -> Result<Vec<Item>, StkError> {
        let mut out = Vec::new();
        for &v in &self.items {
            // An empty item is the null item ("no items").
            if let Some((&id, text)) = v.split_first() {
                out.push(Item {
                    id,
                    text: decode_alpha(text)?,
                });
            }
        }
        Ok(out)
    }

    fn text(&self) -> Result<Option<String>, StkError> {
        Ok(self.text.map(decode_text_string).transpose()?)
    }

    fn item_id(&self) -> Result<Option<u8>, StkError> {
        self.item_id
            .map(|v| fixed::<1>("item identifier", v).map(|[b]| b))
            .transpose()
    }

    fn buffer_size(&self) -> Result<Option<u16>, StkError> {
        self.buffer_size
            .map(|v| fixed::<2>("buffer size", v).map(u16::from_be_bytes))
            .transpose()
    }

    fn date_time(&self) -> Result<Option<LocalTime>, StkError> {
        self.date_time
            .map(|v| {
                let raw = fixed::<7>("date-time and time zone", v)?;
                LocalTime::from_bytes(raw).ok_or_else(|| bad("date-time and time zone", v))
            })
            .transpose()
    }

    fn channel_data_length(&self) -> Result<Option<u8>, StkError> {
        self.channel_data_length
            .map(|v| fixed::<1>("channel data length", v).map(|[b]| b))
            .transpose()
    }
}

/// The channel number of a channel device identity (`21`..`27`).
fn channel_of(src: u8, dst: u8) -> Result<u8, StkError> {
    if (0x21..=0x27).contains(&dst) {
        Ok(dst & 0x07)
    } else {
        Err(StkError::WrongDevices { src, dst })
    }
}

impl ProactiveCommand {
    pub fn new(number: u8, kind: Proactive) -> Self {
        ProactiveCommand { number, kind }
    }

    /// COMMAND DETAILS as the TERMINAL RESPONSE must echo them: number, type, qualifier.
    pub fn details(&self) -> [u8; 3] {
        [self.number, self.kind.type_code(), self.kind.qualifier()]
    }

    /// The whole `D0 L ...` proactive command, as FETCH returns it. `ucs2_ok` allows UCS2
    /// text (the handset's TERMINAL PROFILE says it displays UCS2, see [`ucs2_display`]).
    pub fn encode(&self, ucs2_ok: bool) -> Vec<u8> {
        let mut v = Vec::new();
        push_ctlv(&mut v, COMMAND_DETAILS, &self.details());
        push_ctlv(
            &mut v,
            DEVICE_IDENTITIES,
            &[device::UICC, self.kind.destination()],
        );
        match &self.kind {
            Proactive::SetUpMenu { title, items, .. } => {
                push_ctlv(&mut v, ALPHA_IDENTIFIER, &encode_alpha(title, ucs2_ok));
                push_items(&mut v, items, ucs2_ok);
            }
            Proactive::SelectItem {
                title,
                items,
                default_item,
                ..
            } => {
                if let Some(title) = title {
                    push_ctlv(&mut v, ALPHA_IDENTIFIER, &encode_alpha(title, ucs2_ok));
                }
                push_items(&mut v, items, ucs2_ok);
                if let Some(id) = default_item {
                    push_ctlv(&mut v, ITEM_IDENTIFIER, &[*id]);
                }
            }
            Proactive::GetInput {
                prompt, min, max, ..
            } => {
                push_ctlv(&mut v, TEXT_STRING, &encode_text_string(prompt, ucs2_ok));
                push_ctlv(&mut v, RESPONSE_LENGTH, &[*min, *max]);
            }
            Proactive::DisplayText { text, .. } | Proactive::SetUpIdleModeText { text } => {
                push_ctlv(&mut v, TEXT_STRING, &encode_text_string(text, ucs2_ok));
            }
            Proactive::OpenChannel {
                bearer,
                buffer_size,
                transport,
                destination,
            } => {
                push_ctlv(&mut v, BEARER_DESCRIPTION, bearer);
                push_ctlv(&mut v, BUFFER_SIZE, &buffer_size.to_be_bytes());
                if let Some((proto, port)) = transport {
                    let [hi, lo] = port.to_be_bytes();
                    push_ctlv(&mut v, TRANSPORT_LEVEL, &[*proto, hi, lo]);
                }
                if let Some(addr) = destination {
                    push_ctlv(&mut v, OTHER_ADDRESS, addr);
                }
            }
            Proactive::CloseChannel { .. } | Proactive::ProvideLocalTime => {}
            Proactive::ReceiveData { length, .. } => {
                push_ctlv(&mut v, CHANNEL_DATA_LENGTH, &[*length]);
            }
            Proactive::SendData { data, .. } => push_ctlv(&mut v, CHANNEL_DATA, data),
        }
        encode_ber(PROACTIVE_COMMAND, &v)
    }

    /// Decodes a whole `D0` proactive command (what FETCH returned, without the status word).
    pub fn decode(bytes: &[u8]) -> Result<Self, StkError> {
        let o = Objects::parse(parse_ber_exact(bytes, PROACTIVE_COMMAND)?)?;
        let [number, kind, q] = o.details()?;
        let [src, dst] = o.devices(device::UICC)?;
        let text =
            || -> Result<String, StkError> { o.text()?.ok_or(StkError::Missing("text string")) };
        let alpha = || o.alpha.map(decode_alpha).transpose();
        let kind = match kind {
            ct::SET_UP_MENU => Proactive::SetUpMenu {
                title: alpha()?.ok_or(StkError::Missing("alpha identifier"))?,
                items: o.items()?,
                help: q & HELP_AVAILABLE != 0,
            },
            ct::SELECT_ITEM => Proactive::SelectItem {
                title: alpha()?,
                items: o.items()?,
                default_item: o.item_id()?,
                help: q & HELP_AVAILABLE != 0,
            },
            ct::GET_INPUT => {
                let [min, max] = fixed(
                    "response length",
                    o.response_length
                        .ok_or(StkError::Missing("response length"))?,
                )?;
                Proactive::GetInput {
                    prompt: text()?,
                    min,
                    max,
                    hidden: q & 0x04 != 0,
                    digits_only: q & 0x01 == 0,
                    help: q & HELP_AVAILABLE != 0,
                }
            }
            ct::DISPLAY_TEXT => Proactive::DisplayText {
                text: text()?,
                high_priority: q & 0x01 != 0,
                wait_for_user: q & 0x80 != 0,
            },
            ct::SET_UP_IDLE_MODE_TEXT => Proactive::SetUpIdleModeText { text: text()? },
            // Only the date/time qualifier is one the wallet sends.
            ct::PROVIDE_LOCAL_INFORMATION if q == 0x03 => Proactive::ProvideLocalTime,
            ct::OPEN_CHANNEL => Proactive::OpenChannel {
                bearer: o
                    .bearer
                    .ok_or(StkError::Missing("bearer description"))?
                    .to_vec(),
                buffer_size: o.buffer_size()?.ok_or(StkError::Missing("buffer size"))?,
                transport: o
                    .transport
                    .map(|t| {
                        fixed::<3>("transport level", t)
                            .map(|[p, hi, lo]| (p, u16::from_be_bytes([hi, lo])))
                    })
                    .transpose()?,
                destination: o.other_address.map(<[u8]>::to_vec),
            },
            ct::CLOSE_CHANNEL => Proactive::CloseChannel {
                channel: channel_of(src, dst)?,
            },
            ct::RECEIVE_DATA => Proactive::ReceiveData {
                channel: channel_of(src, dst)?,
                length: o
                    .channel_data_length()?
                    .ok_or(StkError::Missing("channel data length"))?,
            },
            ct::SEND_DATA => Proactive::SendData {
                channel: channel_of(src, dst)?,
                data: o
                    .channel_data
                    .ok_or(StkError::Missing("channel data"))?
                    .to_vec(),
                immediate: q & 0x01 != 0,
            },
            other => return Err(StkError::UnknownCommandType(other)),
        };
        Ok(ProactiveCommand { number, kind })
    }
}

mod response;
#[cfg(test)]
mod tests;

pub use response::*;
