//! Executing steps: raw APDUs, the symbolic steps (select, verify, power cycle), and the whole
//! POS flows (purchase, load, balance, history) with the simulated PSAM and issuer host.

use super::ctx::{Ctx, iface_of};
use super::expect::{diff_marker, explain, fail, history_matches, sw_spec};
use super::{Exchange, Failure, is_target_code};
use crate::apdu::ResponseApdu;
use crate::card::Interface;
use crate::card::command::Command;
use crate::card::state::LOG_RECORDS;
use crate::decode::spaced;
use crate::errors::{Code, Reason};
use crate::format::{Action, BalanceExpect, HistoryExpect, Masked, StepSpec};
use crate::pos::{Pos, PosError};
use crate::sw::Sw;
use crate::transport::sim::SimPsam;
use crate::transport::{Transport, TransportError};

pub(super) fn run_steps(
    ctx: &mut Ctx,
    steps: &[StepSpec],
    prefix: &str,
    count: &mut usize,
) -> Result<(), Box<Failure>> {
    for (i, s) in steps.iter().enumerate() {
        let at = format!("{prefix}{}", i + 1);
        if let Err(l) = ctx.check_limits() {
            let f = fail(
                &at,
                s,
                "(not run)".into(),
                "a run within its limits".into(),
                l.clone(),
            );
            ctx.limit = Some(l);
            return Err(f);
        }
        *count += 1;
        run_step(ctx, s, &at, count)?;
    }
    Ok(())
}

fn run_step(ctx: &mut Ctx, s: &StepSpec, at: &str, count: &mut usize) -> Result<(), Box<Failure>> {
    let action = s
        .action()
        .map_err(|e| fail(at, s, "?".into(), "a valid step".into(), e))?;
    let iface = iface_of(s.interface, ctx.iface);
    match action {
        Action::Repeat(n, inner) => {
            for round in 1..=n {
                run_steps(ctx, &inner, &format!("{at}."), count).map_err(|mut f| {
                    f.step = format!("{}#{round}", f.step);
                    f
                })?;
            }
            Ok(())
        }
        Action::Apdu(cmd) => raw(
            ctx,
            s,
            at,
            iface,
            cmd,
            format!(
                "apdu {}",
                spaced(
                    &s.apdu
                        .as_deref()
                        .map(crate::hexser::decode)
                        .and_then(Result::ok)
                        .unwrap_or_default()
                )
            ),
        ),
        Action::Select => {
            let cmd = Command::Select {
                name: ctx.profile.wallet_aid.clone(),
                want_fci: true,
            }
            .to_bytes();
            raw(ctx, s, at, iface, cmd, "select wallet".into())
        }
        Action::Verify(pin) => {
            if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(
                    at,
                    s,
                    format!("verify {pin}"),
                    "6 digits".into(),
                    "a malformed password in the vector".into(),
                ));
            }
            let cmd = Command::Verify {
                pin: Some(crate::card::pin_bcd(&pin)),
            }
            .to_bytes();
            raw(ctx, s, at, iface, cmd, format!("verify {pin}"))
        }
        Action::PowerCycle => {
            // A vector's power cycle is the whole card's: with the other interface in a second
            // reader, that reader powers it off and on too (as the simulator's power cycle).
            let other = match ctx.other.as_mut() {
                Some((i, t)) if *i != iface => t.reset().err(),
                _ => None,
            };
            if other.is_none()
                && let Some((i, _)) = ctx.other.as_ref()
                && *i == iface
                && let Some(t) = ctx.external.as_mut()
            {
                let _ = t.reset();
            }
            let atr = match other {
                Some(e) => Err(e),
                None => ctx.transport(iface).reset(),
            };
            // An empty command in the transcript is a power cycle (its response: the ATR).
            ctx.transcript.push(Exchange {
                step: "power cycle".into(),
                command: Vec::new(),
                response: atr.as_ref().ok().cloned(),
            });
            let expect_atr = ctx.profile.atr.clone();
            match atr {
                Ok(a) if ctx.sim.is_none() || a == expect_atr => Ok(()),
                Ok(a) => Err(fail(
                    at,
                    s,
                    "power cycle".into(),
                    format!("ATR {}", spaced(&expect_atr)),
                    format!("ATR {}", spaced(&a)),
                )),
                Err(e) => {
                    let mut f = fail(at, s, "power cycle".into(), "an ATR".into(), e.to_string());
                    f.code = Code::PReader;
                    f.reason = Some(Code::PReader.into());
                    f.explanation = explain(Code::PReader);
                    Err(f)
                }
            }
        }
        Action::Purchase(amount) => {
            let r = pos_flow(ctx, s, iface, |pos, _| {
                pos.purchase(amount).map(|rec| {
                    (
                        rec.serial,
                        rec.amount,
                        rec.term_id,
                        rec.ttc,
                        rec.date,
                        rec.time,
                        rec.tac,
                    )
                })
            });
            let host = ctx.host.clone();
            check_flow(ctx, s, at, format!("purchase {amount}"), r, |x| {
                let (serial, amount, term, ttc, date, time, tac) = x;
                host.purchase_tac_ok(&serial, amount, &term, ttc, &date, &time, tac)
                    .then_some(())
                    .ok_or_else(|| {
                        format!(
                            "TAC {} does not verify with the issuer's keys",
                            hex::encode_upper(tac)
                        )
                    })
            })
        }
        Action::Load(amount) => {
            let pin = s
                .pin
                .clone()
                .unwrap_or_else(|| ctx.profile.passwords.payment.clone());
            let host = ctx.host.clone();
            let r = pos_flow(ctx, s, iface, |pos, _| pos.load(&host, amount, &pin));
            check_flow(ctx, s, at, format!("load {amount}"), r, |rec| {
                if rec.tac_ok {
                    Ok(())
                } else {
                    Err(format!(
                        "load TAC {} does not verify with the issuer's keys",
                        hex::encode_upper(rec.tac)
                    ))
                }
            })
        }
        Action::Snapshot => {
            let balance = pos_flow(ctx, s, iface, |pos, _| pos.balance())
                .map_err(|e| flow_error(ctx, s, at, "snapshot".into(), "9000".into(), e))?;
            let log = pos_flow(ctx, s, iface, |pos, _| pos.history())
                .map_err(|e| flow_error(ctx, s, at, "snapshot".into(), "9000".into(), e))?;
            ctx.snapshot = Some(Snapshot { balance, log });
            Ok(())
        }
        Action::Balance(want) => {
            let want = match want {
                BalanceExpect::Exact(b) => Expected::new(i64::from(b), format!("balance {b}")),
                BalanceExpect::Delta(d) => {
                    let snap = snapshot(ctx, s, at, "balance")?;
                    let base = i64::from(snap.balance);
                    let how = if d == 0 {
                        format!("balance {base} (unchanged since the snapshot)")
                    } else {
                        format!(
                            "balance {} (the snapshot's {base} {} {})",
                            base + d,
                            if d < 0 { "-" } else { "+" },
                            d.unsigned_abs()
                        )
                    };
                    Expected::new(base + d, how)
                }
            };
            let r = pos_flow(ctx, s, iface, |pos, _| pos.balance());
            match r {
                Ok(b) if i64::from(b) == want.value => Ok(()),
                Ok(b) => Err(fail(
                    at,
                    s,
                    "balance".into(),
                    want.text,
                    format!("balance {b}"),
                )),
                Err(e) => Err(flow_error(ctx, s, at, "balance".into(), "9000".into(), e)),
            }
        }
        Action::History(want) => {
            // The expected log: the records the step names, then (relative to a snapshot) the
            // snapshot's records, record for record, as many as the log still keeps.
            let (specs, kept) = match want {
                HistoryExpect::Exact(h) => (h, Vec::new()),
                HistoryExpect::SinceSnapshot(new) => {
                    let snap = snapshot(ctx, s, at, "history")?;
                    let room = LOG_RECORDS.saturating_sub(new.len());
                    let kept: Vec<_> = snap.log.iter().take(room).cloned().collect();
                    (new, kept)
                }
            };
            let r = pos_flow(ctx, s, iface, |pos, _| pos.history());
            let got = r.map_err(|e| flow_error(ctx, s, at, "history".into(), "9000".into(), e))?;
            let render = |h: &[crate::pos::HistoryEntry]| {
                h.iter()
                    .map(|e| format!("{} {}", e.kind(), e.amount))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut want_s = specs
                .iter()
                .map(|w| format!("{} {}", w.tx_type, w.amount))
                .collect::<Vec<_>>();
            if !kept.is_empty() {
                want_s.push(format!("then the snapshot's {}", render(&kept)));
            }
            let ok = got.len() == specs.len() + kept.len()
                && got.iter().zip(&specs).all(|(g, w)| history_matches(g, w))
                && got[specs.len()..] == kept[..];
            if ok {
                Ok(())
            } else {
                Err(fail(
                    at,
                    s,
                    "history".into(),
                    format!("[{}]", want_s.join(", ")),
                    format!("[{}]", render(&got)),
                ))
            }
        }
    }
}

/// What a relative step compares against: the card's balance and log at the last `snapshot`.
#[derive(Clone, Debug)]
pub(super) struct Snapshot {
    pub(super) balance: u32,
    pub(super) log: Vec<crate::pos::HistoryEntry>,
}

/// An expected value and how to say it.
struct Expected {
    value: i64,
    text: String,
}

impl Expected {
    fn new(value: i64, text: String) -> Expected {
        Expected { value, text }
    }
}

/// The last snapshot, for a relative step (the loader checks that one comes first in the file;
/// one inside a repeat that ran no round is not taken).
fn snapshot(ctx: &Ctx, s: &StepSpec, at: &str, what: &str) -> Result<Snapshot, Box<Failure>> {
    ctx.snapshot.clone().ok_or_else(|| {
        fail(
            at,
            s,
            what.into(),
            "a snapshot taken before".into(),
            "no snapshot step ran before this relative step".into(),
        )
    })
}

type Flow<'t> = Pos<Box<dyn Transport + 't>, &'t mut SimPsam>;

fn pos_flow<R>(
    ctx: &mut Ctx,
    s: &StepSpec,
    iface: Interface,
    f: impl FnOnce(&mut Flow, ()) -> Result<R, PosError>,
) -> Result<R, PosError> {
    let aid = ctx.profile.wallet_aid.clone();
    let clock = ctx.clock;
    let mut psam = ctx.psam.clone();
    let (r, trace) = {
        let t = ctx.transport(iface);
        let mut pos: Flow = Pos::new(t, &mut psam, clock, aid);
        pos.purchase_key_index = s.key_index.unwrap_or(1);
        pos.load_key_index = s.key_index.unwrap_or(1);
        let r = f(&mut pos, ());
        (r, pos.trace)
    };
    let label = s.note.clone().unwrap_or_default();
    ctx.transcript.extend(
        trace
            .0
            .into_iter()
            .filter(|e| e.device == crate::pos::Device::Card)
            .map(|e| Exchange {
                step: format!("{label} {}", e.step).trim().to_string(),
                command: e.command,
                response: e.response,
            }),
    );
    r
}

fn flow_error(
    ctx: &Ctx,
    s: &StepSpec,
    at: &str,
    action: String,
    expected: String,
    e: PosError,
) -> Box<Failure> {
    let code = e.code();
    let mut f = fail(at, s, action, expected, format!("{code} ({e})"));
    f.code = match code {
        Reason::Sw(_) => Code::VSw,
        Reason::Code(c) if is_target_code(c) => c,
        Reason::Code(_) => Code::VMismatch,
    };
    f.reason = Some(code);
    f.explanation = explain(code);
    f.card_reason = ctx.card_reason();
    f
}

fn check_flow<R>(
    ctx: &mut Ctx,
    s: &StepSpec,
    at: &str,
    action: String,
    r: Result<R, PosError>,
    verify: impl FnOnce(R) -> Result<(), String>,
) -> Result<(), Box<Failure>> {
    let want = sw_spec(s);
    match r {
        Ok(x) => {
            if !want.accepts(Sw::OK) {
                let mut f = fail(
                    at,
                    s,
                    action,
                    want.describe(),
                    "9000 (the flow completed)".into(),
                );
                f.reason = Some(Sw::OK.into());
                f.explanation = explain(Sw::OK);
                return Err(f);
            }
            verify(x).map_err(|why| fail(at, s, action, "a verifiable transaction".into(), why))
        }
        Err(e) => {
            // A card refusal the POS names with its own code (9403 as P-KEY-VERSION) still
            // matches a vector that expects the card's status word.
            if want.accepts(e.code()) || e.card_sw().is_some_and(|sw| want.accepts(sw)) {
                Ok(())
            } else {
                Err(flow_error(ctx, s, at, action, want.describe(), e))
            }
        }
    }
}

fn raw(
    ctx: &mut Ctx,
    s: &StepSpec,
    at: &str,
    iface: Interface,
    cmd: Vec<u8>,
    action: String,
) -> Result<(), Box<Failure>> {
    let r = ctx.transport(iface).transmit_raw(&cmd);
    ctx.transcript.push(Exchange {
        step: s.note.clone().unwrap_or_else(|| action.clone()),
        command: cmd.clone(),
        response: r.as_ref().ok().cloned(),
    });
    let want_sw = sw_spec(s);
    let raw = match r {
        Ok(b) => b,
        Err(e) => {
            let code = if e == TransportError::NoResponse {
                Code::PNoResponse
            } else {
                Code::PReader
            };
            if want_sw.accepts(code) {
                return Ok(());
            }
            let mut f = fail(at, s, action, want_sw.describe(), format!("{code} ({e})"));
            f.code = code;
            f.reason = Some(code.into());
            f.explanation = explain(code);
            return Err(f);
        }
    };
    let Some(resp) = ResponseApdu::parse(&raw) else {
        let mut f = fail(
            at,
            s,
            action,
            want_sw.describe(),
            format!("malformed response {}", spaced(&raw)),
        );
        f.code = Code::PReader;
        f.reason = Some(Code::PReader.into());
        f.explanation = explain(Code::PReader);
        return Err(f);
    };
    let sw_ok = want_sw.accepts(resp.sw);
    let expect = s
        .expect
        .as_deref()
        .map(Masked::parse)
        .transpose()
        .unwrap_or(None);
    let data_ok = expect.as_ref().is_none_or(|m| m.matches(&resp.data));
    if sw_ok && data_ok {
        return Ok(());
    }
    let mut f = fail(at, s, action.clone(), String::new(), String::new());
    if !sw_ok {
        f.code = Code::VSw;
        f.expected = format!("SW {}", want_sw.describe());
        f.actual = format!("SW {}", resp.sw);
    }
    if let Some(m) = expect.as_ref().filter(|_| !data_ok) {
        let sep = if f.expected.is_empty() { "" } else { "; " };
        f.expected = format!("{}{sep}data {}", f.expected, m.render());
        f.actual = format!("{}{sep}data {}", f.actual, spaced(&resp.data));
        f.diff = Some(diff_marker(m, &resp.data));
        f.bytes = Some((m.clone(), resp.data.clone()));
    }
    let why: Reason = if sw_ok {
        Code::VMismatch.into()
    } else {
        resp.sw.into()
    };
    f.reason = Some(why);
    f.explanation = explain(why);
    f.card_reason = ctx.card_reason();
    Err(f)
}
