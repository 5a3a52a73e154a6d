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
//! Files: `table.rs` (the tree), `flow.rs` (what every flow shares: `Steps`, `Start`, `Next`,
//! input screens, password checks), `flows/` (one file per flow), `session.rs` (navigation),
//! `help.rs` (which help text each screen has; the texts are in `menu_help.rs`), `air.rs` (the
//! over-the-air steps), `tests.rs`.
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
//!   session ends if the flow was started straight from the SET UP MENU;
//! * help: every SET UP MENU, SELECT ITEM and GET INPUT the holder answers says help is
//!   available (qualifier b8). Help on a SET UP MENU item (MENU SELECTION with `15 00`) is a
//!   DISPLAY TEXT of the item's help, then the session ends; result `13` to a SELECT ITEM or
//!   GET INPUT shows that screen's help (for a list of entries, the help of the item named in
//!   the answer), then the same screen again. Nothing typed so far is lost.
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
use crate::stk::{Item, LocalTime, Proactive, ResultCode, TerminalResponse};
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
    /// The termID the card records its menu's bill payments at (the profile's operator
    /// termID): History shows a purchase there as a bill payment.
    pub operator_term_id: [u8; 6],
    /// The handset's TERMINAL PROFILE offers the Bearer Independent Protocol (over-the-air
    /// operations possible).
    pub bip: bool,
    /// The handset's TERMINAL PROFILE offers PROVIDE LOCAL INFORMATION (date, time and time
    /// zone): the card can ask it the time.
    pub clock: bool,
    /// The payment password is locked (its tries are exhausted).
    pub pay_locked: bool,
    /// The issuer cancelled the phone number: loads are refused.
    pub cancelled: bool,
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
    /// The handset told the time (PROVIDE LOCAL INFORMATION): a locked payment password is
    /// stamped with it, or unlocks when it locked 24 hours before.
    fn note_time(&mut self, _time: &LocalTime) -> Done<()> {
        Ok(())
    }
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

mod air;
mod flow;
mod flows;
mod help;
mod session;
mod table;
#[cfg(test)]
mod tests;

use air::*;
use flow::*;
use flows::*;
pub(crate) use help::*;
pub use session::*;
pub use table::main_menu;
use table::*;
