//! The card's command set, parsed from an APDU into one typed enum.
//!
//! Parsing is where length, class and parameter errors are caught (`6700`, `6E00`, `6D00`,
//! `6A86`, `6Cxx`), before any handler runs, so a handler never sees a malformed command and a
//! state-changing command is refused *before* it changes anything. Each variant names the
//! SPEC.md section it implements.

use crate::apdu::CommandApdu;
use crate::sw::Sw;

/// Which purse transaction an INITIALIZE opens (P1 of `80 50`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKind {
    Load,
    Purchase,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// §2 SELECT by DF name (`00 A4 04 00|0C`).
    Select { name: Vec<u8>, want_fci: bool },
    /// §2 READ BINARY by SFI (`00 B0 80|sfi offset`).
    ReadBinary {
        sfi: u8,
        offset: u8,
        le: Option<usize>,
    },
    /// §2 READ RECORD (`00 B2 n (sfi<<3)|4`).
    ReadRecord {
        record: u8,
        sfi: u8,
        le: Option<usize>,
    },
    /// §3 VERIFY (`00 20 00 00 03` PIN BCD); no data = ask the tries left.
    Verify { pin: Option<Vec<u8>> },
    /// §3 CHANGE PIN (`80 5E 01 00` old ‖ FF ‖ new).
    ChangePin { old: Vec<u8>, new: Vec<u8> },
    /// §3/§4 RELOAD PIN (`80 5E 00 00` new ‖ MAC), issuer-authenticated.
    ReloadPin { new: Vec<u8>, mac: [u8; 4] },
    /// §4 RESET OPERATION PASSWORD (`80 5E 02 00` new ‖ MAC), issuer-authenticated.
    ResetOperationPassword { new: Vec<u8>, mac: [u8; 4] },
    /// GET CHALLENGE (`00 84 00 00 04`) for the issuer commands.
    GetChallenge,
    /// §3 GET BALANCE (`80 5C 00 02 04`).
    GetBalance,
    /// §3 GET DATA (`80 CA tag 00`).
    GetData { tag: u16 },
    /// §3 INITIALIZE FOR LOAD / PURCHASE (`80 50 00|01 02 0B`).
    Initialize {
        kind: TxKind,
        key_index: u8,
        amount: u32,
        term_id: [u8; 6],
    },
    /// §3 CREDIT FOR LOAD (`80 52 00 00 0B`).
    CreditForLoad {
        date: [u8; 4],
        time: [u8; 3],
        mac2: [u8; 4],
    },
    /// §3 DEBIT FOR PURCHASE (`80 54 01 00 0F`).
    DebitForPurchase {
        ttc: u32,
        date: [u8; 4],
        time: [u8; 3],
        mac1: [u8; 4],
    },
    /// §3 GET TRANSACTION PROOF (`80 5A 00 type 02`).
    GetTransactionProof { tx_type: u8, counter: u16 },
    /// §1.1 TERMINAL PROFILE (`80|A0 10 00 00`).
    TerminalProfile { profile: Vec<u8> },
    /// §1.1 FETCH (`80|A0 12 00 00 Le`).
    Fetch { le: Option<usize> },
    /// §1.1 TERMINAL RESPONSE (`80|A0 14 00 00`).
    TerminalResponse { data: Vec<u8> },
    /// §1.1 ENVELOPE (`80|A0 C2 00 00`).
    Envelope { data: Vec<u8> },
}

impl Command {
    /// The command's name as SPEC.md writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Select { .. } => "SELECT",
            Command::ReadBinary { .. } => "READ BINARY",
            Command::ReadRecord { .. } => "READ RECORD",
            Command::Verify { .. } => "VERIFY",
            Command::ChangePin { .. } => "CHANGE PIN",
            Command::ReloadPin { .. } => "RELOAD PIN",
            Command::ResetOperationPassword { .. } => "RESET OPERATION PASSWORD",
            Command::GetChallenge => "GET CHALLENGE",
            Command::GetBalance => "GET BALANCE",
            Command::GetData { .. } => "GET DATA",
            Command::Initialize {
                kind: TxKind::Load, ..
            } => "INITIALIZE FOR LOAD",
            Command::Initialize {
                kind: TxKind::Purchase,
                ..
            } => "INITIALIZE FOR PURCHASE",
            Command::CreditForLoad { .. } => "CREDIT FOR LOAD",
            Command::DebitForPurchase { .. } => "DEBIT FOR PURCHASE",
            Command::GetTransactionProof { .. } => "GET TRANSACTION PROOF",
            Command::TerminalProfile { .. } => "TERMINAL PROFILE",
            Command::Fetch { .. } => "FETCH",
            Command::TerminalResponse { .. } => "TERMINAL RESPONSE",
            Command::Envelope { .. } => "ENVELOPE",
        }
    }
}

fn p1p2(a: &CommandApdu, p1: u8, p2: u8) -> Result<(), Sw> {
    if (a.p1, a.p2) == (p1, p2) {
        Ok(())
    } else {
        Err(Sw::WRONG_P1P2)
    }
}

fn lc(a: &CommandApdu, n: usize) -> Result<(), Sw> {
    if a.data.len() == n {
        Ok(())
    } else {
        Err(Sw::WRONG_LENGTH)
    }
}

/// A fixed-length response cannot be shortened: an Le below it gets `6Cxx` (ISO 7816-4 §5.1.3).
fn le_at_least(a: &CommandApdu, n: usize) -> Result<(), Sw> {
    match a.le {
        Some(le) if le < n => Err(Sw::wrong_le(n)),
        _ => Ok(()),
    }
}

fn no_data(a: &CommandApdu) -> Result<(), Sw> {
    lc(a, 0)
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[..N]);
    out
}

/// Expected response lengths of the fixed-length purse commands.
pub const INIT_LOAD_RESPONSE: usize = 16;
pub const INIT_PURCHASE_RESPONSE: usize = 15;

impl TryFrom<&CommandApdu> for Command {
    type Error = Sw;

    fn try_from(a: &CommandApdu) -> Result<Self, Sw> {
        // CLA: 00 for the ISO commands, 80 proprietary; the toolkit also takes GSM-class A0.
        let iso = a.cla == 0x00;
        let prop = a.cla == 0x80;
        let gsm = a.cla == 0xA0;
        let toolkit = matches!(a.ins, 0x10 | 0x12 | 0x14 | 0xC2);
        if !(iso || prop || (gsm && toolkit)) {
            // Known instruction, wrong class → 6E00; an unknown one is 6D00 below.
            return Err(if known_ins(a.ins) {
                Sw::CLA_NOT_SUPPORTED
            } else {
                Sw::INS_NOT_SUPPORTED
            });
        }
        let needs = |ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(Sw::CLA_NOT_SUPPORTED)
            }
        };
        match a.ins {
            0xA4 => {
                needs(iso)?;
                if a.p1 != 0x04 || !(a.p2 == 0x00 || a.p2 == 0x0C) {
                    return Err(Sw::WRONG_P1P2);
                }
                if a.data.is_empty() || a.data.len() > 16 {
                    return Err(Sw::WRONG_LENGTH);
                }
                Ok(Command::Select {
                    name: a.data.clone(),
                    want_fci: a.p2 == 0x00,
                })
            }
            0xB0 => {
                needs(iso)?;
                no_data(a)?;
                if a.p1 & 0xE0 != 0x80 {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(Command::ReadBinary {
                    sfi: a.p1 & 0x1F,
                    offset: a.p2,
                    le: a.le,
                })
            }
            0xB2 => {
                needs(iso)?;
                no_data(a)?;
                if a.p1 == 0 || a.p2 & 0x07 != 0x04 {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(Command::ReadRecord {
                    record: a.p1,
                    sfi: a.p2 >> 3,
                    le: a.le,
                })
            }
            0x20 => {
                needs(iso)?;
                p1p2(a, 0, 0)?;
                match a.data.len() {
                    0 => Ok(Command::Verify { pin: None }),
                    3 => Ok(Command::Verify {
                        pin: Some(a.data.clone()),
                    }),
                    _ => Err(Sw::WRONG_LENGTH),
                }
            }
            0x84 => {
                needs(iso)?;
                p1p2(a, 0, 0)?;
                no_data(a)?;
                match a.le {
                    Some(4) | Some(256) | None => Ok(Command::GetChallenge),
                    Some(_) => Err(Sw::wrong_le(4)),
                }
            }
            0x5E => {
                needs(prop)?;
                if a.p2 != 0 {
                    return Err(Sw::WRONG_P1P2);
                }
                match a.p1 {
                    0x01 => {
                        lc(a, 7)?;
                        if a.data[3] != 0xFF {
                            return Err(Sw::WRONG_DATA);
                        }
                        Ok(Command::ChangePin {
                            old: a.data[..3].to_vec(),
                            new: a.data[4..].to_vec(),
                        })
                    }
                    0x00 => {
                        lc(a, 7)?;
                        Ok(Command::ReloadPin {
                            new: a.data[..3].to_vec(),
                            mac: arr(&a.data[3..]),
                        })
                    }
                    0x02 => {
                        if !(6..=10).contains(&a.data.len()) {
                            return Err(Sw::WRONG_LENGTH);
                        }
                        let n = a.data.len() - 4;
                        Ok(Command::ResetOperationPassword {
                            new: a.data[..n].to_vec(),
                            mac: arr(&a.data[n..]),
                        })
                    }
                    _ => Err(Sw::WRONG_P1P2),
                }
            }
            0x5C => {
                needs(prop)?;
                p1p2(a, 0x00, 0x02)?;
                no_data(a)?;
                le_at_least(a, 4)?;
                Ok(Command::GetBalance)
            }
            0xCA => {
                needs(prop)?;
                no_data(a)?;
                Ok(Command::GetData {
                    tag: u16::from_be_bytes([a.p1, a.p2]),
                })
            }
            0x50 => {
                needs(prop)?;
                let kind = match (a.p1, a.p2) {
                    (0x00, 0x02) => TxKind::Load,
                    (0x01, 0x02) => TxKind::Purchase,
                    _ => return Err(Sw::WRONG_P1P2),
                };
                lc(a, 11)?;
                le_at_least(
                    a,
                    if kind == TxKind::Load {
                        INIT_LOAD_RESPONSE
                    } else {
                        INIT_PURCHASE_RESPONSE
                    },
                )?;
                let d = &a.data;
                Ok(Command::Initialize {
                    kind,
                    key_index: d[0],
                    amount: u32::from_be_bytes(arr(&d[1..5])),
                    term_id: arr(&d[5..11]),
                })
            }
            0x52 => {
                needs(prop)?;
                p1p2(a, 0, 0)?;
                lc(a, 11)?;
                le_at_least(a, 4)?;
                let d = &a.data;
                Ok(Command::CreditForLoad {
                    date: arr(&d[..4]),
                    time: arr(&d[4..7]),
                    mac2: arr(&d[7..11]),
                })
            }
            0x54 => {
                needs(prop)?;
                p1p2(a, 0x01, 0x00)?;
                lc(a, 15)?;
                le_at_least(a, 8)?;
                let d = &a.data;
                Ok(Command::DebitForPurchase {
                    ttc: u32::from_be_bytes(arr(&d[..4])),
                    date: arr(&d[4..8]),
                    time: arr(&d[8..11]),
                    mac1: arr(&d[11..15]),
                })
            }
            0x5A => {
                needs(prop)?;
                if a.p1 != 0 || !matches!(a.p2, 0x02 | 0x06 | 0x09) {
                    return Err(Sw::WRONG_P1P2);
                }
                lc(a, 2)?;
                le_at_least(a, 8)?;
                Ok(Command::GetTransactionProof {
                    tx_type: a.p2,
                    counter: u16::from_be_bytes(arr(&a.data)),
                })
            }
            0x10 => {
                p1p2(a, 0, 0)?;
                Ok(Command::TerminalProfile {
                    profile: a.data.clone(),
                })
            }
            0x12 => {
                p1p2(a, 0, 0)?;
                no_data(a)?;
                Ok(Command::Fetch { le: a.le })
            }
            0x14 => {
                p1p2(a, 0, 0)?;
                if a.data.is_empty() {
                    return Err(Sw::WRONG_LENGTH);
                }
                Ok(Command::TerminalResponse {
                    data: a.data.clone(),
                })
            }
            0xC2 => {
                p1p2(a, 0, 0)?;
                if a.data.is_empty() {
                    return Err(Sw::WRONG_LENGTH);
                }
                Ok(Command::Envelope {
                    data: a.data.clone(),
                })
            }
            _ => Err(Sw::INS_NOT_SUPPORTED),
        }
    }
}

fn known_ins(ins: u8) -> bool {
    matches!(
        ins,
        0xA4 | 0xB0
            | 0xB2
            | 0x20
            | 0x84
            | 0x5E
            | 0x5C
            | 0xCA
            | 0x50
            | 0x52
            | 0x54
            | 0x5A
            | 0x10
            | 0x12
            | 0x14
            | 0xC2
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(hex: &str) -> Result<Command, Sw> {
        let a = CommandApdu::parse(&crate::hexser::decode(hex).unwrap()).unwrap();
        Command::try_from(&a)
    }

    #[test]
    fn spec_section3_layouts_parse() {
        assert_eq!(parse("80 5C 00 02 04"), Ok(Command::GetBalance));
        assert_eq!(
            parse("80 CA 9F 78 00"),
            Ok(Command::GetData { tag: 0x9F78 })
        );
        assert_eq!(
            parse("80 50 01 02 0B 01 00001000 001122334455 0F"),
            Ok(Command::Initialize {
                kind: TxKind::Purchase,
                key_index: 1,
                amount: 0x1000,
                term_id: [0, 0x11, 0x22, 0x33, 0x44, 0x55]
            })
        );
        assert!(matches!(
            parse("80 5A 00 06 02 0001 08"),
            Ok(Command::GetTransactionProof {
                tx_type: 6,
                counter: 1
            })
        ));
        assert!(matches!(
            parse("00 B2 01 C4 17"),
            Ok(Command::ReadRecord {
                record: 1,
                sfi: 0x18,
                ..
            })
        ));
        assert!(matches!(
            parse("00 B0 95 00 1E"),
            Ok(Command::ReadBinary {
                sfi: 0x15,
                offset: 0,
                ..
            })
        ));
    }

    #[test]
    fn refusals_carry_the_iso_status_word() {
        assert_eq!(
            parse("80 50 01 02 0A 01 00001000 0011223344"),
            Err(Sw::WRONG_LENGTH)
        );
        assert_eq!(
            parse("80 50 03 02 0B 01 00001000 001122334455"),
            Err(Sw::WRONG_P1P2)
        );
        assert_eq!(parse("80 5C 00 02 02"), Err(Sw(0x6C04)));
        assert_eq!(parse("00 5C 00 02 04"), Err(Sw::CLA_NOT_SUPPORTED));
        assert_eq!(parse("A0 5C 00 02 04"), Err(Sw::CLA_NOT_SUPPORTED));
        assert_eq!(parse("80 FE 00 00"), Err(Sw::INS_NOT_SUPPORTED));
        assert_eq!(parse("12 FE 00 00"), Err(Sw::INS_NOT_SUPPORTED));
        assert_eq!(parse("A0 12 00 00 10"), Ok(Command::Fetch { le: Some(16) }));
        assert_eq!(
            parse("80 5E 01 00 07 123456 00 654321"),
            Err(Sw::WRONG_DATA)
        );
    }
}
