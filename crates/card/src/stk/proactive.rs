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
    CHANNEL_STATUS, COMMAND_DETAILS, DEVICE_IDENTITIES, HELP_REQUEST, ITEM, ITEM_IDENTIFIER,
    MENU_SELECTION, OTHER_ADDRESS, PROACTIVE_COMMAND, RESPONSE_LENGTH, RESULT, TEXT_STRING,
    TRANSPORT_LEVEL,
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
    /// SET UP MENU `25`, qualifier `00`: title (alpha `85`) and items (`8F`). No items is
    /// written as the null item `8F 00` (which removes the menu).
    SetUpMenu { title: String, items: Vec<Item> },
    /// SELECT ITEM `24`, qualifier `00`: optional title, items, optional default item (`90`).
    SelectItem {
        title: Option<String>,
        items: Vec<Item>,
        default_item: Option<u8>,
    },
    /// GET INPUT `23`: prompt (TEXT STRING `8D`), response length (`91 02 min max`).
    /// Qualifier bits (TS 102 223 §8.6): b1 (`01`) set = any alphabet, clear = digits only;
    /// b3 (`04`) = hide the input. So `04` = hidden digits, `00` = visible digits (docs/spec.md).
    GetInput {
        prompt: String,
        min: u8,
        max: u8,
        hidden: bool,
        digits_only: bool,
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
                ..
            } => (if hidden { 0x04 } else { 0 }) | (if digits_only { 0 } else { 0x01 }),
            Proactive::DisplayText {
                high_priority,
                wait_for_user,
                ..
            } => (if high_priority { 0x01 } else { 0 }) | (if wait_for_user { 0x80 } else { 0 }),
            Proactive::OpenChannel { .. } => 0x01,
            Proactive::SendData { immediate, .. } => u8::from(immediate),
            _ => 0x00,
        }
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
            Proactive::SetUpMenu { title, items } => {
                push_ctlv(&mut v, ALPHA_IDENTIFIER, &encode_alpha(title, ucs2_ok));
                push_items(&mut v, items, ucs2_ok);
            }
            Proactive::SelectItem {
                title,
                items,
                default_item,
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
            Proactive::CloseChannel { .. } => {}
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
            },
            ct::SELECT_ITEM => Proactive::SelectItem {
                title: alpha()?,
                items: o.items()?,
                default_item: o.item_id()?,
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
                }
            }
            ct::DISPLAY_TEXT => Proactive::DisplayText {
                text: text()?,
                high_priority: q & 0x01 != 0,
                wait_for_user: q & 0x80 != 0,
            },
            ct::SET_UP_IDLE_MODE_TEXT => Proactive::SetUpIdleModeText { text: text()? },
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

/// General result of a TERMINAL RESPONSE (TS 102 223 §8.12).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ResultCode {
    /// `00` command performed successfully.
    Ok,
    /// `10` proactive session terminated by the user ("end").
    EndedByUser,
    /// `11` backward move requested by the user ("back").
    Back,
    /// `12` no response from the user (time-out).
    NoResponse,
    /// `20` terminal currently unable to process the command (additional info byte follows).
    TerminalUnable,
    /// `32` command data not understood by the terminal.
    NotUnderstood,
    /// Any other general result byte.
    Other(u8),
}

impl ResultCode {
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => ResultCode::Ok,
            0x10 => ResultCode::EndedByUser,
            0x11 => ResultCode::Back,
            0x12 => ResultCode::NoResponse,
            0x20 => ResultCode::TerminalUnable,
            0x32 => ResultCode::NotUnderstood,
            b => ResultCode::Other(b),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            ResultCode::Ok => 0x00,
            ResultCode::EndedByUser => 0x10,
            ResultCode::Back => 0x11,
            ResultCode::NoResponse => 0x12,
            ResultCode::TerminalUnable => 0x20,
            ResultCode::NotUnderstood => 0x32,
            ResultCode::Other(b) => b,
        }
    }

    /// `0x` results mean the command was performed (TS 102 223 §8.12).
    pub fn is_success(self) -> bool {
        self.to_byte() < 0x10
    }
}

/// A TERMINAL RESPONSE (`80 14 00 00 Lc` data): a bare sequence of COMPREHENSION-TLVs.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TerminalResponse {
    /// The echoed COMMAND DETAILS: number, type, qualifier.
    pub details: [u8; 3],
    pub result: ResultCode,
    /// The first additional-information byte of the result (e.g. the cause after `20`).
    pub additional: Option<u8>,
    /// The TEXT STRING answered to GET INPUT.
    pub text: Option<String>,
    /// The ITEM IDENTIFIER chosen in SELECT ITEM.
    pub item: Option<u8>,
    /// CHANNEL DATA `36` (RECEIVE DATA: the bytes received).
    pub channel_data: Option<Vec<u8>>,
    /// CHANNEL STATUS `38` (OPEN CHANNEL): byte 1 b1-b3 the channel, b8 link established;
    /// byte 2 further information.
    pub channel_status: Option<[u8; 2]>,
    /// BEARER DESCRIPTION `35` (OPEN CHANNEL: the bearer the terminal chose).
    pub bearer: Option<Vec<u8>>,
    /// BUFFER SIZE `39` (OPEN CHANNEL: the buffer the terminal gives).
    pub buffer_size: Option<u16>,
    /// CHANNEL DATA LENGTH `37`: SEND DATA, free space left in the transmit buffer;
    /// RECEIVE DATA, bytes still waiting in the receive buffer (`FF`: more than 255).
    pub channel_data_length: Option<u8>,
}

impl TerminalResponse {
    /// A response to `cmd` with the given result and nothing else.
    pub fn to(cmd: &ProactiveCommand, result: ResultCode) -> Self {
        TerminalResponse {
            details: cmd.details(),
            result,
            additional: None,
            text: None,
            item: None,
            channel_data: None,
            channel_status: None,
            bearer: None,
            buffer_size: None,
            channel_data_length: None,
        }
    }

    /// Whether this response echoes the command details of `cmd`.
    pub fn answers(&self, cmd: &ProactiveCommand) -> bool {
        self.details == cmd.details()
    }

    /// Encodes `81 03 <details> 82 02 82 81 83 <result> [8D text] [90 01 item]`.
    pub fn encode(&self, ucs2_ok: bool) -> Vec<u8> {
        let mut v = Vec::new();
        push_ctlv(&mut v, COMMAND_DETAILS, &self.details);
        push_ctlv(&mut v, DEVICE_IDENTITIES, &[device::TERMINAL, device::UICC]);
        let mut result = vec![self.result.to_byte()];
        result.extend(self.additional);
        push_ctlv(&mut v, RESULT, &result);
        if let Some(text) = &self.text {
            push_ctlv(&mut v, TEXT_STRING, &encode_text_string(text, ucs2_ok));
        }
        if let Some(item) = self.item {
            push_ctlv(&mut v, ITEM_IDENTIFIER, &[item]);
        }
        // In the order TS 102 223 lists them for OPEN CHANNEL (status, bearer, buffer),
        // RECEIVE DATA (data, length) and SEND DATA (length).
        if let Some(data) = &self.channel_data {
            push_ctlv(&mut v, CHANNEL_DATA, data);
        }
        if let Some(status) = &self.channel_status {
            push_ctlv(&mut v, CHANNEL_STATUS, status);
        }
        if let Some(bearer) = &self.bearer {
            push_ctlv(&mut v, BEARER_DESCRIPTION, bearer);
        }
        if let Some(size) = self.buffer_size {
            push_ctlv(&mut v, BUFFER_SIZE, &size.to_be_bytes());
        }
        if let Some(n) = self.channel_data_length {
            push_ctlv(&mut v, CHANNEL_DATA_LENGTH, &[n]);
        }
        v
    }

    /// Decodes TERMINAL RESPONSE data. Additional result bytes beyond the first are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Self, StkError> {
        let o = Objects::parse(bytes)?;
        let details = o.details()?;
        let d = o.devices(device::TERMINAL)?;
        if d[1] != device::UICC {
            return Err(StkError::WrongDevices {
                src: d[0],
                dst: d[1],
            });
        }
        let result = o.result.ok_or(StkError::Missing("result"))?;
        let (&general, extra) = result.split_first().ok_or_else(|| bad("result", result))?;
        Ok(TerminalResponse {
            details,
            result: ResultCode::from_byte(general),
            additional: extra.first().copied(),
            text: o.text()?,
            item: o.item_id()?,
            channel_data: o.channel_data.map(<[u8]>::to_vec),
            channel_status: o
                .channel_status
                .map(|v| fixed::<2>("channel status", v))
                .transpose()?,
            bearer: o.bearer.map(<[u8]>::to_vec),
            buffer_size: o.buffer_size()?,
            channel_data_length: o.channel_data_length()?,
        })
    }
}

/// The ENVELOPE (`80 C2 00 00 Lc`) messages the wallet understands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Envelope {
    /// MENU SELECTION: `D3 07 82 02 01 81 90 01 <item id>`.
    MenuSelection { item: u8 },
    /// MENU SELECTION with the help-request object (`95 00`): the user asked for help on
    /// `item` rather than choosing it.
    MenuHelpRequest { item: u8 },
}

impl Envelope {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        push_ctlv(&mut v, DEVICE_IDENTITIES, &[device::KEYPAD, device::UICC]);
        match *self {
            Envelope::MenuSelection { item } => push_ctlv(&mut v, ITEM_IDENTIFIER, &[item]),
            Envelope::MenuHelpRequest { item } => {
                push_ctlv(&mut v, ITEM_IDENTIFIER, &[item]);
                push_ctlv(&mut v, HELP_REQUEST, &[]);
            }
        }
        encode_ber(MENU_SELECTION, &v)
    }

    /// Decodes ENVELOPE data; any BER tag other than `D3` is [`StkError::UnsupportedEnvelope`].
    pub fn decode(bytes: &[u8]) -> Result<Self, StkError> {
        let (ber, rest) = parse_ber(bytes)?;
        if ber.tag != MENU_SELECTION {
            return Err(StkError::UnsupportedEnvelope(ber.tag));
        }
        if !rest.is_empty() {
            return Err(super::tlv::TlvError::TrailingBytes(rest.len()).into());
        }
        let o = Objects::parse(ber.value)?;
        o.devices(device::KEYPAD)?;
        let item = o.item_id()?.ok_or(StkError::Missing("item identifier"))?;
        Ok(if o.help {
            Envelope::MenuHelpRequest { item }
        } else {
            Envelope::MenuSelection { item }
        })
    }
}

/// The TERMINAL PROFILE the handset sent (`80 10 00 00 Lc` data).
///
/// Bytes are numbered from 1 and bits b1..b8 from the least significant, as in TS 102 223
/// §5.2: "byte 2 bit 7" is `profile[1] & 0x40`, *UCS2 display supported*. In docs/spec.md's worked
/// example `09 61 0F 21 ...` byte 2 is `61`, whose b7 is set, and the card then sends UCS2.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TerminalProfile<'a>(pub &'a [u8]);

impl TerminalProfile<'_> {
    /// Whether bit `bit` (1..=8, b1 = LSB) of byte `byte` (1-based) is set; absent bytes
    /// read as zero, as TS 102 223 specifies for a short profile.
    pub fn bit(&self, byte: usize, bit: u8) -> bool {
        byte >= 1
            && (1..=8).contains(&bit)
            && self
                .0
                .get(byte - 1)
                .is_some_and(|b| b & (1 << (bit - 1)) != 0)
    }

    /// Byte 2 b7: the handset displays UCS2.
    pub fn ucs2_display(&self) -> bool {
        self.bit(2, 7)
    }

    /// Byte 2 b6: the handset accepts UCS2 entry.
    pub fn ucs2_entry(&self) -> bool {
        self.bit(2, 6)
    }

    /// Whether the handset can carry the wallet's over-the-air exchange: byte 12 b1-b4 (OPEN
    /// CHANNEL, CLOSE CHANNEL, RECEIVE DATA, SEND DATA), at least one channel (byte 13
    /// b6-b8) and TCP with the UICC as client, remote connection (byte 17 b1).
    pub fn bip(&self) -> bool {
        (1..=4).all(|b| self.bit(12, b)) && (6..=8).any(|b| self.bit(13, b)) && self.bit(17, 1)
    }

    /// Byte 8 b3: PROVIDE LOCAL INFORMATION (date, time and time zone).
    pub fn local_time(&self) -> bool {
        self.bit(8, 3)
    }
}

/// Whether a TERMINAL PROFILE says the handset displays UCS2 (byte 2 b7, mask `0x40`).
pub fn ucs2_display(profile: &[u8]) -> bool {
    TerminalProfile(profile).ucs2_display()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stk::tlv::TlvError;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    // docs/spec.md 1.1 worked examples, verbatim.
    const SPEC_SET_UP_MENU: &str = "D0 2C 81 03 01 25 00 82 02 81 82 85 09 80 62 4B 67 3A 94 B1 \
        53 05 8F 0A 01 80 62 11 76 84 94 B1 53 05 8F 0A 02 80 4E 1A 52 A1 7B A1 74 06";
    const SPEC_GET_INPUT: &str = "D0 1E 81 03 03 23 04 82 02 81 82 8D 0F 08 8B F7 8F 93 51 65 \
        64 CD 4F 5C 5B C6 78 01 91 02 06 06";
    const SPEC_TERMINAL_RESPONSE: &str =
        "81 03 03 23 04 82 02 82 81 83 01 00 8D 07 04 31 32 33 34 35 36";
    const SPEC_TERMINAL_PROFILE: &str = "09 61 0F 21 00 00 00 10 00";

    fn spec_menu() -> ProactiveCommand {
        ProactiveCommand::new(
            1,
            Proactive::SetUpMenu {
                title: "手机钱包".into(),
                items: vec![Item::new(1, "我的钱包"), Item::new(2, "业务管理")],
            },
        )
    }

    fn spec_get_input() -> ProactiveCommand {
        ProactiveCommand::new(
            3,
            Proactive::GetInput {
                prompt: "请输入操作密码".into(),
                min: 6,
                max: 6,
                hidden: true,
                digits_only: true,
            },
        )
    }

    /// Independent check that the spec's length bytes are self-consistent: every length
    /// byte equals the number of bytes that follow it in its object.
    fn check_lengths(bytes: &[u8]) {
        assert_eq!(bytes[1] as usize, bytes.len() - 2, "D0 length");
        let mut i = 2;
        while i < bytes.len() {
            let len = bytes[i + 1] as usize;
            assert!(len < 0x80);
            i += 2 + len;
        }
        assert_eq!(i, bytes.len(), "objects tile the body exactly");
    }

    #[test]
    fn spec_examples_are_self_consistent() {
        let menu = hex(SPEC_SET_UP_MENU);
        check_lengths(&menu);
        assert_eq!(menu.len(), 0x2E, "FETCH length announced by 91 2E");
        check_lengths(&hex(SPEC_GET_INPUT));
        let tr = hex(SPEC_TERMINAL_RESPONSE);
        check_lengths(&[&[0xD0, tr.len() as u8][..], &tr].concat());
    }

    #[test]
    fn spec_set_up_menu_byte_exact() {
        let enc = spec_menu().encode(true);
        assert_eq!(enc, hex(SPEC_SET_UP_MENU));
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), spec_menu());
        // The terminal profile of the same example allows UCS2.
        assert!(ucs2_display(&hex(SPEC_TERMINAL_PROFILE)));
    }

    #[test]
    fn spec_get_input_byte_exact() {
        let cmd = spec_get_input();
        assert_eq!(cmd.details(), [0x03, 0x23, 0x04]);
        assert_eq!(cmd.encode(true), hex(SPEC_GET_INPUT));
        assert_eq!(ProactiveCommand::decode(&hex(SPEC_GET_INPUT)).unwrap(), cmd);
    }

    #[test]
    fn spec_terminal_response_byte_exact() {
        let tr = TerminalResponse {
            text: Some("123456".into()),
            ..TerminalResponse::to(&spec_get_input(), ResultCode::Ok)
        };
        assert_eq!(tr.encode(true), hex(SPEC_TERMINAL_RESPONSE));
        assert_eq!(tr.encode(false), hex(SPEC_TERMINAL_RESPONSE));
        let back = TerminalResponse::decode(&hex(SPEC_TERMINAL_RESPONSE)).unwrap();
        assert_eq!(back, tr);
        assert!(back.answers(&spec_get_input()));
        assert!(!back.answers(&spec_menu()));
    }

    #[test]
    fn spec_menu_selection_envelope() {
        let e = Envelope::MenuSelection { item: 2 };
        assert_eq!(e.encode(), hex("D3 07 82 02 01 81 90 01 02"));
        assert_eq!(
            Envelope::decode(&hex("D3 07 82 02 01 81 90 01 02")).unwrap(),
            e
        );
        // CR bits off.
        assert_eq!(
            Envelope::decode(&hex("D3 07 02 02 01 81 10 01 02")).unwrap(),
            e
        );
        let h = Envelope::MenuHelpRequest { item: 4 };
        assert_eq!(h.encode(), hex("D3 09 82 02 01 81 90 01 04 95 00"));
        assert_eq!(
            Envelope::decode(&hex("D3 09 82 02 01 81 90 01 04 15 00")).unwrap(),
            h
        );
        assert_eq!(
            Envelope::decode(&hex("D6 07 82 02 82 81 99 01 05")),
            Err(StkError::UnsupportedEnvelope(0xD6))
        );
        assert_eq!(
            Envelope::decode(&hex("D3 04 82 02 01 81")),
            Err(StkError::Missing("item identifier"))
        );
        assert!(matches!(
            Envelope::decode(&hex("D3 07 82 02 82 81 90 01 02")),
            Err(StkError::WrongDevices { src: 0x82, .. })
        ));
        assert!(Envelope::decode(&hex("D3 07 82 02 01 81 90 01 02 00")).is_err());
    }

    /// BIP commands and answers written by hand from TS 102 223 §6.6.27-30 and §8 (the same
    /// bytes tshark's etsi_cat decodes as OPEN CHANNEL / SEND DATA / RECEIVE DATA / CLOSE
    /// CHANNEL with bearer "default", buffer 1024, TCP client remote port 8080, IPv4 10.0.0.1,
    /// channel 1).
    #[test]
    fn bip_commands_byte_exact() {
        let open = ProactiveCommand::new(
            5,
            Proactive::OpenChannel {
                bearer: vec![0x03],
                buffer_size: 1024,
                transport: Some((0x02, 8080)),
                destination: Some(vec![0x21, 10, 0, 0, 1]),
            },
        );
        let bytes = hex(
            "D0 1C 81 03 05 40 01 82 02 81 82 B5 01 03 B9 02 04 00 BC 03 02 1F 90 BE 05 21 0A 00 00 01",
        );
        check_lengths(&bytes);
        assert_eq!(open.encode(false), bytes);
        assert_eq!(ProactiveCommand::decode(&bytes).unwrap(), open);
        // The same without the comprehension-required bits.
        let plain = hex(
            "D0 1C 81 03 05 40 01 82 02 81 82 35 01 03 39 02 04 00 3C 03 02 1F 90 3E 05 21 0A 00 00 01",
        );
        assert_eq!(ProactiveCommand::decode(&plain).unwrap(), open);
        let send = ProactiveCommand::new(
            6,
            Proactive::SendData {
                channel: 1,
                data: vec![1, 2, 3],
                immediate: true,
            },
        );
        let bytes = hex("D0 0E 81 03 06 43 01 82 02 81 21 B6 03 01 02 03");
        assert_eq!(send.encode(true), bytes);
        assert_eq!(ProactiveCommand::decode(&bytes).unwrap(), send);
        let recv = ProactiveCommand::new(
            7,
            Proactive::ReceiveData {
                channel: 1,
                length: 13,
            },
        );
        let bytes = hex("D0 0C 81 03 07 42 00 82 02 81 21 B7 01 0D");
        assert_eq!(recv.encode(true), bytes);
        assert_eq!(ProactiveCommand::decode(&bytes).unwrap(), recv);
        let close = ProactiveCommand::new(8, Proactive::CloseChannel { channel: 1 });
        let bytes = hex("D0 09 81 03 08 41 00 82 02 81 21");
        assert_eq!(close.encode(true), bytes);
        assert_eq!(ProactiveCommand::decode(&bytes).unwrap(), close);
        // A channel command sent to the terminal instead of a channel.
        assert!(matches!(
            ProactiveCommand::decode(&hex("D0 09 81 03 08 41 00 82 02 81 82")),
            Err(StkError::WrongDevices { dst: 0x82, .. })
        ));
        assert_eq!(
            ProactiveCommand::decode(&hex("D0 09 81 03 07 42 00 82 02 81 21")),
            Err(StkError::Missing("channel data length"))
        );

        let opened = TerminalResponse {
            channel_status: Some([0x81, 0x00]),
            bearer: Some(vec![0x03]),
            buffer_size: Some(1024),
            ..TerminalResponse::to(&open, ResultCode::Ok)
        };
        let bytes = hex("81 03 05 40 01 82 02 82 81 83 01 00 B8 02 81 00 B5 01 03 B9 02 04 00");
        assert_eq!(opened.encode(true), bytes);
        assert_eq!(TerminalResponse::decode(&bytes).unwrap(), opened);
        let plain = hex("81 03 05 40 01 82 02 82 81 83 01 00 38 02 81 00 35 01 03 39 02 04 00");
        assert_eq!(TerminalResponse::decode(&plain).unwrap(), opened);
        let received = TerminalResponse {
            channel_data: Some(vec![1, 2, 3]),
            channel_data_length: Some(0),
            ..TerminalResponse::to(&recv, ResultCode::Ok)
        };
        let bytes = hex("81 03 07 42 00 82 02 82 81 83 01 00 B6 03 01 02 03 B7 01 00");
        assert_eq!(received.encode(true), bytes);
        assert_eq!(TerminalResponse::decode(&bytes).unwrap(), received);
        let no_network =
            TerminalResponse::decode(&hex("81 03 05 40 01 82 02 82 81 83 02 21 00")).unwrap();
        assert_eq!(no_network.result, ResultCode::Other(0x21));
        assert!(no_network.answers(&open));
        assert!(matches!(
            TerminalResponse::decode(&hex("81 03 05 40 01 82 02 82 81 83 01 00 39 01 04")),
            Err(StkError::BadObject {
                what: "buffer size",
                ..
            })
        ));
    }

    #[test]
    fn bip_profile_bits() {
        // Byte 12 = 0F (the four channel commands), byte 13 = 22 (GPRS, one channel), byte 17
        // = 01 (TCP, UICC client, remote): what tshark names these bits.
        let full = hex("09 61 0F 21 00 00 00 14 00 00 00 0F 22 00 00 00 01");
        assert!(TerminalProfile(&full).bip() && TerminalProfile(&full).local_time());
        assert!(!TerminalProfile(&hex(SPEC_TERMINAL_PROFILE)).bip());
        for (byte, mask) in [(11, 0x08), (12, 0x20), (16, 0x01)] {
            let mut p = full.clone();
            p[byte] &= !mask;
            assert!(
                !TerminalProfile(&p).bip(),
                "byte {} mask {mask:02X}",
                byte + 1
            );
        }
        assert!(!TerminalProfile(&full[..16]).bip());
    }

    #[test]
    fn terminal_profile_bits() {
        assert!(TerminalProfile(&[0x00, 0x40]).ucs2_display());
        assert!(!TerminalProfile(&[0xFF, 0xBF]).ucs2_display());
        assert!(!ucs2_display(&[0xFF]));
        assert!(!ucs2_display(&[]));
        let p = TerminalProfile(&[0x09, 0x61]);
        assert!(p.bit(1, 1) && p.bit(1, 4) && !p.bit(1, 2));
        assert!(p.ucs2_entry());
        assert!(!p.bit(0, 1) && !p.bit(1, 0) && !p.bit(1, 9) && !p.bit(3, 1));
    }

    #[test]
    fn cr_bit_off_inputs_decode() {
        let mut b = hex(SPEC_SET_UP_MENU);
        // Clear the CR bit of every top-level object tag.
        let mut i = 2;
        while i < b.len() {
            b[i] &= 0x7F;
            i += 2 + b[i + 1] as usize;
        }
        assert_eq!(b[2], 0x01);
        assert_eq!(ProactiveCommand::decode(&b).unwrap(), spec_menu());
        let mut tr = hex(SPEC_TERMINAL_RESPONSE);
        for i in [0, 5, 9, 12] {
            tr[i] &= 0x7F;
        }
        assert_eq!(
            TerminalResponse::decode(&tr).unwrap().text.as_deref(),
            Some("123456")
        );
    }

    #[test]
    fn english_commands() {
        let cmd = ProactiveCommand::new(
            7,
            Proactive::SelectItem {
                title: Some("My Wallet".into()),
                items: vec![Item::new(1, "Top Up"), Item::new(2, "Balance")],
                default_item: Some(2),
            },
        );
        let enc = cmd.encode(false);
        assert_eq!(
            enc,
            [
                &hex("D0 2A 81 03 07 24 00 82 02 81 82 85 09")[..],
                b"My Wallet",
                &[0x8F, 0x07, 0x01],
                b"Top Up",
                &[0x8F, 0x08, 0x02],
                b"Balance",
                &hex("90 01 02"),
            ]
            .concat()
        );
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), cmd);

        let d = ProactiveCommand::new(
            9,
            Proactive::DisplayText {
                text: "Balance 12.34".into(),
                high_priority: false,
                wait_for_user: true,
            },
        );
        let enc = d.encode(true);
        assert_eq!(&enc[2..11], hex("81 03 09 21 80 82 02 81 02"));
        assert_eq!(&enc[11..14], [0x8D, 14, 0x04]);
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), d);

        let idle = ProactiveCommand::new(
            4,
            Proactive::SetUpIdleModeText {
                text: "钱包已注销".into(),
            },
        );
        let enc = idle.encode(true);
        assert_eq!(&enc[2..11], hex("81 03 04 28 00 82 02 81 82"));
        assert_eq!(enc[13], 0x08);
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), idle);
        // No UCS2 on the handset: GSM with '?'.
        let dec = ProactiveCommand::decode(&idle.encode(false)).unwrap();
        assert_eq!(
            dec.kind,
            Proactive::SetUpIdleModeText {
                text: "?????".into()
            }
        );

        let visible = Proactive::GetInput {
            prompt: "Amount".into(),
            min: 1,
            max: 8,
            hidden: false,
            digits_only: true,
        };
        assert_eq!(visible.qualifier(), 0x00);
        let alpha = Proactive::GetInput {
            prompt: "Name".into(),
            min: 0,
            max: 20,
            hidden: false,
            digits_only: false,
        };
        assert_eq!(alpha.qualifier(), 0x01);
    }

    #[test]
    fn empty_menu_is_null_item() {
        let cmd = ProactiveCommand::new(
            1,
            Proactive::SetUpMenu {
                title: String::new(),
                items: vec![],
            },
        );
        let enc = cmd.encode(true);
        assert_eq!(enc, hex("D0 0D 81 03 01 25 00 82 02 81 82 85 00 8F 00"));
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), cmd);
    }

    #[test]
    fn long_menu_uses_81_length() {
        let items: Vec<Item> = (1..=12)
            .map(|i| Item::new(i, format!("Menu entry {i:02}")))
            .collect();
        let cmd = ProactiveCommand::new(
            1,
            Proactive::SetUpMenu {
                title: "Phone Wallet".into(),
                items,
            },
        );
        let enc = cmd.encode(false);
        let body = 5 + 4 + (2 + 12) + 12 * (2 + 1 + 13);
        assert_eq!(body, 215);
        assert_eq!(&enc[..3], [0xD0, 0x81, body as u8]);
        assert_eq!(enc.len(), body + 3);
        assert_eq!(ProactiveCommand::decode(&enc).unwrap(), cmd);
        // A non-minimal outer length is still accepted.
        let mut nm = vec![0xD0, 0x81, 0x2C];
        nm.extend_from_slice(&hex(SPEC_SET_UP_MENU)[2..]);
        assert_eq!(ProactiveCommand::decode(&nm).unwrap(), spec_menu());
    }

    #[test]
    fn malformed_commands_are_errors() {
        let good = hex(SPEC_SET_UP_MENU);
        for cut in 0..good.len() {
            assert!(ProactiveCommand::decode(&good[..cut]).is_err(), "cut {cut}");
        }
        // Inner length overrunning the D0 value.
        let mut b = good.clone();
        b[12] = 0x30;
        assert!(matches!(
            ProactiveCommand::decode(&b),
            Err(StkError::Tlv(TlvError::Overrun { .. }))
        ));
        // Wrong wrapper.
        let mut b = good.clone();
        b[0] = 0xD3;
        assert!(ProactiveCommand::decode(&b).is_err());
        // Missing command details.
        assert_eq!(
            ProactiveCommand::decode(&hex("D0 04 82 02 81 82")),
            Err(StkError::Missing("command details"))
        );
        // Wrong-size command details.
        assert!(matches!(
            ProactiveCommand::decode(&hex("D0 08 81 02 01 25 82 02 81 82")),
            Err(StkError::BadObject { .. })
        ));
        // Unknown command type.
        assert_eq!(
            ProactiveCommand::decode(&hex("D0 09 81 03 01 13 00 82 02 81 82")),
            Err(StkError::UnknownCommandType(0x13))
        );
        // Sent by the terminal instead of the card.
        assert!(matches!(
            ProactiveCommand::decode(&hex("D0 0D 81 03 01 25 00 82 02 82 81 85 00 8F 00")),
            Err(StkError::WrongDevices { src: 0x82, .. })
        ));
        // Unknown CR object refused, unknown non-CR object skipped.
        let base = "81 03 01 25 00 82 02 81 82 85 00 8F 00";
        assert!(matches!(
            ProactiveCommand::decode(&hex(&format!("D0 10 {base} 9E 01 00"))),
            Err(StkError::UnknownRequired(_))
        ));
        assert!(ProactiveCommand::decode(&hex(&format!("D0 10 {base} 1E 01 00"))).is_ok());
        assert!(ProactiveCommand::decode(&hex(&format!("D0 11 {base} 7F 00 01 00"))).is_ok());
        assert!(matches!(
            ProactiveCommand::decode(&hex(&format!("D0 11 {base} 7F 80 01 00"))),
            Err(StkError::UnknownRequired(_))
        ));
        // GET INPUT without response length / text.
        assert_eq!(
            ProactiveCommand::decode(&hex("D0 0C 81 03 03 23 04 82 02 81 82 8D 01 04")),
            Err(StkError::Missing("response length"))
        );
        assert_eq!(
            ProactiveCommand::decode(&hex("D0 0D 81 03 03 23 04 82 02 81 82 91 02 06 06")),
            Err(StkError::Missing("text string"))
        );
        // Odd UCS2 in the title.
        assert!(matches!(
            ProactiveCommand::decode(&hex("D0 0F 81 03 01 25 00 82 02 81 82 85 02 80 62 8F 00")),
            Err(StkError::Text(_))
        ));
    }

    #[test]
    fn malformed_responses_are_errors() {
        let good = hex(SPEC_TERMINAL_RESPONSE);
        for cut in 0..good.len() {
            // Cuts at object boundaries that still hold details, devices and result are
            // complete responses; every other cut must fail.
            let r = TerminalResponse::decode(&good[..cut]);
            if cut == 12 {
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "cut {cut}");
            }
        }
        assert_eq!(
            TerminalResponse::decode(&hex("81 03 03 23 04 82 02 82 81 83 00")),
            Err(StkError::BadObject {
                what: "result",
                value: vec![]
            })
        );
        assert!(matches!(
            TerminalResponse::decode(&hex("81 03 03 23 04 82 02 81 82 83 01 00")),
            Err(StkError::WrongDevices { .. })
        ));
        let unable =
            TerminalResponse::decode(&hex("81 03 05 24 00 82 02 82 81 83 02 20 01")).unwrap();
        assert_eq!(unable.result, ResultCode::TerminalUnable);
        assert_eq!(unable.additional, Some(0x01));
        let sel =
            TerminalResponse::decode(&hex("81 03 05 24 00 02 02 82 81 03 01 00 10 01 03")).unwrap();
        assert_eq!(sel.item, Some(3));
        assert!(matches!(
            TerminalResponse::decode(&hex("81 03 05 24 00 82 02 82 81 83 01 00 90 02 03 04")),
            Err(StkError::BadObject { .. })
        ));
    }

    #[test]
    fn result_codes() {
        for b in 0..=255u8 {
            assert_eq!(ResultCode::from_byte(b).to_byte(), b);
        }
        assert_eq!(ResultCode::from_byte(0x11), ResultCode::Back);
        assert!(ResultCode::Ok.is_success() && !ResultCode::Back.is_success());
    }

    fn any_text() -> impl Strategy<Value = String> {
        // Printable text (no control characters, no U+FFFF: trailing FF bytes are padding).
        prop_oneof![
            "\\PC{0,12}",
            "[A-Za-z0-9 .]{0,12}",
            "[手机钱包我的业务管理]{0,8}"
        ]
    }

    fn any_items() -> impl Strategy<Value = Vec<Item>> {
        prop::collection::vec(
            (any::<u8>(), any_text()).prop_map(|(id, text)| Item { id, text }),
            0..6,
        )
    }

    fn any_command() -> impl Strategy<Value = ProactiveCommand> {
        let kind = prop_oneof![
            (any_text(), any_items())
                .prop_map(|(title, items)| Proactive::SetUpMenu { title, items }),
            (
                prop::option::of(any_text()),
                any_items(),
                any::<Option<u8>>()
            )
                .prop_map(|(title, items, default_item)| Proactive::SelectItem {
                    title,
                    items,
                    default_item
                }),
            (
                any_text(),
                any::<u8>(),
                any::<u8>(),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(prompt, min, max, hidden, digits_only)| {
                    Proactive::GetInput {
                        prompt,
                        min,
                        max,
                        hidden,
                        digits_only,
                    }
                }),
            (any_text(), any::<bool>(), any::<bool>()).prop_map(
                |(text, high_priority, wait_for_user)| Proactive::DisplayText {
                    text,
                    high_priority,
                    wait_for_user
                }
            ),
            any_text().prop_map(|text| Proactive::SetUpIdleModeText { text }),
            (
                prop::collection::vec(any::<u8>(), 0..8),
                any::<u16>(),
                any::<Option<(u8, u16)>>(),
                prop::option::of(prop::collection::vec(any::<u8>(), 0..17))
            )
                .prop_map(|(bearer, buffer_size, transport, destination)| {
                    Proactive::OpenChannel {
                        bearer,
                        buffer_size,
                        transport,
                        destination,
                    }
                }),
            (1u8..=7).prop_map(|channel| Proactive::CloseChannel { channel }),
            (1u8..=7, any::<u8>())
                .prop_map(|(channel, length)| Proactive::ReceiveData { channel, length }),
            (
                1u8..=7,
                prop::collection::vec(any::<u8>(), 0..300),
                any::<bool>()
            )
                .prop_map(|(channel, data, immediate)| Proactive::SendData {
                    channel,
                    data,
                    immediate
                }),
        ];
        (any::<u8>(), kind).prop_map(|(number, kind)| ProactiveCommand { number, kind })
    }

    fn any_result() -> impl Strategy<Value = ResultCode> {
        any::<u8>().prop_map(ResultCode::from_byte)
    }

    proptest! {
        #[test]
        fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = ProactiveCommand::decode(&bytes);
            let _ = TerminalResponse::decode(&bytes);
            let _ = Envelope::decode(&bytes);
            let _ = crate::stk::text::decode_alpha(&bytes);
            let _ = crate::stk::text::decode_text_string(&bytes);
            let _ = crate::stk::tlv::parse_ctlvs(&bytes);
        }

        #[test]
        fn decoders_never_panic_on_near_valid(
            pos in 0usize..46, byte in any::<u8>(), cut in 0usize..47
        ) {
            let mut b = hex(SPEC_SET_UP_MENU);
            b[pos] = byte;
            b.truncate(cut.max(pos + 1));
            let _ = ProactiveCommand::decode(&b);
        }

        #[test]
        fn command_round_trips(cmd in any_command()) {
            let enc = cmd.encode(true);
            prop_assert_eq!(ProactiveCommand::decode(&enc).unwrap(), cmd);
        }

        #[test]
        fn gsm_command_round_trips_without_ucs2(
            number in any::<u8>(), title in "[A-Za-z0-9 @£$€{}]{0,20}",
            items in prop::collection::vec((any::<u8>(), "[A-Za-z ]{0,20}"), 0..10)
        ) {
            let cmd = ProactiveCommand::new(number, Proactive::SetUpMenu {
                title,
                items: items.into_iter().map(|(id, t)| Item::new(id, t)).collect(),
            });
            let enc = cmd.encode(false);
            prop_assert_eq!(ProactiveCommand::decode(&enc).unwrap(), cmd);
        }

        #[test]
        fn response_round_trips(
            details in any::<[u8; 3]>(), result in any_result(), additional in any::<Option<u8>>(),
            text in prop::option::of(any_text()), item in any::<Option<u8>>(),
            channel_data in prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
            channel_status in any::<Option<[u8; 2]>>(),
            bearer in prop::option::of(prop::collection::vec(any::<u8>(), 0..8)),
            buffer_size in any::<Option<u16>>(), channel_data_length in any::<Option<u8>>()
        ) {
            let tr = TerminalResponse {
                details, result, additional, text, item, channel_data, channel_status, bearer,
                buffer_size, channel_data_length,
            };
            prop_assert_eq!(TerminalResponse::decode(&tr.encode(true)).unwrap(), tr);
        }

        #[test]
        fn envelope_round_trips(item in any::<u8>(), help in any::<bool>()) {
            let e = if help {
                Envelope::MenuHelpRequest { item }
            } else {
                Envelope::MenuSelection { item }
            };
            prop_assert_eq!(Envelope::decode(&e.encode()).unwrap(), e);
        }
    }
}
