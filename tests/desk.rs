//! The issuer's service desk as the holder meets it, end to end through the CLI as a process
//! (docs/spec.md §7): a locked payment password reloaded at the desk, or unlocking by itself
//! 24 hours after it locked (a clock that moves: `--clock`), a cancelled number refusing
//! top-ups while purchases go on, a wallet closed with money on it and settlement reconciling
//! the refund, a wrong name or ID refused and logged, a lost phone answered with the rule.

mod common;

use common::{output, said};
use std::path::Path;

const NAME: &str = "TEST HOLDER";
const ID: &str = "110101199001011234";

/// Runs the CLI in `d`; (exit status, stdout and stderr).
fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let o = output(d, args);
    (o.status.code().unwrap_or(-1), said(&o))
}

fn ok(d: &Path, args: &[&str]) -> String {
    let (code, out) = run(d, args);
    assert_eq!(code, 0, "{args:?} failed:\n{out}");
    out
}

fn desk(d: &Path, what: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["desk", what, "--name", NAME, "--id", ID];
    args.extend_from_slice(extra);
    run(d, &args)
}

fn show(d: &Path) -> String {
    ok(d, &["card", "show"])
}

fn new_card() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &["card", "new"]);
    d
}

/// Five wrong payment passwords in Pay Phone Bill at `clock`: the password locks.
fn lock_in_menu(d: &Path, clock: &str) {
    let out = ok(
        d,
        &[
            "phone",
            "--clock",
            clock,
            "--keys",
            "3,13800138000,1,'000000,o,'000001,o,'000002,o,'000003,o,'000004,o",
        ],
    );
    assert!(out.contains("(6983)"), "{out}");
    assert!(show(d).contains("payment pwd     0 of 5 tries left"));
}

/// Pays a 1.00 bill from the menu with `pin` at `clock`; the phone's screens.
fn pay_bill(d: &Path, clock: &str, pin: &str) -> String {
    let keys = format!("3,13800138000,1,'{pin},o");
    ok(d, &["phone", "--clock", clock, "--keys", &keys])
}

#[test]
fn locked_password_reloaded_at_the_desk_then_pay() {
    let dir = new_card();
    let d = dir.path();
    lock_in_menu(d, "20261130 120000");
    // Still locked: the right password does not help the holder.
    let out = pay_bill(d, "20261130 130000", "123456");
    assert!(out.contains("(6983)"), "{out}");
    assert!(show(d).contains("balance         100.00"));
    // A wrong ID is refused with its code, logged, and changes nothing.
    let (code, out) = run(
        d,
        &[
            "desk",
            "reload-pin",
            "--name",
            NAME,
            "--id",
            "110101199001011235",
            "--new",
            "654321",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-HOLDER"), "{out}");
    assert!(show(d).contains("payment pwd     0 of 5 tries left"));
    let (code, out) = run(
        d,
        &[
            "desk",
            "reload-pin",
            "--name",
            "TEST HOLDR",
            "--id",
            ID,
            "--new",
            "654321",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-HOLDER") && out.contains("name"), "{out}");
    // The right holder: reloaded, and the new password works at once.
    let (code, out) = desk(d, "reload-pin", &["--new", "654321"]);
    assert_eq!(code, 0, "{out}");
    assert!(show(d).contains("payment pwd     5 of 5 tries left"));
    let out = pay_bill(d, "20261130 140000", "654321");
    assert!(!out.contains("(6983)"), "{out}");
    assert!(show(d).contains("balance         99.00"), "{}", show(d));
    // The desk's log holds both refusals and the reload.
    let log = ok(d, &["desk", "log"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("reload-pin") && lines[0].contains("refused"));
    assert!(lines[0].contains("H-HOLDER") && lines[0].contains("00003141592653589793"));
    assert!(lines[1].contains("refused") && lines[1].contains("H-HOLDER"));
    assert!(lines[2].contains("done"), "{log}");
}

#[test]
fn locked_password_unlocks_24_hours_later() {
    let dir = new_card();
    let d = dir.path();
    lock_in_menu(d, "20261130 120000");
    // A POS load needs the payment password: refused while it is locked.
    let (code, out) = run(d, &["pos", "load", "5", "--clock", "20261130 180000"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("6983"), "{out}");
    assert!(
        show(d).contains(
            "payment lock    since 2026-11-30 12:00:00 (menu time), lifts at 2026-12-01 12:00:00"
        ),
        "{}",
        show(d)
    );
    // One second short of 24 hours: still locked, and nothing is paid.
    let out = pay_bill(d, "20261201 115959", "123456");
    assert!(out.contains("(6983)"), "{out}");
    assert!(show(d).contains("balance         100.00"));
    // A handset clock set back before the lock changes nothing either.
    let out = pay_bill(d, "20261129 120000", "123456");
    assert!(out.contains("(6983)"), "{out}");
    // 24 hours after the lock: the menu learns the time, the lock lifts, the bill is paid.
    let out = pay_bill(d, "20261201 120000", "123456");
    assert!(!out.contains("(6983)"), "{out}");
    assert!(show(d).contains("balance         99.00"), "{}", show(d));
    assert!(show(d).contains("payment pwd     5 of 5 tries left"));
    // And the POS load works again.
    ok(d, &["pos", "load", "5", "--clock", "20261201 120100"]);
    assert!(show(d).contains("balance         104.00"));
}

#[test]
fn cancelled_number_refuses_top_ups_but_purchases_work() {
    let dir = new_card();
    let d = dir.path();
    let (code, out) = desk(d, "cancel-number", &["--via", "air"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("over the air"), "{out}");
    // POS load: the card refuses INITIALIZE FOR LOAD with 9405, nothing loaded.
    let (code, out) = run(d, &["pos", "load", "5"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("9405"), "{out}");
    // The menu's Top Up says so before asking anything.
    let out = ok(d, &["phone", "--keys", "1,1"]);
    assert!(out.contains("号码已销户,不能充值 (9405)"), "{out}");
    // An integrated top-up is refused before the bank card is charged.
    let (code, out) = run(d, &["pos", "topup", "5", "--bank-pin", "2468"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("P-LOAD-REFUSED") || out.contains("9405"),
        "{out}"
    );
    assert!(show(d).contains("balance         100.00"));
    assert!(show(d).contains("phone number    cancelled by the issuer"));
    // A purchase still works.
    ok(d, &["pos", "purchase", "3"]);
    assert!(show(d).contains("balance         97.00"));
}

#[test]
fn closing_with_money_refunds_the_holder_and_settlement_reconciles() {
    let dir = new_card();
    let d = dir.path();
    ok(d, &["pos", "purchase", "3", "--clock", "20261130 110000"]);
    let (code, out) = desk(d, "close", &["--clock", "20261130 120000"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("97.00 yuan"), "{out}");
    let card = show(d);
    assert!(card.contains("wallet          closed"), "{card}");
    assert!(card.contains("balance         0.00"), "{card}");
    // The card's history shows the balance leaving it.
    let hist = ok(d, &["pos", "history"]);
    assert!(hist.contains("97.00"), "{hist}");
    // Settlement: the sale uploaded, the refund booked at the clearing host: reconciled.
    let out = ok(d, &["settle"]);
    assert!(
        out.contains("shadow balance 0.00; card balance 0.00"),
        "{out}"
    );
    assert!(out.contains("reconciled"), "{out}");
    // A second closure is refused by the card (already closed).
    let (code, out) = desk(d, "close", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("6A81"), "{out}");
}

#[test]
fn operation_password_reset_and_a_malformed_new_password() {
    let dir = new_card();
    let d = dir.path();
    let (code, out) = desk(
        d,
        "reset-operation-password",
        &["--new", "8765", "--via", "air"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("over the air"), "{out}");
    // The new operation password switches the menu's guard on.
    ok(d, &["phone", "--keys", "4,1,1,'8765,o"]);
    assert!(show(d).contains("operation pwd   on (5 of 5 tries left)"));
    // A new password of the wrong form is refused before anything is sent (exit 2).
    let (code, out) = desk(d, "reload-pin", &["--new", "12345"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("6 digits"), "{out}");
}

#[test]
fn lost_phone_is_not_reported_and_the_desk_is_one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, out) = run(d, &["desk", "report-lost", "--name", NAME, "--id", ID]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-NOT-REPORTED"), "{out}");
    assert!(out.contains("不挂失, 不找回"), "{out}");
    let log = ok(d, &["desk", "log"]);
    assert!(
        log.contains("report-lost") && log.contains("H-NOT-REPORTED"),
        "{log}"
    );
    // The ID number is kept masked in the log.
    assert!(
        !log.contains(ID) && log.contains("1101************34"),
        "{log}"
    );
    // A second process while one holds the desk: refused at once.
    let profile = stk_wallet::profile::Profile::default_profile();
    let held =
        stk_wallet::desk::Desk::open(&d.join("desk"), &profile, stk_wallet::clock::Clock::System)
            .unwrap();
    let (code, out) = run(d, &["desk", "log"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("H-DESK-BUSY"), "{out}");
    drop(held);
    ok(d, &["desk", "log"]);
}

/// A counter reader that loses the card's answer to CLOSE WALLET (the card still executes it).
struct LosesClose(stk_wallet::transport::sim::SimCard);

impl stk_wallet::transport::Transport for LosesClose {
    fn transmit_raw(
        &mut self,
        apdu: &[u8],
    ) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        let r = self.0.transmit_raw(apdu)?;
        if apdu.starts_with(&[0x80, 0x5E, 0x03]) {
            return Err(stk_wallet::transport::TransportError::NoResponse);
        }
        Ok(r)
    }
    fn reset(&mut self) -> Result<Vec<u8>, stk_wallet::transport::TransportError> {
        self.0.reset()
    }
    fn describe(&self) -> String {
        "a reader that loses CLOSE WALLET's answer".into()
    }
}

#[test]
fn a_closure_whose_answer_is_lost_is_held_pending_then_finished() {
    use stk_wallet::desk::{Desk, Holder, Request};
    use stk_wallet::settle::{Ledger, MoveKind, SqliteLedger};
    use stk_wallet::transport::sim::{SimCard, shared};
    let dir = tempfile::tempdir().unwrap();
    let p = stk_wallet::profile::Profile::default_profile();
    let card = shared(stk_wallet::card::Card::personalise(&p));
    let clock = stk_wallet::clock::Clock::Fixed {
        date: [0x20, 0x26, 0x11, 0x30],
        time: [0x12, 0, 0],
    };
    let mut desk = Desk::open(&dir.path().join("desk"), &p, clock).unwrap();
    let mut ledger = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
    let holder = Holder {
        name: NAME.into(),
        id_number: ID.into(),
    };
    let serial = p.issuer.serial;
    let mut lossy = LosesClose(SimCard::contactless(card.clone()));
    let e = desk
        .serve(&mut lossy, &holder, &Request::Close, Some(&mut ledger))
        .unwrap_err();
    assert!(e.to_string().contains("P-NO-RESPONSE"), "{e}");
    // The card closed; the clearing host holds the refund pending at offline counter 0.
    assert!(!card.borrow().state().purse.open);
    let pending = ledger.pending_moves(&serial).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0].m.kind, pending[0].m.counter, pending[0].m.amount),
        (MoveKind::Closure, 0, 10_000)
    );
    // The next closure of the card finds it closed past the intent's counter: done, booked.
    let mut reader = SimCard::contactless(card.clone());
    let done = desk
        .serve(&mut reader, &holder, &Request::Close, Some(&mut ledger))
        .unwrap();
    assert!(
        done.contains("earlier request") && done.contains("100.00"),
        "{done}"
    );
    assert!(ledger.pending_moves(&serial).unwrap().is_empty());
    let (_, offline) = ledger.booked_counters(&serial).unwrap();
    assert_eq!(offline, vec![0]);
    let log = desk.entries().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, "in doubt");
    assert_eq!(log[1].outcome, "done");
}

#[test]
fn a_lock_made_at_a_pos_counts_from_the_first_menu_session() {
    let dir = new_card();
    let d = dir.path();
    // Five wrong passwords at a POS load: locked, with no time the card can trust.
    for _ in 0..5 {
        let (code, _) = run(
            d,
            &[
                "pos",
                "load",
                "5",
                "--pin",
                "000000",
                "--clock",
                "20261130 080000",
            ],
        );
        assert_eq!(code, 1);
    }
    assert!(show(d).contains("payment pwd     0 of 5 tries left"));
    // The first menu session (12:00) stamps the lock; the menu says when it lifts.
    let out = pay_bill(d, "20261130 120000", "123456");
    assert!(out.contains("24小时后自动解锁"), "{out}");
    // 24 hours after the POS lock but not after the stamp: still locked.
    let out = pay_bill(d, "20261201 115900", "123456");
    assert!(out.contains("(6983)"), "{out}");
    let out = pay_bill(d, "20261201 120000", "123456");
    assert!(!out.contains("(6983)"), "{out}");
    assert!(show(d).contains("balance         99.00"));
}

#[test]
fn a_desk_killed_after_its_closure_intent_closes_on_the_next_try() {
    let dir = new_card();
    let d = dir.path();
    ok(d, &["pos", "purchase", "3", "--clock", "20261130 110000"]);
    let cmd = common::cli(
        d,
        &[
            "desk",
            "close",
            "--name",
            NAME,
            "--id",
            ID,
            "--clock",
            "20261130 120000",
            "--step-delay-ms",
            "3000",
        ],
    );
    let said = common::kill_at_step(cmd, "step: closure intent written");
    assert!(
        said.iter()
            .any(|l| l.contains("step: closure intent written")),
        "{said:?}"
    );
    // Killed after the intent, before CLOSE WALLET: the card still holds its money.
    let card = show(d);
    assert!(card.contains("wallet          open"), "{card}");
    assert!(card.contains("balance         97.00"), "{card}");
    // The refund is pending at the clearing host: not in the shadow balance, so settlement
    // still reconciles with the open card.
    let out = ok(d, &["settle"]);
    assert!(
        out.contains("shadow balance 97.00; card balance 97.00"),
        "{out}"
    );
    // The desk tries again: closed, refunded, reconciled.
    let (code, out) = desk(d, "close", &["--clock", "20261130 120500"]);
    assert_eq!(code, 0, "{out}");
    assert!(show(d).contains("balance         0.00"));
    let out = ok(d, &["settle"]);
    assert!(
        out.contains("shadow balance 0.00; card balance 0.00"),
        "{out}"
    );
}

/// The lock is stamped only with a time a handset gives: one that cannot tell the time is not
/// asked, and the lock stays; one that can is asked first thing in the session.
#[test]
fn only_a_handset_that_tells_the_time_is_asked_while_the_password_is_locked() {
    use stk_wallet::handset::{Handset, Key, PROFILE_NO_BIP, PROFILE_UCS2};
    use stk_wallet::transport::Transport;
    use stk_wallet::transport::sim::{SimCard, shared};
    let p = stk_wallet::profile::Profile::default_profile();
    let card = shared(stk_wallet::card::Card::personalise(&p));
    // Locked at a POS: five wrong VERIFYs on the contactless side.
    let mut pos = SimCard::contactless(card.clone());
    let select = [&[0x00, 0xA4, 0x04, 0x00, 0x09][..], &p.wallet_aid, &[0x00]].concat();
    pos.transmit_raw(&select).unwrap();
    for _ in 0..5 {
        pos.transmit_raw(&[0x00, 0x20, 0x00, 0x00, 0x03, 0, 0, 0])
            .unwrap();
    }
    assert_eq!(card.borrow().state().payment_password.tries_left, 0);
    let clock = stk_wallet::clock::Clock::Fixed {
        date: [0x20, 0x26, 0x11, 0x30],
        time: [0x12, 0, 0],
    };
    // A handset without PROVIDE LOCAL INFORMATION: the menu opens, nothing is stamped.
    let mut old = Handset::new(SimCard::contact(card.clone()))
        .with_profile(&PROFILE_NO_BIP)
        .with_clock(clock);
    old.power_on().unwrap();
    old.press(Key::Item(1)).unwrap();
    assert!(old.render().contains("钱包充值"), "{}", old.render());
    // PROVIDE LOCAL INFORMATION is `D0 L 81 03 <number> 26 <qualifier> …`.
    let asked_time = |log: &[stk_wallet::handset::Exchange]| {
        log.iter().any(|x| {
            let r = &x.response;
            r.len() > 6 && r[0] == 0xD0 && r[2..4] == [0x81, 0x03] && r[5] == 0x26
        })
    };
    assert!(!asked_time(&old.log));
    assert_eq!(card.borrow().state().payment_password.locked_at, None);
    // A handset that tells the time: asked at once (it answers by itself), the lock stamped.
    let mut phone = Handset::new(SimCard::contact(card.clone()))
        .with_profile(&PROFILE_UCS2)
        .with_clock(clock);
    phone.power_on().unwrap();
    phone.press(Key::Item(1)).unwrap();
    assert!(phone.render().contains("钱包充值"), "{}", phone.render());
    assert!(asked_time(&phone.log));
    assert_eq!(
        card.borrow().state().payment_password.locked_at,
        stk_wallet::clock::unix_of(&[0x20, 0x26, 0x11, 0x30], &[0x12, 0, 0])
    );
    assert_eq!(card.borrow().state().payment_password.tries_left, 0);
}

#[test]
fn a_counter_reader_that_is_not_there_and_a_reader_over_the_air_are_refused() {
    let dir = new_card();
    let d = dir.path();
    // No such reader (or a build without PC/SC): the reader's code, exit 2, the card untouched.
    let (code, out) = desk(
        d,
        "reload-pin",
        &["--new", "654321", "--reader", "No Such Reader 99"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("P-READER"), "{out}");
    // The reader is the counter's: over the air the handset reaches the card.
    let (code, out) = desk(
        d,
        "cancel-number",
        &["--via", "air", "--reader", "No Such Reader 99"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("P-READER") && out.contains("--via air"),
        "{out}"
    );
    assert!(!show(d).contains("cancelled by the issuer"), "{}", show(d));
    // Neither reached the card, so the desk logged neither.
    assert_eq!(ok(d, &["desk", "log"]).trim(), "");
}
