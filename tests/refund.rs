//! Refund (退货) of a sale at the terminal, with the CLI as a process (docs/spec.md §8, "refund"):
//! a sale refunded once, in full or in part; a second refund, one over the sale's amount and one
//! to another card refused with their catalogue codes and nothing loaded; two processes at once
//! and a second terminal holding a copy of the journal refused by the terminal's lock, journal
//! and the issuer's books; a refund killed at every step put right by `pos resume` with the money
//! conserved; settlement reconciling and linking each refund to its sale. Expected balances are
//! derived from the default profile's opening balance and the amounts typed, never from output.

mod common;

use common::{cli, kill_at_step, other_profile, output, said, sale_ttc};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use stk_wallet::card::image;
use stk_wallet::profile::Profile;

const SALE: u32 = 1234;

fn opening() -> u32 {
    Profile::default_profile().purse.balance
}

fn balance(d: &Path, card: &str) -> u32 {
    image::load(&d.join(card)).unwrap().state().purse.balance
}

fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let o = output(d, args);
    (o.status.code().unwrap_or(-1), said(&o))
}

/// A shop with a new card and one sale of 12.34 yuan; returns the sale's TTC.
fn shop_with_sale() -> (tempfile::TempDir, u32) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(run(d, &["card", "new"]).0, 0);
    let (code, out) = run(d, &["pos", "purchase", "12.34"]);
    assert_eq!(code, 0, "{out}");
    let ttc = sale_ttc(&out).expect("the sale's TTC");
    assert_eq!(balance(d, "card.json"), opening() - SALE);
    (dir, ttc)
}

/// `settle --json` in `d`: exit status and the report.
fn settle_json(d: &Path) -> (i32, serde_json::Value) {
    let o = output(d, &["settle", "--json"]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("settle --json: {e}: {}", said(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn assert_reconciled(d: &Path) {
    let (code, v) = settle_json(d);
    assert_eq!(code, 0, "settle: {v:#}");
    let rec = &v["reconciliation"];
    assert_eq!(rec["difference"], 0, "{v:#}");
    assert_eq!(rec["explained"], true, "{v:#}");
    assert_eq!(
        rec["shadow"].as_i64().unwrap(),
        i64::from(balance(d, "card.json")),
        "{v:#}"
    );
}

#[test]
fn a_sale_is_refunded_once_with_a_receipt_and_settlement_links_the_refund_to_it() {
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        balance(d, "card.json"),
        opening(),
        "the whole sale given back"
    );
    for want in [
        "交易类型 Type: 退货 REFUND",
        "金额 Amount: 12.34元 / 12.34 yuan",
        &format!("余额 Balance after: {0}元 / {0} yuan", money(opening())),
        &format!("原交易 Original sale: 终端 terminal 001122334455 TTC {ttc}"),
        "原交易金额 Sale amount: 12.34元 / 12.34 yuan",
    ] {
        assert!(out.contains(want), "no `{want}` in:\n{out}");
    }
    // A second refund of the same sale, even of one fen, is refused and loads nothing.
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--amount", "0.01"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-REFUNDED"), "{out}");
    assert_eq!(balance(d, "card.json"), opening());
    // Lookup and reprint see it.
    let (code, out) = run(d, &["pos", "lookup", "--ttc", &t]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" card ")).collect();
    assert_eq!(lines.len(), 2, "the sale and its refund:\n{out}");
    assert!(lines[1].contains("refund") && lines[1].contains(&format!("refund of sale TTC {ttc}")));
    let (code, out) = run(d, &["pos", "reprint", "--refund", &t]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("重打印 REPRINT") && out.contains("退货 REFUND"),
        "{out}"
    );
    let (code, out) = run(d, &["pos", "reprint", "--refund", "99"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-NOT-FOUND"), "{out}");
    // Settlement books it against its sale and reconciles the card.
    let (code, v) = settle_json(d);
    assert_eq!(code, 0, "{v:#}");
    let refunds = v["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{v:#}");
    assert_eq!(refunds[0]["sale"]["ttc"], ttc);
    assert_eq!(refunds[0]["sale"]["amount_fen"], SALE);
    assert_eq!(refunds[0]["amount_fen"], SALE);
    assert_eq!(refunds[0]["clearing_state"], "booked");
    assert_eq!(v["reconciliation"]["difference"], 0);
    assert_eq!(v["reconciliation"]["shadow"], opening());
}

/// `12.34` for 1234 fen.
fn money(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[test]
fn a_partial_refund_over_the_amount_or_to_another_card_is_refused_and_loads_nothing() {
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--amount", "12.35"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-REFUND-AMOUNT"), "{out}");
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--amount", "0"]);
    assert!(code == 1 || code == 2, "{out}");
    // Another card at the same terminal.
    other_profile(d, "other", 0x55);
    let (code, out) = run(
        d,
        &["card", "new", "--profile", "other.json", "-o", "b.json"],
    );
    assert_eq!(code, 0, "{out}");
    let b_before = balance(d, "b.json");
    let (code, out) = run(d, &["pos", "--card", "b.json", "refund", "--ttc", &t]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-WRONG-CARD"), "{out}");
    assert_eq!(balance(d, "b.json"), b_before);
    assert_eq!(balance(d, "card.json"), opening() - SALE);
    // No such sale.
    let (code, out) = run(d, &["pos", "refund", "--ttc", "99"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("P-NOT-FOUND"), "{out}");
    // None of these used the sale up: a partial refund still works, once.
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--amount", "2.00"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(balance(d, "card.json"), opening() - SALE + 200);
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--amount", "10.34"]);
    assert_eq!(code, 1, "a second partial refund: {out}");
    assert!(out.contains("P-REFUNDED"), "{out}");
    assert_eq!(balance(d, "card.json"), opening() - SALE + 200);
    assert_reconciled(d);
}

#[test]
fn two_processes_refunding_one_sale_at_once_load_it_once() {
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let start = || {
        cli(d, &["pos", "refund", "--ttc", &t, "--step-delay-ms", "200"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == 0).count(),
        1,
        "exactly one wins: {codes:?}\n{}\n{}",
        said(&outs[0]),
        said(&outs[1])
    );
    let loser = outs.iter().find(|o| !o.status.success()).unwrap();
    let text = said(loser);
    assert!(
        ["P-REFUNDED", "P-TERMINAL-BUSY", "I-BUSY"]
            .iter()
            .any(|c| text.contains(c)),
        "the loser says why: {text}"
    );
    assert_eq!(balance(d, "card.json"), opening(), "loaded once");
    assert_reconciled(d);
}

#[test]
fn the_issuer_refuses_a_second_refund_from_a_copy_of_the_terminal() {
    // A second terminal home holding a copy of the first's journal (restored from a backup):
    // its journal has no refund, so only the issuer's books can stop it.
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    copy_dir(&d.join("pos"), &d.join("copy"));
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t]);
    assert_eq!(code, 0, "{out}");
    for settled_first in [false, true] {
        if settled_first {
            assert_reconciled(d);
        }
        let (code, out) = run(d, &["pos", "--terminal", "copy", "refund", "--ttc", &t]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("H-REFUND-REFUSED"), "{out}");
        assert_eq!(balance(d, "card.json"), opening(), "loaded once");
    }
    assert_reconciled(d);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_refund_killed_at_every_step_is_put_right_by_resume_with_the_money_conserved() {
    // (step, whether the card holds the refund when the process dies there)
    for (step, loaded) in [
        ("journaled", false),
        ("loading", false),
        ("authorised", false),
        ("loaded", true),
    ] {
        let (dir, ttc) = shop_with_sale();
        let d = dir.path();
        let t = ttc.to_string();
        let said = kill_at_step(
            cli(
                d,
                &["pos", "refund", "--ttc", &t, "--step-delay-ms", "1000"],
            ),
            &format!("step: {step}"),
        );
        assert!(
            said.iter().any(|l| l.contains(&format!("step: {step}"))),
            "{step}: {said:?}"
        );
        let held = balance(d, "card.json");
        assert_eq!(
            held,
            opening() - SALE + if loaded { SALE } else { 0 },
            "{step}"
        );
        let (code, out) = run(d, &["pos", "resume"]);
        assert_eq!(code, 0, "{step}: {out}");
        assert!(out.contains("0 refund(s) unfinished"), "{step}: {out}");
        assert_eq!(
            balance(d, "card.json"),
            held,
            "{step}: resume moves no money"
        );
        assert_reconciled(d);
        // A refund that did not reach the card can be made again, once.
        let (code, out) = run(d, &["pos", "refund", "--ttc", &t]);
        if loaded {
            assert_eq!(code, 1, "{step}: {out}");
            assert!(out.contains("P-REFUNDED"), "{step}: {out}");
        } else {
            assert_eq!(code, 0, "{step}: {out}");
        }
        assert_eq!(balance(d, "card.json"), opening(), "{step}");
        assert_reconciled(d);
    }
}

#[test]
fn a_refund_killed_between_the_credit_and_its_journal_entry_is_found_on_the_card() {
    // Every command to the card image is followed by the same pause as every journaled step:
    // killed half-way through the pause after the CREDIT, the card holds the refund and the
    // journal still says `loading`.
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let mut child = cli(
        d,
        &["pos", "refund", "--ttc", &t, "--step-delay-ms", "1500"],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.unwrap().contains("step: authorised")));
        // The pause (1.5 s), the CREDIT, then the card's pause (1.5 s): killed in the latter.
        std::thread::sleep(Duration::from_millis(2250));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let held = balance(d, "card.json");
    let (code, out) = run(d, &["pos", "resume"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(balance(d, "card.json"), held, "resume moves no money");
    if held == opening() {
        // The usual case: the refund found on the card with its proof, and its receipt.
        assert!(
            out.contains("GET TRANSACTION PROOF: the refund was loaded"),
            "{out}"
        );
        assert!(out.contains("退货 REFUND"), "{out}");
        let (code, out) = run(d, &["pos", "reprint", "--refund", &t]);
        assert_eq!(code, 0, "{out}");
    } else {
        // A machine too busy to keep the timing: killed before the CREDIT; nothing loaded.
        assert_eq!(held, opening() - SALE, "{out}");
        assert!(out.contains("refund failed"), "{out}");
    }
    assert_reconciled(d);
}

#[test]
fn a_lost_credit_answer_is_decided_on_the_card_at_once() {
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let (code, out) = run(
        d,
        &[
            "pos",
            "refund",
            "--ttc",
            &t,
            "--fault",
            "lose-response:credit",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("GET TRANSACTION PROOF: the refund was loaded"),
        "{out}"
    );
    assert!(out.contains("退货 REFUND"), "{out}");
    assert_eq!(balance(d, "card.json"), opening());
    assert_reconciled(d);
    // The issuer down: nothing loaded, and the sale can still be refunded.
    let (dir, ttc) = shop_with_sale();
    let d = dir.path();
    let t = ttc.to_string();
    let (code, out) = run(d, &["pos", "refund", "--ttc", &t, "--fault", "host-down"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("H-UNREACHABLE"), "{out}");
    assert_eq!(balance(d, "card.json"), opening() - SALE);
    assert_eq!(run(d, &["pos", "refund", "--ttc", &t]).0, 0);
    assert_eq!(balance(d, "card.json"), opening());
    assert_reconciled(d);
}

/// The issuer's books in process: an authorisation whose answer never reached the terminal
/// gives way to a new one at the same card counter; one at another counter is refused until the
/// card has decided it, and a booked refund for good; a request that does not match its sale is
/// refused whatever the books hold.
#[test]
fn the_issuer_holds_one_refund_per_sale_and_lets_an_unused_authorisation_go() {
    use std::cell::RefCell;
    use stk_wallet::card::command::TxKind;
    use stk_wallet::host::{HostError, IssuerHost};
    use stk_wallet::issuer::{LoadRequest, RefundRequest};
    use stk_wallet::journal::{Journal, RefundState};
    use stk_wallet::reconcile::{CardView, reconcile};
    use stk_wallet::settle::{ClearingHost, Ledger, MoveKind, MoveState, SqliteLedger};
    use stk_wallet::transport::sim::SimCard;

    let p = Profile::default_profile();
    let card = common::new_card(&p);
    let mut pos = common::pos_with(SimCard::contactless(card.clone()), &p);
    let sale = pos.purchase(SALE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("pos.db")).unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.db")).unwrap();
    let clearing = RefCell::new(ClearingHost::new(IssuerHost::from_profile(&p), ledger));
    let refunds = |clearing: &RefCell<ClearingHost<SqliteLedger>>| {
        clearing
            .borrow_mut()
            .ledger
            .moves(&sale.serial)
            .unwrap()
            .into_iter()
            .filter(|m| m.m.kind == MoveKind::Refund)
            .map(|m| (m.m.counter, m.state))
            .collect::<Vec<_>>()
    };

    // Authorised, but the answer is lost on the way back: no CREDIT, the refund fails.
    let lost = |r: &RefundRequest| {
        clearing.borrow_mut().authorize_refund(r)?;
        Err(HostError::Unreachable)
    };
    let e = pos
        .refund(&journal, &lost, &sale, SALE, "123456", &mut |_| {})
        .unwrap_err();
    assert_eq!(e.code().to_string(), "H-UNREACHABLE");
    assert_eq!(refunds(&clearing), [(0, MoveState::Pending)]);
    assert_eq!(journal.refunds().unwrap()[0].state, RefundState::Failed);

    // Again at the same counter, half a minute later: the unused authorisation gives way.
    pos.clock = stk_wallet::pos::Clock::Fixed {
        date: [0x20, 0x26, 0x11, 0x22],
        time: [0x12, 0, 0x30],
    };
    let desk = |r: &RefundRequest| clearing.borrow_mut().authorize_refund(r);
    let rep = pos
        .refund(&journal, &desk, &sale, SALE, "123456", &mut |_| {})
        .unwrap();
    assert_eq!(rep.row.state, RefundState::Loaded);
    assert_eq!(
        refunds(&clearing),
        [(0, MoveState::Void), (0, MoveState::Pending)]
    );
    assert_eq!(card.borrow().state().purse.balance, opening());

    // A request straight to the desk (a terminal whose journal lost the refund), at the card's
    // next counter: refused while the first is pending, and once it is booked.
    let ask = |pos: &mut stk_wallet::pos::Pos<SimCard, stk_wallet::transport::sim::SimPsam>| -> RefundRequest {
        pos.select().unwrap();
        pos.verify_pin("123456").unwrap();
        let term = pos.term_id().unwrap();
        let init = pos.initialize(TxKind::Load, 100, term).unwrap();
        let load = LoadRequest::from_init(
            sale.serial,
            1,
            &init,
            100,
            term,
            [0x20, 0x26, 0x11, 0x22],
            [0x12, 0, 1],
        );
        RefundRequest {
            load,
            sale: sale.clone(),
        }
    };
    let second = ask(&mut pos);
    assert_eq!(second.load.online_counter, 1);
    let e = desk(&second).unwrap_err();
    assert_eq!(e.code().to_string(), "H-REFUND-REFUSED", "{e}");
    let st = card.borrow().state().clone();
    let view = CardView {
        serial: sale.serial,
        balance: st.purse.balance,
        online_counter: st.purse.online_counter,
        offline_counter: st.purse.offline_counter,
        log: (1..=10)
            .filter_map(|n| {
                st.log
                    .record(n)
                    .and_then(|r| stk_wallet::pos::HistoryEntry::parse(r))
            })
            .collect(),
    };
    {
        let mut c = clearing.borrow_mut();
        c.ledger.open_card(&sale.serial, p.purse.balance).unwrap();
        reconcile(&mut c.ledger, &view).unwrap();
    }
    assert_eq!(
        refunds(&clearing),
        [(0, MoveState::Void), (0, MoveState::Booked)]
    );
    let e = desk(&ask(&mut pos)).unwrap_err();
    assert!(e.to_string().contains("refunded already"), "{e}");

    // Whatever the books hold, a request that does not match its sale is refused.
    let mut other = ask(&mut pos);
    other.sale.ttc += 1; // another sale: its TAC does not verify
    assert!(
        desk(&other)
            .unwrap_err()
            .to_string()
            .contains("TAC does not verify")
    );
    let mut over = ask(&mut pos);
    over.load.amount = SALE + 1;
    assert!(
        desk(&over)
            .unwrap_err()
            .to_string()
            .contains("is not a refund")
    );
    let mut card2 = ask(&mut pos);
    card2.load.serial[9] ^= 1;
    assert!(
        desk(&card2)
            .unwrap_err()
            .to_string()
            .contains("was made with card")
    );
}
