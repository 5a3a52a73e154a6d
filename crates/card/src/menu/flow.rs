//! Flows: what an entry does, one type per flow, its variants (or fields) its steps.

use super::*;

/// How a flow opens.
pub(crate) enum Start {
    /// At this step.
    Step(Flow),
    /// It only shows this text (a result, or why it cannot open), then the menu it was chosen
    /// from is shown again (the session ends if that was the SET UP MENU).
    Say(String),
}

/// The holder's answer to a step.
pub(crate) struct Answer {
    /// GET INPUT: what was typed.
    pub(crate) text: String,
    /// SELECT ITEM: the item chosen.
    pub(crate) item: Option<u8>,
    /// PROVIDE LOCAL INFORMATION: the handset's date and time (None: it gave none).
    pub(crate) time: Option<LocalTime>,
}

/// What the session does after a step's answer.
pub(crate) enum Next {
    /// Forward to this step; "back" returns to the one answered.
    Go(Flow),
    /// Forward to this step; "back" skips the one answered (not needed again).
    Replace(Flow),
    /// Bad input: say why, then ask the same again.
    Retry(Msg),
    /// Say this, then show the same step again.
    Say(String),
    /// Done or refused: say this, then return to the nearest menu above.
    Result(String),
    /// Say this, drop the step remembered before the answered one and ask this one instead.
    Restart(Msg, Flow),
    /// Say this, then the session ends.
    Finish(Msg),
    /// The wallet refused (in the flow named by the label): explained to the holder.
    Problem(Problem, Msg),
    /// Start the over-the-air exchange for this operation.
    Air(Ota),
    /// The handset answered this step of the exchange.
    Exchange(Air),
}

/// A flow's steps: how each is shown, and what the holder's answer to it does.
pub(crate) trait Steps {
    fn render(&self, l: Lang, v: &View) -> Proactive;
    /// The answer to this step (a success result: navigation is the session's).
    fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next;
    /// A list the holder comes back to after a result further down the flow.
    fn is_menu(&self) -> bool {
        false
    }
    /// The step of the over-the-air exchange it waits for, if it does.
    fn air(&self) -> Option<&Air> {
        None
    }
    /// Whether the step is PROVIDE LOCAL INFORMATION (a handset refusing it is not the holder
    /// leaving: the step goes on without the time).
    fn asks_time(&self) -> bool {
        false
    }
}

/// Declares [`Flow`], the flow a session is in: one variant per flow type, each wrapping the
/// type's step, and the dispatch of [`Steps`] to it.
macro_rules! flows {
    ($($flow:ident),* $(,)?) => {
        /// The flow a session is in, at one of its steps.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub(crate) enum Flow {
            $($flow($flow),)*
        }

        $(impl From<$flow> for Flow {
            fn from(step: $flow) -> Flow {
                Flow::$flow(step)
            }
        })*

        impl Flow {
            pub(crate) fn render(&self, l: Lang, v: &View) -> Proactive {
                match self {
                    $(Flow::$flow(s) => s.render(l, v),)*
                }
            }

            pub(crate) fn respond(self, a: &Answer, l: Lang, v: &View, w: &mut dyn Wallet) -> Next {
                match self {
                    $(Flow::$flow(s) => s.respond(a, l, v, w),)*
                }
            }

            pub(crate) fn is_menu(&self) -> bool {
                match self {
                    $(Flow::$flow(s) => s.is_menu(),)*
                }
            }

            pub(crate) fn air(&self) -> Option<&Air> {
                match self {
                    $(Flow::$flow(s) => s.air(),)*
                }
            }

            pub(crate) fn asks_time(&self) -> bool {
                match self {
                    $(Flow::$flow(s) => s.asks_time(),)*
                }
            }
        }
    };
}

flows!(
    TopUp,
    History,
    Bill,
    OpToggle,
    ChangePassword,
    Limit,
    Close,
    Balance
);

pub(crate) fn input(prompt: String, min: u8, max: u8, hidden: bool) -> Proactive {
    Proactive::GetInput {
        prompt,
        min,
        max,
        hidden,
        digits_only: true,
        help: false,
    }
}

pub(crate) fn select(title: &str, items: Vec<Item>) -> Proactive {
    Proactive::SelectItem {
        title: Some(title.into()),
        items,
        default_item: None,
        help: false,
    }
}

/// GET INPUT of an amount in yuan.
pub(crate) fn amount(l: Lang, prompt: Msg) -> Proactive {
    input(l.s(prompt).into(), 1, 10, false)
}

/// The password kinds: `(min, max, wrong length)`.
pub(crate) fn password_rules(operation: bool) -> (u8, u8, Msg) {
    if operation {
        (4, 12, Msg::BadOpPassword)
    } else {
        (6, 6, Msg::BadPayPassword)
    }
}

/// GET INPUT of a password (hidden digits).
pub(crate) fn password_input(l: Lang, operation: bool, prompt: Msg) -> Proactive {
    let (min, max, _) = password_rules(operation);
    input(l.s(prompt).into(), min, max, true)
}

/// Checks that `text` has the password's form: `Err` is what to do instead.
pub(crate) fn password_form(text: &str, operation: bool) -> Result<(), Next> {
    let (min, max, wrong_length) = password_rules(operation);
    match check_digits(text, min.into(), max.into(), wrong_length) {
        Some(m) => Err(Next::Retry(m)),
        None => Ok(()),
    }
}

/// Checks the typed password with the wallet (spending a try); `context` names the flow for
/// the explanation of a refusal. `Err` is what to do instead.
pub(crate) fn password(
    a: &Answer,
    operation: bool,
    context: Msg,
    w: &mut dyn Wallet,
) -> Result<(), Next> {
    password_form(&a.text, operation)?;
    w.check_password(operation, &a.text)
        .map_err(|p| Next::Problem(p, context))
}

/// Balance: the offline balance, "as of" the handset's time when the handset can tell it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Balance;

impl Balance {
    /// A handset with PROVIDE LOCAL INFORMATION (date, time) is asked the time first; any
    /// other is shown the balance at once, without a time.
    pub(crate) fn start(l: Lang, v: &View) -> Start {
        if v.clock {
            Start::Step(Balance.into())
        } else {
            Start::Say(balance_text(l, v, None))
        }
    }
}

/// `Balance 100.00 yuan`, with `(as of 2026-11-30 22:05)` when the time is known.
pub(crate) fn balance_text(l: Lang, v: &View, time: Option<&LocalTime>) -> String {
    let mut s = format!("{} {}", l.s(Msg::BalanceIs), amount_text(l, v.balance));
    if let Some(t) = time {
        s.push_str(&format!(" ({} {})", l.s(Msg::AsOf), t.minutes()));
    }
    s
}

impl Steps for Balance {
    fn render(&self, _: Lang, _: &View) -> Proactive {
        Proactive::ProvideLocalTime
    }

    /// The handset's answer to PROVIDE LOCAL INFORMATION: a success with its time, or (see
    /// [`Session::respond`]) a refusal, after which the balance is shown without a time.
    fn respond(self, a: &Answer, l: Lang, v: &View, _: &mut dyn Wallet) -> Next {
        Next::Result(balance_text(l, v, a.time.as_ref()))
    }

    fn asks_time(&self) -> bool {
        true
    }
}

/// A closed wallet's only item: it says so.
pub(crate) fn closed(l: Lang, _: &View) -> Start {
    Start::Say(l.s(Msg::WalletIsClosed).into())
}
