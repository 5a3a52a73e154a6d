//! Top Up and Pay Phone Bill over the air: the card hands its request to the handset in
//! Bearer Independent Protocol commands (OPEN CHANNEL, SEND DATA, RECEIVE DATA, CLOSE
//! CHANNEL) and the handset carries it to the issuer. Successes, every failure the network can
//! produce, the holder leaving mid-exchange, a handset without BIP and power loss.

use std::rc::Rc;
use stk_wallet::card::{Card, Interface};
use stk_wallet::handset::{Exchange, Handset, Key, PROFILE_NO_BIP, PROFILE_UCS2};
use stk_wallet::host::IssuerHost;
use stk_wallet::network::{IssuerNetwork, OtaFault};
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::{Language, Profile};
use stk_wallet::psam::Psam;
use stk_wallet::stk::{Proactive, ProactiveCommand, ResultCode, TerminalResponse};
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam, shared};

const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x22];
const TIME: [u8; 3] = [0x12, 0x34, 0x56];
const PIN: &str = "123456";

struct Bed {
    profile: Profile,
    card: SharedCard,
    phone: Handset<SimCard>,
    net: Rc<IssuerNetwork>,
}

fn bed_with(handset_profile: &[u8]) -> Bed {
    let mut p = Profile::default_profile();
    p.menu.language = Language::En;
    let card = shared(Card::personalise(&p));
    let net = Rc::new(IssuerNetwork::new(
        IssuerHost::from_profile(&p),
        Clock::Fixed {
            date: DATE,
            time: TIME,
        },
    ));
    let mut phone = Handset::new(SimCard::contact(card.clone()))
        .with_profile(handset_profile)
        .with_network(net.clone());
    phone.power_on().expect("TERMINAL PROFILE");
    Bed {
        profile: p,
        card,
        phone,
        net,
    }
}

fn bed() -> Bed {
    bed_with(&PROFILE_UCS2)
}

impl Bed {
    fn keys(&mut self, script: &str) {
        for t in script.split(',') {
            self.phone
                .press_token(t)
                .unwrap_or_else(|e| panic!("key `{t}`: {e}"));
        }
    }
    fn screen(&self) -> String {
        self.phone.render()
    }
    fn state(&self) -> stk_wallet::card::state::CardState {
        self.card.borrow().state().clone()
    }
    /// The proactive commands fetched since log entry `from`, decoded.
    fn fetched(&self, from: usize) -> Vec<ProactiveCommand> {
        self.phone.log[from..]
            .iter()
            .filter(|e| e.command[1] == 0x12)
            .map(|e| ProactiveCommand::decode(&e.response[..e.response.len() - 2]).unwrap())
            .collect()
    }
    /// The TERMINAL RESPONSEs sent since log entry `from`, decoded.
    fn responses(&self, from: usize) -> Vec<TerminalResponse> {
        self.phone.log[from..]
            .iter()
            .filter(|e| e.command[1] == 0x14)
            .map(|e| TerminalResponse::decode(&e.command[5..]).unwrap())
            .collect()
    }
    fn air_open(&self) -> bool {
        self.card.borrow().toolkit().air_open()
    }
}

/// The BIP command types among `cmds`, in order.
fn bip_types(cmds: &[ProactiveCommand]) -> Vec<u8> {
    cmds.iter()
        .filter(|c| c.kind.is_bip())
        .map(|c| c.kind.type_code())
        .collect()
}

fn fetch_bytes(e: &Exchange) -> &[u8] {
    &e.response[..e.response.len() - 2]
}

#[test]
fn top_up_travels_over_bip_and_loads() {
    let mut b = bed();
    b.keys("1,1,50");
    let from = b.phone.log.len();
    b.keys(PIN);
    assert!(
        b.screen()
            .contains("Topped up 50.00 yuan, Balance 150.00 yuan"),
        "{}",
        b.screen()
    );
    let cmds = b.fetched(from);
    assert_eq!(bip_types(&cmds), [0x40, 0x43, 0x42, 0x41]);
    // OPEN CHANNEL, byte for byte from TS 102 223 §6.6.27: command details (number, 40,
    // qualifier 01 immediate link), devices UICC -> terminal, bearer description B5 01 03
    // (default bearer), buffer size B9 02 01 00 (256), transport level BC 03 02 1F 90 (TCP
    // client, remote, port 8080), destination BE 05 21 0A 00 00 01 (IPv4 10.0.0.1).
    let open = b.phone.log[from..]
        .iter()
        .find(|e| e.command[1] == 0x12 && e.response[5] == 0x40)
        .unwrap();
    let n = fetch_bytes(open)[4];
    let mut want = vec![
        0xD0, 0x1C, 0x81, 0x03, n, 0x40, 0x01, 0x82, 0x02, 0x81, 0x82,
    ];
    want.extend([0xB5, 0x01, 0x03, 0xB9, 0x02, 0x01, 0x00]);
    want.extend([
        0xBC, 0x03, 0x02, 0x1F, 0x90, 0xBE, 0x05, 0x21, 0x0A, 0x00, 0x00, 0x01,
    ]);
    assert_eq!(fetch_bytes(open), &want[..]);
    // SEND DATA carries the load request: type 01, serial, key index, balance 10000, online
    // counter 0, random, MAC1, amount 5000, the operator's termID.
    let Proactive::SendData {
        channel,
        data,
        immediate,
    } = &cmds
        .iter()
        .find(|c| c.kind.type_code() == 0x43)
        .unwrap()
        .kind
    else {
        unreachable!()
    };
    assert_eq!((*channel, *immediate, data.len()), (1, true, 36));
    assert_eq!(data[0], 0x01);
    assert_eq!(&data[1..11], &b.profile.issuer.serial);
    assert_eq!(data[11], b.profile.keys.load[0].index);
    assert_eq!(&data[12..18], &[0x00, 0x00, 0x27, 0x10, 0x00, 0x00]);
    assert_eq!(&data[18..22], &b.profile.card_random[0]);
    assert_eq!(&data[26..30], &[0x00, 0x00, 0x13, 0x88]);
    assert_eq!(&data[30..36], &b.profile.menu.operator_term_id);
    // RECEIVE DATA asks for the 13-byte answer; the handset hands over the issuer's answer:
    // 81 (load answer) 00 (approved), the network's date and time, MAC2.
    assert!(cmds.iter().any(|c| c.kind
        == Proactive::ReceiveData {
            channel: 1,
            length: 13
        }));
    let trs = b.responses(from);
    let opened = trs.iter().find(|t| t.details[1] == 0x40).unwrap();
    assert_eq!(opened.channel_status, Some([0x81, 0x00]));
    let got = trs
        .iter()
        .find(|t| t.details[1] == 0x42)
        .and_then(|t| t.channel_data.clone())
        .unwrap();
    assert_eq!(
        &got[..9],
        &[0x81, 0x00, 0x20, 0x26, 0x11, 0x22, 0x12, 0x34, 0x56]
    );
    assert!(
        cmds.iter()
            .any(|c| c.kind == Proactive::CloseChannel { channel: 1 })
    );
    assert!(!b.phone.channel_open() && !b.air_open());
    // Balance, counter, history, and a TAC the issuer accepts at the issuer's date and time.
    let st = b.state();
    assert_eq!((st.purse.balance, st.purse.online_counter), (15000, 1));
    assert_eq!(st.log.count, 1);
    let rec = st.log.record(1).unwrap();
    assert_eq!(rec[9], 0x02);
    assert_eq!(&rec[16..23], &[0x20, 0x26, 0x11, 0x22, 0x12, 0x34, 0x56]);
    let proof = st.proof.unwrap();
    assert!(b.net.host.load_tac_ok(
        &b.profile.issuer.serial,
        15000,
        0,
        5000,
        &b.profile.menu.operator_term_id,
        &DATE,
        &TIME,
        proof.tac
    ));
}

#[test]
fn bill_payment_travels_over_bip_and_debits() {
    let mut b = bed();
    b.keys("3,13800138000,12*50");
    let from = b.phone.log.len();
    b.keys(PIN);
    assert!(
        b.screen()
            .contains("Paid the bill of 13800138000 12.50 yuan, Balance 87.50 yuan"),
        "{}",
        b.screen()
    );
    let cmds = b.fetched(from);
    assert_eq!(bip_types(&cmds), [0x40, 0x43, 0x42, 0x41]);
    let data = cmds
        .iter()
        .find_map(|c| match &c.kind {
            Proactive::SendData { data, .. } => Some(data.clone()),
            _ => None,
        })
        .unwrap();
    // Type 02, serial, offline counter 0, amount 1250 (04E2), termID, 13800138000 in BCD.
    assert_eq!(data.len(), 29);
    assert_eq!(data[0], 0x02);
    assert_eq!(&data[11..17], &[0x00, 0x00, 0x00, 0x00, 0x04, 0xE2]);
    assert_eq!(&data[23..29], &[0x13, 0x80, 0x01, 0x38, 0x00, 0x0F]);
    let st = b.state();
    assert_eq!((st.purse.balance, st.purse.offline_counter), (8750, 1));
    let rec = st.log.record(1).unwrap();
    assert_eq!(rec[9], 0x06);
    assert_eq!(&rec[10..16], &b.profile.menu.operator_term_id);
    assert_eq!(&rec[16..23], &[0x20, 0x26, 0x11, 0x22, 0x12, 0x34, 0x56]);
    assert!(b.net.host.purchase_tac_ok(
        &b.profile.issuer.serial,
        1250,
        &b.profile.menu.operator_term_id,
        0,
        &DATE,
        &TIME,
        st.proof.unwrap().tac
    ));
}

#[test]
fn network_down_fails_at_open_channel_with_nothing_done() {
    for (script, what) in [("1,1,50", "top-up"), ("3,13800138000,10", "bill")] {
        let mut b = bed();
        b.net.reachable.set(false);
        let before = b.state();
        b.keys(script);
        let from = b.phone.log.len();
        b.keys(PIN);
        assert!(
            b.screen()
                .contains("Network error, nothing done (H-UNREACHABLE"),
            "{what}: {}",
            b.screen()
        );
        // Only OPEN CHANNEL went out, answered 20 04 (terminal unable: no service).
        assert_eq!(bip_types(&b.fetched(from)), [0x40], "{what}");
        let trs = b.responses(from);
        let tr = trs.iter().find(|t| t.details[1] == 0x40).unwrap();
        assert_eq!(
            (tr.result, tr.additional),
            (ResultCode::TerminalUnable, Some(0x04))
        );
        assert!(!b.air_open());
        let after = b.state();
        assert_eq!(after.purse, before.purse, "{what}");
        assert_eq!(after.log, before.log, "{what}");
    }
}

#[test]
fn handset_without_any_network_is_network_down() {
    let mut p = Profile::default_profile();
    p.menu.language = Language::En;
    let card = shared(Card::personalise(&p));
    let mut phone = Handset::new(SimCard::contact(card.clone()));
    phone.power_on().unwrap();
    for t in ["1", "1", "50", PIN] {
        phone.press_token(t).unwrap();
    }
    assert!(
        phone.render().contains("(H-UNREACHABLE"),
        "{}",
        phone.render()
    );
    assert_eq!(card.borrow().state().purse.balance, 10000);
}

#[test]
fn issuer_silent_after_the_channel_opened_loads_nothing_and_closes_it() {
    let mut b = bed();
    b.net.fault.set(Some(OtaFault::IssuerSilent));
    b.keys("1,1,50");
    let from = b.phone.log.len();
    b.keys(PIN);
    assert!(
        b.screen()
            .contains("Network error, nothing done (H-UNREACHABLE"),
        "{}",
        b.screen()
    );
    assert_eq!(bip_types(&b.fetched(from)), [0x40, 0x43, 0x42, 0x41]);
    let recv = b
        .responses(from)
        .into_iter()
        .find(|t| t.details[1] == 0x42)
        .unwrap();
    assert_eq!(
        (recv.result, recv.additional),
        (ResultCode::Other(0x3A), Some(0x07))
    );
    assert!(!b.phone.channel_open() && !b.air_open());
    let st = b.state();
    assert_eq!(
        (st.purse.balance, st.purse.online_counter, st.log.count),
        (10000, 0, 0)
    );
    // Back to My Wallet after the message; a retry with the issuer back works.
    b.net.fault.set(None);
    b.keys("o,1,50,123456");
    assert!(
        b.screen().contains("Topped up 50.00 yuan"),
        "{}",
        b.screen()
    );
}

#[test]
fn corrupted_mac2_is_refused_with_nothing_loaded() {
    let mut b = bed();
    b.net.fault.set(Some(OtaFault::CorruptMac2));
    b.keys("1,1,50");
    let from = b.phone.log.len();
    b.keys(PIN);
    assert!(b.screen().contains("Refused (9302)"), "{}", b.screen());
    // The channel is still closed properly.
    assert_eq!(bip_types(&b.fetched(from)), [0x40, 0x43, 0x42, 0x41]);
    assert!(!b.phone.channel_open() && !b.air_open());
    let st = b.state();
    assert_eq!(
        (st.purse.balance, st.purse.online_counter, st.log.count),
        (10000, 0, 0)
    );
    assert!(st.proof.is_none());
}

#[test]
fn time_out_or_end_mid_exchange_loads_nothing() {
    // Held at OPEN CHANNEL, SEND DATA or RECEIVE DATA, then time-out (12) or end (10).
    for (held, key) in [
        (0x40, Key::Timeout),
        (0x43, Key::Timeout),
        (0x42, Key::Timeout),
        (0x42, Key::End),
        (0x40, Key::End),
    ] {
        let mut b = bed();
        b.phone.hold_bip = Some(held);
        b.keys("1,1,50,123456");
        let shown = b.phone.current.clone().expect("the held command");
        assert_eq!(shown.kind.type_code(), held);
        assert!(b.screen().contains("(data channel:"), "{}", b.screen());
        assert!(b.air_open(), "the load is open while the exchange runs");
        let from = b.phone.log.len();
        b.phone.press(key.clone()).unwrap();
        // A channel that was open is closed; the session ends; nothing loaded.
        let closed = bip_types(&b.fetched(from));
        assert_eq!(
            closed,
            if held == 0x40 { vec![] } else { vec![0x41] },
            "{held:02X}"
        );
        assert!(
            b.phone.current.is_none(),
            "{held:02X} {key:?}: {}",
            b.screen()
        );
        assert!(!b.phone.channel_open() && !b.air_open());
        assert!(!b.card.borrow().toolkit().busy());
        let st = b.state();
        assert_eq!(
            (st.purse.balance, st.purse.online_counter, st.log.count),
            (10000, 0, 0)
        );
    }
}

#[test]
fn back_mid_exchange_returns_to_the_amount_with_nothing_loaded() {
    for held in [0x40, 0x43, 0x42] {
        let mut b = bed();
        b.phone.hold_bip = Some(held);
        b.keys("1,1,50,123456");
        b.phone.press(Key::Back).unwrap();
        assert!(
            b.screen().contains("Top-up amount"),
            "{held:02X}: {}",
            b.screen()
        );
        assert!(!b.phone.channel_open() && !b.air_open());
        assert_eq!(b.state().purse.balance, 10000);
        // The holder goes on: a new amount, the password, and this time the exchange runs.
        b.phone.hold_bip = None;
        b.keys("20,123456");
        assert!(
            b.screen().contains("Topped up 20.00 yuan"),
            "{}",
            b.screen()
        );
        assert_eq!(b.state().purse.balance, 12000);
    }
}

#[test]
fn held_command_carried_out_by_the_user_completes() {
    let mut b = bed();
    b.phone.hold_bip = Some(0x42);
    b.keys("1,1,50,123456,o");
    assert!(
        b.screen().contains("Topped up 50.00 yuan"),
        "{}",
        b.screen()
    );
    assert_eq!(b.state().purse.balance, 15000);
}

#[test]
fn handset_without_bip_is_told_so_and_nothing_changes() {
    let mut b = bed_with(&PROFILE_NO_BIP);
    let before = b.state();
    b.keys("1,1");
    assert!(
        b.screen().contains("no data channel (BIP)"),
        "{}",
        b.screen()
    );
    // Back to My Wallet after OK; the Pay Phone Bill entry says the same.
    b.keys("o");
    assert!(b.screen().contains("1. Top Up"), "{}", b.screen());
    b.keys("e,3");
    assert!(
        b.screen().contains("no data channel (BIP)"),
        "{}",
        b.screen()
    );
    b.keys("o");
    assert!(b.phone.current.is_none());
    // No channel command ever went out, no password try was spent, nothing changed.
    assert!(bip_types(&b.fetched(0)).is_empty());
    assert_eq!(b.state(), before);
    // Balance still works on that handset.
    b.keys("1,2");
    assert!(b.screen().contains("Balance 100.00 yuan"), "{}", b.screen());
}

#[test]
fn power_loss_mid_exchange_drops_the_load() {
    for held in [0x43, 0x42, 0x41] {
        let mut b = bed();
        b.phone.hold_bip = Some(held);
        b.keys("1,1,50,123456");
        assert!(b.air_open() || held == 0x41);
        let before = b.state();
        // The phone's battery goes: the card powers up again with nothing open.
        b.card.borrow_mut().power_cycle();
        assert!(!b.air_open() && !b.card.borrow().toolkit().busy());
        let st = b.state();
        assert_eq!(st.purse, before.purse, "{held:02X}");
        if held == 0x41 {
            // Held at CLOSE CHANNEL: the load had already been committed.
            assert_eq!(st.purse.balance, 15000);
        } else {
            assert_eq!((st.purse.balance, st.log.count), (10000, 0), "{held:02X}");
        }
        // The phone starts again; a fresh top-up goes through.
        b.phone.hold_bip = None;
        b.phone.power_on().unwrap();
        b.keys("1,1,10,123456");
        assert!(
            b.screen().contains("Topped up 10.00 yuan"),
            "{}",
            b.screen()
        );
    }
}

#[test]
fn purse_changed_by_a_pos_during_the_exchange_is_not_overwritten() {
    let mut b = bed();
    b.phone.hold_bip = Some(0x42);
    b.keys("1,1,50,123456");
    // While the card waits for the issuer, a POS takes 10.00 on the contactless side.
    let mut pos = Pos::new(
        SimCard::contactless(b.card.clone()),
        SimPsam::new(Psam::from_profile(&b.profile)),
        Clock::Fixed {
            date: DATE,
            time: TIME,
        },
        b.profile.wallet_aid.clone(),
    );
    pos.purchase(1000).expect("purchase");
    b.phone.press(Key::Ok).unwrap();
    assert!(b.screen().contains("(6985)"), "{}", b.screen());
    let st = b.state();
    // The purchase stands; the load did not commit from the stale balance.
    assert_eq!((st.purse.balance, st.purse.online_counter), (9000, 0));
    assert_eq!(st.log.count, 1);
    assert!(!b.air_open() && !b.phone.channel_open());
}

#[test]
fn a_channel_answer_without_a_channel_is_network_down() {
    // A handset that says OPEN CHANNEL succeeded but names no established channel.
    let mut b = bed();
    b.phone.hold_bip = Some(0x40);
    b.keys("1,1,50,123456");
    let cmd = b.phone.current.clone().unwrap();
    let tr = TerminalResponse::to(&cmd, ResultCode::Ok).encode(true);
    let mut apdu = vec![0x80, 0x14, 0x00, 0x00, tr.len() as u8];
    apdu.extend(tr);
    let r = b
        .card
        .borrow_mut()
        .process(Interface::Contact, &apdu)
        .unwrap();
    // The card moves on to its message (DISPLAY TEXT), not to SEND DATA.
    assert_eq!(r[0], 0x91);
    let fetch = [0x80, 0x12, 0x00, 0x00, r[1]];
    let f = b
        .card
        .borrow_mut()
        .process(Interface::Contact, &fetch)
        .unwrap();
    let shown = ProactiveCommand::decode(&f[..f.len() - 2]).unwrap();
    match shown.kind {
        Proactive::DisplayText { text, .. } => assert!(text.contains("H-UNREACHABLE"), "{text}"),
        other => panic!("{other:?}"),
    }
    assert!(!b.air_open());
    assert_eq!(b.state().purse.balance, 10000);
}

/// The issuer's gateway reads the same China Mobile table as the card's menu: a bill request
/// for another operator's number (one the menu would have refused) is declined with nothing
/// booked at the clearing host; a China Mobile number's is approved and booked, whatever the
/// single-payment limit (the request carries none).
#[test]
fn the_gateway_declines_a_bill_for_a_number_that_is_not_china_mobile() {
    use stk_wallet::issuer::{OTA_BILL, OtaAnswer, OtaBill, OtaRequest, OtaStatus};
    use stk_wallet::settle::SqliteLedger;
    let p = Profile::default_profile();
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("clearing.db")).unwrap();
    let net = IssuerNetwork::new(
        IssuerHost::from_profile(&p),
        Clock::Fixed {
            date: DATE,
            time: TIME,
        },
    )
    .with_ledger(Box::new(ledger));
    let serial = p.issuer.serial;
    let bill = |phone: &str, counter: u16| {
        OtaRequest::Bill(OtaBill {
            serial,
            offline_counter: counter,
            amount: 50_000,
            term_id: p.menu.operator_term_id,
            phone: phone.into(),
        })
        .encode()
        .unwrap()
    };
    let answer = |req: &[u8]| OtaAnswer::decode(&net.exchange(req).expect("an answer")).unwrap();
    let moves = || {
        net.ledger
            .as_ref()
            .unwrap()
            .borrow_mut()
            .moves(&serial)
            .unwrap()
            .len()
    };
    for other in ["13000000000", "13490000000", "17050000000", "18900000000"] {
        let a = answer(&bill(other, 0));
        assert_eq!(
            (a.request, a.status),
            (OTA_BILL, OtaStatus::Declined),
            "{other}"
        );
        assert_eq!(moves(), 0, "{other}: nothing booked");
    }
    let a = answer(&bill("13800138000", 0));
    assert_eq!(
        (a.status, a.date, a.time),
        (OtaStatus::Approved, DATE, TIME)
    );
    assert_eq!(moves(), 1);
}
