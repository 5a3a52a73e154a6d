//! Receipts at the shop's terminal, with the CLI as a process: every completed sale, load,
//! integrated top-up and recovered sale prints its receipt after its result line; none is
//! printed for a sale the PSAM refused (digest error). Expected values are derived here from
//! the default profile (serial, opening balance) and the amounts typed, never from the output.

mod common;

use std::path::Path;
use stk_wallet::profile::Profile;

const PAN: &str = "4111111111111111";
const BANK_PIN: &str = "739164";

fn run(d: &Path, args: &[&str]) -> (i32, String, String) {
    let o = common::output(d, args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &["card", "new"]).0, 0);
    dir
}

/// The card serial as a receipt must show it: first six and last four hex digits, `*` between.
fn masked_serial() -> String {
    let hex: String = Profile::default_profile()
        .issuer
        .serial
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(hex.len(), 20);
    format!("{}{}{}", &hex[..6], "*".repeat(10), &hex[16..])
}

/// `12.34元 / 12.34 yuan` for `fen`.
fn money(fen: u32) -> String {
    let y = format!("{}.{:02}", fen / 100, fen % 100);
    format!("{y}元 / {y} yuan")
}

/// The receipt block of `out` (from its first line to its closing rule); panics if none.
fn receipt(out: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("签购单 RECEIPT"))
        .unwrap_or_else(|| panic!("no receipt in:\n{out}"));
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.starts_with("-----") && !l.contains("RECEIPT"))
            .unwrap();
    lines[start..=end].iter().map(|l| l.to_string()).collect()
}

fn field<'a>(r: &'a [String], name: &str) -> &'a str {
    r.iter()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no `{name}` in {r:#?}"))
}

/// The word after `key ` in `line`, without a trailing comma.
fn after<'a>(line: &'a str, key: &str) -> &'a str {
    let rest = &line[line.find(key).unwrap() + key.len()..];
    rest.split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(',')
}

#[test]
fn a_sale_prints_its_receipt_after_the_result_line() {
    let d = shop();
    let opening = Profile::default_profile().purse.balance;
    let (code, out, _) = run(
        d.path(),
        &["pos", "purchase", "1.50", "--clock", "20261130 101500"],
    );
    assert_eq!(code, 0, "{out}");
    let result = out
        .lines()
        .position(|l| l.starts_with("purchase of"))
        .unwrap();
    let first = out.lines().position(|l| l.contains("RECEIPT")).unwrap();
    assert!(first > result, "the receipt follows the result line");
    let r = receipt(&out);
    let result_line = out.lines().nth(result).unwrap();
    assert_eq!(field(&r, "卡号 Card: "), masked_serial());
    assert_eq!(field(&r, "交易类型 Type: "), "消费 PURCHASE");
    assert_eq!(field(&r, "金额 Amount: "), money(150));
    assert_eq!(field(&r, "余额 Balance after: "), money(opening - 150));
    // A new card's first purchase uses offline counter 0; a new terminal's first TTC is 1.
    assert_eq!(field(&r, "卡交易序号 Card counter: "), "0");
    assert_eq!(field(&r, "终端交易序号 TTC: "), "1");
    // The terminal number the home was created with (the default profile's PSAM).
    assert_eq!(field(&r, "终端号 Terminal: "), "001122334455");
    // The merchant number the new terminal's sign-in brought (the issuer's default).
    assert_eq!(field(&r, "商户号 Merchant: "), "898440358120001");
    assert_eq!(field(&r, "交易认证码 TAC: "), after(result_line, "TAC "));
    assert_eq!(field(&r, "日期时间 Date/time: "), "2026-11-30 10:15:00");
    assert!(!out.contains("REPRINT"), "the first print is no copy");
}

#[test]
fn a_load_and_a_topup_print_theirs_with_the_balance_after() {
    let d = shop();
    let opening = Profile::default_profile().purse.balance;
    let (code, out, _) = run(
        d.path(),
        &["pos", "load", "20", "--clock", "20261130 101600"],
    );
    assert_eq!(code, 0, "{out}");
    let r = receipt(&out);
    assert_eq!(field(&r, "交易类型 Type: "), "圈存 LOAD");
    assert_eq!(field(&r, "金额 Amount: "), money(2000));
    assert_eq!(field(&r, "余额 Balance after: "), money(opening + 2000));
    assert_eq!(field(&r, "卡交易序号 Card counter: "), "0");
    assert!(field(&r, "终端交易序号 TTC: ").contains("none"));

    let (code, out, _) = run(
        d.path(),
        &[
            "pos",
            "topup",
            "5",
            "--pan",
            PAN,
            "--bank-pin",
            BANK_PIN,
            "--clock",
            "20261130 101700",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let r = receipt(&out);
    let id = after(
        out.lines().find(|l| l.starts_with("top-up ")).unwrap(),
        "top-up ",
    );
    assert_eq!(field(&r, "交易类型 Type: "), "充值 TOP-UP");
    assert_eq!(
        field(&r, "余额 Balance after: "),
        money(opening + 2000 + 500)
    );
    assert_eq!(field(&r, "卡交易序号 Card counter: "), "1");
    assert_eq!(field(&r, "充值单号 Top-up id: "), id);
    let bank_masked = format!("{}{}{}", &PAN[..6], "*".repeat(PAN.len() - 10), &PAN[12..]);
    assert_eq!(field(&r, "银行卡 Bank card: "), bank_masked);
    assert!(!out.contains(PAN), "the bank card is never in clear");
}

#[test]
fn a_recovered_sale_prints_its_receipt_with_the_proofs_tac() {
    let d = shop();
    let (code, out, _) = run(
        d.path(),
        &[
            "pos",
            "purchase",
            "2",
            "--fault",
            "lose-response:debit",
            "--clock",
            "20261130 101800",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let r = receipt(&out);
    assert_eq!(
        field(&r, "交易类型 Type: "),
        "消费（中断后恢复） PURCHASE (RECOVERED)"
    );
    let result_line = out.lines().find(|l| l.starts_with("purchase of")).unwrap();
    let tac = field(&r, "交易认证码 TAC: ");
    assert!(
        tac.starts_with(after(result_line, "TAC ")) && tac.contains("GET TRANSACTION PROOF"),
        "{tac}"
    );
    assert!(field(&r, "余额 Balance after: ").contains("not read"));
    // What `explain` promises for this code holds: the receipt can be printed again by the TTC
    // the sale in doubt took (a new terminal's first, 1).
    let (code, out, _) = run(d.path(), &["pos", "reprint", "--ttc", "1"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(body(&out), r);
    let (_, explained, _) = run(d.path(), &["explain", "P-TORN-RECOVERED"]);
    let remedy = explained
        .lines()
        .find_map(|l| l.trim().strip_prefix("remedy: "))
        .unwrap();
    for promise in ["PURCHASE (RECOVERED)", "TAC pending", "pos reprint --ttc"] {
        assert!(remedy.contains(promise), "{remedy}");
    }
}

#[test]
fn a_sale_the_psam_refused_prints_no_receipt() {
    let d = shop();
    let (code, out, _) = run(
        d.path(),
        &["pos", "purchase", "1", "--fault", "bad-mac:mac2"],
    );
    assert_ne!(code, 0, "{out}");
    assert!(!out.contains("RECEIPT"), "{out}");
}

/// The receipt lines of `out` without the copy marker.
fn body(out: &str) -> Vec<String> {
    receipt(out)
        .into_iter()
        .filter(|l| !l.contains("REPRINT"))
        .collect()
}

#[test]
fn a_kept_receipt_is_printed_again_marked_as_a_copy() {
    let d = shop();
    let (_, sale, _) = run(
        d.path(),
        &["pos", "purchase", "1", "--clock", "20261130 090000"],
    );
    let (code, top, _) = run(
        d.path(),
        &["pos", "topup", "3", "--pan", PAN, "--bank-pin", BANK_PIN],
    );
    assert_eq!(code, 0, "{top}");
    let id = after(
        top.lines().find(|l| l.starts_with("top-up ")).unwrap(),
        "top-up ",
    )
    .to_string();
    for (args, original) in [
        (vec!["pos", "reprint", "--last"], &top),
        (vec!["pos", "reprint", "--ttc", "1"], &sale),
        (vec!["pos", "reprint", "--topup", &id], &top),
    ] {
        let (code, out, err) = run(d.path(), &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("重打印 REPRINT"), "{out}");
        assert_eq!(body(&out), body(original), "{args:?}");
    }
    // Nothing kept under that TTC or id: exit 1 with the catalogue's code.
    for args in [
        vec!["pos", "reprint", "--ttc", "2"],
        vec!["pos", "reprint", "--topup", "001122334455-1"],
    ] {
        let (code, out, err) = run(d.path(), &args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("P-NOT-FOUND"), "{err}");
    }
    // No choice, or two: a usage error.
    for args in [
        vec!["pos", "reprint"],
        vec!["pos", "reprint", "--last", "--ttc", "1"],
    ] {
        assert_eq!(run(d.path(), &args).0, 2, "{args:?}");
    }
}

#[test]
fn a_new_terminal_has_nothing_to_reprint() {
    let d = shop();
    let (code, _, err) = run(d.path(), &["pos", "reprint", "--last"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("P-NOT-FOUND"), "{err}");
}

#[test]
fn lookup_lists_the_journal_by_card_ttc_topup_and_day() {
    let d = shop();
    for (amount, clock) in [
        ("1", "20261128 090000"),
        ("2", "20261129 090000"),
        ("3", "20261130 090000"),
    ] {
        let (code, out, _) = run(d.path(), &["pos", "purchase", amount, "--clock", clock]);
        assert_eq!(code, 0, "{out}");
    }
    let serial: String = Profile::default_profile()
        .issuer
        .serial
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let lines = |args: &[&str]| {
        let mut a = vec!["pos", "lookup"];
        a.extend(args);
        let (code, out, err) = run(d.path(), &a);
        (code, out.lines().count(), out, err)
    };
    assert_eq!(lines(&[]).1, 3);
    assert_eq!(lines(&["--card-serial", &serial]).1, 3);
    assert_eq!(lines(&["--card-serial", &serial.to_lowercase()]).1, 3);
    let (_, n, out, _) = lines(&["--date", "2026-11-29"]);
    assert_eq!(n, 1, "{out}");
    assert!(
        out.contains("amount 2.00 yuan") && out.contains(&masked_serial()),
        "{out}"
    );
    assert_eq!(lines(&["--date", "2026-11-29..2026-11-30"]).1, 2);
    let (_, n, out, _) = lines(&["--ttc", "3"]);
    assert_eq!(n, 1);
    assert!(out.starts_with("2026-11-30 09:00:00 sale"), "{out}");
    // `pos journal` is the same listing.
    let (code, out, _) = run(d.path(), &["pos", "journal", "--ttc", "3"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);

    // For scripts: JSON with the amounts in fen.
    let (code, out, _) = run(
        d.path(),
        &[
            "pos",
            "lookup",
            "--json",
            "--date",
            "2026-11-28..2026-11-29",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let amounts: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount_fen"].as_u64().unwrap())
        .collect();
    assert_eq!(amounts, [100, 200]);
    assert_eq!(v[0]["card"], masked_serial());

    // Nothing matches: exit 1 with the catalogue's code.
    let mut other = serial.clone();
    other.replace_range(19.., if serial.ends_with('0') { "1" } else { "0" });
    for args in [
        vec!["--card-serial", other.as_str()],
        vec!["--date", "2026-12-01"],
        vec!["--topup", "001122334455-1"],
        vec!["--ttc", "3", "--date", "2026-11-28"],
    ] {
        let (code, n, _, err) = lines(&args);
        assert_eq!((code, n), (1, 0), "{args:?}");
        assert!(err.contains("P-NOT-FOUND"), "{err}");
    }
    // Bad filters: a usage error.
    for args in [
        vec!["--card-serial", "1234"],
        vec!["--card-serial", "ZZ"],
        vec!["--date", "2026-13-01"],
        vec!["--date", "30-11-2026"],
        vec!["--date", "2026-11-30..2026-11-01"],
        vec!["--ttc", "-1"],
    ] {
        assert_eq!(lines(&args).0, 2, "{args:?}");
    }
}

/// A top-up killed once its wallet is loaded (before the flow printed its result) still has
/// its receipt: read from the journal row, printed by `pos resume` and by `pos reprint`.
#[test]
fn a_topup_killed_after_the_load_keeps_its_receipt() {
    use stk_wallet::journal::{Journal, TopupState};
    let d = shop();
    // SIGKILL in the pause after the `loaded` row.
    let said = common::kill_at_step(
        common::cli(
            d.path(),
            &[
                "pos",
                "topup",
                "4",
                "--pan",
                PAN,
                "--bank-pin",
                BANK_PIN,
                "--step-delay-ms",
                "2000",
            ],
        ),
        "step: loaded",
    );
    assert!(
        said.iter().any(|l| l.contains("step: loaded")),
        "never loaded: {said:?}"
    );
    assert!(!said.iter().any(|l| l.contains("RECEIPT")), "{said:?}");
    let t = Journal::open(&d.path().join("pos").join("terminal.db"))
        .unwrap()
        .all_topups()
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(t.state, TopupState::Loaded);
    let (code, out, err) = run(d.path(), &["pos", "reprint", "--topup", &t.txn]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(field(&receipt(&out), "充值单号 Top-up id: "), t.txn);
    assert_eq!(field(&receipt(&out), "金额 Amount: "), money(400));
    let (code, out, err) = run(d.path(), &["pos", "resume"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(field(&receipt(&out), "充值单号 Top-up id: "), t.txn);
}
