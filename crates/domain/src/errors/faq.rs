//! The operator's handbook for people (docs/spec.md §7 customer questions, §8 field practice),
//! kept as data next to the catalogue so `explain` answers them: by name (`FAQ-LOST-PHONE`) or
//! by a phrase found in them ([`super::search`]).
//!
//! Names: `FAQ-…` for the questions customers ask the service desk (§7), `FIELD-…` for what the
//! POS field manuals tell a merchant or an engineer (§8). They are not failure codes: nothing
//! fails with them, and [`super::Code`] does not list them.

/// One handbook entry: its name, the question or topic, and the handbook's answer, each in
/// English and Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Faq {
    /// `"FAQ-LOST-PHONE"`.
    pub name: &'static str,
    /// The question or topic, English.
    pub en: &'static str,
    /// The question or topic, Chinese.
    pub zh: &'static str,
    /// The handbook's answer, English.
    pub answer_en: &'static str,
    /// The handbook's answer, Chinese.
    pub answer_zh: &'static str,
}

const fn f(
    name: &'static str,
    en: &'static str,
    zh: &'static str,
    answer_en: &'static str,
    answer_zh: &'static str,
) -> Faq {
    Faq {
        name,
        en,
        zh,
        answer_en,
        answer_zh,
    }
}

/// Every handbook entry, customer questions (§7) first, then field practice (§8).
pub static FAQ: &[Faq] = &[
    // ---- §7: customer questions ----
    f(
        "FAQ-BALANCE-DIFFERS",
        "why does the website show another balance than the card?",
        "为什么网上营业厅显示的余额和卡上的不一样？",
        "purchases are offline: the card pays at the POS without the network, and the back office \
         learns of a purchase only when the merchant's terminal settles it, so the website's \
         balance lags (its history ends at the previous trading day); the card's own balance is \
         the exact one: ask a POS or the menu (我的钱包 > 钱包余额查询)",
        "刷卡消费是脱机交易，后台要等商户终端结算后才知道，所以网站上的余额会滞后（网站明细只到上一个交易日）；\
         卡上的余额才是准确的：请在POS机上或手机菜单（我的钱包 > 钱包余额查询）查询",
    ),
    f(
        "FAQ-LOST-PHONE",
        "I lost my phone: can the wallet be blocked or recovered?",
        "手机丢了，钱包能挂失或找回吗？",
        "no: the wallet is not reported lost and cannot be recovered (不挂失, 不找回); its money \
         lives on the SIM card and is gone with it",
        "不能：手机钱包不挂失、不找回，钱包里的钱存在SIM卡上，随卡丢失",
    ),
    f(
        "FAQ-CANCELLED-NUMBER",
        "my phone number was cancelled: what happens to the wallet?",
        "手机号码销号了，钱包怎么办？",
        "no more top-ups; what is left can still be spent offline at POS terminals until the \
         balance is 0",
        "不能再充值；余额仍可在POS机上脱机消费，直到用完为止",
    ),
    f(
        "FAQ-PASSWORD-LOCKED",
        "my payment password is locked (or the operation password forgotten)",
        "支付密码被锁（或忘记操作密码）怎么办？",
        "five wrong payment passwords in a row lock it; the lock lifts by itself 24 hours later, \
         and customer service can reset it the same day (the new password works at once); a \
         forgotten operation password is reset by customer service after checking the holder's \
         name and ID number, by phone from the holder's own number",
        "连续输错5次支付密码会被锁定，24小时后自动解锁，也可当天联系客服重置（新密码立即生效）；\
         忘记操作密码，由客服核对机主姓名和身份证号后重置（须用本机号码致电）",
    ),
    f(
        "FAQ-CLOSE-WALLET",
        "how do I close the wallet?",
        "怎样注销手机钱包？",
        "in the menu when the balance is 0 (业务管理 > 注销钱包), or at a shop with ID card and \
         phone; with money left, spend it to 0 first or move it to the remote payment account",
        "余额为0时在菜单中注销（业务管理 > 注销钱包），或带身份证和手机到营业厅办理；\
         有余额时，先消费完或转入远程支付账户",
    ),
    f(
        "FAQ-TOP-UP",
        "how can I top up the wallet?",
        "手机钱包怎样充值？",
        "over the air from the menu (我的钱包 > 钱包充值: amount, then the payment password); cash \
         at a shop (营业厅); online banking through the operator's website; the wallet must be \
         topped up before the first purchase",
        "在手机菜单空中充值（我的钱包 > 钱包充值：输入金额和支付密码）；到营业厅现金充值；\
         通过运营商网站网银充值；首次消费前须先充值",
    ),
    f(
        "FAQ-NO-WITHDRAWAL",
        "can I take the wallet's money out as cash?",
        "钱包里的钱能取现吗？",
        "no: wallet money cannot be withdrawn as cash; when the wallet is closed its balance can \
         be moved to the remote payment account",
        "不能取现；注销钱包时，余额可转入远程支付账户",
    ),
    f(
        "FAQ-BILL-PAYMENT",
        "whose phone bill can I pay from the wallet?",
        "手机钱包能给哪些号码缴费？",
        "China Mobile numbers only (a suspended number can still be paid for): the menu refuses \
         another operator's number and asks again; the single-payment limit does not apply to \
         bills (it is the limit of one contactless purchase), only the balance does",
        "只能为中国移动号码缴费（停机号码也可缴费）：其他运营商的号码菜单会提示并请重新输入；\
         单次消费限额只限制刷卡消费，缴费只受余额限制",
    ),
    f(
        "FAQ-SINGLE-PAYMENT-LIMIT",
        "what is the single-payment limit?",
        "单次消费限额是什么？",
        "the most one contactless purchase may take, set by the holder in the menu (业务管理 > \
         单次消费限额, with the payment password); a POS purchase above it fails (6985) and \
         nothing changes on the card",
        "机主在菜单中设置（业务管理 > 单次消费限额，需支付密码）的单笔刷卡消费上限；\
         超过限额的POS消费会失败（6985），卡上不作任何改变",
    ),
    // ---- §8: field practice for terminals ----
    f(
        "FIELD-DIGEST-ERROR",
        "digest error at the POS",
        "摘要错误",
        "the MAC or signature does not verify: outdated terminal software or keys, a different \
         algorithm or key version, data keyed wrongly (the amount); confirm the error with the \
         transaction record, tell the customer, redo it or offer another means of payment \
         (cash), update the keys or certificate, record and report it (see P-DIGEST, 9302)",
        "MAC或签名校验失败：终端软件或密钥过旧、算法或密钥版本不同、数据（金额）输错；\
         核对交易记录确认错误，告知顾客，重新交易或改用其他支付方式（现金），更新密钥或证书，记录并上报（见P-DIGEST、9302）",
    ),
    f(
        "FIELD-REVERSAL",
        "reversal of a charge",
        "冲正",
        "a reversal undoes a charge when the charge or the keyed amount was wrong or a step \
         failed; when a reversal fails: check the transaction data (card number, amount, time, \
         merchant id), read the terminal's log and error code, retry the reversal (`pos \
         resume`), contact the bank's support; as a last resort adjust the account by hand with \
         the bank (`pos reversals --resolve`); keep a record of every reversal (`pos \
         reversals`) and watch for failures (see H-REVERSAL-PENDING, H-REVERSAL-MANUAL)",
        "扣款或输入金额有误、或某一步失败时，用冲正撤销扣款；冲正失败时：核对交易数据（卡号、金额、时间、商户号），\
         查看终端日志和错误码，重试冲正（pos resume），联系银行客服；最后可与银行手工调账（pos reversals --resolve）；\
         每笔冲正都要留记录备查（pos reversals），并监控失败、及早预警（见H-REVERSAL-PENDING、H-REVERSAL-MANUAL）",
    ),
    f(
        "FIELD-KEY-NOT-FOUND",
        "key not found, or the key id cannot be read",
        "密钥不存在，或读不到密钥索引",
        "retry; if it persists, open a ticket to reset the terminal's key, quoting the device \
         number; a key id that cannot be read or a decryption that fails is a key problem too: \
         retry, then have the key reset (see 9403)",
        "重试；仍不行则报修，提供设备编号，申请重置终端密钥；读不到密钥索引或解密失败也是密钥问题：先重试，再重置密钥（见9403）",
    ),
    f(
        "FIELD-NO-BACK-OFFICE",
        "the terminal cannot reach the back office",
        "终端连不上后台",
        "retry, check the network, then go offline and online again (sign in again) (see \
         H-UNREACHABLE, H-TIMEOUT)",
        "重试，检查网络，再签退后重新签到（见H-UNREACHABLE、H-TIMEOUT）",
    ),
    f(
        "FIELD-AUTHORISED-NOTHING-HAPPENS",
        "after \"authorised\" nothing happens",
        "显示“已授权”后没有反应",
        "look the transaction up by its serial number first (`pos lookup`): if it exists, \
         reprint the slip (补打单据, `pos reprint`), otherwise redo the transaction",
        "先按流水号查询交易（pos lookup）：已存在则补打单据（pos reprint），否则重新交易",
    ),
];

impl Faq {
    /// Multi-line: `"FAQ-LOST-PHONE  I lost my phone… / 手机丢了…\n  answer: …\n  答复: …"`.
    pub fn render(&self) -> String {
        format!(
            "{}  {} / {}\n  answer: {}\n  答复: {}",
            self.name, self.en, self.zh, self.answer_en, self.answer_zh
        )
    }

    /// `"FAQ-LOST-PHONE I lost my phone… / 手机丢了…"`.
    pub fn one_line(&self) -> String {
        format!("{} {} / {}", self.name, self.en, self.zh)
    }

    /// The texts a phrase is looked for in.
    pub(super) fn texts(&self) -> [&'static str; 5] {
        [self.name, self.en, self.zh, self.answer_en, self.answer_zh]
    }
}

/// The handbook entry named `name` (case-insensitive, surrounding spaces ignored).
pub fn find(name: &str) -> Option<&'static Faq> {
    let t = name.trim();
    FAQ.iter().find(|f| f.name.eq_ignore_ascii_case(t))
}
