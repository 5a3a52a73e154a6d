//! Help (docs/toolkit.md, "Help"): which help text each screen has.
//!
//! A menu entry's help is found by its label in [`ENTRY_HELP`]; a flow step's help is listed
//! below, one arm per step (the match is exhaustive, so a new flow must say what its screens'
//! help is, or `None`). A screen with a help text is sent with qualifier b8 (help information
//! available) set.

use super::*;
use crate::menu_help::{Help, entry_help};

/// Whether every entry of `menu` has a help text: the list (or the SET UP MENU) then offers
/// help.
pub(crate) fn menu_has_help(menu: Menu) -> bool {
    menu.entries().all(|e| entry_help(e.label).is_some())
}

/// The help of an entry of `menu`; without an item (or an item not in the list), the help
/// of the entry that opened the list.
pub(crate) fn menu_help(menu: Menu, item: Option<u8>) -> Option<Help> {
    match item.and_then(|id| menu.entry(id)) {
        Some(e) => entry_help(e.label),
        None => entry_help(menu.title()),
    }
}

/// The help of a flow's step (the same for every item of a flow's list).
pub(crate) fn flow_help(f: &Flow) -> Option<Help> {
    let password = |operation: bool| {
        if operation {
            Help::EnterOpPassword
        } else {
            Help::EnterPayPassword
        }
    };
    Some(match f {
        Flow::TopUp(TopUp::Amount) => Help::TopUpAmount,
        Flow::TopUp(TopUp::Pin(_)) => Help::EnterPayPassword,
        Flow::History(History) => Help::HistoryList,
        Flow::Bill(Bill::Phone) => Help::PhoneNumber,
        Flow::Bill(Bill::Amount(_)) => Help::BillAmount,
        Flow::Bill(Bill::Pin(..)) => Help::EnterPayPassword,
        Flow::OpToggle(OpToggle) => Help::EnterOpPassword,
        Flow::ChangePassword(c) => match (&c.step, c.operation) {
            (Change::Old, op) => password(op),
            (Change::New, true) => Help::NewOpPassword,
            (Change::New, false) => Help::NewPayPassword,
            (Change::Again(_), _) => Help::Again,
        },
        Flow::Limit(Limit::Shown) => Help::SetLimit,
        Flow::Limit(Limit::Amount) => Help::NewLimit,
        Flow::Limit(Limit::Pin(_)) => Help::EnterPayPassword,
        Flow::Close(Close) => Help::ConfirmClose,
        // Not screens the holder answers: PROVIDE LOCAL INFORMATION and the data channel.
        Flow::TopUp(TopUp::Air(_)) | Flow::Bill(Bill::Air(_)) | Flow::Balance(Balance) => {
            return None;
        }
    })
}

impl Session {
    /// The help of the current screen; `item` is the item a SELECT ITEM's help was asked on.
    pub(crate) fn help(&self, item: Option<u8>) -> Option<Help> {
        match &self.current {
            Screen::Gate(_) => Some(Help::EnterOpPassword),
            Screen::Menu(m) => menu_help(*m, item),
            Screen::Flow(f) => flow_help(f),
            Screen::Message { .. } | Screen::Clock(_) => None,
        }
    }

    /// Whether the current screen offers help (its qualifier b8).
    pub(crate) fn help_available(&self) -> bool {
        match &self.current {
            Screen::Menu(m) => menu_has_help(*m),
            _ => self.help(None).is_some(),
        }
    }

    /// A MENU SELECTION with the help request on `item` of the SET UP MENU: its help, in a
    /// DISPLAY TEXT, after which the session ends (the handset shows its menu again). No
    /// password is asked: help changes nothing and shows nothing of the wallet. `None`: not
    /// an item of the menu, or an item without help.
    pub fn help_request(lang: Lang, item: u8, w: &mut dyn Wallet) -> Option<(Session, Reply)> {
        let view = w.view();
        let top = Menu::top(&view);
        let help = entry_help(top.entry(item)?.label)?;
        let mut s = Session {
            lang,
            stack: Vec::new(),
            current: Screen::Gate(item),
            chosen: Vec::new(),
        };
        let reply = s.say(lang.help(help).into(), None, &view);
        Some((s, reply))
    }
}
