//! The simulated wallet SIM: a pure state machine (bytes in, bytes out, no I/O).
//!
//! Persistent state ([`state::Eeprom`]) is kept apart from per-interface volatile state
//! ([`Session`]): selection, a verified payment password, an open INITIALIZE session, an issuer
//! challenge. Power loss drops all volatile state and runs journal recovery. The contactless
//! interface (the POS) and the contact interface (the handset) each have their own session, as
//! on a dual-interface SIM; both reach the same purse.

pub use stk_domain::command;
mod files;
pub mod image;
pub mod menu;
pub mod menu_help;
pub mod menu_text;
pub mod pin;
mod purse;
pub mod sim;
pub mod state;
pub mod stk;
pub mod toolkit;

use stk_domain::{apdu, crypto, hexser, issuer, profile, sw};

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::profile::Profile;
use crate::sw::Sw;
use command::{Command, TxKind};
use state::{
    CardKey, CardKeys, CardState, Eeprom, Password, Personalisation, Purse, TearPlan, Torn, TxLog,
    Write,
};
use std::borrow::Cow;
use stk_domain::codec::IssuerFile;

/// The card's two interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interface {
    /// ISO 7816-3 contacts: the handset (toolkit, and the purse too).
    Contact,
    /// ISO 14443: the POS reader.
    Contactless,
}

/// What is selected on an interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selected {
    #[default]
    Nothing,
    /// The payment system environment `1PAY.SYS.DDF01`.
    Pse,
    /// The wallet ADF (by the DF name at this index of the AID list).
    Wallet,
    /// A DF of the SIM file system (the MF, the ADF USIM or DF GSM); the EF is in
    /// [`Session::file`].
    Sim(sim::tree::Df),
}

/// An open INITIALIZE session (docs/spec.md §3): valid for exactly the next command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub kind: TxKind,
    pub key: CardKey,
    pub amount: u32,
    pub term_id: [u8; 6],
    pub random: [u8; 4],
    /// The counter INITIALIZE returned (before the transaction).
    pub counter: u16,
    pub balance: u32,
}

/// Per-interface volatile state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    pub selected: Selected,
    pub pin_verified: bool,
    pub pending: Option<Pending>,
    pub challenge: Option<[u8; 4]>,
    /// The SIM file selected and the current application.
    pub file: sim::FileCursor,
    /// Class `A0`: the SELECT answer announced with `9Fxx`, for the next command only.
    pub gsm_response: Option<Vec<u8>>,
}

/// Why a command was refused, for logs: the status word and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub sw: Sw,
    pub why: Cow<'static, str>,
}

/// A handler's failure: a status word to answer, or a power loss (no answer at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    Refuse(Refusal),
    Torn,
}

impl From<Sw> for Fail {
    fn from(sw: Sw) -> Fail {
        Fail::Refuse(Refusal {
            sw,
            why: Cow::Borrowed(""),
        })
    }
}
impl From<Torn> for Fail {
    fn from(_: Torn) -> Fail {
        Fail::Torn
    }
}

/// Refuses with `sw` and a reason for the log.
pub(crate) fn refuse(sw: Sw, why: impl Into<Cow<'static, str>>) -> Fail {
    Fail::Refuse(Refusal {
        sw,
        why: why.into(),
    })
}

pub(crate) type Handled = Result<ResponseApdu, Fail>;

/// The card.
#[derive(Clone, Debug)]
pub struct Card {
    pub eeprom: Eeprom,
    contact: Session,
    contactless: Session,
    /// Power was lost mid-commit: no answers until the next power-up.
    mute: bool,
    last_refusal: Option<Refusal>,
    /// SIM Toolkit state (contact interface; volatile).
    toolkit: toolkit::Toolkit,
}

impl Card {
    /// Personalises a new card from `profile` (keys diversified with the serial).
    pub fn personalise(profile: &Profile) -> Card {
        let serial = profile.issuer.serial;
        let key = |k: &crate::profile::IndexedKey| CardKey {
            index: k.index,
            version: k.version,
            alg: k.alg,
            key: k.key.card_key(&serial),
        };
        let i = &profile.issuer;
        let ef15 = IssuerFile {
            issuer_id: i.issuer_id,
            app_type: IssuerFile::APP_TYPE_EP,
            app_version: i.app_version,
            serial: i.serial,
            start_date: i.start_date,
            expiry_date: i.expiry_date,
            issuer_data: i.issuer_data,
        }
        .to_bytes()
        .to_vec();
        let h = &profile.holder;
        let mut ef16 = vec![h.card_type, h.staff];
        ef16.extend_from_slice(&padded(h.name.as_bytes(), 20));
        ef16.extend_from_slice(&padded(h.id_number.as_bytes(), 32));
        ef16.push(h.id_type);
        let mut aids = vec![profile.wallet_aid.clone()];
        aids.extend(profile.aid_aliases.iter().cloned());
        let p = &profile.passwords;
        let state = CardState {
            perso: Personalisation {
                atr: profile.atr.clone(),
                aids,
                ef0015: ef15,
                ef0016: ef16,
                keys: CardKeys {
                    purchase: profile.keys.purchase.iter().map(key).collect(),
                    load: profile.keys.load.iter().map(key).collect(),
                    tac: profile.keys.tac.card_key(&serial),
                    issuer: profile.keys.issuer.card_key(&serial),
                },
                mac_failure_limit: profile.mac_failure_limit,
                language: profile.menu.language,
                operator_term_id: profile.menu.operator_term_id,
                random_sequence: profile.card_random.clone(),
                sim: profile.sim.clone(),
            },
            purse: Purse {
                balance: profile.purse.balance,
                online_counter: profile.purse.online_counter,
                offline_counter: profile.purse.offline_counter,
                balance_cap: profile.purse.balance_cap,
                single_payment_limit: profile.purse.single_payment_limit,
                open: true,
                number_cancelled: false,
            },
            log: TxLog::empty(),
            proof: None,
            payment_password: Password {
                value: p.payment.clone(),
                tries_left: p.payment_retries,
                max_tries: p.payment_retries,
                enabled: true,
                locked_at: None,
            },
            operation_password: Password {
                value: p.operation.clone(),
                tries_left: p.operation_retries,
                max_tries: p.operation_retries,
                enabled: p.operation_enabled,
                locked_at: None,
            },
            mac_failures: Vec::new(),
            random_cursor: 0,
        };
        Card::from_eeprom(Eeprom::new(state))
    }

    /// A card powered up from stored persistent memory (recovering an interrupted commit).
    pub fn from_eeprom(mut eeprom: Eeprom) -> Card {
        eeprom.recover();
        Card {
            eeprom,
            contact: Session::default(),
            contactless: Session::default(),
            mute: false,
            last_refusal: None,
            toolkit: toolkit::Toolkit::default(),
        }
    }

    pub fn state(&self) -> &CardState {
        &self.eeprom.state
    }

    /// The contact interface's ATR (the profile's, ISO 7816-3, T=0).
    pub fn atr(&self) -> &[u8] {
        &self.eeprom.state.perso.atr
    }

    /// The ATR an interface presents: the profile's on the contacts; on the contactless side
    /// the one a PC/SC reader builds for an ISO 14443-4 card (PC/SC part 3: `3B 8n 80 01`, the
    /// same historical bytes, TCK), which offers T=1. Whoever serves the card takes it from here.
    pub fn atr_for(&self, iface: Interface) -> Vec<u8> {
        match iface {
            Interface::Contact => self.atr().to_vec(),
            Interface::Contactless => {
                profile::contactless_atr(profile::historical_bytes(self.atr()).unwrap_or_default())
            }
        }
    }

    /// Power off and on: volatile state is gone, an interrupted commit is recovered.
    pub fn power_cycle(&mut self) -> Vec<u8> {
        self.eeprom.recover();
        self.contact = Session::default();
        self.contactless = Session::default();
        self.toolkit = toolkit::Toolkit::default();
        self.mute = false;
        self.atr().to_vec()
    }

    /// Power off (vpcd's power-off): volatile state is dropped at once.
    pub fn power_off(&mut self) {
        self.power_cycle();
    }

    /// Power off and on of one interface (a reader's power-off, power-on or reset on that
    /// interface only): that interface's volatile session is dropped (selection, security
    /// state, a pending INITIALIZE, an issuer challenge; on the contacts also the toolkit
    /// session) and the other interface keeps its own. A card that lost power mid-commit (mute)
    /// lost it on both interfaces: then this is a full [`Card::power_cycle`]. Returns the ATR
    /// this interface presents.
    pub fn power_cycle_interface(&mut self, iface: Interface) -> Vec<u8> {
        if self.mute {
            self.power_cycle();
        } else {
            *self.session_mut(iface) = Session::default();
            if iface == Interface::Contact {
                self.toolkit = toolkit::Toolkit::default();
            }
        }
        self.atr_for(iface)
    }

    /// Cut the power before the `n`-th EEPROM write from now (0 = before the next write).
    pub fn tear_after_writes(&mut self, n: u32) {
        self.eeprom.tear = TearPlan {
            writes_left: Some(n),
        };
    }

    /// Whether the card lost power and answers nothing until [`Card::power_cycle`].
    pub fn is_mute(&self) -> bool {
        self.mute
    }

    /// The session of an interface (for tests and logs).
    pub fn session(&self, iface: Interface) -> &Session {
        match iface {
            Interface::Contact => &self.contact,
            Interface::Contactless => &self.contactless,
        }
    }

    pub(crate) fn session_mut(&mut self, iface: Interface) -> &mut Session {
        match iface {
            Interface::Contact => &mut self.contact,
            Interface::Contactless => &mut self.contactless,
        }
    }

    /// Why the last refused command was refused (status word and reason).
    pub fn last_refusal(&self) -> Option<&Refusal> {
        self.last_refusal.as_ref()
    }

    /// Processes one command APDU; `None` when the card is (or just went) mute.
    pub fn process(&mut self, iface: Interface, apdu: &[u8]) -> Option<Vec<u8>> {
        self.process_apdu(iface, apdu).map(|r| r.to_bytes())
    }

    /// Like [`Card::process`], with the response split.
    pub fn process_apdu(&mut self, iface: Interface, apdu: &[u8]) -> Option<ResponseApdu> {
        if self.mute {
            return None;
        }
        self.last_refusal = None;
        // docs/spec.md §3: an open INITIALIZE session lives for exactly the next command.
        let pending = self.session_mut(iface).pending.take();
        let challenge = self.session_mut(iface).challenge.take();
        let held = self.session_mut(iface).gsm_response.take();
        let result = match CommandApdu::parse(apdu) {
            Err(e) => Err(refuse(e.sw(), e.to_string())),
            Ok(a) => match Command::try_from(&a) {
                Err(sw) => Err(refuse(
                    sw,
                    "the command's class, instruction, parameters or lengths are not valid",
                )),
                Ok(Command::GetResponse { le }) => self.get_response(held, le),
                Ok(cmd) => self.dispatch(iface, cmd, pending, challenge),
            },
        };
        match result {
            Ok(r) => Some(r),
            Err(Fail::Torn) => {
                self.mute = true;
                None
            }
            Err(Fail::Refuse(r)) => {
                let sw = r.sw;
                self.last_refusal = Some(r);
                Some(ResponseApdu::status(sw))
            }
        }
    }

    fn dispatch(
        &mut self,
        iface: Interface,
        cmd: Command,
        pending: Option<Pending>,
        challenge: Option<[u8; 4]>,
    ) -> Handled {
        use Command::*;
        match cmd {
            Select { name, want_fci } => self.select(iface, &name, want_fci),
            SelectFile { fid, want_fci } => {
                self.select_fid(iface, command::SimClass::Uicc, fid, want_fci)
            }
            SelectPath {
                from_mf,
                path,
                want_fci,
            } => self.select_path(iface, from_mf, &path, want_fci),
            GsmSelect { fid } => self.select_fid(iface, command::SimClass::Gsm, fid, true),
            // Answered in `process_apdu`, which holds the waiting response; here nothing waits.
            GetResponse { le } => self.get_response(None, le),
            ReadCurrentBinary { class, offset, le } => {
                self.read_current_binary(iface, class, offset, le)
            }
            ReadCurrentRecord { class, record, le } => {
                self.read_current_record(iface, class, record, le)
            }
            Status {
                class, data, le, ..
            } => self.status(iface, class, data, le),
            ReadBinary { sfi, offset, le } => self.read_binary(iface, sfi, offset, le),
            ReadRecord { record, sfi, le } => self.read_record(iface, record, sfi, le),
            Verify { pin } => self.verify(iface, pin.as_deref()),
            VerifyPin1 { class, pin } => self.verify_pin1(class, pin.is_some()),
            ChangePin { old, new } => self.change_pin(iface, &old, &new),
            ReloadPin { new, mac } => self.reload_pin(iface, &new, mac, challenge),
            ResetOperationPassword { new, mac } => {
                self.reset_operation_password(iface, &new, mac, challenge)
            }
            CloseWallet {
                amount,
                date,
                time,
                mac,
            } => self.issuer_close(iface, amount, date, time, mac, challenge),
            CancelNumber { mac } => self.cancel_number(iface, mac, challenge),
            GetChallenge => self.get_challenge(iface),
            GetBalance => self.get_balance(iface),
            GetData { tag } => self.get_data(iface, tag),
            Initialize {
                kind,
                key_index,
                amount,
                term_id,
            } => self.initialize(iface, kind, key_index, amount, term_id),
            CreditForLoad { date, time, mac2 } => {
                self.credit_for_load(iface, pending, date, time, mac2)
            }
            DebitForPurchase {
                ttc,
                date,
                time,
                mac1,
            } => self.debit_for_purchase(iface, pending, ttc, date, time, mac1),
            GetTransactionProof { tx_type, counter } => {
                self.get_transaction_proof(iface, tx_type, counter)
            }
            TerminalProfile { profile } => self.terminal_profile(iface, profile),
            Fetch { le } => self.fetch(iface, le),
            TerminalResponse { data } => self.terminal_response(iface, &data),
            Envelope { data } => self.envelope(iface, &data),
        }
    }

    /// The wallet must be selected on this interface.
    pub(crate) fn require_wallet(&self, iface: Interface) -> Result<(), Fail> {
        if self.session(iface).selected == Selected::Wallet {
            Ok(())
        } else {
            Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "select the wallet application first (SELECT by its DF name)",
            ))
        }
    }

    /// Commits writes atomically.
    pub(crate) fn commit(&mut self, writes: Vec<Write>) -> Result<(), Torn> {
        self.eeprom.commit(writes)
    }

    /// The next card random number: from the fixed sequence if the profile has one, else the OS.
    pub(crate) fn next_random(&mut self) -> Result<[u8; 4], Torn> {
        let seq = &self.eeprom.state.perso.random_sequence;
        if seq.is_empty() {
            let mut r = [0u8; 4];
            // The OS generator failing is not something a card can report; fall back to a
            // value derived from the write counter rather than panicking.
            if getrandom::fill(&mut r).is_err() {
                r = (self.eeprom.write_count as u32).to_be_bytes();
            }
            return Ok(r);
        }
        let cursor = self.eeprom.state.random_cursor;
        let r = seq[cursor as usize % seq.len()];
        self.commit(vec![Write::RandomCursor(cursor.wrapping_add(1))])?;
        Ok(r)
    }
}

fn padded(b: &[u8], n: usize) -> Vec<u8> {
    let mut v = b[..b.len().min(n)].to_vec();
    v.resize(n, 0);
    v
}

/// Makes the card usable by any `apdu`-crate client: the context names the interface.
///
/// Give it a response buffer of at least 258 bytes (256 data + SW). A smaller one is reported
/// with `NotEnoughBuffer` only after the card has executed the command (a card cannot take a
/// command back), so a client must not resend a state-changing command on that error.
impl ::apdu::core::HandlerInCtx<Interface> for std::cell::RefCell<Card> {
    fn handle_in_ctx(
        &self,
        iface: Interface,
        command: &[u8],
        response: &mut [u8],
    ) -> ::apdu::core::Result {
        let out = self.borrow_mut().process(iface, command).ok_or_else(|| {
            ::apdu::core::HandleError::Nfc(Box::new("no response: the card lost power"))
        })?;
        if response.len() < out.len() {
            return Err(::apdu::core::HandleError::NotEnoughBuffer(out.len()));
        }
        response[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    }
}

/// The payment password as VERIFY sends it (6 digits → 3 BCD bytes).
pub fn pin_bcd(pin: &str) -> Vec<u8> {
    pin::digits_bcd(pin)
}
