//! What the handset sends the card: TERMINAL RESPONSE with its result, the MENU SELECTION
//! envelope, and the TERMINAL PROFILE bits the wallet reads.

use super::*;

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
    /// `13` help information required by the user (to SELECT ITEM, with the item identifier
    /// of the item asked about; to GET INPUT, alone). Only offered where the command's
    /// qualifier b8 said help is available.
    HelpRequired,
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
            0x13 => ResultCode::HelpRequired,
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
            ResultCode::HelpRequired => 0x13,
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
    /// DATE-TIME AND TIME ZONE `26` (PROVIDE LOCAL INFORMATION, qualifier `03`).
    pub date_time: Option<LocalTime>,
}

/// The handset's date, time and time zone (TS 102 223 §8.39): on the wire 7 bytes, each a
/// two-digit BCD number with its nibbles swapped (`62` is 26), YY MM DD hh mm ss, then the
/// time zone in quarter hours from GMT (b4 of the first byte sent: negative).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LocalTime {
    /// BCD `YYYYMMDD` (century 20), as the purse stamps dates.
    pub date: [u8; 4],
    /// BCD `HHMMSS`.
    pub time: [u8; 3],
    /// The time-zone byte as sent.
    pub zone: u8,
}

impl LocalTime {
    /// From the 7 bytes sent; `None` if a date or time digit is not a decimal digit or a field
    /// is out of range (month 01-12, day 01-31, hour 00-23, minute and second 00-59).
    pub fn from_bytes(raw: [u8; 7]) -> Option<LocalTime> {
        let swap = |b: u8| b.rotate_left(4);
        let mut v = [0u8; 6];
        for (i, b) in raw[..6].iter().enumerate() {
            let n = swap(*b);
            if n >> 4 > 9 || n & 0x0F > 9 {
                return None;
            }
            v[i] = n;
        }
        let num = |b: u8| (b >> 4) * 10 + (b & 0x0F);
        let [y, mo, d, h, mi, s] = v;
        let ok = (1..=12).contains(&num(mo))
            && (1..=31).contains(&num(d))
            && num(h) < 24
            && num(mi) < 60
            && num(s) < 60;
        ok.then_some(LocalTime {
            date: [0x20, y, mo, d],
            time: [h, mi, s],
            zone: raw[6],
        })
    }

    /// The 7 bytes sent.
    pub fn to_bytes(&self) -> [u8; 7] {
        let swap = |b: u8| b.rotate_left(4);
        [
            swap(self.date[1]),
            swap(self.date[2]),
            swap(self.date[3]),
            swap(self.time[0]),
            swap(self.time[1]),
            swap(self.time[2]),
            self.zone,
        ]
    }

    /// `2026-11-30 22:05`, as shown to the holder (the handset's local time).
    pub fn minutes(&self) -> String {
        format!(
            "{:02X}{:02X}-{:02X}-{:02X} {:02X}:{:02X}",
            self.date[0], self.date[1], self.date[2], self.date[3], self.time[0], self.time[1]
        )
    }
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
            date_time: None,
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
        if let Some(t) = &self.date_time {
            push_ctlv(&mut v, DATE_TIME_AND_TIME_ZONE, &t.to_bytes());
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
            date_time: o.date_time()?,
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
            return Err(crate::stk::tlv::TlvError::TrailingBytes(rest.len()).into());
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

    /// Whether the handset can run the wallet's menus: DISPLAY TEXT (byte 3 b1), GET INPUT
    /// (byte 3 b3), SELECT ITEM (byte 4 b1) and SET UP MENU (byte 4 b6).
    pub fn menus(&self) -> bool {
        self.bit(3, 1) && self.bit(3, 3) && self.bit(4, 1) && self.bit(4, 6)
    }

    /// Byte 8 b5: SET UP IDLE MODE TEXT.
    pub fn idle_text(&self) -> bool {
        self.bit(8, 5)
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
