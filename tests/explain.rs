//! `stk-wallet explain` for people, as a process: lookup by a phrase in English or Chinese
//! (case-insensitive, substring, over the catalogue and the handbook's entries), the handbook's
//! customer questions (docs/spec.md §7) and field practice (§8) by name, and a phrase nothing
//! mentions (exit 2 with what to try).

use std::process::{Command, Output};
use stk_wallet::errors::{self, Code, faq};

const BIN: &str = env!("CARGO_BIN_EXE_stk-wallet");

fn explain(arg: &str) -> Output {
    Command::new(BIN)
        .args(["explain", arg])
        .output()
        .expect("run stk-wallet")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The names of the entries an answer shows: the first word of every entry's first line.
fn shown(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|block| {
            let first = block.lines().next()?;
            let name = first.split("  ").next()?;
            (!name.contains(' ')).then(|| name.to_string())
        })
        .collect()
}

#[test]
fn a_chinese_phrase_finds_every_entry_that_mentions_it() {
    for (phrase, want) in [
        ("摘要错误", &["9302", "P-DIGEST", "FIELD-DIGEST-ERROR"][..]),
        (
            "冲正",
            &["H-REVERSAL-PENDING", "H-REVERSAL-MANUAL", "FIELD-REVERSAL"][..],
        ),
        ("密钥不存在", &["9403", "FIELD-KEY-NOT-FOUND"][..]),
    ] {
        let o = explain(phrase);
        assert!(o.status.success(), "{phrase}: {}", err(&o));
        let text = out(&o);
        let names = shown(&text);
        for w in want {
            assert!(
                names.iter().any(|n| n == w),
                "{phrase}: {w} in {names:?}\n{text}"
            );
        }
        // Several matches: a header naming them all, then each in full.
        assert!(
            text.starts_with(&format!("{} entries mention `{phrase}`: ", names.len())),
            "{text}"
        );
        assert!(
            text.contains("cause: ") && text.contains("remedy: "),
            "{text}"
        );
    }
}

#[test]
fn an_english_phrase_is_case_insensitive() {
    let o = explain("digest error");
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("FIELD-DIGEST-ERROR  digest error at the POS / 摘要错误"),
        "{text}"
    );
    assert!(
        text.contains("answer: ") && text.contains("答复: "),
        "{text}"
    );
    assert_eq!(out(&explain("DIGEST Error")), text);
    let reversal = out(&explain("reversal"));
    let names = shown(&reversal);
    for w in ["FIELD-REVERSAL", "H-REVERSAL-PENDING", "H-REVERSAL-MANUAL"] {
        assert!(names.iter().any(|n| n == w), "{w}: {names:?}");
    }
    // Handbook entries come first.
    assert_eq!(names[0], "FIELD-REVERSAL", "{names:?}");
    assert_eq!(shown(&out(&explain("REVERSAL"))), names);
}

/// The handbook's customer questions (docs/spec.md §7), each found by a phrase a person would
/// type and answered with the handbook's answer in both languages.
#[test]
fn the_handbooks_customer_questions_are_answered() {
    for (phrase, name, answer) in [
        ("website", "FAQ-BALANCE-DIFFERS", "purchases are offline"),
        ("网上营业厅", "FAQ-BALANCE-DIFFERS", "刷卡消费是脱机交易"),
        ("lost my phone", "FAQ-LOST-PHONE", "cannot be recovered"),
        ("手机丢了", "FAQ-LOST-PHONE", "不挂失、不找回"),
        (
            "number was cancelled",
            "FAQ-CANCELLED-NUMBER",
            "no more top-ups",
        ),
        ("销号", "FAQ-CANCELLED-NUMBER", "不能再充值"),
        (
            "password is locked",
            "FAQ-PASSWORD-LOCKED",
            "24 hours later",
        ),
        ("支付密码被锁", "FAQ-PASSWORD-LOCKED", "24小时后自动解锁"),
        (
            "close the wallet",
            "FAQ-CLOSE-WALLET",
            "when the balance is 0",
        ),
        ("怎样注销", "FAQ-CLOSE-WALLET", "余额为0时"),
        ("top up the wallet", "FAQ-TOP-UP", "online banking"),
        ("怎样充值", "FAQ-TOP-UP", "营业厅现金充值"),
        ("as cash", "FAQ-NO-WITHDRAWAL", "cannot be withdrawn"),
        ("取现", "FAQ-NO-WITHDRAWAL", "不能取现"),
        (
            "phone bill",
            "FAQ-BILL-PAYMENT",
            "China Mobile numbers only",
        ),
    ] {
        let o = explain(phrase);
        assert!(o.status.success(), "{phrase}: {}", err(&o));
        let text = out(&o);
        assert!(
            shown(&text).iter().any(|n| n == name),
            "{phrase}: {name}\n{text}"
        );
        assert!(text.contains(answer), "{phrase}: {answer}\n{text}");
        // And by its name, in any case.
        let by_name = out(&explain(&name.to_lowercase()));
        let f = faq::find(name).unwrap();
        assert!(
            by_name.starts_with(&format!("{name}  {} / {}", f.en, f.zh)),
            "{by_name}"
        );
        assert!(
            by_name.contains(f.answer_en) && by_name.contains(f.answer_zh),
            "{by_name}"
        );
    }
}

#[test]
fn a_phrase_nothing_mentions_exits_2_saying_what_to_try() {
    for phrase in ["xyzzy plugh", "银河系", "hello world"] {
        let o = explain(phrase);
        assert_eq!(o.status.code(), Some(2), "{phrase}: {}", out(&o));
        assert!(out(&o).is_empty(), "{phrase}");
        let e = err(&o);
        assert!(e.contains(&format!("`{phrase}`")), "{e}");
        assert!(
            e.contains("explain --list") && e.contains("explain 冲正"),
            "{e}"
        );
    }
    // Something shaped like a code is still refused as a code.
    for code in ["P-NOPE", "930", "FAQ-NOPE"] {
        let o = explain(code);
        assert_eq!(o.status.code(), Some(2), "{code}");
        assert!(
            err(&o).contains(&format!("`{code}` is not a status word")),
            "{}",
            err(&o)
        );
    }
}

#[test]
fn codes_and_status_words_still_win_over_phrases() {
    // `9302` is also text inside other entries: as a status word it is explained alone.
    let o = explain("9302");
    assert!(
        out(&o).starts_with("9302  MAC invalid / 摘要错误"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains("entries mention"));
    let o = explain("p-digest");
    assert!(out(&o).starts_with("P-DIGEST  "), "{}", out(&o));
}

/// The handbook's names are its own: prefixed, unique, never a catalogue code, every text
/// filled in, every entry found by its own Chinese topic.
#[test]
fn handbook_entries_are_complete() {
    for (i, f) in faq::FAQ.iter().enumerate() {
        assert!(
            f.name.starts_with("FAQ-") || f.name.starts_with("FIELD-"),
            "{}",
            f.name
        );
        assert!(faq::FAQ[..i].iter().all(|g| g.name != f.name), "{}", f.name);
        assert!(f.name.parse::<Code>().is_err(), "{}", f.name);
        for t in [f.en, f.zh, f.answer_en, f.answer_zh] {
            assert!(!t.trim().is_empty(), "{}", f.name);
        }
        assert!(
            errors::search(f.zh).iter().any(|x| x.name() == f.name),
            "{}",
            f.name
        );
    }
}
