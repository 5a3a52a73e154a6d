//! The SIM Toolkit menus (docs/spec.md §1) walked through the simulated handset, against the same
//! card the POS sees.

mod common;

use common::{new_card, pos_with};
use std::rc::Rc;
use stk_wallet::card::{Interface, image};
use stk_wallet::handset::{Handset, HandsetError, Key, PROFILE_NO_UCS2, tokens};
use stk_wallet::pos::{Clock, Pos, PosError};
use stk_wallet::profile::{Language, Profile};
use stk_wallet::sw::Sw;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam};
use stk_wallet::{host::IssuerHost, network::IssuerNetwork};

const CLOCK: Clock = Clock::Fixed {
    date: [0x20, 0x26, 0x11, 0x22],
    time: [0x12, 0x34, 0x56],
};

struct Bed {
    card: SharedCard,
    phone: Handset<SimCard>,
    pos: Pos<SimCard, SimPsam>,
    net: Rc<IssuerNetwork>,
}

fn bed_with(p: Profile, handset_profile: Option<&[u8]>) -> Bed {
    let card = new_card(&p);
    let net = Rc::new(IssuerNetwork::new(IssuerHost::from_profile(&p), CLOCK));
    let mut phone = Handset::new(SimCard::contact(card.clone())).with_network(net.clone());
    if let Some(tp) = handset_profile {
        phone = phone.with_profile(tp);
    }
    phone.power_on().expect("TERMINAL PROFILE");
    let mut pos = pos_with(SimCard::contactless(card.clone()), &p);
    pos.clock = CLOCK;
    Bed {
        card,
        phone,
        pos,
        net,
    }
}

fn bed() -> Bed {
    bed_with(Profile::default_profile(), None)
}

fn english() -> Bed {
    let mut p = Profile::default_profile();
    p.menu.language = Language::En;
    bed_with(p, None)
}

impl Bed {
    /// Presses every key of `script`; returns every screen shown, the first one included.
    fn keys(&mut self, script: &str) -> Vec<String> {
        let mut screens = vec![self.phone.render()];
        for t in tokens(script) {
            self.phone
                .press_token(&t)
                .unwrap_or_else(|e| panic!("key `{t}`: {e}"));
            screens.push(self.phone.render());
        }
        screens
    }
    fn screen(&self) -> String {
        self.phone.render()
    }
    fn balance(&self) -> u32 {
        self.card.borrow().state().purse.balance
    }
    /// Persistent state, to check that nothing changed.
    fn state(&self) -> stk_wallet::card::state::CardState {
        self.card.borrow().state().clone()
    }
    /// A raw APDU on an interface.
    fn raw(&self, iface: Interface, hex_apdu: &str) -> Vec<u8> {
        let a = hex::decode(hex_apdu.replace(' ', "")).unwrap();
        self.card
            .borrow_mut()
            .process(iface, &a)
            .expect("an answer")
    }
    fn idle(&self) -> bool {
        self.phone.current.is_none()
    }
}

fn sw(resp: &[u8]) -> Sw {
    Sw(u16::from_be_bytes([
        resp[resp.len() - 2],
        resp[resp.len() - 1],
    ]))
}

fn pos_sw(r: Result<impl std::fmt::Debug, PosError>) -> Sw {
    match r {
        Err(PosError::Card { sw, .. }) => sw,
        other => panic!("expected a card refusal, got {other:?}"),
    }
}

#[test]
fn chinese_menu_and_balance() {
    let mut b = bed();
    let s = b.keys("1,2");
    assert!(
        s[0].contains("== 手机钱包 ==") && s[0].contains("4. 业务管理"),
        "{}",
        s[0]
    );
    assert!(s[1].contains("1. 钱包充值") && s[1].contains("2. 钱包余额查询"));
    assert!(s[2].contains("余额 100.00元"), "{}", s[2]);
    // OK returns to My Wallet; back from there ends the session (the SIM menu again).
    b.keys("o,b");
    assert!(b.idle());
    assert!(!b.card.borrow().toolkit().busy());
}

#[test]
fn non_ucs2_handset_gets_english_labels() {
    let b = bed_with(Profile::default_profile(), Some(&PROFILE_NO_UCS2));
    assert!(b.screen().contains("== Phone Wallet =="), "{}", b.screen());
    // No UCS2 alpha identifier went over the wire.
    let fetched = &b.phone.log[b.phone.startup_exchanges + 1].response;
    assert!(
        !fetched.windows(2).any(|w| w == [0x85, 0x09]),
        "{fetched:02X?}"
    );
    assert!(fetched.windows(14).any(|w| w == b"\x85\x0CPhone Wallet"));
}

#[test]
fn top_up_over_the_air_then_history_and_pos_history() {
    let mut b = english();
    let host = IssuerHost::from_profile(&Profile::default_profile());
    b.keys("1,1,50,123456");
    assert!(
        b.screen()
            .contains("Topped up 50.00 yuan, Balance 150.00 yuan"),
        "{}",
        b.screen()
    );
    assert_eq!(b.balance(), 15000);
    let st = b.state();
    assert_eq!(st.purse.online_counter, 1);
    let proof = st.proof.expect("a load proof");
    assert_eq!((proof.tx_type, proof.counter_after), (0x02, 1));
    let serial: [u8; 10] = st.perso.ef0015[10..20].try_into().unwrap();
    let op = st.perso.operator_term_id;
    assert!(host.load_tac_ok(
        &serial,
        15000,
        0,
        5000,
        &op,
        &[0x20, 0x26, 0x11, 0x22],
        &[0x12, 0x34, 0x56],
        proof.tac
    ));
    // OK: back to My Wallet; end; then History.
    b.keys("o,e,2");
    assert!(b.screen().contains("1. 11-22 +50.00"), "{}", b.screen());
    b.keys("1");
    let s = b.screen();
    assert!(
        s.contains("2026-11-22 12:34:56")
            && s.contains("Top-up +50.00 yuan")
            && s.contains("Terminal 000000100860"),
        "{s}"
    );
    // The POS sees the same record.
    let h = b.pos.history().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].tx_type, h[0].amount, h[0].term_id), (0x02, 5000, op));
    // And the purse proof answers GET TRANSACTION PROOF like a POS load's.
    b.raw(
        Interface::Contactless,
        "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01",
    );
    let r = b.raw(Interface::Contactless, "80 5A 00 02 02 00 01 08");
    assert_eq!(sw(&r), Sw::OK);
    assert_eq!(&r[4..8], &proof.tac);
}

#[test]
fn history_lists_the_last_ten_newest_first() {
    let mut b = bed();
    for i in 1..=12u32 {
        b.pos.purchase(i * 10).unwrap();
    }
    b.keys("2");
    let s = b.screen();
    assert!(s.contains("== 钱包明细查询 =="), "{s}");
    assert!(
        s.contains("1. 11-22 -1.20") && s.contains("10. 11-22 -0.30"),
        "{s}"
    );
    assert!(!s.contains("11."), "{s}");
    b.keys("10");
    assert!(b.screen().contains("消费 -0.30元"), "{}", b.screen());
    assert!(b.screen().contains("终端 001122334455"), "{}", b.screen());
    // OK returns to the list, back ends.
    b.keys("o");
    assert!(b.screen().contains("== 钱包明细查询 =="));
    b.keys("b");
    assert!(b.idle());
}

#[test]
fn empty_history_says_so() {
    let mut b = english();
    b.keys("2");
    assert!(b.screen().contains("No transactions"), "{}", b.screen());
    b.keys("o");
    assert!(b.idle());
}

#[test]
fn limit_set_in_the_menu_binds_the_pos_and_survives_the_image() {
    let mut b = english();
    b.keys("4,2");
    assert!(
        b.screen().contains("Single-Payment Limit 200.00 yuan"),
        "{}",
        b.screen()
    );
    b.keys("1,50*00,123456");
    assert!(
        b.screen().contains("limit set to 50.00 yuan"),
        "{}",
        b.screen()
    );
    // OK returns to the limit menu, which shows the new value.
    b.keys("o");
    assert!(
        b.screen().contains("Single-Payment Limit 50.00 yuan"),
        "{}",
        b.screen()
    );
    assert_eq!(pos_sw(b.pos.purchase(5001)), Sw::CONDITIONS_NOT_SATISFIED);
    assert_eq!(b.balance(), 10000);
    b.pos.purchase(5000).expect("at the limit");
    assert_eq!(b.balance(), 5000);
    // Save and reload the image: the limit is kept.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    image::save(&b.card.borrow(), &path).unwrap();
    let again = image::load(&path).unwrap();
    assert_eq!(again.state().purse.single_payment_limit, 5000);
}

#[test]
fn limit_needs_the_payment_password_and_a_sane_amount() {
    let mut b = english();
    b.keys("4,2,1,5000");
    assert!(
        b.screen()
            .contains("cannot pass the balance cap 1000.00 yuan"),
        "{}",
        b.screen()
    );
    b.keys("o,50,000000");
    assert!(
        b.screen().contains("Wrong password, 4 tries left (63C4)"),
        "{}",
        b.screen()
    );
    b.keys("o,e");
    assert_eq!(b.state().purse.single_payment_limit, 20000);
}

#[test]
fn operation_password_enable_then_fail_until_locked_then_issuer_reset() {
    let mut b = english();
    b.keys("4,1,1,1234");
    assert!(
        b.screen().contains("Operation password is now on"),
        "{}",
        b.screen()
    );
    b.keys("o,e");
    assert!(b.idle() && b.state().operation_password.enabled);
    // Every selection now asks for it first.
    b.keys("2");
    assert!(
        b.screen()
            .starts_with("Operation password\n[4-12 digits, hidden"),
        "{}",
        b.screen()
    );
    assert!(b.phone.hidden_input());
    for left in (1..=4).rev() {
        b.keys("0000");
        assert!(
            b.screen().contains(&format!("{left} tries left")),
            "{}",
            b.screen()
        );
        b.keys("o");
    }
    b.keys("0000");
    assert!(b.screen().contains("locked"), "{}", b.screen());
    b.keys("o");
    assert!(b.idle());
    assert_eq!(b.state().operation_password.tries_left, 0);
    // Locked: even the right password is not asked any more.
    b.keys("1");
    assert!(
        b.screen()
            .contains("Operation password locked: contact the issuer (6983)")
    );
    b.keys("o");
    // The issuer's RESET OPERATION PASSWORD unlocks it (new value 4321).
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    b.raw(
        Interface::Contactless,
        "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01",
    );
    let ch = b.raw(Interface::Contactless, "00 84 00 00 04");
    let challenge: [u8; 4] = ch[..4].try_into().unwrap();
    let mac = host.issuer_mac(
        &p.issuer.serial,
        challenge,
        [0x80, 0x5E, 0x02, 0x00, 0x06],
        &[0x43, 0x21],
    );
    let r = b.raw(
        Interface::Contactless,
        &format!("80 5E 02 00 06 4321 {}", hex::encode(mac)),
    );
    assert_eq!(sw(&r), Sw::OK);
    b.keys("1,4321");
    assert!(b.screen().contains("== My Wallet =="), "{}", b.screen());
    // Disable it again (asks the current one).
    b.keys("e,4,4321,1,1,4321");
    assert!(b.screen().contains("now off"), "{}", b.screen());
    b.keys("o,e,1");
    assert!(b.screen().contains("== My Wallet =="));
}

#[test]
fn operation_password_change_with_confirmation() {
    let mut b = english();
    b.keys("4,1,2,1234,12");
    assert!(b.screen().contains("4-12 digits"), "{}", b.screen());
    b.keys("o,56789,98765");
    assert!(
        b.screen().contains("The two entries differ"),
        "{}",
        b.screen()
    );
    b.keys("o,56789,56789");
    assert!(
        b.screen().contains("Operation password changed"),
        "{}",
        b.screen()
    );
    assert_eq!(b.state().operation_password.value, "56789");
    // Enabling now needs the new one.
    b.keys("o,1,1234");
    assert!(b.screen().contains("Wrong password"), "{}", b.screen());
    b.keys("o,56789");
    assert!(b.screen().contains("now on"));
}

#[test]
fn pay_phone_bill_is_a_purchase_at_the_operator_terminal() {
    let mut b = english();
    let host = IssuerHost::from_profile(&Profile::default_profile());
    b.keys("3,123");
    assert!(b.screen().contains("11 digits"), "{}", b.screen());
    b.keys("o,13800138000,12*50,123456");
    assert!(
        b.screen()
            .contains("Paid the bill of 13800138000 12.50 yuan, Balance 87.50 yuan"),
        "{}",
        b.screen()
    );
    let st = b.state();
    assert_eq!((st.purse.balance, st.purse.offline_counter), (8750, 1));
    let h = b.pos.history().unwrap();
    assert_eq!(
        (h[0].tx_type, h[0].amount, h[0].term_id),
        (0x06, 1250, st.perso.operator_term_id)
    );
    let proof = st.proof.unwrap();
    assert_eq!((proof.tx_type, proof.counter_after), (0x06, 1));
    let serial: [u8; 10] = st.perso.ef0015[10..20].try_into().unwrap();
    // TTC = the offline counter used (0).
    assert!(host.purchase_tac_ok(
        &serial,
        1250,
        &st.perso.operator_term_id,
        0,
        &[0x20, 0x26, 0x11, 0x22],
        &[0x12, 0x34, 0x56],
        proof.tac
    ));
    // Started from the SET UP MENU: the result ends the session.
    b.keys("o");
    assert!(b.idle());
    // Over the balance: refused before the password.
    b.keys("3,13800138000,90");
    assert!(
        b.screen().contains("Insufficient balance (9401)"),
        "{}",
        b.screen()
    );
    b.keys("e");
    assert_eq!(b.balance(), 8750);
}

/// The handbook: a bill can be paid only for a China Mobile number. Another operator's number
/// (China Unicom's 130, China Telecom's 133, China Mobile's satellite 1349, a reseller's 1705)
/// is refused with a text in the holder's language; the number is asked again, so the holder
/// can key another one; nothing is spent or asked.
#[test]
fn bill_payment_refuses_numbers_that_are_not_china_mobile() {
    let mut b = english();
    let before = b.state();
    for other in ["13000000000", "13312345678", "13490000000", "17050000000"] {
        b.keys(&format!("3,{other}"));
        assert!(
            b.screen()
                .contains("Not a China Mobile number: bills of China Mobile numbers only"),
            "{other}: {}",
            b.screen()
        );
        // OK: the number again, in the same flow.
        b.keys("o");
        assert!(
            b.screen().starts_with("Phone number (11 digits)"),
            "{}",
            b.screen()
        );
        b.keys("e");
        assert!(b.idle());
    }
    assert_eq!(b.state(), before);
    // Then a China Mobile number goes on to the amount.
    b.keys("3,13000000000,o,13912345678");
    assert!(b.screen().starts_with("Amount (yuan"), "{}", b.screen());
    b.keys("e");
    // The Chinese text.
    let mut b = bed();
    b.keys("3,13000000000");
    assert!(
        b.screen()
            .contains("不是中国移动号码,只能为中国移动号码缴费"),
        "{}",
        b.screen()
    );
    b.keys("o");
    assert!(b.screen().starts_with("请输入手机号码"), "{}", b.screen());
}

/// The single-payment limit is the limit of one contactless purchase: a bill above it is paid
/// (bounded by the balance), while a POS purchase of the same amount is still refused.
#[test]
fn a_bill_above_the_single_payment_limit_is_paid() {
    let mut p = Profile::default_profile();
    p.menu.language = Language::En;
    p.purse.balance = 50000;
    p.purse.single_payment_limit = 10000;
    let mut b = bed_with(p, None);
    assert_eq!(pos_sw(b.pos.purchase(15000)), Sw::CONDITIONS_NOT_SATISFIED);
    b.keys("3,13800138000,150,123456");
    assert!(
        b.screen()
            .contains("Paid the bill of 13800138000 150.00 yuan, Balance 350.00 yuan"),
        "{}",
        b.screen()
    );
    assert_eq!(b.balance(), 35000);
    // Over the balance is still refused before the password.
    b.keys("o,3,13800138000,350*01");
    assert!(
        b.screen().contains("Insufficient balance (9401)"),
        "{}",
        b.screen()
    );
    b.keys("e");
    assert_eq!(b.balance(), 35000);
}

/// History shows a bill payment as a bill (缴费 / Bill), not as a purchase at the operator's
/// termID; the POS reads the same record bytes (a purchase `06` at that termID).
#[test]
fn history_shows_a_bill_as_a_bill() {
    let mut b = english();
    b.pos.purchase(300).unwrap();
    b.keys("3,13800138000,12*50,123456,o");
    assert!(b.idle());
    b.keys("2");
    let s = b.screen();
    assert!(
        s.contains("1. 11-22 -12.50") && s.contains("2. 11-22 -3.00"),
        "{s}"
    );
    b.keys("1");
    let s = b.screen();
    assert!(s.contains("Bill -12.50 yuan"), "{s}");
    assert!(!s.contains("Purchase") && !s.contains("Terminal"), "{s}");
    b.keys("o,2");
    let s = b.screen();
    assert!(
        s.contains("Purchase -3.00 yuan") && s.contains("Terminal 001122334455"),
        "{s}"
    );
    let h = b.pos.history().unwrap();
    let op = b.state().perso.operator_term_id;
    assert_eq!((h[0].tx_type, h[0].amount, h[0].term_id), (0x06, 1250, op));
    // In Chinese: 缴费.
    let mut b = bed();
    b.keys("3,13800138000,12*50,123456,o,2,1");
    assert!(b.screen().contains("缴费 -12.50元"), "{}", b.screen());
    assert!(!b.screen().contains("终端"), "{}", b.screen());
}

#[test]
fn change_payment_password_then_the_pos_needs_the_new_one() {
    let mut b = english();
    let host = IssuerHost::from_profile(&Profile::default_profile());
    b.keys("4,3,123456,65432");
    assert!(b.screen().contains("6 digits"), "{}", b.screen());
    b.keys("o,654321,654321");
    assert!(
        b.screen().contains("Payment password changed"),
        "{}",
        b.screen()
    );
    assert_eq!(pos_sw(b.pos.load(&host, 100, "123456")), Sw::wrong_pin(4));
    b.pos.load(&host, 100, "654321").expect("new password");
}

#[test]
fn close_wallet_only_at_zero_then_pos_gets_6a81() {
    let mut b = english();
    b.keys("4,4");
    assert!(
        b.screen()
            .contains("Close needs a zero balance; balance 100.00 yuan"),
        "{}",
        b.screen()
    );
    b.keys("o,e");
    b.pos.purchase(10000).unwrap();
    b.keys("4,4");
    assert!(
        b.screen().contains("Confirm: close the wallet"),
        "{}",
        b.screen()
    );
    b.keys("1");
    assert!(
        b.screen().contains("The wallet is closed"),
        "{}",
        b.screen()
    );
    // After the session the card sends the changed SET UP MENU.
    b.keys("o");
    assert!(b.idle());
    assert!(
        b.screen().contains("1. Wallet Closed") && !b.screen().contains("My Wallet"),
        "{}",
        b.screen()
    );
    assert!(!b.state().purse.open);
    assert_eq!(pos_sw(b.pos.purchase(1)), Sw::WALLET_CLOSED);
    let host = IssuerHost::from_profile(&Profile::default_profile());
    assert_eq!(pos_sw(b.pos.load(&host, 100, "123456")), Sw::WALLET_CLOSED);
    b.keys("1");
    assert!(
        b.screen()
            .contains("The wallet is closed: no payments or top-ups (6A81)")
    );
}

#[test]
fn back_end_and_time_out() {
    let mut b = english();
    let before = b.state();
    b.keys("1,1");
    assert!(b.screen().starts_with("Top-up amount"), "{}", b.screen());
    b.keys("b");
    assert!(b.screen().contains("== My Wallet =="));
    b.keys("b");
    assert!(b.idle());
    // Back from the password goes to the amount.
    b.keys("1,1,50");
    assert!(b.phone.hidden_input());
    b.keys("b");
    assert!(b.screen().starts_with("Top-up amount"));
    // Time-out at the password: nothing changes.
    b.keys("50,t");
    assert!(b.idle());
    // End in the middle of a bill payment.
    b.keys("3,13800138000,e");
    assert!(b.idle());
    // Time-out deep in the settings.
    b.keys("4,1,2,t");
    assert!(b.idle());
    assert_eq!(b.state(), before);
    // Settings → limit → back → settings → back → idle.
    b.keys("4,2,b");
    assert!(b.screen().contains("== Wallet Settings =="));
    b.keys("b");
    assert!(b.idle());
}

#[test]
fn bad_input_gets_a_message_and_changes_nothing() {
    let mut b = english();
    let before = b.state();
    for (input, msg) in [
        ("abc", "Digits only"),
        ("1.234", "Bad amount"),
        ("0", "more than 0"),
        ("2000", "Over the balance cap; at most 900.00 yuan"),
        ("#", "Bad amount"),
        ("", "Bad amount"),
    ] {
        b.keys("1,1");
        b.phone.press(Key::Text(input.into())).unwrap();
        assert!(b.screen().contains(msg), "{input}: {}", b.screen());
        b.keys("o");
        assert!(b.screen().starts_with("Top-up amount"), "{}", b.screen());
        b.keys("e");
    }
    b.keys("1,1,10");
    for pin in ["12", "abcdef", "1234567"] {
        b.phone.press(Key::Text(pin.into())).unwrap();
        assert!(
            b.screen().contains("6 digits") || b.screen().contains("Digits only"),
            "{}",
            b.screen()
        );
        b.keys("o");
    }
    b.keys("e");
    // A SELECT ITEM answered with an item that does not exist.
    b.keys("1,9");
    assert!(b.screen().contains("No such item"));
    b.keys("o,e");
    assert_eq!(b.state(), before);
}

#[test]
fn wrong_payment_password_in_top_up_counts_and_locks() {
    let mut b = english();
    for _ in 0..4 {
        b.keys("1,1,10,000000,o,e");
    }
    b.keys("1,1,10,000000");
    assert!(b.screen().contains("Password locked"), "{}", b.screen());
    b.keys("o");
    assert!(b.idle());
    assert_eq!(b.state().payment_password.tries_left, 0);
    assert_eq!(b.balance(), 10000);
}

#[test]
fn network_down_loads_nothing() {
    let mut b = english();
    b.net.reachable.set(false);
    let before = b.state().purse;
    b.keys("1,1,10,123456");
    assert!(
        b.screen()
            .contains("Network error, nothing done (H-UNREACHABLE"),
        "{}",
        b.screen()
    );
    assert_eq!(b.state().purse, before);
    assert_eq!(b.state().log.count, 0);
}

#[test]
fn toolkit_protocol_rules() {
    let b = english();
    let c = Interface::Contact;
    // Nothing pending.
    assert_eq!(
        sw(&b.raw(c, "80 12 00 00 10")),
        Sw::CONDITIONS_NOT_SATISFIED
    );
    // A selection opens a session; a second ENVELOPE is busy.
    let r = b.raw(c, "80 C2 00 00 09 D3 07 82 02 01 81 90 01 01");
    assert_eq!(r[0], 0x91);
    assert_eq!(
        sw(&b.raw(c, "80 C2 00 00 09 D3 07 82 02 01 81 90 01 01")),
        Sw::TOOLKIT_BUSY
    );
    // TERMINAL RESPONSE before FETCH.
    assert_eq!(
        sw(&b.raw(c, "80 14 00 00 0C 81 03 02 24 80 82 02 82 81 83 01 10")),
        Sw::CONDITIONS_NOT_SATISFIED
    );
    // Wrong Le, then the right one (A0 class works the same).
    assert_eq!(
        sw(&b.raw(c, "A0 12 00 00 05")),
        Sw::wrong_le(usize::from(r[1]))
    );
    let f = b.raw(c, &format!("A0 12 00 00 {:02X}", r[1]));
    assert_eq!(sw(&f), Sw::OK);
    // SELECT ITEM with qualifier b8: help information available.
    assert_eq!(&f[2..7], &[0x81, 0x03, 0x02, 0x24, 0x80]);
    // A response to another command is refused and the command stays pending.
    assert_eq!(
        sw(&b.raw(c, "80 14 00 00 0C 81 03 03 24 80 82 02 82 81 83 01 10")),
        Sw::WRONG_DATA
    );
    assert_eq!(
        sw(&b.raw(c, "80 14 00 00 0C 81 03 02 23 80 82 02 82 81 83 01 10")),
        Sw::WRONG_DATA
    );
    // The qualifier is part of the echo: 24 00 does not answer 24 80.
    assert_eq!(
        sw(&b.raw(c, "80 14 00 00 0C 81 03 02 24 00 82 02 82 81 83 01 10")),
        Sw::WRONG_DATA
    );
    assert_eq!(sw(&b.raw(c, "80 14 00 00 03 81 03 02")), Sw::WRONG_DATA);
    // CR bits off are accepted; "end" closes the session.
    assert_eq!(
        sw(&b.raw(c, "80 14 00 00 0C 01 03 02 24 80 02 02 82 81 03 01 10")),
        Sw::OK
    );
    assert!(!b.card.borrow().toolkit().busy());
    // Unknown item, help request on an unknown item.
    assert_eq!(
        sw(&b.raw(c, "80 C2 00 00 09 D3 07 82 02 01 81 90 01 07")),
        Sw::WRONG_DATA
    );
    assert_eq!(
        sw(&b.raw(c, "80 C2 00 00 0B D3 09 82 02 01 81 90 01 07 95 00")),
        Sw::WRONG_DATA
    );
    // The toolkit is not on the contactless side.
    assert_eq!(
        sw(&b.raw(Interface::Contactless, "80 10 00 00 02 09 61")),
        Sw::INS_NOT_SUPPORTED
    );
    // Power off drops everything: no ENVELOPE before a new TERMINAL PROFILE.
    b.card.borrow_mut().power_cycle();
    assert_eq!(
        sw(&b.raw(c, "80 C2 00 00 09 D3 07 82 02 01 81 90 01 01")),
        Sw::CONDITIONS_NOT_SATISFIED
    );
}

#[test]
fn a_menu_session_leaves_the_purse_session_alone() {
    let mut b = english();
    // The POS opens a purchase on the contactless side...
    b.raw(
        Interface::Contactless,
        "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01",
    );
    let init = b.raw(
        Interface::Contactless,
        "80 50 01 02 0B 01 00 00 00 64 00 11 22 33 44 55 0F",
    );
    assert_eq!(sw(&init), Sw::OK);
    // ...the holder tops up from the phone meanwhile (contact side)...
    b.keys("1,1,10,123456");
    assert_eq!(b.balance(), 11000);
    // ...and the contactless session is still the POS's own.
    assert!(
        b.card
            .borrow()
            .session(Interface::Contactless)
            .pending
            .is_some()
    );
}

#[test]
fn power_loss_during_a_menu_top_up_is_atomic() {
    for n in 0..12 {
        let mut b = english();
        b.keys("1,1,10");
        b.card.borrow_mut().tear_after_writes(n + 2);
        let r = b.phone.press(Key::Text("123456".into()));
        b.card.borrow_mut().power_cycle();
        let st = b.state();
        let done = st.purse.balance == 11000;
        assert!(done || st.purse.balance == 10000, "tear {n}");
        assert_eq!(st.purse.online_counter, u16::from(done), "tear {n}");
        assert_eq!(st.log.count, u8::from(done), "tear {n}");
        let _ = r;
    }
}

#[test]
fn random_keys_never_break_the_card() {
    let mut b = english();
    let keys = [
        "1",
        "2",
        "3",
        "4",
        "9",
        "b",
        "e",
        "t",
        "o",
        "'abc",
        "'",
        "123456",
        "1234",
        "50",
        "'13800138000",
        "0",
    ];
    let mut x: u32 = 12345;
    for _ in 0..3000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let k = keys[(x >> 16) as usize % keys.len()];
        match b.phone.press_token(k) {
            Ok(()) => {}
            Err(HandsetError::NotAnItem(_)) => {}
            Err(HandsetError::Card(sw, "ENVELOPE")) if sw == Sw::WRONG_DATA => {}
            Err(e) => panic!("{e}"),
        }
        let st = b.state();
        assert!(st.purse.balance <= st.purse.balance_cap);
    }
}

#[test]
fn toolkit_vectors_pass() {
    use stk_wallet::vectors::{report, runner};
    let files = runner::collect(&["vectors/toolkit".into()]).unwrap();
    assert!(files.len() >= 2);
    let outcomes: Vec<_> = files
        .iter()
        .map(|f| runner::run_file(f, &mut runner::Target::Simulator))
        .collect();
    for o in &outcomes {
        print!("{}", report::details(o));
    }
    let (passed, failed, _) = report::counts(&outcomes);
    assert_eq!((passed, failed), (files.len(), 0));
}

/// The handset's clock for the balance's "as of": 2026-11-30 22:05:09.
const HANDSET_CLOCK: Clock = Clock::Fixed {
    date: [0x20, 0x26, 0x11, 0x30],
    time: [0x22, 0x05, 0x09],
};

/// Whether the card sent PROVIDE LOCAL INFORMATION (type `26`) in any FETCH of the log.
fn asked_time(phone: &Handset<SimCard>) -> bool {
    phone
        .log
        .iter()
        .any(|e| e.command[1] == 0x12 && e.response.len() > 5 && e.response[5] == 0x26)
}

#[test]
fn balance_is_shown_as_of_the_handsets_time() {
    let mut b = english();
    b.phone.clock = HANDSET_CLOCK;
    let s = b.keys("1,2");
    assert!(
        asked_time(&b.phone),
        "PROVIDE LOCAL INFORMATION was not sent"
    );
    assert!(
        s[2].contains("Balance 100.00 yuan (as of 2026-11-30 22:05)"),
        "{}",
        s[2]
    );
    let mut b = bed();
    b.phone.clock = HANDSET_CLOCK;
    let s = b.keys("1,2");
    assert!(
        s[2].contains("余额 100.00元 (截至 2026-11-30 22:05)"),
        "{}",
        s[2]
    );
}

#[test]
fn a_handset_without_the_clock_command_is_not_asked_the_time() {
    // Byte 8 = 10: SET UP IDLE MODE TEXT but not PROVIDE LOCAL INFORMATION (date, time).
    let tp = [0x09, 0x21, 0x0F, 0x21, 0x00, 0x00, 0x00, 0x10, 0x00];
    let mut p = Profile::default_profile();
    p.menu.language = Language::En;
    let mut b = bed_with(p, Some(&tp));
    let s = b.keys("1,2");
    assert!(
        !asked_time(&b.phone),
        "the card asked a handset without the command"
    );
    assert!(s[2].contains("Balance 100.00 yuan"), "{}", s[2]);
    assert!(!s[2].contains("as of"), "{}", s[2]);
    b.keys("o,b");
    assert!(b.idle());
}

#[test]
fn a_power_cycle_on_one_interface_leaves_the_other_alone() {
    let b = english();
    let (c, cl) = (Interface::Contact, Interface::Contactless);
    let select = "00 A4 04 00 09 A0 00 00 00 03 86 98 07 01";
    let balance = "80 5C 00 02 04";
    let menu = "80 C2 00 00 09 D3 07 82 02 01 81 90 01 01";
    // The POS opens a purchase on the contactless side.
    assert_eq!(sw(&b.raw(cl, select)), Sw::OK);
    let init = b.raw(cl, "80 50 01 02 0B 01 00 00 00 64 00 11 22 33 44 55 0F");
    assert_eq!(sw(&init), Sw::OK);
    // The handset powers the contacts off and on: the contacts present the profile's ATR
    // (T=0) and need a new TERMINAL PROFILE before a menu selection (6985)...
    let atr = b.card.borrow_mut().power_cycle_interface(c);
    assert_eq!(atr, Profile::default_profile().atr);
    assert_eq!(sw(&b.raw(c, menu)), Sw::CONDITIONS_NOT_SATISFIED);
    // ...while the POS's session stands: the purchase pending, the wallet selected.
    assert!(b.card.borrow().session(cl).pending.is_some());
    assert_eq!(sw(&b.raw(cl, balance)), Sw::OK);
    // The other way round: the contactless field drops, the toolkit session stays.
    assert!(sw(&b.raw(c, "80 10 00 00 02 09 61")).0 >> 8 != 0x69);
    let atr = b.card.borrow_mut().power_cycle_interface(cl);
    // PC/SC part 3's ATR of an ISO 14443-4 card: 3B 8n 80 01 ‖ historical bytes ‖ TCK.
    assert!(
        atr[0] == 0x3B && atr[1] >> 4 == 0x8 && atr[2..4] == [0x80, 0x01],
        "{atr:02X?}"
    );
    assert_ne!(sw(&b.raw(c, menu)), Sw::CONDITIONS_NOT_SATISFIED);
    // The wallet is no longer selected on the contactless side (spec: 6985).
    assert_eq!(sw(&b.raw(cl, balance)), Sw::CONDITIONS_NOT_SATISFIED);
    assert!(b.card.borrow().session(cl).pending.is_none());
}

/// The DISPLAY TEXT the card sent last (the text of the last FETCH of type `21`).
fn last_fetched_type(phone: &Handset<SimCard>) -> Option<u8> {
    phone
        .log
        .iter()
        .rev()
        .find(|e| e.command[1] == 0x12 && e.response.len() > 5)
        .map(|e| e.response[5])
}

#[test]
fn help_on_a_menu_item_shows_its_help_then_the_phone_is_idle() {
    let mut b = english();
    assert!(b.phone.menu_help, "SET UP MENU qualifier b8 is set");
    assert!(
        b.screen().contains("[item number, ?N help]"),
        "{}",
        b.screen()
    );
    let before = b.state();
    let s = b.keys("?3");
    // The ENVELOPE carried the help request (tag 15, CR set, length 0).
    let env = b
        .phone
        .log
        .iter()
        .rev()
        .find(|e| e.command[1] == 0xC2)
        .expect("an ENVELOPE");
    assert!(
        env.command.ends_with(&[0x90, 0x01, 0x03, 0x95, 0x00]),
        "{:02X?}",
        env.command
    );
    assert!(
        s[1].contains("| Pay a phone bill from the wallet"),
        "{}",
        s[1]
    );
    assert_eq!(last_fetched_type(&b.phone), Some(0x21));
    let sent = b.phone.log.len();
    b.keys("o");
    assert!(b.idle());
    assert!(!b.card.borrow().toolkit().busy());
    // Back to idle: the acknowledgement ends it, no SET UP MENU is sent again.
    assert_eq!(b.phone.log.len(), sent + 1, "only the TERMINAL RESPONSE");
    assert_eq!(sw(&b.phone.log[sent].response), Sw::OK);
    // Help changed nothing, and the item itself still opens as before.
    assert_eq!(b.state(), before);
    b.keys("1");
    assert!(b.screen().contains("== My Wallet =="), "{}", b.screen());
}

#[test]
fn help_on_a_menu_item_needs_no_operation_password_and_speaks_chinese() {
    let mut p = Profile::default_profile();
    p.passwords.operation_enabled = true;
    let mut b = bed_with(p, None);
    let s = b.keys("?1");
    assert!(s[1].contains("| 充值和查询余额"), "{}", s[1]);
    b.keys("o");
    assert!(b.idle());
    // Choosing the item still asks the operation password.
    let s = b.keys("1");
    assert!(s[1].contains("请输入操作密码"), "{}", s[1]);
    assert!(s[1].contains("? help"), "the gate offers help: {}", s[1]);
}

#[test]
fn result_13_on_an_input_shows_its_help_then_asks_again() {
    let mut b = english();
    let s = b.keys("1,1");
    assert!(s[2].contains("Top-up amount"), "{}", s[2]);
    assert!(s[2].contains("? help"), "GET INPUT offers help: {}", s[2]);
    let s = b.keys("?,o");
    assert!(
        s[1].contains("| Amount in yuan, * is the point: 50*00"),
        "{}",
        s[1]
    );
    // The TERMINAL RESPONSE was result 13 to the GET INPUT, without a text.
    let tr = b
        .phone
        .log
        .iter()
        .rev()
        .find(|e| e.command[1] == 0x14 && e.command[8] == 0x23)
        .expect("a TERMINAL RESPONSE to GET INPUT");
    assert_eq!(&tr.command[8..11], &[0x23, 0x80, 0x82]);
    assert!(
        tr.command.ends_with(&[0x83, 0x01, 0x13]),
        "{:02X?}",
        tr.command
    );
    assert!(s[2].contains("Top-up amount"), "asked again: {}", s[2]);
    // The flow goes on from the same step: the top-up still works.
    b.keys("10");
    let s = b.keys("?,o");
    assert!(s[1].contains("6-digit payment password"), "{}", s[1]);
    assert!(s[2].contains("Payment password"), "{}", s[2]);
    b.keys("123456");
    assert_eq!(b.balance(), 11000);
}

#[test]
fn result_13_on_a_list_shows_the_items_help_then_the_list_again() {
    let mut b = english();
    let s = b.keys("4,?2,o");
    assert!(
        s[1].contains("== Wallet Settings ==") && s[1].contains("?N help"),
        "{}",
        s[1]
    );
    assert!(
        s[2].contains("| See or change the most one payment may be"),
        "{}",
        s[2]
    );
    assert!(s[3].contains("== Wallet Settings =="), "{}", s[3]);
    // The list comes back with the item asked about as its default item (90 01 02).
    let f = b
        .phone
        .log
        .iter()
        .rev()
        .find(|e| e.command[1] == 0x12 && e.response[5] == 0x24)
        .expect("a SELECT ITEM");
    let body = &f.response[..f.response.len() - 2];
    assert!(body.ends_with(&[0x90, 0x01, 0x02]), "{body:02X?}");
    // Help on the list without an item: the help of the entry that opened it.
    let s = b.keys("?,o");
    assert!(
        s[1].contains("| Passwords, the payment limit, closing the wallet"),
        "{}",
        s[1]
    );
    // Back and end behave as before.
    b.keys("b");
    assert!(b.idle());
}

#[test]
fn help_texts_are_asked_in_the_same_flow_on_a_gsm_handset() {
    let mut b = english();
    b.phone.cla = 0xA0;
    let s = b.keys("?2");
    assert!(s[1].contains("| See the last 10 transactions"), "{}", s[1]);
    b.keys("o");
    assert!(b.idle());
}

/// The user's boundary: `stk-wallet phone --keys` with the help keys, as a process.
#[test]
fn phone_cli_asks_help_with_question_mark_keys() {
    let d = tempfile::tempdir().unwrap();
    let new = common::output(d.path(), &["card", "new", "-o", "card.json"]);
    assert!(new.status.success(), "{}", common::said(&new));
    let out = common::output(
        d.path(),
        &[
            "phone",
            "--card",
            "card.json",
            "--lang",
            "en",
            "--keys",
            "?3,o,1,?2,o,1,?,o",
        ],
    );
    let text = common::said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("[item number, ?N help]"), "{text}");
    for want in [
        "> ?3\n| Pay a phone bill from the wallet\n",
        "> ?2\n| Shows the wallet's balance\n",
        "> ?\n| Amount in yuan, * is the point: 50*00\n",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
    // After the input's help, the same input again.
    assert!(
        text.ends_with("Top-up amount (yuan, * = point)\n[1-10 digits, ? help, b back, e end]\n"),
        "{text}"
    );
    // A help key that is not a number is a bad key, not a crash.
    let out = common::output(
        d.path(),
        &[
            "phone",
            "--card",
            "card.json",
            "--lang",
            "en",
            "--keys",
            "?x",
        ],
    );
    let text = common::said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("! `?x` is not an item number"), "{text}");
}
