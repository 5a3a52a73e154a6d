//! Close Wallet: only with a zero balance, after a confirmation.

use crate::menu::*;

/// Close Wallet: only at a zero balance, after a confirmation item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Close;

impl Close {
    pub(crate) fn start(l: Lang, v: &View) -> Start {
        if v.balance != 0 {
            return Start::Say(format!(
                "{} {}",
                l.s(Msg::CloseNeedsZero),
                amount_text(l, v.balance)
            ));
        }
        Start::Step(Close.into())
    }
}

impl Steps for Close {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        select(
            l.s(Msg::CloseWallet),
            vec![Item::new(1, l.s(Msg::ConfirmClose))],
        )
    }

    fn respond(self, a: &Answer, _: Lang, _: &View, w: &mut dyn Wallet) -> Next {
        match a.item {
            Some(1) => match w.close_wallet() {
                Ok(()) => Next::Finish(Msg::ClosedDone),
                Err(p) => Next::Problem(p, Msg::CloseWallet),
            },
            _ => Next::Retry(Msg::BadChoice),
        }
    }
}
