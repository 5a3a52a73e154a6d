//! The card's command set, parsed from an APDU into one typed enum.
//!
//! Parsing is where length, class and parameter errors are caught (`6700`, `6E00`, `6D00`,
//! `6A86`, `6Cxx`), before any handler runs, so a handler never sees a malformed command and a
//! state-changing command is refused *before* it changes anything. Each variant names the
//! docs/spec.md section it implements.

use crate::apdu::CommandApdu;
use crate::codec::*;
use crate::sw::Sw;

/// Which purse transaction an INITIALIZE opens (P1 of `80 50`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKind {
    Load,
    Purchase,
}

/// The class a SIM file command came in: UICC (`00`/`80`, TS 102 221) or GSM (`A0`, GSM 11.11).
/// The answers differ: an FCP template in the UICC class, `9Fxx` and GET RESPONSE in GSM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimClass {
    Uicc,
    Gsm,
}

impl SimClass {
    /// The class byte of the ISO-coded file commands (SELECT, READ BINARY, READ RECORD).
    pub fn iso_cla(self) -> u8 {
        match self {
            SimClass::Uicc => 0x00,
            SimClass::Gsm => 0xA0,
        }
    }
    /// The class byte of STATUS and the toolkit commands.
    pub fn prop_cla(self) -> u8 {
        match self {
            SimClass::Uicc => 0x80,
            SimClass::Gsm => 0xA0,
        }
    }
}

/// What STATUS returns (P2 of `80 F2`, TS 102 221 §11.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusData {
    /// `00`: the FCP template of the current DF or ADF (always this in class `A0`).
    Fcp,
    /// `01`: the current application's DF name (`84` TLV).
    DfName,
    /// `0C`: nothing, only the status word.
    Nothing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// §2 SELECT by DF name (`00 A4 04 00|0C`).
    Select { name: Vec<u8>, want_fci: bool },
    /// SELECT by file identifier (`00 A4 00 04|0C 02 fid`; P2 `00` is taken as `04`):
    /// TS 102 221 §11.1.1, the FCP template when asked for.
    SelectFile { fid: u16, want_fci: bool },
    /// SELECT by path (`00 A4 08|09 04|0C`): from the MF (P1 `08`, the path without `3F00`) or
    /// from the current DF (P1 `09`), TS 102 221 §11.1.1.
    SelectPath {
        from_mf: bool,
        path: Vec<u16>,
        want_fci: bool,
    },
    /// GSM SELECT (`A0 A4 00 00 02 fid`): answered `9Fxx`, the response fetched with GET
    /// RESPONSE (GSM 11.11 §9.2.1).
    GsmSelect { fid: u16 },
    /// GET RESPONSE (`A0 C0 00 00 Le`): the answer a GSM SELECT announced with `9Fxx`.
    GetResponse { le: Option<usize> },
    /// READ BINARY of the current EF (`00|A0 B0 off_hi off_lo Le`, P1 bit 8 clear).
    ReadCurrentBinary {
        class: SimClass,
        offset: u16,
        le: Option<usize>,
    },
    /// READ RECORD of the current EF, absolute mode (`00|A0 B2 n 04 Le`).
    ReadCurrentRecord {
        class: SimClass,
        record: u8,
        le: Option<usize>,
    },
    /// STATUS (`80|A0 F2 P1 P2 Le`): the current DF's FCP (or its name), and `91xx` when a
    /// proactive command waits (TS 102 221 §11.1.2, GSM 11.11 §9.2.2).
    Status {
        class: SimClass,
        p1: u8,
        data: StatusData,
        le: Option<usize>,
    },
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
    /// The SIM's PIN1: VERIFY PIN with key reference `01` (TS 102 221 §11.1.9,
    /// `00 20 00 01 08` + the PIN padded with `FF`; no data asks whether verification is
    /// needed) or VERIFY CHV1 (GSM 11.11 §9.2.9, `A0 20 00 01 08`, always 8 bytes). P2 `00` is
    /// the wallet's payment password ([`Command::Verify`]).
    VerifyPin1 {
        class: SimClass,
        pin: Option<[u8; 8]>,
    },
    /// §3 CHANGE PIN (`80 5E 01 00` old ‖ FF ‖ new).
    ChangePin { old: Vec<u8>, new: Vec<u8> },
    /// §3/§4 RELOAD PIN (`80 5E 00 00` new ‖ MAC), issuer-authenticated.
    ReloadPin { new: Vec<u8>, mac: [u8; 4] },
    /// §4 RESET OPERATION PASSWORD (`80 5E 02 00` new ‖ MAC), issuer-authenticated.
    ResetOperationPassword { new: Vec<u8>, mac: [u8; 4] },
    /// §3/§4 CLOSE WALLET (issuer, `80 5E 03 00 0F` amount 4 ‖ date 4 ‖ time 3 ‖ MAC): the
    /// service desk closes a wallet that still holds money; `amount` must be the whole balance,
    /// which leaves the card as a debit at the offline counter (refunded to the holder).
    CloseWallet {
        amount: u32,
        date: [u8; 4],
        time: [u8; 3],
        mac: [u8; 4],
    },
    /// §3/§4 CANCEL NUMBER (issuer, `80 5E 04 00 04` MAC): the phone number is cancelled; from
    /// then on every load is refused (`9405`), purchases still work.
    CancelNumber { mac: [u8; 4] },
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
    /// The command's name as docs/spec.md writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Select { .. }
            | Command::SelectFile { .. }
            | Command::SelectPath { .. }
            | Command::GsmSelect { .. } => "SELECT",
            Command::GetResponse { .. } => "GET RESPONSE",
            Command::Status { .. } => "STATUS",
            Command::ReadBinary { .. } | Command::ReadCurrentBinary { .. } => "READ BINARY",
            Command::ReadRecord { .. } | Command::ReadCurrentRecord { .. } => "READ RECORD",
            Command::Verify { .. } => "VERIFY",
            Command::VerifyPin1 {
                class: SimClass::Uicc,
                ..
            } => "VERIFY PIN",
            Command::VerifyPin1 {
                class: SimClass::Gsm,
                ..
            } => "VERIFY CHV",
            Command::ChangePin { .. } => "CHANGE PIN",
            Command::ReloadPin { .. } => "RELOAD PIN",
            Command::ResetOperationPassword { .. } => "RESET OPERATION PASSWORD",
            Command::CloseWallet { .. } => "CLOSE WALLET",
            Command::CancelNumber { .. } => "CANCEL NUMBER",
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

impl Command {
    /// The APDU a terminal sends for this command (the layouts of docs/spec.md §1.1, §2, §3). The
    /// toolkit commands go in UICC class `80`; see [`Command::to_apdu_in_class`] for a GSM
    /// handset's `A0`.
    pub fn to_apdu(&self) -> CommandApdu {
        use Command::*;
        let iso = |ins, p1, p2| CommandApdu::new(0x00, ins, p1, p2);
        let prop = |ins, p1, p2| CommandApdu::new(0x80, ins, p1, p2);
        let fci = |a: CommandApdu, want: bool| if want { a.with_le(256) } else { a };
        match self {
            Select { name, want_fci } => fci(
                iso(INS_SELECT, 0x04, if *want_fci { 0x00 } else { 0x0C }).with_data(name.clone()),
                *want_fci,
            ),
            SelectFile { fid, want_fci } => fci(
                iso(INS_SELECT, 0x00, if *want_fci { 0x04 } else { 0x0C })
                    .with_data(fid.to_be_bytes().to_vec()),
                *want_fci,
            ),
            SelectPath {
                from_mf,
                path,
                want_fci,
            } => fci(
                iso(
                    INS_SELECT,
                    if *from_mf { 0x08 } else { 0x09 },
                    if *want_fci { 0x04 } else { 0x0C },
                )
                .with_data(
                    path.iter()
                        .flat_map(|f| f.to_be_bytes())
                        .collect::<Vec<u8>>(),
                ),
                *want_fci,
            ),
            GsmSelect { fid } => {
                CommandApdu::new(0xA0, INS_SELECT, 0x00, 0x00).with_data(fid.to_be_bytes().to_vec())
            }
            GetResponse { le } => with_opt_le(CommandApdu::new(0xA0, INS_GET_RESPONSE, 0, 0), *le),
            ReadCurrentBinary { class, offset, le } => {
                let [p1, p2] = (offset & 0x7FFF).to_be_bytes();
                with_opt_le(
                    CommandApdu::new(class.iso_cla(), INS_READ_BINARY, p1, p2),
                    *le,
                )
            }
            ReadCurrentRecord { class, record, le } => with_opt_le(
                CommandApdu::new(class.iso_cla(), INS_READ_RECORD, *record, 0x04),
                *le,
            ),
            Status {
                class,
                p1,
                data,
                le,
            } => {
                let p2 = match data {
                    StatusData::Fcp => 0x00,
                    StatusData::DfName => 0x01,
                    StatusData::Nothing => 0x0C,
                };
                with_opt_le(CommandApdu::new(class.prop_cla(), INS_STATUS, *p1, p2), *le)
            }
            ReadBinary { sfi, offset, le } => {
                with_opt_le(iso(INS_READ_BINARY, 0x80 | (sfi & 0x1F), *offset), *le)
            }
            ReadRecord { record, sfi, le } => {
                with_opt_le(iso(INS_READ_RECORD, *record, (sfi << 3) | 0x04), *le)
            }
            Verify { pin } => {
                let a = iso(INS_VERIFY, 0x00, 0x00);
                match pin {
                    Some(p) => a.with_data(p.clone()),
                    None => a,
                }
            }
            VerifyPin1 { class, pin } => {
                let cla = match class {
                    SimClass::Uicc => 0x00,
                    SimClass::Gsm => 0xA0,
                };
                let a = CommandApdu::new(cla, INS_VERIFY, 0x00, 0x01);
                match pin {
                    Some(p) => a.with_data(p.to_vec()),
                    None => a,
                }
            }
            ChangePin { old, new } => {
                prop(INS_PIN, 0x01, 0x00).with_data([&old[..], &[0xFF], &new[..]].concat())
            }
            ReloadPin { new, mac } => prop(INS_PIN, 0x00, 0x00).with_data([&new[..], mac].concat()),
            ResetOperationPassword { new, mac } => {
                prop(INS_PIN, 0x02, 0x00).with_data([&new[..], mac].concat())
            }
            CloseWallet {
                amount,
                date,
                time,
                mac,
            } => prop(INS_PIN, 0x03, 0x00)
                .with_data([&amount.to_be_bytes()[..], date, time, mac].concat()),
            CancelNumber { mac } => prop(INS_PIN, 0x04, 0x00).with_data(mac.to_vec()),
            GetChallenge => iso(INS_GET_CHALLENGE, 0x00, 0x00).with_le(ChallengeAnswer::LEN),
            GetBalance => prop(INS_GET_BALANCE, 0x00, 0x02).with_le(BalanceAnswer::LEN),
            GetData { tag } => {
                let [p1, p2] = tag.to_be_bytes();
                prop(INS_GET_DATA, p1, p2).with_le(256)
            }
            Initialize {
                kind,
                key_index,
                amount,
                term_id,
            } => {
                let (p1, le) = match kind {
                    TxKind::Load => (0x00, InitLoadAnswer::LEN),
                    TxKind::Purchase => (0x01, InitPurchaseAnswer::LEN),
                };
                let mut d = Vec::with_capacity(11);
                d.push(*key_index);
                d.extend_from_slice(&amount.to_be_bytes());
                d.extend_from_slice(term_id);
                prop(INS_INITIALIZE, p1, 0x02).with_data(d).with_le(le)
            }
            CreditForLoad { date, time, mac2 } => prop(INS_CREDIT, 0x00, 0x00)
                .with_data([&date[..], time, mac2].concat())
                .with_le(CreditAnswer::LEN),
            DebitForPurchase {
                ttc,
                date,
                time,
                mac1,
            } => prop(INS_DEBIT, 0x01, 0x00)
                .with_data([&ttc.to_be_bytes()[..], date, time, mac1].concat())
                .with_le(DebitAnswer::LEN),
            GetTransactionProof { tx_type, counter } => prop(INS_PROOF, 0x00, *tx_type)
                .with_data(counter.to_be_bytes().to_vec())
                .with_le(ProofAnswer::LEN),
            TerminalProfile { profile } => {
                prop(INS_TERMINAL_PROFILE, 0x00, 0x00).with_data(profile.clone())
            }
            Fetch { le } => with_opt_le(prop(INS_FETCH, 0x00, 0x00), *le),
            TerminalResponse { data } => {
                prop(INS_TERMINAL_RESPONSE, 0x00, 0x00).with_data(data.clone())
            }
            Envelope { data } => prop(INS_ENVELOPE, 0x00, 0x00).with_data(data.clone()),
        }
    }

    /// [`Command::to_apdu`] with the toolkit commands in class `cla` (`80` UICC, `A0` GSM);
    /// the other commands keep their own class.
    pub fn to_apdu_in_class(&self, cla: u8) -> CommandApdu {
        let mut a = self.to_apdu();
        if matches!(
            self,
            Command::TerminalProfile { .. }
                | Command::Fetch { .. }
                | Command::TerminalResponse { .. }
                | Command::Envelope { .. }
        ) {
            a.cla = cla;
        }
        a
    }

    /// CLA INS P1 P2 Lc of the command: what the issuer commands' MAC covers (docs/spec.md §4).
    pub fn header(&self) -> [u8; 5] {
        let a = self.to_apdu();
        [a.cla, a.ins, a.p1, a.p2, a.data.len() as u8]
    }

    /// The command's bytes, as a terminal sends them.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_apdu().to_bytes()
    }

    /// What a command APDU is, for logs: the exact name of a well-formed card or PSAM
    /// command, else the name of its instruction byte, else `None`.
    pub fn name_of(apdu: &[u8]) -> Option<&'static str> {
        let a = CommandApdu::parse(apdu).ok()?;
        if let Ok(c) = Command::try_from(&a) {
            return Some(c.name());
        }
        if let Ok(c) = PsamCommand::try_from(&a) {
            return Some(c.name());
        }
        instruction(a.ins).map(|i| i.name)
    }
}

fn with_opt_le(a: CommandApdu, le: Option<usize>) -> CommandApdu {
    match le {
        Some(le) => a.with_le(le),
        None => a,
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
pub const INIT_LOAD_RESPONSE: usize = InitLoadAnswer::LEN;
pub const INIT_PURCHASE_RESPONSE: usize = InitPurchaseAnswer::LEN;

impl TryFrom<&CommandApdu> for Command {
    type Error = Sw;

    fn try_from(a: &CommandApdu) -> Result<Self, Sw> {
        // CLA: 00 for the ISO commands, 80 proprietary; the toolkit also takes GSM-class A0.
        let iso = a.cla == 0x00;
        let prop = a.cla == 0x80;
        let gsm = a.cla == 0xA0;
        let toolkit = matches!(
            a.ins,
            INS_TERMINAL_PROFILE | INS_FETCH | INS_TERMINAL_RESPONSE | INS_ENVELOPE
        );
        if let Some(c) = gsm.then(|| parse_gsm(a)).flatten() {
            return c;
        }
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
            INS_SELECT => {
                needs(iso)?;
                if !matches!(a.p2, 0x00 | 0x04 | 0x0C) {
                    return Err(Sw::WRONG_P1P2);
                }
                let want_fci = a.p2 != 0x0C;
                if a.p1 == 0x00 {
                    let fid: [u8; 2] = a.data[..].try_into().map_err(|_| Sw::WRONG_LENGTH)?;
                    return Ok(Command::SelectFile {
                        fid: u16::from_be_bytes(fid),
                        want_fci,
                    });
                }
                if a.p1 == 0x08 || a.p1 == 0x09 {
                    if a.data.is_empty() || !a.data.len().is_multiple_of(2) || a.data.len() > 16 {
                        return Err(Sw::WRONG_LENGTH);
                    }
                    return Ok(Command::SelectPath {
                        from_mf: a.p1 == 0x08,
                        path: a
                            .data
                            .chunks(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect(),
                        want_fci,
                    });
                }
                if a.p1 != 0x04 {
                    return Err(Sw::WRONG_P1P2);
                }
                if a.data.is_empty() || a.data.len() > 16 {
                    return Err(Sw::WRONG_LENGTH);
                }
                Ok(Command::Select {
                    name: a.data.clone(),
                    want_fci,
                })
            }
            INS_READ_BINARY => {
                needs(iso)?;
                no_data(a)?;
                if a.p1 & 0x80 == 0 {
                    return Ok(Command::ReadCurrentBinary {
                        class: SimClass::Uicc,
                        offset: u16::from_be_bytes([a.p1, a.p2]),
                        le: a.le,
                    });
                }
                if a.p1 & 0xE0 != 0x80 {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(Command::ReadBinary {
                    sfi: a.p1 & 0x1F,
                    offset: a.p2,
                    le: a.le,
                })
            }
            INS_READ_RECORD => {
                needs(iso)?;
                no_data(a)?;
                if a.p1 != 0 && a.p2 == 0x04 {
                    return Ok(Command::ReadCurrentRecord {
                        class: SimClass::Uicc,
                        record: a.p1,
                        le: a.le,
                    });
                }
                if a.p1 == 0 || a.p2 & 0x07 != 0x04 {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(Command::ReadRecord {
                    record: a.p1,
                    sfi: a.p2 >> 3,
                    le: a.le,
                })
            }
            INS_VERIFY => {
                needs(iso)?;
                if (a.p1, a.p2) == (0x00, 0x01) {
                    return match a.data.len() {
                        0 => Ok(Command::VerifyPin1 {
                            class: SimClass::Uicc,
                            pin: None,
                        }),
                        8 => Ok(Command::VerifyPin1 {
                            class: SimClass::Uicc,
                            pin: Some(arr(&a.data)),
                        }),
                        _ => Err(Sw::WRONG_LENGTH),
                    };
                }
                p1p2(a, 0, 0)?;
                match a.data.len() {
                    0 => Ok(Command::Verify { pin: None }),
                    3 => Ok(Command::Verify {
                        pin: Some(a.data.clone()),
                    }),
                    _ => Err(Sw::WRONG_LENGTH),
                }
            }
            INS_GET_CHALLENGE => {
                needs(iso)?;
                p1p2(a, 0, 0)?;
                no_data(a)?;
                match a.le {
                    Some(4) | Some(256) | None => Ok(Command::GetChallenge),
                    Some(_) => Err(Sw::wrong_le(4)),
                }
            }
            INS_PIN => {
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
                    0x03 => {
                        lc(a, 15)?;
                        let d = &a.data;
                        Ok(Command::CloseWallet {
                            amount: u32::from_be_bytes(arr(&d[..4])),
                            date: arr(&d[4..8]),
                            time: arr(&d[8..11]),
                            mac: arr(&d[11..]),
                        })
                    }
                    0x04 => {
                        lc(a, 4)?;
                        Ok(Command::CancelNumber { mac: arr(&a.data) })
                    }
                    _ => Err(Sw::WRONG_P1P2),
                }
            }
            INS_GET_BALANCE => {
                needs(prop)?;
                p1p2(a, 0x00, 0x02)?;
                no_data(a)?;
                le_at_least(a, 4)?;
                Ok(Command::GetBalance)
            }
            INS_GET_DATA => {
                needs(prop)?;
                no_data(a)?;
                Ok(Command::GetData {
                    tag: u16::from_be_bytes([a.p1, a.p2]),
                })
            }
            INS_INITIALIZE => {
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
            INS_CREDIT => {
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
            INS_DEBIT => {
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
            INS_PROOF => {
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
            INS_STATUS => {
                needs(prop)?;
                no_data(a)?;
                if a.p1 > 0x02 {
                    return Err(Sw::WRONG_P1P2);
                }
                let data = match a.p2 {
                    0x00 => StatusData::Fcp,
                    0x01 => StatusData::DfName,
                    0x0C => StatusData::Nothing,
                    _ => return Err(Sw::WRONG_P1P2),
                };
                Ok(Command::Status {
                    class: SimClass::Uicc,
                    p1: a.p1,
                    data,
                    le: a.le,
                })
            }
            INS_TERMINAL_PROFILE => {
                p1p2(a, 0, 0)?;
                Ok(Command::TerminalProfile {
                    profile: a.data.clone(),
                })
            }
            INS_FETCH => {
                p1p2(a, 0, 0)?;
                no_data(a)?;
                Ok(Command::Fetch { le: a.le })
            }
            INS_TERMINAL_RESPONSE => {
                p1p2(a, 0, 0)?;
                if a.data.is_empty() {
                    return Err(Sw::WRONG_LENGTH);
                }
                Ok(Command::TerminalResponse {
                    data: a.data.clone(),
                })
            }
            INS_ENVELOPE => {
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

/// The GSM-class (`A0`) file commands of GSM 11.11 §9.2; `None` for the toolkit commands and
/// for instructions the card takes in class `A0` nowhere (refused by the caller).
fn parse_gsm(a: &CommandApdu) -> Option<Result<Command, Sw>> {
    let cmd = match a.ins {
        INS_SELECT => (|| {
            p1p2(a, 0, 0)?;
            let fid: [u8; 2] = a.data[..].try_into().map_err(|_| Sw::WRONG_LENGTH)?;
            Ok(Command::GsmSelect {
                fid: u16::from_be_bytes(fid),
            })
        })(),
        INS_GET_RESPONSE => (|| {
            p1p2(a, 0, 0)?;
            no_data(a)?;
            Ok(Command::GetResponse { le: a.le })
        })(),
        INS_STATUS => (|| {
            p1p2(a, 0, 0)?;
            no_data(a)?;
            Ok(Command::Status {
                class: SimClass::Gsm,
                p1: 0,
                data: StatusData::Fcp,
                le: a.le,
            })
        })(),
        INS_READ_BINARY => (|| {
            no_data(a)?;
            if a.p1 & 0x80 != 0 {
                return Err(Sw::WRONG_P1P2);
            }
            Ok(Command::ReadCurrentBinary {
                class: SimClass::Gsm,
                offset: u16::from_be_bytes([a.p1, a.p2]),
                le: a.le,
            })
        })(),
        INS_VERIFY => (|| {
            // GSM 11.11 §9.2.9: CHV1 only here (P2 01), always 8 bytes (P3 08).
            p1p2(a, 0, 1)?;
            lc(a, 8)?;
            Ok(Command::VerifyPin1 {
                class: SimClass::Gsm,
                pin: Some(arr(&a.data)),
            })
        })(),
        INS_READ_RECORD => (|| {
            no_data(a)?;
            if a.p1 == 0 || a.p2 != 0x04 {
                return Err(Sw::WRONG_P1P2);
            }
            Ok(Command::ReadCurrentRecord {
                class: SimClass::Gsm,
                record: a.p1,
                le: a.le,
            })
        })(),
        _ => return None,
    };
    Some(cmd)
}

/// An instruction the card knows (the PSAM's own are not among them).
fn known_ins(ins: u8) -> bool {
    !matches!(ins, INS_INIT_SAM | INS_CREDIT_SAM) && instruction(ins).is_some()
}

#[cfg(test)]
mod tests;
