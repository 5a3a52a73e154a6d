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
            help: false,
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
            help: false,
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

/// PROVIDE LOCAL INFORMATION, date and time (TS 102 223 §6.6.15): `D0 09`, command details
/// `81 03 01 26 03` (number 1, type 26, qualifier 03 "date, time and time zone"), device
/// identities `82 02 81 82` (UICC to terminal), nothing else.
#[test]
fn provide_local_time_byte_exact() {
    let cmd = ProactiveCommand::new(1, Proactive::ProvideLocalTime);
    let bytes = hex("D0 09 81 03 01 26 03 82 02 81 82");
    assert_eq!(cmd.encode(true), bytes);
    assert_eq!(ProactiveCommand::decode(&bytes).unwrap(), cmd);
    // Other qualifiers (location, IMEI, ...) are not commands the wallet knows.
    assert!(ProactiveCommand::decode(&hex("D0 09 81 03 01 26 00 82 02 81 82")).is_err());
}

/// Its answer: result `00`, then Date-Time and Time zone `A6 07` (§8.39): each byte two BCD
/// digits with the nibbles swapped, so 2026-11-30 22:05:09 is `62 11 03 22 50 90`, and time
/// zone `23` is +8 hours (32 quarters, swapped).
#[test]
fn local_time_answer_byte_exact() {
    let cmd = ProactiveCommand::new(1, Proactive::ProvideLocalTime);
    let bytes = hex("81 03 01 26 03 82 02 82 81 83 01 00 A6 07 62 11 03 22 50 90 23");
    let tr = TerminalResponse::decode(&bytes).unwrap();
    assert!(tr.answers(&cmd));
    let t = tr.date_time.unwrap();
    assert_eq!(t.date, [0x20, 0x26, 0x11, 0x30]);
    assert_eq!(t.time, [0x22, 0x05, 0x09]);
    assert_eq!(t.zone, 0x23);
    assert_eq!(t.minutes(), "2026-11-30 22:05");
    assert_eq!(tr.encode(true), bytes);
    // Month 13, a hex digit, a short value: not understood.
    for bad in [
        "81 03 01 26 03 82 02 82 81 83 01 00 A6 07 62 31 03 22 50 90 23",
        "81 03 01 26 03 82 02 82 81 83 01 00 A6 07 62 11 0A 22 50 90 23",
        "81 03 01 26 03 82 02 82 81 83 01 00 A6 06 62 11 03 22 50 90",
    ] {
        assert!(TerminalResponse::decode(&hex(bad)).is_err(), "{bad}");
    }
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
            help: false,
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
        help: false,
    };
    assert_eq!(visible.qualifier(), 0x00);
    let alpha = Proactive::GetInput {
        prompt: "Name".into(),
        min: 0,
        max: 20,
        hidden: false,
        digits_only: false,
        help: false,
    };
    assert_eq!(alpha.qualifier(), 0x01);
    // b8: help information available, on top of the other bits.
    assert_eq!(visible.clone().with_help(true).qualifier(), 0x80);
    assert_eq!(alpha.with_help(true).qualifier(), 0x81);
}

#[test]
fn empty_menu_is_null_item() {
    let cmd = ProactiveCommand::new(
        1,
        Proactive::SetUpMenu {
            title: String::new(),
            items: vec![],
            help: false,
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
            help: false,
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
    let unable = TerminalResponse::decode(&hex("81 03 05 24 00 82 02 82 81 83 02 20 01")).unwrap();
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
        (any_text(), any_items(), any::<bool>())
            .prop_map(|(title, items, help)| { Proactive::SetUpMenu { title, items, help } }),
        (
            prop::option::of(any_text()),
            any_items(),
            any::<Option<u8>>(),
            any::<bool>()
        )
            .prop_map(|(title, items, default_item, help)| Proactive::SelectItem {
                title,
                items,
                default_item,
                help
            }),
        (
            any_text(),
            any::<u8>(),
            any::<u8>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(prompt, min, max, hidden, digits_only, help)| {
                Proactive::GetInput {
                    prompt,
                    min,
                    max,
                    hidden,
                    digits_only,
                    help,
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
            help: false,
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
        buffer_size in any::<Option<u16>>(), channel_data_length in any::<Option<u8>>(),
        when in prop::option::of((0u8..100, 1u8..=12, 1u8..=31, 0u8..24, 0u8..60, 0u8..60, any::<u8>()))
    ) {
        let bcd = |n: u8| ((n / 10) << 4) | (n % 10);
        let date_time = when.map(|(y, mo, d, h, mi, s, zone)| LocalTime {
            date: [0x20, bcd(y), bcd(mo), bcd(d)],
            time: [bcd(h), bcd(mi), bcd(s)],
            zone,
        });
        let tr = TerminalResponse {
            details, result, additional, text, item, channel_data, channel_status, bearer,
            buffer_size, channel_data_length, date_time,
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

/// TS 102 223 §8.6: b8 of the qualifier of SET UP MENU, SELECT ITEM and GET INPUT is "help
/// information available". Expected bytes written from the spec's example SET UP MENU with the
/// qualifier byte 00 -> 80, and the hidden-digits GET INPUT 04 -> 84; nothing else changes.
#[test]
fn help_available_is_qualifier_b8() {
    let menu = ProactiveCommand::new(
        1,
        Proactive::SetUpMenu {
            title: "Wallet".into(),
            items: vec![Item::new(1, "Top Up")],
            help: true,
        },
    );
    let enc = menu.encode(false);
    assert_eq!(
        enc,
        [
            &hex("D0 1A 81 03 01 25 80 82 02 81 82 85 06")[..],
            b"Wallet",
            &[0x8F, 0x07, 0x01],
            b"Top Up",
        ]
        .concat()
    );
    assert_eq!(ProactiveCommand::decode(&enc).unwrap(), menu);
    let mut get = spec_get_input();
    get.kind = get.kind.with_help(true);
    let enc = get.encode(true);
    assert_eq!(&enc[2..7], hex("81 03 03 23 84"));
    assert_eq!(ProactiveCommand::decode(&enc).unwrap(), get);
    // DISPLAY TEXT's b8 is "wait for the user", not help: with_help leaves it alone.
    let text = Proactive::DisplayText {
        text: "x".into(),
        high_priority: false,
        wait_for_user: false,
    };
    assert_eq!(text.clone().with_help(true), text);
    assert!(!text.help());
}

/// Result 13, "help information required by the user" (TS 102 223 §8.12), to a SELECT ITEM
/// with the item asked about (§6.4.9): bytes written from the spec.
#[test]
fn help_required_result_decodes() {
    let tr =
        TerminalResponse::decode(&hex("81 03 02 24 80 82 02 82 81 83 01 13 90 01 02")).unwrap();
    assert_eq!(tr.result, ResultCode::HelpRequired);
    assert_eq!(tr.result.to_byte(), 0x13);
    assert!(!tr.result.is_success());
    assert_eq!(tr.item, Some(2));
}
