//! docs/spec.md §3: the electronic purse: balance, INITIALIZE → DEBIT/CREDIT, transaction proof.

use super::command::TxKind;
use super::state::{CardKey, KeyFailures, LOG_RECORD_LEN, Proof, Write};
use super::{Card, Fail, Handled, Interface, Pending, refuse};
use crate::apdu::ResponseApdu;
use crate::crypto::{self, TYPE_LOAD, TYPE_PURCHASE};
use crate::sw::Sw;
use stk_domain::codec::{
    BalanceAnswer, CreditAnswer, DebitAnswer, InitLoadAnswer, InitPurchaseAnswer, ProofAnswer,
};
use stk_domain::records::HistoryEntry;

/// Key usage tags for the per-key MAC failure counters.
pub(crate) const USAGE_LOAD: u8 = 0x00;
pub(crate) const USAGE_PURCHASE: u8 = 0x01;
pub(crate) const USAGE_ISSUER: u8 = 0xFF;

/// A 23-byte log record (§2), in the one layout [`HistoryEntry`] encodes.
pub(crate) fn log_record(
    counter: u16,
    amount: u32,
    tx_type: u8,
    term_id: &[u8; 6],
    date: &[u8; 4],
    time: &[u8; 3],
) -> [u8; LOG_RECORD_LEN] {
    HistoryEntry {
        counter,
        amount,
        tx_type,
        term_id: *term_id,
        date: *date,
        time: *time,
    }
    .encode()
}

/// Where a purse transaction comes from, for the checks that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// INITIALIZE from a terminal (a POS purchase or load): a purchase is held to the
    /// single-payment limit.
    Terminal,
    /// The toolkit menu's Top Up or Pay Phone Bill: the single-payment limit is the limit of
    /// one contactless purchase (docs/spec.md §1, §7), so a bill is bounded by the balance only.
    Menu,
}

impl Card {
    /// §3 GET BALANCE.
    pub(crate) fn get_balance(&mut self, iface: Interface) -> Handled {
        self.require_wallet(iface)?;
        Ok(ResponseApdu::ok(
            BalanceAnswer {
                balance: self.eeprom.state.purse.balance,
            }
            .to_bytes(),
        ))
    }

    fn key_failures(&self, usage: u8, index: u8) -> u8 {
        self.eeprom
            .state
            .mac_failures
            .iter()
            .find(|f| f.usage == usage && f.index == index)
            .map_or(0, |f| f.count)
    }

    /// Whether the optional per-key wrong-MAC limit has blocked this key.
    pub(crate) fn key_blocked(&self, usage: u8, index: u8) -> bool {
        self.eeprom
            .state
            .perso
            .mac_failure_limit
            .is_some_and(|limit| self.key_failures(usage, index) >= limit)
    }

    /// Answers a wrong MAC (§3): `9302`, nothing committed but the key's failure count (when
    /// a limit is configured).
    pub(crate) fn wrong_mac(&mut self, usage: u8, index: u8, what: &'static str) -> Fail {
        if self.eeprom.state.perso.mac_failure_limit.is_some() {
            let count = self.key_failures(usage, index).saturating_add(1);
            if let Err(t) = self.commit(vec![Write::KeyFailures(KeyFailures {
                usage,
                index,
                count,
            })]) {
                return t.into();
            }
        }
        refuse(Sw::MAC_INVALID, what)
    }

    fn find_key(&self, kind: TxKind, index: u8) -> Option<CardKey> {
        let keys = &self.eeprom.state.perso.keys;
        let list = if kind == TxKind::Load {
            &keys.load
        } else {
            &keys.purchase
        };
        list.iter().find(|k| k.index == index).cloned()
    }

    /// §3 INITIALIZE FOR LOAD / PURCHASE: checks in spec order, then opens the one-shot session.
    ///
    /// Purchase: wallet open (`6A81`), key known (`9403`), amount ≤ single-payment limit
    /// (`6985`), amount ≤ balance (`9401`). Load: wallet open, key known, new balance ≤ cap
    /// (`6985`), payment password verified in this session (`6982`). Decisions where the spec is
    /// silent: a key blocked by the MAC-failure limit answers `6983` right after the key check;
    /// a counter at `FFFF` answers `9402` after that; a zero amount is refused with `6A80`.
    pub(crate) fn initialize(
        &mut self,
        iface: Interface,
        kind: TxKind,
        key_index: u8,
        amount: u32,
        term_id: [u8; 6],
    ) -> Handled {
        self.require_wallet(iface)?;
        let pin_ok = self.session(iface).pin_verified;
        let (pending, out) =
            self.open_transaction(kind, key_index, amount, term_id, pin_ok, Via::Terminal)?;
        self.session_mut(iface).pending = Some(pending);
        Ok(ResponseApdu::ok(out))
    }

    /// The checks and the answer of INITIALIZE, shared with the toolkit menu's over-the-air
    /// load and bill payment so both follow exactly the same rules. `pin_ok`: the payment
    /// password was verified (required for a load). `via`: a purchase at a terminal is held to
    /// the single-payment limit, a bill payment from the menu only to the balance.
    pub(crate) fn open_transaction(
        &mut self,
        kind: TxKind,
        key_index: u8,
        amount: u32,
        term_id: [u8; 6],
        pin_ok: bool,
        via: Via,
    ) -> Result<(Pending, Vec<u8>), Fail> {
        let purse = self.eeprom.state.purse.clone();
        if !purse.open {
            return Err(refuse(Sw::WALLET_CLOSED, "the holder closed this wallet"));
        }
        if kind == TxKind::Load && purse.number_cancelled {
            return Err(refuse(
                Sw::NUMBER_CANCELLED,
                "the issuer cancelled this phone number: no more loads (purchases still work)",
            ));
        }
        let Some(key) = self.find_key(kind, key_index) else {
            return Err(refuse(
                Sw::KEY_NOT_FOUND,
                format!(
                    "no {} key with index {key_index:02X}",
                    if kind == TxKind::Load {
                        "load"
                    } else {
                        "purchase"
                    }
                ),
            ));
        };
        let usage = if kind == TxKind::Load {
            USAGE_LOAD
        } else {
            USAGE_PURCHASE
        };
        if self.key_blocked(usage, key_index) {
            return Err(refuse(
                Sw::BLOCKED,
                "this key is blocked after too many wrong MACs",
            ));
        }
        let counter = if kind == TxKind::Load {
            purse.online_counter
        } else {
            purse.offline_counter
        };
        if counter == 0xFFFF {
            return Err(refuse(
                Sw::COUNTER_MAX,
                "the transaction counter is at FFFF",
            ));
        }
        if amount == 0 {
            return Err(refuse(Sw::WRONG_DATA, "the amount must be more than 0"));
        }
        match kind {
            TxKind::Purchase => {
                if via == Via::Terminal && amount > purse.single_payment_limit {
                    return Err(refuse(
                        Sw::CONDITIONS_NOT_SATISFIED,
                        format!(
                            "amount {amount} is above the single-payment limit {}",
                            purse.single_payment_limit
                        ),
                    ));
                }
                if amount > purse.balance {
                    return Err(refuse(
                        Sw::INSUFFICIENT_BALANCE,
                        format!("amount {amount} is above the balance {}", purse.balance),
                    ));
                }
            }
            TxKind::Load => {
                if u64::from(purse.balance) + u64::from(amount) > u64::from(purse.balance_cap) {
                    return Err(refuse(
                        Sw::CONDITIONS_NOT_SATISFIED,
                        format!(
                            "balance {} + {amount} would pass the cap {}",
                            purse.balance, purse.balance_cap
                        ),
                    ));
                }
                if !pin_ok {
                    return Err(refuse(
                        Sw::SECURITY_NOT_SATISFIED,
                        "VERIFY the payment password first, in this session",
                    ));
                }
            }
        }
        let random = self.next_random()?;
        let out = match kind {
            TxKind::Purchase => InitPurchaseAnswer {
                balance: purse.balance,
                offline_counter: counter,
                overdraft: 0,
                key_version: key.version,
                alg_id: key.alg,
                random,
            }
            .to_bytes()
            .to_vec(),
            TxKind::Load => {
                let seslk = crypto::load_session_key(&key.key, random, counter);
                InitLoadAnswer {
                    balance: purse.balance,
                    online_counter: counter,
                    key_version: key.version,
                    alg_id: key.alg,
                    random,
                    mac1: crypto::load_mac1(&seslk, purse.balance, amount, &term_id),
                }
                .to_bytes()
                .to_vec()
            }
        };
        let pending = Pending {
            kind,
            key,
            amount,
            term_id,
            random,
            counter,
            balance: purse.balance,
        };
        Ok((pending, out))
    }

    /// The open session of `kind`, if the purse is still as INITIALIZE saw it. The other
    /// interface has its own session and may have committed in between (a dual-interface
    /// card): committing then from the stale balance and counter would undo that transaction.
    fn take_pending(&self, pending: Option<Pending>, kind: TxKind) -> Result<Pending, Fail> {
        let purse = &self.eeprom.state.purse;
        let counter = if kind == TxKind::Load {
            purse.online_counter
        } else {
            purse.offline_counter
        };
        match pending {
            Some(p) if p.kind == kind && (p.balance != purse.balance || p.counter != counter) => {
                Err(refuse(
                    Sw::CONDITIONS_NOT_SATISFIED,
                    "the purse changed since INITIALIZE (a transaction on the other interface): INITIALIZE again",
                ))
            }
            Some(p) if p.kind == kind => Ok(p),
            Some(_) => Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "the open session is of the other kind (INITIALIZE FOR LOAD ↔ PURCHASE)",
            )),
            None => Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "no INITIALIZE session: DEBIT/CREDIT must be the very next command after INITIALIZE",
            )),
        }
    }

    /// §3 DEBIT FOR PURCHASE: verify MAC1, commit atomically, answer TAC ‖ MAC2.
    pub(crate) fn debit_for_purchase(
        &mut self,
        iface: Interface,
        pending: Option<Pending>,
        ttc: u32,
        date: [u8; 4],
        time: [u8; 3],
        mac1: [u8; 4],
    ) -> Handled {
        self.require_wallet(iface)?;
        let p = self.take_pending(pending, TxKind::Purchase)?;
        let sespk = crypto::purchase_session_key(&p.key.key, p.random, p.counter, ttc);
        if crypto::purchase_mac1(&sespk, p.amount, &p.term_id, &date, &time) != mac1 {
            return Err(self.wrong_mac(USAGE_PURCHASE, p.key.index, "MAC1 does not verify: key, TTC, termID, date or time differ from what the PSAM used"));
        }
        let (tac, mac2) = self.commit_purchase(&p, &sespk, ttc, date, time)?;
        Ok(ResponseApdu::ok(DebitAnswer { tac, mac2 }.to_bytes()))
    }

    /// Commits a verified purchase atomically (balance, offline counter, log, proof); returns
    /// TAC and MAC2. Used by DEBIT FOR PURCHASE and by the menu's bill payment.
    pub(crate) fn commit_purchase(
        &mut self,
        p: &Pending,
        sespk: &crypto::Key8,
        ttc: u32,
        date: [u8; 4],
        time: [u8; 3],
    ) -> Result<(crypto::Mac4, crypto::Mac4), Fail> {
        let tac = crypto::purchase_tac(
            &crypto::tac_key(&self.eeprom.state.perso.keys.tac),
            p.amount,
            &p.term_id,
            ttc,
            &date,
            &time,
        );
        let mac2 = crypto::purchase_mac2(sespk, p.amount);
        let rec = log_record(p.counter, p.amount, TYPE_PURCHASE, &p.term_id, &date, &time);
        let after = p.counter + 1;
        let mut writes = vec![
            Write::Balance(p.balance - p.amount),
            Write::OfflineCounter(after),
        ];
        writes.extend(self.eeprom.state.log.push_writes(rec));
        writes.push(Write::Proof(Proof {
            tx_type: TYPE_PURCHASE,
            counter_after: after,
            mac2,
            tac,
        }));
        self.commit(writes)?;
        Ok((tac, mac2))
    }

    /// §3 CREDIT FOR LOAD: verify the host's MAC2, commit atomically, answer TAC.
    pub(crate) fn credit_for_load(
        &mut self,
        iface: Interface,
        pending: Option<Pending>,
        date: [u8; 4],
        time: [u8; 3],
        mac2: [u8; 4],
    ) -> Handled {
        self.require_wallet(iface)?;
        let p = self.take_pending(pending, TxKind::Load)?;
        let seslk = crypto::load_session_key(&p.key.key, p.random, p.counter);
        if crypto::load_mac2(&seslk, p.amount, &p.term_id, &date, &time) != mac2 {
            return Err(self.wrong_mac(
                USAGE_LOAD,
                p.key.index,
                "MAC2 does not verify: the host used another key, amount, termID, date or time",
            ));
        }
        let tac = self.commit_load(&p, date, time, mac2)?;
        Ok(ResponseApdu::ok(CreditAnswer { tac }.to_bytes()))
    }

    /// Commits a load whose MAC2 verified, atomically (balance, online counter, log, proof);
    /// returns the TAC. Used by CREDIT FOR LOAD and by the menu's over-the-air top-up.
    pub(crate) fn commit_load(
        &mut self,
        p: &Pending,
        date: [u8; 4],
        time: [u8; 3],
        mac2: crypto::Mac4,
    ) -> Result<crypto::Mac4, Fail> {
        let after_balance = p.balance + p.amount;
        let tac = crypto::load_tac(
            &crypto::tac_key(&self.eeprom.state.perso.keys.tac),
            after_balance,
            p.counter,
            p.amount,
            &p.term_id,
            &date,
            &time,
        );
        let rec = log_record(p.counter, p.amount, TYPE_LOAD, &p.term_id, &date, &time);
        let after = p.counter + 1;
        let mut writes = vec![Write::Balance(after_balance), Write::OnlineCounter(after)];
        writes.extend(self.eeprom.state.log.push_writes(rec));
        writes.push(Write::Proof(Proof {
            tx_type: TYPE_LOAD,
            counter_after: after,
            mac2,
            tac,
        }));
        self.commit(writes)?;
        Ok(tac)
    }

    /// §3 GET TRANSACTION PROOF: MAC2 ‖ TAC of the last committed transaction, if `tx_type`
    /// and `counter` (the counter *after* it) match; otherwise `9406`.
    pub(crate) fn get_transaction_proof(
        &mut self,
        iface: Interface,
        tx_type: u8,
        counter: u16,
    ) -> Handled {
        self.require_wallet(iface)?;
        match self.eeprom.state.proof {
            Some(p) if p.tx_type == tx_type && p.counter_after == counter => Ok(ResponseApdu::ok(
                ProofAnswer {
                    mac2: p.mac2,
                    tac: p.tac,
                }
                .to_bytes(),
            )),
            _ => Err(refuse(
                Sw::NO_PROOF,
                format!(
                    "no committed transaction of type {tx_type:02X} with counter-after {counter:04X}"
                ),
            )),
        }
    }
}
