//! The status words' entries: those the wallet answers, keyed by the status word or its
//! pattern (`63Cx`), and one generic entry per ISO 7816-4 SW1 group for any other.

use super::*;

/// The status words, keyed by the status word or its pattern (`63Cx`); the terminal-side codes
/// entries are reached through [`Code::entry`].
pub(super) static CATALOGUE: &[Entry] = &[
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
        "the holder cannot unlock it at a terminal: a locked payment password unlocks by itself \
         24 hours after it locked (the phone's wallet menu tells the card the time), or the \
         issuer's service desk reloads it at once after checking the holder (`stk-wallet desk \
         reload-pin`, RELOAD PIN); a locked key needs the issuer to re-personalise or replace the \
         card; do not keep retrying",
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
        "9405",
        "loads refused: the phone number is cancelled",
        "号码已销户，不能充值",
        "the issuer's service desk cancelled the SIM's phone number (CANCEL NUMBER): the card \
         refuses every load (INITIALIZE FOR LOAD, the menu's Top Up); purchases still work until \
         the balance is 0",
        "do not retry the load or charge a bank card for it; the holder can spend what is left \
         at a POS, or have the desk close the wallet and refund the balance",
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
    // ---- status words: the SIM file system (TS 102 221, GSM 11.11; docs/files.md) ----
    e(
        "9Fxx",
        "success, xx bytes of response data waiting (GSM class)",
        "成功，有xx字节响应数据待取（GSM类A0）",
        "a GSM-class (A0) SELECT succeeded; its file description (xx bytes) is held for GET \
         RESPONSE, as GSM 11.11 §9.2.1 defines",
        "send GET RESPONSE A0 C0 00 00 xx as the very next command; any other command drops the \
         waiting data",
    ),
    e(
        "6981",
        "command incompatible with the file structure",
        "命令与文件结构不兼容",
        "READ BINARY on a record file (EF_DIR) or READ RECORD on a transparent file",
        "read EF_DIR (2F00) with READ RECORD and the transparent EFs with READ BINARY; the file \
         list with each file's structure is in docs/files.md",
    ),
    e(
        "6986",
        "command not allowed: no current EF",
        "命令不允许：没有选中的基本文件",
        "READ BINARY or READ RECORD of the current file while no EF is selected (after power-up, \
         or after selecting a DF or an application)",
        "SELECT the EF first (00 A4 00 04 02 fid), e.g. 2FE2 for the ICCID",
    ),
    e(
        "9400",
        "GSM class: no EF selected",
        "GSM类：未选择基本文件",
        "A0 B0 / A0 B2 while the current file is a DF (the MF or DF GSM)",
        "select the EF first (A0 A4 00 00 02 fid, then GET RESPONSE)",
    ),
    e(
        "9404",
        "GSM class: file identifier not found",
        "GSM类：文件标识未找到",
        "A0 A4 with a file id that is not reachable from the current DF: this SIM has the MF \
         3F00 with EF_ICCID 2FE2 and DF GSM 7F20 with EF_IMSI 6F07, EF_SST 6F38 and EF_AD 6FAD",
        "select the MF (3F00) and walk down; the file list is in docs/files.md",
    ),
    e(
        "9408",
        "GSM class: file inconsistent with the command",
        "GSM类：文件与命令不一致",
        "A0 B0 on a record file or A0 B2 on a transparent file",
        "use the read command that matches the file's structure (docs/files.md)",
    ),
    e(
        "6984",
        "referenced data invalidated: PIN1 is disabled",
        "引用数据无效：PIN1已禁用",
        "VERIFY PIN of the SIM's PIN1 (00 20 00 01 08 ...) while PIN1 is disabled, as it is on \
         this card: the command is not executed (TS 102 221 §11.1.9); the payment password's \
         VERIFY is P2 00",
        "do not verify PIN1: its files read without it; VERIFY PIN with no data (00 20 00 01) \
         answers 9000 when no verification is needed; to verify the payment password use \
         00 20 00 00 03",
    ),
    e(
        "9808",
        "GSM class: in contradiction with CHV status (CHV1 disabled)",
        "GSM类：与CHV状态矛盾（CHV1已禁用）",
        "VERIFY CHV1 (A0 20 00 01 08 ...) while CHV1 is disabled, as it is on this card: the \
         command is not executed (GSM 11.11 §8.9)",
        "do not verify CHV1: the CHV1 files read without it (docs/files.md)",
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

/// Generic entries for status words the catalogue does not list, one per ISO 7816-4 SW1 group
/// (6C and 91 are fully covered by the `6Cxx` and `91xx` pattern entries).
pub(super) static GENERIC: &[(u8, Entry)] = &[
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
pub(super) static GENERIC_APP: Entry = e(
    "9xxx",
    "unknown status word, class 9X: application-specific",
    "未知状态字（9X组：应用自定义）",
    "an application-specific status word the wallet does not define",
    "keep the trace and check the documentation of the application that answered",
);

/// SW1 outside the ISO 7816-4 groups (not 6X/9X, or 60 which is a T=0 procedure byte).
pub(super) static GENERIC_INVALID: Entry = e(
    "xxxx",
    "unknown status word, outside the ISO 7816-4 SW1 groups (61-6F, 90-9F)",
    "未知状态字（不属于ISO 7816-4规定的SW1组）",
    "not a valid status word: a transport or framing error, a byte lost or shifted, or a \
     reader passing through a procedure byte",
    "check the reader and transport layer; capture the raw exchange",
);
