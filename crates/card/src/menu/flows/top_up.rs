//! Top Up: an amount, the payment password, then the over-the-air load.

use crate::menu::*;

/// Top Up: amount, payment password, then the over-the-air load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TopUp {
    Amount,
    Pin(u32),
    Air(Air),
}

impl TopUp {
    pub(crate) fn start(l: Lang, v: &View) -> Start {
        if !v.bip {
            return Start::Say(l.s(Msg::NoBip).into());
        }
        if v.cancelled {
            return Start::Say(l.s(Msg::NumberCancelled).into());
        }
        Start::Step(TopUp::Amount.into())
    }
}

impl Steps for TopUp {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        match self {
            TopUp::Amount => amount(l, Msg::TopUpAmount),
            TopUp::Pin(_) => password_input(l, false, Msg::EnterPayPassword),
            TopUp::Air(step) => step.render(),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            TopUp::Amount => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if u64::from(v.balance) + u64::from(fen) > u64::from(v.cap) => {
                    Next::Say(format!(
                        "{} {}",
                        l.s(Msg::OverCap),
                        amount_text(l, v.cap.saturating_sub(v.balance))
                    ))
                }
                Ok(fen) => Next::Go(TopUp::Pin(fen).into()),
            },
            TopUp::Pin(fen) => match password(a, false, Msg::TopUp, w) {
                Err(next) => next,
                Ok(()) => Next::Air(Ota::TopUp { fen }),
            },
            TopUp::Air(step) => Next::Exchange(step),
        }
    }

    fn air(&self) -> Option<&Air> {
        match self {
            TopUp::Air(step) => Some(step),
            _ => None,
        }
    }
}
