//! The card's persistent state (its "EEPROM") and the journaled commit that keeps it atomic.
//!
//! Every change to persistent state is a list of [`Write`]s committed through
//! [`Eeprom::commit`]: each write is first copied to a journal (one EEPROM write each), the
//! journal is armed (one write), the writes are applied (one each), and the journal is disarmed
//! (one write). A power loss at any of these `2n + 2` points leaves the journal unarmed (the old
//! state) or armed (recovery at the next power-up re-applies it: the new state). Writes carry
//! absolute values, so re-applying is idempotent. [`TearPlan`] lets tests and the fault
//! injector cut the power before any chosen write.

use crate::hexser;
use serde::{Deserialize, Serialize};

/// Number of records in the cyclic transaction log (SFI 0x18).
pub const LOG_RECORDS: usize = 10;
/// Length of one log record.
pub const LOG_RECORD_LEN: usize = stk_domain::records::HistoryEntry::LEN;

/// One key the card holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CardKey {
    pub index: u8,
    pub version: u8,
    pub alg: u8,
    #[serde(with = "hexser::array")]
    pub key: [u8; 16],
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CardKeys {
    pub purchase: Vec<CardKey>,
    pub load: Vec<CardKey>,
    #[serde(with = "hexser::array")]
    pub tac: [u8; 16],
    #[serde(with = "hexser::array")]
    pub issuer: [u8; 16],
}

/// The purse's money and counters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Purse {
    pub balance: u32,
    pub online_counter: u16,
    pub offline_counter: u16,
    pub balance_cap: u32,
    pub single_payment_limit: u32,
    pub open: bool,
    /// The issuer cancelled the phone number (CANCEL NUMBER): every load is refused (`9405`),
    /// purchases still work. Absent in images written before the service desk.
    #[serde(default, skip_serializing_if = "is_false")]
    pub number_cancelled: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The last committed transaction's proof (GET TRANSACTION PROOF).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    pub tx_type: u8,
    /// The counter *after* the transaction.
    pub counter_after: u16,
    #[serde(with = "hexser::array")]
    pub mac2: [u8; 4],
    #[serde(with = "hexser::array")]
    pub tac: [u8; 4],
}

/// A password with its try counter. `value` is the digits as text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Password {
    pub value: String,
    pub tries_left: u8,
    pub max_tries: u8,
    /// Only meaningful for the operation password (the payment password is always on).
    pub enabled: bool,
    /// The payment password's lock, stamped (Unix time, UTC) with the first time the card
    /// learned after locking (the handset's PROVIDE LOCAL INFORMATION); it lifts 24 hours
    /// later. `None`: not locked, or locked and no time learned yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_at: Option<u64>,
}

/// Wrong-MAC count of one key (for the optional per-key failure limit).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyFailures {
    /// `0x01` purchase, `0x00` load, `0xFF` issuer.
    pub usage: u8,
    pub index: u8,
    pub count: u8,
}

/// The cyclic log: `slots[newest]` is record 1, then backwards.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TxLog {
    #[serde(with = "log_slots")]
    pub slots: Vec<[u8; LOG_RECORD_LEN]>,
    pub newest: u8,
    pub count: u8,
}

mod log_slots {
    pub use crate::hexser::array_list::{deserialize, serialize};
}

impl TxLog {
    pub fn empty() -> TxLog {
        TxLog {
            slots: vec![[0; LOG_RECORD_LEN]; LOG_RECORDS],
            newest: 0,
            count: 0,
        }
    }
    /// Record `n` (1 = newest), if written.
    pub fn record(&self, n: usize) -> Option<&[u8; LOG_RECORD_LEN]> {
        if n == 0 || n > self.count as usize || self.slots.len() != LOG_RECORDS {
            return None;
        }
        let slot = (self.newest as usize + LOG_RECORDS - (n - 1)) % LOG_RECORDS;
        self.slots.get(slot)
    }
    /// The writes that push `record` as the new record 1.
    pub fn push_writes(&self, record: [u8; LOG_RECORD_LEN]) -> [Write; 2] {
        let slot = if self.count == 0 {
            0
        } else {
            (self.newest + 1) % LOG_RECORDS as u8
        };
        let count = (self.count + 1).min(LOG_RECORDS as u8);
        [
            Write::LogSlot { slot, record },
            Write::LogHead {
                newest: slot,
                count,
            },
        ]
    }
}

/// Issuer/holder files and settings that never change after personalisation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Personalisation {
    #[serde(with = "hexser::bytes")]
    pub atr: Vec<u8>,
    /// DF names that select the wallet ADF; the first is its own.
    #[serde(with = "hexser::bytes_list")]
    pub aids: Vec<Vec<u8>>,
    #[serde(with = "hexser::bytes")]
    pub ef0015: Vec<u8>,
    #[serde(with = "hexser::bytes")]
    pub ef0016: Vec<u8>,
    pub keys: CardKeys,
    pub mac_failure_limit: Option<u8>,
    pub language: crate::profile::Language,
    #[serde(with = "hexser::array")]
    pub operator_term_id: [u8; 6],
    /// Fixed random sequence (empty: operating-system randomness).
    #[serde(with = "hexser::array_list")]
    pub random_sequence: Vec<[u8; 4]>,
    /// ICCID and IMSI of the SIM file system; an image saved before the card was a SIM has
    /// none and loads with the default identities (docs/files.md).
    #[serde(default)]
    pub sim: crate::profile::SimSetup,
}

/// Everything the card keeps across power cycles.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CardState {
    pub perso: Personalisation,
    pub purse: Purse,
    pub log: TxLog,
    pub proof: Option<Proof>,
    pub payment_password: Password,
    pub operation_password: Password,
    pub mac_failures: Vec<KeyFailures>,
    /// Position in `perso.random_sequence`.
    pub random_cursor: u32,
}

/// One EEPROM write: an absolute value for one field (so re-applying is harmless).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Write {
    Balance(u32),
    OnlineCounter(u16),
    OfflineCounter(u16),
    LogSlot {
        slot: u8,
        #[serde(with = "hexser::array")]
        record: [u8; LOG_RECORD_LEN],
    },
    LogHead {
        newest: u8,
        count: u8,
    },
    Proof(Proof),
    PaymentPassword(Password),
    OperationPassword(Password),
    SinglePaymentLimit(u32),
    WalletOpen(bool),
    NumberCancelled(bool),
    KeyFailures(KeyFailures),
    RandomCursor(u32),
}

impl Write {
    fn apply(&self, s: &mut CardState) {
        match self {
            Write::Balance(v) => s.purse.balance = *v,
            Write::OnlineCounter(v) => s.purse.online_counter = *v,
            Write::OfflineCounter(v) => s.purse.offline_counter = *v,
            Write::LogSlot { slot, record } => {
                if let Some(x) = s.log.slots.get_mut(*slot as usize) {
                    *x = *record;
                }
            }
            Write::LogHead { newest, count } => {
                s.log.newest = *newest;
                s.log.count = *count;
            }
            Write::Proof(p) => s.proof = Some(*p),
            Write::PaymentPassword(p) => s.payment_password = p.clone(),
            Write::OperationPassword(p) => s.operation_password = p.clone(),
            Write::SinglePaymentLimit(v) => s.purse.single_payment_limit = *v,
            Write::WalletOpen(v) => s.purse.open = *v,
            Write::NumberCancelled(v) => s.purse.number_cancelled = *v,
            Write::KeyFailures(k) => {
                match s
                    .mac_failures
                    .iter_mut()
                    .find(|f| f.usage == k.usage && f.index == k.index)
                {
                    Some(f) => f.count = k.count,
                    None => s.mac_failures.push(*k),
                }
            }
            Write::RandomCursor(v) => s.random_cursor = *v,
        }
    }
}

/// The commit journal, persisted with the state.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    pub entries: Vec<Write>,
    pub armed: bool,
}

/// When to cut the power during commits: after `writes_left` more EEPROM writes succeed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TearPlan {
    pub writes_left: Option<u32>,
}

/// The power was cut during a commit; the card is mute until it is powered up again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("power lost during a commit (card torn)")]
pub struct Torn;

/// Persistent memory: the state, its commit journal, and a count of writes made.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Eeprom {
    pub state: CardState,
    pub journal: Journal,
    /// EEPROM writes since personalisation (wear, and tear-point enumeration).
    #[serde(default)]
    pub write_count: u64,
    #[serde(skip)]
    pub tear: TearPlan,
}

impl Eeprom {
    pub fn new(state: CardState) -> Eeprom {
        Eeprom {
            state,
            journal: Journal::default(),
            write_count: 0,
            tear: TearPlan::default(),
        }
    }

    /// One EEPROM write, unless the power goes first.
    fn write(&mut self) -> Result<(), Torn> {
        if let Some(n) = self.tear.writes_left.as_mut() {
            if *n == 0 {
                self.tear.writes_left = None;
                return Err(Torn);
            }
            *n -= 1;
        }
        self.write_count += 1;
        Ok(())
    }

    /// Number of EEPROM writes a commit of `n` changes makes (its tear points).
    pub fn commit_writes(n: usize) -> u32 {
        2 * n as u32 + 2
    }

    /// Commits `writes` atomically (see the module docs).
    pub fn commit(&mut self, writes: Vec<Write>) -> Result<(), Torn> {
        if writes.is_empty() {
            return Ok(());
        }
        self.journal.entries.clear();
        for w in writes {
            self.write()?;
            self.journal.entries.push(w);
        }
        self.write()?;
        self.journal.armed = true;
        for i in 0..self.journal.entries.len() {
            self.write()?;
            self.journal.entries[i].apply(&mut self.state);
        }
        self.write()?;
        self.journal.armed = false;
        self.journal.entries.clear();
        Ok(())
    }

    /// Power-up recovery: finish an armed journal, drop an unarmed one.
    pub fn recover(&mut self) {
        if self.journal.armed {
            for w in &self.journal.entries {
                w.apply(&mut self.state);
            }
        }
        self.journal = Journal::default();
    }
}
