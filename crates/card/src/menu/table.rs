//! The menu tree.

use super::*;

/// A menu: the SET UP MENU (of an open or a closed wallet) or a SELECT ITEM list below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Menu {
    /// The SET UP MENU of an open wallet.
    Main,
    /// The SET UP MENU of a closed wallet.
    Closed,
    MyWallet,
    Settings,
    OpPassword,
}

/// What choosing an entry opens.
#[derive(Clone, Copy)]
pub(crate) enum Opens {
    /// The SELECT ITEM list of this menu's entries, titled with the entry's label.
    Menu(Menu),
    /// A flow: where it starts, given what the wallet looks like.
    Flow(fn(Lang, &View) -> Start),
}

/// One menu entry: a row of [`ENTRIES`].
pub(crate) struct Entry {
    /// The menu it is an item of.
    pub(crate) menu: Menu,
    /// Its item identifier there (what the handset answers when it is chosen).
    pub(crate) id: u8,
    pub(crate) label: Msg,
    pub(crate) opens: Opens,
}

impl Entry {
    pub(crate) const fn new(menu: Menu, id: u8, label: Msg, opens: Opens) -> Entry {
        Entry {
            menu,
            id,
            label,
            opens,
        }
    }
}

/// The menu tree (docs/spec.md §1): every entry, each menu's items in the order shown. Both the
/// lists (SET UP MENU, SELECT ITEM) and the answers to them (the chosen item identifier) are read
/// from here.
#[rustfmt::skip]
pub(crate) const ENTRIES: &[Entry] = &[
    //         menu         id  label                   opens
    Entry::new(Menu::Main,       1, Msg::MyWallet,          Opens::Menu(Menu::MyWallet)),
    Entry::new(Menu::Main,       2, Msg::History,           Opens::Flow(History::start)),
    Entry::new(Menu::Main,       3, Msg::PayBill,           Opens::Flow(Bill::start)),
    Entry::new(Menu::Main,       4, Msg::Settings,          Opens::Menu(Menu::Settings)),
    Entry::new(Menu::Closed,     1, Msg::WalletClosedItem,  Opens::Flow(closed)),
    Entry::new(Menu::MyWallet,   1, Msg::TopUp,             Opens::Flow(TopUp::start)),
    Entry::new(Menu::MyWallet,   2, Msg::Balance,           Opens::Flow(Balance::start)),
    Entry::new(Menu::Settings,   1, Msg::OpPassword,        Opens::Menu(Menu::OpPassword)),
    Entry::new(Menu::Settings,   2, Msg::Limit,             Opens::Flow(Limit::start)),
    Entry::new(Menu::Settings,   3, Msg::ChangePayPassword, Opens::Flow(ChangePassword::payment)),
    Entry::new(Menu::Settings,   4, Msg::CloseWallet,       Opens::Flow(Close::start)),
    Entry::new(Menu::OpPassword, 1, Msg::EnableDisable,     Opens::Flow(OpToggle::start)),
    Entry::new(Menu::OpPassword, 2, Msg::ChangeOp,          Opens::Flow(ChangePassword::operation)),
];

impl Menu {
    /// The SET UP MENU for the wallet's state.
    pub(crate) fn top(v: &View) -> Menu {
        if v.open { Menu::Main } else { Menu::Closed }
    }

    pub(crate) fn entries(self) -> impl Iterator<Item = &'static Entry> {
        ENTRIES.iter().filter(move |e| e.menu == self)
    }

    /// The entry the holder chose.
    pub(crate) fn entry(self, id: u8) -> Option<&'static Entry> {
        self.entries().find(|e| e.id == id)
    }

    pub(crate) fn items(self, l: Lang) -> Vec<Item> {
        self.entries()
            .map(|e| Item::new(e.id, l.s(e.label)))
            .collect()
    }

    /// The label of the entry that opens it; the SET UP MENU's is the wallet's title.
    pub(crate) fn title(self) -> Msg {
        ENTRIES
            .iter()
            .find(|e| matches!(e.opens, Opens::Menu(m) if m == self))
            .map_or(Msg::Title, |e| e.label)
    }
}

/// The SET UP MENU for the wallet's current state (help available when each of its items has
/// a help text).
pub fn main_menu(lang: Lang, view: &View) -> Proactive {
    let top = Menu::top(view);
    Proactive::SetUpMenu {
        title: lang.s(Msg::Title).into(),
        items: top.items(lang),
        help: menu_has_help(top),
    }
}
