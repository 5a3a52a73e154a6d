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
