//! Receipts (签购单) of the transactions a terminal completed: a sale, a recovered sale, a load,
//! an integrated top-up. A receipt is never stored on its own: it is read from the journal row
//! that completes its transaction (docs/spec.md §8, "Receipts"), so a receipt exists exactly
//! when the journal shows the transaction complete, whatever happens between two writes.

use std::fmt;
use stk_domain::money::Fen;

/// What a receipt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptKind {
    /// An offline purchase completed on its tap.
    Sale,
    /// A sale in doubt completed on a later tap (`P-TORN-RECOVERED`).
    RecoveredSale,
    /// A load authorised by the issuer host (`pos load`).
    Load,
    /// An integrated top-up: bank card charged, wallet loaded (`pos topup`).
    Topup,
    /// A refund (退货) of a sale, loaded back to the card (`pos refund`).
    Refund,
}

impl ReceiptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Sale => "sale",
            ReceiptKind::RecoveredSale => "recovered-sale",
            ReceiptKind::Load => "load",
            ReceiptKind::Topup => "topup",
            ReceiptKind::Refund => "refund",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            ReceiptKind::Sale => "消费",
            ReceiptKind::RecoveredSale => "消费（中断后恢复）",
            ReceiptKind::Load => "圈存",
            ReceiptKind::Topup => "充值",
            ReceiptKind::Refund => "退货",
        }
    }

    fn en(self) -> &'static str {
        match self {
            ReceiptKind::Sale => "PURCHASE",
            ReceiptKind::RecoveredSale => "PURCHASE (RECOVERED)",
            ReceiptKind::Load => "LOAD",
            ReceiptKind::Topup => "TOP-UP",
            ReceiptKind::Refund => "REFUND",
        }
    }
}

/// The TAC a receipt shows, or why it has none yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptTac {
    /// The card's TAC, as the card answered it.
    Known([u8; 4]),
    /// A recovered sale's TAC, fetched with GET TRANSACTION PROOF on the later tap.
    Recovered([u8; 4]),
    /// A recovered sale whose proof the card no longer had: no TAC; settled by hand.
    Pending,
    /// A refund whose CREDIT answer was lost and that the card's counter and log showed done,
    /// without the proof: no TAC; the card decides it at settlement.
    RefundPending,
}

/// A top-up's own fields on its receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupRef {
    pub id: String,
    /// The bank card, masked as the journal keeps it.
    pub pan_masked: String,
}

/// The sale a refund gives back, on the refund's receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleRef {
    /// The terminal that made the sale (this one).
    pub term_id: [u8; 6],
    pub ttc: u32,
    /// The sale's amount (the refund may be part of it).
    pub amount: u32,
    pub date: [u8; 4],
    pub time: [u8; 3],
}

/// One receipt, as read from the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The merchant number the terminal signed in with; `None`: it never signed in.
    pub merchant: Option<String>,
    pub kind: ReceiptKind,
    pub term_id: [u8; 6],
    pub serial: [u8; 10],
    pub amount: u32,
    /// `None` where the terminal did not see it (a recovered sale: the DEBIT answer was lost).
    pub balance_after: Option<u32>,
    /// The card's counter the transaction used (offline for sales, online for loads).
    pub counter: u16,
    /// The terminal's TTC (sales only: loads are authorised by the issuer, not the PSAM).
    pub ttc: Option<u32>,
    pub tac: ReceiptTac,
    pub date: [u8; 4],
    pub time: [u8; 3],
    pub topup: Option<TopupRef>,
    /// A refund's original sale.
    pub refund_of: Option<SaleRef>,
}

/// A card serial as a receipt shows it: the first six and the last four hex digits, `*` between
/// (the rule receipts apply to bank card numbers).
pub fn mask_serial(serial: &[u8; 10]) -> String {
    stk_domain::pan::mask(&hex::encode_upper(serial))
}

/// `YYYY-MM-DD` of a BCD date.
fn iso_date(date: &[u8; 4]) -> String {
    let d = hex::encode(date);
    format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8])
}

/// `HH:MM:SS` of a BCD time.
fn iso_time(time: &[u8; 3]) -> String {
    let t = hex::encode(time);
    format!("{}:{}:{}", &t[0..2], &t[2..4], &t[4..6])
}

impl Receipt {
    /// `YYYY-MM-DD` of the transaction (the BCD date the card was given).
    pub fn date_iso(&self) -> String {
        iso_date(&self.date)
    }

    /// `HH:MM:SS` of the transaction.
    pub fn time_iso(&self) -> String {
        iso_time(&self.time)
    }

    fn tac_line(&self) -> String {
        match self.tac {
            ReceiptTac::Known(t) => format!("交易认证码 TAC: {}", hex::encode_upper(t)),
            ReceiptTac::Recovered(t) => format!(
                "交易认证码 TAC: {} (取自卡片交易证明 from GET TRANSACTION PROOF)",
                hex::encode_upper(t)
            ),
            ReceiptTac::Pending => "交易认证码 TAC pending: 卡片已无交易证明 the card no longer \
                                    holds the proof; settled by hand"
                .to_string(),
            ReceiptTac::RefundPending => "交易认证码 TAC pending: 卡片已无交易证明 the card no \
                                          longer holds the proof; its counter shows the refund \
                                          loaded"
                .to_string(),
        }
    }

    /// The receipt's text; `copy` marks a reprint.
    pub fn render(&self, copy: bool) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line("---------- 签购单 RECEIPT ----------".into());
        if copy {
            line("重打印 REPRINT (副本 COPY)".into());
        }
        line(match &self.merchant {
            Some(m) => format!("商户号 Merchant: {m}"),
            None => "商户号 Merchant: (未签到 not set: this terminal has not signed in)".into(),
        });
        line(format!(
            "终端号 Terminal: {}",
            hex::encode_upper(self.term_id)
        ));
        line(format!("卡号 Card: {}", mask_serial(&self.serial)));
        line(format!(
            "交易类型 Type: {} {}",
            self.kind.zh(),
            self.kind.en()
        ));
        let amount = Fen(self.amount);
        line(format!("金额 Amount: {} / {}", amount.zh(), amount.en()));
        line(match self.balance_after {
            Some(b) => format!("余额 Balance after: {} / {}", Fen(b).zh(), Fen(b).en()),
            None if self.kind == ReceiptKind::RecoveredSale => {
                "余额 Balance after: 未读取 not read (the DEBIT answer was lost)".into()
            }
            None if self.kind == ReceiptKind::Refund => {
                "余额 Balance after: 未读取 not read (the CREDIT answer was lost)".into()
            }
            None => "余额 Balance after: 未记录 not recorded (journaled before receipts)".into(),
        });
        line(format!("卡交易序号 Card counter: {}", self.counter));
        line(match self.ttc {
            Some(t) => format!("终端交易序号 TTC: {t}"),
            None => "终端交易序号 TTC: 无 none (authorised by the issuer host)".into(),
        });
        line(self.tac_line());
        line(format!(
            "日期时间 Date/time: {} {}",
            self.date_iso(),
            self.time_iso()
        ));
        if let Some(t) = &self.topup {
            line(format!("充值单号 Top-up id: {}", t.id));
            line(format!("银行卡 Bank card: {}", t.pan_masked));
        }
        if let Some(s) = &self.refund_of {
            line(format!(
                "原交易 Original sale: 终端 terminal {} TTC {}, {} {}",
                hex::encode_upper(s.term_id),
                s.ttc,
                iso_date(&s.date),
                iso_time(&s.time)
            ));
            let a = Fen(s.amount);
            line(format!("原交易金额 Sale amount: {} / {}", a.zh(), a.en()));
        }
        line("------------------------------------".into());
        out
    }

    /// One line of `pos lookup`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} {:<14} card {} amount {} yuan counter {} TTC {} TAC {}{}{}",
            self.date_iso(),
            self.time_iso(),
            self.kind.as_str(),
            mask_serial(&self.serial),
            Fen(self.amount),
            self.counter,
            self.ttc.map_or("-".to_string(), |t| t.to_string()),
            match self.tac {
                ReceiptTac::Known(t) | ReceiptTac::Recovered(t) => hex::encode_upper(t),
                ReceiptTac::Pending | ReceiptTac::RefundPending => "pending".into(),
            },
            self.topup
                .as_ref()
                .map(|t| format!(" top-up {} bank card {}", t.id, t.pan_masked))
                .unwrap_or_default(),
            self.refund_of
                .as_ref()
                .map(|s| format!(" refund of sale TTC {} ({} yuan)", s.ttc, Fen(s.amount)))
                .unwrap_or_default()
        )
    }

    /// The receipt for scripts (`pos lookup --json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.kind,
            "terminal": hex::encode_upper(self.term_id),
            "card": mask_serial(&self.serial),
            "amount_fen": self.amount,
            "balance_after_fen": self.balance_after,
            "counter": self.counter,
            "ttc": self.ttc,
            "tac": match self.tac {
                ReceiptTac::Known(t) | ReceiptTac::Recovered(t) => Some(hex::encode_upper(t)),
                ReceiptTac::Pending | ReceiptTac::RefundPending => None,
            },
            "date": self.date_iso(),
            "time": self.time_iso(),
            "topup_id": self.topup.as_ref().map(|t| t.id.clone()),
            "bank_card": self.topup.as_ref().map(|t| t.pan_masked.clone()),
            "refund_of": self.refund_of.as_ref().map(|s| serde_json::json!({
                "terminal": hex::encode_upper(s.term_id),
                "ttc": s.ttc,
                "amount_fen": s.amount,
                "date": iso_date(&s.date),
                "time": iso_time(&s.time),
            })),
        })
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}
