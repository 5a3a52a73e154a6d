//! Operation password on/off: asks the current operation password.

use crate::menu::*;

/// Operation password, Enable/Disable: the current operation password, then the switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpToggle;

impl OpToggle {
    pub(crate) fn start(_: Lang, _: &View) -> Start {
        Start::Step(OpToggle.into())
    }
}

impl Steps for OpToggle {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        password_input(l, true, Msg::EnterOpPassword)
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
        if let Err(next) = password(a, true, Msg::OpPassword, w) {
            return next;
        }
        let on = !v.op_enabled;
        if let Err(p) = w.set_operation_enabled(on) {
            return Next::Problem(p, Msg::OpPassword);
        }
        Next::Result(l.s(if on { Msg::OpNowOn } else { Msg::OpNowOff }).into())
    }
}
