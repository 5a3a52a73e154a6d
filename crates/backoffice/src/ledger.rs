//! The clearing host's embedded ledger: [`SqliteLedger`], the default implementation of
//! [`Ledger`] (docs/spec.md §5, "settlement that sees every fen").
//!
//! Tables: `cards` (opening balance), `card_counters` (opening online and offline counters),
//! `purchases` (offline purchase records, TAC verified), `moves` (every other movement of money:
//! POS loads, integrated top-ups, over-the-air loads, refunds and bill payments, each `pending`,
//! `booked` or `void`), `rejections` (records not paid, open until someone resolves them).
//!
//! A move's counter lives in the card's online space (credits) or offline space (bill
//! payments, which share the offline counter with purchases). Two booked moves cannot hold the
//! same counter of a card (a partial UNIQUE index over booked moves); pending moves may share
//! one (an over-the-air load authorised and a POS load uploaded later, for instance) until the
//! card decides which one used it. A move booked on the card's counter alone (`presumed`: the
//! card's log no longer held the record) gives way to a move proved at that counter later.

use crate::settle::{Insert, Ledger, Move, MoveRow, MoveState, RejectionRow};
use crate::store::{StoreError, open_db};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use stk_domain::errors::Code;
use stk_domain::records::PurchaseRecord;

pub struct SqliteLedger {
    db: Connection,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS cards (serial TEXT PRIMARY KEY, opening INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS card_counters (
        serial TEXT PRIMARY KEY, online INTEGER NOT NULL, offline INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS purchases (
        serial TEXT NOT NULL, counter INTEGER NOT NULL, amount INTEGER NOT NULL,
        term_id TEXT NOT NULL, ttc INTEGER NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
        tac TEXT NOT NULL,
        UNIQUE (serial, counter), UNIQUE (term_id, ttc));
    CREATE TABLE IF NOT EXISTS moves (
        id INTEGER PRIMARY KEY,
        serial TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('pos-load','topup','air-load','refund','bill',
            'close-refund')),
        space TEXT NOT NULL CHECK (space IN ('online','offline')),
        counter INTEGER NOT NULL, amount INTEGER NOT NULL,
        term_id TEXT NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
        reference TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','booked','void')),
        note TEXT NOT NULL DEFAULT '',
        presumed INTEGER NOT NULL DEFAULT 0);
    DROP INDEX IF EXISTS moves_live;
    CREATE UNIQUE INDEX IF NOT EXISTS moves_booked ON moves (serial, space, counter)
        WHERE state = 'booked';
    CREATE INDEX IF NOT EXISTS moves_at ON moves (serial, space, counter);
    CREATE TABLE IF NOT EXISTS rejections (
        id INTEGER PRIMARY KEY, serial TEXT NOT NULL, counter INTEGER NOT NULL,
        record TEXT NOT NULL, reason TEXT NOT NULL);";

/// Columns added after the first release (a ledger written before them is upgraded in place):
/// table, column, type.
const ADDED_COLUMNS: [(&str, &str, &str); 6] = [
    ("rejections", "code", "TEXT NOT NULL DEFAULT 'H-TAC'"),
    ("rejections", "resolved_by", "TEXT"),
    ("rejections", "resolved_at", "TEXT"),
    ("rejections", "resolution", "TEXT"),
    ("rejections", "ttc", "INTEGER NOT NULL DEFAULT 0"),
    ("moves", "presumed", "INTEGER NOT NULL DEFAULT 0"),
];

impl SqliteLedger {
    pub fn open(path: &Path) -> Result<SqliteLedger, StoreError> {
        let db = open_db(path)?;
        db.execute_batch(SCHEMA)?;
        upgrade_move_kinds(&db)?;
        for (table, col, ty) in ADDED_COLUMNS {
            let has = db
                .prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name='{col}'"
                ))?
                .exists([])?;
            if !has {
                db.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {col} {ty}"))?;
            }
        }
        db.execute_batch(
            "CREATE UNIQUE INDEX IF NOT EXISTS rejections_once ON rejections (record, reason)",
        )?;
        Ok(SqliteLedger { db })
    }

    /// The size of the database file's pages in use, in bytes (for the settlement bench).
    pub fn size_bytes(&self) -> Result<u64, StoreError> {
        let pages: i64 = self.db.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.db.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size) as u64)
    }
}

/// A ledger written before the service desk's closures cannot hold a `close-refund` move: its
/// `moves` table is rebuilt with the current CHECK, rows kept, in one transaction.
fn upgrade_move_kinds(db: &Connection) -> Result<(), StoreError> {
    let sql: String = db.query_row(
        "SELECT sql FROM sqlite_master WHERE type='table' AND name='moves'",
        [],
        |r| r.get(0),
    )?;
    if sql.contains("close-refund") {
        return Ok(());
    }
    let create = SCHEMA
        .split(';')
        .find(|s| s.contains("CREATE TABLE IF NOT EXISTS moves"))
        .unwrap_or_default();
    let cols = "id, serial, kind, space, counter, amount, term_id, date, time, reference, state, \
                note";
    db.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         ALTER TABLE moves RENAME TO moves_before_desk;
         {create};
         INSERT INTO moves ({cols}) SELECT {cols} FROM moves_before_desk;
         DROP TABLE moves_before_desk;
         CREATE UNIQUE INDEX IF NOT EXISTS moves_booked ON moves (serial, space, counter)
             WHERE state = 'booked';
         COMMIT;"
    ))?;
    Ok(())
}

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

fn inserted(r: rusqlite::Result<usize>) -> Result<Insert, StoreError> {
    match r {
        Ok(_) => Ok(Insert::Added),
        Err(e) if unique_violation(&e) => Ok(Insert::Duplicate),
        Err(e) => Err(e.into()),
    }
}

fn hex_arr<const N: usize>(s: String) -> Result<[u8; N], StoreError> {
    hex::decode(&s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| StoreError::damaged(format!("`{s}` is not {N} bytes of hex")))
}

fn move_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, [String; 6], u16, u32, String)> {
    Ok((
        r.get(0)?,
        [
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ],
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

const MOVE_COLS: &str = "id, serial, kind, term_id, date, time, reference, counter, amount, state";

fn decode_move(raw: (i64, [String; 6], u16, u32, String)) -> Result<MoveRow, StoreError> {
    let (id, [serial, kind, term, date, time, reference], counter, amount, state) = raw;
    Ok(MoveRow {
        id,
        state: state.parse().map_err(StoreError::damaged)?,
        m: Move {
            serial: hex_arr(serial)?,
            kind: kind.parse().map_err(StoreError::damaged)?,
            counter,
            amount,
            term_id: hex_arr(term)?,
            date: hex_arr(date)?,
            time: hex_arr(time)?,
            reference,
        },
    })
}

impl SqliteLedger {
    /// Whether move `id` was booked on the card's counter alone ([`Ledger::presume_move`]).
    fn presumed(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .db
            .query_row("SELECT presumed != 0 FROM moves WHERE id=?1", [id], |r| {
                r.get(0)
            })?)
    }

    fn purchase_at(&self, serial: &[u8; 10], counter: u16) -> Result<bool, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT 1 FROM purchases WHERE serial=?1 AND counter=?2",
                params![hex::encode_upper(serial), counter],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn insert_move(&self, m: &Move, state: MoveState, note: &str) -> Result<Insert, StoreError> {
        inserted(self.db.execute(
            "INSERT INTO moves (serial, kind, space, counter, amount, term_id, date, time, \
             reference, state, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                hex::encode_upper(m.serial),
                m.kind.as_str(),
                m.kind.space(),
                m.counter,
                m.amount,
                hex::encode_upper(m.term_id),
                hex::encode_upper(m.date),
                hex::encode_upper(m.time),
                m.reference,
                state.as_str(),
                note
            ],
        ))
    }
}

impl Ledger for SqliteLedger {
    fn open_card(&mut self, serial: &[u8; 10], balance: u32) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT OR IGNORE INTO cards (serial, opening) VALUES (?1, ?2)",
            params![hex::encode_upper(serial), balance],
        )?;
        Ok(())
    }

    fn open_counters(
        &mut self,
        serial: &[u8; 10],
        online: u16,
        offline: u16,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT OR IGNORE INTO card_counters (serial, online, offline) VALUES (?1, ?2, ?3)",
            params![hex::encode_upper(serial), online, offline],
        )?;
        Ok(())
    }

    fn opening_counters(&mut self, serial: &[u8; 10]) -> Result<Option<(u16, u16)>, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT online, offline FROM card_counters WHERE serial=?1",
                [hex::encode_upper(serial)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn add_purchase(&mut self, r: &PurchaseRecord) -> Result<Insert, StoreError> {
        let serial = hex::encode_upper(r.serial);
        // A bill payment booked at this counter is another debit: the record is a duplicate.
        // One only authorised was never made: the card spent the counter on this sale. One
        // indexed look-up tells both (almost always: no bill at all at this counter).
        // A debit booked only on the card's counter (its log no longer held the record) is a
        // presumption the record's TAC overrules: voided like a pending one.
        let (booked, open): (i64, i64) = self
            .db
            .prepare_cached(
                "SELECT COALESCE(SUM(state='booked' AND presumed=0), 0), \
                 COALESCE(SUM(state='pending' OR state='booked' AND presumed=1), 0) \
                 FROM moves WHERE serial=?1 AND space='offline' AND counter=?2",
            )?
            .query_row(params![serial, r.counter], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        if booked > 0 {
            return Ok(Insert::Duplicate);
        }
        if open > 0 {
            self.db
                .prepare_cached(
                    "UPDATE moves SET state='void', presumed=0, note=?3 WHERE serial=?1 \
                     AND space='offline' AND counter=?2 \
                     AND (state='pending' OR state='booked' AND presumed=1)",
                )?
                .execute(params![
                    serial,
                    r.counter,
                    format!("the card spent counter {} on TTC {}", r.counter, r.ttc)
                ])?;
        }
        let fields = params![
            serial,
            r.counter,
            r.amount,
            hex::encode_upper(r.term_id),
            r.ttc,
            hex::encode_upper(r.date),
            hex::encode_upper(r.time),
            hex::encode_upper(r.tac)
        ];
        let added = inserted(
            self.db
                .prepare_cached(
                    "INSERT INTO purchases (serial, counter, amount, term_id, ttc, date, time, \
                     tac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(fields),
        )?;
        if added == Insert::Added {
            return Ok(added);
        }
        let same: u32 = self.db.query_row(
            "SELECT COUNT(*) FROM purchases WHERE serial=?1 AND counter=?2 AND amount=?3 \
             AND term_id=?4 AND ttc=?5 AND date=?6 AND time=?7 AND tac=?8",
            fields,
            |row| row.get(0),
        )?;
        Ok(if same > 0 { Insert::Same } else { added })
    }

    fn add_move(&mut self, m: &Move, state: MoveState) -> Result<Insert, StoreError> {
        if !m.kind.is_credit() && self.purchase_at(&m.serial, m.counter)? {
            self.insert_move(
                m,
                MoveState::Void,
                "the card spent this counter on a purchase",
            )?;
            return Ok(Insert::Duplicate);
        }
        let serial = hex::encode_upper(m.serial);
        let at_counter = |st: MoveState| -> Result<Vec<MoveRow>, StoreError> {
            let mut q = self.db.prepare_cached(&format!(
                "SELECT {MOVE_COLS} FROM moves WHERE serial=?1 AND space=?2 AND counter=?3 \
                 AND state=?4 ORDER BY id"
            ))?;
            let raw = q
                .query_map(
                    params![serial, m.kind.space(), m.counter, st.as_str()],
                    move_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            raw.into_iter().map(decode_move).collect()
        };
        let booked = at_counter(MoveState::Booked)?;
        let pending = at_counter(MoveState::Pending)?;
        if let Some(old) = booked.first() {
            if old.m == *m {
                if state == MoveState::Booked && self.presumed(old.id)? {
                    self.resolve_move(old.id, MoveState::Booked, "proved by its TAC")?;
                }
                return Ok(Insert::Same);
            }
            // A move booked on the card's counter alone (its log no longer held the record)
            // gives way to another proved at that counter: the card spent it on that one.
            if state != MoveState::Booked || !self.presumed(old.id)? {
                return Ok(Insert::Duplicate);
            }
            self.resolve_move(
                old.id,
                MoveState::Void,
                &format!(
                    "counter {} went to {} {}, proved by its TAC",
                    m.counter, m.kind, m.reference
                ),
            )?;
        }
        if let Some(old) = pending.iter().find(|p| p.m == *m) {
            if state == MoveState::Booked {
                self.resolve_move(old.id, MoveState::Booked, "proved by its TAC")?;
            } else {
                return Ok(Insert::Same);
            }
        } else {
            self.insert_move(m, state, "")?;
        }
        // A proved move at a counter others were waiting on: they never happened.
        if state == MoveState::Booked {
            for p in pending.iter().filter(|p| p.m != *m) {
                self.resolve_move(
                    p.id,
                    MoveState::Void,
                    &format!("counter {} went to {} {}", m.counter, m.kind, m.reference),
                )?;
            }
        }
        Ok(Insert::Added)
    }

    fn pending_moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError> {
        let mut st = self.db.prepare(&format!(
            "SELECT {MOVE_COLS} FROM moves WHERE serial=?1 AND state='pending' ORDER BY id"
        ))?;
        let raw = st
            .query_map([hex::encode_upper(serial)], move_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(decode_move).collect()
    }

    fn presumed_moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError> {
        let mut st = self.db.prepare(&format!(
            "SELECT {MOVE_COLS} FROM moves WHERE serial=?1 AND state='booked' AND presumed=1 \
             ORDER BY id"
        ))?;
        let raw = st
            .query_map([hex::encode_upper(serial)], move_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(decode_move).collect()
    }

    fn moves(&mut self, serial: &[u8; 10]) -> Result<Vec<MoveRow>, StoreError> {
        let mut st = self.db.prepare(&format!(
            "SELECT {MOVE_COLS} FROM moves WHERE serial=?1 ORDER BY id"
        ))?;
        let raw = st
            .query_map([hex::encode_upper(serial)], move_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(decode_move).collect()
    }

    fn resolve_move(&mut self, id: i64, state: MoveState, note: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE moves SET state=?1, note=?2, presumed=0 WHERE id=?3",
            params![state.as_str(), note, id],
        )?;
        Ok(())
    }

    fn presume_move(&mut self, id: i64, note: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE moves SET state='booked', note=?1, presumed=1 WHERE id=?2",
            params![note, id],
        )?;
        Ok(())
    }

    fn booked_counters(&mut self, serial: &[u8; 10]) -> Result<(Vec<u16>, Vec<u16>), StoreError> {
        let s = hex::encode_upper(serial);
        let col = |sql: &str| -> Result<Vec<u16>, StoreError> {
            let mut st = self.db.prepare(sql)?;
            let v = st
                .query_map([&s], |r| r.get(0))?
                .collect::<Result<Vec<u16>, _>>()?;
            Ok(v)
        };
        let online = col(
            "SELECT counter FROM moves WHERE serial=?1 AND space='online' AND state='booked' \
             ORDER BY counter",
        )?;
        let offline = col("SELECT counter FROM purchases WHERE serial=?1 UNION \
             SELECT counter FROM moves WHERE serial=?1 AND space='offline' AND state='booked' \
             ORDER BY 1")?;
        Ok((online, offline))
    }

    fn add_rejection(
        &mut self,
        r: &PurchaseRecord,
        code: Code,
        reason: &str,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(|e| StoreError(e.to_string()))?;
        self.db.execute(
            "INSERT OR IGNORE INTO rejections (serial, counter, ttc, record, reason, code) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                hex::encode_upper(r.serial),
                r.counter,
                r.ttc,
                json,
                reason,
                code.as_str()
            ],
        )?;
        Ok(())
    }

    fn rejections(&mut self, open_only: bool) -> Result<Vec<RejectionRow>, StoreError> {
        let mut st = self.db.prepare(&format!(
            "SELECT id, record, code, reason, resolved_by, resolved_at, resolution \
             FROM rejections {} ORDER BY id",
            if open_only {
                "WHERE resolved_by IS NULL"
            } else {
                ""
            }
        ))?;
        type Raw = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raw = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<Result<Vec<Raw>, _>>()?;
        raw.into_iter()
            .map(|(id, rec, code, reason, by, at, why)| {
                Ok(RejectionRow {
                    id,
                    record: serde_json::from_str(&rec)
                        .map_err(|e| StoreError::damaged(format!("rejected record: {e}")))?,
                    code: code
                        .parse::<Code>()
                        .map_err(|_| StoreError::damaged(format!("code `{code}`")))?,
                    reason,
                    resolved: by.map(|by| (by, at.unwrap_or_default(), why.unwrap_or_default())),
                })
            })
            .collect()
    }

    fn resolve_rejection(
        &mut self,
        id: i64,
        by: &str,
        at: &str,
        why: &str,
    ) -> Result<bool, StoreError> {
        let n = self.db.execute(
            "UPDATE rejections SET resolved_by=?1, resolved_at=?2, resolution=?3 \
             WHERE id=?4 AND resolved_by IS NULL",
            params![by, at, why, id],
        )?;
        Ok(n == 1)
    }

    fn batch_begin(&mut self) -> Result<(), StoreError> {
        self.db.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn batch_end(&mut self, commit: bool) -> Result<(), StoreError> {
        self.db
            .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })?;
        Ok(())
    }

    fn totals(&mut self, serial: &[u8; 10]) -> Result<Option<(u64, u64, u64)>, StoreError> {
        let s = hex::encode_upper(serial);
        let opening: Option<i64> = self
            .db
            .query_row("SELECT opening FROM cards WHERE serial=?1", [&s], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(opening) = opening else {
            return Ok(None);
        };
        let sum = |sql: &str| -> Result<i64, StoreError> {
            Ok(self.db.query_row(sql, [&s], |r| r.get(0))?)
        };
        let credits = sum(
            "SELECT COALESCE(SUM(amount),0) FROM moves WHERE serial=?1 AND space='online' \
             AND state='booked'",
        )?;
        let debits = sum("SELECT COALESCE(SUM(amount),0) FROM purchases WHERE serial=?1")?
            + sum(
                "SELECT COALESCE(SUM(amount),0) FROM moves WHERE serial=?1 AND space='offline' \
                 AND state='booked'",
            )?;
        Ok(Some((opening as u64, credits as u64, debits as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settle::MoveKind;

    /// A ledger written before the service desk (its `moves` CHECK without `close-refund`) is
    /// rebuilt when opened: its rows are kept and a closure's refund can be booked.
    #[test]
    fn a_ledger_from_before_the_desk_takes_closures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let old = SCHEMA.replace("'bill',\n            'close-refund')", "'bill')");
        assert!(!old.contains("close-refund"));
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(&old).unwrap();
            db.execute(
                "INSERT INTO moves (serial, kind, space, counter, amount, term_id, date, time, \
                 reference, state) VALUES ('AA', 'bill', 'offline', 3, 100, '00', '20261130', \
                 '120000', 'phone', 'booked')",
                [],
            )
            .unwrap();
            let e = db.execute(
                "INSERT INTO moves (serial, kind, space, counter, amount, term_id, date, time, \
                 reference, state) VALUES ('AA', 'close-refund', 'offline', 4, 100, '00', \
                 '20261130', '120000', 'desk', 'pending')",
                [],
            );
            assert!(e.is_err(), "the old CHECK refuses a closure");
        }
        let mut l = SqliteLedger::open(&path).unwrap();
        let serial = [0xAA; 10];
        let m = Move {
            serial,
            kind: MoveKind::Closure,
            counter: 4,
            amount: 9_900,
            term_id: [0, 0, 0, 0x10, 0x08, 0x60],
            date: [0x20, 0x26, 0x11, 0x30],
            time: [0x12, 0, 0],
            reference: "desk".into(),
        };
        assert_eq!(l.add_move(&m, MoveState::Booked).unwrap(), Insert::Added);
        let kept: i64 =
            l.db.query_row("SELECT COUNT(*) FROM moves WHERE kind='bill'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, 1);
        // Opening it again changes nothing.
        drop(l);
        SqliteLedger::open(&path).unwrap();
    }

    fn air(counter: u16, amount: u32) -> Move {
        Move {
            serial: [0xAA; 10],
            kind: MoveKind::AirLoad,
            counter,
            amount,
            term_id: [0, 0, 0, 0x10, 0x08, 0x60],
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x08, 0, 0],
            reference: "over the air".into(),
        }
    }

    /// A move booked on the counter alone gives way to one proved at that counter; a move
    /// booked by proof does not, and a pending move never displaces a presumed one.
    #[test]
    fn a_proved_move_overrules_a_presumed_one_at_its_counter() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
        let serial = [0xAA; 10];
        l.open_card(&serial, 10_000).unwrap();
        l.add_move(&air(4, 100), MoveState::Pending).unwrap();
        let id = l.pending_moves(&serial).unwrap()[0].id;
        l.presume_move(id, "counter passed").unwrap();
        assert_eq!(l.totals(&serial).unwrap(), Some((10_000, 100, 0)));
        assert_eq!(l.presumed_moves(&serial).unwrap().len(), 1);
        let pos = Move {
            kind: MoveKind::PosLoad,
            amount: 200,
            term_id: [0, 0x11, 0x22, 0x33, 0, 0x02],
            reference: "POS load 1".into(),
            ..air(4, 200)
        };
        // Only held pending (no TAC): it cannot overrule the presumption.
        assert_eq!(
            l.add_move(&pos, MoveState::Pending).unwrap(),
            Insert::Duplicate
        );
        assert_eq!(l.add_move(&pos, MoveState::Booked).unwrap(), Insert::Added);
        assert_eq!(l.totals(&serial).unwrap(), Some((10_000, 200, 0)));
        assert!(l.presumed_moves(&serial).unwrap().is_empty());
        let states: Vec<_> = l.moves(&serial).unwrap().iter().map(|m| m.state).collect();
        assert_eq!(states, [MoveState::Void, MoveState::Booked]);
        // Proved: another move at that counter is a duplicate.
        assert_eq!(
            l.add_move(&air(4, 100), MoveState::Booked).unwrap(),
            Insert::Duplicate
        );
        assert_eq!(l.totals(&serial).unwrap(), Some((10_000, 200, 0)));
    }

    /// A bill booked on the offline counter alone gives way to the purchase record uploaded
    /// for that counter (its TAC is the proof).
    #[test]
    fn a_purchase_record_overrules_a_presumed_bill() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
        let serial = [0xAA; 10];
        l.open_card(&serial, 10_000).unwrap();
        let bill = Move {
            kind: MoveKind::Bill,
            reference: "phone 13800138000".into(),
            ..air(7, 300)
        };
        l.add_move(&bill, MoveState::Pending).unwrap();
        let id = l.pending_moves(&serial).unwrap()[0].id;
        l.presume_move(id, "counter passed").unwrap();
        assert_eq!(l.totals(&serial).unwrap(), Some((10_000, 0, 300)));
        let sale = PurchaseRecord {
            serial,
            counter: 7,
            amount: 500,
            term_id: [0, 0x11, 0x22, 0x33, 0x44, 0x55],
            ttc: 9,
            date: [0x20, 0x26, 0x11, 0x22],
            time: [0x09, 0, 0],
            tac: [1, 2, 3, 4],
            flagged: false,
            recovered: false,
        };
        assert_eq!(l.add_purchase(&sale).unwrap(), Insert::Added);
        assert_eq!(l.totals(&serial).unwrap(), Some((10_000, 0, 500)));
        assert_eq!(l.moves(&serial).unwrap()[0].state, MoveState::Void);
    }

    /// A ledger written before presumed bookings (its `moves` without the column) gains the
    /// column when opened, its moves kept as not presumed.
    #[test]
    fn a_ledger_from_before_presumed_bookings_is_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let old = SCHEMA.replace(",\n        presumed INTEGER NOT NULL DEFAULT 0)", ")");
        assert!(!old.contains("presumed"));
        Connection::open(&path)
            .unwrap()
            .execute_batch(&old)
            .unwrap();
        let mut l = SqliteLedger::open(&path).unwrap();
        let serial = [0xAA; 10];
        l.add_move(&air(2, 100), MoveState::Booked).unwrap();
        assert!(l.presumed_moves(&serial).unwrap().is_empty());
        drop(l);
        SqliteLedger::open(&path).unwrap();
    }
}
