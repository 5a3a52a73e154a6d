//! Independent decoder check: the card's toolkit exchange, written as GSMTAP SIM frames in a
//! pcap, is decoded by Wireshark's `gsm_sim`/`etsi_cat` dissectors (tshark), which must see the
//! same command types, numbers, titles, items, texts and result codes as our own model.
//! Skipped, with a message, when `tshark` is not installed.

use std::process::Command;
use stk_wallet::card::Card;
use stk_wallet::handset::{Exchange, Handset, PROFILE_NO_UCS2, tokens};
use stk_wallet::host::IssuerHost;
use stk_wallet::network::{IssuerNetwork, OtaFault};
use stk_wallet::pcap::Pcap;
use stk_wallet::pos::Clock;
use stk_wallet::profile::Profile;
use stk_wallet::stk::{Proactive, ProactiveCommand, TerminalResponse};
use stk_wallet::transport::sim::{SimCard, shared};

fn type_name(t: u8) -> &'static str {
    match t {
        0x21 => "DISPLAY TEXT",
        0x23 => "GET INPUT",
        0x24 => "SELECT ITEM",
        0x25 => "SET UP MENU",
        0x26 => "PROVIDE LOCAL INFORMATION",
        0x28 => "SET UP IDLE MODE TEXT",
        0x40 => "OPEN CHANNEL",
        0x41 => "CLOSE CHANNEL",
        0x42 => "RECEIVE DATA",
        0x43 => "SEND DATA",
        _ => "?",
    }
}

/// The lines tshark -V must print for one exchange, from our own decoding of it.
fn expected(e: &Exchange) -> Vec<String> {
    let mut out = Vec::new();
    match e.command.get(1) {
        Some(0x12) => {
            let data = &e.response[..e.response.len() - 2];
            let cmd = ProactiveCommand::decode(data).expect("our own command decodes");
            let [n, t, q] = cmd.details();
            out.push(format!("Command Number: 0x{n:02x}"));
            out.push(format!("Command Type: {} (0x{t:02x})", type_name(t)));
            out.push(if t == 0x26 {
                // etsi_cat names PROVIDE LOCAL INFORMATION's qualifier (TS 102 223 §8.6).
                format!("Command Qualifier: Date, time and time zone (0x{q:02x})")
            } else if t == 0x43 {
                // etsi_cat names SEND DATA's qualifier bit instead of printing the byte.
                format!(
                    "Command Qualifier: {}",
                    if q & 1 == 1 {
                        "Send data immediately"
                    } else {
                        "Store data in Tx buffer"
                    }
                )
            } else {
                format!("Command Qualifier: 0x{q:02x}")
            });
            let mut items = |items: &[stk_wallet::stk::Item]| {
                for i in items {
                    out.push(format!("Item Identifier: {}", i.id));
                    out.push(format!("Item String: {}", i.text));
                }
            };
            match &cmd.kind {
                Proactive::SetUpMenu {
                    title, items: it, ..
                } => {
                    items(it);
                    out.push(format!("Alpha Identifier String: {title}"));
                }
                Proactive::SelectItem {
                    title, items: it, ..
                } => {
                    items(it);
                    if let Some(t) = title {
                        out.push(format!("Alpha Identifier String: {t}"));
                    }
                }
                Proactive::GetInput {
                    prompt, min, max, ..
                } => {
                    out.push(format!("Text String: {prompt}"));
                    out.push(format!("Response length: {min:02x}{max:02x}"));
                }
                Proactive::DisplayText { text, .. } | Proactive::SetUpIdleModeText { text } => {
                    // tshark prints one line; compare the first line of a multi-line text.
                    out.push(format!(
                        "Text String: {}",
                        text.lines().next().unwrap_or("")
                    ));
                }
                Proactive::OpenChannel {
                    bearer,
                    buffer_size,
                    transport,
                    destination,
                } => {
                    out.push(format!("Bearer description: {}", hex::encode(bearer)));
                    out.push(format!("Buffer Size: {buffer_size}"));
                    if let Some((proto, port)) = transport {
                        assert_eq!(*proto, 0x02, "the wallet uses TCP client mode");
                        out.push(
                            "Transport protocol type: TCP, UICC in client mode, remote connection (0x02)"
                                .into(),
                        );
                        out.push(format!("Transport port: {port}"));
                    }
                    if let Some(d) = destination {
                        assert_eq!(d[0], 0x21, "an IPv4 address");
                        out.push(format!("IPv4 address: {}.{}.{}.{}", d[1], d[2], d[3], d[4]));
                    }
                }
                Proactive::SendData { channel, data, .. } => {
                    out.push(format!("Destination Device ID: Channel ID {channel}"));
                    out.push(format!("Channel data: {}", hex::encode(data)));
                }
                Proactive::ReceiveData { channel, length } => {
                    out.push(format!("Destination Device ID: Channel ID {channel}"));
                    out.push(format!("Channel data length: {length:02x}"));
                }
                Proactive::CloseChannel { channel } => {
                    out.push(format!("Destination Device ID: Channel ID {channel}"));
                }
                Proactive::ProvideLocalTime => {}
            }
        }
        Some(0x14) => {
            let tr = TerminalResponse::decode(&e.command[5..]).expect("our own response decodes");
            let [n, t, _] = tr.details;
            out.push(format!("Command Number: 0x{n:02x}"));
            out.push(format!("Command Type: {} (0x{t:02x})", type_name(t)));
            out.push(format!("RESULT (0x{:02x})", tr.result.to_byte()));
            if let Some(i) = tr.item {
                out.push(format!("Item identifier: {i:02x}"));
            }
            if let Some(st) = tr.channel_status {
                out.push(format!("Channel status: {}", hex::encode(st)));
            }
            if let Some(d) = &tr.channel_data {
                out.push(format!("Channel data: {}", hex::encode(d)));
            }
            if let Some(n) = tr.channel_data_length {
                out.push(format!("Channel data length: {n:02x}"));
            }
            if let Some(n) = tr.buffer_size {
                out.push(format!("Buffer Size: {n}"));
            }
            if let Some(t) = &tr.date_time {
                // etsi_cat un-swaps the nibbles itself and prints each field in decimal.
                let dec = |b: u8| (b >> 4) * 10 + (b & 0x0F);
                out.push(format!("Year: {}", dec(t.date[1])));
                out.push(format!("Month: {}", dec(t.date[2])));
                out.push(format!("Day: {}", dec(t.date[3])));
                out.push(format!("Hours: {}", dec(t.time[0])));
                out.push(format!("Minutes: {}", dec(t.time[1])));
                out.push(format!("Seconds: {}", dec(t.time[2])));
                out.push("Time Zone: GMT + 0 hr 0 min (0x00)".into());
            }
            if let Some(a) = tr.additional {
                out.push(format!(
                    "Additional information: {}",
                    additional_name(tr.result.to_byte(), a)
                ));
            }
        }
        Some(0x10) => out.push("Instruction: TERMINAL PROFILE (0x10)".into()),
        Some(0xC2) => out.push("Instruction: ENVELOPE (0xc2)".into()),
        _ => {}
    }
    let sw = &e.response[e.response.len() - 2..];
    out.push(format!("Status Word: {:02x}{:02x}", sw[0], sw[1]));
    out
}

/// How tshark names the additional information of the results the handset gives.
fn additional_name(result: u8, info: u8) -> String {
    let name = match (result, info) {
        (0x20, 0x04) => "No service",
        (0x3A, 0x01) => "No channel available",
        (0x3A, 0x03) => "Channel identifier not valid",
        (0x3A, 0x07) => "Remote device is not reachable",
        _ => "?",
    };
    format!("{name} (0x{info:02x})")
}

/// The handset's clock in the walks: 2026-11-30 22:05:09 (UTC, time zone 00).
const HANDSET_CLOCK: Clock = Clock::Fixed {
    date: [0x20, 0x26, 0x11, 0x30],
    time: [0x22, 0x05, 0x09],
};

fn walk(handset_profile: &[u8], script: &str) -> Vec<Exchange> {
    walk_with(handset_profile, script, |_| {})
}

/// A walk with the handset's network (the issuer of the default profile, a fixed clock),
/// set up by `setup` first.
fn walk_with(
    handset_profile: &[u8],
    script: &str,
    setup: impl FnOnce(&IssuerNetwork),
) -> Vec<Exchange> {
    let mut p = Profile::default_profile();
    p.passwords.operation_enabled = true;
    let net = IssuerNetwork::new(
        IssuerHost::from_profile(&p),
        Clock::Fixed {
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x12, 0x34, 0x56],
        },
    );
    setup(&net);
    let card = shared(Card::personalise(&p));
    let mut h = Handset::new(SimCard::contact(card))
        .with_profile(handset_profile)
        .with_network(std::rc::Rc::new(net))
        .with_clock(HANDSET_CLOCK);
    h.power_on().unwrap();
    for t in tokens(script) {
        h.press_token(&t).unwrap();
    }
    h.log
}

/// Checks every exchange of `log` against tshark's decoding; returns tshark's text of each
/// frame (empty when tshark is not installed).
fn check_with_tshark(log: &[Exchange]) -> Vec<String> {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: tshark is not installed (apt-get install tshark); the etsi_cat cross-check did not run"
        );
        return Vec::new();
    }
    let mut pcap = Pcap::new();
    for e in log {
        pcap.add_apdu(&e.command, &e.response);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("toolkit.pcap");
    pcap.write(&path).unwrap();
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(&path)
        .args(["-V", "-d", "udp.port==4729,gsmtap"])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.split("\nFrame ").collect();
    assert_eq!(frames.len(), log.len(), "one decoded frame per exchange");
    let mut checked = 0;
    for (i, (frame, e)) in frames.iter().zip(log).enumerate() {
        assert!(
            frame.contains("etsi_cat") || !matches!(e.command[1], 0x12 | 0x14),
            "frame {}: no etsi_cat",
            i + 1
        );
        for want in expected(e) {
            if let Some(code) = want.strip_prefix("RESULT ") {
                let hit = frame.lines().any(|l| {
                    let l = l.trim();
                    l.starts_with("Result: ") && l.ends_with(code)
                });
                assert!(hit, "frame {}: no `Result: ... {code}`:\n{frame}", i + 1);
                checked += 1;
                continue;
            }
            assert!(
                frame.contains(&want),
                "frame {}: tshark does not show `{want}`:\n{frame}",
                i + 1
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} facts checked");
    frames.iter().map(|f| f.to_string()).collect()
}

#[test]
fn tshark_decodes_the_chinese_menu_walk_like_we_do() {
    // Operation password (wrong, then right), My Wallet, Balance, Top Up amount, back,
    // time-out; Settings, Operation Password menu, back, end: results 00, 10, 11, 12.
    let log = walk(
        &stk_wallet::handset::PROFILE_UCS2,
        "1,0000,o,1234,2,o,1,5,b,t,4,1234,1,b,e",
    );
    // Balance asks the handset the time: PROVIDE LOCAL INFORMATION, answered with
    // Date-Time and Time zone A6 07 62 11 03 22 50 90 00 (2026-11-30 22:05:09, nibbles swapped).
    let pli: Vec<&Exchange> = log
        .iter()
        .filter(|e| e.command[1] == 0x14 && e.command[5..].starts_with(&[0x81, 0x03]))
        .filter(|e| e.command[8] == 0x26)
        .collect();
    assert_eq!(pli.len(), 1, "one PROVIDE LOCAL INFORMATION answered");
    assert!(
        pli[0]
            .command
            .windows(9)
            .any(|w| w == [0xA6, 0x07, 0x62, 0x11, 0x03, 0x22, 0x50, 0x90, 0x00]),
        "{:02X?}",
        pli[0].command
    );
    check_with_tshark(&log);
}

#[test]
fn tshark_decodes_the_english_fallback_walk_like_we_do() {
    let log = walk(&PROFILE_NO_UCS2, "2,1234,o,4,1234,2,b,b,1,1,e");
    check_with_tshark(&log);
}

/// Help: tshark's own reading of every SET UP MENU, SELECT ITEM and GET INPUT qualifier (and
/// of the TERMINAL RESPONSEs echoing them) has b8 set, "help information available"
/// (TS 102 223 §8.6); the two help requests answered with result 13 are named by tshark as
/// "Help information required by the user". Walk: help on SIM menu item 1, the operation
/// password (help on it), My Wallet, help on its item 2, Top Up's amount (help on it), end.
#[test]
fn tshark_sees_help_available_and_result_13() {
    let log = walk(
        &stk_wallet::handset::PROFILE_UCS2,
        "?1,o,1,?,o,1234,?2,o,1,?,o,e",
    );
    let frames = check_with_tshark(&log);
    if frames.is_empty() {
        return;
    }
    let mut with_help = 0;
    for (i, (frame, e)) in frames.iter().zip(&log).enumerate() {
        let Some(kind) = frame
            .lines()
            .find_map(|l| l.trim().strip_prefix("Command Type: "))
        else {
            continue;
        };
        if !["GET INPUT", "SELECT ITEM", "SET UP MENU"]
            .iter()
            .any(|k| kind.starts_with(k))
        {
            continue;
        }
        let q = frame
            .lines()
            .find_map(|l| l.trim().strip_prefix("Command Qualifier: 0x"))
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or_else(|| panic!("frame {}: no qualifier:\n{frame}", i + 1));
        assert_ne!(
            q & 0x80,
            0,
            "frame {}: help bit clear ({:02X?})",
            i + 1,
            e.command
        );
        with_help += 1;
    }
    // SET UP MENU, the gate (shown twice), My Wallet (twice), the amount (twice), each
    // fetched and answered.
    assert!(
        with_help >= 12,
        "only {with_help} commands with the help bit"
    );
    let help13 = frames
        .iter()
        .filter(|f| f.contains("Help information required by the user (0x13)"))
        .count();
    assert_eq!(help13, 3, "three TERMINAL RESPONSEs with result 13");
    // The ENVELOPE with the help request is a MENU SELECTION to tshark, and its bytes carry
    // the help request object 95 00 after the item.
    let env = log
        .iter()
        .position(|e| e.command[1] == 0xC2)
        .expect("an ENVELOPE");
    assert!(frames[env].contains("BER-TLV Tag: Menu selection (0xd3)"));
    assert!(log[env].command.ends_with(&[0x90, 0x01, 0x01, 0x95, 0x00]));
}

/// Pay Phone Bill with a number that is not China Mobile's (the refusal's DISPLAY TEXT, then
/// the number asked again), a bill paid, and History showing it as a bill, in Chinese (UCS2)
/// and in the English fallback (GSM 8-bit).
#[test]
fn tshark_decodes_the_bill_refusal_and_the_bill_in_history_like_we_do() {
    for tp in [&stk_wallet::handset::PROFILE_UCS2[..], &PROFILE_NO_UCS2[..]] {
        let log = walk(
            tp,
            "3,1234,13000000000,o,13800138000,10,123456,o,2,1234,1,o,e",
        );
        let texts: Vec<String> = log
            .iter()
            .filter(|e| e.command[1] == 0x12)
            .filter_map(|e| ProactiveCommand::decode(&e.response[..e.response.len() - 2]).ok())
            .filter_map(|c| match c.kind {
                Proactive::DisplayText { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("不是中国移动号码") || t.contains("Not a China Mobile number")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("缴费 -10.00元") || t.contains("Bill -10.00 yuan")),
            "{texts:?}"
        );
        check_with_tshark(&log);
    }
}

/// Every BIP command type and answer the wallet uses, in one capture: a top-up and a bill
/// payment that succeed, a top-up refused for a corrupted MAC2, one whose issuer never answers
/// (`3A 07`), and one out of coverage (`20 04`).
#[test]
fn tshark_decodes_the_over_the_air_exchange_like_we_do() {
    let mut log = walk_with(
        &stk_wallet::handset::PROFILE_UCS2,
        "1,1234,1,50,123456,o,e,3,1234,13800138000,10,123456,o",
        |_| {},
    );
    let types: std::collections::BTreeSet<u8> = log
        .iter()
        .filter(|e| e.command[1] == 0x12)
        .map(|e| e.response[5])
        .collect();
    for t in [0x40, 0x41, 0x42, 0x43] {
        assert!(types.contains(&t), "no command of type {t:02X} in the walk");
    }
    for fault in [
        Some(OtaFault::CorruptMac2),
        Some(OtaFault::IssuerSilent),
        None,
    ] {
        log.extend(walk_with(
            &stk_wallet::handset::PROFILE_UCS2,
            "1,1234,1,50,123456,o",
            |n| match fault {
                Some(f) => n.fault.set(Some(f)),
                None => n.reachable.set(false),
            },
        ));
    }
    let failures: Vec<&Exchange> = log
        .iter()
        .filter(|e| {
            e.command[1] == 0x14
                && e.command
                    .windows(3)
                    .any(|w| w == [0x83, 0x02, 0x20] || w == [0x83, 0x02, 0x3A])
        })
        .collect();
    assert_eq!(failures.len(), 2, "one 20 04 and one 3A 07");
    check_with_tshark(&log);
}

/// Digits stored two per byte, low nibble first (TS 102 221 §13.2), written here from the spec
/// for the test; `F` ends them.
fn iccid_from(payload_hex: &str) -> String {
    let bytes = stk_wallet::hexser::decode(payload_hex).unwrap();
    let mut s = String::new();
    for b in bytes {
        for d in [b & 0x0F, b >> 4] {
            if d <= 9 {
                s.push(char::from(b'0' + d));
            }
        }
    }
    s
}

/// What tshark's `gsm_sim` dissector must print for each start-up exchange, from our own
/// parse of it: the file id of every SELECT (with the well-known names), the AID of a SELECT by
/// DF name, the record number of READ RECORD, the data of READ BINARY, the status word. The
/// READ BINARY that follows SELECT EF_ICCID must show the bytes whose swapped digits are the
/// profile's ICCID. Returns how many facts were checked.
fn check_startup_with_tshark(log: &[Exchange], iccid: &str) -> usize {
    use stk_wallet::apdu::CommandApdu;
    use stk_wallet::card::command::Command as Cmd;
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: tshark is not installed (apt-get install tshark); the gsm_sim start-up cross-check did not run"
        );
        return 0;
    }
    let mut pcap = Pcap::new();
    for e in log {
        pcap.add_apdu(&e.command, &e.response);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("startup.pcap");
    pcap.write(&path).unwrap();
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(&path)
        .args(["-V", "-d", "udp.port==4729,gsmtap"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.split("\nFrame ").collect();
    assert_eq!(frames.len(), log.len(), "one decoded frame per exchange");
    let mut checked = 0;
    let mut last_fid = None;
    let mut iccid_seen = false;
    for (i, (frame, e)) in frames.iter().zip(log).enumerate() {
        let a = CommandApdu::parse(&e.command).unwrap();
        let cmd = Cmd::try_from(&a).unwrap();
        let (data, sw) = e.response.split_at(e.response.len() - 2);
        let mut want = vec![format!("Status Word: {}", hex::encode(sw))];
        match &cmd {
            Cmd::SelectFile { fid, .. } | Cmd::GsmSelect { fid } => {
                let name = match fid {
                    0x3F00 => "MF ",
                    0x2FE2 => "EF.ICCID ",
                    0x2F00 => "EF.DIR ",
                    0x6F07 => "EF.IMSI ",
                    0x6FAD => "EF.AD ",
                    _ => "",
                };
                want.push(format!("File ID: {name}"));
                want.push(format!("(0x{fid:04x})"));
                last_fid = Some(*fid);
            }
            Cmd::Select { name, .. } => {
                want.push(format!("Application ID: {}", hex::encode(name)));
            }
            Cmd::ReadCurrentRecord { record, .. } => {
                want.push(format!("Record number: {record}"));
                want.push(format!("APDU Payload: {}", hex::encode(data)));
            }
            Cmd::ReadCurrentBinary { .. } => {
                let payload = format!("APDU Payload: {}", hex::encode(data));
                if last_fid == Some(0x2FE2) {
                    let shown = frame
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("APDU Payload: "))
                        .expect("tshark shows the ICCID bytes");
                    assert_eq!(iccid_from(shown), iccid, "frame {}", i + 1);
                    iccid_seen = true;
                }
                want.push("Instruction: READ BINARY (0xb0)".into());
                want.push(payload);
            }
            Cmd::Status { .. } => want.push("Instruction: STATUS (0xf2)".into()),
            Cmd::GetResponse { .. } => want.push("Instruction: GET RESPONSE (0xc0)".into()),
            other => panic!("not a start-up command: {other:?}"),
        }
        for w in want {
            assert!(
                frame.contains(&w),
                "frame {}: tshark does not show `{w}`:\n{frame}",
                i + 1
            );
            checked += 1;
        }
    }
    assert!(iccid_seen, "no READ BINARY of EF_ICCID in the start-up");
    checked
}

fn start_up_log(cla: u8) -> (Vec<Exchange>, String) {
    let p = Profile::default_profile();
    let card = shared(Card::personalise(&p));
    let mut h = Handset::new(SimCard::contact(card)).with_profile(&PROFILE_NO_UCS2);
    h.cla = cla;
    h.power_on().unwrap();
    let files = h.sim.clone().expect("the start-up ran");
    // Our own decoding agrees with the profile.
    assert_eq!(files.iccid, p.sim.iccid);
    assert_eq!(files.imsi, p.sim.imsi);
    (h.log[..h.startup_exchanges].to_vec(), p.sim.iccid)
}

#[test]
fn tshark_decodes_the_uicc_start_up_like_we_do() {
    let (log, iccid) = start_up_log(0x80);
    let n = check_startup_with_tshark(&log, &iccid);
    assert!(n == 0 || n > 30, "only {n} facts checked");
}

#[test]
fn tshark_decodes_the_gsm_start_up_like_we_do() {
    let (log, iccid) = start_up_log(0xA0);
    assert!(log.iter().any(|e| e.command[..2] == [0xA0, 0xC0]));
    let n = check_startup_with_tshark(&log, &iccid);
    assert!(n == 0 || n > 30, "only {n} facts checked");
}
