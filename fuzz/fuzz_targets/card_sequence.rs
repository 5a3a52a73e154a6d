//! The card fed an arbitrary sequence of APDUs on both interfaces, with power cuts: it never
//! panics, the balance stays within [0, cap], counters never go down, and money moves only when
//! a DEBIT or CREDIT is answered 9000, by exactly the amount of the INITIALIZE just before it on
//! that interface (the seed corpus holds byte-exact vectors whose MACs are valid).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use stk_card::{Card, Interface};
use stk_domain::crypto::{TYPE_LOAD, TYPE_PURCHASE};
use stk_domain::profile::Profile;
use stk_domain::records::HistoryEntry;

/// Every APDU the card processed in this fuzzing process, counted (not estimated from the run
/// count) and printed when libFuzzer exits: `card_sequence: N APDUs in R runs`.
static APDUS: AtomicU64 = AtomicU64::new(0);
static RUNS: AtomicU64 = AtomicU64::new(0);
static REPORT_AT_EXIT: Once = Once::new();

extern "C" fn report() {
    eprintln!(
        "card_sequence: {} APDUs in {} runs",
        APDUS.load(Ordering::Relaxed),
        RUNS.load(Ordering::Relaxed)
    );
}

/// A torn card is judged by the state it recovers to at the next power-up (its EEPROM may hold a
/// half-applied commit until then).
fn recovered_view(card: &Card) -> stk_card::state::CardState {
    if card.is_mute() {
        let mut c = card.clone();
        c.power_cycle();
        c.state().clone()
    } else {
        card.state().clone()
    }
}

fuzz_target!(|data: &[u8]| {
    REPORT_AT_EXIT.call_once(|| {
        // SAFETY: `report` is a plain extern "C" function with no arguments, as atexit expects.
        unsafe { libc::atexit(report) };
    });
    RUNS.fetch_add(1, Ordering::Relaxed);
    let mut card = Card::personalise(&Profile::default_profile());
    // Framing: [flags][len][len bytes]...; flags bit 0 = interface, bit 1 = power cycle first,
    // bits 2-5 = tear after that many writes.
    let mut rest = data;
    // The amount of the last INITIALIZE sent on each interface [contactless, contact].
    let mut initialized: [Option<(u8, u32)>; 2] = [None, None];
    while rest.len() >= 2 {
        let (flags, len) = (rest[0], rest[1] as usize);
        rest = &rest[2..];
        let apdu = &rest[..len.min(rest.len())];
        rest = &rest[apdu.len()..];
        if flags & 2 != 0 {
            card.power_cycle();
            initialized = [None, None];
        }
        if flags & 0x3C != 0 {
            card.tear_after_writes(u32::from((flags >> 2) & 0x0F));
        }
        let iface = if flags & 1 == 0 {
            Interface::Contactless
        } else {
            Interface::Contact
        };
        let before = recovered_view(&card);
        APDUS.fetch_add(1, Ordering::Relaxed);
        let resp = card.process(iface, apdu);
        let after = recovered_view(&card);
        let s = &after;
        assert!(s.purse.balance <= s.purse.balance_cap);
        assert!(s.purse.online_counter >= before.purse.online_counter);
        assert!(s.purse.offline_counter >= before.purse.offline_counter);
        // A torn DEBIT/CREDIT may have completed (journal armed): no answer counts as maybe-ok.
        let ok = resp.as_ref().is_none_or(|r| r.ends_with(&[0x90, 0x00]));
        let slot = usize::from(flags & 1);
        let delta = i64::from(s.purse.balance) - i64::from(before.purse.balance);
        if delta != 0 || s.log != before.log {
            // Money moves only with one new log record that says how much and which way, and the
            // matching counter one step on.
            let newest = s.log.record(1).and_then(|r| HistoryEntry::parse(r));
            let newest =
                newest.unwrap_or_else(|| panic!("the log changed without a record on {apdu:02X?}"));
            assert_ne!(
                s.log.record(1),
                before.log.record(1),
                "money moved ({delta}) with no new log record on {apdu:02X?}"
            );
            let (signed, counter_step) = match newest.tx_type {
                TYPE_LOAD => (i64::from(newest.amount), (1, 0)),
                TYPE_PURCHASE => (-i64::from(newest.amount), (0, 1)),
                t => panic!("a log record of type {t:02X} on {apdu:02X?}"),
            };
            assert_eq!(
                delta, signed,
                "the balance moved by other than the new record's amount"
            );
            assert_eq!(
                (
                    s.purse.online_counter - before.purse.online_counter,
                    s.purse.offline_counter - before.purse.offline_counter
                ),
                counter_step,
                "the counters did not step once for one transaction"
            );
            match (apdu.get(1), initialized[slot]) {
                // At a terminal: by exactly the amount of the INITIALIZE just before, on a 9000
                // (or a torn answer that may have completed).
                (Some(0x54), Some((0x01, a))) | (Some(0x52), Some((0x00, a))) if ok => {
                    assert_eq!(
                        delta.abs(),
                        i64::from(a),
                        "the balance moved by other than the INITIALIZE amount"
                    );
                }
                // Through the toolkit: the menu's over-the-air top-up (a TERMINAL RESPONSE that
                // carries the issuer's MAC2) or bill payment; the card checked the MAC itself.
                (Some(0x14) | Some(0xC2), _) => {}
                _ => {
                    panic!("money moved ({delta}) or the log changed on {apdu:02X?} → {resp:02X?}")
                }
            }
        }
        initialized[slot] = match apdu {
            [
                0x80,
                0x50,
                p1 @ (0x00 | 0x01),
                0x02,
                0x0B,
                _,
                a0,
                a1,
                a2,
                a3,
                ..,
            ] => Some((*p1, u32::from_be_bytes([*a0, *a1, *a2, *a3]))),
            _ => None,
        };
        if let Some(r) = resp {
            assert!((2..=258).contains(&r.len()));
        }
    }
});
