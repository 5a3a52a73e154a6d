//! Change the operation or the payment password: old, new, new again.

use crate::menu::*;

/// Change the operation or the payment password: old, new, new again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangePassword {
    /// The operation password (else the payment password).
    pub(crate) operation: bool,
    pub(crate) step: Change,
}

/// The steps of [`ChangePassword`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Old,
    New,
    /// The new password again; the first entry.
    Again(String),
}

impl ChangePassword {
    pub(crate) fn operation(_: Lang, _: &View) -> Start {
        Start::Step(ChangePassword::at(true, Change::Old))
    }

    pub(crate) fn payment(_: Lang, _: &View) -> Start {
        Start::Step(ChangePassword::at(false, Change::Old))
    }

    pub(crate) fn at(operation: bool, step: Change) -> Flow {
        ChangePassword { operation, step }.into()
    }

    /// The flow's name for explanations, and its result.
    pub(crate) fn words(&self) -> (Msg, Msg) {
        if self.operation {
            (Msg::OpPassword, Msg::OpChanged)
        } else {
            (Msg::ChangePayPassword, Msg::PayChanged)
        }
    }
}

impl Steps for ChangePassword {
    fn render(&self, l: Lang, _: &View) -> Proactive {
        let prompt = match (self.operation, &self.step) {
            (true, Change::Old) => Msg::EnterOpPassword,
            (true, Change::New) => Msg::NewOpPassword,
            (true, Change::Again(_)) => Msg::NewOpPasswordAgain,
            (false, Change::Old) => Msg::EnterPayPassword,
            (false, Change::New) => Msg::NewPayPassword,
            (false, Change::Again(_)) => Msg::NewPayPasswordAgain,
        };
        password_input(l, self.operation, prompt)
    }

    fn respond(self, a: &Answer, l: Lang, _: &View, w: &mut dyn Wallet) -> Next {
        let op = self.operation;
        let (context, done) = self.words();
        match self.step {
            Change::Old => match password(a, op, context, w) {
                Err(next) => next,
                // The old password is not needed again: "back" from here returns to the menu.
                Ok(()) => Next::Replace(ChangePassword::at(op, Change::New)),
            },
            Change::New => match password_form(&a.text, op) {
                Err(next) => next,
                Ok(()) => Next::Go(ChangePassword::at(op, Change::Again(a.text.clone()))),
            },
            Change::Again(first) => {
                if a.text != first {
                    return Next::Restart(Msg::Mismatch, ChangePassword::at(op, Change::New));
                }
                match w.set_password(op, &a.text) {
                    Ok(()) => Next::Result(l.s(done).into()),
                    Err(p) => Next::Problem(p, context),
                }
            }
        }
    }
}
