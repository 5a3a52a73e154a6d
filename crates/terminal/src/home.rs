//! A terminal's home: one folder per terminal (POS + PSAM) holding everything the terminal
//! remembers, whichever cards are tapped on it.
//!
//! ```text
//! DIR/terminal.db   SQLite (WAL): the terminal's identity (termID) and next TTC, the PSAM's
//!                   keys with their versions, the sales in doubt, and the journal (sales,
//!                   top-ups, the reversal queue and its log; see crate::journal)
//! DIR/lock          a SQLite file whose exclusive transaction a process holds while it uses
//!                   the terminal (the operating system releases it if the process dies)
//! ```
//!
//! * The TTC belongs to the terminal, not to a card: every card tapped here gets the next one,
//!   and the PSAM commits it to `terminal.db` before its answer (and so the DEBIT) goes out.
//! * Opening a home with a profile loads the PSAM's purchase keys from the profile every time,
//!   stored with their versions, so a re-keyed profile takes effect at once; the termID and the
//!   first TTC are taken only when the home is created.
//! * The sign-in (签到, docs/spec.md §8, [`TerminalHome::sign_in`]) brings the parameters, the
//!   merchant number and the purchase and load key index the POS uses; they are kept in the
//!   journal's `params` row.
//! * One process at a time: a second one is refused with `P-TERMINAL-BUSY`.
//! * Every sale is journaled here for `settle`, including flagged ones; a sale whose DEBIT answer
//!   was lost is kept in doubt, per card serial, until that card is tapped again.

use crate::host::{IssuerHost, IssuerLink, SignInAnswer};
use crate::journal::Journal;
use crate::pos::{Clock, InDoubt, Pos, PosError, SaleOutcome};
use crate::psam::{Psam, PsamKey, psam_key};
use crate::transport::Transport;
use crate::transport::sim::{PsamStore, SimPsam};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use stk_backoffice::store::{StoreError, open_db};
use stk_domain::errors::Code;
use stk_domain::profile::Profile;

/// The home used when none is named.
pub const DEFAULT_HOME: &str = "pos";
/// The environment variable naming the home (the `--terminal` option wins over it).
pub const HOME_ENV: &str = "STK_TERMINAL";
const DB_FILE: &str = "terminal.db";
const LOCK_FILE: &str = "lock";

/// Why a terminal home cannot be used. `code()` is the error-catalogue code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HomeError {
    #[error(
        "terminal home {dir} is in use by another process (it holds {dir}/lock); try again when it has finished"
    )]
    Busy { dir: String },
    #[error(
        "there is no terminal home at {dir} (no {dir}/terminal.db): a `pos` command creates it"
    )]
    Missing { dir: String },
    #[error("terminal home {dir}: {why}")]
    Unusable { dir: String, why: String },
    /// Its folder or database cannot be written (disk full, read-only): `I-STORAGE`.
    #[error("terminal home {dir} cannot be written: {why}")]
    Storage { dir: String, why: String },
}

impl HomeError {
    pub fn code(&self) -> Code {
        match self {
            HomeError::Busy { .. } => Code::PTerminalBusy,
            HomeError::Missing { .. } | HomeError::Unusable { .. } => Code::PTerminal,
            HomeError::Storage { .. } => Code::IStorage,
        }
    }
}

/// The terminal row and the PSAM's persistence: commits the TTC, and with it the sale it opens.
#[derive(Debug)]
struct HomeDb {
    db: Connection,
    /// The card of the sale under way (set by [`TerminalHome::sale`]).
    tapped: std::cell::Cell<Option<[u8; 10]>>,
}

impl HomeDb {
    fn new(db: Connection) -> HomeDb {
        HomeDb {
            db,
            tapped: std::cell::Cell::new(None),
        }
    }

    /// The sale that INIT SAM FOR PURCHASE `command` opened for the tapped card, which the
    /// PSAM has just given TTC `psam.ttc - 1`: random 4 ‖ offline counter 2 ‖ amount 4 ‖
    /// type 1 ‖ date 4 ‖ time 3 ‖ keyVer 1 ‖ algID 1 ‖ factor 8 (docs/spec.md §5).
    fn sale_opened(&self, psam: &Psam, command: &[u8]) -> Option<InDoubt> {
        let serial = self.tapped.get()?;
        let d = command.get(5..5 + 0x1C)?;
        if command[..5] != [0x80, 0x70, 0x00, 0x00, 0x1C] || d[20..28] != serial[2..] {
            return None;
        }
        Some(InDoubt {
            serial,
            counter: u16::from_be_bytes([d[4], d[5]]),
            amount: u32::from_be_bytes([d[6], d[7], d[8], d[9]]),
            term_id: psam.term_id,
            ttc: psam.ttc.checked_sub(1)?,
            date: [d[11], d[12], d[13], d[14]],
            time: [d[15], d[16], d[17]],
        })
    }
}

impl PsamStore for HomeDb {
    /// Commits the TTC. When the command opened a sale for the tapped card, the sale is kept
    /// in doubt in the same transaction: from before the DEBIT goes out until its record is
    /// journaled, a POS killed at any instant leaves it for the next tap of that card.
    fn save(&self, psam: &Psam, command: &[u8]) -> Result<(), String> {
        let fail = |e: rusqlite::Error| format!("{}: cannot commit the TTC: {e}", Code::IStorage);
        let tx = self.db.unchecked_transaction().map_err(fail)?;
        let n = tx
            .execute(
                "UPDATE terminal SET ttc=?1 WHERE id=1 AND term_id=?2",
                params![psam.ttc, hex::encode_upper(psam.term_id)],
            )
            .map_err(fail)?;
        if n != 1 {
            return Err("cannot commit the TTC: the terminal row is gone".into());
        }
        if let Some(sale) = self.sale_opened(psam, command) {
            let json = serde_json::to_string(&sale).map_err(|e| e.to_string())?;
            tx.execute(
                "INSERT OR REPLACE INTO in_doubt (serial, sale) VALUES (?1, ?2)",
                params![hex::encode_upper(sale.serial), json],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }
}

/// A terminal home, open and locked by this process (the lock goes with the value).
pub struct TerminalHome {
    dir: PathBuf,
    _lock: Connection,
    db: Rc<HomeDb>,
    /// The PSAM, made on first use and shared by every POS of this process (so a second tap
    /// finds the session of the first).
    psam: std::cell::OnceCell<SimPsam>,
    /// The journal: sales, top-ups, reversals.
    pub journal: Journal,
    /// The terminal number.
    pub term_id: [u8; 6],
    /// What opening the home did (created, re-keyed, migrated), for the operator.
    pub notes: Vec<String>,
    /// Whether opening it created it (a new terminal).
    pub created: bool,
}

/// What a sign-in brought, on one line (for the operator).
pub fn signed_in_line(a: &SignInAnswer) -> String {
    format!(
        "merchant {}, host time-out {} ms, {} resend(s), {} reversal tries, purchase key index {:02X} version {:02X}, load key index {:02X} version {:02X}",
        a.merchant,
        a.host_timeout_ms,
        a.resends,
        a.reversal_tries,
        a.purchase_key.index,
        a.purchase_key.version,
        a.load_key.index,
        a.load_key.version
    )
}

/// The home cannot be used; a storage failure (its message starts with `I-STORAGE`, as a
/// [`StoreError`] of a full or read-only disk does) is told apart as [`HomeError::Storage`].
fn unusable(dir: &Path, why: impl std::fmt::Display) -> HomeError {
    let why = why.to_string();
    let storage = format!("storage: {}: ", Code::IStorage);
    match why.strip_prefix(&storage) {
        Some(rest) => HomeError::Storage {
            dir: dir.display().to_string(),
            why: rest.to_string(),
        },
        None => HomeError::Unusable {
            dir: dir.display().to_string(),
            why,
        },
    }
}

/// A SQLite failure of the home: a storage failure is `I-STORAGE`, anything else `P-TERMINAL`.
fn db_failure(dir: &Path, what: &str, e: rusqlite::Error) -> HomeError {
    if stk_backoffice::store::is_storage_failure(&e) {
        HomeError::Storage {
            dir: dir.display().to_string(),
            why: format!("{what}: {e}"),
        }
    } else {
        unusable(dir, format!("{what}: {e}"))
    }
}

fn hex_array<const N: usize>(dir: &Path, what: &str, s: &str) -> Result<[u8; N], HomeError> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| unusable(dir, format!("{what} `{s}` is not {N} bytes of hex")))
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS terminal (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        term_id TEXT NOT NULL CHECK (length(term_id) = 12),
        ttc INTEGER NOT NULL CHECK (ttc BETWEEN 0 AND 4294967295)
    );
    CREATE TABLE IF NOT EXISTS psam_keys (
        version INTEGER PRIMARY KEY CHECK (version BETWEEN 0 AND 255),
        master INTEGER NOT NULL CHECK (master IN (0, 1)),
        key TEXT NOT NULL CHECK (length(key) = 32),
        profile TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS in_doubt (
        serial TEXT PRIMARY KEY,
        sale TEXT NOT NULL
    );";

impl TerminalHome {
    /// The home named by `arg`, else by `$STK_TERMINAL`, else [`DEFAULT_HOME`].
    pub fn dir_from(arg: Option<&Path>) -> PathBuf {
        arg.map(Path::to_path_buf)
            .or_else(|| std::env::var_os(HOME_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_HOME))
    }

    /// Takes the home's lock: an exclusive transaction on `DIR/lock`, held until the home is
    /// dropped (or the process dies). A second process is refused at once, never kept waiting.
    fn lock(dir: &Path) -> Result<Connection, HomeError> {
        let lock = Connection::open(dir.join(LOCK_FILE))
            .map_err(|e| db_failure(dir, "cannot open its lock file", e))?;
        lock.busy_timeout(std::time::Duration::ZERO)
            .map_err(|e| unusable(dir, e))?;
        match lock.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => Ok(lock),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                Err(HomeError::Busy {
                    dir: dir.display().to_string(),
                })
            }
            Err(e) => Err(db_failure(dir, "cannot lock it", e)),
        }
    }

    fn open_locked(dir: &Path) -> Result<(Connection, Connection, Journal), HomeError> {
        let lock = Self::lock(dir)?;
        let path = dir.join(DB_FILE);
        let db = open_db(&path).map_err(|e| unusable(dir, e))?;
        db.execute_batch(SCHEMA).map_err(|e| unusable(dir, e))?;
        let journal = Journal::open(&path).map_err(|e| unusable(dir, e))?;
        Ok((lock, db, journal))
    }

    /// Opens (creating it if needed) the home at `dir` with `profile`: the PSAM's purchase
    /// keys are (re)loaded from it. A new home takes `term_id`
    /// (default: the profile's PSAM terminal number) and the profile's first TTC; an existing
    /// one keeps its own, and a `term_id` that differs from it is refused.
    pub fn open(
        dir: &Path,
        profile: &Profile,
        term_id: Option<[u8; 6]>,
    ) -> Result<TerminalHome, HomeError> {
        Self::open_with(dir, profile, term_id, None)
    }

    /// [`TerminalHome::open`], and a home this creates signs in with `issuer` (what its
    /// sign-in answers, stored at `at`) in the same transaction that creates it: a new
    /// terminal is ready (docs/spec.md §8), and no process killed in between can leave it
    /// created but not signed in. An existing home is opened as it is.
    pub fn open_signing_in_new(
        dir: &Path,
        profile: &Profile,
        term_id: Option<[u8; 6]>,
        issuer: &IssuerHost,
        at: &str,
    ) -> Result<TerminalHome, HomeError> {
        Self::open_with(dir, profile, term_id, Some((issuer, at)))
    }

    fn open_with(
        dir: &Path,
        profile: &Profile,
        term_id: Option<[u8; 6]>,
        sign_in: Option<(&IssuerHost, &str)>,
    ) -> Result<TerminalHome, HomeError> {
        std::fs::create_dir_all(dir).map_err(|e| HomeError::Storage {
            dir: dir.display().to_string(),
            why: format!("cannot create its folder: {e}"),
        })?;
        let (lock, db, journal) = Self::open_locked(dir)?;
        let mut notes = Vec::new();
        let stored = Self::identity(dir, &db)?;
        let term_id = match (stored, term_id) {
            (Some((t, _)), Some(want)) if t != want => {
                return Err(unusable(
                    dir,
                    format!(
                        "this terminal is termID {}, not {}: a terminal number is given only when its home is created",
                        hex::encode_upper(t),
                        hex::encode_upper(want)
                    ),
                ));
            }
            (Some((t, _)), _) => t,
            (None, want) => {
                let t = want.unwrap_or(profile.psam.term_id);
                let tx = db.unchecked_transaction().map_err(|e| unusable(dir, e))?;
                tx.execute(
                    "INSERT INTO terminal (id, term_id, ttc) VALUES (1, ?1, ?2)",
                    params![hex::encode_upper(t), profile.psam.ttc],
                )
                .map_err(|e| unusable(dir, e))?;
                notes.push(format!(
                    "new terminal {} at {}: first TTC {}",
                    hex::encode_upper(t),
                    dir.display(),
                    profile.psam.ttc
                ));
                if let Some((issuer, at)) = sign_in {
                    let a = issuer.sign_in(t);
                    crate::journal::store_sign_in(&tx, &a, at).map_err(|e| unusable(dir, e))?;
                    notes.push(format!("signed in: {}", signed_in_line(&a)));
                }
                tx.commit().map_err(|e| unusable(dir, e))?;
                t
            }
        };
        let created = stored.is_none();
        let mut home = TerminalHome {
            dir: dir.to_path_buf(),
            _lock: lock,
            db: Rc::new(HomeDb::new(db)),
            psam: std::cell::OnceCell::new(),
            journal,
            term_id,
            notes,
            created,
        };
        home.load_psam_keys(profile)?;
        Ok(home)
    }

    /// Opens an existing home without signing in (settlement needs only its journal).
    pub fn open_existing(dir: &Path) -> Result<TerminalHome, HomeError> {
        if !dir.join(DB_FILE).is_file() {
            return Err(HomeError::Missing {
                dir: dir.display().to_string(),
            });
        }
        let (lock, db, journal) = Self::open_locked(dir)?;
        let (term_id, _) = Self::identity(dir, &db)?
            .ok_or_else(|| unusable(dir, "terminal.db has no terminal identity"))?;
        Ok(TerminalHome {
            dir: dir.to_path_buf(),
            _lock: lock,
            db: Rc::new(HomeDb::new(db)),
            psam: std::cell::OnceCell::new(),
            journal,
            term_id,
            notes: Vec::new(),
            created: false,
        })
    }

    /// The termID and next TTC a home holds, read without taking its lock (for inspection
    /// and tests; a POS uses [`TerminalHome::open`]).
    pub fn peek(dir: &Path) -> Result<([u8; 6], u32), HomeError> {
        let db = Connection::open_with_flags(
            dir.join(DB_FILE),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .map_err(|e| unusable(dir, e))?;
        Self::identity(dir, &db)?.ok_or_else(|| unusable(dir, "no terminal identity"))
    }

    fn identity(dir: &Path, db: &Connection) -> Result<Option<([u8; 6], u32)>, HomeError> {
        let row: Option<(String, u32)> = db
            .query_row("SELECT term_id, ttc FROM terminal WHERE id=1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(..) => db_failure(dir, "cannot read terminal.db", e),
                e => unusable(
                    dir,
                    format!(
                        "terminal.db's terminal row is damaged ({e}); restore terminal.db from a backup"
                    ),
                ),
            })?;
        row.map(|(t, ttc)| Ok((hex_array(dir, "termID", &t)?, ttc)))
            .transpose()
    }

    /// Loads the profile's purchase keys into the PSAM, replacing the stored set if it differs.
    fn load_psam_keys(&mut self, profile: &Profile) -> Result<(), HomeError> {
        let want: Vec<PsamKey> = profile
            .keys
            .purchase
            .iter()
            .map(|k| psam_key(k.version, &k.key))
            .collect();
        let have = self.keys()?;
        // By version, as the PSAM finds them (a later key of the same version wins).
        let by_version: std::collections::BTreeMap<u8, PsamKey> =
            want.iter().map(|k| (k.version, k.clone())).collect();
        let sorted: Vec<PsamKey> = by_version.into_values().collect();
        if have == sorted {
            return Ok(());
        }
        let dir = self.dir.clone();
        let tx = self
            .db
            .db
            .unchecked_transaction()
            .map_err(|e| unusable(&dir, e))?;
        tx.execute("DELETE FROM psam_keys", [])
            .map_err(|e| unusable(&dir, e))?;
        for k in &sorted {
            tx.execute(
                "INSERT INTO psam_keys (version, master, key, profile) VALUES (?1, ?2, ?3, ?4)",
                params![k.version, k.master, hex::encode_upper(k.key), profile.name],
            )
            .map_err(|e| unusable(&dir, e))?;
        }
        tx.commit().map_err(|e| unusable(&dir, e))?;
        let versions: Vec<String> = sorted.iter().map(|k| k.version.to_string()).collect();
        self.notes.push(format!(
            "PSAM {} with the purchase keys of profile `{}` (key version {})",
            if have.is_empty() {
                "loaded"
            } else {
                "re-keyed"
            },
            profile.name,
            versions.join(", ")
        ));
        Ok(())
    }

    /// The PSAM's purchase keys, by version.
    pub fn keys(&self) -> Result<Vec<PsamKey>, HomeError> {
        let dir = &self.dir;
        let mut st = self
            .db
            .db
            .prepare("SELECT version, master, key FROM psam_keys ORDER BY version")
            .map_err(|e| unusable(dir, e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, u8>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .and_then(|m| m.collect::<Result<Vec<_>, _>>())
            .map_err(|e| unusable(dir, e))?;
        rows.into_iter()
            .map(|(version, master, key)| {
                Ok(PsamKey {
                    version,
                    master,
                    key: hex_array(dir, "PSAM key", &key)?,
                })
            })
            .collect()
    }

    /// The next TTC the PSAM will hand out.
    pub fn next_ttc(&self) -> Result<u32, HomeError> {
        Self::identity(&self.dir, &self.db.db)?
            .map(|(_, ttc)| ttc)
            .ok_or_else(|| unusable(&self.dir, "no terminal identity"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The terminal's PSAM: its keys, termID and TTC, committing each TTC it hands out.
    pub fn psam(&self) -> Result<SimPsam, HomeError> {
        if let Some(p) = self.psam.get() {
            return Ok(p.clone());
        }
        let psam = Psam::with_state(self.keys()?, self.term_id, self.next_ttc()?);
        Ok(self
            .psam
            .get_or_init(|| SimPsam::stored(psam, self.db.clone()))
            .clone())
    }

    /// A POS at this terminal over `card`, using the purchase and load key indexes the
    /// terminal last signed in with (index 1 for both if it never signed in).
    pub fn pos<C: Transport>(
        &self,
        card: C,
        clock: Clock,
        aid: Vec<u8>,
    ) -> Result<Pos<C, SimPsam>, HomeError> {
        let mut pos = Pos::new(card, self.psam()?, clock, aid);
        if let Some(s) = self
            .journal
            .sign_in_record()
            .map_err(|e| unusable(&self.dir, e))?
        {
            pos.purchase_key_index = s.purchase_key.index;
            pos.load_key_index = s.load_key.index;
        }
        Ok(pos)
    }

    /// Signs the terminal in (签到, docs/spec.md §8) over `link`: the issuer answers (which
    /// tests the link, under the terminal's current time-out and resends) with the parameters
    /// and the key indexes and versions to use, and they are stored at once, in one statement.
    /// A sign-in that fails leaves the terminal's previous parameters as they were.
    pub fn sign_in(&self, link: &impl IssuerLink, at: &str) -> Result<SignInAnswer, PosError> {
        let a = link.sign_in(self.term_id)?;
        self.journal.store_sign_in(&a, at)?;
        Ok(a)
    }

    /// The sale of card `serial` in doubt at this terminal, if any.
    pub fn in_doubt(&self, serial: &[u8; 10]) -> Result<Option<InDoubt>, StoreError> {
        let json: Option<String> = self
            .db
            .db
            .query_row(
                "SELECT sale FROM in_doubt WHERE serial=?1",
                [hex::encode_upper(serial)],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::damaged(format!("sale in doubt: {e}")))
        })
        .transpose()
    }

    /// Every sale in doubt at this terminal.
    pub fn all_in_doubt(&self) -> Result<Vec<InDoubt>, StoreError> {
        let mut st = self
            .db
            .db
            .prepare("SELECT sale FROM in_doubt ORDER BY serial")?;
        let v = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        v.iter()
            .map(|j| {
                serde_json::from_str(j)
                    .map_err(|e| StoreError::damaged(format!("sale in doubt: {e}")))
            })
            .collect()
    }

    /// Keeps `sale` as card `serial`'s sale in doubt, or forgets it (`None`).
    pub fn set_in_doubt(
        &self,
        serial: &[u8; 10],
        sale: Option<&InDoubt>,
    ) -> Result<(), StoreError> {
        let s = hex::encode_upper(serial);
        match sale {
            Some(d) => {
                let json = serde_json::to_string(d).map_err(|e| StoreError(e.to_string()))?;
                self.db.db.execute(
                    "INSERT OR REPLACE INTO in_doubt (serial, sale) VALUES (?1, ?2)",
                    params![s, json],
                )?;
            }
            None => {
                self.db
                    .db
                    .execute("DELETE FROM in_doubt WHERE serial=?1", [s])?;
            }
        }
        Ok(())
    }

    /// One tap of a sale of `amount` fen at this terminal: the tapped card's sale in doubt (if
    /// any) is resolved first. The sale is kept in doubt from the moment the PSAM opens it
    /// (with its TTC, before the DEBIT goes out); its record is journaled for settlement (a
    /// digest error's flagged record too) before it is forgotten. A DEBIT whose answer is lost
    /// leaves it in doubt for the next tap of that card; a DEBIT the card refused, nothing.
    pub fn sale<C: Transport>(
        &self,
        pos: &mut Pos<C, SimPsam>,
        amount: u32,
    ) -> Result<SaleOutcome, PosError> {
        let info = pos.tap()?;
        let mut pending = self.in_doubt(&info.serial)?;
        self.db.tapped.set(Some(info.serial));
        pos.sale_balance = None;
        let r = pos.sale_tapped(&info, &mut pending, amount);
        self.db.tapped.set(None);
        let recorded = match &r {
            Ok(out) => Some(&out.record),
            Err(PosError::Digest { record }) => Some(&**record),
            Err(_) => None,
        };
        match (recorded, &r) {
            (Some(record), _) => {
                let balance = if record.recovered {
                    None
                } else {
                    pos.sale_balance
                };
                self.journal.add_sale_with(record, r.is_ok(), balance)?;
                self.set_in_doubt(&info.serial, None)?;
            }
            // The card refused (it never commits on an error status), or the sale is in doubt.
            (None, Err(PosError::Card { .. } | PosError::InDoubt(_))) => {
                self.set_in_doubt(&info.serial, pending.as_ref())?;
            }
            // Anything else may have come after the DEBIT: a sale the PSAM opened stays in doubt.
            (None, _) => {
                if let Some(d) = &pending {
                    self.set_in_doubt(&info.serial, Some(d))?;
                }
            }
        }
        r
    }

    /// Carries over what an older version kept beside the card image `card`: the TTC of
    /// `<card>.psam.json` (the home's TTC moves up to it if this is the same terminal, so no
    /// TTC handed out under that file is used again) and the sale in doubt of
    /// `<card>.pending.json`. Each file is renamed `….migrated` once taken over.
    pub fn migrate_legacy(&mut self, card: &Path) -> Result<(), HomeError> {
        let dir = self.dir.clone();
        let psam_file = card.with_extension("psam.json");
        if let Some(old) = Psam::read_legacy(&psam_file).map_err(|e| unusable(&dir, e))? {
            let ttc = self.next_ttc()?;
            if old.term_id == self.term_id && old.ttc > ttc {
                self.db
                    .save(&Psam::with_state(Vec::new(), self.term_id, old.ttc), &[])
                    .map_err(|e| unusable(&dir, e))?;
                if let Some(p) = self.psam.get() {
                    p.0.borrow_mut().ttc = old.ttc;
                }
                self.notes.push(format!(
                    "{}: TTC carried over, the next TTC is {}",
                    psam_file.display(),
                    old.ttc
                ));
            } else {
                self.notes.push(format!(
                    "{}: nothing to carry over (termID {}, next TTC {}; this terminal: {}, {ttc})",
                    psam_file.display(),
                    hex::encode_upper(old.term_id),
                    old.ttc,
                    hex::encode_upper(self.term_id)
                ));
            }
            Self::retire(&dir, &psam_file)?;
        }
        let pending_file = card.with_extension("pending.json");
        if let Some(d) = InDoubt::load_from(&pending_file).map_err(|e| unusable(&dir, e))? {
            if self
                .in_doubt(&d.serial)
                .map_err(|e| unusable(&dir, e))?
                .is_none()
            {
                self.set_in_doubt(&d.serial, Some(&d))
                    .map_err(|e| unusable(&dir, e))?;
                self.notes.push(format!(
                    "{}: the sale in doubt of card {} is now kept by this terminal",
                    pending_file.display(),
                    hex::encode_upper(d.serial)
                ));
            }
            Self::retire(&dir, &pending_file)?;
        }
        Ok(())
    }

    fn retire(dir: &Path, file: &Path) -> Result<(), HomeError> {
        let mut to = file.as_os_str().to_owned();
        to.push(".migrated");
        std::fs::rename(file, &to)
            .map_err(|e| unusable(dir, format!("cannot rename {}: {e}", file.display())))
    }
}
