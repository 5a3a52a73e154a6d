//! SPEC.md §1: the wallet's SIM Toolkit menu as a pure state machine.
//!
//! The machine knows nothing about APDUs or the card's memory: it turns the holder's answers
//! ([`TerminalResponse`]s) into the next screen (a [`Proactive`] command) and asks a
//! [`Wallet`] (the card, in `toolkit.rs`) to do the real work: check a password, top up,
//! pay, change a setting. Every change goes through the wallet, which commits atomically; the
//! machine itself only holds what the holder typed so far (volatile, dropped with the session).
//!
//! Navigation (decisions where SPEC.md is silent):
//! * every screen that leads somewhere is pushed on a stack; "back" (`11`) re-shows the
//!   previous screen, and from the first screen of a session ends it (the handset shows its
//!   SET UP MENU again); "end" (`10`), a time-out (`12`) or any other non-success result end
//!   the session with nothing changed that was not already confirmed;
//! * bad input gets a DISPLAY TEXT, then the same input is asked again;
//! * a wrong password shows the tries left, then asks again; a locked one ends the session;
//! * after a result (done or refused) the holder returns to the nearest menu above, or the
//!   session ends if the flow was started straight from the SET UP MENU.

use super::menu_text::{Lang, Msg, amount_text, history_detail, history_label, parse_yuan};
use crate::stk::{Item, Proactive, ResultCode, TerminalResponse};
use crate::sw::Sw;

/// One log record, decoded (SPEC.md §2).
pub use stk_domain::records::HistoryEntry as Record;

/// What the menu needs to know about the wallet to draw its screens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub balance: u32,
    pub limit: u32,
    pub cap: u32,
    pub open: bool,
    pub op_enabled: bool,
    pub op_tries_left: u8,
    /// Newest first.
    pub history: Vec<Record>,
}

/// Why a wallet operation did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The card refused, with this status word.
    Card(Sw),
    /// The over-the-air link or the issuer host failed (catalogue code and text).
    Network(String),
    /// The power went during a commit: the card is mute, the session is over.
    Torn,
}

pub type Done<T> = Result<T, Problem>;

/// The card operations the menu drives. `operation`: the operation password (else payment).
pub trait Wallet {
    fn view(&self) -> View;
    /// Spends a try, then compares: `Card(63Cx)` wrong, `Card(6983)` locked.
    fn check_password(&mut self, operation: bool, guess: &str) -> Done<()>;
    fn set_operation_enabled(&mut self, on: bool) -> Done<()>;
    fn set_password(&mut self, operation: bool, value: &str) -> Done<()>;
    fn set_limit(&mut self, fen: u32) -> Done<()>;
    /// Over-the-air load; the new balance.
    fn top_up(&mut self, fen: u32) -> Done<u32>;
    /// Bill payment recorded as a purchase at the operator's termID; the new balance.
    fn pay_bill(&mut self, phone: &str, fen: u32) -> Done<u32>;
    fn close_wallet(&mut self) -> Done<()>;
}

/// The first-level entries (SET UP MENU item identifiers).
pub const MY_WALLET: u8 = 1;
pub const HISTORY: u8 = 2;
pub const PAY_BILL: u8 = 3;
pub const SETTINGS: u8 = 4;
/// The only item of a closed wallet's menu.
pub const CLOSED: u8 = 1;

/// The SET UP MENU for the wallet's current state.
pub fn main_menu(lang: Lang, view: &View) -> Proactive {
    let items = if view.open {
        vec![
            Item::new(MY_WALLET, lang.s(Msg::MyWallet)),
            Item::new(HISTORY, lang.s(Msg::History)),
            Item::new(PAY_BILL, lang.s(Msg::PayBill)),
            Item::new(SETTINGS, lang.s(Msg::Settings)),
        ]
    } else {
        vec![Item::new(CLOSED, lang.s(Msg::WalletClosedItem))]
    };
    Proactive::SetUpMenu {
        title: lang.s(Msg::Title).into(),
        items,
    }
}

/// A screen of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Screen {
    /// The operation password, asked before entering a first-level entry.
    OpGate(u8),
    MyWallet,
    TopUpAmount,
    TopUpPin(u32),
    HistoryList,
    BillPhone,
    BillAmount(String),
    BillPin(String, u32),
    Settings,
    OpMenu,
    OpToggle,
    OpOld,
    OpNew,
    OpAgain(String),
    LimitMenu,
    LimitAmount,
    LimitPin(u32),
    PayOld,
    PayNew,
    PayAgain(String),
    CloseConfirm,
    /// A DISPLAY TEXT; after it, `resume` (or the end of the session).
    Message {
        text: String,
        resume: Option<Box<Screen>>,
    },
}

impl Screen {
    fn is_menu(&self) -> bool {
        matches!(
            self,
            Screen::MyWallet
                | Screen::HistoryList
                | Screen::Settings
                | Screen::OpMenu
                | Screen::LimitMenu
        )
    }
}

/// What the card does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Show(Proactive),
    End,
}

/// An open menu session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    lang: Lang,
    stack: Vec<Screen>,
    current: Screen,
}

fn input(prompt: String, min: u8, max: u8, hidden: bool) -> Proactive {
    Proactive::GetInput {
        prompt,
        min,
        max,
        hidden,
        digits_only: true,
    }
}

fn select(title: &str, items: Vec<Item>) -> Proactive {
    Proactive::SelectItem {
        title: Some(title.into()),
        items,
        default_item: None,
    }
}

impl Session {
    /// A MENU SELECTION of `item` from the SET UP MENU. `None`: not an item of the menu.
    pub fn start(lang: Lang, item: u8, w: &mut dyn Wallet) -> Option<(Session, Reply)> {
        let view = w.view();
        let valid = if view.open {
            (MY_WALLET..=SETTINGS).contains(&item)
        } else {
            item == CLOSED
        };
        if !valid {
            return None;
        }
        let mut s = Session {
            lang,
            stack: Vec::new(),
            current: Screen::OpGate(item),
        };
        let reply = if !view.open {
            s.message(Msg::WalletIsClosed, None, &view)
        } else if view.op_enabled && view.op_tries_left == 0 {
            s.message(Msg::MenuLocked, None, &view)
        } else if view.op_enabled {
            s.show(&view)
        } else {
            s.enter(item, &view)
        };
        Some((s, reply))
    }

    fn entry(item: u8) -> Screen {
        match item {
            MY_WALLET => Screen::MyWallet,
            HISTORY => Screen::HistoryList,
            PAY_BILL => Screen::BillPhone,
            _ => Screen::Settings,
        }
    }

    /// Enters a first-level entry (an empty history is a message, not an empty list).
    fn enter(&mut self, item: u8, v: &View) -> Reply {
        if item == HISTORY && v.history.is_empty() {
            return self.message(Msg::NoHistory, None, v);
        }
        self.current = Self::entry(item);
        self.show(v)
    }

    fn t(&self, m: Msg) -> String {
        self.lang.s(m).into()
    }

    /// The proactive command for the current screen.
    fn render(&self, v: &View) -> Proactive {
        let l = self.lang;
        let pin = |m| input(self.t(m), 6, 6, true);
        let op = |m| input(self.t(m), 4, 12, true);
        let amount = |m| input(self.t(m), 1, 10, false);
        let items = |list: &[Msg]| -> Vec<Item> {
            list.iter()
                .enumerate()
                .map(|(i, m)| Item::new(i as u8 + 1, l.s(*m)))
                .collect()
        };
        match &self.current {
            Screen::OpGate(_) | Screen::OpToggle | Screen::OpOld => op(Msg::EnterOpPassword),
            Screen::OpNew => op(Msg::NewOpPassword),
            Screen::OpAgain(_) => op(Msg::NewOpPasswordAgain),
            Screen::MyWallet => select(l.s(Msg::MyWallet), items(&[Msg::TopUp, Msg::Balance])),
            Screen::TopUpAmount => amount(Msg::TopUpAmount),
            Screen::TopUpPin(_) | Screen::BillPin(..) | Screen::LimitPin(_) | Screen::PayOld => {
                pin(Msg::EnterPayPassword)
            }
            Screen::PayNew => pin(Msg::NewPayPassword),
            Screen::PayAgain(_) => pin(Msg::NewPayPasswordAgain),
            Screen::HistoryList => select(
                l.s(Msg::History),
                v.history
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Item::new(i as u8 + 1, history_label(r)))
                    .collect(),
            ),
            Screen::BillPhone => input(self.t(Msg::PhoneNumber), 11, 11, false),
            Screen::BillAmount(_) => amount(Msg::BillAmount),
            Screen::Settings => select(
                l.s(Msg::Settings),
                items(&[
                    Msg::OpPassword,
                    Msg::Limit,
                    Msg::ChangePayPassword,
                    Msg::CloseWallet,
                ]),
            ),
            Screen::OpMenu => select(
                l.s(Msg::OpPassword),
                items(&[Msg::EnableDisable, Msg::ChangeOp]),
            ),
            Screen::LimitMenu => select(
                &format!("{} {}", l.s(Msg::Limit), amount_text(l, v.limit)),
                items(&[Msg::SetLimit]),
            ),
            Screen::LimitAmount => amount(Msg::NewLimit),
            Screen::CloseConfirm => select(l.s(Msg::CloseWallet), items(&[Msg::ConfirmClose])),
            Screen::Message { text, .. } => Proactive::DisplayText {
                text: text.clone(),
                high_priority: false,
                wait_for_user: true,
            },
        }
    }

    fn show(&self, v: &View) -> Reply {
        Reply::Show(self.render(v))
    }

    /// Moves forward to `next` (the current screen is remembered for "back").
    fn go(&mut self, next: Screen, v: &View) -> Reply {
        let prev = std::mem::replace(&mut self.current, next);
        if !matches!(prev, Screen::Message { .. } | Screen::OpGate(_)) {
            self.stack.push(prev);
        }
        self.show(v)
    }

    /// Goes back one screen; ends the session from the first one.
    fn back(&mut self, v: &View) -> Reply {
        match self.stack.pop() {
            Some(s) => {
                self.current = s;
                self.show(v)
            }
            None => Reply::End,
        }
    }

    /// Shows `text`; after it, `resume` (None: the session ends).
    fn say(&mut self, text: String, resume: Option<Screen>, v: &View) -> Reply {
        self.current = Screen::Message {
            text,
            resume: resume.map(Box::new),
        };
        self.show(v)
    }

    fn message(&mut self, m: Msg, resume: Option<Screen>, v: &View) -> Reply {
        let text = self.t(m);
        self.say(text, resume, v)
    }

    /// Bad input: say why, then ask the same thing again.
    fn retry(&mut self, m: Msg, v: &View) -> Reply {
        let again = self.current.clone();
        self.message(m, Some(again), v)
    }

    /// A result: say it, then return to the nearest menu above (or end).
    fn result(&mut self, text: String, v: &View) -> Reply {
        while let Some(s) = self.stack.pop() {
            if s.is_menu() {
                return self.say(text, Some(s), v);
            }
        }
        self.say(text, None, v)
    }

    /// A refused operation, explained.
    fn problem(&mut self, p: Problem, context: Msg, w: &dyn Wallet) -> Result<Reply, Problem> {
        let v = w.view();
        let l = self.lang;
        let text = match p {
            Problem::Torn => return Err(Problem::Torn),
            Problem::Network(why) => format!("{} ({why})", l.s(Msg::NetworkError)),
            Problem::Card(sw) => match sw.0 {
                0x6983 => return Ok(self.message(Msg::PasswordLocked, None, &v)),
                0x63C0..=0x63CF => {
                    let text = l.wrong_password(sw.0 as u8 & 0x0F);
                    let again = self.current.clone();
                    return Ok(self.say(text, Some(again), &v));
                }
                0x6A81 => l.s(Msg::WalletIsClosed).into(),
                0x9401 => format!("{} [9401]", l.s(Msg::Insufficient)),
                0x6985 if context == Msg::TopUp => {
                    format!(
                        "{} {} [6985]",
                        l.s(Msg::OverCap),
                        amount_text(l, v.cap.saturating_sub(v.balance))
                    )
                }
                0x6985 => format!("{} {} [6985]", l.s(Msg::OverLimit), amount_text(l, v.limit)),
                _ => format!("{} [{sw}]", l.s(Msg::Refused)),
            },
        };
        Ok(self.result(text, &v))
    }

    /// The holder answered the current screen.
    pub fn respond(&mut self, tr: &TerminalResponse, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        let v = w.view();
        match tr.result {
            ResultCode::Ok | ResultCode::Other(0x01..=0x0F) => {}
            ResultCode::Back => {
                return Ok(match &self.current {
                    Screen::Message { resume, .. } => match resume.clone() {
                        Some(s) => {
                            self.current = *s;
                            self.show(&v)
                        }
                        None => Reply::End,
                    },
                    _ => self.back(&v),
                });
            }
            _ => return Ok(Reply::End),
        }
        let text = tr.text.clone().unwrap_or_default();
        let item = tr.item;
        let current = self.current.clone();
        match current {
            Screen::Message { resume, .. } => Ok(match resume {
                Some(s) => {
                    self.current = *s;
                    self.show(&v)
                }
                None => Reply::End,
            }),
            Screen::OpGate(entry) => {
                if let Some(m) = check_digits(&text, 4, 12, Msg::BadOpPassword) {
                    return Ok(self.retry(m, &v));
                }
                match w.check_password(true, &text) {
                    Ok(()) => Ok(self.enter(entry, &v)),
                    Err(Problem::Card(Sw::BLOCKED)) => Ok(self.message(Msg::MenuLocked, None, &v)),
                    Err(p) => self.problem(p, Msg::OpPassword, w),
                }
            }
            Screen::MyWallet => match item {
                Some(1) => Ok(self.go(Screen::TopUpAmount, &v)),
                Some(2) => {
                    let text = format!(
                        "{} {}",
                        self.t(Msg::BalanceIs),
                        amount_text(self.lang, v.balance)
                    );
                    let here = self.current.clone();
                    Ok(self.say(text, Some(here), &v))
                }
                _ => Ok(self.retry(Msg::BadChoice, &v)),
            },
            Screen::TopUpAmount => match parse_yuan(&text) {
                Err(m) => Ok(self.retry(m, &v)),
                Ok(fen) if u64::from(v.balance) + u64::from(fen) > u64::from(v.cap) => {
                    let t = format!(
                        "{} {}",
                        self.t(Msg::OverCap),
                        amount_text(self.lang, v.cap.saturating_sub(v.balance))
                    );
                    let again = self.current.clone();
                    Ok(self.say(t, Some(again), &v))
                }
                Ok(fen) => Ok(self.go(Screen::TopUpPin(fen), &v)),
            },
            Screen::TopUpPin(fen) => {
                if let Some(m) = check_digits(&text, 6, 6, Msg::BadPayPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(false, &text) {
                    return self.problem(p, Msg::TopUp, w);
                }
                match w.top_up(fen) {
                    Ok(balance) => {
                        let t = format!(
                            "{} {}, {} {}",
                            self.t(Msg::TopUpDone),
                            amount_text(self.lang, fen),
                            self.t(Msg::BalanceIs),
                            amount_text(self.lang, balance)
                        );
                        let v = w.view();
                        Ok(self.result(t, &v))
                    }
                    Err(p) => self.problem(p, Msg::TopUp, w),
                }
            }
            Screen::HistoryList => {
                match item.and_then(|i| v.history.get(usize::from(i).wrapping_sub(1))) {
                    Some(r) => {
                        let t = history_detail(self.lang, r);
                        let here = self.current.clone();
                        Ok(self.say(t, Some(here), &v))
                    }
                    None => Ok(self.retry(Msg::BadChoice, &v)),
                }
            }
            Screen::BillPhone => {
                if text.len() != 11
                    || !text.starts_with('1')
                    || !text.bytes().all(|b| b.is_ascii_digit())
                {
                    return Ok(self.retry(Msg::BadPhone, &v));
                }
                Ok(self.go(Screen::BillAmount(text), &v))
            }
            Screen::BillAmount(phone) => match parse_yuan(&text) {
                Err(m) => Ok(self.retry(m, &v)),
                Ok(fen) if fen > v.balance => {
                    let t = format!("{} [9401]", self.t(Msg::Insufficient));
                    let again = self.current.clone();
                    Ok(self.say(t, Some(again), &v))
                }
                Ok(fen) if fen > v.limit => {
                    let t = format!(
                        "{} {} [6985]",
                        self.t(Msg::OverLimit),
                        amount_text(self.lang, v.limit)
                    );
                    let again = self.current.clone();
                    Ok(self.say(t, Some(again), &v))
                }
                Ok(fen) => Ok(self.go(Screen::BillPin(phone, fen), &v)),
            },
            Screen::BillPin(phone, fen) => {
                if let Some(m) = check_digits(&text, 6, 6, Msg::BadPayPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(false, &text) {
                    return self.problem(p, Msg::PayBill, w);
                }
                match w.pay_bill(&phone, fen) {
                    Ok(balance) => {
                        let t = format!(
                            "{} {} {}, {} {}",
                            self.t(Msg::BillDone),
                            phone,
                            amount_text(self.lang, fen),
                            self.t(Msg::BalanceIs),
                            amount_text(self.lang, balance)
                        );
                        let v = w.view();
                        Ok(self.result(t, &v))
                    }
                    Err(p) => self.problem(p, Msg::PayBill, w),
                }
            }
            Screen::Settings => match item {
                Some(1) => Ok(self.go(Screen::OpMenu, &v)),
                Some(2) => Ok(self.go(Screen::LimitMenu, &v)),
                Some(3) => Ok(self.go(Screen::PayOld, &v)),
                Some(4) if v.balance != 0 => {
                    let t = format!(
                        "{} {}",
                        self.t(Msg::CloseNeedsZero),
                        amount_text(self.lang, v.balance)
                    );
                    let here = self.current.clone();
                    Ok(self.say(t, Some(here), &v))
                }
                Some(4) => Ok(self.go(Screen::CloseConfirm, &v)),
                _ => Ok(self.retry(Msg::BadChoice, &v)),
            },
            Screen::OpMenu => match item {
                Some(1) => Ok(self.go(Screen::OpToggle, &v)),
                Some(2) => Ok(self.go(Screen::OpOld, &v)),
                _ => Ok(self.retry(Msg::BadChoice, &v)),
            },
            Screen::OpToggle => {
                if let Some(m) = check_digits(&text, 4, 12, Msg::BadOpPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(true, &text) {
                    return self.problem(p, Msg::OpPassword, w);
                }
                let on = !v.op_enabled;
                if let Err(p) = w.set_operation_enabled(on) {
                    return self.problem(p, Msg::OpPassword, w);
                }
                let t = self.t(if on { Msg::OpNowOn } else { Msg::OpNowOff });
                Ok(self.result(t, &w.view()))
            }
            Screen::OpOld => {
                if let Some(m) = check_digits(&text, 4, 12, Msg::BadOpPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(true, &text) {
                    return self.problem(p, Msg::OpPassword, w);
                }
                // The old password is not needed again: "back" from here returns to the menu.
                self.current = Screen::OpNew;
                Ok(self.show(&v))
            }
            Screen::OpNew => match check_digits(&text, 4, 12, Msg::BadOpPassword) {
                Some(m) => Ok(self.retry(m, &v)),
                None => Ok(self.go(Screen::OpAgain(text), &v)),
            },
            Screen::OpAgain(first) => {
                if text != first {
                    self.stack.pop();
                    self.current = Screen::OpNew;
                    return Ok(self.message(Msg::Mismatch, Some(Screen::OpNew), &v));
                }
                if let Err(p) = w.set_password(true, &text) {
                    return self.problem(p, Msg::OpPassword, w);
                }
                let t = self.t(Msg::OpChanged);
                Ok(self.result(t, &w.view()))
            }
            Screen::LimitMenu => match item {
                Some(1) => Ok(self.go(Screen::LimitAmount, &v)),
                _ => Ok(self.retry(Msg::BadChoice, &v)),
            },
            Screen::LimitAmount => match parse_yuan(&text) {
                Err(m) => Ok(self.retry(m, &v)),
                Ok(fen) if fen > v.cap => {
                    let t = format!(
                        "{} {}",
                        self.t(Msg::LimitOverCap),
                        amount_text(self.lang, v.cap)
                    );
                    let again = self.current.clone();
                    Ok(self.say(t, Some(again), &v))
                }
                Ok(fen) => Ok(self.go(Screen::LimitPin(fen), &v)),
            },
            Screen::LimitPin(fen) => {
                if let Some(m) = check_digits(&text, 6, 6, Msg::BadPayPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(false, &text) {
                    return self.problem(p, Msg::Limit, w);
                }
                if let Err(p) = w.set_limit(fen) {
                    return self.problem(p, Msg::Limit, w);
                }
                let t = format!("{} {}", self.t(Msg::LimitSet), amount_text(self.lang, fen));
                Ok(self.result(t, &w.view()))
            }
            Screen::PayOld => {
                if let Some(m) = check_digits(&text, 6, 6, Msg::BadPayPassword) {
                    return Ok(self.retry(m, &v));
                }
                if let Err(p) = w.check_password(false, &text) {
                    return self.problem(p, Msg::ChangePayPassword, w);
                }
                self.current = Screen::PayNew;
                Ok(self.show(&v))
            }
            Screen::PayNew => match check_digits(&text, 6, 6, Msg::BadPayPassword) {
                Some(m) => Ok(self.retry(m, &v)),
                None => Ok(self.go(Screen::PayAgain(text), &v)),
            },
            Screen::PayAgain(first) => {
                if text != first {
                    self.stack.pop();
                    self.current = Screen::PayNew;
                    return Ok(self.message(Msg::Mismatch, Some(Screen::PayNew), &v));
                }
                if let Err(p) = w.set_password(false, &text) {
                    return self.problem(p, Msg::ChangePayPassword, w);
                }
                let t = self.t(Msg::PayChanged);
                Ok(self.result(t, &w.view()))
            }
            Screen::CloseConfirm => match item {
                Some(1) => match w.close_wallet() {
                    Ok(()) => Ok(self.message(Msg::ClosedDone, None, &w.view())),
                    Err(p) => self.problem(p, Msg::CloseWallet, w),
                },
                _ => Ok(self.retry(Msg::BadChoice, &v)),
            },
        }
    }
}

/// `None` if `s` is `min..=max` digits; else the message to show.
fn check_digits(s: &str, min: usize, max: usize, wrong_length: Msg) -> Option<Msg> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        Some(Msg::DigitsOnly)
    } else if !(min..=max).contains(&s.len()) {
        Some(wrong_length)
    } else {
        None
    }
}
