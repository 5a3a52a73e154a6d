//! The handset's SIM start-up, before TERMINAL PROFILE: what a phone reads from the card when it
//! is switched on (TS 31.102 §5.1.1 for a UICC, GSM 11.11 §11.1 for a class-`A0` SIM), cut down
//! to the files the wallet SIM has:
//!
//! * UICC (`cla` `80`): SELECT MF, SELECT + READ BINARY EF_ICCID, SELECT EF_DIR + READ RECORD of
//!   every record, SELECT the USIM by the AID EF_DIR lists, SELECT + READ BINARY EF_IMSI, EF_UST,
//!   EF_AD, then STATUS;
//! * GSM (`cla` `A0`): the same with `9Fxx` + GET RESPONSE after every SELECT, DF GSM instead of
//!   the USIM, EF_SST instead of EF_UST, and no EF_DIR.
//!
//! File sizes and record counts are taken from the card's answers (FCP tag `80` and `82`, GSM
//! response bytes 3-4), as a phone does, not assumed.

use super::{Exchange, Handset, HandsetError};
use crate::apdu::ResponseApdu;
use crate::card::command::{Command, SimClass, StatusData};
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};

/// The USIM's application code in an AID (TS 101 220 annex E): RID `A0 00 00 00 87`, `10 02`.
const USIM_PREFIX: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02];

/// What the handset read at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFiles {
    /// `UICC` or `GSM`.
    pub flavour: &'static str,
    /// EF_ICCID as digits (swapped nibbles undone, `F` padding dropped).
    pub iccid: String,
    /// EF_DIR's applications: AID and label (empty on a GSM SIM).
    pub applications: Vec<(Vec<u8>, String)>,
    /// EF_IMSI as digits.
    pub imsi: String,
    /// EF_UST (UICC) or EF_SST (GSM), raw.
    pub services: Vec<u8>,
    /// EF_AD, raw.
    pub ad: Vec<u8>,
    /// The status word STATUS answered (`91xx`: a proactive command already waits).
    pub status: Sw,
}

impl SimFiles {
    fn new(flavour: &'static str) -> SimFiles {
        SimFiles {
            flavour,
            iccid: String::new(),
            applications: Vec::new(),
            imsi: String::new(),
            services: Vec::new(),
            ad: Vec::new(),
            status: Sw::OK,
        }
    }

    /// The lines `phone -v` prints.
    pub fn render(&self) -> String {
        let mut s = format!("SIM start-up ({}):\n", self.flavour);
        s += &format!("  EF_ICCID  {}\n", self.iccid);
        for (aid, label) in &self.applications {
            s += &format!("  EF_DIR    {} {label}\n", hex::encode_upper(aid));
        }
        s += &format!("  EF_IMSI   {}\n", self.imsi);
        let name = if self.flavour == "GSM" {
            "EF_SST"
        } else {
            "EF_UST"
        };
        s += &format!("  {name}    {}\n", hex::encode_upper(&self.services));
        s += &format!("  EF_AD     {}\n", hex::encode_upper(&self.ad));
        s += &format!("  STATUS    {}\n", self.status);
        s
    }
}

/// Digits stored two per byte, low nibble first; `F` ends them.
pub fn swapped_digits(bytes: &[u8]) -> String {
    let mut s = String::new();
    for b in bytes {
        for d in [b & 0x0F, b >> 4] {
            if d > 9 {
                return s;
            }
            s.push(char::from(b'0' + d));
        }
    }
    s
}

/// EF_IMSI: length byte, then the first digit in the high nibble of the next byte (its low
/// nibble is the parity/type), then digits swapped.
pub fn imsi_digits(file: &[u8]) -> String {
    let Some((&len, rest)) = file.split_first() else {
        return String::new();
    };
    let body = &rest[..usize::from(len).min(rest.len())];
    let Some((&first, more)) = body.split_first() else {
        return String::new();
    };
    let mut s = String::new();
    if first >> 4 <= 9 {
        s.push(char::from(b'0' + (first >> 4)));
    }
    s + &swapped_digits(more)
}

/// The value of a BER-TLV tag (one-byte tags, one-byte lengths) directly inside `data`.
fn tlv_value(data: &[u8], tag: u8) -> Option<&[u8]> {
    let mut i = 0;
    while i + 1 < data.len() {
        let (t, l) = (data[i], usize::from(data[i + 1]));
        let v = data.get(i + 2..i + 2 + l)?;
        if t == tag {
            return Some(v);
        }
        i += 2 + l;
    }
    None
}

/// The file size (tag `80`) and, for a record file, the record length and count (tag `82`)
/// of an FCP template.
fn fcp_shape(fcp: &[u8]) -> (usize, Option<(usize, usize)>) {
    let inner = tlv_value(fcp, 0x62).unwrap_or(&[]);
    let size = tlv_value(inner, 0x80)
        .filter(|v| v.len() == 2)
        .map_or(0, |v| usize::from(u16::from_be_bytes([v[0], v[1]])));
    let records = tlv_value(inner, 0x82).filter(|v| v.len() == 5).map(|v| {
        (
            usize::from(u16::from_be_bytes([v[2], v[3]])),
            usize::from(v[4]),
        )
    });
    (size, records)
}

impl<T: Transport> Handset<T> {
    fn xchg(&mut self, cmd: Command, what: &'static str) -> Result<ResponseApdu, HandsetError> {
        let command = cmd.to_bytes();
        let response = self.transport.transmit_raw(&command)?;
        self.log.push(Exchange {
            command,
            response: response.clone(),
        });
        let r = ResponseApdu::parse(&response).ok_or(TransportError::Malformed(response))?;
        let ok = r.sw == Sw::OK || matches!(r.sw.sw1(), 0x91 | 0x9F);
        if !ok {
            return Err(HandsetError::Card(r.sw, what));
        }
        Ok(r)
    }

    /// UICC: SELECT with FCP; the file's size and record shape.
    fn uicc_select(&mut self, fid: u16) -> Result<(usize, Option<(usize, usize)>), HandsetError> {
        let r = self.xchg(
            Command::SelectFile {
                fid,
                want_fci: true,
            },
            "SELECT",
        )?;
        Ok(fcp_shape(&r.data))
    }

    fn uicc_read(&mut self, fid: u16) -> Result<Vec<u8>, HandsetError> {
        let (size, _) = self.uicc_select(fid)?;
        let r = self.xchg(
            Command::ReadCurrentBinary {
                class: SimClass::Uicc,
                offset: 0,
                le: Some(size.clamp(1, 256)),
            },
            "READ BINARY",
        )?;
        Ok(r.data)
    }

    /// GSM: SELECT, then GET RESPONSE for the length `9Fxx` announced; the response.
    fn gsm_select(&mut self, fid: u16) -> Result<Vec<u8>, HandsetError> {
        let r = self.xchg(Command::GsmSelect { fid }, "SELECT")?;
        if r.sw.sw1() != 0x9F {
            return Err(HandsetError::Card(r.sw, "SELECT"));
        }
        let r = self.xchg(
            Command::GetResponse {
                le: Some(usize::from(r.sw.sw2())),
            },
            "GET RESPONSE",
        )?;
        Ok(r.data)
    }

    fn gsm_read(&mut self, fid: u16) -> Result<Vec<u8>, HandsetError> {
        let resp = self.gsm_select(fid)?;
        let size = match resp.get(2..4) {
            Some(&[h, l]) => usize::from(u16::from_be_bytes([h, l])),
            _ => 0,
        };
        let r = self.xchg(
            Command::ReadCurrentBinary {
                class: SimClass::Gsm,
                offset: 0,
                le: Some(size.clamp(1, 256)),
            },
            "READ BINARY",
        )?;
        Ok(r.data)
    }

    /// The start-up sequence for the handset's class (`cla` `80`: UICC, `A0`: GSM).
    pub fn start_up(&mut self) -> Result<SimFiles, HandsetError> {
        if self.cla == 0xA0 {
            self.start_up_gsm()
        } else {
            self.start_up_uicc()
        }
    }

    fn start_up_uicc(&mut self) -> Result<SimFiles, HandsetError> {
        let mut f = SimFiles::new("UICC");
        self.uicc_select(0x3F00)?;
        f.iccid = swapped_digits(&self.uicc_read(0x2FE2)?);
        let (_, shape) = self.uicc_select(0x2F00)?;
        let (len, count) = shape.unwrap_or((0, 0));
        for n in 1..=count.min(255) {
            let r = self.xchg(
                Command::ReadCurrentRecord {
                    class: SimClass::Uicc,
                    record: n as u8,
                    le: Some(len),
                },
                "READ RECORD",
            )?;
            if let Some(t) = tlv_value(&r.data, 0x61) {
                let aid = tlv_value(t, 0x4F).unwrap_or(&[]).to_vec();
                let label = String::from_utf8_lossy(tlv_value(t, 0x50).unwrap_or(&[])).into();
                f.applications.push((aid, label));
            }
        }
        let usim = f
            .applications
            .iter()
            .find(|(aid, _)| aid.starts_with(&USIM_PREFIX))
            .map(|(aid, _)| aid.clone())
            .ok_or(HandsetError::Card(Sw::NOT_FOUND, "EF_DIR (no USIM listed)"))?;
        self.xchg(
            Command::Select {
                name: usim,
                want_fci: true,
            },
            "SELECT",
        )?;
        f.imsi = imsi_digits(&self.uicc_read(0x6F07)?);
        f.services = self.uicc_read(0x6F38)?;
        f.ad = self.uicc_read(0x6FAD)?;
        f.status = self
            .xchg(
                Command::Status {
                    class: SimClass::Uicc,
                    p1: 0,
                    data: StatusData::Fcp,
                    le: Some(256),
                },
                "STATUS",
            )?
            .sw;
        Ok(f)
    }

    fn start_up_gsm(&mut self) -> Result<SimFiles, HandsetError> {
        let mut f = SimFiles::new("GSM");
        self.gsm_select(0x3F00)?;
        f.iccid = swapped_digits(&self.gsm_read(0x2FE2)?);
        let df = self.gsm_select(0x7F20)?;
        f.imsi = imsi_digits(&self.gsm_read(0x6F07)?);
        f.services = self.gsm_read(0x6F38)?;
        f.ad = self.gsm_read(0x6FAD)?;
        f.status = self
            .xchg(
                Command::Status {
                    class: SimClass::Gsm,
                    p1: 0,
                    data: StatusData::Fcp,
                    le: Some(df.len().max(1)),
                },
                "STATUS",
            )?
            .sw;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_decode_as_ts_102_221_writes_them() {
        // TS 102 221 §13.2: ICCID 8944... is stored 98 44 ...
        assert_eq!(swapped_digits(&[0x98, 0x44, 0xF1]), "89441");
        // TS 31.102 §4.2.2: IMSI 001010123456789 (15 digits) is 08 09 10 10 10 32 54 76 98.
        assert_eq!(
            imsi_digits(&[0x08, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98]),
            "001010123456789"
        );
        assert_eq!(imsi_digits(&[]), "");
    }
}
