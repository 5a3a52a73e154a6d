//! Pay Phone Bill: a phone number, an amount, the payment password, then the over-the-air payment.

use crate::menu::*;
use stk_domain::numbering::bill_payable;

/// Pay Phone Bill: phone number, amount, payment password, then the over-the-air payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bill {
    Phone,
    Amount(String),
    Pin(String, u32),
    Air(Air),
}

impl Bill {
    pub(crate) fn start(l: Lang, v: &View) -> Start {
        if !v.bip {
            return Start::Say(l.s(Msg::NoBip).into());
        }
        Start::Step(Bill::Phone.into())
    }
}

impl Steps for Bill {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        match self {
            Bill::Phone => input(l.s(Msg::PhoneNumber).into(), 11, 11, false),
            Bill::Amount(_) => amount(l, Msg::BillAmount),
            Bill::Pin(..) => password_input(l, false, Msg::EnterPayPassword),
            Bill::Air(step) => step.render(),
        }
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        match self {
            Bill::Phone => {
                let text = &a.text;
                if text.len() != 11
                    || !text.starts_with('1')
                    || !text.bytes().all(|b| b.is_ascii_digit())
                {
                    return Next::Retry(Msg::BadPhone);
                }
                // The handbook: bills of China Mobile numbers only (the numbering plan's
                // prefixes, one table in stk_domain::numbering). The holder stays in the flow
                // and may key another number.
                if !bill_payable(text) {
                    return Next::Retry(Msg::NotChinaMobile);
                }
                Next::Go(Bill::Amount(text.clone()).into())
            }
            // The single-payment limit is the limit of one contactless purchase (§1, §7): a
            // bill is bounded by the balance only.
            Bill::Amount(phone) => match parse_yuan(&a.text) {
                Err(m) => Next::Retry(m),
                Ok(fen) if fen > v.balance => {
                    Next::Say(format!("{} (9401)", l.s(Msg::Insufficient)))
                }
                Ok(fen) => Next::Go(Bill::Pin(phone, fen).into()),
            },
            Bill::Pin(phone, fen) => match password(a, false, Msg::PayBill, w) {
                Err(next) => next,
                Ok(()) => Next::Air(Ota::Bill { phone, fen }),
            },
            Bill::Air(step) => Next::Exchange(step),
        }
    }

    fn air(&self) -> Option<&Air> {
        match self {
            Bill::Air(step) => Some(step),
            _ => None,
        }
    }
}
