//! Parsing and building the command APDUs.

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

#[test]
fn sim_file_commands_parse_and_build_the_same_bytes() {
    // TS 102 221 §11.1.1 / §11.1.2 and GSM 11.11 §9.2 layouts, written from the tables.
    let cases = [
        (
            "00 A4 00 04 02 3F 00 00",
            Command::SelectFile {
                fid: 0x3F00,
                want_fci: true,
            },
        ),
        (
            "00 A4 00 0C 02 2F E2",
            Command::SelectFile {
                fid: 0x2FE2,
                want_fci: false,
            },
        ),
        (
            "00 A4 08 04 04 7F FF 6F 07 00",
            Command::SelectPath {
                from_mf: true,
                path: vec![0x7FFF, 0x6F07],
                want_fci: true,
            },
        ),
        (
            "00 A4 09 0C 02 6F AD",
            Command::SelectPath {
                from_mf: false,
                path: vec![0x6FAD],
                want_fci: false,
            },
        ),
        ("A0 A4 00 00 02 7F 20", Command::GsmSelect { fid: 0x7F20 }),
        ("A0 C0 00 00 17", Command::GetResponse { le: Some(0x17) }),
        (
            "00 B0 00 08 02",
            Command::ReadCurrentBinary {
                class: SimClass::Uicc,
                offset: 8,
                le: Some(2),
            },
        ),
        (
            "A0 B0 00 00 0A",
            Command::ReadCurrentBinary {
                class: SimClass::Gsm,
                offset: 0,
                le: Some(10),
            },
        ),
        (
            "00 B2 02 04 20",
            Command::ReadCurrentRecord {
                class: SimClass::Uicc,
                record: 2,
                le: Some(32),
            },
        ),
        (
            "80 F2 01 0C",
            Command::Status {
                class: SimClass::Uicc,
                p1: 1,
                data: StatusData::Nothing,
                le: None,
            },
        ),
        (
            "A0 F2 00 00 16",
            Command::Status {
                class: SimClass::Gsm,
                p1: 0,
                data: StatusData::Fcp,
                le: Some(22),
            },
        ),
    ];
    for (hex, cmd) in cases {
        assert_eq!(parse(hex).as_ref(), Ok(&cmd), "{hex}");
        let bytes = crate::hexser::decode(hex).unwrap();
        assert_eq!(cmd.to_bytes(), bytes, "{hex}");
    }
    // Still refused: SELECT P1 02, a path of odd length, GSM READ BINARY with an SFI.
    assert_eq!(parse("00 A4 02 00 02 3F 00"), Err(Sw::WRONG_P1P2));
    assert_eq!(parse("00 A4 08 04 03 7F 20 6F"), Err(Sw::WRONG_LENGTH));
    assert_eq!(parse("A0 B0 82 00 0A"), Err(Sw::WRONG_P1P2));
    assert_eq!(parse("00 F2 00 00"), Err(Sw::CLA_NOT_SUPPORTED));
}
