//! docs/spec.md §1/§3/§4: the payment password (purse PIN), the operation password's issuer reset,
//! and the issuer's challenge.
//!
//! A try is spent *before* the comparison is made and given back after a match, so cutting the
//! power on a wrong guess never saves a try (the counter is persistent; nothing volatile
//! resets it).

use super::command::Command;
use super::purse::{USAGE_ISSUER, log_record};
use super::state::{Password, Write};
use super::{Card, Fail, Handled, Interface, refuse};
use crate::apdu::ResponseApdu;
use crate::crypto;
use crate::crypto::TYPE_PURCHASE;
use crate::sw::Sw;
use stk_domain::codec::ChallengeAnswer;

/// How long a locked payment password stays locked (the handbook: 24 hours).
pub const PAYMENT_LOCK_SECONDS: u64 = 24 * 3600;

/// Decodes packed BCD digits, stopping at an `F` filler; `None` if a nibble is not a digit.
pub fn bcd_digits(b: &[u8]) -> Option<String> {
    let mut s = String::new();
    let mut ended = false;
    for nib in b.iter().flat_map(|x| [x >> 4, x & 0x0F]) {
        match nib {
            0..=9 if !ended => s.push((b'0' + nib) as char),
            0x0F => ended = true,
            _ => return None,
        }
    }
    Some(s)
}

/// Packs digits as BCD, padding an odd count with `F`.
pub fn digits_bcd(digits: &str) -> Vec<u8> {
    let mut nibbles: Vec<u8> = digits.bytes().map(|c| c - b'0').collect();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0x0F);
    }
    nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

impl Card {
    /// Checks `guess` against a password, spending a try first. `Ok(())` on a match.
    pub(crate) fn check_password(&mut self, operation: bool, guess: &str) -> Result<(), Fail> {
        let pw = if operation {
            &self.eeprom.state.operation_password
        } else {
            &self.eeprom.state.payment_password
        }
        .clone();
        let write = |p: Password| {
            if operation {
                Write::OperationPassword(p)
            } else {
                Write::PaymentPassword(p)
            }
        };
        if pw.tries_left == 0 {
            return Err(refuse(
                Sw::BLOCKED,
                "the password is locked: the issuer must reset it",
            ));
        }
        let left = pw.tries_left - 1;
        self.commit(vec![write(Password {
            tries_left: left,
            locked_at: None,
            ..pw.clone()
        })])?;
        if guess == pw.value {
            self.commit(vec![write(Password {
                tries_left: pw.max_tries,
                locked_at: None,
                ..pw
            })])?;
            Ok(())
        } else if left == 0 {
            Err(refuse(Sw::BLOCKED, "wrong password; it is now locked"))
        } else {
            Err(refuse(
                Sw::wrong_pin(left),
                format!("wrong password, {left} tries left"),
            ))
        }
    }

    fn pin_text(pin: &[u8]) -> Result<String, Fail> {
        match bcd_digits(pin) {
            Some(s) if s.len() == 6 => Ok(s),
            _ => Err(refuse(
                Sw::WRONG_DATA,
                "the payment password is 6 digits, packed BCD in 3 bytes",
            )),
        }
    }

    /// §3 VERIFY. Without data: `63Cx` (tries left), `9000` if already verified, `6983` locked.
    pub(crate) fn verify(&mut self, iface: Interface, pin: Option<&[u8]>) -> Handled {
        self.require_wallet(iface)?;
        let Some(pin) = pin else {
            let left = self.eeprom.state.payment_password.tries_left;
            return if left == 0 {
                Err(refuse(Sw::BLOCKED, "the payment password is locked"))
            } else if self.session(iface).pin_verified {
                Ok(ResponseApdu::status(Sw::OK))
            } else {
                Err(refuse(Sw::wrong_pin(left), format!("{left} tries left")))
            };
        };
        let guess = Self::pin_text(pin)?;
        self.session_mut(iface).pin_verified = false;
        self.check_password(false, &guess)?;
        self.session_mut(iface).pin_verified = true;
        Ok(ResponseApdu::status(Sw::OK))
    }

    /// §3 CHANGE PIN: old ‖ FF ‖ new; the old one counts as a try.
    pub(crate) fn change_pin(&mut self, iface: Interface, old: &[u8], new: &[u8]) -> Handled {
        self.require_wallet(iface)?;
        let old = Self::pin_text(old)?;
        let new = Self::pin_text(new)?;
        self.check_password(false, &old)?;
        let pw = self.eeprom.state.payment_password.clone();
        self.commit(vec![Write::PaymentPassword(Password { value: new, ..pw })])?;
        self.session_mut(iface).pin_verified = true;
        Ok(ResponseApdu::status(Sw::OK))
    }

    /// GET CHALLENGE: 4 random bytes, valid for the next command only.
    pub(crate) fn get_challenge(&mut self, iface: Interface) -> Handled {
        let r = self.next_random()?;
        self.session_mut(iface).challenge = Some(r);
        Ok(ResponseApdu::ok(ChallengeAnswer { random: r }.to_bytes()))
    }

    fn issuer_check(
        &mut self,
        challenge: Option<[u8; 4]>,
        header: [u8; 5],
        value: &[u8],
        mac: [u8; 4],
    ) -> Result<(), Fail> {
        if self.key_blocked(USAGE_ISSUER, 0) {
            return Err(refuse(
                Sw::BLOCKED,
                "the issuer key is blocked after too many wrong MACs",
            ));
        }
        let Some(ch) = challenge else {
            return Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "issuer commands need a GET CHALLENGE immediately before",
            ));
        };
        if crypto::issuer_mac(&self.eeprom.state.perso.keys.issuer, ch, header, value) != mac {
            return Err(self.wrong_mac(
                USAGE_ISSUER,
                0,
                "issuer MAC does not verify: wrong issuer key or challenge",
            ));
        }
        Ok(())
    }

    /// §4 RELOAD PIN (`80 5E 00 00 07` new PIN ‖ MAC): sets the payment password and its tries.
    pub(crate) fn reload_pin(
        &mut self,
        iface: Interface,
        new: &[u8],
        mac: [u8; 4],
        challenge: Option<[u8; 4]>,
    ) -> Handled {
        self.require_wallet(iface)?;
        let value = Self::pin_text(new)?;
        let header = Command::ReloadPin {
            new: new.to_vec(),
            mac,
        }
        .header();
        self.issuer_check(challenge, header, new, mac)?;
        let pw = self.eeprom.state.payment_password.clone();
        self.commit(vec![Write::PaymentPassword(Password {
            value,
            tries_left: pw.max_tries,
            locked_at: None,
            ..pw
        })])?;
        Ok(ResponseApdu::status(Sw::OK))
    }

    /// The card learned the time (`now`, Unix seconds UTC; the handset's PROVIDE LOCAL
    /// INFORMATION in a menu session). A locked payment password without a stamp is stamped
    /// with it; one stamped 24 hours or more before `now` unlocks (its tries are refilled).
    /// Anything else is left alone, so a time earlier than the stamp changes nothing.
    pub(crate) fn note_time(&mut self, now: u64) -> Result<(), Fail> {
        let pw = self.eeprom.state.payment_password.clone();
        if pw.tries_left != 0 {
            return Ok(());
        }
        let next = match pw.locked_at {
            None => Password {
                locked_at: Some(now),
                ..pw
            },
            Some(at) if now >= at.saturating_add(PAYMENT_LOCK_SECONDS) => Password {
                tries_left: pw.max_tries,
                locked_at: None,
                ..pw
            },
            Some(_) => return Ok(()),
        };
        self.commit(vec![Write::PaymentPassword(next)])?;
        Ok(())
    }

    /// CLOSE WALLET (issuer, `80 5E 03 00 0F` amount 4 ‖ date 4 ‖ time 3 ‖ MAC): the service
    /// desk closes the wallet and takes its whole balance off the card. Checks, in order: the
    /// wallet open (`6A81`), the challenge and the issuer MAC (`6985`, `9302`), a BCD date and
    /// time (`6A80`), the amount equal to the balance (`6A80`), the offline counter below
    /// `FFFF` (`9402`). With money on the card the balance goes to 0 as a debit at the offline
    /// counter: one log record of type `06` at the operator's termID with the desk's date and
    /// time, the counter + 1, the wallet closed, in one commit; with none it is only closed.
    pub(crate) fn issuer_close(
        &mut self,
        iface: Interface,
        amount: u32,
        date: [u8; 4],
        time: [u8; 3],
        mac: [u8; 4],
        challenge: Option<[u8; 4]>,
    ) -> Handled {
        self.require_wallet(iface)?;
        let purse = self.eeprom.state.purse.clone();
        if !purse.open {
            return Err(refuse(Sw::WALLET_CLOSED, "the wallet is already closed"));
        }
        let cmd = Command::CloseWallet {
            amount,
            date,
            time,
            mac,
        };
        let value = [&amount.to_be_bytes()[..], &date, &time].concat();
        self.issuer_check(challenge, cmd.header(), &value, mac)?;
        if stk_domain::clock::unix_of(&date, &time).is_none() {
            return Err(refuse(
                Sw::WRONG_DATA,
                "the date and time are not BCD YYYYMMDD HHMMSS",
            ));
        }
        if amount != purse.balance {
            return Err(refuse(
                Sw::WRONG_DATA,
                format!(
                    "the amount {amount} is not the balance {}: read it again",
                    purse.balance
                ),
            ));
        }
        if amount == 0 {
            self.commit(vec![Write::WalletOpen(false)])?;
            return Ok(ResponseApdu::status(Sw::OK));
        }
        let counter = purse.offline_counter;
        if counter == 0xFFFF {
            return Err(refuse(
                Sw::COUNTER_MAX,
                "the transaction counter is at FFFF",
            ));
        }
        let term = self.eeprom.state.perso.operator_term_id;
        let rec = log_record(counter, amount, TYPE_PURCHASE, &term, &date, &time);
        let mut writes = vec![Write::Balance(0), Write::OfflineCounter(counter + 1)];
        writes.extend(self.eeprom.state.log.push_writes(rec));
        writes.push(Write::WalletOpen(false));
        self.commit(writes)?;
        Ok(ResponseApdu::status(Sw::OK))
    }

    /// CANCEL NUMBER (issuer, `80 5E 04 00 04` MAC over the header alone): from now on every
    /// load is refused with `9405`; purchases still work. Cancelling again changes nothing.
    pub(crate) fn cancel_number(
        &mut self,
        iface: Interface,
        mac: [u8; 4],
        challenge: Option<[u8; 4]>,
    ) -> Handled {
        self.require_wallet(iface)?;
        let header = Command::CancelNumber { mac }.header();
        self.issuer_check(challenge, header, &[], mac)?;
        if !self.eeprom.state.purse.number_cancelled {
            self.commit(vec![Write::NumberCancelled(true)])?;
        }
        Ok(ResponseApdu::status(Sw::OK))
    }

    /// §4 RESET OPERATION PASSWORD (`80 5E 02 00 Lc` new password BCD, F-padded, 2-6 bytes ‖
    /// MAC): sets the operation password, refills its tries, leaves it on or off as it was.
    pub(crate) fn reset_operation_password(
        &mut self,
        iface: Interface,
        new: &[u8],
        mac: [u8; 4],
        challenge: Option<[u8; 4]>,
    ) -> Handled {
        self.require_wallet(iface)?;
        let value = match bcd_digits(new) {
            Some(s) if (4..=12).contains(&s.len()) && digits_bcd(&s) == new => s,
            _ => {
                return Err(refuse(
                    Sw::WRONG_DATA,
                    "the operation password is 4-12 digits, packed BCD, F-padded",
                ));
            }
        };
        let header = Command::ResetOperationPassword {
            new: new.to_vec(),
            mac,
        }
        .header();
        self.issuer_check(challenge, header, new, mac)?;
        let pw = self.eeprom.state.operation_password.clone();
        self.commit(vec![Write::OperationPassword(Password {
            value,
            tries_left: pw.max_tries,
            locked_at: None,
            ..pw
        })])?;
        Ok(ResponseApdu::status(Sw::OK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bcd_round_trip_and_rejects() {
        assert_eq!(bcd_digits(&[0x12, 0x34, 0x56]).as_deref(), Some("123456"));
        assert_eq!(bcd_digits(&[0x12, 0x3F]).as_deref(), Some("123"));
        assert_eq!(bcd_digits(&[0x1A, 0x34]), None);
        assert_eq!(bcd_digits(&[0x1F, 0x34]), None);
        assert_eq!(digits_bcd("12345"), vec![0x12, 0x34, 0x5F]);
    }
}
