//! The card's commit is atomic. For every command that changes persistent state,
//! cut the power before each EEPROM write of its commit (and once after the last one), save
//! the torn card's memory as an image, reload it (power-up recovery), and check that the state
//! is exactly the state before the command or exactly the state after it, and that GET
//! TRANSACTION PROOF agrees with which one.

use std::cell::RefCell;
use std::rc::Rc;
mod common;

use common::{new_card, pos_with};
use stk_wallet::card::state::CardState;
use stk_wallet::card::{Card, Interface, image};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::Pos;
use stk_wallet::profile::Profile;
use stk_wallet::transport::sim::{SimCard, SimPsam};
use stk_wallet::transport::{Transport, TransportError};

const SELECT_HDR: [u8; 5] = [0x00, 0xA4, 0x04, 0x00, 0x09];

fn select_apdu(p: &Profile) -> Vec<u8> {
    let mut v = SELECT_HDR.to_vec();
    v[4] = p.wallet_aid.len() as u8;
    v.extend_from_slice(&p.wallet_aid);
    v
}

/// Records the card commands of a flow.
struct Recorder {
    inner: SimCard,
    log: Rc<RefCell<Vec<Vec<u8>>>>,
}
impl Transport for Recorder {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.log.borrow_mut().push(apdu.to_vec());
        self.inner.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        "recorder".into()
    }
}

/// Runs a POS flow on a fresh card and returns the card commands it sent.
fn record_flow(
    p: &Profile,
    flow: impl FnOnce(&mut Pos<Recorder, SimPsam>, &IssuerHost),
) -> Vec<Vec<u8>> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let card = new_card(p);
    let mut pos = pos_with(
        Recorder {
            inner: SimCard::contactless(card),
            log: log.clone(),
        },
        p,
    );
    flow(&mut pos, &IssuerHost::from_profile(p));
    log.take()
}

fn send(card: &mut Card, apdu: &[u8]) -> Vec<u8> {
    card.process(Interface::Contactless, apdu)
        .expect("the card answers")
}

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

/// One scenario: a card brought to the moment before `command` (prefix replayed).
struct Scenario {
    name: &'static str,
    profile: Profile,
    prefix: Vec<Vec<u8>>,
    command: Vec<u8>,
    /// `(tx type, counter after)` for money commands: GET TRANSACTION PROOF must agree.
    proof: Option<u8>,
    /// Commands with two commits (a password check spends a try first, gives it back on a
    /// match): the intermediate state is legitimate. `None` for single-commit commands.
    two_commits: bool,
}

fn prepared(s: &Scenario) -> Card {
    let mut card = Card::personalise(&s.profile);
    for c in &s.prefix {
        send(&mut card, c);
    }
    card
}

fn reload(card: &Card) -> Card {
    let bytes = image::to_bytes(card);
    image::from_bytes(&bytes, "torn.json").expect("a torn card's image reloads")
}

fn proof_apdu(tx_type: u8, counter: u16) -> Vec<u8> {
    let c = counter.to_be_bytes();
    vec![0x80, 0x5A, 0x00, tx_type, 0x02, c[0], c[1], 0x08]
}

fn run(s: &Scenario) {
    let old_card = prepared(s);
    let old = old_card.state().clone();
    // Reference run: no tear.
    let mut new_card = old_card.clone();
    let w0 = new_card.eeprom.write_count;
    let answer = send(&mut new_card, &s.command);
    let writes = (new_card.eeprom.write_count - w0) as u32;
    let new = new_card.state().clone();
    assert_ne!(old, new, "{}: the command must change state", s.name);
    assert!(writes >= 4, "{}: a commit makes at least 4 writes", s.name);
    let mut saw_old = false;
    let mut saw_new = false;
    // Tear before write k for k in 0..writes; k == writes is "after the last write".
    for k in 0..=writes {
        let mut card = old_card.clone();
        card.tear_after_writes(k);
        let r = card.process(Interface::Contactless, &s.command);
        assert_eq!(r.is_none(), k < writes, "{} k={k}: mute iff torn", s.name);
        assert_eq!(card.is_mute(), k < writes);
        card.eeprom.tear = Default::default();
        // Power-up straight from the torn memory, and via a saved image: the same state.
        let via_image = reload(&card);
        card.power_cycle();
        assert_eq!(card.state(), via_image.state(), "{} k={k}", s.name);
        assert!(!via_image.eeprom.journal.armed && via_image.eeprom.journal.entries.is_empty());
        let got: &CardState = via_image.state();
        let is_old = *got == old;
        let is_new = *got == new;
        let is_mid = s.two_commits && {
            // One try spent on the payment password, nothing else changed.
            let mut m = old.clone();
            m.payment_password.tries_left = m.payment_password.tries_left.saturating_sub(1);
            *got == m
        };
        assert!(
            is_old || is_new || is_mid,
            "{} k={k}/{writes}: state is neither old nor new:\n{got:#?}",
            s.name
        );
        saw_old |= is_old;
        saw_new |= is_new;
        if let Some(tx_type) = s.proof {
            let mut c = via_image;
            send(&mut c, &select_apdu(&s.profile));
            let after = new.proof.expect("a money command stores a proof");
            let r = send(&mut c, &proof_apdu(tx_type, after.counter_after));
            if is_new {
                assert_eq!(sw(&r), 0x9000, "{} k={k}", s.name);
                // The proof is MAC2 ‖ TAC; the reference answer was TAC (‖ MAC2 for DEBIT).
                assert_eq!(&r[4..8], &answer[..4], "{} k={k}: TAC", s.name);
                if tx_type == 0x06 {
                    assert_eq!(&r[..4], &answer[4..8], "{} k={k}: MAC2", s.name);
                }
            } else {
                assert_eq!(sw(&r), 0x9406, "{} k={k}", s.name);
            }
        }
    }
    assert!(saw_old && saw_new, "{}: both outcomes occur", s.name);
}

fn split_last(mut cmds: Vec<Vec<u8>>, ins: u8) -> (Vec<Vec<u8>>, Vec<u8>) {
    let i = cmds
        .iter()
        .rposition(|c| c[1] == ins)
        .expect("the flow sent the command");
    cmds.truncate(i + 1);
    let last = cmds.pop().unwrap_or_default();
    (cmds, last)
}

fn scenario(
    name: &'static str,
    profile: Profile,
    cmds: Vec<Vec<u8>>,
    ins: u8,
    proof: Option<u8>,
    two_commits: bool,
) -> Scenario {
    let (prefix, command) = split_last(cmds, ins);
    Scenario {
        name,
        profile,
        prefix,
        command,
        proof,
        two_commits,
    }
}

#[test]
fn debit_is_atomic_and_the_proof_agrees() {
    let p = Profile::default_profile();
    let cmds = record_flow(&p, |pos, _| {
        pos.purchase(1234).expect("purchase");
    });
    run(&scenario("DEBIT", p, cmds, 0x54, Some(0x06), false));
}

#[test]
fn debit_after_a_full_log_is_atomic() {
    // Eleven purchases: the twelfth wraps the cyclic log over its oldest slot.
    let p = Profile::default_profile();
    let cmds = record_flow(&p, |pos, _| {
        for _ in 0..12 {
            pos.purchase(100).expect("purchase");
        }
    });
    run(&scenario(
        "DEBIT (log wrap)",
        p,
        cmds,
        0x54,
        Some(0x06),
        false,
    ));
}

#[test]
fn credit_is_atomic_and_the_proof_agrees() {
    let p = Profile::default_profile();
    let cmds = record_flow(&p, |pos, host| {
        pos.load(host, 2500, "123456").expect("load");
    });
    run(&scenario("CREDIT", p, cmds, 0x52, Some(0x02), false));
}

#[test]
fn verify_wrong_spends_a_try_atomically() {
    let p = Profile::default_profile();
    let cmds = vec![
        select_apdu(&p),
        vec![0x00, 0x20, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00],
    ];
    run(&scenario("VERIFY wrong", p, cmds, 0x20, None, false));
}

#[test]
fn verify_right_after_a_wrong_one_restores_the_tries() {
    let p = Profile::default_profile();
    let cmds = vec![
        select_apdu(&p),
        vec![0x00, 0x20, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00],
        vec![0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56],
    ];
    run(&scenario("VERIFY right", p, cmds, 0x20, None, true));
}

#[test]
fn change_pin_is_atomic() {
    let p = Profile::default_profile();
    let cmds = vec![
        select_apdu(&p),
        vec![
            0x80, 0x5E, 0x01, 0x00, 0x07, 0x12, 0x34, 0x56, 0xFF, 0x65, 0x43, 0x21,
        ],
    ];
    run(&scenario("CHANGE PIN", p, cmds, 0x5E, None, true));
}

#[test]
fn reload_pin_is_atomic() {
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    // Lock a try first so that RELOAD PIN changes the tries as well as the value.
    let mut card = Card::personalise(&p);
    let mut cmds = vec![
        select_apdu(&p),
        vec![0x00, 0x20, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00],
        vec![0x00, 0x84, 0x00, 0x00, 0x04],
    ];
    let mut challenge = [0u8; 4];
    for c in &cmds {
        let r = send(&mut card, c);
        if c[1] == 0x84 {
            challenge.copy_from_slice(&r[..4]);
        }
    }
    let new = [0x65, 0x43, 0x21];
    let header = [0x80, 0x5E, 0x00, 0x00, 0x07];
    let mac = host.issuer_mac(&p.issuer.serial, challenge, header, &new);
    let mut reload = header.to_vec();
    reload.extend_from_slice(&new);
    reload.extend_from_slice(&mac);
    assert_eq!(sw(&send(&mut card.clone(), &reload)), 0x9000);
    cmds.push(reload);
    run(&scenario("RELOAD PIN", p, cmds, 0x5E, None, false));
}

#[test]
fn mac_failure_counting_is_atomic() {
    let mut p = Profile::default_profile();
    p.mac_failure_limit = Some(3);
    let mut cmds = record_flow(&p, |pos, _| {
        pos.purchase(100).expect("purchase");
    });
    // Keep SELECT … INITIALIZE, then a DEBIT with a wrong MAC1.
    let (mut prefix, mut debit) = split_last(cmds.clone(), 0x54);
    let n = debit.len();
    debit[n - 2] ^= 0xFF; // last MAC1 byte (before Le)
    prefix.push(debit);
    cmds = prefix;
    run(&scenario(
        "DEBIT wrong MAC (counted)",
        p,
        cmds,
        0x54,
        None,
        false,
    ));
}

#[test]
fn the_random_cursor_advances_atomically() {
    let p = Profile::default_profile();
    let cmds = vec![select_apdu(&p), vec![0x00, 0x84, 0x00, 0x00, 0x04]];
    run(&scenario(
        "GET CHALLENGE (cursor)",
        p,
        cmds,
        0x84,
        None,
        false,
    ));
}

#[test]
fn reset_operation_password_is_atomic() {
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    let mut card = Card::personalise(&p);
    let mut cmds = vec![select_apdu(&p), vec![0x00, 0x84, 0x00, 0x00, 0x04]];
    let mut challenge = [0u8; 4];
    for c in &cmds {
        let r = send(&mut card, c);
        if c[1] == 0x84 {
            challenge.copy_from_slice(&r[..4]);
        }
    }
    // New operation password 987654 (3 BCD bytes); the header's Lc covers value ‖ MAC.
    let new = [0x98, 0x76, 0x54];
    let header = [0x80, 0x5E, 0x02, 0x00, 0x07];
    let mac = host.issuer_mac(&p.issuer.serial, challenge, header, &new);
    let mut cmd = header.to_vec();
    cmd.extend_from_slice(&new);
    cmd.extend_from_slice(&mac);
    assert_eq!(sw(&send(&mut card.clone(), &cmd)), 0x9000);
    cmds.push(cmd);
    run(&scenario(
        "RESET OPERATION PASSWORD",
        p,
        cmds,
        0x5E,
        None,
        false,
    ));
}
