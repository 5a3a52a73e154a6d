//! The issuer's service desk (docs/spec.md §7): what customer service does for a holder, against
//! the card through a carrier the product already has (a counter reader on the contactless
//! interface, or over the air: the issuer's commands delivered to the SIM through the handset).
//!
//! ```text
//! DIR/desk.db   SQLite (WAL): the desk's log (every request, done or refused), the numbers it
//!               cancelled, and the closures (each written as an intent before the card is
//!               asked to give up its balance)
//! DIR/lock      a SQLite file whose exclusive transaction a process holds while it uses the
//!               desk (the operating system releases it if the process dies)
//! ```
//!
//! Every request that reaches a card first checks the holder's name and ID number against the
//! card's holder file (0016): a mismatch is refused with `H-HOLDER`, logged, and nothing is
//! sent to the card beyond the reads. The issuer's commands (RESET OPERATION PASSWORD, RELOAD
//! PIN, CLOSE WALLET, CANCEL NUMBER) each follow a GET CHALLENGE and carry the issuer's MAC.
//!
//! A closure with money on the card is durable before money moves: the desk writes its intent
//! (serial, amount, the offline counter it will use, date, time) and the clearing host holds
//! the refund pending at that counter, then CLOSE WALLET goes out; on `9000` the intent is done
//! and the refund booked. An answer lost leaves both for the card to decide: the next `desk
//! close` of that card (or `settle`, from the card's counter and log) finishes it.

use crate::apdu::ResponseApdu;
use crate::card::command::Command;
use crate::host::IssuerHost;
use crate::sw::Sw;
use crate::transport::{Transport, TransportError};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use stk_backoffice::settle::{Insert, Ledger, Move, MoveKind, MoveState};
use stk_backoffice::store::{StoreError, open_db};
use stk_domain::clock::Clock;
use stk_domain::codec::{BalanceAnswer, CountersAnswer, HolderFile, IssuerFile, TAG_COUNTERS};
use stk_domain::errors::{Code, Reason};
use stk_domain::profile::Profile;

const DB_FILE: &str = "desk.db";
const LOCK_FILE: &str = "lock";

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS log (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, request TEXT NOT NULL, serial TEXT,
        outcome TEXT NOT NULL, code TEXT, detail TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS cancelled (
        serial TEXT PRIMARY KEY, at TEXT NOT NULL, on_card INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS closures (
        serial TEXT PRIMARY KEY, amount INTEGER NOT NULL, counter INTEGER NOT NULL,
        date TEXT NOT NULL, time TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('intent','closed')));";

/// The handbook's answer to a lost phone (不挂失, 不找回).
pub const LOST_RULE: &str = "the wallet is not reported lost and cannot be recovered (不挂失, 不找回): \
its money lives on the SIM and purchases are offline, so it is gone with the phone; the number \
can be cancelled and a new SIM issued at a shop, with a new, empty wallet";

/// Who asks at the desk: as the holder's ID card says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    pub id_number: String,
}

/// What the holder asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// A new operation password (4-12 digits); its tries are refilled.
    ResetOperationPassword(String),
    /// A new payment password (6 digits); it works at once.
    ReloadPin(String),
    /// The phone number is cancelled: loads refused from now on, purchases still work.
    CancelNumber,
    /// The wallet is closed; money on it is refunded to the holder.
    Close,
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::ResetOperationPassword(_) => "reset-operation-password",
            Request::ReloadPin(_) => "reload-pin",
            Request::CancelNumber => "cancel-number",
            Request::Close => "close",
        }
    }
}

/// Why the desk could not do it. `reason()` is the catalogue code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error(
        "{code}: service desk {dir} is in use by another process (it holds {dir}/lock); try again when it has finished",
        code = Code::HDeskBusy
    )]
    Busy { dir: String },
    #[error("{0}")]
    Storage(String),
    #[error(
        "{code}: the holder's {what} does not match the card's holder file: refused and logged",
        code = Code::HHolder
    )]
    Holder { what: &'static str },
    #[error("{code}: {rule}", code = Code::HNotReported, rule = LOST_RULE)]
    NotReported,
    #[error("{sw}: the card refused {what}{why}")]
    Card {
        sw: Sw,
        what: &'static str,
        why: String,
    },
    #[error("{code}: {what}: {e}", code = Code::PNoResponse)]
    Link {
        what: &'static str,
        e: TransportError,
    },
    /// The card answered something the desk cannot read.
    #[error("{0}")]
    Input(String),
    /// A new password not of the right form (nothing was sent).
    #[error("{0}")]
    Value(String),
}

impl DeskError {
    pub fn reason(&self) -> Reason {
        match self {
            DeskError::Busy { .. } => Reason::Code(Code::HDeskBusy),
            DeskError::Storage(s) => {
                Reason::Code(StoreError(s.clone()).code().unwrap_or(Code::IStorage))
            }
            DeskError::Holder { .. } => Reason::Code(Code::HHolder),
            DeskError::NotReported => Reason::Code(Code::HNotReported),
            DeskError::Card { sw, .. } => Reason::Sw(*sw),
            DeskError::Link {
                e: TransportError::Storage(_),
                ..
            } => Reason::Code(Code::IStorage),
            DeskError::Link { .. } => Reason::Code(Code::PNoResponse),
            DeskError::Input(_) => Reason::Code(Code::PReader),
            DeskError::Value(_) => Reason::Sw(Sw::WRONG_DATA),
        }
    }

    /// The catalogue code as printed.
    pub fn code_text(&self) -> String {
        match self.reason() {
            Reason::Sw(sw) => sw.to_string(),
            Reason::Code(c) => c.as_str().to_string(),
        }
    }
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> DeskError {
        DeskError::Storage(e.0)
    }
}

impl From<rusqlite::Error> for DeskError {
    fn from(e: rusqlite::Error) -> DeskError {
        StoreError::from(e).into()
    }
}

/// One line of the desk's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    pub id: i64,
    pub at: String,
    pub request: String,
    pub serial: Option<String>,
    pub outcome: String,
    pub code: Option<String>,
    pub detail: String,
}

/// What the desk calls at each durable step of a closure.
type StepHook = Box<dyn FnMut(&str)>;

/// The service desk: its home, its lock and the issuer's keys.
pub struct Desk {
    dir: PathBuf,
    _lock: Connection,
    db: Connection,
    host: IssuerHost,
    aid: Vec<u8>,
    operator_term_id: [u8; 6],
    clock: Clock,
    /// Called at each durable step of a closure (crash tests print and pause there).
    step: Option<StepHook>,
}

/// The card as the desk read it.
#[derive(Clone, Debug)]
struct Seen {
    serial: [u8; 10],
}

impl Desk {
    /// Opens (creating it if needed) the desk at `dir` with the issuer's keys of `profile`. A
    /// second process is refused at once with `H-DESK-BUSY`.
    pub fn open(dir: &Path, profile: &Profile, clock: Clock) -> Result<Desk, DeskError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            DeskError::Storage(format!(
                "{}: service desk {}: cannot create its folder: {e}",
                Code::IStorage,
                dir.display()
            ))
        })?;
        let lock = Connection::open(dir.join(LOCK_FILE))?;
        lock.busy_timeout(std::time::Duration::ZERO)?;
        match lock.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => {}
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                return Err(DeskError::Busy {
                    dir: dir.display().to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let db = open_db(&dir.join(DB_FILE))?;
        db.execute_batch(SCHEMA)?;
        Ok(Desk {
            dir: dir.to_path_buf(),
            _lock: lock,
            db,
            host: IssuerHost::from_profile(profile),
            aid: profile.wallet_aid.clone(),
            operator_term_id: profile.menu.operator_term_id,
            clock,
            step: None,
        })
    }

    /// Calls `f` at each durable step of a closure (`closure intent written`, `card closed`).
    pub fn on_step(&mut self, f: impl FnMut(&str) + 'static) {
        self.step = Some(Box::new(f));
    }

    fn step(&mut self, what: &str) {
        if let Some(f) = self.step.as_mut() {
            f(what);
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn now_text(&self) -> String {
        let (d, t) = self.clock.now();
        stk_domain::clock::display(&d, &t)
    }

    /// Writes one line to the desk's log.
    pub fn log(
        &self,
        request: &str,
        serial: Option<&[u8; 10]>,
        outcome: &str,
        code: Option<&str>,
        detail: &str,
    ) -> Result<(), DeskError> {
        self.db.execute(
            "INSERT INTO log (at, request, serial, outcome, code, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.now_text(),
                request,
                serial.map(hex::encode_upper),
                outcome,
                code,
                detail
            ],
        )?;
        Ok(())
    }

    /// The desk's log, oldest first.
    pub fn entries(&self) -> Result<Vec<LogRow>, DeskError> {
        let mut q = self.db.prepare(
            "SELECT id, at, request, serial, outcome, code, detail FROM log ORDER BY id",
        )?;
        let rows = q
            .query_map([], |r| {
                Ok(LogRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    request: r.get(2)?,
                    serial: r.get(3)?,
                    outcome: r.get(4)?,
                    code: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The serials whose numbers this desk cancelled.
    pub fn cancelled(&self) -> Result<Vec<String>, DeskError> {
        let mut q = self
            .db
            .prepare("SELECT serial FROM cancelled ORDER BY serial")?;
        let rows = q
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A lost phone: the handbook's rule, logged; always the refusal `H-NOT-REPORTED`.
    pub fn report_lost(&self, holder: &Holder) -> DeskError {
        let e = DeskError::NotReported;
        if let Err(s) = self.log(
            "report-lost",
            None,
            "refused",
            Some(Code::HNotReported.as_str()),
            &format!("holder {} (ID {})", holder.name, mask_id(&holder.id_number)),
        ) {
            return s;
        }
        e
    }

    /// Does `req` for `holder` on the card behind `card`; the line to print on success. Every
    /// outcome is logged.
    pub fn serve(
        &mut self,
        card: &mut dyn Transport,
        holder: &Holder,
        req: &Request,
        ledger: Option<&mut dyn Ledger>,
    ) -> Result<String, DeskError> {
        let mut serial = None;
        let r = self.serve_inner(card, holder, req, ledger, &mut serial);
        let (outcome, code, detail) = match &r {
            Ok(done) => ("done", None, done.clone()),
            // The card's answer was lost: whether it acted is for the card to tell next time.
            Err(e @ DeskError::Link { .. }) => ("in doubt", Some(e.code_text()), e.to_string()),
            Err(e) => ("refused", Some(e.code_text()), e.to_string()),
        };
        self.log(
            req.name(),
            serial.as_ref(),
            outcome,
            code.as_deref(),
            &detail,
        )?;
        r
    }

    fn serve_inner(
        &mut self,
        card: &mut dyn Transport,
        holder: &Holder,
        req: &Request,
        ledger: Option<&mut dyn Ledger>,
        serial_out: &mut Option<[u8; 10]>,
    ) -> Result<String, DeskError> {
        check_new_value(req)?;
        let seen = self.identify(card, holder, serial_out)?;
        match req {
            Request::ResetOperationPassword(new) => {
                let value = stk_card::pin::digits_bcd(new);
                let header = Command::ResetOperationPassword {
                    new: value.clone(),
                    mac: [0; 4],
                }
                .header();
                let mac = self.sign(card, &seen, header, &value)?;
                send(
                    card,
                    Command::ResetOperationPassword { new: value, mac },
                    "RESET OPERATION PASSWORD",
                )?;
                Ok("operation password reset: the new one works at once".into())
            }
            Request::ReloadPin(new) => {
                let value = stk_card::pin::digits_bcd(new);
                let header = Command::ReloadPin {
                    new: value.clone(),
                    mac: [0; 4],
                }
                .header();
                let mac = self.sign(card, &seen, header, &value)?;
                send(card, Command::ReloadPin { new: value, mac }, "RELOAD PIN")?;
                Ok("payment password reloaded: the new one works at once".into())
            }
            Request::CancelNumber => {
                let serial = hex::encode_upper(seen.serial);
                self.db.execute(
                    "INSERT INTO cancelled (serial, at, on_card) VALUES (?1, ?2, 0) \
                     ON CONFLICT (serial) DO NOTHING",
                    params![serial, self.now_text()],
                )?;
                let header = Command::CancelNumber { mac: [0; 4] }.header();
                let mac = self.sign(card, &seen, header, &[])?;
                send(card, Command::CancelNumber { mac }, "CANCEL NUMBER")?;
                self.db.execute(
                    "UPDATE cancelled SET on_card=1 WHERE serial=?1",
                    params![serial],
                )?;
                Ok(
                    "phone number cancelled: top-ups are refused from now on (9405); \
                    purchases still work until the balance is 0"
                        .into(),
                )
            }
            Request::Close => self.close(card, &seen, ledger),
        }
    }

    /// Selects the wallet, reads its serial and holder file, checks the holder.
    fn identify(
        &self,
        card: &mut dyn Transport,
        holder: &Holder,
        serial_out: &mut Option<[u8; 10]>,
    ) -> Result<Seen, DeskError> {
        send(
            card,
            Command::Select {
                name: self.aid.clone(),
                want_fci: true,
            },
            "SELECT",
        )?;
        let f15 = send(
            card,
            Command::ReadBinary {
                sfi: IssuerFile::SFI,
                offset: 0,
                le: Some(IssuerFile::LEN),
            },
            "READ BINARY 0015",
        )?;
        let serial = IssuerFile::parse(&f15.data)
            .map_err(|e| DeskError::Input(format!("{}: {e}", Code::PReader)))?
            .serial;
        *serial_out = Some(serial);
        let f16 = send(
            card,
            Command::ReadBinary {
                sfi: HolderFile::SFI,
                offset: 0,
                le: Some(HolderFile::LEN),
            },
            "READ BINARY 0016",
        )?;
        let file = HolderFile::parse(&f16.data)
            .map_err(|e| DeskError::Input(format!("{}: {e}", Code::PReader)))?;
        if file.name.trim() != holder.name.trim() {
            return Err(DeskError::Holder { what: "name" });
        }
        if !file
            .id_number
            .trim()
            .eq_ignore_ascii_case(holder.id_number.trim())
        {
            return Err(DeskError::Holder { what: "ID number" });
        }
        Ok(Seen { serial })
    }

    /// GET CHALLENGE, then the issuer's MAC over `header ‖ value`.
    fn sign(
        &self,
        card: &mut dyn Transport,
        seen: &Seen,
        header: [u8; 5],
        value: &[u8],
    ) -> Result<[u8; 4], DeskError> {
        let r = send(card, Command::GetChallenge, "GET CHALLENGE")?;
        let ch: [u8; 4] =
            r.data
                .get(..4)
                .and_then(|c| c.try_into().ok())
                .ok_or(DeskError::Card {
                    sw: r.sw,
                    what: "GET CHALLENGE",
                    why: " (no 4-byte challenge)".into(),
                })?;
        Ok(self.host.issuer_mac(&seen.serial, ch, header, value))
    }

    fn close(
        &mut self,
        card: &mut dyn Transport,
        seen: &Seen,
        mut ledger: Option<&mut dyn Ledger>,
    ) -> Result<String, DeskError> {
        let serial = hex::encode_upper(seen.serial);
        let balance = send(card, Command::GetBalance, "GET BALANCE");
        let counters = send(
            card,
            Command::GetData { tag: TAG_COUNTERS },
            "GET DATA DF36",
        )?;
        let counters = CountersAnswer::parse(&counters.data)
            .map_err(|e| DeskError::Input(format!("{}: {e}", Code::PReader)))?;
        let intent: Option<(u32, u16, String, String)> = self
            .db
            .query_row(
                "SELECT amount, counter, date, time FROM closures WHERE serial=?1 \
                 AND state='intent'",
                params![serial],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let balance = BalanceAnswer::parse(&balance?.data)
            .map_err(|e| DeskError::Input(format!("{}: {e}", Code::PReader)))?
            .balance;
        let (date, time) = self.clock.now();
        let counter = counters.offline_counter;
        let m = Move {
            serial: seen.serial,
            kind: MoveKind::Closure,
            counter,
            amount: balance,
            term_id: self.operator_term_id,
            date,
            time,
            reference: "service desk: balance refunded to the holder".into(),
        };
        if balance > 0 {
            // Durable intent before money moves: the desk's row, then the clearing host's
            // pending refund at the counter the card will use.
            self.db.execute(
                "INSERT INTO closures (serial, amount, counter, date, time, state) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'intent') \
                 ON CONFLICT (serial) DO UPDATE SET amount=?2, counter=?3, date=?4, time=?5, \
                 state='intent'",
                params![
                    serial,
                    balance,
                    counter,
                    hex::encode_upper(date),
                    hex::encode_upper(time)
                ],
            )?;
            if let Some(l) = ledger.as_deref_mut() {
                l.add_move(&m, MoveState::Pending)?;
            }
            self.step("closure intent written");
        }
        let value = [&balance.to_be_bytes()[..], &date, &time].concat();
        let header = Command::CloseWallet {
            amount: balance,
            date,
            time,
            mac: [0; 4],
        }
        .header();
        let mac = self.sign(card, seen, header, &value)?;
        let sent = send(
            card,
            Command::CloseWallet {
                amount: balance,
                date,
                time,
                mac,
            },
            "CLOSE WALLET",
        );
        match (sent, intent) {
            (Ok(_), _) => {}
            // Already closed: an earlier closure whose answer was lost did it when the card
            // used the counter its intent names.
            (Err(DeskError::Card { sw, .. }), Some((amount, at, d, t)))
                if sw == Sw::WALLET_CLOSED && counters.offline_counter > at =>
            {
                self.closed(&seen.serial, amount, at, &d, &t, ledger)?;
                return Ok(format!(
                    "wallet closed by the earlier request (its answer was lost): {} yuan \
                     refunded to the holder",
                    stk_domain::records::yuan(amount)
                ));
            }
            (Err(e), _) => return Err(e),
        }
        if balance == 0 {
            return Ok("wallet closed (it held no money)".into());
        }
        self.step("card closed");
        self.closed(
            &seen.serial,
            balance,
            counter,
            &hex::encode_upper(date),
            &hex::encode_upper(time),
            ledger,
        )?;
        Ok(format!(
            "wallet closed: {} yuan moved off the card and refunded to the holder (booked at \
             the clearing host, offline counter {counter})",
            stk_domain::records::yuan(balance)
        ))
    }

    /// The card closed: the intent is done and the refund booked.
    fn closed(
        &self,
        serial: &[u8; 10],
        amount: u32,
        counter: u16,
        date: &str,
        time: &str,
        ledger: Option<&mut dyn Ledger>,
    ) -> Result<(), DeskError> {
        let bad = || DeskError::Storage(StoreError::damaged("a closure's date or time").0);
        let date: [u8; 4] = hex::decode(date)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(bad)?;
        let time: [u8; 3] = hex::decode(time)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(bad)?;
        if let Some(l) = ledger {
            let m = Move {
                serial: *serial,
                kind: MoveKind::Closure,
                counter,
                amount,
                term_id: self.operator_term_id,
                date,
                time,
                reference: "service desk: balance refunded to the holder".into(),
            };
            match l.add_move(&m, MoveState::Booked)? {
                Insert::Added | Insert::Same | Insert::Duplicate => {}
            }
        }
        self.db.execute(
            "UPDATE closures SET state='closed' WHERE serial=?1",
            params![hex::encode_upper(serial)],
        )?;
        Ok(())
    }
}

/// The new password's form, checked before anything is sent.
fn check_new_value(req: &Request) -> Result<(), DeskError> {
    let digits = |s: &str, lo: usize, hi: usize, what: &str| {
        if (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(DeskError::Value(format!(
                "{}: the new {what} must be {} digits",
                Sw::WRONG_DATA,
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            )))
        }
    };
    match req {
        Request::ResetOperationPassword(p) => digits(p, 4, 12, "operation password"),
        Request::ReloadPin(p) => digits(p, 6, 6, "payment password"),
        _ => Ok(()),
    }
}

/// An ID number as the log keeps it: the first four and last two characters.
fn mask_id(id: &str) -> String {
    let c: Vec<char> = id.chars().collect();
    if c.len() <= 6 {
        return "*".repeat(c.len());
    }
    let head: String = c[..4].iter().collect();
    let tail: String = c[c.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(c.len() - 6))
}

/// Sends `cmd`; anything but `9000`/`91xx` is the card's refusal.
fn send(
    card: &mut dyn Transport,
    cmd: Command,
    what: &'static str,
) -> Result<ResponseApdu, DeskError> {
    let r = card
        .transmit(&cmd.to_apdu())
        .map_err(|e| DeskError::Link { what, e })?;
    if r.sw == Sw::OK || r.sw.sw1() == 0x91 {
        Ok(r)
    } else {
        Err(DeskError::Card {
            sw: r.sw,
            what,
            why: String::new(),
        })
    }
}
