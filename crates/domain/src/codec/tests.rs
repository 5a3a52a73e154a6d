//! Every byte string here is written from the layouts and worked examples of docs/spec.md
//! (section cited at each), not from this code's output; each is built, parsed back and compared.

use super::*;
use crate::command::{Command, SimClass, TxKind};
use crate::records::HistoryEntry;

fn h(s: &str) -> Vec<u8> {
    crate::hexser::decode(s).unwrap()
}

fn parse(s: &str) -> Result<Command, Sw> {
    Command::try_from(&CommandApdu::parse(&h(s)).map_err(|e| e.sw())?)
}

fn psam(s: &str) -> Result<PsamCommand, Sw> {
    PsamCommand::try_from(&CommandApdu::parse(&h(s)).map_err(|e| e.sw())?)
}

/// `cmd` encodes to exactly `bytes`, and `bytes` parse back to `cmd`.
fn request(cmd: Command, bytes: &str) {
    assert_eq!(cmd.to_bytes(), h(bytes), "{}", cmd.name());
    assert_eq!(parse(bytes), Ok(cmd));
}

fn psam_request(cmd: PsamCommand, bytes: &str) {
    assert_eq!(cmd.to_apdu().to_bytes(), h(bytes), "{}", cmd.name());
    assert_eq!(psam(bytes), Ok(cmd));
}

#[test]
fn select_by_df_name_and_by_file_id() {
    // §2: the wallet ADF by its default DF name, FCI wanted (Le 00).
    request(
        Command::Select {
            name: h("A0 00 00 00 03 86 98 07 01"),
            want_fci: true,
        },
        "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01 00",
    );
    // §2: the payment system environment "1PAY.SYS.DDF01" in ASCII.
    request(
        Command::Select {
            name: b"1PAY.SYS.DDF01".to_vec(),
            want_fci: true,
        },
        "00 A4 04 00 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00",
    );
    request(
        Command::Select {
            name: h("A0 00 00 00 03 86 98 07 01"),
            want_fci: false,
        },
        "00 A4 04 0C 09 A0 00 00 00 03 86 98 07 01",
    );
    // ISO 7816-4 selection by file identifier (P1 00), here EF 0015, no FCI.
    request(
        Command::SelectFile {
            fid: 0x0015,
            want_fci: false,
        },
        "00 A4 00 0C 02 00 15",
    );
}

#[test]
fn read_binary_0015_and_its_answer() {
    // §2: `00 B0 95 00 1E` (SFI 0x15 with the SFI bit 0x80).
    request(
        Command::ReadBinary {
            sfi: 0x15,
            offset: 0,
            le: Some(30),
        },
        "00 B0 95 00 1E",
    );
    // §2 layout: issuer ID 8 ‖ app type 02 ‖ version 01 ‖ serial 10 ‖ start ‖ expiry ‖ data 2.
    let bytes = h(
        "11 22 33 44 55 66 77 88  02  01  00 00 01 23 45 67 89 AB CD EF \
                   20 26 01 01  20 30 12 31  AB CD",
    );
    let f = IssuerFile::parse(&bytes).unwrap();
    assert_eq!(
        f,
        IssuerFile {
            issuer_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
            app_type: 0x02,
            app_version: 0x01,
            serial: [0, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x30, 0x12, 0x31],
            issuer_data: [0xAB, 0xCD],
        }
    );
    assert_eq!(f.to_bytes().to_vec(), bytes);
    assert_eq!(
        IssuerFile::parse(&bytes[..29]),
        Err(CodecError {
            what: "READ BINARY 0015",
            expected: 30,
            got: 29
        })
    );
}

#[test]
fn read_record_and_the_23_byte_log_record() {
    // §2: `00 B2 <n> C4 17` (SFI 0x18 << 3 | 4 = C4, 23 bytes).
    request(HistoryEntry::read_command(1), "00 B2 01 C4 17");
    request(
        Command::ReadRecord {
            record: 10,
            sfi: 0x18,
            le: Some(23),
        },
        "00 B2 0A C4 17",
    );
    // §2 record: counter 2 ‖ overdraft 000000 ‖ amount 4 ‖ type 1 ‖ termID 6 ‖ date ‖ time,
    // with §4's purchase walkthrough values.
    let bytes = h("00 01  00 00 00  00 00 10 00  06  00 11 22 33 44 55  20 12 02 29  13 51 00");
    let e = HistoryEntry::decode(&bytes).unwrap();
    assert_eq!(
        e,
        HistoryEntry {
            counter: 1,
            amount: 0x1000,
            tx_type: 0x06,
            term_id: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
            date: [0x20, 0x12, 0x02, 0x29],
            time: [0x13, 0x51, 0x00],
        }
    );
    assert_eq!(e.encode().to_vec(), bytes);
    assert!(HistoryEntry::decode(&bytes[..22]).is_err());
    assert!(HistoryEntry::decode(&[bytes.clone(), vec![0]].concat()).is_err());
}

#[test]
fn verify_and_the_password_commands() {
    // §3 VERIFY: PIN 123456 as 3 BCD bytes; no data asks for the tries left.
    request(
        Command::Verify {
            pin: Some(vec![0x12, 0x34, 0x56]),
        },
        "00 20 00 00 03 12 34 56",
    );
    request(Command::Verify { pin: None }, "00 20 00 00");
    // The SIM's PIN1 (TS 102 221 §11.1.9, GSM 11.11 §9.2.9): P2 01, 8 bytes padded with FF.
    request(
        Command::VerifyPin1 {
            class: SimClass::Uicc,
            pin: Some(*b"1234\xFF\xFF\xFF\xFF"),
        },
        "00 20 00 01 08 31 32 33 34 FF FF FF FF",
    );
    request(
        Command::VerifyPin1 {
            class: SimClass::Uicc,
            pin: None,
        },
        "00 20 00 01",
    );
    request(
        Command::VerifyPin1 {
            class: SimClass::Gsm,
            pin: Some(*b"1234\xFF\xFF\xFF\xFF"),
        },
        "A0 20 00 01 08 31 32 33 34 FF FF FF FF",
    );
    assert_eq!(parse("00 20 00 01 03 12 34 56"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("A0 20 00 01 00"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("00 20 00 02 03 12 34 56"), Err(Sw::WRONG_P1P2));
    // §3 CHANGE PIN: old ‖ FF ‖ new.
    request(
        Command::ChangePin {
            old: vec![0x12, 0x34, 0x56],
            new: vec![0x65, 0x43, 0x21],
        },
        "80 5E 01 00 07 12 34 56 FF 65 43 21",
    );
    // §3/§4 RELOAD PIN: new ‖ MAC 4.
    let reload = Command::ReloadPin {
        new: vec![0x65, 0x43, 0x21],
        mac: [0xAA, 0xBB, 0xCC, 0xDD],
    };
    assert_eq!(reload.header(), [0x80, 0x5E, 0x00, 0x00, 0x07]);
    request(reload, "80 5E 00 00 07 65 43 21 AA BB CC DD");
    // §4 RESET OPERATION PASSWORD (layout in the card's pin.rs): `80 5E 02 00 Lc`
    // new password BCD F-padded ‖ MAC 4; 1234 → 12 34.
    let reset = Command::ResetOperationPassword {
        new: vec![0x12, 0x34],
        mac: [0x11, 0x22, 0x33, 0x44],
    };
    assert_eq!(reset.header(), [0x80, 0x5E, 0x02, 0x00, 0x06]);
    request(reset, "80 5E 02 00 06 12 34 11 22 33 44");
    // CLOSE WALLET (issuer): `80 5E 03 00 0F` amount 4 ‖ date 4 ‖ time 3 ‖ MAC 4.
    let close = Command::CloseWallet {
        amount: 10_000,
        date: [0x20, 0x26, 0x11, 0x30],
        time: [0x12, 0x00, 0x00],
        mac: [0x11, 0x22, 0x33, 0x44],
    };
    assert_eq!(close.header(), [0x80, 0x5E, 0x03, 0x00, 0x0F]);
    request(
        close,
        "80 5E 03 00 0F 00 00 27 10 20 26 11 30 12 00 00 11 22 33 44",
    );
    // CANCEL NUMBER (issuer): `80 5E 04 00 04` MAC 4.
    let cancel = Command::CancelNumber {
        mac: [0xAA, 0xBB, 0xCC, 0xDD],
    };
    assert_eq!(cancel.header(), [0x80, 0x5E, 0x04, 0x00, 0x04]);
    request(cancel, "80 5E 04 00 04 AA BB CC DD");
    // GET CHALLENGE for the issuer commands: `00 84 00 00 04` → 4 bytes.
    request(Command::GetChallenge, "00 84 00 00 04");
    let c = ChallengeAnswer::parse(&h("01 02 03 04")).unwrap();
    assert_eq!(c.random, [1, 2, 3, 4]);
    assert_eq!(c.to_bytes().to_vec(), h("01 02 03 04"));
}

#[test]
fn get_balance_and_get_data() {
    // §3 GET BALANCE `80 5C 00 02 04` → balance 4: 100.00 CNY = 10000 fen = 00 00 27 10.
    request(Command::GetBalance, "80 5C 00 02 04");
    let b = BalanceAnswer::parse(&h("00 00 27 10")).unwrap();
    assert_eq!(b.balance, 10_000);
    assert_eq!(b.to_bytes().to_vec(), h("00 00 27 10"));
    // §3 GET DATA `80 CA 9F 78 00` → `9F78 06` limit in fen as 12 BCD digits.
    request(Command::GetData { tag: 0x9F78 }, "80 CA 9F 78 00");
    let l = LimitAnswer::parse(&h("9F 78 06 00 00 00 00 50 00")).unwrap();
    assert_eq!(l.limit, 5000);
    assert_eq!(l.to_bytes().to_vec(), h("9F 78 06 00 00 00 00 50 00"));
    // 9 999 999.99 CNY = 999999999 fen = digits 000999999999.
    let l = LimitAnswer::parse(&h("9F 78 06 00 09 99 99 99 99")).unwrap();
    assert_eq!(l.limit, 999_999_999);
    assert_eq!(l.to_bytes().to_vec(), h("9F 78 06 00 09 99 99 99 99"));
    assert!(LimitAnswer::parse(&h("9F 78 06 00 00 00 00 5A 00")).is_err());
    assert!(LimitAnswer::parse(&h("9F 79 06 00 00 00 00 50 00")).is_err());
    assert!(LimitAnswer::parse(&h("9F 78 06 00 00 00 00 50")).is_err());
}

#[test]
fn initialize_for_load_with_the_real_card_example() {
    // §4 real card: amount 00001234, termID 000000000001; §3 `80 50 00 02 0B`, Le 16.
    request(
        Command::Initialize {
            kind: TxKind::Load,
            key_index: 1,
            amount: 0x1234,
            term_id: [0, 0, 0, 0, 0, 1],
        },
        "80 50 00 02 0B 01 00 00 12 34 00 00 00 00 00 01 10",
    );
    // Its answer, as docs/spec.md §4 quotes it: `00000000 0000 00 01 F9CABA91 6C394D64`.
    let bytes = h("00000000 0000 00 01 F9CABA91 6C394D64");
    let a = InitLoadAnswer::parse(&bytes).unwrap();
    assert_eq!(
        a,
        InitLoadAnswer {
            balance: 0,
            online_counter: 0,
            key_version: 0,
            alg_id: 1,
            random: [0xF9, 0xCA, 0xBA, 0x91],
            mac1: [0x6C, 0x39, 0x4D, 0x64],
        }
    );
    assert_eq!(a.to_bytes().to_vec(), bytes);
    assert!(InitLoadAnswer::parse(&bytes[..15]).is_err());
}

#[test]
fn purchase_commands_with_the_walkthrough_values() {
    // §4 purchase walkthrough: amount 00001000, termID 001122334455; `80 50 01 02 0B`, Le 15.
    request(
        Command::Initialize {
            kind: TxKind::Purchase,
            key_index: 1,
            amount: 0x1000,
            term_id: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
        },
        "80 50 01 02 0B 01 00 00 10 00 00 11 22 33 44 55 0F",
    );
    // balance 100.00 ‖ ctr 0000 ‖ overdraft 000000 ‖ keyVer 01 ‖ alg 00 ‖ random 11223344.
    let bytes = h("00 00 27 10  00 00  00 00 00  01  00  11 22 33 44");
    let a = InitPurchaseAnswer::parse(&bytes).unwrap();
    assert_eq!(
        a,
        InitPurchaseAnswer {
            balance: 10_000,
            offline_counter: 0,
            overdraft: 0,
            key_version: 1,
            alg_id: 0,
            random: [0x11, 0x22, 0x33, 0x44],
        }
    );
    assert_eq!(a.to_bytes().to_vec(), bytes);
    // §3 DEBIT: TTC 00000001 ‖ date 20120229 ‖ time 135100 ‖ MAC1 F15CAB75, Le 8.
    request(
        Command::DebitForPurchase {
            ttc: 1,
            date: [0x20, 0x12, 0x02, 0x29],
            time: [0x13, 0x51, 0x00],
            mac1: [0xF1, 0x5C, 0xAB, 0x75],
        },
        "80 54 01 00 0F 00 00 00 01 20 12 02 29 13 51 00 F1 5C AB 75 08",
    );
    // → TAC 4 ‖ MAC2 4 (MAC2 56988A13 from the walkthrough).
    let d = DebitAnswer::parse(&h("A1 B2 C3 D4 56 98 8A 13")).unwrap();
    assert_eq!(d.tac, [0xA1, 0xB2, 0xC3, 0xD4]);
    assert_eq!(d.mac2, [0x56, 0x98, 0x8A, 0x13]);
    assert_eq!(d.to_bytes().to_vec(), h("A1 B2 C3 D4 56 98 8A 13"));
    assert_eq!(
        h("80 54 01 00 0F 00 00 00 01 20 12 02 29 13 51 00 F1 5C AB 75 08")[5 + DEBIT_MAC1_AT],
        0xF1
    );
}

#[test]
fn credit_for_load_and_transaction_proof() {
    // §3 CREDIT FOR LOAD: date 20261122 ‖ time 120000 ‖ MAC2 11223344, Le 4 → TAC 4.
    request(
        Command::CreditForLoad {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0x00, 0x00],
            mac2: [0x11, 0x22, 0x33, 0x44],
        },
        "80 52 00 00 0B 20 26 11 22 12 00 00 11 22 33 44 04",
    );
    assert_eq!(
        h("80 52 00 00 0B 20 26 11 22 12 00 00 11 22 33 44 04")[5 + CREDIT_MAC2_AT],
        0x11
    );
    let c = CreditAnswer::parse(&h("DE AD BE EF")).unwrap();
    assert_eq!(c.tac, [0xDE, 0xAD, 0xBE, 0xEF]);
    assert_eq!(c.to_bytes().to_vec(), h("DE AD BE EF"));
    // §3 GET TRANSACTION PROOF `80 5A 00 <type> 02` counter, Le 8 → MAC2 4 ‖ TAC 4.
    request(
        Command::GetTransactionProof {
            tx_type: 0x06,
            counter: 1,
        },
        "80 5A 00 06 02 00 01 08",
    );
    let p = ProofAnswer::parse(&h("56 98 8A 13 A1 B2 C3 D4")).unwrap();
    assert_eq!(p.mac2, [0x56, 0x98, 0x8A, 0x13]);
    assert_eq!(p.tac, [0xA1, 0xB2, 0xC3, 0xD4]);
    assert_eq!(p.to_bytes().to_vec(), h("56 98 8A 13 A1 B2 C3 D4"));
}

#[test]
fn toolkit_headers_in_both_classes() {
    // §1.1 worked example: TERMINAL PROFILE `09 61 0F 21 00 00 00 10 00` → 91 2E; FETCH 2E.
    request(
        Command::TerminalProfile {
            profile: h("09 61 0F 21 00 00 00 10 00"),
        },
        "80 10 00 00 09 09 61 0F 21 00 00 00 10 00",
    );
    request(Command::Fetch { le: Some(0x2E) }, "80 12 00 00 2E");
    let fetch = Command::Fetch { le: Some(0x2E) };
    assert_eq!(fetch.to_apdu_in_class(0xA0).to_bytes(), h("A0 12 00 00 2E"));
    assert_eq!(parse("A0 12 00 00 2E"), Ok(fetch));
    // §1.1: the answer to GET INPUT with 123456 (21 bytes).
    let tr = "81 03 03 23 04 82 02 82 81 83 01 00 8D 07 04 31 32 33 34 35 36";
    request(
        Command::TerminalResponse { data: h(tr) },
        &format!("80 14 00 00 15 {tr}"),
    );
    // §1.1 MENU SELECTION of item 1.
    let env = Command::Envelope {
        data: h("D3 07 82 02 01 81 90 01 01"),
    };
    assert_eq!(
        env.to_apdu_in_class(0xA0).to_bytes(),
        h("A0 C2 00 00 09 D3 07 82 02 01 81 90 01 01")
    );
    request(env, "80 C2 00 00 09 D3 07 82 02 01 81 90 01 01");
    // A GSM class does not apply to the purse commands.
    assert_eq!(Command::GetBalance.to_apdu_in_class(0xA0).cla, 0x80);
}

#[test]
fn psam_commands_and_answers() {
    // §5 read termID `00 B0 96 00 06` → termID 6.
    psam_request(PsamCommand::ReadTermId, "00 B0 96 00 06");
    let t = TermIdAnswer::parse(&h("00 11 22 33 44 55")).unwrap();
    assert_eq!(t.term_id, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
    assert_eq!(t.to_bytes().to_vec(), h("00 11 22 33 44 55"));
    // §5 INIT SAM FOR PURCHASE `80 70 00 00 1C` with the §4 walkthrough values: random
    // 11223344 ‖ ctr 0000 ‖ amount 00001000 ‖ type 06 ‖ 20120229 ‖ 135100 ‖ keyVer 01 ‖
    // alg 00 ‖ factor 0123456789ABCDEF; Le 8.
    psam_request(
        PsamCommand::InitSamForPurchase(InitSam {
            random: [0x11, 0x22, 0x33, 0x44],
            offline_counter: 0,
            amount: 0x1000,
            tx_type: 0x06,
            date: [0x20, 0x12, 0x02, 0x29],
            time: [0x13, 0x51, 0x00],
            key_version: 1,
            alg_id: 0,
            factor: [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
        }),
        "80 70 00 00 1C 11 22 33 44 00 00 00 00 10 00 06 20 12 02 29 13 51 00 01 00 \
         01 23 45 67 89 AB CD EF 08",
    );
    // → TTC 00000001 ‖ MAC1 F15CAB75.
    let a = InitSamAnswer::parse(&h("00 00 00 01 F1 5C AB 75")).unwrap();
    assert_eq!(
        a,
        InitSamAnswer {
            ttc: 1,
            mac1: [0xF1, 0x5C, 0xAB, 0x75]
        }
    );
    assert_eq!(a.to_bytes().to_vec(), h("00 00 00 01 F1 5C AB 75"));
    // §5 CREDIT SAM FOR PURCHASE `80 72 00 00 04` MAC2.
    psam_request(
        PsamCommand::CreditSamForPurchase {
            mac2: [0x56, 0x98, 0x8A, 0x13],
        },
        "80 72 00 00 04 56 98 8A 13",
    );
}

#[test]
fn malformed_requests_get_the_cards_status_words() {
    // Not even a header: 6700.
    assert_eq!(parse("80 5C 00"), Err(Sw::WRONG_LENGTH));
    // Lc says 0B, 10 bytes follow: the APDU itself is malformed, 6700.
    assert_eq!(
        parse("80 50 01 02 0B 01 00 00 10 00 00 11 22 33 44"),
        Err(Sw::WRONG_LENGTH)
    );
    // Well-formed APDUs with the wrong Lc for the command: 6700.
    assert_eq!(
        parse("80 50 01 02 0A 01 00 00 10 00 00 11 22 33 44"),
        Err(Sw::WRONG_LENGTH)
    );
    assert_eq!(
        parse("80 54 01 00 0E 00 00 00 01 20 12 02 29 13 51 00 F1 5C AB"),
        Err(Sw::WRONG_LENGTH)
    );
    assert_eq!(parse("80 52 00 00 04 11 22 33 44"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("80 5A 00 06 01 01 08"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("00 20 00 00 02 12 34"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("80 5C 00 02 01 00 04"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("00 A4 00 0C 01 15"), Err(Sw::WRONG_LENGTH));
    // An Le below the fixed answer length: 6Cxx with the right length.
    assert_eq!(parse("80 5C 00 02 02"), Err(Sw(0x6C04)));
    assert_eq!(
        parse("80 50 01 02 0B 01 00 00 10 00 00 11 22 33 44 55 0E"),
        Err(Sw(0x6C0F))
    );
    assert_eq!(
        parse("80 50 00 02 0B 01 00 00 10 00 00 11 22 33 44 55 0F"),
        Err(Sw(0x6C10))
    );
    assert_eq!(
        parse("80 54 01 00 0F 00 00 00 01 20 12 02 29 13 51 00 F1 5C AB 75 04"),
        Err(Sw(0x6C08))
    );
    assert_eq!(parse("80 5A 00 06 02 00 01 04"), Err(Sw(0x6C08)));
    assert_eq!(parse("00 84 00 00 08"), Err(Sw(0x6C04)));
    // Wrong P1/P2: 6A86.
    assert_eq!(parse("80 5A 00 05 02 00 01 08"), Err(Sw::WRONG_P1P2));
    assert_eq!(parse("00 B2 00 C4 17"), Err(Sw::WRONG_P1P2));
    assert_eq!(parse("00 A4 02 00 02 00 15"), Err(Sw::WRONG_P1P2));
    // The PSAM: 6700 for a wrong length, 6A86, 6D00, 6E00.
    assert_eq!(
        psam(
            "80 70 00 00 1B 11 22 33 44 00 00 00 00 10 00 06 20 12 02 29 13 51 00 01 00 \
              01 23 45 67 89 AB CD"
        ),
        Err(Sw::WRONG_LENGTH)
    );
    assert_eq!(psam("80 72 00 00 03 56 98 8A"), Err(Sw::WRONG_LENGTH));
    assert_eq!(psam("00 B0 95 00 1E"), Err(Sw::WRONG_P1P2));
    assert_eq!(psam("80 54 01 00"), Err(Sw::INS_NOT_SUPPORTED));
    assert_eq!(psam("A0 70 00 00"), Err(Sw::CLA_NOT_SUPPORTED));
}

#[test]
fn short_answers_are_refused_with_the_layout_length() {
    for (got, e) in [
        (3, BalanceAnswer::parse(&[0; 3]).unwrap_err()),
        (7, DebitAnswer::parse(&[0; 7]).unwrap_err()),
        (9, ProofAnswer::parse(&[0; 9]).unwrap_err()),
        (14, InitPurchaseAnswer::parse(&[0; 14]).unwrap_err()),
        (0, CreditAnswer::parse(&[]).unwrap_err()),
        (5, InitSamAnswer::parse(&[0; 5]).unwrap_err()),
        (5, TermIdAnswer::parse(&[0; 5]).unwrap_err()),
    ] {
        assert_eq!(e.got, got, "{e}");
        assert_ne!(e.expected, got);
    }
    assert_eq!(
        DebitAnswer::parse(&[0; 7]).unwrap_err().to_string(),
        "the answer to DEBIT FOR PURCHASE is 8 bytes, got 7"
    );
}

#[test]
fn instructions_are_named_from_one_table() {
    assert_eq!(instruction(0x54).map(|i| i.token), Some("debit"));
    assert_eq!(
        instruction(0x5A).map(|i| i.name),
        Some("GET TRANSACTION PROOF")
    );
    assert_eq!(instruction_by_token("DEBIT").map(|i| i.ins), Some(0x54));
    assert_eq!(instruction(0xFE), None);
    assert_eq!(
        Command::name_of(&h("80 50 01 02 0B 01 00 00 10 00 00 11 22 33 44 55 0F")),
        Some("INITIALIZE FOR PURCHASE")
    );
    assert_eq!(
        Command::name_of(&h("80 72 00 00 04 56 98 8A 13")),
        Some("CREDIT SAM FOR PURCHASE")
    );
    // A malformed DEBIT is still named by its instruction byte.
    assert_eq!(
        Command::name_of(&h("80 54 01 00 01 00")),
        Some("DEBIT FOR PURCHASE")
    );
    assert_eq!(Command::name_of(&h("80 FE 00 00")), None);
    assert_eq!(Command::name_of(&h("80")), None);
    // Each token and byte is listed once.
    for (i, a) in INSTRUCTIONS.iter().enumerate() {
        for b in &INSTRUCTIONS[i + 1..] {
            assert!(a.ins != b.ins && a.token != b.token, "{a:?} {b:?}");
        }
    }
}
