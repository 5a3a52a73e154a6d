//! The menu's words in Chinese and English (docs/spec.md §1 labels), amounts and log records as
//! text, and the amount parser for GET INPUT answers.

use super::menu::Record;
use crate::crypto::{TYPE_LOAD, TYPE_PURCHASE};
use stk_domain::money::{Fen, MoneyError};

/// The menu language actually used for a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// Every message and label of the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Title,
    MyWallet,
    TopUp,
    Balance,
    History,
    PayBill,
    Bill,
    Settings,
    OpPassword,
    EnableDisable,
    ChangeOp,
    Limit,
    SetLimit,
    ChangePayPassword,
    CloseWallet,
    ConfirmClose,
    WalletClosedItem,
    EnterOpPassword,
    NewOpPassword,
    NewOpPasswordAgain,
    EnterPayPassword,
    NewPayPassword,
    NewPayPasswordAgain,
    TopUpAmount,
    BillAmount,
    NewLimit,
    PhoneNumber,
    BalanceIs,
    AsOf,
    TopUpDone,
    BillDone,
    LimitSet,
    OpNowOn,
    OpNowOff,
    OpChanged,
    PayChanged,
    ClosedDone,
    WalletIsClosed,
    MenuLocked,
    PasswordLocked,
    NumberCancelled,
    DigitsOnly,
    BadOpPassword,
    BadPayPassword,
    BadPhone,
    NotChinaMobile,
    BadAmount,
    ZeroAmount,
    BadChoice,
    Mismatch,
    Insufficient,
    OverCap,
    LimitOverCap,
    CloseNeedsZero,
    NetworkError,
    NoBip,
    Refused,
    NoHistory,
    IdleClosed,
    NoMenus,
}

impl Lang {
    /// The text of `m` in this language.
    pub fn s(self, m: Msg) -> &'static str {
        let (zh, en) = words(m);
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn wrong_password(self, left: u8) -> String {
        match self {
            Lang::Zh => format!("密码错误,还可输入{left}次 (63C{left:X})"),
            Lang::En => format!("Wrong password, {left} tries left (63C{left:X})"),
        }
    }
}

fn words(m: Msg) -> (&'static str, &'static str) {
    use Msg::*;
    match m {
        Title => ("手机钱包", "Phone Wallet"),
        MyWallet => ("我的钱包", "My Wallet"),
        TopUp => ("钱包充值", "Top Up"),
        Balance => ("钱包余额查询", "Balance"),
        History => ("钱包明细查询", "History"),
        PayBill => ("我要缴费", "Pay Phone Bill"),
        Bill => ("缴费", "Bill"),
        Settings => ("业务管理", "Wallet Settings"),
        OpPassword => ("操作密码设置", "Operation Password"),
        EnableDisable => ("启用/关闭", "Enable/Disable"),
        ChangeOp => ("修改操作密码", "Change"),
        Limit => ("单次消费限额", "Single-Payment Limit"),
        SetLimit => ("设置新限额", "Set New Limit"),
        ChangePayPassword => ("修改支付密码", "Change Payment Password"),
        CloseWallet => ("注销钱包", "Close Wallet"),
        ConfirmClose => ("确认注销", "Confirm: close the wallet"),
        WalletClosedItem => ("钱包已注销", "Wallet Closed"),
        EnterOpPassword => ("请输入操作密码", "Operation password"),
        NewOpPassword => (
            "请输入新操作密码(4-12位)",
            "New operation password (4-12 digits)",
        ),
        NewOpPasswordAgain => ("请再次输入新操作密码", "New operation password again"),
        EnterPayPassword => ("请输入支付密码", "Payment password"),
        NewPayPassword => ("请输入新支付密码(6位)", "New payment password (6 digits)"),
        NewPayPasswordAgain => ("请再次输入新支付密码", "New payment password again"),
        TopUpAmount => (
            "请输入充值金额(元,*为小数点)",
            "Top-up amount (yuan, * = point)",
        ),
        BillAmount => ("请输入缴费金额(元,*为小数点)", "Amount (yuan, * = point)"),
        NewLimit => ("请输入新限额(元,*为小数点)", "New limit (yuan, * = point)"),
        PhoneNumber => ("请输入手机号码", "Phone number (11 digits)"),
        BalanceIs => ("余额", "Balance"),
        AsOf => ("截至", "as of"),
        TopUpDone => ("充值成功", "Topped up"),
        BillDone => ("缴费成功", "Paid the bill of"),
        LimitSet => ("单次消费限额已设为", "Single-payment limit set to"),
        OpNowOn => ("操作密码已启用", "Operation password is now on"),
        OpNowOff => ("操作密码已关闭", "Operation password is now off"),
        OpChanged => ("操作密码已修改", "Operation password changed"),
        PayChanged => ("支付密码已修改", "Payment password changed"),
        ClosedDone => ("钱包已注销", "The wallet is closed"),
        WalletIsClosed => (
            "钱包已注销,不能支付或充值 (6A81)",
            "The wallet is closed: no payments or top-ups (6A81)",
        ),
        MenuLocked => (
            "操作密码已锁定,请联系发卡方 (6983)",
            "Operation password locked: contact the issuer (6983)",
        ),
        PasswordLocked => (
            "密码已锁定,24小时后自动解锁或请联系发卡方 (6983)",
            "Password locked: it unlocks 24 h after it locked, or contact the issuer (6983)",
        ),
        NumberCancelled => (
            "号码已销户,不能充值 (9405)",
            "Number cancelled: no top-up (9405)",
        ),
        DigitsOnly => ("只能输入数字", "Digits only, please"),
        BadOpPassword => (
            "操作密码为4-12位数字",
            "The operation password is 4-12 digits",
        ),
        BadPayPassword => ("支付密码为6位数字", "The payment password is 6 digits"),
        BadPhone => (
            "手机号码为11位数字,以1开头",
            "A phone number is 11 digits starting with 1",
        ),
        NotChinaMobile => (
            "不是中国移动号码,只能为中国移动号码缴费",
            "Not a China Mobile number: bills of China Mobile numbers only",
        ),
        BadAmount => (
            "金额格式错误,例如 50 或 50*00",
            "Bad amount: e.g. 50 or 50*00 (* = point)",
        ),
        ZeroAmount => ("金额必须大于0", "The amount must be more than 0"),
        BadChoice => ("无此选项", "No such item"),
        Mismatch => ("两次输入不一致", "The two entries differ"),
        Insufficient => ("余额不足", "Insufficient balance"),
        OverCap => ("超过余额上限,最多可充", "Over the balance cap; at most"),
        LimitOverCap => (
            "限额不能超过余额上限",
            "The limit cannot pass the balance cap",
        ),
        CloseNeedsZero => (
            "余额为0才能注销,当前余额",
            "Close needs a zero balance; balance",
        ),
        NetworkError => ("网络错误,交易未完成", "Network error, nothing done"),
        IdleClosed => ("钱包已注销", "Wallet closed"),
        NoMenus => (
            "本手机不支持SIM卡菜单,无法使用手机钱包",
            "Phone Wallet needs a phone with SIM menus",
        ),
        NoBip => (
            "本手机不支持数据通道(BIP),无法联网办理",
            "This phone has no data channel (BIP) for the wallet: nothing done",
        ),
        Refused => ("交易被拒绝", "Refused"),
        NoHistory => ("无交易记录", "No transactions"),
    }
}

/// An amount in fen as the menu shows it: `50.00元` / `50.00 yuan`.
pub fn amount_text(l: Lang, fen: u32) -> String {
    match l {
        Lang::Zh => Fen(fen).zh(),
        Lang::En => Fen(fen).en(),
    }
}

/// A yuan amount typed on a phone keypad ([`Fen::parse_keypad`]: `*` is the decimal point,
/// `50*5` = 50.50), more than zero.
pub fn parse_yuan(s: &str) -> Result<u32, Msg> {
    match Fen::parse_keypad(s) {
        Ok(Fen(0)) => Err(Msg::ZeroAmount),
        Ok(Fen(v)) => Ok(v),
        Err(MoneyError::Letters) => Err(Msg::DigitsOnly),
        Err(_) => Err(Msg::BadAmount),
    }
}

/// A history list item: `11-22 +50.00` (GSM characters only, so ten fit in one command).
pub fn history_label(r: &Record) -> String {
    let sign = if r.tx_type == TYPE_LOAD { '+' } else { '-' };
    format!(
        "{:02X}-{:02X} {sign}{}",
        r.date[2],
        r.date[3],
        Fen(r.amount)
    )
}

/// One history record in full: date, time, type, amount, terminal. A purchase at the
/// operator's termID (`operator`) is one of the menu's bill payments: it says 缴费 / Bill and
/// names no terminal (the log record has no room for the phone number, docs/spec.md §7).
pub fn history_detail(l: Lang, r: &Record, operator: &[u8; 6]) -> String {
    let bill = r.tx_type == TYPE_PURCHASE && r.term_id == *operator;
    let kind = match (r.tx_type, l) {
        (TYPE_PURCHASE, _) if bill => l.s(Msg::Bill),
        (TYPE_LOAD, Lang::Zh) => "充值",
        (TYPE_LOAD, Lang::En) => "Top-up",
        (TYPE_PURCHASE, Lang::Zh) => "消费",
        (TYPE_PURCHASE, Lang::En) => "Purchase",
        (_, Lang::Zh) => "其他",
        (_, Lang::En) => "Other",
    };
    let sign = if r.tx_type == TYPE_LOAD { '+' } else { '-' };
    let term = hex::encode_upper(r.term_id);
    let when = stk_domain::clock::display(&r.date, &r.time);
    let amount = amount_text(l, r.amount);
    match (l, bill) {
        (_, true) => format!("{when}\n{kind} {sign}{amount}"),
        (Lang::Zh, false) => format!("{when}\n{kind} {sign}{amount}\n终端 {term}"),
        (Lang::En, false) => format!("{when}\n{kind} {sign}{amount}\nTerminal {term}"),
    }
}

#[cfg(test)]
mod tests {
    /// Every English text is in the GSM 03.38 basic set: one septet a character, no escape
    /// (`1B`) to the extension table, which decoders show differently (tshark prints `\x1b<`
    /// for `[`). Status words in texts are written in parentheses for this reason.
    #[test]
    fn english_texts_need_no_gsm_escape() {
        use super::*;
        let all = [
            Msg::Title,
            Msg::MyWallet,
            Msg::TopUp,
            Msg::Balance,
            Msg::History,
            Msg::PayBill,
            Msg::Settings,
            Msg::OpPassword,
            Msg::EnableDisable,
            Msg::ChangeOp,
            Msg::Limit,
            Msg::SetLimit,
            Msg::ChangePayPassword,
            Msg::CloseWallet,
            Msg::ConfirmClose,
            Msg::WalletClosedItem,
            Msg::EnterOpPassword,
            Msg::NewOpPassword,
            Msg::NewOpPasswordAgain,
            Msg::EnterPayPassword,
            Msg::NewPayPassword,
            Msg::NewPayPasswordAgain,
            Msg::TopUpAmount,
            Msg::BillAmount,
            Msg::NewLimit,
            Msg::PhoneNumber,
            Msg::BalanceIs,
            Msg::TopUpDone,
            Msg::BillDone,
            Msg::LimitSet,
            Msg::OpNowOn,
            Msg::OpNowOff,
            Msg::OpChanged,
            Msg::PayChanged,
            Msg::ClosedDone,
            Msg::WalletIsClosed,
            Msg::MenuLocked,
            Msg::PasswordLocked,
            Msg::NumberCancelled,
            Msg::DigitsOnly,
            Msg::BadOpPassword,
            Msg::BadPayPassword,
            Msg::BadPhone,
            Msg::BadAmount,
            Msg::ZeroAmount,
            Msg::BadChoice,
            Msg::Mismatch,
            Msg::Insufficient,
            Msg::OverCap,
            Msg::NotChinaMobile,
            Msg::Bill,
            Msg::LimitOverCap,
            Msg::CloseNeedsZero,
            Msg::NetworkError,
            Msg::NoBip,
            Msg::Refused,
            Msg::NoHistory,
            Msg::IdleClosed,
            Msg::NoMenus,
        ];
        let mut texts: Vec<String> = all.iter().map(|m| Lang::En.s(*m).to_string()).collect();
        texts.push(Lang::En.wrong_password(4));
        for t in &texts {
            let septets = crate::stk::text::encode_gsm_unpacked(t);
            assert_eq!(septets.len(), t.chars().count(), "`{t}` needs an escape");
            assert!(!septets.contains(&0x1B), "`{t}`");
        }
    }

    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_yuan("50"), Ok(5000));
        assert_eq!(parse_yuan("50.00"), Ok(5000));
        assert_eq!(parse_yuan("50*01"), Ok(5001));
        assert_eq!(parse_yuan("0*5"), Ok(50));
        assert_eq!(parse_yuan("abc"), Err(Msg::DigitsOnly));
        assert_eq!(parse_yuan(""), Err(Msg::BadAmount));
        assert_eq!(parse_yuan("1.234"), Err(Msg::BadAmount));
        assert_eq!(parse_yuan("1..2"), Err(Msg::BadAmount));
        assert_eq!(parse_yuan("#12"), Err(Msg::BadAmount));
        assert_eq!(parse_yuan("0"), Err(Msg::ZeroAmount));
        assert_eq!(parse_yuan("99999999"), Err(Msg::BadAmount));
        assert_eq!(parse_yuan("123456789"), Err(Msg::BadAmount));
    }
}
