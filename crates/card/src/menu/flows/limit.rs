//! Single-payment limit: shows the limit; a new one with the payment password.

use crate::menu::*;

/// Single-Payment Limit: shows the limit and offers to set a new one (amount, then the payment
/// password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    Shown,
    Amount,
    Pin(u32),
}

impl Limit {
    pub(crate) fn start(_: Lang, _: &View) -> Start {
        Start::Step(Limit::Shown.into())
    }
}

impl Steps for Limit {
    fn render(&self, l: Lang, v: &View) -> Proactive {
        match self {
            Limit::Shown => select(
                &format!("{} {}", l.s(Msg::Limit), amount_text(l, v.limit)),
                vec![Item::new(1, l.s(Msg::SetLimit))],
            ),
            Limit::Amount => amount(l, Msg::NewLimit),
            Limit::Pin(_) => password_input(l, false, Msg::EnterPayPassword),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            Limit::Shown => match a.item {
                Some(1) => Next::Go(Limit::Amount.into()),
                _ => Next::Retry(Msg::BadChoice),
            },
            Limit::Amount => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if fen > v.cap => Next::Say(format!(
                    "{} {}",
                    l.s(Msg::LimitOverCap),
                    amount_text(l, v.cap)
                )),
                Ok(fen) => Next::Go(Limit::Pin(fen).into()),
            },
            Limit::Pin(fen) => {
                if let Err(next) = password(a, false, Msg::Limit, w) {
                    return next;
                }
                match w.set_limit(fen) {
                    Ok(()) => {
                        Next::Result(format!("{} {}", l.s(Msg::LimitSet), amount_text(l, fen)))
                    }
                    Err(p) => Next::Problem(p, Msg::Limit),
                }
            }
        }
    }

    fn is_menu(&self) -> bool {
        matches!(self, Limit::Shown)
    }
}
