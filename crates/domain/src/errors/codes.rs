//! The entries of the terminal side's own codes, one per [`Code`] variant through an
//! exhaustive match, so a code cannot exist without its entry.

use super::*;

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
                "the answer to DEBIT was lost but the card had committed; on the next tap the POS found \
         the debit on the card (MAC2 and TAC with GET TRANSACTION PROOF, or, once the proof is gone, \
         its log or its counter) and completed the sale",
                "informational: do not charge again; the receipt printed after the result line says \
         PURCHASE (RECOVERED) with the TAC from GET TRANSACTION PROOF, or \"TAC pending\" when the \
         card no longer held the proof (the record is then settled by hand); `pos reprint --ttc N` \
         prints it again",
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
            Code::PSlotTaken => e(
                self.as_str(),
                "virtual reader slot already has a card",
                "虚拟读卡器槽位已有卡片",
                "another `stk-wallet serve` (or another virtual card) is connected to this vpcd \
         port: vpcd takes one card per slot and leaves a second connection waiting, silent, in \
         its backlog",
                "stop the other served card, or serve on the other slot (`--addr 127.0.0.1:35964` is \
         reader `Virtual PCD 00 01`)",
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
            Code::PBankCard => e(
                self.as_str(),
                "bank card number or PIN not accepted",
                "银行卡号或密码格式错误",
                "the bank card number failed its check digit (Luhn) or is not 12 to 19 digits, or the \
         bank PIN is not 4 to 12 digits: keyed wrongly",
                "nothing was charged: check the number on the card and key it again; the customer \
         enters the PIN again",
            ),
            Code::PNotFound => e(
                self.as_str(),
                "no such transaction in this terminal's journal",
                "本终端流水中无此交易",
                "no completed transaction kept by this terminal matches the reprint or lookup: \
         another terminal did it, the filter is wrong (card serial, TTC, top-up id, date), or the \
         transaction did not complete (no receipt was due)",
                "check the filter against the card and the customer's slip; look the transaction up \
         at the terminal that did it; if it is not there, it did not complete: redo it",
            ),
            Code::PLoadRefused => e(
                self.as_str(),
                "the wallet cannot take this load",
                "钱包无法圈存此金额",
                "read before the bank card is charged: the wallet is closed, the load would pass the \
         balance cap, the card's load key is not one the issuer holds, or the card refused \
         INITIALIZE FOR LOAD",
                "nothing was charged; tell the customer why (a smaller amount, or spend first); for a \
         key problem sign the terminal in again",
            ),
            Code::PExpired => e(
                self.as_str(),
                "the card's application has expired",
                "卡片应用已过有效期",
                "the expiry date in the card's issuer file (0015) is before the terminal's date: the \
         card is valid through its expiry date and the terminal, not the card, enforces it; a \
         terminal clock set wrong gives the same refusal; sales, loads, integrated top-ups and \
         refunds are all refused before INITIALIZE",
                "nothing was debited or credited and no bank card was charged; the holder takes the card to the issuer for a renewed card (the \
         balance moves with it); if the expiry date printed is in the future, set the \
         terminal's clock",
            ),
            Code::PRefunded => e(
                self.as_str(),
                "this sale has already been refunded",
                "该笔消费已退货",
                "the terminal's journal holds a refund of this sale (terminal number and TTC) that \
         completed or may still complete: a sale is refunded at most once, in full or in part, \
         and a second `pos refund` of it (or one running at the same time) is refused",
                "nothing was loaded; `pos lookup --ttc N` shows the sale and its refund and `pos \
         reprint --refund N` prints the refund's receipt again; a refund left in doubt is \
         finished by `pos resume` with the card presented",
            ),
            Code::PRefundAmount => e(
                self.as_str(),
                "refund amount over the sale's amount",
                "退货金额超过原交易金额",
                "the amount keyed for the refund is more than the sale it refers to, or zero: a \
         refund gives back at most what the sale took",
                "nothing was loaded; key an amount from 0.01 up to the sale's amount (without \
         `--amount` the whole sale is refunded); `pos lookup --ttc N` shows the sale's amount",
            ),
            Code::PWrongCard => e(
                self.as_str(),
                "not the card of this transaction",
                "非原交易卡片",
                "the card presented has another serial than the card the transaction was made \
         with: a refund goes back to the card the sale debited, and a transaction in doubt is \
         decided only by its own card",
                "nothing was sent to the card after reading its serial; ask for the card of the \
         original sale (its masked serial is on the sale's receipt, `pos reprint --ttc N`)",
            ),
            Code::PSignIn => e(
                self.as_str(),
                "the terminal has not signed in",
                "终端未签到",
                "a terminal signs in (签到) before it works: this terminal's home holds no sign-in \
         (a home made before sign-in existed, or one whose sign-in never reached the issuer), so \
         it has no parameters (merchant number, time-out, key versions) from the host",
                "sign in: `stk-wallet pos signin` (it tests the link to the issuer and downloads the \
         parameters); if the sign-in fails, check the link to the issuer and sign in again",
            ),
            Code::PKeyVersion => e(
                self.as_str(),
                "the card has no key for this terminal's key version",
                "卡片无此终端所用版本的密钥（终端密钥版本过期）",
                "the card answered 9403 (key not found) to the key index the terminal signed in \
         with: the issuer rolled the purchase or load key to a new version, the card carries \
         only the new one, and this terminal has not signed in since (outdated terminal keys); \
         or the card predates the key the terminal uses",
                "nothing was debited or loaded; sign the terminal in (`stk-wallet pos signin`) to \
         update its keys and redo the transaction; if it persists after a sign-in, open a ticket \
         to reset the terminal's key, quoting the terminal number; one card only: refer the \
         holder to the issuer",
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
            Code::HKeyRetired => e(
                self.as_str(),
                "the issuer retired this load key version",
                "发卡方已停用此圈存密钥版本",
                "the terminal asked for a load under a key index and version the issuer has rolled \
         over (`stk-wallet issuer roll-key load`): the terminal's keys are out of date because \
         it has not signed in since the rollover; over the air (the phone's Top Up), the card's \
         newest load key is the retired one",
                "no MAC2 was given and nothing was loaded; a bank charge made for it is reversed; sign \
         the terminal in (`stk-wallet pos signin`) to update its keys, then redo the load; over \
         the air, the holder takes the card to the issuer for one with the current load key",
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
            Code::HReversalManual => e(
                self.as_str(),
                "reversal moved to manual handling",
                "冲正多次失败，转人工处理",
                "the reversal of a bank charge failed as many times as the terminal's parameters \
         allow: the acquirer keeps refusing or cannot be reached",
                "check the transaction data (card number, amount, time, merchant id) and the \
         terminal's log; contact the bank's support; once the account is adjusted with the bank, \
         record who did it and why with `pos reversals --resolve TXN --by WHO --why TEXT`",
            ),
            Code::HTimeout => e(
                self.as_str(),
                "host did not answer in time",
                "主机应答超时",
                "no answer within the time-out the terminal signed in with, on the first send and \
         every resend: the link is slow or down, or the host is overloaded",
                "nothing was loaded (no MAC2 reached the card); a charge made for it is reversed; \
         check the network, sign in again (go offline and online), then redo the transaction",
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
         transaction id had already reached it (the POS had given up on that top-up); over the \
         air, the issuer declined the SIM's request, e.g. a bill for a number that is not China \
         Mobile's (the menu refuses those before it asks anything)",
                "nothing was charged and the wallet was not loaded (a declined bill: nothing was \
         paid); start a new top-up, or pay the bill of a China Mobile number",
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
            Code::HRejected => e(
                self.as_str(),
                "clearing host: a rejected record is not resolved",
                "清算主机：被拒记录尚未处理",
                "an upload had a record rejected (a TAC that does not verify, a duplicate): the \
         merchant is not paid for it, and the clearing host keeps it open until someone puts it \
         right; or a resolution named no person or reason",
                "look the sale up with the card and terminal (card serial, counter, TTC); settle it \
         with the bank or the customer by hand, then record who did it and why with \
         `settle --resolve ID --by WHO --why TEXT`",
            ),
            Code::HUnexplained => e(
                self.as_str(),
                "clearing host: the card's balance differs from its shadow balance without cause",
                "清算主机：卡余额与影子余额不符且无法解释",
                "the records the card's counters and log name do not add up to the difference, or \
         the ledger holds a counter the card never reached: a record lost before upload, a \
         journal or ledger restored from an old copy, or a card image from another card",
                "do not pay out or adjust by hand yet: settle every terminal the card was used at, \
         check the card's history at a POS, and compare the ledger with the terminals' journals; \
         report it to the issuer with the card serial",
            ),
            Code::HRefundRefused => e(
                self.as_str(),
                "issuer refused the refund",
                "发卡方拒绝退货",
                "the issuer's books (the clearing host's ledger) already hold a refund of this sale, \
         booked or authorised at another card counter (a second terminal, a second process, or \
         a terminal journal restored from an old copy), or the request does not match the sale: \
         another card, an amount over the sale's, a sale whose TAC does not verify",
                "nothing was loaded and no CREDIT was sent; look the refund up at the terminal that \
         made it; a refund authorised but not yet seen on the card is decided by `stk-wallet \
         settle` with the card presented, after which a refund that never reached the card can \
         be made again",
            ),
            // ---- the issuer's service desk ----
            Code::HHolder => e(
                self.as_str(),
                "service desk: the holder's name or ID number does not match the card",
                "客服：持卡人姓名或证件号码与卡内信息不符",
                "the name or ID number given at the desk differs from the card's holder file (file \
         0016, written at personalisation): a typing error, another person's card, or a caller \
         who is not the holder; the refusal is written in the desk's log",
                "ask the holder for the name and ID number exactly as on the ID card shown when the \
         wallet was opened; nothing was sent to the card; repeated refusals for one card: \
         treat the request as suspicious (`desk log` lists them)",
            ),
            Code::HNotReported => e(
                self.as_str(),
                "service desk: a lost phone's wallet is not reported lost and cannot be recovered",
                "客服：手机钱包不挂失、不找回",
                "the holder lost the phone (the SIM): the wallet's money lives on the SIM only and \
         purchases are offline, so the issuer can neither stop nor restore it (the operator's \
         handbook: 不挂失, 不找回)",
                "tell the holder the balance is gone with the card; the number can be cancelled and a \
         new SIM issued at a shop, with a new, empty wallet",
            ),
            Code::HDeskBusy => e(
                self.as_str(),
                "service desk: its home is in use by another process",
                "客服：客服台数据正被另一进程使用",
                "another `desk` command is running on the same desk home (`--desk DIR`), or a \
         process holding it hangs; one process at a time may move money at a desk",
                "wait for the other command to finish and run it again; a killed process frees the \
         lock at once",
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
            Code::VState => e(
                self.as_str(),
                "card not in the required state",
                "卡片状态不符合测试向量要求",
                "the vector expects a freshly personalised card (the profile's balance, an empty \
         transaction log), or a card meeting its preconditions (a balance at least or at most \
         so much, an empty log, payment password tries left), but the card in the reader has \
         been used: earlier vectors or transactions changed its balance, log or tries. This is \
         state drift, not a card defect",
                "personalise the card again before the vector (run --personalise CMD runs your \
         personalisation tool before each vector; a card served by stk-wallet serve takes \
         --card-image), or run the vector alone on a fresh card",
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
            Code::IDamaged => e(
                self.as_str(),
                "stored data damaged",
                "存储数据损坏",
                "a terminal's, the bank's or the clearing ledger's SQLite database, or a row in it, \
         cannot be read back: the file was edited by hand, copied while it was being written, or \
         damaged on disk",
                "restore the file named in the message from a backup; keep the damaged one (a \
         terminal's holds its transaction counter and unsettled sales) for investigation",
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
                "a missing or malformed field: keys not 16 bytes, a TAC card key with equal \
         halves (an all-zero TAC key), payment password not 6 digits, operation password not 4-12 digits, retry limits \
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
            Code::IScenario => e(
                self.as_str(),
                "reader-lab scenario refused",
                "读卡器测试场景无效",
                "the scenario file is not valid JSON of the scenario format, names an unknown card \
         profile or command, or schedules a fault that can never fire (a tap beyond the \
         scenario's taps, an EEPROM write a commit never reaches, a command number of zero)",
                "fix the field the message names; docs/reader-lab.md describes the format and \
         scenarios/ holds working examples",
            ),
        }
    }
}
