//! docs/spec.md §1: the wallet's SIM Toolkit menu as a pure state machine.
//!
//! The machine knows nothing about APDUs or the card's memory: it turns the holder's answers
//! ([`TerminalResponse`]s) into the next screen (a [`Proactive`] command) and asks a
//! [`Wallet`] (the card, in `toolkit.rs`) to do the real work: check a password, top up,
//! pay, change a setting. Every change goes through the wallet, which commits atomically; the
//! machine itself only holds what the holder typed so far (volatile, dropped with the session).
//!
//! # The tree is a table
//!
//! `ENTRIES` has one row per menu entry: the menu it is an item of, its item identifier, its
//! label ([`Msg`]) and what choosing it opens: the SELECT ITEM list of another menu's rows
//! (titled with the entry's label), or a flow. Showing and answering both read it: the SET UP
//! MENU ([`main_menu`]) and every list of entries are a menu's rows in table order, and the
//! identifier the handset answers is looked up in the same rows, so an item always opens the
//! entry it shows.
//!
//! A flow is one type (`TopUp`, `History`, `Bill`, `OpToggle`, `ChangePassword` for the
//! operation or the payment password, `Limit`, `Close`) whose variants or fields are its steps.
//! It implements `Steps`: how each step is shown (`render`) and what the holder's answer to it
//! does (`respond`, which returns a `Next`: forward to a step, say something and ask again, a
//! result, a refusal to explain, the over-the-air exchange). The table row names the flow's
//! `start` function, which gives its first step or only says something (Balance and a closed
//! wallet's item are nothing more; Top Up, History, Pay Phone Bill and Close Wallet say why they
//! cannot open). `Flow` holds the step of the running flow; the `flows!` list declares it.
//!
//! The session ([`Session`]) does the rest, the same for every entry: the operation password
//! asked before a SET UP MENU entry when it is on, the stack for "back", messages and retries,
//! a result returning to the nearest list above.
//!
//! Adding an entry: its row in `ENTRIES`; what it opens (a new `Menu`, a `start` function, or
//! a flow type named in `flows!`); its words in `menu_text.rs`.
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
//! command per step, each step ([`Air`]) the last step of the Top Up or Pay Phone Bill flow,
//! resumed by the handset's TERMINAL RESPONSE:
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

// ---------------------------------------------------------------------------------------------
// The menu tree

/// A menu: the SET UP MENU (of an open or a closed wallet) or a SELECT ITEM list below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Menu {
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
enum Opens {
    /// The SELECT ITEM list of this menu's entries, titled with the entry's label.
    Menu(Menu),
    /// A flow: where it starts, given what the wallet looks like.
    Flow(fn(Lang, &View) -> Start),
}

/// One menu entry: a row of [`ENTRIES`].
struct Entry {
    /// The menu it is an item of.
    menu: Menu,
    /// Its item identifier there (what the handset answers when it is chosen).
    id: u8,
    label: Msg,
    opens: Opens,
}

impl Entry {
    const fn new(menu: Menu, id: u8, label: Msg, opens: Opens) -> Entry {
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
const ENTRIES: &[Entry] = &[
    //         menu         id  label                   opens
    Entry::new(Menu::Main,       1, Msg::MyWallet,          Opens::Menu(Menu::MyWallet)),
    Entry::new(Menu::Main,       2, Msg::History,           Opens::Flow(History::start)),
    Entry::new(Menu::Main,       3, Msg::PayBill,           Opens::Flow(Bill::start)),
    Entry::new(Menu::Main,       4, Msg::Settings,          Opens::Menu(Menu::Settings)),
    Entry::new(Menu::Closed,     1, Msg::WalletClosedItem,  Opens::Flow(closed)),
    Entry::new(Menu::MyWallet,   1, Msg::TopUp,             Opens::Flow(TopUp::start)),
    Entry::new(Menu::MyWallet,   2, Msg::Balance,           Opens::Flow(balance)),
    Entry::new(Menu::Settings,   1, Msg::OpPassword,        Opens::Menu(Menu::OpPassword)),
    Entry::new(Menu::Settings,   2, Msg::Limit,             Opens::Flow(Limit::start)),
    Entry::new(Menu::Settings,   3, Msg::ChangePayPassword, Opens::Flow(ChangePassword::payment)),
    Entry::new(Menu::Settings,   4, Msg::CloseWallet,       Opens::Flow(Close::start)),
    Entry::new(Menu::OpPassword, 1, Msg::EnableDisable,     Opens::Flow(OpToggle::start)),
    Entry::new(Menu::OpPassword, 2, Msg::ChangeOp,          Opens::Flow(ChangePassword::operation)),
];

impl Menu {
    /// The SET UP MENU for the wallet's state.
    fn top(v: &View) -> Menu {
        if v.open { Menu::Main } else { Menu::Closed }
    }

    fn entries(self) -> impl Iterator<Item = &'static Entry> {
        ENTRIES.iter().filter(move |e| e.menu == self)
    }

    /// The entry the holder chose.
    fn entry(self, id: u8) -> Option<&'static Entry> {
        self.entries().find(|e| e.id == id)
    }

    fn items(self, l: Lang) -> Vec<Item> {
        self.entries()
            .map(|e| Item::new(e.id, l.s(e.label)))
            .collect()
    }

    /// The label of the entry that opens it; the SET UP MENU's is the wallet's title.
    fn title(self) -> Msg {
        ENTRIES
            .iter()
            .find(|e| matches!(e.opens, Opens::Menu(m) if m == self))
            .map_or(Msg::Title, |e| e.label)
    }
}

/// The SET UP MENU for the wallet's current state.
pub fn main_menu(lang: Lang, view: &View) -> Proactive {
    Proactive::SetUpMenu {
        title: lang.s(Msg::Title).into(),
        items: Menu::top(view).items(lang),
    }
}

// ---------------------------------------------------------------------------------------------
// Flows: what an entry does, one type per flow, its variants (or fields) its steps

/// How a flow opens.
enum Start {
    /// At this step.
    Step(Flow),
    /// It only shows this text (a result, or why it cannot open), then the menu it was chosen
    /// from is shown again (the session ends if that was the SET UP MENU).
    Say(String),
}

/// The holder's answer to a step.
struct Answer {
    /// GET INPUT: what was typed.
    text: String,
    /// SELECT ITEM: the item chosen.
    item: Option<u8>,
}

/// What the session does after a step's answer.
enum Next {
    /// Forward to this step; "back" returns to the one answered.
    Go(Flow),
    /// Forward to this step; "back" skips the one answered (not needed again).
    Replace(Flow),
    /// Bad input: say why, then ask the same again.
    Retry(Msg),
    /// Say this, then show the same step again.
    Say(String),
    /// Done or refused: say this, then return to the nearest menu above.
    Result(String),
    /// Say this, drop the step remembered before the answered one and ask this one instead.
    Restart(Msg, Flow),
    /// Say this, then the session ends.
    Finish(Msg),
    /// The wallet refused (in the flow named by the label): explained to the holder.
    Problem(Problem, Msg),
    /// Start the over-the-air exchange for this operation.
    Air(Ota),
    /// The handset answered this step of the exchange.
    Exchange(Air),
}

/// A flow's steps: how each is shown, and what the holder's answer to it does.
trait Steps {
    fn render(&self, l: Lang, v: &View) -> Proactive;
    /// The answer to this step (a success result: navigation is the session's).
    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next;
    /// A list the holder comes back to after a result further down the flow.
    fn is_menu(&self) -> bool {
        false
    }
    /// The step of the over-the-air exchange it waits for, if it does.
    fn air(&self) -> Option<&Air> {
        None
    }
}

/// Declares [`Flow`], the flow a session is in: one variant per flow type, each wrapping the
/// type's step, and the dispatch of [`Steps`] to it.
macro_rules! flows {
    ($($flow:ident),* $(,)?) => {
        /// The flow a session is in, at one of its steps.
        #[derive(Clone, Debug, PartialEq, Eq)]
        enum Flow {
            $($flow($flow),)*
        }

        $(impl From<$flow> for Flow {
            fn from(step: $flow) -> Flow {
                Flow::$flow(step)
            }
        })*

        impl Flow {
            fn render(&self, l: Lang, v: &View) -> Proactive {
                match self {
                    $(Flow::$flow(s) => s.render(l, v),)*
                }
            }

            fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
                match self {
                    $(Flow::$flow(s) => s.respond(a, l, v, w),)*
                }
            }

            fn is_menu(&self) -> bool {
                match self {
                    $(Flow::$flow(s) => s.is_menu(),)*
                }
            }

            fn air(&self) -> Option<&Air> {
                match self {
                    $(Flow::$flow(s) => s.air(),)*
                }
            }
        }
    };
}

flows!(TopUp, History, Bill, OpToggle, ChangePassword, Limit, Close);

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

/// GET INPUT of an amount in yuan.
fn amount(l: Lang, prompt: Msg) -> Proactive {
    input(l.s(prompt).into(), 1, 10, false)
}

/// The password kinds: `(min, max, wrong length)`.
fn password_rules(operation: bool) -> (u8, u8, Msg) {
    if operation {
        (4, 12, Msg::BadOpPassword)
    } else {
        (6, 6, Msg::BadPayPassword)
    }
}

/// GET INPUT of a password (hidden digits).
fn password_input(l: Lang, operation: bool, prompt: Msg) -> Proactive {
    let (min, max, _) = password_rules(operation);
    input(l.s(prompt).into(), min, max, true)
}

/// Checks that `text` has the password's form: `Err` is what to do instead.
fn password_form(text: &str, operation: bool) -> Result<(), Next> {
    let (min, max, wrong_length) = password_rules(operation);
    match check_digits(text, min.into(), max.into(), wrong_length) {
        Some(m) => Err(Next::Retry(m)),
        None => Ok(()),
    }
}

/// Checks the typed password with the wallet (spending a try); `context` names the flow for
/// the explanation of a refusal. `Err` is what to do instead.
fn password(a: &Answer, operation: bool, context: Msg, w: &mut dyn Wallet) -> Result<(), Next> {
    password_form(&a.text, operation)?;
    w.check_password(operation, &a.text)
        .map_err(|p| Next::Problem(p, context))
}

/// Balance: the offline balance.
fn balance(l: Lang, v: &View) -> Start {
    Start::Say(format!(
        "{} {}",
        l.s(Msg::BalanceIs),
        amount_text(l, v.balance)
    ))
}

/// A closed wallet's only item: it says so.
fn closed(l: Lang, _: &View) -> Start {
    Start::Say(l.s(Msg::WalletIsClosed).into())
}

/// Top Up: amount, payment password, then the over-the-air load.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TopUp {
    Amount,
    Pin(u32),
    Air(Air),
}

impl TopUp {
    fn start(l: Lang, v: &View) -> Start {
        if !v.bip {
            return Start::Say(l.s(Msg::NoBip).into());
        }
        Start::Step(TopUp::Amount.into())
    }
}

impl Steps for TopUp {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        match self {
            TopUp::Amount => amount(l, Msg::TopUpAmount),
            TopUp::Pin(_) => password_input(l, false, Msg::EnterPayPassword),
            TopUp::Air(step) => step.render(),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            TopUp::Amount => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if u64::from(v.balance) + u64::from(fen) > u64::from(v.cap) => {
                    Next::Say(format!(
                        "{} {}",
                        l.s(Msg::OverCap),
                        amount_text(l, v.cap.saturating_sub(v.balance))
                    ))
                }
                Ok(fen) => Next::Go(TopUp::Pin(fen).into()),
            },
            TopUp::Pin(fen) => match password(a, false, Msg::TopUp, w) {
                Err(next) => next,
                Ok(()) => Next::Air(Ota::TopUp { fen }),
            },
            TopUp::Air(step) => Next::Exchange(step),
        }
    }

    fn air(&self) -> Option<&Air> {
        match self {
            TopUp::Air(step) => Some(step),
            _ => None,
        }
    }
}

/// History: the log records, newest first; choosing one shows it in full.
#[derive(Clone, Debug, PartialEq, Eq)]
struct History;

impl History {
    /// An empty history is a message, not an empty list.
    fn start(l: Lang, v: &View) -> Start {
        if v.history.is_empty() {
            return Start::Say(l.s(Msg::NoHistory).into());
        }
        Start::Step(History.into())
    }
}

impl Steps for History {
    fn render(&self, l: Lang, v: &View) -> Proactive {
        let items = v.history.iter().enumerate();
        select(
            l.s(Msg::History),
            items
                .map(|(i, r)| Item::new(i as u8 + 1, history_label(r)))
                .collect(),
        )
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, _: &mut dyn Wallet) -> Next {
        match a
            .item
            .and_then(|i| v.history.get(usize::from(i).wrapping_sub(1)))
        {
            Some(r) => Next::Say(history_detail(l, r)),
            None => Next::Retry(Msg::BadChoice),
        }
    }

    fn is_menu(&self) -> bool {
        true
    }
}

/// Pay Phone Bill: phone number, amount, payment password, then the over-the-air payment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Bill {
    Phone,
    Amount(String),
    Pin(String, u32),
    Air(Air),
}

impl Bill {
    fn start(l: Lang, v: &View) -> Start {
        if !v.bip {
            return Start::Say(l.s(Msg::NoBip).into());
        }
        Start::Step(Bill::Phone.into())
    }
}

impl Steps for Bill {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        match self {
            Bill::Phone => input(l.s(Msg::PhoneNumber).into(), 11, 11, false),
            Bill::Amount(_) => amount(l, Msg::BillAmount),
            Bill::Pin(..) => password_input(l, false, Msg::EnterPayPassword),
            Bill::Air(step) => step.render(),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            Bill::Phone => {
                let text = &a.text;
                if text.len() != 11
                    || !text.starts_with('1')
                    || !text.bytes().all(|b| b.is_ascii_digit())
                {
                    return Next::Retry(Msg::BadPhone);
                }
                Next::Go(Bill::Amount(text.clone()).into())
            }
            Bill::Amount(phone) => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if fen > v.balance => {
                    Next::Say(format!("{} [9401]", l.s(Msg::Insufficient)))
                }
                Ok(fen) if fen > v.limit => Next::Say(format!(
                    "{} {} [6985]",
                    l.s(Msg::OverLimit),
                    amount_text(l, v.limit)
                )),
                Ok(fen) => Next::Go(Bill::Pin(phone, fen).into()),
            },
            Bill::Pin(phone, fen) => match password(a, false, Msg::PayBill, w) {
                Err(next) => next,
                Ok(()) => Next::Air(Ota::Bill { phone, fen }),
            },
            Bill::Air(step) => Next::Exchange(step),
        }
    }

    fn air(&self) -> Option<&Air> {
        match self {
            Bill::Air(step) => Some(step),
            _ => None,
        }
    }
}

/// Operation password, Enable/Disable: the current operation password, then the switch.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OpToggle;

impl OpToggle {
    fn start(_: Lang, _: &View) -> Start {
        Start::Step(OpToggle.into())
    }
}

impl Steps for OpToggle {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        password_input(l, true, Msg::EnterOpPassword)
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        if let Err(next) = password(a, true, Msg::OpPassword, w) {
            return next;
        }
        let on = !v.op_enabled;
        if let Err(p) = w.set_operation_enabled(on) {
            return Next::Problem(p, Msg::OpPassword);
        }
        Next::Result(l.s(if on { Msg::OpNowOn } else { Msg::OpNowOff }).into())
    }
}

/// Change the operation or the payment password: old, new, new again.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ChangePassword {
    /// The operation password (else the payment password).
    operation: bool,
    step: Change,
}

/// The steps of [`ChangePassword`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Change {
    Old,
    New,
    /// The new password again; the first entry.
    Again(String),
}

impl ChangePassword {
    fn operation(_: Lang, _: &View) -> Start {
        Start::Step(ChangePassword::at(true, Change::Old))
    }

    fn payment(_: Lang, _: &View) -> Start {
        Start::Step(ChangePassword::at(false, Change::Old))
    }

    fn at(operation: bool, step: Change) -> Flow {
        ChangePassword { operation, step }.into()
    }

    /// The flow's name for explanations, and its result.
    fn words(&self) -> (Msg, Msg) {
        if self.operation {
            (Msg::OpPassword, Msg::OpChanged)
        } else {
            (Msg::ChangePayPassword, Msg::PayChanged)
        }
    }
}

impl Steps for ChangePassword {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        let prompt = match (self.operation, &self.step) {
            (true, Change::Old) => Msg::EnterOpPassword,
            (true, Change::New) => Msg::NewOpPassword,
            (true, Change::Again(_)) => Msg::NewOpPasswordAgain,
            (false, Change::Old) => Msg::EnterPayPassword,
            (false, Change::New) => Msg::NewPayPassword,
            (false, Change::Again(_)) => Msg::NewPayPasswordAgain,
        };
        password_input(l, self.operation, prompt)
    }

    fn respond(self, a: &Answer, l: Lang, _: &View, w: &mut dyn Wallet) -> Next {
        let op = self.operation;
        let (context, done) = self.words();
        match self.step {
            Change::Old => match password(a, op, context, w) {
                Err(next) => next,
                // The old password is not needed again: "back" from here returns to the menu.
                Ok(()) => Next::Replace(ChangePassword::at(op, Change::New)),
            },
            Change::New => match password_form(&a.text, op) {
                Err(next) => next,
                Ok(()) => Next::Go(ChangePassword::at(op, Change::Again(a.text.clone()))),
            },
            Change::Again(first) => {
                if a.text != first {
                    return Next::Restart(Msg::Mismatch, ChangePassword::at(op, Change::New));
                }
                match w.set_password(op, &a.text) {
                    Ok(()) => Next::Result(l.s(done).into()),
                    Err(p) => Next::Problem(p, context),
                }
            }
        }
    }
}

/// Single-Payment Limit: shows the limit and offers to set a new one (amount, then the payment
/// password).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Limit {
    Shown,
    Amount,
    Pin(u32),
}

impl Limit {
    fn start(_: Lang, _: &View) -> Start {
        Start::Step(Limit::Shown.into())
    }
}

impl Steps for Limit {
    fn render(&self, l: Lang, v: &View) -> Proactive {
        match self {
            Limit::Shown => select(
                &format!("{} {}", l.s(Msg::Limit), amount_text(l, v.limit)),
                vec![Item::new(1, l.s(Msg::SetLimit))],
            ),
            Limit::Amount => amount(l, Msg::NewLimit),
            Limit::Pin(_) => password_input(l, false, Msg::EnterPayPassword),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            Limit::Shown => match a.item {
                Some(1) => Next::Go(Limit::Amount.into()),
                _ => Next::Retry(Msg::BadChoice),
            },
            Limit::Amount => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if fen > v.cap => Next::Say(format!(
                    "{} {}",
                    l.s(Msg::LimitOverCap),
                    amount_text(l, v.cap)
                )),
                Ok(fen) => Next::Go(Limit::Pin(fen).into()),
            },
            Limit::Pin(fen) => {
                if let Err(next) = password(a, false, Msg::Limit, w) {
                    return next;
                }
                match w.set_limit(fen) {
                    Ok(()) => {
                        Next::Result(format!("{} {}", l.s(Msg::LimitSet), amount_text(l, fen)))
                    }
                    Err(p) => Next::Problem(p, Msg::Limit),
                }
            }
        }
    }

    fn is_menu(&self) -> bool {
        matches!(self, Limit::Shown)
    }
}

/// Close Wallet: only at a zero balance, after a confirmation item.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Close;

impl Close {
    fn start(l: Lang, v: &View) -> Start {
        if v.balance != 0 {
            return Start::Say(format!(
                "{} {}",
                l.s(Msg::CloseNeedsZero),
                amount_text(l, v.balance)
            ));
        }
        Start::Step(Close.into())
    }
}

impl Steps for Close {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        select(
            l.s(Msg::CloseWallet),
            vec![Item::new(1, l.s(Msg::ConfirmClose))],
        )
    }

    fn respond(self, a: &Answer, _: Lang, _: &View, w: &mut dyn Wallet) -> Next {
        match a.item {
            Some(1) => match w.close_wallet() {
                Ok(()) => Next::Finish(Msg::ClosedDone),
                Err(p) => Next::Problem(p, Msg::CloseWallet),
            },
            _ => Next::Retry(Msg::BadChoice),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The session: navigation between menus and flow steps

/// A screen of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Screen {
    /// The operation password, asked before the SET UP MENU entry with this identifier.
    Gate(u8),
    /// A SELECT ITEM list of menu entries.
    Menu(Menu),
    /// A step of a flow (a step of the over-the-air exchange is never on the stack).
    Flow(Flow),
    /// A DISPLAY TEXT; after it, `resume` (or the end of the session).
    Message {
        text: String,
        resume: Option<Box<Screen>>,
    },
}

impl Screen {
    fn is_menu(&self) -> bool {
        match self {
            Screen::Menu(_) => true,
            Screen::Flow(f) => f.is_menu(),
            Screen::Gate(_) | Screen::Message { .. } => false,
        }
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

impl Session {
    /// A MENU SELECTION of `item` from the SET UP MENU. `None`: not an item of the menu.
    pub fn start(lang: Lang, item: u8, w: &mut dyn Wallet) -> Option<(Session, Reply)> {
        let view = w.view();
        Menu::top(&view).entry(item)?;
        let mut s = Session {
            lang,
            stack: Vec::new(),
            current: Screen::Gate(item),
        };
        let reply = if !view.open {
            s.enter(item, &view)
        } else if view.op_enabled && view.op_tries_left == 0 {
            s.message(Msg::MenuLocked, None, &view)
        } else if view.op_enabled {
            s.show(&view)
        } else {
            s.enter(item, &view)
        };
        Some((s, reply))
    }

    /// Enters the SET UP MENU entry `item` (the operation password, if on, was given).
    fn enter(&mut self, item: u8, v: &View) -> Reply {
        match Menu::top(v).entry(item) {
            Some(e) => self.open(e, v),
            None => Reply::End,
        }
    }

    /// Opens the chosen entry, from the SELECT ITEM list shown (or from the SET UP MENU).
    fn open(&mut self, e: &Entry, v: &View) -> Reply {
        match e.opens {
            Opens::Menu(m) => self.go(Screen::Menu(m), v),
            Opens::Flow(start) => match start(self.lang, v) {
                Start::Step(f) => self.go(Screen::Flow(f), v),
                Start::Say(text) => {
                    let here =
                        matches!(self.current, Screen::Menu(_)).then(|| self.current.clone());
                    self.say(text, here, v)
                }
            },
        }
    }

    fn t(&self, m: Msg) -> String {
        self.lang.s(m).into()
    }

    /// The proactive command for the current screen.
    fn render(&self, v: &View) -> Proactive {
        let l = self.lang;
        match &self.current {
            Screen::Gate(_) => password_input(l, true, Msg::EnterOpPassword),
            Screen::Menu(m) => select(l.s(m.title()), m.items(l)),
            Screen::Flow(f) => f.render(l, v),
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
        if !matches!(prev, Screen::Message { .. } | Screen::Gate(_)) {
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
        // A step of the over-the-air exchange reads the handset's result itself.
        let exchange = matches!(&self.current, Screen::Flow(f) if f.air().is_some());
        if !exchange {
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
        }
        let a = Answer {
            text: tr.text.clone().unwrap_or_default(),
            item: tr.item,
        };
        let next = match self.current.clone() {
            Screen::Message { resume, .. } => {
                return Ok(match resume {
                    Some(s) => {
                        self.current = *s;
                        self.show(&v)
                    }
                    None => Reply::End,
                });
            }
            Screen::Gate(item) => match password(&a, true, Msg::OpPassword, w) {
                Ok(()) => return Ok(self.enter(item, &v)),
                Err(Next::Problem(Problem::Card(Sw::BLOCKED), _)) => Next::Finish(Msg::MenuLocked),
                Err(next) => next,
            },
            Screen::Menu(m) => match a.item.and_then(|id| m.entry(id)) {
                Some(e) => return Ok(self.open(e, &v)),
                None => Next::Retry(Msg::BadChoice),
            },
            Screen::Flow(f) => f.respond(&a, self.lang, &v, w),
        };
        self.follow(next, tr, w)
    }

    /// Does what a step's answer asked for.
    fn follow(
        &mut self,
        next: Next,
        tr: &TerminalResponse,
        w: &mut dyn Wallet,
    ) -> Result<Reply, Problem> {
        let v = w.view();
        Ok(match next {
            Next::Go(f) => self.go(Screen::Flow(f), &v),
            Next::Replace(f) => {
                self.current = Screen::Flow(f);
                self.show(&v)
            }
            Next::Retry(m) => self.retry(m, &v),
            Next::Say(text) => {
                let here = self.current.clone();
                self.say(text, Some(here), &v)
            }
            Next::Result(text) => self.result(text, &v),
            Next::Restart(m, f) => {
                self.stack.pop();
                self.message(m, Some(Screen::Flow(f)), &v)
            }
            Next::Finish(m) => self.message(m, None, &v),
            Next::Problem(p, context) => return self.problem(p, context, w),
            Next::Air(op) => return self.open_air(op, w),
            Next::Exchange(step) => return self.air(step, tr, w),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The over-the-air exchange, a step of Top Up or Pay Phone Bill

impl Air {
    fn op(&self) -> &Ota {
        match self {
            Air::Opening { op, .. }
            | Air::Sending { op, .. }
            | Air::Receiving { op, .. }
            | Air::Closing { op, .. } => op,
        }
    }

    fn render(&self) -> Proactive {
        match self {
            Air::Opening { .. } => Proactive::OpenChannel {
                bearer: vec![0x03],
                buffer_size: OTA_BUFFER,
                transport: Some((0x02, OTA_PORT)),
                destination: Some([&[0x21][..], &OTA_GATEWAY].concat()),
            },
            Air::Sending {
                channel, request, ..
            } => Proactive::SendData {
                channel: *channel,
                data: request.clone(),
                immediate: true,
            },
            Air::Receiving { channel, .. } => Proactive::ReceiveData {
                channel: *channel,
                length: OTA_ANSWER_LEN as u8,
            },
            Air::Closing { channel, .. } => Proactive::CloseChannel { channel: *channel },
        }
    }

    /// The screen of this step: a step of the flow its operation belongs to.
    fn screen(self) -> Screen {
        Screen::Flow(match self.op() {
            Ota::TopUp { .. } => TopUp::Air(self).into(),
            Ota::Bill { .. } => Bill::Air(self).into(),
        })
    }
}

impl Session {
    /// The payment password verified: open the operation and ask for a channel.
    fn open_air(&mut self, op: Ota, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        match w.ota_begin(&op) {
            Ok(request) => {
                self.current = Air::Opening { op, request }.screen();
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
        self.current = next.screen();
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

#[cfg(test)]
mod tests {
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
            "The wallet is closed: no payments or top-ups [6A81]",
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
            assert_eq!(says(&wrong), "Wrong password, 4 tries left [63C4]");
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
}
