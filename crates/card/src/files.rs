//! docs/spec.md §2: selection, the payment system environment, files 0015/0016 and the log (SFI 18).

use super::{Card, Handled, Interface, Selected, refuse};
use crate::apdu::ResponseApdu;
use crate::sw::Sw;

/// The payment system environment's DF name.
pub const PSE_NAME: &[u8] = b"1PAY.SYS.DDF01";
/// SFIs of the wallet's files.
pub const SFI_ISSUER: u8 = 0x15;
pub const SFI_HOLDER: u8 = 0x16;
pub const SFI_LOG: u8 = 0x18;

/// BER-TLV with a one- or two-byte length (every template here is shorter than 256 bytes).
fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = tag.to_vec();
    if value.len() >= 0x80 {
        v.push(0x81);
    }
    v.push(value.len() as u8);
    v.extend_from_slice(value);
    v
}

impl Card {
    /// §2 SELECT by DF name. The PSE's FCI lists the wallet ADF in its directory (BF0C/61);
    /// the wallet's FCI is `6F 84 A5{9F08 9F0C}` with file 0015 in 9F0C. A failed SELECT
    /// leaves the current selection as it was (ISO 7816-4 §7.1.1).
    pub(crate) fn select(&mut self, iface: Interface, name: &[u8], want_fci: bool) -> Handled {
        if name == crate::sim::tree::USIM_AID {
            return self.select_usim(iface, want_fci);
        }
        let perso = &self.eeprom.state.perso;
        let (selected, fci) = if name == PSE_NAME {
            let entry = [
                tlv(&[0x4F], &perso.aids[0]),
                tlv(&[0x50], b"PHONE WALLET"),
                tlv(&[0x87], &[0x01]),
            ]
            .concat();
            let a5 = tlv(&[0xBF, 0x0C], &tlv(&[0x61], &entry));
            (
                Selected::Pse,
                tlv(&[0x6F], &[tlv(&[0x84], name), tlv(&[0xA5], &a5)].concat()),
            )
        } else if perso.aids.iter().any(|a| a == name) {
            let a5 = [
                tlv(&[0x9F, 0x08], &[0x02]),
                tlv(&[0x9F, 0x0C], &perso.ef0015),
            ]
            .concat();
            (
                Selected::Wallet,
                tlv(&[0x6F], &[tlv(&[0x84], name), tlv(&[0xA5], &a5)].concat()),
            )
        } else {
            return Err(refuse(
                Sw::NOT_FOUND,
                format!(
                    "no application with DF name {} on this card",
                    hex::encode_upper(name)
                ),
            ));
        };
        let s = self.session_mut(iface);
        s.selected = selected;
        s.pin_verified = false;
        s.file = Default::default();
        Ok(if want_fci {
            ResponseApdu::ok(fci)
        } else {
            ResponseApdu::status(Sw::OK)
        })
    }

    /// §2 READ BINARY by SFI. Le absent or `00`: the rest of the file; a longer Le than the
    /// file has left returns what there is with `6282` (end of file, ISO 7816-4 §7.2.3).
    pub(crate) fn read_binary(
        &mut self,
        iface: Interface,
        sfi: u8,
        offset: u8,
        le: Option<usize>,
    ) -> Handled {
        self.require_wallet(iface).map_err(|_| {
            refuse(
                Sw::NOT_FOUND,
                "files 0015/0016 live in the wallet ADF: select it first",
            )
        })?;
        let perso = &self.eeprom.state.perso;
        let file = match sfi {
            SFI_ISSUER => &perso.ef0015,
            SFI_HOLDER => &perso.ef0016,
            _ => {
                return Err(refuse(
                    Sw::NOT_FOUND,
                    format!("no transparent file with SFI {sfi:02X} (the wallet has 15 and 16)"),
                ));
            }
        };
        let offset = offset as usize;
        if offset >= file.len() {
            return Err(refuse(
                Sw::WRONG_OFFSET,
                format!(
                    "offset {offset} is past the end of the {}-byte file",
                    file.len()
                ),
            ));
        }
        let rest = &file[offset..];
        match le {
            None | Some(256) => Ok(ResponseApdu::ok(rest.to_vec())),
            Some(n) if n <= rest.len() => Ok(ResponseApdu::ok(rest[..n].to_vec())),
            Some(_) => Ok(ResponseApdu {
                data: rest.to_vec(),
                sw: Sw(0x6282),
            }),
        }
    }

    /// §2 READ RECORD of the cyclic log: record 1 is the newest; past the last written, `6A83`.
    pub(crate) fn read_record(
        &mut self,
        iface: Interface,
        record: u8,
        sfi: u8,
        le: Option<usize>,
    ) -> Handled {
        self.require_wallet(iface).map_err(|_| {
            refuse(
                Sw::NOT_FOUND,
                "the log lives in the wallet ADF: select it first",
            )
        })?;
        if sfi != SFI_LOG {
            return Err(refuse(
                Sw::NOT_FOUND,
                format!("no record file with SFI {sfi:02X} (the log is SFI 18: P2 = C4)"),
            ));
        }
        let len = super::state::LOG_RECORD_LEN;
        if let Some(n) = le.filter(|&n| n != len && n != 256) {
            return Err(refuse(
                Sw::wrong_le(len),
                format!("log records are 23 bytes: Le must be 17 or 00, not {n:02X}"),
            ));
        }
        match self.eeprom.state.log.record(record as usize) {
            Some(r) => Ok(ResponseApdu::ok(r.to_vec())),
            None => Err(refuse(
                Sw::RECORD_NOT_FOUND,
                format!(
                    "record {record} has not been written (the log holds {})",
                    self.eeprom.state.log.count
                ),
            )),
        }
    }

    /// §1 GET DATA `9F78`: the single-payment limit as 6 BCD bytes; §3 `DF36`: the purse's
    /// online and offline counters.
    pub(crate) fn get_data(&mut self, iface: Interface, tag: u16) -> Handled {
        self.require_wallet(iface)?;
        if tag == stk_domain::codec::TAG_COUNTERS {
            let purse = &self.eeprom.state.purse;
            return Ok(ResponseApdu::ok(
                stk_domain::codec::CountersAnswer {
                    online_counter: purse.online_counter,
                    offline_counter: purse.offline_counter,
                }
                .to_bytes(),
            ));
        }
        if tag != 0x9F78 {
            return Err(refuse(
                Sw::DATA_NOT_FOUND,
                format!(
                    "GET DATA knows tags 9F78 (single-payment limit) and DF36 (counters), not {tag:04X}"
                ),
            ));
        }
        let limit = self.eeprom.state.purse.single_payment_limit;
        Ok(ResponseApdu::ok(
            stk_domain::codec::LimitAnswer { limit }.to_bytes(),
        ))
    }
}
