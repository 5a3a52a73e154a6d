//! `settle`: a terminal's journal (its sales, POS loads and integrated top-ups) uploaded to the
//! clearing host, then the presented card reconciled against the ledger (docs/spec.md §5).

use super::open;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use stk_wallet::errors::Code;
use stk_wallet::fault::{FaultPlan, Layer, SettlementFault};
use stk_wallet::host::IssuerHost;
use stk_wallet::issuer::sale_reference;
use stk_wallet::journal::{Journal, RefundState, TopupState};
use stk_wallet::pos::{HistoryEntry, LoadReceipt};
use stk_wallet::reconcile::{CardView, Reconciliation, reconcile};
use stk_wallet::settle::{
    ClearingHost, Ledger, Move, MoveKind, MoveState, RejectionRow, SettleReport, SqliteLedger,
};

#[derive(clap::Args)]
pub struct Args {
    /// The terminal's home folder (default: $STK_TERMINAL, else ./pos).
    #[arg(long)]
    terminal: Option<PathBuf>,
    /// Upload this POS journal file (written by a version before terminal homes) instead.
    #[arg(long, conflicts_with = "terminal")]
    journal: Option<PathBuf>,
    /// The clearing host's ledger (SQLite).
    #[arg(long, default_value = "ledger.db")]
    ledger: PathBuf,
    /// Reconcile the shadow balance with this card image.
    #[arg(long, default_value = "card.json")]
    card: PathBuf,
    #[arg(long, default_value = "default")]
    profile: String,
    /// `duplicate-upload` sends the upload twice.
    #[arg(long)]
    fault: Option<FaultPlan>,
    /// Print the report as one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Resolve rejection ID (listed by every `settle`) instead of uploading; needs --by and --why.
    #[arg(long, value_name = "ID", requires_all = ["by", "why"])]
    resolve: Option<i64>,
    /// Who resolves the rejection (kept with it).
    #[arg(long)]
    by: Option<String>,
    /// Why, or how it was put right (kept with it).
    #[arg(long)]
    why: Option<String>,
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Fen as yuan with a sign when negative: `-1.50`.
pub fn signed_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// What the card image shows, for the reconciliation.
fn card_view(path: &std::path::Path) -> Result<CardView, String> {
    let card = open::card(path)?;
    let st = card.state();
    let log = (1..=10)
        .filter_map(|n| st.log.record(n).and_then(|r| HistoryEntry::parse(r)))
        .collect();
    Ok(CardView {
        serial: stk_wallet::codec::IssuerFile::parse(&st.perso.ef0015)
            .map_err(|e| format!("{}: {e}", Code::IImage))?
            .serial,
        balance: st.purse.balance,
        online_counter: st.purse.online_counter,
        offline_counter: st.purse.offline_counter,
        log,
    })
}

/// Books the journal's integrated top-ups and POS loads; returns (top-ups, POS loads) sent.
fn book_loads(
    clearing: &mut ClearingHost<SqliteLedger>,
    journal: &Journal,
) -> Result<(usize, usize), String> {
    let mut topups = 0;
    for t in journal.all_topups().map_err(s)? {
        if let (TopupState::Loaded | TopupState::Done, Some(serial), Some(counter)) =
            (t.state, t.serial, t.counter)
        {
            let m = Move {
                serial,
                kind: MoveKind::Topup,
                counter,
                amount: t.amount,
                term_id: t.term_id.unwrap_or_default(),
                date: t.date.unwrap_or_default(),
                time: t.time.unwrap_or_default(),
                reference: t.txn.clone(),
            };
            clearing.ledger.add_move(&m, MoveState::Booked).map_err(s)?;
            topups += 1;
        }
    }
    let loads = journal.loads_to_upload().map_err(s)?;
    for l in &loads {
        let reference = format!("POS load {}", l.id);
        match l.tac {
            Some(tac) => {
                let r = LoadReceipt {
                    serial: l.serial,
                    counter: l.counter,
                    amount: l.amount,
                    balance_after: l.balance_before + l.amount,
                    term_id: l.term_id,
                    date: l.date,
                    time: l.time,
                    tac,
                    tac_ok: false,
                };
                clearing
                    .book_load_as(&r, MoveKind::PosLoad, &reference)
                    .map_err(s)?;
            }
            // Its CREDIT got no answer: the card's counters decide it.
            None => {
                let m = Move {
                    serial: l.serial,
                    kind: MoveKind::PosLoad,
                    counter: l.counter,
                    amount: l.amount,
                    term_id: l.term_id,
                    date: l.date,
                    time: l.time,
                    reference,
                };
                clearing
                    .ledger
                    .add_move(&m, MoveState::Pending)
                    .map_err(s)?;
            }
        }
    }
    let ids: Vec<i64> = loads.iter().map(|l| l.id).collect();
    journal.mark_loads_uploaded(&ids).map_err(s)?;
    Ok((topups, loads.len()))
}

/// Books the journal's loaded refunds against their sales: booked if the card's TAC verifies,
/// otherwise (the card showed the refund without its proof) held pending for the card to
/// decide. Returns how many were sent.
fn book_refunds(
    clearing: &mut ClearingHost<SqliteLedger>,
    journal: &Journal,
) -> Result<usize, String> {
    let refunds = journal.refunds_to_upload().map_err(s)?;
    for r in &refunds {
        let (Some(counter), Some(term_id), Some(date), Some(time)) =
            (r.counter, r.term_id, r.date, r.time)
        else {
            continue;
        };
        let reference = sale_reference(&r.sale.term_id, r.sale.ttc);
        match (r.tac, r.balance_before) {
            (Some(tac), Some(balance)) => {
                let l = LoadReceipt {
                    serial: r.sale.serial,
                    counter,
                    amount: r.amount,
                    balance_after: balance + r.amount,
                    term_id,
                    date,
                    time,
                    tac,
                    tac_ok: false,
                };
                clearing
                    .book_load_as(&l, MoveKind::Refund, &reference)
                    .map_err(s)?;
            }
            _ => {
                let m = Move {
                    serial: r.sale.serial,
                    kind: MoveKind::Refund,
                    counter,
                    amount: r.amount,
                    term_id,
                    date,
                    time,
                    reference,
                };
                clearing
                    .ledger
                    .add_move(&m, MoveState::Pending)
                    .map_err(s)?;
            }
        }
    }
    let ids: Vec<i64> = refunds.iter().map(|r| r.id).collect();
    journal.mark_refunds_uploaded(&ids).map_err(s)?;
    Ok(refunds.len())
}

/// Every refund the terminal journaled (not failed) with the sale it gives back and where the
/// clearing host has it (`booked`, `pending`, `void`, or not there).
fn refund_links(
    clearing: &mut ClearingHost<SqliteLedger>,
    journal: &Journal,
) -> Result<Vec<serde_json::Value>, String> {
    let mut out = Vec::new();
    for r in journal.refunds().map_err(s)? {
        if r.state == RefundState::Failed {
            continue;
        }
        let reference = sale_reference(&r.sale.term_id, r.sale.ttc);
        let at_host = clearing
            .ledger
            .moves(&r.sale.serial)
            .map_err(s)?
            .into_iter()
            .filter(|m| {
                m.m.kind == MoveKind::Refund
                    && m.m.reference == reference
                    && Some(m.m.counter) == r.counter
            })
            .map(|m| m.state.as_str())
            .find(|st| *st != "void")
            .unwrap_or("void");
        out.push(json!({
            "refund": r.id,
            "reference": reference,
            "amount_fen": r.amount,
            "counter": r.counter,
            "tac": r.tac.map(hex::encode_upper),
            "terminal_state": r.state.as_str(),
            "clearing_state": at_host,
            "sale": {
                "terminal": hex::encode_upper(r.sale.term_id),
                "ttc": r.sale.ttc,
                "serial": hex::encode_upper(r.sale.serial),
                "counter": r.sale.counter,
                "amount_fen": r.sale.amount,
                "tac": hex::encode_upper(r.sale.tac),
            },
        }));
    }
    Ok(out)
}

/// `settle --resolve ID --by WHO --why TEXT`.
fn resolve(a: &Args, id: i64) -> Result<ExitCode, String> {
    let mut ledger = SqliteLedger::open(&a.ledger).map_err(s)?;
    let (by, why) = (
        a.by.as_deref().unwrap_or(""),
        a.why.as_deref().unwrap_or(""),
    );
    if by.trim().is_empty() || why.trim().is_empty() {
        return Err(format!(
            "{}: --by and --why must say who resolves the rejection and why",
            Code::HRejected
        ));
    }
    let at = now_utc();
    if !ledger.resolve_rejection(id, by, &at, why).map_err(s)? {
        return Err(format!(
            "{}: there is no open rejection #{id} in {} (`stk-wallet settle` lists them)",
            Code::HRejected,
            a.ledger.display()
        ));
    }
    println!("rejection #{id} resolved by {by} at {at}: {why}");
    Ok(ExitCode::SUCCESS)
}

/// Now, UTC, as "YYYY-MM-DD HH:MM:SS".
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (d, t) = stk_wallet::pos::bcd_datetime(secs);
    format!(
        "{:02x}{:02x}-{:02x}-{:02x} {:02x}:{:02x}:{:02x}",
        d[0], d[1], d[2], d[3], t[0], t[1], t[2]
    )
}

/// Uploads the terminal's journal (twice with `--fault duplicate-upload`), then reconciles the
/// card. Exits 1 when a record is rejected or stays rejected without a resolution, or the card's
/// balance differs from the shadow balance by more than the named records explain.
pub fn run(a: Args) -> Result<ExitCode, String> {
    if let Some(id) = a.resolve {
        return resolve(&a, id);
    }
    let fault = a
        .fault
        .unwrap_or_default()
        .reaching("settle", &[Layer::Settlement])
        .map_err(s)?;
    let p = open::profile(&a.profile)?;
    let mut text = Vec::<String>::new();
    let home;
    let legacy;
    let mut in_doubt = 0;
    let journal: &Journal = match &a.journal {
        Some(path) => {
            legacy = Journal::open(path).map_err(s)?;
            text.push(format!("journal {} (a POS journal file)", path.display()));
            &legacy
        }
        None => {
            let dir;
            (dir, home) = open::existing_terminal(a.terminal.as_deref())?;
            text.push(format!(
                "terminal {} at {}",
                hex::encode_upper(home.term_id),
                dir.display()
            ));
            in_doubt = home.all_in_doubt().map_err(s)?.len();
            if in_doubt > 0 {
                text.push(format!(
                    "  {in_doubt} sale(s) still in doubt ({}): tap the card(s) again to complete them",
                    Code::PNoResponse
                ));
            }
            &home.journal
        }
    };
    let mut clearing = ClearingHost::new(
        IssuerHost::from_profile(&p),
        SqliteLedger::open(&a.ledger).map_err(s)?,
    );
    let serial = p.issuer.serial;
    clearing
        .ledger
        .open_card(&serial, p.purse.balance)
        .map_err(s)?;
    clearing
        .ledger
        .open_counters(&serial, p.purse.online_counter, p.purse.offline_counter)
        .map_err(s)?;
    let (topups, loads) = book_loads(&mut clearing, journal)?;
    let refunds = book_refunds(&mut clearing, journal)?;
    text.push(format!(
        "loads: {topups} integrated top-up(s), {loads} POS load(s) and {refunds} refund(s) sent"
    ));
    let upload = journal.sales_to_upload().map_err(s)?;
    let mut reports: Vec<SettleReport> = Vec::new();
    for round in 1..=SettlementFault::uploads(fault.settlement()) {
        let rep = clearing.settle(&upload).map_err(s)?;
        text.push(format!(
            "upload {round}: {} record(s), {} accepted, {} rejected{}",
            upload.len(),
            rep.accepted.len(),
            rep.rejected.len(),
            if rep.already.is_empty() {
                String::new()
            } else {
                format!(", {} settled by an earlier upload", rep.already.len())
            }
        ));
        for r in &rep.rejected {
            text.push(format!(
                "  rejected {} counter {} TTC {} ({}): {}",
                hex::encode_upper(r.record.serial),
                r.record.counter,
                r.record.ttc,
                r.code,
                r.reason
            ));
        }
        reports.push(rep);
    }
    journal.mark_uploaded(&upload).map_err(s)?;
    let refused: Vec<_> = reports
        .first()
        .map(|r| r.rejected.iter().map(|x| x.record.clone()).collect())
        .unwrap_or_default();
    journal.mark_rejected(&refused).map_err(s)?;

    let open_rejections = clearing.ledger.rejections(true).map_err(s)?;
    for r in &open_rejections {
        text.push(format!(
            "  open rejection #{}: {} counter {} TTC {} {} yuan ({}): {}; resolve with \
             `stk-wallet settle --resolve {} --by WHO --why TEXT`",
            r.id,
            hex::encode_upper(r.record.serial),
            r.record.counter,
            r.record.ttc,
            stk_wallet::pos::yuan(r.record.amount),
            r.code,
            r.reason,
            r.id
        ));
    }

    // The presented card.
    let view = card_view(&a.card);
    let rec: Option<Reconciliation> = match &view {
        Ok(v) => reconcile(&mut clearing.ledger, v).map_err(s)?,
        Err(_) => None,
    };
    match (&view, &rec) {
        (Err(e), _) => {
            let shadow = clearing.shadow(&serial).map_err(s)?;
            text.push(format!(
                "shadow balance {}; card balance ? (no card image: {e}); not reconciled",
                shadow.map_or("? (unknown card)".into(), signed_yuan)
            ));
        }
        (Ok(v), None) => text.push(format!(
            "card {} is unknown to the clearing host: not reconciled",
            hex::encode_upper(v.serial)
        )),
        (Ok(_), Some(r)) => text.extend(reconciliation_text(r)),
    }
    let links = refund_links(&mut clearing, journal)?;
    for l in &links {
        text.push(format!(
            "  refund {} of {} fen at card counter {} for {} ({} fen): {} at the clearing host",
            l["refund"],
            l["amount_fen"],
            l["counter"],
            l["reference"].as_str().unwrap_or(""),
            l["sale"]["amount_fen"],
            l["clearing_state"].as_str().unwrap_or("")
        ));
    }
    let rejected_now = reports.first().map_or(0, |r| r.rejected.len());
    let unexplained = rec.as_ref().is_some_and(|r| !r.explained);
    if a.json {
        println!(
            "{}",
            report_json(
                &reports,
                &upload.len(),
                &open_rejections,
                &rec,
                in_doubt,
                &links
            )
        );
    } else {
        for l in &text {
            println!("{l}");
        }
    }
    if rejected_now > 0 {
        eprintln!("{rejected_now} record(s) rejected: not paid to the merchant");
    }
    if !open_rejections.is_empty() {
        eprintln!(
            "{}: {} rejected record(s) not resolved",
            Code::HRejected,
            open_rejections.len()
        );
    }
    if unexplained {
        eprintln!(
            "{}: the card's balance differs from the shadow balance by more than the records named",
            Code::HUnexplained
        );
    }
    Ok(super::status(
        rejected_now == 0 && open_rejections.is_empty() && !unexplained,
    ))
}

fn reconciliation_text(r: &Reconciliation) -> Vec<String> {
    let mut t = vec![format!(
        "shadow balance {}; card balance {}",
        signed_yuan(r.shadow),
        signed_yuan(i64::from(r.card))
    )];
    for d in &r.decided {
        t.push(format!(
            "  {} {} yuan at counter {} ({}): {} ({})",
            d.kind,
            stk_wallet::pos::yuan(d.amount),
            d.counter,
            d.reference,
            d.state.as_str(),
            d.why
        ));
    }
    if r.difference == 0 && r.outstanding.is_empty() {
        t.push(format!(
            "card {}: reconciled, nothing outstanding",
            r.serial
        ));
        return t;
    }
    t.push(format!(
        "card {}: difference {} (shadow − card), {}:",
        r.serial,
        signed_yuan(r.difference),
        if r.explained {
            "explained by the records below"
        } else {
            "NOT explained"
        }
    ));
    for o in &r.outstanding {
        t.push(format!(
            "  {} counter {}: {}{} — {}",
            o.side,
            o.counter,
            o.amount.map_or("amount unknown".into(), |a| format!(
                "{} yuan",
                stk_wallet::pos::yuan(a)
            )),
            o.term_id
                .as_ref()
                .map(|x| format!(" at term {x}"))
                .unwrap_or_default(),
            o.why
        ));
    }
    for p in &r.phantom {
        t.push(format!("  {p}"));
    }
    t
}

fn rejection_json(r: &RejectionRow) -> serde_json::Value {
    json!({
        "id": r.id,
        "serial": hex::encode_upper(r.record.serial),
        "counter": r.record.counter,
        "ttc": r.record.ttc,
        "amount_fen": r.record.amount,
        "code": r.code.as_str(),
        "reason": r.reason,
    })
}

fn report_json(
    reports: &[SettleReport],
    records: &usize,
    open: &[RejectionRow],
    rec: &Option<Reconciliation>,
    in_doubt: usize,
    refunds: &[serde_json::Value],
) -> serde_json::Value {
    let uploads: Vec<_> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "upload": i + 1,
                "records": records,
                "accepted": r.accepted.len(),
                "already_settled": r.already.len(),
                "rejected": r.rejected.iter().map(|x| json!({
                    "serial": hex::encode_upper(x.record.serial),
                    "counter": x.record.counter,
                    "ttc": x.record.ttc,
                    "amount_fen": x.record.amount,
                    "code": x.code.as_str(),
                    "reason": x.reason,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "uploads": uploads,
        "sales_in_doubt": in_doubt,
        "open_rejections": open.iter().map(rejection_json).collect::<Vec<_>>(),
        "reconciliation": rec,
        "refunds": refunds,
    })
}
