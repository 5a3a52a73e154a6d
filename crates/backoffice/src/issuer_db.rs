//! The issuer's own state (docs/spec.md §8, "sign-in" and "key rollover"): which purchase and
//! load key (index and version) is current, which have been retired by a rollover, and the
//! parameters a terminal downloads when it signs in. The key material itself stays in the
//! profile (the issuer's view of its cards, docs/spec.md §4); this database only says which of
//! the profile's keys are in force.
//!
//! ```text
//! issuer.db  SQLite (WAL)
//!   key_state (kind 'purchase'|'load', key_index, version, state 'current'|'retired', since)
//!   params    (one row: merchant, host_timeout_ms, resends, reversal_tries)
//! ```
//!
//! A missing file is an issuer that never rolled a key: the profile's lowest version of each
//! kind is current, nothing is retired, and the parameters are the defaults. Reading never
//! creates the file; `issuer roll-key` and `issuer params` do.

use crate::store::{StoreError, open_db};
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt;
use std::path::Path;
use stk_domain::issuer::KeyChoice;
use stk_domain::profile::{IndexedKey, Profile};

/// The default file name of the issuer's state.
pub const DEFAULT_ISSUER_DB: &str = "issuer.db";

/// The merchant number a new issuer gives its terminals (15 digits).
pub const DEFAULT_MERCHANT: &str = "898440358120001";

/// A purchase key or a load key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Purchase,
    Load,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Purchase => "purchase",
            KeyKind::Load => "load",
        }
    }

    fn keys(self, p: &Profile) -> &[IndexedKey] {
        match self {
            KeyKind::Purchase => &p.keys.purchase,
            KeyKind::Load => &p.keys.load,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parameters the issuer hands out at sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerParams {
    pub merchant: String,
    pub host_timeout_ms: u32,
    pub resends: u32,
    pub reversal_tries: u32,
}

impl Default for IssuerParams {
    /// The terminal defaults of docs/spec.md §8: 2000 ms, one resend, three reversal tries.
    fn default() -> IssuerParams {
        IssuerParams {
            merchant: DEFAULT_MERCHANT.into(),
            host_timeout_ms: 2000,
            resends: 1,
            reversal_tries: 3,
        }
    }
}

impl IssuerParams {
    /// Checks the ranges a terminal's journal accepts.
    pub fn validate(&self) -> Result<(), String> {
        if self.merchant.len() != 15 || !self.merchant.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "merchant number `{}`: 15 digits expected",
                self.merchant
            ));
        }
        if self.host_timeout_ms == 0 || self.host_timeout_ms > 600_000 {
            return Err("the host time-out is 1 to 600000 ms".into());
        }
        if self.resends > 9 {
            return Err("the resend count is 0 to 9".into());
        }
        if !(1..=99).contains(&self.reversal_tries) {
            return Err("the reversal tries are 1 to 99".into());
        }
        Ok(())
    }
}

/// The issuer's key state and parameters, as read from `issuer.db` (or the defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerState {
    pub purchase: KeyChoice,
    pub load: KeyChoice,
    /// Keys retired by a rollover: (kind, index, version).
    pub retired: Vec<(KeyKind, KeyChoice)>,
    pub params: IssuerParams,
}

/// Why the issuer's state cannot be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerDbError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The profile has no key to roll to, or no key of a kind at all.
    #[error("{0}")]
    Profile(String),
    /// Parameters out of range.
    #[error("{0}")]
    Params(String),
}

/// The profile's key of `kind` with the lowest version: what a new issuer starts with.
fn first_key(p: &Profile, kind: KeyKind) -> Result<KeyChoice, IssuerDbError> {
    kind.keys(p)
        .iter()
        .min_by_key(|k| (k.version, k.index))
        .map(|k| KeyChoice {
            index: k.index,
            version: k.version,
        })
        .ok_or_else(|| {
            IssuerDbError::Profile(format!(
                "{}: profile `{}` has no {kind} key",
                stk_domain::errors::Code::IProfile,
                p.name
            ))
        })
}

impl IssuerState {
    /// A new issuer for `profile`: its lowest key version of each kind, nothing retired.
    pub fn fresh(profile: &Profile) -> Result<IssuerState, IssuerDbError> {
        Ok(IssuerState {
            purchase: first_key(profile, KeyKind::Purchase)?,
            load: first_key(profile, KeyKind::Load)?,
            retired: Vec::new(),
            params: IssuerParams::default(),
        })
    }

    /// The current key of `kind`.
    pub fn current(&self, kind: KeyKind) -> KeyChoice {
        match kind {
            KeyKind::Purchase => self.purchase,
            KeyKind::Load => self.load,
        }
    }

    /// The version of load key `index`, if the issuer retired it.
    pub fn retired_load(&self, index: u8) -> Option<u8> {
        self.retired
            .iter()
            .find(|(k, c)| *k == KeyKind::Load && c.index == index)
            .map(|(_, c)| c.version)
    }

    /// Reads `path`, or the state of a new issuer for `profile` if there is no such file.
    pub fn read(path: &Path, profile: &Profile) -> Result<IssuerState, IssuerDbError> {
        let fresh = Self::fresh(profile)?;
        if !path.exists() {
            return Ok(fresh);
        }
        let db = open(path)?;
        Self::read_db(&db, fresh)
    }

    fn read_db(db: &Connection, fresh: IssuerState) -> Result<IssuerState, IssuerDbError> {
        let mut st = db
            .prepare("SELECT kind, key_index, version, state FROM key_state ORDER BY since, rowid")
            .map_err(StoreError::from)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u8>(1)?,
                    r.get::<_, u8>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .and_then(|m| m.collect::<Result<Vec<_>, _>>())
            .map_err(StoreError::from)?;
        let mut s = fresh;
        for (kind, index, version, state) in rows {
            let kind = match kind.as_str() {
                "purchase" => KeyKind::Purchase,
                _ => KeyKind::Load,
            };
            let c = KeyChoice { index, version };
            if state == "current" {
                match kind {
                    KeyKind::Purchase => s.purchase = c,
                    KeyKind::Load => s.load = c,
                }
            } else {
                s.retired.push((kind, c));
            }
        }
        let p: Option<(String, u32, u32, u32)> = db
            .query_row(
                "SELECT merchant, host_timeout_ms, resends, reversal_tries FROM params WHERE id=1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(StoreError::from)?;
        if let Some((merchant, host_timeout_ms, resends, reversal_tries)) = p {
            s.params = IssuerParams {
                merchant,
                host_timeout_ms,
                resends,
                reversal_tries,
            };
        }
        Ok(s)
    }

    /// Rolls the `kind` key at `path` over to the profile's next version above the current one:
    /// the current key is retired and the next becomes current, in one transaction. Returns
    /// (retired, new current).
    pub fn roll(
        path: &Path,
        profile: &Profile,
        kind: KeyKind,
        now: &str,
    ) -> Result<(KeyChoice, KeyChoice), IssuerDbError> {
        let fresh = Self::fresh(profile)?;
        let db = open(path)?;
        let state = Self::read_db(&db, fresh)?;
        let old = state.current(kind);
        let next = kind
            .keys(profile)
            .iter()
            .filter(|k| k.version > old.version)
            .min_by_key(|k| (k.version, k.index))
            .map(|k| KeyChoice {
                index: k.index,
                version: k.version,
            })
            .ok_or_else(|| {
                IssuerDbError::Profile(format!(
                    "{}: profile `{}` has no {kind} key newer than version {:02X} (index {:02X}): \
                     personalise the new key (index, version, key) in the profile first",
                    stk_domain::errors::Code::IProfile,
                    profile.name,
                    old.version,
                    old.index
                ))
            })?;
        if next.index == old.index {
            return Err(IssuerDbError::Profile(format!(
                "{}: the new {kind} key (version {:02X}) must have another index than the current \
                 one ({:02X}): a card personalised with both tells them apart by index",
                stk_domain::errors::Code::IProfile,
                next.version,
                old.index
            )));
        }
        let tx = db.unchecked_transaction().map_err(StoreError::from)?;
        tx.execute(
            "INSERT OR REPLACE INTO key_state (kind, key_index, version, state, since) \
             VALUES (?1, ?2, ?3, 'retired', ?4)",
            params![kind.as_str(), old.index, old.version, now],
        )
        .map_err(StoreError::from)?;
        tx.execute(
            "INSERT OR REPLACE INTO key_state (kind, key_index, version, state, since) \
             VALUES (?1, ?2, ?3, 'current', ?4)",
            params![kind.as_str(), next.index, next.version, now],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok((old, next))
    }

    /// Stores the parameters terminals download at their next sign-in.
    pub fn set_params(path: &Path, p: &IssuerParams) -> Result<(), IssuerDbError> {
        p.validate().map_err(IssuerDbError::Params)?;
        let db = open(path)?;
        db.execute(
            "INSERT OR REPLACE INTO params (id, merchant, host_timeout_ms, resends, reversal_tries) \
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![p.merchant, p.host_timeout_ms, p.resends, p.reversal_tries],
        )
        .map_err(StoreError::from)?;
        Ok(())
    }
}

fn open(path: &Path) -> Result<Connection, IssuerDbError> {
    let db = open_db(path)?;
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS key_state (
            kind TEXT NOT NULL CHECK (kind IN ('purchase', 'load')),
            key_index INTEGER NOT NULL CHECK (key_index BETWEEN 0 AND 255),
            version INTEGER NOT NULL CHECK (version BETWEEN 0 AND 255),
            state TEXT NOT NULL CHECK (state IN ('current', 'retired')),
            since TEXT NOT NULL,
            PRIMARY KEY (kind, key_index)
         );
         CREATE UNIQUE INDEX IF NOT EXISTS one_current ON key_state (kind) WHERE state = 'current';
         CREATE TABLE IF NOT EXISTS params (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            merchant TEXT NOT NULL CHECK (length(merchant) = 15),
            host_timeout_ms INTEGER NOT NULL CHECK (host_timeout_ms > 0),
            resends INTEGER NOT NULL CHECK (resends BETWEEN 0 AND 9),
            reversal_tries INTEGER NOT NULL CHECK (reversal_tries BETWEEN 1 AND 99)
         );",
    )
    .map_err(StoreError::from)?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_load_keys() -> Profile {
        let mut p = Profile::default_profile();
        let mut k = p.keys.load[0].clone();
        k.index = 2;
        k.version = 2;
        p.keys.load.push(k);
        p
    }

    #[test]
    fn a_missing_file_is_a_new_issuer_and_is_not_created() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("issuer.db");
        let s = IssuerState::read(&path, &Profile::default_profile()).unwrap();
        assert_eq!(
            s.load,
            KeyChoice {
                index: 1,
                version: 1
            }
        );
        assert_eq!(
            s.purchase,
            KeyChoice {
                index: 1,
                version: 1
            }
        );
        assert!(s.retired.is_empty());
        assert_eq!(s.params, IssuerParams::default());
        assert!(!path.exists());
    }

    #[test]
    fn a_roll_retires_the_current_key_and_persists() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("issuer.db");
        let p = two_load_keys();
        let (old, new) = IssuerState::roll(&path, &p, KeyKind::Load, "t").unwrap();
        assert_eq!((old.index, new.index, new.version), (1, 2, 2));
        let s = IssuerState::read(&path, &p).unwrap();
        assert_eq!(s.load, new);
        assert_eq!(s.retired_load(1), Some(1));
        assert_eq!(s.retired_load(2), None);
        // Nothing newer left: refused, state unchanged.
        assert!(matches!(
            IssuerState::roll(&path, &p, KeyKind::Load, "t"),
            Err(IssuerDbError::Profile(_))
        ));
        assert_eq!(IssuerState::read(&path, &p).unwrap().load, new);
    }
}
