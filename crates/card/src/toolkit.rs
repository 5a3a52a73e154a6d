//! docs/spec.md 1.1: the card's SIM Toolkit engine on the contact interface.
//!
//! TERMINAL PROFILE, FETCH, TERMINAL RESPONSE and ENVELOPE (MENU SELECTION), CLA `80` or `A0`.
//! The engine holds at most one proactive command at a time and the open menu session
//! ([`menu::Session`]); both are volatile (power off drops them). Decisions where docs/spec.md is
//! silent, all answered with the refusal reason in [`Card::last_refusal`]:
//!
//! * toolkit commands on the contactless interface: `6D00` (the toolkit is the handset's);
//! * FETCH with nothing pending: `6985`; FETCH with a wrong Le: `6Cxx` (xx = the length);
//!   Le `00` (256) is accepted; a command may be fetched again until it is answered;
//! * TERMINAL RESPONSE with nothing fetched: `6985`; undecodable: `6A80`; whose command
//!   details do not match the pending command: `6A80` (the command stays pending);
//! * ENVELOPE before any TERMINAL PROFILE: `6985`; while a proactive command is pending or a
//!   menu session is open: `9300`; not a MENU SELECTION or an item not in the menu: `6A80`;
//! * a MENU SELECTION with the help request (tag 15, `95 00`) on an item of the SET UP MENU answers
//!   with a DISPLAY TEXT of the item's help, without asking the operation password; once the
//!   handset acknowledges it, the card is idle again (the SET UP MENU is not sent again);
//! * result `13` (help information required) to a SELECT ITEM or GET INPUT shows that
//!   screen's help, then asks the same again ([`menu`]);
//! * UCS2 only when the TERMINAL PROFILE has byte 2 b7; a Chinese profile with a handset that
//!   cannot show UCS2 falls back to the English labels;
//! * command numbers count from 1 after each TERMINAL PROFILE (wrapping 254 → 1);
//! * PROVIDE LOCAL INFORMATION (date, time) only when the TERMINAL PROFILE has byte 8 b3; an
//!   answer `20 xx` to it is not kept for the next STATUS (the balance is shown without a time).
//!
//! Over the air (Top Up, Pay Phone Bill): the card never calls out. It hands its request to
//! the handset in Bearer Independent Protocol commands (OPEN CHANNEL, SEND DATA, RECEIVE DATA,
//! CLOSE CHANNEL; see [`menu`] for the steps and why BIP) and resumes with each TERMINAL
//! RESPONSE. For a load it computes MAC1 as INITIALIZE FOR LOAD does (at the operator's
//! termID), keeps that session in volatile memory while the exchange runs, verifies the
//! issuer's MAC2 over the issuer's date and time from the answer and commits through the same
//! path as CREDIT FOR LOAD. A bill payment opens a purchase session, sends the bill to the
//! issuer and commits like DEBIT FOR PURCHASE at the date and time of the issuer's approval.
//! The date and time come in the issuer's answer rather than from PROVIDE LOCAL INFORMATION
//! (which only Balance uses, for its "as of"):
//! a load's MAC2 covers the date and time the issuer chose, so the card must use those, and
//! one clock (the issuer's) then stamps both kinds of record. The open session is dropped when
//! the menu session ends, at the next TERMINAL PROFILE and at power loss; before committing,
//! the card checks the purse did not change meanwhile (a POS on the contactless interface),
//! as CREDIT/DEBIT do.

use super::command::TxKind;
use super::menu::{self, Done, Ota, Problem, Reply, View, Wallet};
use super::menu_text::{Lang, Msg};
use super::purse::{USAGE_LOAD, Via};
use super::state::{Password, Write};
use super::{Card, Fail, Handled, Interface, Pending as Opened, refuse};
use crate::apdu::ResponseApdu;
use crate::crypto;
use crate::issuer::{OTA_BILL, OTA_LOAD, OtaAnswer, OtaBill, OtaLoad, OtaRequest};
use crate::profile::Language;
use crate::stk::{
    Envelope, Proactive, ProactiveCommand, ResultCode, TerminalProfile, TerminalResponse,
};
use crate::sw::Sw;

/// A proactive command waiting to be fetched or answered.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    cmd: ProactiveCommand,
    bytes: Vec<u8>,
    fetched: bool,
}

/// The toolkit's volatile state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Toolkit {
    /// The TERMINAL PROFILE (None: the handset has not sent one since power-up).
    profile: Option<Vec<u8>>,
    last_number: u8,
    pending: Option<Pending>,
    session: Option<menu::Session>,
    /// The SET UP MENU the handset last acknowledged.
    shown_menu: Option<Proactive>,
    /// The transaction opened for an over-the-air operation, waiting for the issuer's answer.
    air: Option<Opened>,
    /// A command the handset answered "busy" (`20 xx`): offered again at the next STATUS.
    deferred: Option<Proactive>,
    /// The handset refused SET UP MENU (`30`, `32`, …): not sent again until the next TERMINAL
    /// PROFILE, so there is no resend loop.
    menu_declined: bool,
}

impl Toolkit {
    fn ucs2(&self) -> bool {
        self.profile
            .as_deref()
            .is_some_and(|p| TerminalProfile(p).ucs2_display())
    }

    /// Whether a proactive session is open (an ENVELOPE now gets `9300`).
    pub fn busy(&self) -> bool {
        self.pending.is_some() || self.session.is_some()
    }

    /// Whether an over-the-air transaction is open (waiting for the issuer's answer).
    pub fn air_open(&self) -> bool {
        self.air.is_some()
    }

    /// The length of a proactive command queued and not yet fetched: what STATUS signals with
    /// `91xx`.
    pub fn waiting(&self) -> Option<usize> {
        self.pending
            .as_ref()
            .filter(|p| !p.fetched)
            .map(|p| p.bytes.len())
    }

    fn bip(&self) -> bool {
        self.profile
            .as_deref()
            .is_some_and(|p| TerminalProfile(p).bip())
    }
}

fn ok_or_proactive(tk: &Toolkit) -> ResponseApdu {
    match &tk.pending {
        Some(p) => ResponseApdu::status(Sw::proactive(p.bytes.len())),
        None => ResponseApdu::status(Sw::OK),
    }
}

impl Card {
    /// The toolkit state (for tests and logs).
    pub fn toolkit(&self) -> &Toolkit {
        &self.toolkit
    }

    fn menu_lang(&self) -> Lang {
        match self.eeprom.state.perso.language {
            Language::Zh if self.toolkit.ucs2() => Lang::Zh,
            _ => Lang::En,
        }
    }

    fn toolkit_iface(iface: Interface) -> Result<(), Fail> {
        if iface == Interface::Contact {
            Ok(())
        } else {
            Err(refuse(
                Sw::INS_NOT_SUPPORTED,
                "the SIM Toolkit is on the contact interface (the handset's), not contactless",
            ))
        }
    }

    fn queue(&mut self, kind: Proactive) {
        let n = if self.toolkit.last_number >= 0xFE {
            1
        } else {
            self.toolkit.last_number + 1
        };
        self.toolkit.last_number = n;
        let cmd = ProactiveCommand::new(n, kind);
        let bytes = cmd.encode(self.toolkit.ucs2());
        self.toolkit.pending = Some(Pending {
            cmd,
            bytes,
            fetched: false,
        });
    }

    fn main_menu(&self) -> Proactive {
        menu::main_menu(self.menu_lang(), &self.view())
    }

    /// TERMINAL PROFILE: remember it, drop any session, queue SET UP MENU.
    pub(crate) fn terminal_profile(&mut self, iface: Interface, profile: Vec<u8>) -> Handled {
        Self::toolkit_iface(iface)?;
        self.toolkit = Toolkit {
            profile: Some(profile),
            ..Toolkit::default()
        };
        let tp = self.toolkit.profile.clone().unwrap_or_default();
        if TerminalProfile(&tp).menus() {
            let m = self.main_menu();
            self.queue(m);
        } else {
            // A handset that cannot show the menus gets none (no command it lacks); where it
            // has an idle screen, the card says why there is no wallet menu.
            self.toolkit.menu_declined = true;
            self.idle_text(Msg::NoMenus);
        }
        Ok(ok_or_proactive(&self.toolkit))
    }

    /// Queues SET UP IDLE MODE TEXT with `m`, if the handset has it (TERMINAL PROFILE byte 8
    /// b5) and nothing else waits.
    fn idle_text(&mut self, m: Msg) {
        let tp = self.toolkit.profile.clone().unwrap_or_default();
        if TerminalProfile(&tp).idle_text() && self.toolkit.pending.is_none() {
            let text = self.menu_lang().s(m).to_string();
            self.queue(Proactive::SetUpIdleModeText { text });
        }
    }

    /// FETCH: the pending proactive command.
    pub(crate) fn fetch(&mut self, iface: Interface, le: Option<usize>) -> Handled {
        Self::toolkit_iface(iface)?;
        let Some(p) = self.toolkit.pending.as_mut() else {
            return Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "FETCH: no proactive command is pending (the card did not answer 91xx)",
            ));
        };
        let len = p.bytes.len();
        match le {
            Some(n) if n == len || n == 256 => {
                p.fetched = true;
                Ok(ResponseApdu::ok(p.bytes.clone()))
            }
            _ => Err(refuse(
                Sw::wrong_le(len),
                format!("FETCH: Le must be the xx of 91xx ({len:02X})"),
            )),
        }
    }

    /// TERMINAL RESPONSE: checked against the pending command, then given to the menu.
    pub(crate) fn terminal_response(&mut self, iface: Interface, data: &[u8]) -> Handled {
        Self::toolkit_iface(iface)?;
        let Some(p) = self.toolkit.pending.clone().filter(|p| p.fetched) else {
            return Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "TERMINAL RESPONSE: no proactive command was fetched",
            ));
        };
        let tr = TerminalResponse::decode(data).map_err(|e| {
            refuse(
                Sw::WRONG_DATA,
                format!("TERMINAL RESPONSE not understood: {e}"),
            )
        })?;
        if !tr.answers(&p.cmd) {
            return Err(refuse(
                Sw::WRONG_DATA,
                format!(
                    "TERMINAL RESPONSE echoes command details {:02X?}, the pending command is {:02X?}",
                    tr.details,
                    p.cmd.details()
                ),
            ));
        }
        // TS 102 223 §8.12: result 20 always carries its cause byte; without it the response is
        // malformed and the command stays pending.
        if tr.result == ResultCode::TerminalUnable && tr.additional.is_none() {
            return Err(refuse(
                Sw::WRONG_DATA,
                "TERMINAL RESPONSE result 20 (terminal unable) without its additional-information byte",
            ));
        }
        self.toolkit.pending = None;
        // BIP commands read `20` themselves; PROVIDE LOCAL INFORMATION refused is answered
        // without the time (not retried).
        let busy = tr.result == ResultCode::TerminalUnable
            && !p.cmd.kind.is_bip()
            && p.cmd.kind != Proactive::ProvideLocalTime;
        match p.cmd.kind {
            Proactive::SetUpMenu { .. } => {
                if tr.result.is_success() {
                    self.toolkit.shown_menu = Some(p.cmd.kind);
                    if !self.eeprom.state.purse.open {
                        self.idle_text(Msg::IdleClosed);
                    }
                } else if busy {
                    self.toolkit.deferred = Some(p.cmd.kind);
                } else {
                    self.toolkit.menu_declined = true;
                }
            }
            Proactive::SetUpIdleModeText { .. } => {}
            kind if busy && self.toolkit.session.is_some() => {
                // The screen is kept, and offered again when the handset next polls.
                self.toolkit.deferred = Some(kind);
            }
            _ => {
                if let Some(mut s) = self.toolkit.session.take() {
                    match s.respond(&tr, self) {
                        Ok(Reply::Show(next)) => {
                            self.toolkit.session = Some(s);
                            self.queue(next);
                        }
                        Ok(Reply::End) => {}
                        Err(Problem::Torn) => return Err(Fail::Torn),
                        Err(_) => {}
                    }
                }
            }
        }
        if self.toolkit.session.is_none() {
            // The session is over: an over-the-air transaction still open dies with it.
            self.toolkit.air = None;
        }
        if self.toolkit.pending.is_none()
            && self.toolkit.session.is_none()
            && self.toolkit.deferred.is_none()
            && !self.toolkit.menu_declined
        {
            let m = self.main_menu();
            if self.toolkit.shown_menu.as_ref() != Some(&m) {
                self.queue(m);
            }
        }
        Ok(ok_or_proactive(&self.toolkit))
    }

    /// STATUS on the contact side: a command the handset was too busy for is offered again.
    pub(crate) fn retry_deferred(&mut self) {
        if self.toolkit.pending.is_none()
            && let Some(kind) = self.toolkit.deferred.take()
        {
            self.queue(kind);
        }
    }

    /// ENVELOPE (MENU SELECTION): opens a menu session, or shows an item's help.
    pub(crate) fn envelope(&mut self, iface: Interface, data: &[u8]) -> Handled {
        Self::toolkit_iface(iface)?;
        if self.toolkit.profile.is_none() {
            return Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "ENVELOPE before TERMINAL PROFILE: the toolkit is not started",
            ));
        }
        if self.toolkit.busy() {
            return Err(refuse(
                Sw::TOOLKIT_BUSY,
                "a proactive session is open: finish it (FETCH / TERMINAL RESPONSE) first",
            ));
        }
        let env = Envelope::decode(data)
            .map_err(|e| refuse(Sw::WRONG_DATA, format!("ENVELOPE not understood: {e}")))?;
        let lang = self.menu_lang();
        let (item, started) = match env {
            Envelope::MenuSelection { item } => (item, menu::Session::start(lang, item, self)),
            Envelope::MenuHelpRequest { item } => {
                (item, menu::Session::help_request(lang, item, self))
            }
        };
        let Some((session, reply)) = started else {
            return Err(refuse(
                Sw::WRONG_DATA,
                format!("item {item:02X} is not in the SET UP MENU"),
            ));
        };
        if let Reply::Show(p) = reply {
            self.toolkit.session = Some(session);
            self.queue(p);
        }
        Ok(ok_or_proactive(&self.toolkit))
    }

    fn problem(f: Fail) -> Problem {
        match f {
            Fail::Torn => Problem::Torn,
            Fail::Refuse(r) => Problem::Card(r.sw),
        }
    }

    /// The open over-the-air transaction, if the purse is still as it was when it opened.
    fn take_air(&mut self, kind: TxKind) -> Done<Opened> {
        let Some(p) = self.toolkit.air.take().filter(|p| p.kind == kind) else {
            return Err(Problem::Card(Sw::CONDITIONS_NOT_SATISFIED));
        };
        let purse = &self.eeprom.state.purse;
        let counter = if kind == TxKind::Load {
            purse.online_counter
        } else {
            purse.offline_counter
        };
        if p.balance != purse.balance || p.counter != counter {
            return Err(Self::problem(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "the purse changed during the over-the-air exchange (a transaction on the other interface)",
            )));
        }
        Ok(p)
    }
}

impl Wallet for Card {
    fn view(&self) -> View {
        let s = &self.eeprom.state;
        let history = (1..=super::state::LOG_RECORDS)
            .filter_map(|n| s.log.record(n))
            .filter_map(|r| menu::Record::decode(r).ok())
            .collect();
        View {
            balance: s.purse.balance,
            limit: s.purse.single_payment_limit,
            cap: s.purse.balance_cap,
            open: s.purse.open,
            op_enabled: s.operation_password.enabled,
            op_tries_left: s.operation_password.tries_left,
            history,
            operator_term_id: s.perso.operator_term_id,
            bip: self.toolkit.bip(),
            clock: self
                .toolkit
                .profile
                .as_deref()
                .is_some_and(|p| TerminalProfile(p).local_time()),
            pay_locked: s.payment_password.tries_left == 0,
            cancelled: s.purse.number_cancelled,
        }
    }

    fn note_time(&mut self, t: &crate::stk::LocalTime) -> Done<()> {
        // A date or time that is not BCD, or before 1970, tells the card nothing.
        let Some(now) = stk_domain::clock::unix_of(&t.date, &t.time) else {
            return Ok(());
        };
        Card::note_time(self, now).map_err(Self::problem)
    }

    fn check_password(&mut self, operation: bool, guess: &str) -> Done<()> {
        Card::check_password(self, operation, guess).map_err(Self::problem)
    }

    fn set_operation_enabled(&mut self, on: bool) -> Done<()> {
        let pw = self.eeprom.state.operation_password.clone();
        self.commit(vec![Write::OperationPassword(Password {
            enabled: on,
            ..pw
        })])
        .map_err(|_| Problem::Torn)
    }

    fn set_password(&mut self, operation: bool, value: &str) -> Done<()> {
        let s = &self.eeprom.state;
        let w = if operation {
            Write::OperationPassword(Password {
                value: value.into(),
                ..s.operation_password.clone()
            })
        } else {
            Write::PaymentPassword(Password {
                value: value.into(),
                ..s.payment_password.clone()
            })
        };
        self.commit(vec![w]).map_err(|_| Problem::Torn)
    }

    fn set_limit(&mut self, fen: u32) -> Done<()> {
        self.commit(vec![Write::SinglePaymentLimit(fen)])
            .map_err(|_| Problem::Torn)
    }

    fn ota_begin(&mut self, op: &Ota) -> Done<Vec<u8>> {
        let perso = &self.eeprom.state.perso;
        let term = perso.operator_term_id;
        let serial: [u8; 10] = perso.ef0015[10..20].try_into().unwrap_or_default();
        let request = match op {
            Ota::TopUp { fen } => {
                // docs/spec.md §8 Decision (over-the-air loads after a rollover): the card asks
                // under its newest load key (the highest version; the issuer retires old ones).
                let key_index = perso
                    .keys
                    .load
                    .iter()
                    .max_by_key(|k| k.version)
                    .map_or(0, |k| k.index);
                let (p, out) = self
                    .open_transaction(TxKind::Load, key_index, *fen, term, true, Via::Menu)
                    .map_err(Self::problem)?;
                let req = OtaRequest::Load(OtaLoad {
                    serial,
                    key_index,
                    balance: p.balance,
                    online_counter: p.counter,
                    random: p.random,
                    mac1: out[12..16].try_into().unwrap_or_default(),
                    amount: *fen,
                    term_id: term,
                });
                self.toolkit.air = Some(p);
                req
            }
            // Recorded as a purchase (`06`) at the operator's termID; the TTC is the offline
            // counter used (as in the log record), so a clearing host can check the TAC. Not
            // held to the single-payment limit (a contactless purchase's), only to the balance.
            Ota::Bill { phone, fen } => {
                let key_index = perso.keys.purchase.first().map_or(0, |k| k.index);
                let (p, _) = self
                    .open_transaction(TxKind::Purchase, key_index, *fen, term, true, Via::Menu)
                    .map_err(Self::problem)?;
                let req = OtaRequest::Bill(OtaBill {
                    serial,
                    offline_counter: p.counter,
                    amount: *fen,
                    term_id: term,
                    phone: phone.clone(),
                });
                self.toolkit.air = Some(p);
                req
            }
        };
        request.encode().map_err(|e| {
            self.toolkit.air = None;
            Problem::Network(e.to_string())
        })
    }

    fn ota_finish(&mut self, answer: &[u8]) -> Done<u32> {
        let kind = match self.toolkit.air.as_ref().map(|p| p.kind) {
            Some(k) => k,
            None => return Err(Problem::Card(Sw::CONDITIONS_NOT_SATISFIED)),
        };
        let a = match OtaAnswer::decode(answer) {
            Ok(a) => a,
            Err(e) => {
                self.toolkit.air = None;
                return Err(Problem::Network(e.to_string()));
            }
        };
        let p = self.take_air(kind)?;
        let expected = if kind == TxKind::Load {
            OTA_LOAD
        } else {
            OTA_BILL
        };
        if a.request != expected {
            return Err(Problem::Network(format!(
                "{}: the answer is to a request of type {:02X}, not {expected:02X}",
                stk_domain::errors::Code::HOta,
                a.request
            )));
        }
        a.verdict(p.key.index)
            .map_err(|e| Problem::Network(e.to_string()))?;
        if kind == TxKind::Load {
            let seslk = crypto::load_session_key(&p.key.key, p.random, p.counter);
            if crypto::load_mac2(&seslk, p.amount, &p.term_id, &a.date, &a.time) != a.mac2 {
                return Err(Self::problem(self.wrong_mac(
                    USAGE_LOAD,
                    p.key.index,
                    "over-the-air MAC2 does not verify",
                )));
            }
            self.commit_load(&p, a.date, a.time, a.mac2)
                .map_err(Self::problem)?;
        } else {
            let ttc = u32::from(p.counter);
            let sespk = crypto::purchase_session_key(&p.key.key, p.random, p.counter, ttc);
            self.commit_purchase(&p, &sespk, ttc, a.date, a.time)
                .map_err(Self::problem)?;
        }
        Ok(self.eeprom.state.purse.balance)
    }

    fn ota_abort(&mut self) {
        self.toolkit.air = None;
    }

    fn close_wallet(&mut self) -> Done<()> {
        if self.eeprom.state.purse.balance != 0 {
            return Err(Problem::Card(Sw::CONDITIONS_NOT_SATISFIED));
        }
        self.commit(vec![Write::WalletOpen(false)])
            .map_err(|_| Problem::Torn)
    }
}
