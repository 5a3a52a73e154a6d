use super::*;
use crate::stk::ProactiveCommand;

/// A wallet that knows the operation password `1234` and the payment password `123456`.
struct Fake(View);

impl Wallet for Fake {
    fn view(&self) -> View {
        self.0.clone()
    }
    fn check_password(&mut self, operation: bool, guess: &str) -> Done<()> {
        match (operation, guess) {
            (true, "1234") | (false, "123456") => Ok(()),
            _ => Err(Problem::Card(Sw(0x63C4))),
        }
    }
    fn set_operation_enabled(&mut self, on: bool) -> Done<()> {
        self.0.op_enabled = on;
        Ok(())
    }
    fn set_password(&mut self, _: bool, _: &str) -> Done<()> {
        Ok(())
    }
    fn set_limit(&mut self, fen: u32) -> Done<()> {
        self.0.limit = fen;
        Ok(())
    }
    fn ota_begin(&mut self, _: &Ota) -> Done<Vec<u8>> {
        Ok(vec![0; 8])
    }
    fn ota_finish(&mut self, _: &[u8]) -> Done<u32> {
        Ok(self.0.balance)
    }
    fn ota_abort(&mut self) {}
    fn close_wallet(&mut self) -> Done<()> {
        self.0.open = false;
        Ok(())
    }
}

fn wallet(open: bool) -> Fake {
    Fake(View {
        balance: 0,
        limit: 5000,
        cap: 100_000,
        open,
        op_enabled: false,
        op_tries_left: 5,
        history: vec![Record {
            counter: 1,
            amount: 100,
            tx_type: crate::crypto::TYPE_LOAD,
            term_id: [0x11; 6],
            date: [0x20, 0x26, 0x11, 0x30],
            time: [0x12, 0x00, 0x00],
        }],
        operator_term_id: [0, 0, 0, 0x10, 0x08, 0x60],
        bip: true,
        clock: false,
        pay_locked: false,
        cancelled: false,
    })
}

/// The holder's answers in the walk below.
#[derive(Clone, Copy)]
enum Do {
    Pick(u8),
    Type(&'static str),
}

/// For each entry (by label): what the screen it opens says (a list's title, a prompt, a
/// text), then answers to that flow with what each must show. Written out here, apart from
/// the table, so an entry that opens another entry's flow fails.
#[allow(clippy::type_complexity)]
const EXPECTED: &[(Msg, &str, &[(Do, &str)])] = &[
    (Msg::MyWallet, "My Wallet", &[]),
    (Msg::History, "History", &[]),
    (Msg::PayBill, "Phone number (11 digits)", &[]),
    (Msg::Settings, "Wallet Settings", &[]),
    (
        Msg::WalletClosedItem,
        "The wallet is closed: no payments or top-ups (6A81)",
        &[],
    ),
    (
        Msg::TopUp,
        "Top-up amount (yuan, * = point)",
        &[(Do::Type("10"), "Payment password")],
    ),
    (Msg::Balance, "Balance 0.00", &[]),
    (Msg::OpPassword, "Operation Password", &[]),
    (
        Msg::Limit,
        "Single-Payment Limit 50.00",
        &[(Do::Pick(1), "New limit (yuan, * = point)")],
    ),
    (
        Msg::ChangePayPassword,
        "Payment password",
        &[(Do::Type("123456"), "New payment password (6 digits)")],
    ),
    (
        Msg::CloseWallet,
        "Close Wallet",
        &[(Do::Pick(1), "The wallet is closed")],
    ),
    (
        Msg::EnableDisable,
        "Operation password",
        &[(Do::Type("1234"), "Operation password is now on")],
    ),
    (
        Msg::ChangeOp,
        "Operation password",
        &[(Do::Type("1234"), "New operation password (4-12 digits)")],
    ),
];

/// The entries to choose, from the SET UP MENU, to reach `menu`'s list.
fn path_to(menu: Menu) -> Vec<&'static Entry> {
    match ENTRIES
        .iter()
        .find(|e| matches!(e.opens, Opens::Menu(m) if m == menu))
    {
        Some(e) => [path_to(e.menu), vec![e]].concat(),
        None => Vec::new(),
    }
}

fn shown(r: &Reply) -> &Proactive {
    match r {
        Reply::Show(p) => p,
        Reply::End => panic!("the session ended"),
    }
}

/// What the holder reads on a screen.
fn says(p: &Proactive) -> String {
    match p {
        Proactive::SelectItem { title, .. } => title.clone().unwrap_or_default(),
        Proactive::GetInput { prompt, .. } => prompt.clone(),
        Proactive::DisplayText { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

fn items(p: &Proactive) -> &[Item] {
    match p {
        Proactive::SetUpMenu { items, .. } | Proactive::SelectItem { items, .. } => items,
        other => panic!("not a list: {other:?}"),
    }
}

/// Answers the screen `shown` with `what`.
fn answer(s: &mut Session, shown: &Proactive, what: Do, w: &mut Fake) -> Reply {
    let cmd = ProactiveCommand::new(1, shown.clone());
    let mut tr = TerminalResponse::to(&cmd, ResultCode::Ok);
    match what {
        Do::Pick(id) => tr.item = Some(id),
        Do::Type(text) => tr.text = Some(text.into()),
    }
    s.respond(&tr, w).expect("no tear")
}

#[test]
fn every_entry_is_listed_and_opens_its_own_flow() {
    for e in ENTRIES {
        let Some((_, first, then)) = EXPECTED.iter().find(|x| x.0 == e.label) else {
            panic!("no expectation for the entry {:?}", e.label);
        };
        let mut w = wallet(e.menu != Menu::Closed);
        let mut screen = main_menu(Lang::En, &w.view());
        let mut session: Option<Session> = None;
        // Down the tree: each entry on the way is in the list shown, and chosen by its item.
        for p in path_to(e.menu).into_iter().chain([e]) {
            let item = Item::new(p.id, Lang::En.s(p.label));
            assert!(items(&screen).contains(&item), "{item:?} not in {screen:?}");
            let reply = match session.as_mut() {
                None => {
                    let (s, r) = Session::start(Lang::En, p.id, &mut w).expect("in the menu");
                    session = Some(s);
                    r
                }
                Some(s) => answer(s, &screen, Do::Pick(p.id), &mut w),
            };
            screen = shown(&reply).clone();
        }
        assert!(
            says(&screen).starts_with(first),
            "{:?} opened {screen:?}",
            e.label
        );
        let s = session.as_mut().expect("a session");
        for &(what, want) in *then {
            screen = shown(&answer(s, &screen, what, &mut w)).clone();
            assert!(says(&screen).starts_with(want), "{:?}: {screen:?}", e.label);
        }
    }
    // Every expectation is an entry's.
    for (label, ..) in EXPECTED {
        assert!(ENTRIES.iter().any(|e| e.label == *label), "{label:?}");
    }
}

#[test]
fn each_list_has_distinct_items_and_each_submenu_one_entry() {
    for e in ENTRIES {
        let same = ENTRIES.iter().filter(|o| o.menu == e.menu && o.id == e.id);
        assert_eq!(same.count(), 1, "item {} of {:?} twice", e.id, e.menu);
        assert_ne!(e.id, 0, "item identifiers start at 1");
    }
    for menu in [Menu::MyWallet, Menu::Settings, Menu::OpPassword] {
        let opening = ENTRIES
            .iter()
            .filter(|e| matches!(e.opens, Opens::Menu(m) if m == menu));
        assert_eq!(opening.count(), 1, "{menu:?}");
        assert!(menu.entries().next().is_some(), "{menu:?} is empty");
    }
}

#[test]
fn the_gate_comes_before_a_first_level_entry_when_on() {
    for e in Menu::Main.entries() {
        let mut w = wallet(true);
        w.0.op_enabled = true;
        let (mut s, r) = Session::start(Lang::En, e.id, &mut w).expect("in the menu");
        let gate = shown(&r).clone();
        assert_eq!(says(&gate), "Operation password");
        let wrong = shown(&answer(&mut s, &gate, Do::Type("9999"), &mut w)).clone();
        assert_eq!(says(&wrong), "Wrong password, 4 tries left (63C4)");
        let again = shown(&answer(&mut s, &wrong, Do::Pick(1), &mut w)).clone();
        assert_eq!(again, gate);
        let opened = shown(&answer(&mut s, &again, Do::Type("1234"), &mut w)).clone();
        let first = EXPECTED
            .iter()
            .find(|x| x.0 == e.label)
            .expect("expected")
            .1;
        assert!(
            says(&opened).starts_with(first),
            "{:?}: {opened:?}",
            e.label
        );
    }
}

#[test]
fn every_entry_has_a_short_help_text_in_both_languages() {
    use crate::menu_help::entry_help;
    use crate::stk::text::is_gsm;
    for e in ENTRIES {
        let h = entry_help(e.label).unwrap_or_else(|| panic!("{:?} has no help", e.label));
        for l in [Lang::Zh, Lang::En] {
            let cmd = ProactiveCommand::new(
                0xFE,
                Proactive::DisplayText {
                    text: l.help(h).into(),
                    high_priority: false,
                    wait_for_user: true,
                },
            );
            // One short APDU: FETCH answers at most 256 bytes.
            assert!(cmd.encode(true).len() < 128, "{h:?} in {l:?} is long");
        }
        assert!(
            is_gsm(Lang::En.help(h)),
            "{h:?}: English not in the GSM alphabet"
        );
    }
    for m in [
        Menu::Main,
        Menu::Closed,
        Menu::MyWallet,
        Menu::Settings,
        Menu::OpPassword,
    ] {
        assert!(menu_has_help(m), "{m:?}");
    }
}

/// Asks help (result 13, with `item` on a list) on `screen`; checks the help text is shown,
/// then the same screen again once the holder acknowledges it.
fn help_then_same(s: &mut Session, screen: &Proactive, item: Option<u8>, w: &mut Fake) {
    assert!(screen.help(), "no help offered on {screen:?}");
    let cmd = ProactiveCommand::new(1, screen.clone());
    let mut tr = TerminalResponse::to(&cmd, ResultCode::HelpRequired);
    tr.item = item;
    let want = s.help(item).map(|h| Lang::En.help(h)).expect("a help text");
    let text = shown(&s.respond(&tr, w).expect("no tear")).clone();
    assert_eq!(says(&text), want);
    assert!(matches!(text, Proactive::DisplayText { .. }));
    let again = shown(&answer(s, &text, Do::Pick(1), w)).clone();
    let strip = |p: &Proactive| match p.clone() {
        Proactive::SelectItem {
            title, items, help, ..
        } => Proactive::SelectItem {
            title,
            items,
            default_item: None,
            help,
        },
        other => other,
    };
    assert_eq!(
        strip(&again),
        strip(screen),
        "not the same screen after help"
    );
}

#[test]
fn every_list_and_input_screen_offers_help_and_asks_again_after_it() {
    let mut screens = 0;
    for e in ENTRIES {
        let Some((_, _, then)) = EXPECTED.iter().find(|x| x.0 == e.label) else {
            continue;
        };
        let mut w = wallet(e.menu != Menu::Closed);
        let menu = main_menu(Lang::En, &w.view());
        assert!(menu.help(), "the SET UP MENU offers help");
        let mut screen = menu;
        let mut session: Option<Session> = None;
        for p in path_to(e.menu).into_iter().chain([e]) {
            if let (Some(s), Proactive::SelectItem { .. }) = (session.as_mut(), &screen) {
                help_then_same(s, &screen, Some(p.id), &mut w);
                screens += 1;
            }
            let reply = match session.as_mut() {
                None => Session::start(Lang::En, p.id, &mut w)
                    .map(|(s, r)| {
                        session = Some(s);
                        r
                    })
                    .expect("in the menu"),
                Some(s) => answer(s, &screen, Do::Pick(p.id), &mut w),
            };
            screen = shown(&reply).clone();
        }
        let s = session.as_mut().expect("a session");
        for &(what, _) in *then {
            if matches!(
                screen,
                Proactive::SelectItem { .. } | Proactive::GetInput { .. }
            ) {
                help_then_same(s, &screen, None, &mut w);
                screens += 1;
            }
            screen = shown(&answer(s, &screen, what, &mut w)).clone();
        }
    }
    assert!(screens >= 15, "only {screens} screens asked");
}

#[test]
fn help_on_a_set_up_menu_item_is_its_text_then_idle() {
    use crate::menu_help::entry_help;
    for open in [true, false] {
        let mut w = wallet(open);
        // The operation password is on: help still needs none.
        w.0.op_enabled = true;
        for e in Menu::top(&w.view()).entries() {
            let (mut s, r) = Session::help_request(Lang::Zh, e.id, &mut w).expect("an item");
            let text = shown(&r).clone();
            assert_eq!(says(&text), Lang::Zh.help(entry_help(e.label).unwrap()));
            let cmd = ProactiveCommand::new(1, text);
            let tr = TerminalResponse::to(&cmd, ResultCode::Ok);
            assert_eq!(s.respond(&tr, &mut w).unwrap(), Reply::End);
        }
        assert!(Session::help_request(Lang::En, 9, &mut w).is_none());
    }
}
