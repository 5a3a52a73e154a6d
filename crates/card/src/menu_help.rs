//! The menu's help texts in Chinese and English, kept beside the menu's words
//! ([`super::menu_text`]): one per menu entry and one per input or list screen of a flow
//! (docs/toolkit.md, "Help").
//!
//! The handset is told help is available (qualifier b8 of SET UP MENU, SELECT ITEM and GET
//! INPUT) on every screen that has a text here; asking for it shows the text in a DISPLAY TEXT
//! in the session's language (Chinese when the card's language is Chinese and the handset
//! displays UCS2, else English, as for the menu itself).

use super::menu_text::{Lang, Msg};

/// Every help text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Help {
    MyWallet,
    History,
    PayBill,
    Settings,
    WalletClosed,
    TopUp,
    Balance,
    OpPassword,
    Limit,
    ChangePayPassword,
    CloseWallet,
    EnableDisable,
    ChangeOp,
    /// GET INPUT: the current operation password.
    EnterOpPassword,
    /// GET INPUT: the payment password.
    EnterPayPassword,
    NewOpPassword,
    NewPayPassword,
    /// GET INPUT: the new password again.
    Again,
    TopUpAmount,
    BillAmount,
    NewLimit,
    PhoneNumber,
    /// SELECT ITEM: the list of transactions.
    HistoryList,
    /// SELECT ITEM: the limit shown, with Set New Limit.
    SetLimit,
    /// SELECT ITEM: the confirmation of Close Wallet.
    ConfirmClose,
}

/// The help of each menu entry, by the entry's label (every row of the menu table has one:
/// a test checks it).
pub const ENTRY_HELP: &[(Msg, Help)] = &[
    (Msg::MyWallet, Help::MyWallet),
    (Msg::History, Help::History),
    (Msg::PayBill, Help::PayBill),
    (Msg::Settings, Help::Settings),
    (Msg::WalletClosedItem, Help::WalletClosed),
    (Msg::TopUp, Help::TopUp),
    (Msg::Balance, Help::Balance),
    (Msg::OpPassword, Help::OpPassword),
    (Msg::Limit, Help::Limit),
    (Msg::ChangePayPassword, Help::ChangePayPassword),
    (Msg::CloseWallet, Help::CloseWallet),
    (Msg::EnableDisable, Help::EnableDisable),
    (Msg::ChangeOp, Help::ChangeOp),
];

/// The help of the menu entry labelled `label`, if it has one.
pub fn entry_help(label: Msg) -> Option<Help> {
    ENTRY_HELP
        .iter()
        .find(|(l, _)| *l == label)
        .map(|&(_, h)| h)
}

impl Lang {
    /// The help text `h` in this language.
    pub fn help(self, h: Help) -> &'static str {
        let (zh, en) = words(h);
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn words(h: Help) -> (&'static str, &'static str) {
    use Help::*;
    match h {
        MyWallet => ("充值和查询余额", "Top up and see the balance"),
        History => ("查看最近10笔交易", "See the last 10 transactions"),
        PayBill => ("用钱包余额缴纳手机话费", "Pay a phone bill from the wallet"),
        Settings => (
            "密码、限额和注销钱包",
            "Passwords, the payment limit, closing the wallet",
        ),
        WalletClosed => (
            "钱包已注销,请联系发卡方",
            "The wallet is closed: contact the issuer",
        ),
        TopUp => (
            "经网络从发卡方充值,需支付密码",
            "Load money from the issuer over the network; needs the payment password",
        ),
        Balance => ("显示钱包余额", "Shows the wallet's balance"),
        OpPassword => ("进入菜单前要求的密码", "The password asked before the menu"),
        Limit => (
            "查看或修改单次消费限额",
            "See or change the most one payment may be",
        ),
        ChangePayPassword => ("修改6位支付密码", "Change the 6-digit payment password"),
        CloseWallet => (
            "余额为0时注销钱包,不可恢复",
            "Close the wallet for good; the balance must be 0",
        ),
        EnableDisable => (
            "开启或关闭操作密码",
            "Turn the operation password on or off",
        ),
        ChangeOp => ("修改操作密码", "Change the operation password"),
        EnterOpPassword => (
            "输入操作密码(4-12位数字)",
            "Type the operation password (4-12 digits)",
        ),
        EnterPayPassword => (
            "输入6位支付密码,多次错误将锁定",
            "Type the 6-digit payment password; wrong tries lock it",
        ),
        NewOpPassword => ("新操作密码为4-12位数字", "Choose 4-12 digits"),
        NewPayPassword => ("新支付密码为6位数字", "Choose 6 digits"),
        Again => (
            "再次输入新密码以确认",
            "Type the new password again to confirm",
        ),
        TopUpAmount => (
            "充值金额(元),*为小数点,如50*00",
            "Amount in yuan, * is the point: 50*00",
        ),
        BillAmount => (
            "缴费金额(元),*为小数点,如50*00",
            "Bill amount in yuan, * is the point: 50*00",
        ),
        NewLimit => (
            "新限额(元),不超过余额上限",
            "New limit in yuan, at most the balance cap",
        ),
        PhoneNumber => (
            "11位手机号码,以1开头",
            "The 11-digit phone number, starting with 1",
        ),
        HistoryList => ("选择一笔交易查看详情", "Choose a transaction to see it all"),
        SetLimit => (
            "选择设置新限额,需支付密码",
            "Choose to set a new limit; needs the payment password",
        ),
        ConfirmClose => (
            "确认后钱包注销,不可恢复",
            "Confirm to close the wallet for good",
        ),
    }
}
