//! docs/spec.md §1: the wallet's SIM Toolkit menu as a pure state machine.
//!
//! The machine knows nothing about APDUs or the card's memory: it turns the holder's answers
//! ([`TerminalResponse`]s) into the next screen (a [`Proactive`] command) and asks a
//! [`Wallet`] (the card, in `toolkit.rs`) to do the real work: check a password, top up,
//! pay, change a setting. Every change goes through the wallet, which commits atomically; the
//! machine itself only holds what the holder typed so far (volatile, dropped with the session).
//!
//! Navigation (decisions where docs/spec.md is silent):
//! * every screen that leads somewhere is pushed on a stack; "back" (`11`) re-shows the
//!   previous screen, and from the first screen of a session ends it (the handset shows its
//!   SET UP MENU again); "end" (`10`), a time-out (`12`) or any other non-success result end
//!   the session with nothing changed that was not already confirmed;
//! * bad input gets a DISPLAY TEXT, then the same input is asked again;
//! * a wrong password shows the tries left, then asks again; a locked one ends the session;
//! * after a result (done or refused) the holder returns to the nearest menu above, or the
//!   session ends if the flow was started straight from the SET UP MENU.
//!
//! # Over the air: waiting for the network
//!
//! Top Up and Pay Phone Bill need the issuer. The card cannot reach it by itself: it asks the
//! handset to, with the Bearer Independent Protocol (TS 102 223 §6.4.27-31), one proactive
//! command per step, each step a state of the session ([`Air`]) resumed by the handset's
//! TERMINAL RESPONSE:
//!
//! 1. the payment password verifies; the wallet opens the transaction (the INITIALIZE-like
//!    session with MAC1, kept in volatile memory) and encodes the request
//!    ([`stk_domain::issuer::OtaRequest`]);
//! 2. OPEN CHANNEL (default bearer, TCP client to [`OTA_GATEWAY`]:[`OTA_PORT`]);
//! 3. SEND DATA (the request, sent at once) on the channel the handset opened;
//! 4. RECEIVE DATA of [`stk_domain::issuer::OTA_ANSWER_LEN`] bytes (the issuer's answer);
//!    the wallet checks it (MAC2 for a load) and commits;
//! 5. CLOSE CHANNEL; then the result screen.
//!
//! Why BIP and not SEND SHORT MESSAGE: the request and its answer stay inside one proactive
//! session (the card asks and is answered in TERMINAL RESPONSEs, no SMS-PP download
//! ENVELOPE arriving later outside the session, no message concatenation or SMS centre
//! address to manage), the handset reports a missing network at once (OPEN CHANNEL fails)
//! instead of an SMS that may be delivered much later, and it is what deployed wallet and
//! OTA SIMs use for interactive services (SCP80 over SMS is kept for bulk remote management).
//! The answer's length is fixed, so the card reads it with RECEIVE DATA right after SEND DATA
//! instead of waiting for a Data Available event (no SET UP EVENT LIST needed).
//!
//! Failures: OPEN CHANNEL refused by the handset (`20`, `21` network unable, `3A` BIP error,
//! any other non-success) or a channel that is not established is "network down" and shows
//! the same text as `H-UNREACHABLE`; a failure after the channel opened closes the channel
//! and shows the same. "End" (`10`) or a time-out (`12`) at any step drops the transaction and
//! ends the session; "back" (`11`) drops it and goes back a screen. The open transaction is
//! dropped whenever the session ends (and by power loss): nothing is committed before the
//! issuer's answer has been checked. A handset whose TERMINAL PROFILE lacks BIP
//! ([`View::bip`]) is told so when the holder chooses Top Up or Pay Phone Bill, before any
//! password is asked.

use super::menu_text::{Lang, Msg, amount_text, history_detail, history_label, parse_yuan};
use crate::issuer::{HostError, OTA_ANSWER_LEN};
use crate::stk::{Item, Proactive, ResultCode, TerminalResponse};
use crate::sw::Sw;

/// The issuer's over-the-air gateway the card opens its channel to (IPv4).
pub const OTA_GATEWAY: [u8; 4] = [10, 0, 0, 1];
/// Its TCP port.
pub const OTA_PORT: u16 = 8080;
/// The channel buffer the card asks for (bytes; the largest message is 36).
pub const OTA_BUFFER: u16 = 256;

/// One log record, decoded (docs/spec.md §2).
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
    /// The handset's TERMINAL PROFILE offers the Bearer Independent Protocol (over-the-air
    /// operations possible).
    pub bip: bool,
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
    /// Opens an over-the-air operation: the transaction is opened (and held, volatile, until
    /// [`Wallet::ota_finish`] or [`Wallet::ota_abort`]); returns the request for SEND DATA.
    fn ota_begin(&mut self, op: &Ota) -> Done<Vec<u8>>;
    /// The issuer's answer to the open operation: checked, then committed; the new balance.
    fn ota_finish(&mut self, answer: &[u8]) -> Done<u32>;
    /// Drops the open operation with nothing committed.
    fn ota_abort(&mut self);
    fn close_wallet(&mut self) -> Done<()>;
}

/// An over-the-air operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ota {
    /// Over-the-air load of `fen`.
    TopUp { fen: u32 },
    /// Bill payment of `fen` for `phone`, recorded as a purchase at the operator's termID.
    Bill { phone: String, fen: u32 },
}

/// A step of the over-the-air exchange: the proactive command shown, waiting for its
/// TERMINAL RESPONSE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Air {
    /// OPEN CHANNEL is out; `request` goes next.
    Opening { op: Ota, request: Vec<u8> },
    /// SEND DATA of `request` on `channel`.
    Sending {
        op: Ota,
        channel: u8,
        request: Vec<u8>,
    },
    /// RECEIVE DATA of the answer.
    Receiving { op: Ota, channel: u8 },
    /// CLOSE CHANNEL; then `then`.
    Closing { op: Ota, channel: u8, then: AirEnd },
}

/// How an exchange ends once its channel is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AirEnd {
    /// Committed: the new balance.
    Done(u32),
    /// Refused or failed: explained to the holder.
    Failed(Problem),
    /// The holder pressed "back".
    Back,
    /// "End" or a time-out: the session ends.
    Quit,
}

impl Ota {
    fn context(&self) -> Msg {
        match self {
            Ota::TopUp { .. } => Msg::TopUp,
            Ota::Bill { .. } => Msg::PayBill,
        }
    }
}

/// "Network down": what the holder sees when the handset cannot carry the exchange.
fn unreachable() -> Problem {
    Problem::Network(HostError::Unreachable.to_string())
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
    /// Waiting for the network (never on the stack).
    Air(Air),
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
        if item == PAY_BILL && !v.bip {
            return self.message(Msg::NoBip, None, v);
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
            Screen::Air(Air::Opening { .. }) => Proactive::OpenChannel {
                bearer: vec![0x03],
                buffer_size: OTA_BUFFER,
                transport: Some((0x02, OTA_PORT)),
                destination: Some([&[0x21][..], &OTA_GATEWAY].concat()),
            },
            Screen::Air(Air::Sending {
                channel, request, ..
            }) => Proactive::SendData {
                channel: *channel,
                data: request.clone(),
                immediate: true,
            },
            Screen::Air(Air::Receiving { channel, .. }) => Proactive::ReceiveData {
                channel: *channel,
                length: OTA_ANSWER_LEN as u8,
            },
            Screen::Air(Air::Closing { channel, .. }) => {
                Proactive::CloseChannel { channel: *channel }
            }
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
        if let Screen::Air(step) = self.current.clone() {
            return self.air(step, tr, w);
        }
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
                Some(1) if !v.bip => {
                    let here = self.current.clone();
                    Ok(self.message(Msg::NoBip, Some(here), &v))
                }
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
                self.open_air(Ota::TopUp { fen }, w)
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
                self.open_air(Ota::Bill { phone, fen }, w)
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
            // Handled above, before the result code is read.
            Screen::Air(step) => self.air(step, tr, w),
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

impl Session {
    /// The payment password verified: open the operation and ask for a channel.
    fn open_air(&mut self, op: Ota, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        match w.ota_begin(&op) {
            Ok(request) => {
                self.current = Screen::Air(Air::Opening { op, request });
                Ok(self.show(&w.view()))
            }
            Err(p) => self.problem(p, op.context(), w),
        }
    }

    /// The handset answered a step of the exchange.
    fn air(
        &mut self,
        step: Air,
        tr: &TerminalResponse,
        w: &mut dyn Wallet,
    ) -> Result<Reply, Problem> {
        let ok = tr.result.is_success();
        // Why a step failed, once the handset did not carry it out.
        let failed = |tr: &TerminalResponse| match tr.result {
            ResultCode::EndedByUser | ResultCode::NoResponse => AirEnd::Quit,
            ResultCode::Back => AirEnd::Back,
            _ => AirEnd::Failed(unreachable()),
        };
        let next = match step {
            Air::Opening { op, request } => {
                let channel = tr
                    .channel_status
                    .filter(|s| s[0] & 0x80 != 0 && s[0] & 0x07 != 0)
                    .map(|s| s[0] & 0x07);
                match channel {
                    Some(channel) if ok => Air::Sending {
                        op,
                        channel,
                        request,
                    },
                    // No channel: nothing to close.
                    _ => {
                        w.ota_abort();
                        let end = if ok {
                            AirEnd::Failed(unreachable())
                        } else {
                            failed(tr)
                        };
                        return self.air_end(&op, end, w);
                    }
                }
            }
            Air::Sending { op, channel, .. } if ok => Air::Receiving { op, channel },
            Air::Receiving { op, channel } if ok => {
                let then = match w.ota_finish(tr.channel_data.as_deref().unwrap_or_default()) {
                    Ok(balance) => AirEnd::Done(balance),
                    Err(Problem::Torn) => return Err(Problem::Torn),
                    Err(p) => AirEnd::Failed(p),
                };
                Air::Closing { op, channel, then }
            }
            Air::Sending { op, channel, .. } | Air::Receiving { op, channel } => {
                w.ota_abort();
                Air::Closing {
                    op,
                    channel,
                    then: failed(tr),
                }
            }
            // Whatever the handset says about closing, the exchange is over.
            Air::Closing { op, then, .. } => return self.air_end(&op, then, w),
        };
        self.current = Screen::Air(next);
        Ok(self.show(&w.view()))
    }

    /// The exchange is over (its channel, if any, closed).
    fn air_end(&mut self, op: &Ota, end: AirEnd, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        let v = w.view();
        match end {
            AirEnd::Done(balance) => {
                let l = self.lang;
                let t = match op {
                    Ota::TopUp { fen } => format!(
                        "{} {}, {} {}",
                        l.s(Msg::TopUpDone),
                        amount_text(l, *fen),
                        l.s(Msg::BalanceIs),
                        amount_text(l, balance)
                    ),
                    Ota::Bill { phone, fen } => format!(
                        "{} {} {}, {} {}",
                        l.s(Msg::BillDone),
                        phone,
                        amount_text(l, *fen),
                        l.s(Msg::BalanceIs),
                        amount_text(l, balance)
                    ),
                };
                Ok(self.result(t, &v))
            }
            AirEnd::Failed(p) => self.problem(p, op.context(), w),
            AirEnd::Back => Ok(self.back(&v)),
            AirEnd::Quit => Ok(Reply::End),
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
