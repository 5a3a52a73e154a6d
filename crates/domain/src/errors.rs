//! The error catalogue (docs/spec.md §6).
//!
//! Every status word the wallet card returns and every failure the terminal side reports has a
//! stable code, a one-line meaning in English and Chinese, the likely cause and what to do, in
//! the style of a field troubleshooting manual.
//!
//! Codes come in three shapes:
//! - a concrete status word, `9302`;
//! - a status-word pattern whose `x` digits vary, `63Cx` (tries left), `6Cxx` (the right Le),
//!   `91xx` (length of the pending proactive command);
//! - a terminal-side code with a prefix: `P-` POS/PSAM/reader, `H-` issuer, acquirer and
//!   clearing hosts, `V-` conformance vectors, `I-` card images and profiles. These are the
//!   [`Code`] enum; each variant's entry comes from an exhaustive match ([`Code::entry`]), so a
//!   code cannot exist without its entry. A failure is explained by a [`Reason`]: a status word
//!   or a [`Code`].
//!
//! [`lookup`] finds catalogue entries by code; [`for_sw`] explains any status word at all,
//! falling back to a generic entry for its ISO 7816-4 SW1 group; [`render_for`] fills in the
//! concrete value of a pattern (e.g. "2 tries left").

use crate::sw::Sw;

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `"9302"`, `"63Cx"`, `"6Cxx"`, `"91xx"`, or a terminal-side code like `"P-DIGEST"`.
    pub code: &'static str,
    /// One-line meaning, English.
    pub en: &'static str,
    /// One-line meaning, Chinese.
    pub zh: &'static str,
    /// Likely cause.
    pub cause: &'static str,
    /// What to do.
    pub remedy: &'static str,
}

const fn e(
    code: &'static str,
    en: &'static str,
    zh: &'static str,
    cause: &'static str,
    remedy: &'static str,
) -> Entry {
    Entry {
        code,
        en,
        zh,
        cause,
        remedy,
    }
}

/// The status words, keyed by the status word or its pattern (`63Cx`); the terminal-side codes
/// entries are reached through [`Code::entry`].
static CATALOGUE: &[Entry] = &[
    // ---- status words: success and toolkit ----
    e(
        "9000",
        "success",
        "成功",
        "the command completed normally",
        "none; continue with the next step of the flow",
    ),
    e(
        "91xx",
        "success, proactive command pending",
        "成功，有主动式命令待取",
        "the SIM completed the command and queued a proactive command of xx bytes, e.g. SET UP \
         MENU after TERMINAL PROFILE or after the menu changed, or the next screen of a menu dialogue",
        "handset: FETCH it (80 12 00 00 xx) and answer with TERMINAL RESPONSE; a POS on the \
         contactless side treats 91xx exactly like 9000",
    ),
    e(
        "9300",
        "SIM Toolkit busy",
        "SIM卡应用工具箱忙（主动式会话未结束）",
        "an ENVELOPE (e.g. MENU SELECTION) arrived while a proactive session is still open: the \
         pending command was not fetched, or its TERMINAL RESPONSE was never sent",
        "FETCH the pending command and close it with a TERMINAL RESPONSE (result 10 ends the \
         session), then resend the ENVELOPE; a handset stuck in this state: power-cycle the phone \
         (a reset drops the session without changing the wallet)",
    ),
    // ---- status words: ISO 7816-4 errors ----
    e(
        "6700",
        "wrong length (Lc or Le)",
        "长度错误（Lc或Le不正确）",
        "Lc does not match the command's fixed data length (VERIFY 03, INITIALIZE 0B, CREDIT FOR \
         LOAD 0B, DEBIT FOR PURCHASE 0F, GET TRANSACTION PROOF 02), or Le is missing; middleware \
         that adds or strips a byte (extended vs short APDU, an Le appended to a case-3 command)",
        "compare the APDU byte by byte with the command table (docs/spec.md §3); capture the \
         trace at the reader to see what actually went to the card",
    ),
    e(
        "6Cxx",
        "wrong Le, xx = the right length",
        "Le错误，xx为正确的长度",
        "Le differs from the number of bytes the card has for this command, e.g. READ BINARY of \
         0015 with Le other than 1E, READ RECORD of the log with Le other than 17, GET BALANCE with \
         Le other than 04",
        "resend the same command with Le = SW2 (SW2 = 00 means 256); T=0 readers usually do this \
         on their own, so seeing it in an application log points at the reader layer",
    ),
    e(
        "6982",
        "security status not satisfied: payment password not verified",
        "安全状态不满足：本次会话未校验支付密码",
        "INITIALIZE FOR LOAD (or another password-protected command) sent without a successful \
         VERIFY in this session; the verification is lost by reselecting the application, a card \
         reset, the phone leaving the field, or switching interface",
        "VERIFY the payment password (00 20 00 00 03) right before the command, with the wallet \
         application selected and no reset or reselection in between",
    ),
    e(
        "6983",
        "password or key locked",
        "密码或密钥已锁定",
        "the payment password's retry counter is exhausted (too many wrong VERIFY or CHANGE PIN \
         attempts, default limit 5), or a key reached its MAC failure limit after repeated 9302",
        "the holder cannot unlock it at a terminal: send them to the issuer's service counter; a \
         locked payment password is reset with the issuer's RELOAD PIN, a locked key needs the \
         issuer to re-personalise or replace the card; do not keep retrying",
    ),
    e(
        "6985",
        "conditions of use not satisfied",
        "使用条件不满足",
        "one of: (1) INITIALIZE FOR PURCHASE amount above the holder's single-payment limit; \
         (2) INITIALIZE FOR LOAD would take the balance above the balance cap (default 1000.00 \
         CNY); (3) DEBIT or CREDIT with no open session: it must be the very next command after \
         its INITIALIZE, and any other command, a reselection or a field loss drops the session; \
         (4) wrong flow order, e.g. DEBIT FOR PURCHASE after INITIALIZE FOR LOAD or CREDIT FOR \
         LOAD after INITIALIZE FOR PURCHASE",
        "purchase refused at INITIALIZE: read the limit with GET DATA 9F78 (80 CA 9F 78 00) and \
         ask the holder to pay less or raise the limit in 业务管理 > 单次消费限额; load refused: \
         read the balance and load at most cap - balance; DEBIT/CREDIT refused: send it \
         immediately after the matching INITIALIZE, and after a lost answer restart from \
         INITIALIZE (after checking GET TRANSACTION PROOF) rather than repeating DEBIT/CREDIT",
    ),
    e(
        "6A80",
        "incorrect parameters in the data field",
        "数据域参数错误",
        "the data field is malformed for this command: password not 6 BCD digits, CHANGE PIN \
         without the FF separator, zero amount, a BCD date or time that is not a valid date",
        "check the data field against docs/spec.md §3 field by field (BCD digits, lengths, \
         separators, amounts in fen)",
    ),
    e(
        "6A81",
        "wallet closed (function not supported)",
        "钱包已注销，功能不可用",
        "the holder closed the wallet (业务管理 > 注销钱包); a closed purse refuses every payment \
         and load",
        "nothing can be done at the terminal: take another means of payment; the holder asks the \
         issuer if they want a wallet again",
    ),
    e(
        "6A82",
        "application not found",
        "该卡不支持手机钱包",
        "SELECT found no application with that DF name: not a wallet SIM, the wallet was never \
         personalised, or the terminal uses a different AID from the card's (default A0 00 00 00 \
         03 86 98 07 01; some cards use the RFID-SIM name D1 56 00 01 01 80 ...); on READ with an \
         SFI, that file does not exist",
        "check the AID list configured in the terminal against the card (SELECT 1PAY.SYS.DDF01 and \
         read its directory); if the card really has no wallet the holder needs a wallet-capable \
         SIM from the operator",
    ),
    e(
        "6A83",
        "record not found",
        "记录不存在",
        "READ RECORD past the last written record of the transaction log (fewer than ten \
         transactions so far), or a record number outside 1-10",
        "normal end of the history: stop reading; ask only for records 1-10",
    ),
    e(
        "6A86",
        "incorrect parameters P1-P2",
        "参数P1/P2错误",
        "P1 or P2 not valid for the instruction: INITIALIZE with P2 other than 02 (electronic \
         purse) or P1 other than 00 (load) / 01 (purchase), GET TRANSACTION PROOF with a type other \
         than 02/06/09, READ RECORD with a wrong reference byte",
        "check P1/P2 against the command table (docs/spec.md §3)",
    ),
    e(
        "6A88",
        "referenced data not found",
        "引用的数据未找到",
        "GET DATA for a tag the card does not hold (the wallet defines only 9F78, the \
         single-payment limit), or a card issued before the limit existed",
        "ask for tag 9F78 only; if the card has no limit data, show the generic refusal instead of \
         the limit",
    ),
    e(
        "6B00",
        "wrong parameters: offset outside the file",
        "参数错误：偏移量超出文件范围",
        "READ BINARY with an offset (P1-P2) at or beyond the end of the file, or an SFI the card \
         does not address this way",
        "read from offset 0: 0015 is 30 bytes, 0016 is 55 bytes",
    ),
    e(
        "6D00",
        "instruction not supported",
        "指令不支持",
        "the card or the currently selected application does not know this INS: a purse command \
         sent before selecting the wallet (or to the payment system environment), a toolkit \
         command over the contactless interface, or a card that is not a PBOC purse",
        "SELECT the wallet ADF first; check the INS byte and that the terminal talks to the \
         interface that carries the command",
    ),
    e(
        "6E00",
        "class not supported",
        "CLA不支持",
        "wrong CLA byte: purse commands use 80 (SELECT, VERIFY and the READs use 00), toolkit \
         commands use 80 (UICC) or A0 (GSM); secure-messaging or logical-channel bits set where \
         the card does not support them",
        "fix the CLA byte in the terminal's command table",
    ),
    e(
        "6F00",
        "no precise diagnosis (card internal error)",
        "无精确诊断（卡片内部错误）",
        "an internal card fault; the simulated card never answers this on purpose, so it points \
         at a bug or a damaged card image",
        "keep the APDU trace and the card image and report them; retry once after a reset; if it \
         persists, replace the card",
    ),
    // ---- status words: PBOC purse ----
    e(
        "9302",
        "MAC invalid",
        "摘要错误",
        "the MAC the card checked (purchase MAC1 from the PSAM, load MAC2 from the host, or an \
         issuer command MAC) does not verify under the card's key: PSAM or host master key set \
         differs from the one that personalised the card (test vs production keys), the keyIdx \
         sent in INITIALIZE does not match the keyVer the card returned, a wrong diversification \
         factor (must be the last 8 bytes of the serial), or date/time/termID/amount/TTC in the MAC \
         differ from those sent to the card",
        "check keyIdx against the card's keyVer, the PSAM's key set and version, the termID read \
         from the PSAM (00 B0 96 00 06) and the serial used as factor; the card committed nothing, \
         so retry once fixed; repeated failures may lock the key (6983) if the card counts them",
    ),
    e(
        "9401",
        "insufficient balance",
        "余额不足",
        "purchase amount greater than the balance; the purse has no overdraft (limit 000000)",
        "top up, or pay less; GET BALANCE shows what the card holds",
    ),
    e(
        "9402",
        "transaction counter at maximum (FFFF)",
        "交易计数器已达上限（FFFF）",
        "the card's online (load) or offline (purchase) counter reached FFFF: it has done 65535 \
         transactions of that kind and cannot sign another",
        "the card is at end of life for that kind of transaction: the holder gets a replacement \
         SIM from the issuer, who moves the balance once the records are settled",
    ),
    e(
        "9403",
        "key not found",
        "密钥不存在（密钥索引不支持）",
        "the keyIdx in INITIALIZE names a key the card does not have: the terminal or PSAM is \
         configured for another key index than the issuer personalised",
        "use the key index the issuer personalised (see the terminal's key configuration and the \
         issuer's card profile)",
    ),
    e(
        "9406",
        "no transaction proof (MAC/TAC not available)",
        "无交易证明（所需MAC/TAC不可用）",
        "GET TRANSACTION PROOF for a transaction the card did not commit: the counter is not the \
         card's counter after it, or P2 is not the type of the last committed transaction",
        "the debit or load did not happen: safe to start a new transaction (no double charge); \
         check that the terminal sent its saved counter + 1 and the right type (02 load, 06 \
         purchase, 09 composite)",
    ),
    e(
        "63Cx",
        "wrong password, x tries left",
        "密码错误，还剩x次机会",
        "VERIFY (or CHANGE PIN) with the wrong payment password; x is the number of tries left \
         (default limit 5); at 0 the password is locked and further attempts get 6983",
        "ask the holder to enter the 6-digit payment password again carefully, and warn them when \
         one try is left; once locked only the issuer can reset it",
    ),
];

macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// A catalogue code for a failure outside the card: `P-` POS, PSAM and reader, `H-`
        /// issuer, acquirer and clearing hosts, `V-` conformance vectors, `I-` card images and
        /// profiles. Status words are [`Sw`]; [`Reason`] is either.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $v,)*
        }

        impl Code {
            /// Every code, in catalogue order (generated from the same list as the enum, so it
            /// cannot miss one).
            pub const ALL: &'static [Code] = &[$(Code::$v,)*];

            /// The code as printed and as written in vectors: `"P-DIGEST"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$v => $s,)*
                }
            }
        }
    };
}

codes! {
    /// The PSAM rejected the card's MAC2 after the card debited.
    PDigest = "P-DIGEST",
    /// The card's answer was lost.
    PNoResponse = "P-NO-RESPONSE",
    /// A sale whose DEBIT answer was lost was completed from GET TRANSACTION PROOF.
    PTornRecovered = "P-TORN-RECOVERED",
    /// The PSAM answered an error.
    PPsam = "P-PSAM",
    /// The reader or the link to it failed, or the card answered something malformed.
    PReader = "P-READER",
    /// Another process holds the terminal's home.
    PTerminalBusy = "P-TERMINAL-BUSY",
    /// The terminal's home cannot be used (missing, damaged, another termID, a moved option).
    PTerminal = "P-TERMINAL",
    /// The issuer host rejected the card's load MAC1 (or has no key for its index).
    HMac1 = "H-MAC1",
    /// The issuer or acquirer host cannot be reached.
    HUnreachable = "H-UNREACHABLE",
    /// A reversal could not be delivered and is queued.
    HReversalPending = "H-REVERSAL-PENDING",
    /// The clearing host found the record's TAC invalid.
    HTac = "H-TAC",
    /// The clearing host already holds this record.
    HDuplicate = "H-DUPLICATE",
    /// The acquirer declined the charge.
    HDeclined = "H-DECLINED",
    /// The acquirer already holds a charge with this id for another card or amount.
    HConflict = "H-CONFLICT",
    /// An over-the-air request or answer could not be decoded.
    HOta = "H-OTA",
    /// A vector step's response data differs.
    VMismatch = "V-MISMATCH",
    /// A vector step's status word differs.
    VSw = "V-SW",
    /// A vector file is malformed.
    VFormat = "V-FORMAT",
    /// A vector file exceeds one of the runner's limits (file size, hex string length, repeat
    /// count or nesting, expanded steps, transcript size, run time).
    VLimit = "V-LIMIT",
    /// A card image cannot be loaded or saved.
    IImage = "I-IMAGE",
    /// Another process holds the card image.
    IBusy = "I-BUSY",
    /// A card image, a database or another file could not be written to storage.
    IStorage = "I-STORAGE",
    /// A personalisation profile is invalid.
    IProfile = "I-PROFILE",
    /// A `--fault` that is malformed, out of reach or for a layer the command does not reach.
    IFault = "I-FAULT",
}

impl Code {
    /// The catalogue entry of this code (every code has one: the match is exhaustive).
    pub fn entry(self) -> Entry {
        match self {
            // ---- POS, PSAM and reader ----
            Code::PDigest => e(
                self.as_str(),
                "card's MAC2 rejected by the PSAM",
                "PSAM校验卡片MAC2失败（摘要错误）",
                "DEBIT FOR PURCHASE succeeded but the PSAM's CREDIT SAM FOR PURCHASE answered 9302: the \
         PSAM and the card disagree on the purchase key, the amount differs, or the card is not \
         genuine; the card has already debited",
                "no receipt; the record is kept, flagged, and goes to settlement where the clearing host \
         decides on its TAC; do not debit again; many cards failing: check the PSAM's key set; \
         one card: note its serial and refer the holder to the issuer",
            ),
            Code::PNoResponse => e(
                self.as_str(),
                "card answer lost (card removed)",
                "卡片无应答（卡片已移开）",
                "the phone left the field during the exchange, RF interference, the phone's battery died \
         (SIM unpowered), or the reader timed out",
                "ask the holder to tap the same card again: the POS reads balance and counter and \
         resolves the sale with GET TRANSACTION PROOF; never re-key the sale by hand, and do not \
         cancel it until it is resolved",
            ),
            Code::PTornRecovered => e(
                self.as_str(),
                "interrupted transaction recovered",
                "中断的交易已恢复",
                "the answer to DEBIT was lost but the card had committed; on the next tap the POS fetched \
         MAC2 and TAC with GET TRANSACTION PROOF and completed the sale",
                "informational: the receipt is printed from the recovered proof; do not charge again",
            ),
            Code::PPsam => e(
                self.as_str(),
                "PSAM refused",
                "PSAM拒绝处理",
                "the PSAM answered an error: missing or badly seated, not the PSAM for this issuer, key \
         not present in the PSAM, PSAM locked, terminal transaction counter exhausted, or its \
         termID could not be read",
                "check the PSAM is seated in the right slot and reset the reader; read the PSAM's status \
         word in the log and look it up; a locked or exhausted PSAM is replaced through the \
         acquirer",
            ),
            Code::PReader => e(
                self.as_str(),
                "card reader error (PC/SC)",
                "读卡器错误（PC/SC）",
                "the PC/SC service is not running, the reader was unplugged, no card in the field or the \
         wrong reader chosen, another program holds the reader (sharing violation), or a \
         protocol mismatch (T=0 vs T=1)",
                "check the PC/SC service (pcscd, SCardSvr) is running, reconnect the reader, close other \
         programs using it, list readers and pick the right one",
            ),
            Code::PTerminalBusy => e(
                self.as_str(),
                "terminal in use by another process",
                "终端正被另一进程使用",
                "another POS process (a sale, top-up, resume or settlement) holds the terminal's home: \
         one terminal serves one flow at a time, so its transaction counter and journal stay \
         consistent",
                "wait for the other flow to finish and try again; if no other process is running, \
         check nothing else has the home's lock file open",
            ),
            Code::PTerminal => e(
                self.as_str(),
                "terminal home unusable",
                "终端数据目录无法使用",
                "the terminal's home folder cannot be created, read or locked, its database is damaged, \
         it does not exist yet (settlement of a terminal that never worked), a terminal number \
         was given that differs from the one it was created with, or an option that moved into \
         the home (--journal) was given",
                "check the folder named in the message and its permissions; name the right home with \
         --terminal; restore a damaged terminal.db from a backup, and settle it before retiring \
         the terminal",
            ),
            // ---- hosts ----
            Code::HMac1 => e(
                self.as_str(),
                "issuer host rejected the card's load MAC1",
                "发卡方主机校验圈存MAC1失败",
                "the host's load master key or diversification differs from the card's, the key index \
         does not match the card's keyVer, the amount or termID sent to the host differ from \
         those in INITIALIZE FOR LOAD, or the card's answer was altered",
                "no CREDIT is sent and the card is unchanged; the bank charge is reversed automatically; \
         check the load key index and the host's key set; persistent for one card: refer the \
         holder to the issuer",
            ),
            Code::HUnreachable => e(
                self.as_str(),
                "issuer or acquirer host unreachable",
                "发卡方或收单方主机无法连接",
                "network down, host down or overloaded, time-out, wrong address or port, or a TLS or \
         certificate problem",
                "offline purchases still work; top-up is unavailable until the link is back; check the \
         network and host address; if a charge's outcome is unknown the POS queues a reversal",
            ),
            Code::HReversalPending => e(
                self.as_str(),
                "reversal queued for retry",
                "冲正已排队等待重发",
                "a load could not be completed (confirmed with GET TRANSACTION PROOF) and the reversal of \
         the bank charge could not be delivered to the acquirer",
                "nothing for the cashier: the POS retries until the acquirer acknowledges; do not refund \
         in cash as well; if the queue keeps growing, check the host link",
            ),
            Code::HTac => e(
                self.as_str(),
                "clearing host: TAC invalid, record rejected",
                "清算主机：TAC校验失败，疑似伪造记录",
                "the TAC recomputed under the card's key differs from the record's: the record was \
         altered after the card signed it, the POS stored a wrong amount/TTC/date/time/termID, \
         the wrong key set for this serial (test vs production), or a forged record",
                "the record is not paid to the merchant; compare it with the POS's own log; many records \
         from one POS: check that POS's software; report suspected forgeries to risk control",
            ),
            Code::HDuplicate => e(
                self.as_str(),
                "clearing host: duplicate record (same serial and counter)",
                "清算主机：重复记录（卡号与交易计数器相同）",
                "a record claims a card counter or a terminal's TTC that another, different record \
         already holds: a sale replayed under another counter, or a recovered sale stored with other \
         contents (a record sent again unchanged is not a duplicate: it is reported as settled by an \
         earlier upload)",
                "the duplicate is dropped and the first kept; investigate if the two differ in amount",
            ),
            Code::HDeclined => e(
                self.as_str(),
                "acquirer declined the bank-card charge",
                "收单方拒绝银行卡扣款",
                "the acquirer refused the top-up's charge, e.g. because a reversal for the same \
         transaction id had already reached it (the POS had given up on that top-up)",
                "nothing was charged and the wallet was not loaded; start a new top-up",
            ),
            Code::HConflict => e(
                self.as_str(),
                "acquirer refused a charge: its transaction id is already used by another charge",
                "收单方拒绝扣款：交易号已被另一笔扣款使用",
                "the bank already holds a charge with this top-up's id for another bank card or \
         amount: a terminal handing out an id twice (its journal restored from an old copy, or \
         a second terminal set up with the same termID), or a corrupted request",
                "nothing was charged by this request and the wallet was not loaded; the earlier \
         charge is untouched (do not reverse it); check that no two terminals share a termID \
         and that the terminal's home was not restored from a copy, then start a new top-up",
            ),
            Code::HOta => e(
                self.as_str(),
                "over-the-air message not understood",
                "空中充值报文无法解析",
                "the issuer's answer to the SIM's over-the-air request (or the request itself) had the \
         wrong length, type or status byte: a gateway or issuer software mismatch, or data \
         damaged on the way",
                "nothing was loaded or debited; try again; if it persists, check the OTA gateway and \
         the issuer's message format",
            ),
            // ---- conformance vectors ----
            Code::VMismatch => e(
                self.as_str(),
                "vector step: response data differs",
                "测试向量步骤：响应数据不符",
                "the implementation returned other response bytes than the vector expects: a crypto \
         difference (key, session key derivation, padding), state drift from an earlier step \
         (balance, counter), or a wrong vector",
                "diff expected and actual byte by byte; rerun from the first failing step; check the \
         crypto against the published examples in docs/spec.md §4",
            ),
            Code::VSw => e(
                self.as_str(),
                "vector step: status word differs",
                "测试向量步骤：状态字不符",
                "the card answered another status word than the vector expects: a check in a different \
         order, or a missing preceding step (VERIFY, INITIALIZE, SELECT)",
                "explain both status words to see which check fired; check the earlier steps set up the \
         state the step needs",
            ),
            Code::VFormat => e(
                self.as_str(),
                "vector file malformed",
                "测试向量文件格式错误",
                "syntax error, bad or odd-length hex, a missing field, an unknown step kind, or an \
         unsupported format version",
                "fix the file at the reported place; validate hex strings and field names",
            ),
            Code::VLimit => e(
                self.as_str(),
                "vector file exceeds a runner limit",
                "测试向量文件超出运行限制",
                "the file's size, a hex string's length, a `repeat` count or nesting depth, the \
         steps it expands to, the exchanges its run records, or its run time is above the \
         runner's limit: a mistyped count, a runaway generator, or a file that is not a vector",
                "the message names the limit and its value; split the vector into smaller ones or fix \
         the count; the run time limit per file (default 60 s) is set with the environment \
         variable STK_VECTOR_TIME_LIMIT (seconds)",
            ),
            // ---- images and profiles ----
            Code::IImage => e(
                self.as_str(),
                "card image corrupt, truncated or wrong version",
                "卡片镜像文件损坏、不完整或版本不符",
                "the file was cut short (interrupted write, disk full), edited by hand, fails its \
         checksum, or was written by another version of the tool",
                "restore the image from a backup or re-personalise from the profile; use the tool \
         version that wrote it; never edit images by hand",
            ),
            Code::IBusy => e(
                self.as_str(),
                "card image in use by another process",
                "卡片镜像正被另一进程使用",
                "another stk-wallet process (a POS sale, the phone, `serve`) holds the card image: \
         a card is in one terminal at a time, so no update of its purse is lost",
                "wait for the other process to finish (stop `serve` before using the image directly) \
         and try again; if none is running, check nothing else has the image's lock file \
         (.NAME.lock beside it) open",
            ),
            Code::IStorage => e(
                self.as_str(),
                "cannot write to storage",
                "存储写入失败",
                "the disk is full, the folder is read-only or missing, a path component is a file, \
         or the target is not a regular file (a device, a folder); the previous content is \
         kept unchanged",
                "free space or fix the folder's permissions, check the path named in the message, \
         and retry; nothing was half-written",
            ),
            Code::IProfile => e(
                self.as_str(),
                "profile invalid",
                "个人化配置文件无效",
                "a missing or malformed field: keys not 16 bytes or with equal halves (an all-zero TAC \
         key), payment password not 6 digits, operation password not 4-12 digits, retry limits \
         outside 1-15, balance above the cap, a bad ATR checksum or AID length",
                "fix the field named in the message; start from one of the sample profiles",
            ),
            Code::IFault => e(
                self.as_str(),
                "fault plan refused",
                "故障注入参数无效",
                "`--fault` names no known fault, a number out of range (a write a commit never \
         reaches, a zero command number), or a fault at a layer the command cannot reach (a \
         duplicate upload for a purchase, an acquirer fault for a load, a power cut through a \
         reader)",
                "pick a fault the command lists in its message; docs/faults.md lists every fault \
         and the commands that reach its layer",
            ),
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a catalogue code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an error-catalogue code (known codes: {known})", known = known_codes())]
pub struct UnknownCode(pub String);

fn known_codes() -> String {
    Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for Code {
    type Err = UnknownCode;
    /// Case-insensitive, surrounding spaces ignored: `"p-digest"` is [`Code::PDigest`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

/// What a failure is explained by: the card's status word or a catalogue code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Sw(Sw),
    Code(Code),
}

impl Reason {
    /// The entry explaining this reason ([`for_sw`] for a status word).
    pub fn entry(self) -> Entry {
        match self {
            Reason::Sw(sw) => for_sw(sw),
            Reason::Code(c) => c.entry(),
        }
    }

    /// Multi-line explanation; a status word pattern gets its variable part filled in.
    pub fn render(self) -> String {
        match self {
            Reason::Sw(sw) => render_for(sw),
            Reason::Code(c) => c.entry().render(),
        }
    }

    /// The catalogue code, if this is not a status word.
    pub fn code(self) -> Option<Code> {
        match self {
            Reason::Code(c) => Some(c),
            Reason::Sw(_) => None,
        }
    }

    /// The status word, if this is one.
    pub fn sw(self) -> Option<Sw> {
        match self {
            Reason::Sw(sw) => Some(sw),
            Reason::Code(_) => None,
        }
    }
}

impl From<Sw> for Reason {
    fn from(sw: Sw) -> Self {
        Reason::Sw(sw)
    }
}

impl From<Code> for Reason {
    fn from(c: Code) -> Self {
        Reason::Code(c)
    }
}

impl PartialEq<Code> for Reason {
    fn eq(&self, other: &Code) -> bool {
        *self == Reason::Code(*other)
    }
}

impl PartialEq<Sw> for Reason {
    fn eq(&self, other: &Sw) -> bool {
        *self == Reason::Sw(*other)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Sw(sw) => write!(f, "{sw}"),
            Reason::Code(c) => f.write_str(c.as_str()),
        }
    }
}

impl std::str::FromStr for Reason {
    type Err = String;
    /// A status word (`"9302"`, `"93 02"`, `"0x9302"`) or a catalogue code (`"P-DIGEST"`,
    /// case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t.as_str());
        if t.len() == 4
            && let Ok(v) = u16::from_str_radix(t, 16)
        {
            return Ok(Reason::Sw(Sw(v)));
        }
        t.parse::<Code>().map(Reason::Code).map_err(|_| {
            format!("`{s}` is not a status word (4 hex digits) or an error-catalogue code")
        })
    }
}

/// Generic entries for status words the catalogue does not list, one per ISO 7816-4 SW1 group
/// (6C and 91 are fully covered by the `6Cxx` and `91xx` pattern entries).
static GENERIC: &[(u8, Entry)] = &[
    (
        0x61,
        e(
            "61xx",
            "unknown status word, class 61: normal processing, SW2 more bytes available",
            "未知状态字（61组：正常处理，尚有SW2字节数据可取）",
            "a T=0 card has response data waiting; the wallet itself does not use this",
            "send GET RESPONSE (00 C0 00 00 SW2); a transport layer normally does this itself",
        ),
    ),
    (
        0x62,
        e(
            "62xx",
            "unknown status word, class 62: warning, non-volatile memory unchanged",
            "未知状态字（62组：警告，非易失存储器未改变）",
            "a warning the wallet does not define; the card state did not change",
            "treat as not done; keep the trace and check the card's documentation",
        ),
    ),
    (
        0x63,
        e(
            "63xx",
            "unknown status word, class 63: warning, non-volatile memory changed",
            "未知状态字（63组：警告，非易失存储器已改变）",
            "a warning the wallet does not define (63Cx, wrong password, is listed separately); \
             the card state may have changed",
            "re-read balance and counter before retrying; keep the trace",
        ),
    ),
    (
        0x64,
        e(
            "64xx",
            "unknown status word, class 64: execution error, non-volatile memory unchanged",
            "未知状态字（64组：执行错误，非易失存储器未改变）",
            "the card could not execute the command; nothing was written",
            "retry once; if it persists, keep the trace and report it",
        ),
    ),
    (
        0x65,
        e(
            "65xx",
            "unknown status word, class 65: execution error, non-volatile memory changed",
            "未知状态字（65组：执行错误，非易失存储器已改变）",
            "the card failed while writing (65 81 is a memory failure); its state may be damaged",
            "re-read balance, counter and history; resolve an interrupted sale with GET \
             TRANSACTION PROOF; a card that keeps failing must be replaced",
        ),
    ),
    (
        0x66,
        e(
            "66xx",
            "unknown status word, class 66: security-related issue",
            "未知状态字（66组：安全相关问题）",
            "a security-related refusal the wallet does not define",
            "keep the trace and check the card's documentation",
        ),
    ),
    (
        0x67,
        e(
            "67xx",
            "unknown status word, class 67: wrong length",
            "未知状态字（67组：长度错误）",
            "a length error with a proprietary SW2 (the wallet itself answers only 67 00)",
            "check Lc and Le against the command table",
        ),
    ),
    (
        0x68,
        e(
            "68xx",
            "unknown status word, class 68: function in CLA not supported",
            "未知状态字（68组：CLA中的功能不支持）",
            "logical channels (68 81) or secure messaging (68 82) requested and not supported",
            "send the command on the basic channel without secure messaging",
        ),
    ),
    (
        0x69,
        e(
            "69xx",
            "unknown status word, class 69: command not allowed",
            "未知状态字（69组：命令不允许）",
            "a refusal the wallet does not define (the wallet uses 69 82, 69 83 and 69 85)",
            "check the command against the flow order and the card's state",
        ),
    ),
    (
        0x6A,
        e(
            "6Axx",
            "unknown status word, class 6A: wrong parameters (P1-P2 or data)",
            "未知状态字（6A组：参数错误（P1-P2或数据域））",
            "a parameter error the wallet does not define",
            "check P1, P2 and the data field against the command table",
        ),
    ),
    (
        0x6B,
        e(
            "6Bxx",
            "unknown status word, class 6B: wrong parameters P1-P2",
            "未知状态字（6B组：参数P1-P2错误）",
            "P1-P2 refused with a proprietary SW2 (the wallet itself answers only 6B 00)",
            "check P1 and P2 against the command table",
        ),
    ),
    (
        0x6D,
        e(
            "6Dxx",
            "unknown status word, class 6D: instruction not supported",
            "未知状态字（6D组：指令不支持）",
            "INS refused with a proprietary SW2 (the wallet itself answers only 6D 00)",
            "check the INS byte and that the right application is selected",
        ),
    ),
    (
        0x6E,
        e(
            "6Exx",
            "unknown status word, class 6E: class not supported",
            "未知状态字（6E组：CLA不支持）",
            "CLA refused with a proprietary SW2 (the wallet itself answers only 6E 00)",
            "check the CLA byte",
        ),
    ),
    (
        0x6F,
        e(
            "6Fxx",
            "unknown status word, class 6F: no precise diagnosis",
            "未知状态字（6F组：无精确诊断）",
            "an internal card error with a proprietary SW2",
            "keep the trace and the card image and report them; retry once after a reset",
        ),
    ),
    (
        0x90,
        e(
            "90xx",
            "unknown status word, class 90: non-standard completion",
            "未知状态字（90组：非标准的完成状态）",
            "90 with a non-zero SW2 is not defined by ISO 7816-4 or the wallet",
            "do not treat it as success; keep the trace and check the card's documentation",
        ),
    ),
];

/// SW1 92-9F (other than the listed 93/94 codes): application-specific.
static GENERIC_APP: Entry = e(
    "9xxx",
    "unknown status word, class 9X: application-specific",
    "未知状态字（9X组：应用自定义）",
    "an application-specific status word the wallet does not define",
    "keep the trace and check the documentation of the application that answered",
);

/// SW1 outside the ISO 7816-4 groups (not 6X/9X, or 60 which is a T=0 procedure byte).
static GENERIC_INVALID: Entry = e(
    "xxxx",
    "unknown status word, outside the ISO 7816-4 SW1 groups (61-6F, 90-9F)",
    "未知状态字（不属于ISO 7816-4规定的SW1组）",
    "not a valid status word: a transport or framing error, a byte lost or shifted, or a \
     reader passing through a procedure byte",
    "check the reader and transport layer; capture the raw exchange",
);

/// The whole catalogue: every status word the card returns, then every [`Code`].
/// (The generic per-class fallbacks of [`for_sw`] are not part of it.)
pub fn all() -> Vec<Entry> {
    sw_entries()
        .iter()
        .copied()
        .chain(Code::ALL.iter().map(|c| c.entry()))
        .collect()
}

/// The status-word part of the catalogue: concrete status words and patterns like `63Cx`.
pub fn sw_entries() -> &'static [Entry] {
    CATALOGUE
}

fn is_sw_code(code: &str) -> bool {
    code.len() == 4
        && code
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b.eq_ignore_ascii_case(&b'x'))
}

fn is_pattern(code: &str) -> bool {
    is_sw_code(code) && code.bytes().any(|b| b.eq_ignore_ascii_case(&b'x'))
}

/// `hex` is 4 upper-case hex digits; `x` in `code` matches any digit.
fn pattern_matches(code: &str, hex: &str) -> bool {
    code.len() == hex.len()
        && code
            .bytes()
            .zip(hex.bytes())
            .all(|(c, h)| c.eq_ignore_ascii_case(&b'x') || c.eq_ignore_ascii_case(&h))
}

fn find_sw(hex: &str) -> Option<&'static Entry> {
    CATALOGUE
        .iter()
        .find(|e| is_sw_code(e.code) && !is_pattern(e.code) && e.code.eq_ignore_ascii_case(hex))
        .or_else(|| {
            CATALOGUE
                .iter()
                .find(|e| is_pattern(e.code) && pattern_matches(e.code, hex))
        })
}

/// Looks up a catalogue entry by code: `"9302"`, `"93 02"`, `"0x9302"`, `"63C2"` (matches the
/// `63Cx` pattern entry), `"63Cx"`, `"p-digest"` (case-insensitive). Status words the catalogue
/// does not list give `None`; use [`for_sw`] to get a generic explanation for those.
pub fn lookup(code: &str) -> Option<Entry> {
    let t: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t.as_str());
    if t.is_empty() {
        return None;
    }
    if let Ok(c) = t.parse::<Code>() {
        return Some(c.entry());
    }
    if let Some(e) = CATALOGUE.iter().find(|e| e.code.eq_ignore_ascii_case(t)) {
        return Some(*e);
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return find_sw(&t.to_ascii_uppercase()).copied();
    }
    None
}

/// Explains any status word: its catalogue entry, or a generic "unknown status word" entry
/// naming its ISO 7816-4 SW1 group.
pub fn for_sw(sw: Sw) -> Entry {
    if let Some(e) = find_sw(&format!("{:04X}", sw.0)) {
        return *e;
    }
    let sw1 = sw.sw1();
    if let Some((_, e)) = GENERIC.iter().find(|(b, _)| *b == sw1) {
        return *e;
    }
    if (0x91..=0x9F).contains(&sw1) {
        GENERIC_APP
    } else {
        GENERIC_INVALID
    }
}

/// The meaning of `entry` with the variable part of a pattern filled in from `sw`.
fn meaning_for(entry: &Entry, sw: Sw) -> (String, String) {
    let x = sw.sw2();
    match entry.code {
        "63Cx" => {
            let n = x & 0x0F;
            match n {
                0 => (
                    "wrong password, no tries left (now locked)".into(),
                    "密码错误，已无重试机会（密码已锁定）".into(),
                ),
                1 => (
                    "wrong password, 1 try left".into(),
                    "密码错误，还剩1次机会".into(),
                ),
                _ => (
                    format!("wrong password, {n} tries left"),
                    format!("密码错误，还剩{n}次机会"),
                ),
            }
        }
        "6Cxx" => {
            let len = if x == 0 { 256 } else { usize::from(x) };
            (
                format!("wrong Le: resend with Le = {x:02X} ({len} bytes available)"),
                format!("Le错误：请以Le={x:02X}重发（可返回{len}字节）"),
            )
        }
        "91xx" => (
            format!("success, proactive command of {x} bytes pending (FETCH with Le = {x:02X})"),
            format!("成功，有{x}字节的主动式命令待取（FETCH，Le={x:02X}）"),
        ),
        _ => (entry.en.to_string(), entry.zh.to_string()),
    }
}

fn render_parts(code: &str, en: &str, zh: &str, cause: &str, remedy: &str) -> String {
    format!("{code}  {en} / {zh}\n  cause: {cause}\n  remedy: {remedy}")
}

impl Entry {
    /// Multi-line explanation: `"9302  MAC invalid / 摘要错误\n  cause: ...\n  remedy: ..."`.
    pub fn render(&self) -> String {
        render_parts(self.code, self.en, self.zh, self.cause, self.remedy)
    }

    /// `"9302 MAC invalid / 摘要错误"`.
    pub fn one_line(&self) -> String {
        format!("{} {} / {}", self.code, self.en, self.zh)
    }
}

/// [`Entry::render`] of [`for_sw`]`(sw)` with the concrete status word in place of the code and
/// a pattern's variable part filled in (e.g. `63C2` says "2 tries left").
pub fn render_for(sw: Sw) -> String {
    let entry = for_sw(sw);
    let (en, zh) = meaning_for(&entry, sw);
    render_parts(&format!("{sw}"), &en, &zh, entry.cause, entry.remedy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_catalogue(e: &Entry) -> bool {
        all().contains(e)
    }

    #[test]
    fn lookup_accepts_spacing_prefix_and_case() {
        let want = lookup("9302").expect("9302 is catalogued");
        assert!(want.code.eq_ignore_ascii_case("9302"));
        for form in ["93 02", "0x9302", "0X9302", " 0x93 02 ", "9 3 0 2"] {
            assert_eq!(lookup(form), Some(want), "form {form:?}");
        }
        // The entry found by code is the one the card's status word explains to.
        assert_eq!(for_sw(Sw::MAC_INVALID), want);

        let pd = lookup("P-DIGEST").expect("P-DIGEST is catalogued");
        assert_eq!(lookup("p-digest"), Some(pd));
        assert_eq!(lookup("P-Digest"), Some(pd));
        assert_ne!(pd, want);

        // Lower-case hex digits in a status word.
        assert_eq!(lookup("6a82"), lookup("6A82"));
        assert!(lookup("6a82").is_some());
    }

    #[test]
    fn lookup_rejects_garbage_and_uncatalogued() {
        for bad in [
            "", "  ", "0x", "93", "930", "93022", "zzzz", "P-NOPE", "digest", "6A99",
        ] {
            assert_eq!(lookup(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_entry_is_found_by_its_own_code() {
        for e in &all() {
            assert_eq!(lookup(e.code), Some(*e), "{}", e.code);
            assert_eq!(lookup(&e.code.to_ascii_lowercase()), Some(*e), "{}", e.code);
        }
    }

    #[test]
    fn wrong_pin_matches_pattern_and_counts_tries() {
        let pattern = lookup("63C2").expect("63C2 matches a pattern");
        assert!(is_pattern(pattern.code));
        assert_eq!(lookup("63cx"), Some(pattern));
        assert_eq!(for_sw(Sw::wrong_pin(2)), pattern);
        // Every tries-left value maps to the same pattern entry.
        for n in 0..=15 {
            assert_eq!(for_sw(Sw::wrong_pin(n)), pattern);
        }

        let r2 = render_for(Sw::wrong_pin(2));
        assert!(r2.starts_with("63C2"), "{r2}");
        assert!(r2.contains("2 tries left"), "{r2}");
        assert!(r2.contains('2') && r2.contains("次"), "{r2}");
        let r1 = render_for(Sw::wrong_pin(1));
        assert!(r1.contains("1 try left") && !r1.contains("2 tries"), "{r1}");
        let r0 = render_for(Sw::wrong_pin(0));
        assert!(r0.contains("locked"), "{r0}");
    }

    #[test]
    fn other_patterns_fill_in_sw2() {
        let le = render_for(Sw::wrong_le(30));
        assert!(le.starts_with("6C1E"), "{le}");
        assert!(le.contains("Le = 1E") && le.contains("30 bytes"), "{le}");
        assert!(render_for(Sw(0x6C00)).contains("256"));

        let pro = render_for(Sw::proactive(46));
        assert!(pro.starts_with("912E"), "{pro}");
        assert!(pro.contains("46 bytes"), "{pro}");
        assert_eq!(for_sw(Sw::proactive(46)), for_sw(Sw::proactive(7)));
    }

    #[test]
    fn unknown_sw_gets_generic_entry_naming_its_class() {
        // One status word per ISO 7816-4 group that the catalogue does not list.
        let samples: [(u16, &str); 14] = [
            (0x6110, "61"),
            (0x6283, "62"),
            (0x6381, "63"),
            (0x6401, "64"),
            (0x6581, "65"),
            (0x6600, "66"),
            (0x6701, "67"),
            (0x6881, "68"),
            (0x6999, "69"),
            (0x6A99, "6A"),
            (0x6B01, "6B"),
            (0x6D01, "6D"),
            (0x6E01, "6E"),
            (0x6F01, "6F"),
        ];
        let mut seen = Vec::new();
        for (sw, class) in samples {
            let e = for_sw(Sw(sw));
            assert!(!in_catalogue(&e), "{sw:04X} should not be catalogued");
            assert!(e.en.contains("unknown"), "{sw:04X}: {}", e.en);
            assert!(
                e.en.contains(&format!("class {class}")),
                "{sw:04X}: {}",
                e.en
            );
            assert!(e.zh.contains(&format!("{class}组")), "{sw:04X}: {}", e.zh);
            // Same class, other SW2: same entry.
            assert_eq!(e, for_sw(Sw(sw ^ 0x0002)), "{sw:04X}");
            assert!(!seen.contains(&e), "{sw:04X} shares a generic entry");
            seen.push(e);
            assert!(render_for(Sw(sw)).starts_with(&format!("{sw:04X}")));
        }
        // 6C and 91 are fully explained by their pattern entries.
        assert!(in_catalogue(&for_sw(Sw(0x6C42))));
        assert!(in_catalogue(&for_sw(Sw(0x9142))));
        // Outside the groups, and application-specific 9X.
        let bad = for_sw(Sw(0x1234));
        assert!(!in_catalogue(&bad) && bad.en.contains("unknown"));
        let app = for_sw(Sw(0x9F10));
        assert!(!in_catalogue(&app) && app.en.contains("unknown") && app != bad);
        assert_eq!(
            for_sw(Sw(0x6000)),
            bad,
            "60 is a procedure byte, not a class"
        );
    }

    #[test]
    fn required_codes_are_all_catalogued() {
        let required = [
            "9000",
            "91xx",
            "9300",
            "6700",
            "6Cxx",
            "6982",
            "6983",
            "6985",
            "6A80",
            "6A81",
            "6A82",
            "6A83",
            "6A86",
            "6A88",
            "6B00",
            "6D00",
            "6E00",
            "6F00",
            "9302",
            "9401",
            "9402",
            "9403",
            "9406",
            "63Cx",
            "P-DIGEST",
            "P-NO-RESPONSE",
            "P-TORN-RECOVERED",
            "P-PSAM",
            "P-READER",
            "P-TERMINAL-BUSY",
            "P-TERMINAL",
            "H-MAC1",
            "H-UNREACHABLE",
            "H-REVERSAL-PENDING",
            "H-TAC",
            "H-DUPLICATE",
            "V-MISMATCH",
            "V-SW",
            "V-FORMAT",
            "I-IMAGE",
            "I-PROFILE",
            "I-FAULT",
        ];
        for code in required {
            let e = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!(
                e.code.eq_ignore_ascii_case(code),
                "{code} found as {}",
                e.code
            );
        }
    }

    #[test]
    fn every_named_status_word_has_its_own_entry() {
        let named = [
            Sw::OK,
            Sw::WRONG_LENGTH,
            Sw::SECURITY_NOT_SATISFIED,
            Sw::BLOCKED,
            Sw::CONDITIONS_NOT_SATISFIED,
            Sw::WRONG_DATA,
            Sw::WALLET_CLOSED,
            Sw::NOT_FOUND,
            Sw::RECORD_NOT_FOUND,
            Sw::WRONG_P1P2,
            Sw::DATA_NOT_FOUND,
            Sw::WRONG_OFFSET,
            Sw::INS_NOT_SUPPORTED,
            Sw::CLA_NOT_SUPPORTED,
            Sw::UNKNOWN,
            Sw::MAC_INVALID,
            Sw::INSUFFICIENT_BALANCE,
            Sw::COUNTER_MAX,
            Sw::KEY_NOT_FOUND,
            Sw::NO_PROOF,
            Sw::TOOLKIT_BUSY,
        ];
        for sw in named {
            let e = for_sw(sw);
            assert!(in_catalogue(&e), "{sw}");
            assert_eq!(e.code, format!("{sw}"), "{sw} explained by another entry");
        }
    }

    #[test]
    fn entries_are_complete_and_codes_unique() {
        let has_cjk = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
        let entries = all();
        let generics = GENERIC
            .iter()
            .map(|(_, e)| e)
            .chain([&GENERIC_APP, &GENERIC_INVALID]);
        let mut codes: Vec<String> = Vec::new();
        for e in &all() {
            let c = e.code.to_ascii_uppercase();
            assert!(!codes.contains(&c), "duplicate code {}", e.code);
            codes.push(c);
            let prefixed = ["P-", "H-", "V-", "I-"]
                .iter()
                .any(|p| e.code.starts_with(p) && e.code.len() > 2);
            assert!(is_sw_code(e.code) || prefixed, "bad code shape {}", e.code);
            assert_eq!(e.code.trim(), e.code);
        }
        for e in entries.iter().chain(generics) {
            for (what, f) in [
                ("code", e.code),
                ("en", e.en),
                ("zh", e.zh),
                ("cause", e.cause),
                ("remedy", e.remedy),
            ] {
                assert!(!f.trim().is_empty(), "{}: empty {what}", e.code);
                assert!(!f.contains('\n'), "{}: {what} is not one line", e.code);
            }
            assert!(has_cjk(e.zh), "{}: zh has no Chinese", e.code);
            assert!(!has_cjk(e.en), "{}: en has Chinese", e.code);
        }
    }

    #[test]
    fn render_shapes() {
        for e in &all() {
            let r = e.render();
            let lines: Vec<&str> = r.lines().collect();
            assert_eq!(lines.len(), 3, "{r}");
            assert!(lines[0].starts_with(e.code) && lines[0].contains(e.en));
            assert!(lines[0].contains(e.zh));
            assert!(lines[1].trim_start().starts_with("cause:") && lines[1].contains(e.cause));
            assert!(lines[2].trim_start().starts_with("remedy:") && lines[2].contains(e.remedy));
            let o = e.one_line();
            assert!(!o.contains('\n') && o.starts_with(e.code));
            assert!(o.contains(e.en) && o.contains(e.zh));
        }
    }

    #[test]
    fn every_code_is_listed_once_and_has_its_own_entry() {
        // ALL is generated from the enum's own variant list; its order is the discriminants'.
        for (i, c) in Code::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c} out of place in Code::ALL");
            let e = c.entry();
            assert_eq!(e.code, c.as_str());
            assert_eq!(lookup(c.as_str()), Some(e), "{c}");
            assert!(!is_sw_code(c.as_str()), "{c} looks like a status word");
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c.as_str().parse::<Code>(), Ok(*c));
            assert_eq!(c.as_str().to_lowercase().parse::<Code>(), Ok(*c));
            assert_eq!(c.as_str().parse::<Reason>(), Ok(Reason::Code(*c)));
            assert_eq!(Reason::from(*c).render(), e.render());
        }
        // No two codes share an entry or a text.
        for (i, a) in Code::ALL.iter().enumerate() {
            for b in &Code::ALL[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
                assert_ne!(a.entry(), b.entry(), "{a} and {b}");
            }
        }
        let codes: Vec<Entry> = all().into_iter().filter(|e| !is_sw_code(e.code)).collect();
        assert_eq!(codes.len(), Code::ALL.len());
    }

    #[test]
    fn unknown_codes_are_refused_with_the_known_list() {
        for bad in ["P-NOPE", "", "P-", "PDIGEST", "P_DIGEST", "P-NOT-WALLET"] {
            let err = bad.parse::<Code>().unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(
                msg.contains("P-DIGEST") && msg.contains("I-PROFILE"),
                "{msg}"
            );
            assert!(bad.parse::<Reason>().is_err(), "{bad}");
        }
    }

    #[test]
    fn reason_parses_status_words_and_codes() {
        for form in ["9302", "93 02", "0x9302", "0X93 02"] {
            assert_eq!(
                form.parse::<Reason>(),
                Ok(Reason::Sw(Sw::MAC_INVALID)),
                "{form}"
            );
        }
        assert_eq!(
            "p-digest".parse::<Reason>(),
            Ok(Reason::Code(Code::PDigest))
        );
        assert_eq!(Reason::Sw(Sw(0x63C2)).to_string(), "63C2");
        assert!(Reason::Sw(Sw(0x63C2)).render().contains("2 tries left"));
        assert_eq!(Reason::from(Code::HTac).to_string(), "H-TAC");
        assert_eq!(Reason::from(Code::HTac), Code::HTac);
        assert_eq!(Reason::from(Sw::OK), Sw::OK);
        assert_ne!(Reason::from(Sw::OK), Code::HTac);
        assert_eq!(Reason::from(Code::VSw).code(), Some(Code::VSw));
        assert_eq!(Reason::from(Sw::OK).sw(), Some(Sw::OK));
        // Patterns are catalogue keys, not status words.
        assert!("63Cx".parse::<Reason>().is_err());
        assert!("930".parse::<Reason>().is_err());
    }

    #[test]
    fn for_sw_total_over_all_status_words() {
        for v in 0..=u16::MAX {
            let sw = Sw(v);
            let e = for_sw(sw);
            assert!(!e.en.is_empty() && !e.zh.is_empty() && !e.remedy.is_empty());
            let hex = format!("{v:04X}");
            if in_catalogue(&e) {
                // A catalogued answer really is about this status word.
                assert!(pattern_matches(e.code, &hex), "{hex} -> {}", e.code);
            }
            if sw.is_success() {
                assert!(in_catalogue(&e), "{hex} is success but uncatalogued");
            }
            let r = render_for(sw);
            assert!(r.starts_with(&hex) && r.lines().count() == 3, "{r}");
        }
    }
}
