//! The bytes of every command's answer, and of the PSAM's commands, written once.
//!
//! Requests to the card are [`crate::command::Command`] (built with `to_apdu`, parsed with
//! `TryFrom<&CommandApdu>`); their answers are the structs here, each with `parse` (exact
//! length, else a [`CodecError`]) and `to_bytes`. The PSAM's commands (docs/spec.md §5) are
//! [`PsamCommand`]. [`INSTRUCTIONS`] names every instruction byte for logs and fault plans.

use crate::apdu::CommandApdu;
use crate::sw::Sw;

/// docs/spec.md §2 SELECT.
pub const INS_SELECT: u8 = 0xA4;
/// docs/spec.md §2 READ BINARY.
pub const INS_READ_BINARY: u8 = 0xB0;
/// docs/spec.md §2 READ RECORD.
pub const INS_READ_RECORD: u8 = 0xB2;
/// docs/spec.md §3 VERIFY.
pub const INS_VERIFY: u8 = 0x20;
/// docs/spec.md §3/§4 CHANGE PIN, RELOAD PIN, RESET OPERATION PASSWORD.
pub const INS_PIN: u8 = 0x5E;
/// GET CHALLENGE (for the issuer commands).
pub const INS_GET_CHALLENGE: u8 = 0x84;
/// docs/spec.md §3 GET BALANCE.
pub const INS_GET_BALANCE: u8 = 0x5C;
/// docs/spec.md §3 GET DATA.
pub const INS_GET_DATA: u8 = 0xCA;
/// docs/spec.md §3 INITIALIZE FOR LOAD / PURCHASE.
pub const INS_INITIALIZE: u8 = 0x50;
/// docs/spec.md §3 CREDIT FOR LOAD.
pub const INS_CREDIT: u8 = 0x52;
/// docs/spec.md §3 DEBIT FOR PURCHASE.
pub const INS_DEBIT: u8 = 0x54;
/// docs/spec.md §3 GET TRANSACTION PROOF.
pub const INS_PROOF: u8 = 0x5A;
/// docs/spec.md §1.1 TERMINAL PROFILE.
pub const INS_TERMINAL_PROFILE: u8 = 0x10;
/// docs/spec.md §1.1 FETCH.
pub const INS_FETCH: u8 = 0x12;
/// docs/spec.md §1.1 TERMINAL RESPONSE.
pub const INS_TERMINAL_RESPONSE: u8 = 0x14;
/// docs/spec.md §1.1 ENVELOPE.
pub const INS_ENVELOPE: u8 = 0xC2;
/// docs/spec.md §5 INIT SAM FOR PURCHASE (PSAM).
pub const INS_INIT_SAM: u8 = 0x70;
/// STATUS (`80|A0 F2`), TS 102 221 §11.1.2 and GSM 11.11 §9.2.2.
pub const INS_STATUS: u8 = 0xF2;
/// GET RESPONSE (`A0 C0`), GSM 11.11 §9.2.18.
pub const INS_GET_RESPONSE: u8 = 0xC0;
/// docs/spec.md §5 CREDIT SAM FOR PURCHASE (PSAM).
pub const INS_CREDIT_SAM: u8 = 0x72;

/// Offset of MAC1 in DEBIT FOR PURCHASE's data (TTC 4 ‖ date 4 ‖ time 3 ‖ MAC1 4).
pub const DEBIT_MAC1_AT: usize = 11;
/// Offset of MAC2 in CREDIT FOR LOAD's data (date 4 ‖ time 3 ‖ MAC2 4).
pub const CREDIT_MAC2_AT: usize = 7;

/// An instruction byte with the name docs/spec.md gives it and the short token the CLI's fault
/// plans use (`lose-response:debit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub ins: u8,
    pub name: &'static str,
    pub token: &'static str,
}

/// Every instruction the card and the PSAM know. Where one byte carries several commands
/// (`50`: load or purchase, `5E`: the password commands) the name covers them all; a parsed
/// [`crate::command::Command::name`] is exact.
pub const INSTRUCTIONS: &[Instruction] = &[
    Instruction {
        ins: INS_SELECT,
        name: "SELECT",
        token: "select",
    },
    Instruction {
        ins: INS_READ_BINARY,
        name: "READ BINARY",
        token: "read-binary",
    },
    Instruction {
        ins: INS_READ_RECORD,
        name: "READ RECORD",
        token: "read-record",
    },
    Instruction {
        ins: INS_VERIFY,
        name: "VERIFY",
        token: "verify",
    },
    Instruction {
        ins: INS_PIN,
        name: "CHANGE/RELOAD PIN",
        token: "change-pin",
    },
    Instruction {
        ins: INS_GET_CHALLENGE,
        name: "GET CHALLENGE",
        token: "challenge",
    },
    Instruction {
        ins: INS_GET_BALANCE,
        name: "GET BALANCE",
        token: "balance",
    },
    Instruction {
        ins: INS_INITIALIZE,
        name: "INITIALIZE",
        token: "init",
    },
    Instruction {
        ins: INS_CREDIT,
        name: "CREDIT FOR LOAD",
        token: "credit",
    },
    Instruction {
        ins: INS_DEBIT,
        name: "DEBIT FOR PURCHASE",
        token: "debit",
    },
    Instruction {
        ins: INS_PROOF,
        name: "GET TRANSACTION PROOF",
        token: "proof",
    },
    Instruction {
        ins: INS_GET_DATA,
        name: "GET DATA",
        token: "get-data",
    },
    Instruction {
        ins: INS_TERMINAL_PROFILE,
        name: "TERMINAL PROFILE",
        token: "terminal-profile",
    },
    Instruction {
        ins: INS_FETCH,
        name: "FETCH",
        token: "fetch",
    },
    Instruction {
        ins: INS_TERMINAL_RESPONSE,
        name: "TERMINAL RESPONSE",
        token: "terminal-response",
    },
    Instruction {
        ins: INS_ENVELOPE,
        name: "ENVELOPE",
        token: "envelope",
    },
    Instruction {
        ins: INS_STATUS,
        name: "STATUS",
        token: "status",
    },
    Instruction {
        ins: INS_GET_RESPONSE,
        name: "GET RESPONSE",
        token: "get-response",
    },
    Instruction {
        ins: INS_INIT_SAM,
        name: "INIT SAM FOR PURCHASE",
        token: "init-sam",
    },
    Instruction {
        ins: INS_CREDIT_SAM,
        name: "CREDIT SAM FOR PURCHASE",
        token: "credit-sam",
    },
];

/// The instruction with this byte, if the card or PSAM knows it.
pub fn instruction(ins: u8) -> Option<&'static Instruction> {
    INSTRUCTIONS.iter().find(|i| i.ins == ins)
}

/// The instruction whose fault-plan token is `token` (ASCII case ignored).
pub fn instruction_by_token(token: &str) -> Option<&'static Instruction> {
    INSTRUCTIONS
        .iter()
        .find(|i| i.token.eq_ignore_ascii_case(token))
}

/// An answer whose bytes do not have the layout docs/spec.md gives it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the answer to {what} is {expected} bytes, got {got}")]
pub struct CodecError {
    pub what: &'static str,
    pub expected: usize,
    pub got: usize,
}

fn exact<const N: usize>(what: &'static str, b: &[u8]) -> Result<[u8; N], CodecError> {
    b.try_into().map_err(|_| CodecError {
        what,
        expected: N,
        got: b.len(),
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// docs/spec.md §3 GET BALANCE answer: balance 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BalanceAnswer {
    pub balance: u32,
}

impl BalanceAnswer {
    pub const LEN: usize = 4;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<4>("GET BALANCE", b)?;
        Ok(BalanceAnswer {
            balance: u32::from_be_bytes(b),
        })
    }
    pub fn to_bytes(&self) -> [u8; 4] {
        self.balance.to_be_bytes()
    }
}

/// docs/spec.md §3 GET DATA `9F78` answer: `9F 78 06` ‖ the single-payment limit in fen as 12 BCD
/// digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LimitAnswer {
    pub limit: u32,
}

impl LimitAnswer {
    pub const LEN: usize = 9;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<9>("GET DATA 9F78", b)?;
        let wrong = CodecError {
            what: "GET DATA 9F78 (9F 78 06 ‖ 12 BCD digits)",
            expected: 9,
            got: 9,
        };
        if b[..3] != [0x9F, 0x78, 0x06] {
            return Err(wrong);
        }
        let mut v: u64 = 0;
        for &x in &b[3..] {
            let (hi, lo) = (x >> 4, x & 0x0F);
            if hi > 9 || lo > 9 {
                return Err(wrong);
            }
            v = v * 100 + u64::from(hi) * 10 + u64::from(lo);
        }
        u32::try_from(v)
            .map(|limit| LimitAnswer { limit })
            .map_err(|_| wrong)
    }
    pub fn to_bytes(&self) -> [u8; 9] {
        let mut out = [0u8; 9];
        out[..3].copy_from_slice(&[0x9F, 0x78, 0x06]);
        let mut n = u64::from(self.limit);
        for i in (3..9).rev() {
            let lo = (n % 10) as u8;
            n /= 10;
            let hi = (n % 10) as u8;
            n /= 10;
            out[i] = (hi << 4) | lo;
        }
        out
    }
}

/// The GET DATA tag of the purse's counters (a Decision of docs/spec.md §3).
pub const TAG_COUNTERS: u16 = 0xDF36;

/// GET DATA `DF36` answer: `DF 36 04` ‖ online counter 2 ‖ offline counter 2, the counters the
/// next load and the next purchase will use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CountersAnswer {
    pub online_counter: u16,
    pub offline_counter: u16,
}

impl CountersAnswer {
    pub const LEN: usize = 7;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<7>("GET DATA DF36", b)?;
        if b[..3] != [0xDF, 0x36, 0x04] {
            return Err(CodecError {
                what: "GET DATA DF36 (DF 36 04 ‖ online 2 ‖ offline 2)",
                expected: 7,
                got: 7,
            });
        }
        Ok(CountersAnswer {
            online_counter: u16_at(&b, 3),
            offline_counter: u16_at(&b, 5),
        })
    }
    pub fn to_bytes(&self) -> [u8; 7] {
        let mut out = [0u8; 7];
        out[..3].copy_from_slice(&[0xDF, 0x36, 0x04]);
        out[3..5].copy_from_slice(&self.online_counter.to_be_bytes());
        out[5..].copy_from_slice(&self.offline_counter.to_be_bytes());
        out
    }
}

/// GET CHALLENGE answer: 4 random bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChallengeAnswer {
    pub random: [u8; 4],
}

impl ChallengeAnswer {
    pub const LEN: usize = 4;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        Ok(ChallengeAnswer {
            random: exact("GET CHALLENGE", b)?,
        })
    }
    pub fn to_bytes(&self) -> [u8; 4] {
        self.random
    }
}

/// docs/spec.md §3 INITIALIZE FOR LOAD answer: balance 4 ‖ online ctr 2 ‖ keyVer 1 ‖ algID 1 ‖
/// random 4 ‖ MAC1 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InitLoadAnswer {
    pub balance: u32,
    pub online_counter: u16,
    pub key_version: u8,
    pub alg_id: u8,
    pub random: [u8; 4],
    pub mac1: [u8; 4],
}

impl InitLoadAnswer {
    pub const LEN: usize = 16;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<16>("INITIALIZE FOR LOAD", b)?;
        Ok(InitLoadAnswer {
            balance: u32_at(&b, 0),
            online_counter: u16_at(&b, 4),
            key_version: b[6],
            alg_id: b[7],
            random: arr(&b, 8),
            mac1: arr(&b, 12),
        })
    }
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&self.balance.to_be_bytes());
        out[4..6].copy_from_slice(&self.online_counter.to_be_bytes());
        out[6] = self.key_version;
        out[7] = self.alg_id;
        out[8..12].copy_from_slice(&self.random);
        out[12..].copy_from_slice(&self.mac1);
        out
    }
}

/// docs/spec.md §3 INITIALIZE FOR PURCHASE answer: balance 4 ‖ offline ctr 2 ‖ overdraft 3 ‖
/// keyVer 1 ‖ algID 1 ‖ random 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InitPurchaseAnswer {
    pub balance: u32,
    pub offline_counter: u16,
    /// The overdraft limit (3 bytes; this purse has none: 0).
    pub overdraft: u32,
    pub key_version: u8,
    pub alg_id: u8,
    pub random: [u8; 4],
}

impl InitPurchaseAnswer {
    pub const LEN: usize = 15;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<15>("INITIALIZE FOR PURCHASE", b)?;
        Ok(InitPurchaseAnswer {
            balance: u32_at(&b, 0),
            offline_counter: u16_at(&b, 4),
            overdraft: u32::from_be_bytes([0, b[6], b[7], b[8]]),
            key_version: b[9],
            alg_id: b[10],
            random: arr(&b, 11),
        })
    }
    pub fn to_bytes(&self) -> [u8; 15] {
        let mut out = [0u8; 15];
        out[..4].copy_from_slice(&self.balance.to_be_bytes());
        out[4..6].copy_from_slice(&self.offline_counter.to_be_bytes());
        out[6..9].copy_from_slice(&self.overdraft.to_be_bytes()[1..]);
        out[9] = self.key_version;
        out[10] = self.alg_id;
        out[11..].copy_from_slice(&self.random);
        out
    }
}

/// docs/spec.md §3 CREDIT FOR LOAD answer: TAC 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CreditAnswer {
    pub tac: [u8; 4],
}

impl CreditAnswer {
    pub const LEN: usize = 4;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        Ok(CreditAnswer {
            tac: exact("CREDIT FOR LOAD", b)?,
        })
    }
    pub fn to_bytes(&self) -> [u8; 4] {
        self.tac
    }
}

/// docs/spec.md §3 DEBIT FOR PURCHASE answer: TAC 4 ‖ MAC2 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DebitAnswer {
    pub tac: [u8; 4],
    pub mac2: [u8; 4],
}

impl DebitAnswer {
    pub const LEN: usize = 8;
    /// Offset of the TAC in the answer (as in CREDIT FOR LOAD's).
    pub const TAC_AT: usize = 0;
    /// Offset of MAC2 in the answer (the fault injector corrupts it in transit).
    pub const MAC2_AT: usize = 4;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<8>("DEBIT FOR PURCHASE", b)?;
        Ok(DebitAnswer {
            tac: arr(&b, 0),
            mac2: arr(&b, 4),
        })
    }
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.tac);
        out[4..].copy_from_slice(&self.mac2);
        out
    }
}

/// docs/spec.md §3 GET TRANSACTION PROOF answer: MAC2 4 ‖ TAC 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ProofAnswer {
    pub mac2: [u8; 4],
    pub tac: [u8; 4],
}

impl ProofAnswer {
    pub const LEN: usize = 8;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<8>("GET TRANSACTION PROOF", b)?;
        Ok(ProofAnswer {
            mac2: arr(&b, 0),
            tac: arr(&b, 4),
        })
    }
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.mac2);
        out[4..].copy_from_slice(&self.tac);
        out
    }
}

/// docs/spec.md §2 file `0015` (30 bytes): issuer ID 8 ‖ app type 1 ‖ app version 1 ‖ application
/// serial number 10 ‖ start date 4 ‖ expiry date 4 ‖ issuer data 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IssuerFile {
    pub issuer_id: [u8; 8],
    /// `02`: electronic purse.
    pub app_type: u8,
    pub app_version: u8,
    pub serial: [u8; 10],
    pub start_date: [u8; 4],
    pub expiry_date: [u8; 4],
    pub issuer_data: [u8; 2],
}

impl IssuerFile {
    pub const LEN: usize = 30;
    /// SFI of the file.
    pub const SFI: u8 = 0x15;
    /// App type of an electronic purse.
    pub const APP_TYPE_EP: u8 = 0x02;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<30>("READ BINARY 0015", b)?;
        Ok(IssuerFile {
            issuer_id: arr(&b, 0),
            app_type: b[8],
            app_version: b[9],
            serial: arr(&b, 10),
            start_date: arr(&b, 20),
            expiry_date: arr(&b, 24),
            issuer_data: arr(&b, 28),
        })
    }
    pub fn to_bytes(&self) -> [u8; 30] {
        let mut out = [0u8; 30];
        out[..8].copy_from_slice(&self.issuer_id);
        out[8] = self.app_type;
        out[9] = self.app_version;
        out[10..20].copy_from_slice(&self.serial);
        out[20..24].copy_from_slice(&self.start_date);
        out[24..28].copy_from_slice(&self.expiry_date);
        out[28..].copy_from_slice(&self.issuer_data);
        out
    }
}

/// docs/spec.md §2 file `0016` (SFI 0x16, 55 bytes), the holder's file: card type 1 ‖ staff
/// flag 1 ‖ name 20 ‖ ID number 32 ‖ ID type 1; name and ID number UTF-8, padded with `00`.
/// The service desk checks a holder against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderFile {
    pub card_type: u8,
    pub staff: u8,
    pub name: String,
    pub id_number: String,
    pub id_type: u8,
}

impl HolderFile {
    pub const LEN: usize = 55;
    /// SFI of the file.
    pub const SFI: u8 = 0x16;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<55>("READ BINARY 0016", b)?;
        let text = |f: &[u8]| {
            let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        Ok(HolderFile {
            card_type: b[0],
            staff: b[1],
            name: text(&b[2..22]),
            id_number: text(&b[22..54]),
            id_type: b[54],
        })
    }
}

/// docs/spec.md §5 INIT SAM FOR PURCHASE data: random 4 ‖ offline ctr 2 ‖ amount 4 ‖ type 1 ‖
/// date 4 ‖ time 3 ‖ keyVer 1 ‖ algID 1 ‖ factor 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InitSam {
    pub random: [u8; 4],
    pub offline_counter: u16,
    pub amount: u32,
    pub tx_type: u8,
    pub date: [u8; 4],
    pub time: [u8; 3],
    pub key_version: u8,
    pub alg_id: u8,
    /// The diversification factor: the last 8 bytes of the application serial number.
    pub factor: [u8; 8],
}

/// The PSAM's commands (docs/spec.md §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PsamCommand {
    /// Read the terminal number: `00 B0 96 00 06`.
    ReadTermId,
    /// `80 70 00 00 1C` [`InitSam`] → [`InitSamAnswer`].
    InitSamForPurchase(InitSam),
    /// `80 72 00 00 04` MAC2 → `9000` or `9302`.
    CreditSamForPurchase { mac2: [u8; 4] },
}

impl PsamCommand {
    pub fn name(&self) -> &'static str {
        match self {
            PsamCommand::ReadTermId => "PSAM read termID",
            PsamCommand::InitSamForPurchase(_) => "INIT SAM FOR PURCHASE",
            PsamCommand::CreditSamForPurchase { .. } => "CREDIT SAM FOR PURCHASE",
        }
    }

    pub fn to_apdu(&self) -> CommandApdu {
        match self {
            PsamCommand::ReadTermId => {
                CommandApdu::new(0x00, INS_READ_BINARY, 0x96, 0x00).with_le(6)
            }
            PsamCommand::InitSamForPurchase(s) => {
                let mut d = Vec::with_capacity(28);
                d.extend_from_slice(&s.random);
                d.extend_from_slice(&s.offline_counter.to_be_bytes());
                d.extend_from_slice(&s.amount.to_be_bytes());
                d.push(s.tx_type);
                d.extend_from_slice(&s.date);
                d.extend_from_slice(&s.time);
                d.push(s.key_version);
                d.push(s.alg_id);
                d.extend_from_slice(&s.factor);
                CommandApdu::new(0x80, INS_INIT_SAM, 0x00, 0x00)
                    .with_data(d)
                    .with_le(InitSamAnswer::LEN)
            }
            PsamCommand::CreditSamForPurchase { mac2 } => {
                CommandApdu::new(0x80, INS_CREDIT_SAM, 0x00, 0x00).with_data(mac2.to_vec())
            }
        }
    }
}

impl TryFrom<&CommandApdu> for PsamCommand {
    type Error = Sw;

    /// Refusals as the PSAM answers them: unknown instruction `6D00`, wrong class `6E00`,
    /// wrong P1/P2 `6A86`, wrong length `6700`.
    fn try_from(a: &CommandApdu) -> Result<Self, Sw> {
        match (a.cla, a.ins) {
            (0x00, INS_READ_BINARY) => {
                if (a.p1, a.p2) != (0x96, 0x00) {
                    return Err(Sw::WRONG_P1P2);
                }
                Ok(PsamCommand::ReadTermId)
            }
            (0x80, INS_INIT_SAM) => {
                if (a.p1, a.p2) != (0, 0) {
                    return Err(Sw::WRONG_P1P2);
                }
                let d: [u8; 28] = a.data[..].try_into().map_err(|_| Sw::WRONG_LENGTH)?;
                Ok(PsamCommand::InitSamForPurchase(InitSam {
                    random: arr(&d, 0),
                    offline_counter: u16_at(&d, 4),
                    amount: u32_at(&d, 6),
                    tx_type: d[10],
                    date: arr(&d, 11),
                    time: arr(&d, 15),
                    key_version: d[18],
                    alg_id: d[19],
                    factor: arr(&d, 20),
                }))
            }
            (0x80, INS_CREDIT_SAM) => Ok(PsamCommand::CreditSamForPurchase {
                mac2: a.data[..].try_into().map_err(|_| Sw::WRONG_LENGTH)?,
            }),
            (0x00 | 0x80, _) => Err(Sw::INS_NOT_SUPPORTED),
            _ => Err(Sw::CLA_NOT_SUPPORTED),
        }
    }
}

/// The PSAM's terminal number (answer to `00 B0 96 00 06`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TermIdAnswer {
    pub term_id: [u8; 6],
}

impl TermIdAnswer {
    pub const LEN: usize = 6;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        Ok(TermIdAnswer {
            term_id: exact("PSAM read termID", b)?,
        })
    }
    pub fn to_bytes(&self) -> [u8; 6] {
        self.term_id
    }
}

/// docs/spec.md §5 INIT SAM FOR PURCHASE answer: TTC 4 ‖ MAC1 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InitSamAnswer {
    pub ttc: u32,
    pub mac1: [u8; 4],
}

impl InitSamAnswer {
    pub const LEN: usize = 8;
    pub fn parse(b: &[u8]) -> Result<Self, CodecError> {
        let b = exact::<8>("INIT SAM FOR PURCHASE", b)?;
        Ok(InitSamAnswer {
            ttc: u32_at(&b, 0),
            mac1: arr(&b, 4),
        })
    }
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.ttc.to_be_bytes());
        out[4..].copy_from_slice(&self.mac1);
        out
    }
}

#[cfg(test)]
mod tests;
