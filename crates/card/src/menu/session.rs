//! The session: navigation between menus and flow steps.

use super::*;

/// A screen of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Screen {
    /// The operation password, asked before the SET UP MENU entry with this identifier.
    Gate(u8),
    /// A SELECT ITEM list of menu entries.
    Menu(Menu),
    /// A step of a flow (a step of the over-the-air exchange is never on the stack).
    Flow(Flow),
    /// PROVIDE LOCAL INFORMATION while the payment password is locked: the wallet learns the
    /// handset's time (to stamp the lock, or to lift it 24 hours later); then the SET UP MENU
    /// entry with this identifier opens as usual, or (`None`, asked right after the password
    /// locked) the session says it is locked and ends.
    Clock(Option<u8>),
    /// A DISPLAY TEXT; after it, `resume` (or the end of the session).
    Message {
        text: String,
        resume: Option<Box<Screen>>,
    },
}

impl Screen {
    pub(crate) fn is_menu(&self) -> bool {
        match self {
            Screen::Menu(_) => true,
            Screen::Flow(f) => f.is_menu(),
            Screen::Gate(_) | Screen::Clock(_) | Screen::Message { .. } => false,
        }
    }
}

/// What the card does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Show(Proactive),
    End,
}

/// An open menu session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub(crate) lang: Lang,
    pub(crate) stack: Vec<Screen>,
    pub(crate) current: Screen,
    /// The item last chosen on each SELECT ITEM list of the session: offered as its default
    /// item when the list is shown again (back, or after a result), as a phone's cursor stays.
    pub(crate) chosen: Vec<(Menu, u8)>,
}

impl Session {
    /// A MENU SELECTION of `item` from the SET UP MENU. `None`: not an item of the menu.
    pub fn start(lang: Lang, item: u8, w: &mut dyn Wallet) -> Option<(Session, Reply)> {
        let view = w.view();
        Menu::top(&view).entry(item)?;
        let mut s = Session {
            lang,
            stack: Vec::new(),
            current: Screen::Gate(item),
            chosen: Vec::new(),
        };
        let reply = if view.open && view.pay_locked && view.clock {
            s.current = Screen::Clock(Some(item));
            s.show(&view)
        } else {
            s.begin(item, &view)
        };
        Some((s, reply))
    }

    /// The start of a session on SET UP MENU entry `item`: the operation password if it is on.
    fn begin(&mut self, item: u8, view: &View) -> Reply {
        self.current = Screen::Gate(item);
        if !view.open {
            self.enter(item, view)
        } else if view.op_enabled && view.op_tries_left == 0 {
            self.message(Msg::MenuLocked, None, view)
        } else if view.op_enabled {
            self.show(view)
        } else {
            self.enter(item, view)
        }
    }

    /// Enters the SET UP MENU entry `item` (the operation password, if on, was given).
    pub(crate) fn enter(&mut self, item: u8, v: &View) -> Reply {
        match Menu::top(v).entry(item) {
            Some(e) => self.open(e, v),
            None => Reply::End,
        }
    }

    /// Opens the chosen entry, from the SELECT ITEM list shown (or from the SET UP MENU).
    pub(crate) fn open(&mut self, e: &Entry, v: &View) -> Reply {
        match e.opens {
            Opens::Menu(m) => self.go(Screen::Menu(m), v),
            Opens::Flow(start) => match start(self.lang, v) {
                Start::Step(f) => self.go(Screen::Flow(f), v),
                Start::Say(text) => {
                    let here =
                        matches!(self.current, Screen::Menu(_)).then(|| self.current.clone());
                    self.say(text, here, v)
                }
            },
        }
    }

    pub(crate) fn t(&self, m: Msg) -> String {
        self.lang.s(m).into()
    }

    /// The proactive command for the current screen.
    pub(crate) fn render(&self, v: &View) -> Proactive {
        let help = self.help_available();
        self.render_screen(v).with_help(help)
    }

    fn render_screen(&self, v: &View) -> Proactive {
        let l = self.lang;
        match &self.current {
            Screen::Gate(_) => password_input(l, true, Msg::EnterOpPassword),
            Screen::Clock(_) => Proactive::ProvideLocalTime,
            Screen::Menu(m) => match select(l.s(m.title()), m.items(l)) {
                Proactive::SelectItem {
                    title, items, help, ..
                } => Proactive::SelectItem {
                    title,
                    items,
                    default_item: self.chosen.iter().find(|(c, _)| c == m).map(|&(_, id)| id),
                    help,
                },
                other => other,
            },
            Screen::Flow(f) => f.render(l, v),
            Screen::Message { text, .. } => Proactive::DisplayText {
                text: text.clone(),
                high_priority: false,
                wait_for_user: true,
            },
        }
    }

    pub(crate) fn show(&self, v: &View) -> Reply {
        Reply::Show(self.render(v))
    }

    /// Moves forward to `next` (the current screen is remembered for "back").
    pub(crate) fn go(&mut self, next: Screen, v: &View) -> Reply {
        let prev = std::mem::replace(&mut self.current, next);
        if !matches!(
            prev,
            Screen::Message { .. } | Screen::Gate(_) | Screen::Clock(_)
        ) {
            self.stack.push(prev);
        }
        self.show(v)
    }

    /// Goes back one screen; ends the session from the first one.
    pub(crate) fn back(&mut self, v: &View) -> Reply {
        match self.stack.pop() {
            Some(s) => {
                self.current = s;
                self.show(v)
            }
            None => Reply::End,
        }
    }

    /// Shows `text`; after it, `resume` (None: the session ends).
    pub(crate) fn say(&mut self, text: String, resume: Option<Screen>, v: &View) -> Reply {
        self.current = Screen::Message {
            text,
            resume: resume.map(Box::new),
        };
        self.show(v)
    }

    pub(crate) fn message(&mut self, m: Msg, resume: Option<Screen>, v: &View) -> Reply {
        let text = self.t(m);
        self.say(text, resume, v)
    }

    /// Bad input: say why, then ask the same thing again.
    pub(crate) fn retry(&mut self, m: Msg, v: &View) -> Reply {
        let again = self.current.clone();
        self.message(m, Some(again), v)
    }

    /// A result: say it, then return to the nearest menu above (or end).
    pub(crate) fn result(&mut self, text: String, v: &View) -> Reply {
        while let Some(s) = self.stack.pop() {
            if s.is_menu() {
                return self.say(text, Some(s), v);
            }
        }
        self.say(text, None, v)
    }

    /// A refused operation, explained.
    pub(crate) fn problem(
        &mut self,
        p: Problem,
        context: Msg,
        w: &dyn Wallet,
    ) -> Result<Reply, Problem> {
        let v = w.view();
        let l = self.lang;
        let text = match p {
            Problem::Torn => return Err(Problem::Torn),
            Problem::Network(why) => format!("{} ({why})", l.s(Msg::NetworkError)),
            Problem::Card(sw) => match sw.0 {
                // The handset is asked the time first, so the lock is stamped when it happens.
                0x6983 if v.clock && v.pay_locked => {
                    self.current = Screen::Clock(None);
                    return Ok(self.show(&v));
                }
                0x6983 => return Ok(self.message(Msg::PasswordLocked, None, &v)),
                0x9405 => l.s(Msg::NumberCancelled).to_string(),
                0x63C0..=0x63CF => {
                    let text = l.wrong_password(sw.0 as u8 & 0x0F);
                    let again = self.current.clone();
                    return Ok(self.say(text, Some(again), &v));
                }
                0x6A81 => l.s(Msg::WalletIsClosed).into(),
                0x9401 => format!("{} (9401)", l.s(Msg::Insufficient)),
                0x6985 if context == Msg::TopUp => {
                    format!(
                        "{} {} (6985)",
                        l.s(Msg::OverCap),
                        amount_text(l, v.cap.saturating_sub(v.balance))
                    )
                }
                _ => format!("{} ({sw})", l.s(Msg::Refused)),
            },
        };
        Ok(self.result(text, &v))
    }

    /// The holder answered the current screen.
    pub fn respond(&mut self, tr: &TerminalResponse, w: &mut dyn Wallet) -> Result<Reply, Problem> {
        let v = w.view();
        // A step of the over-the-air exchange reads the handset's result itself.
        let exchange = matches!(&self.current, Screen::Flow(f) if f.air().is_some());
        // A handset that cannot give its time (any result but success, "back", "end" or a
        // time-out) is answered without it.
        let asks_time = matches!(&self.current, Screen::Flow(f) if f.asks_time())
            || matches!(&self.current, Screen::Clock(_));
        // Help asked on a screen that offers it: its help, then the same screen again (a list
        // of entries comes back with the item asked about as its default item).
        if tr.result == ResultCode::HelpRequired
            && !exchange
            && let Some(h) = self.help(tr.item)
        {
            if let (Screen::Menu(m), Some(id)) = (&self.current, tr.item)
                && m.entry(id).is_some()
            {
                let m = *m;
                self.chosen.retain(|(c, _)| *c != m);
                self.chosen.push((m, id));
            }
            let here = self.current.clone();
            return Ok(self.say(self.lang.help(h).into(), Some(here), &v));
        }
        if !exchange {
            match tr.result {
                ResultCode::Ok | ResultCode::Other(0x01..=0x0F) => {}
                ResultCode::TerminalUnable
                | ResultCode::NotUnderstood
                | ResultCode::HelpRequired
                | ResultCode::Other(_)
                    if asks_time => {}
                ResultCode::Back => {
                    return Ok(match &self.current {
                        Screen::Message { resume, .. } => match resume.clone() {
                            Some(s) => {
                                self.current = *s;
                                self.show(&v)
                            }
                            None => Reply::End,
                        },
                        _ => self.back(&v),
                    });
                }
                _ => return Ok(Reply::End),
            }
        }
        let a = Answer {
            text: tr.text.clone().unwrap_or_default(),
            item: tr.item,
            time: tr.date_time.filter(|_| tr.result.is_success()),
        };
        let next = match self.current.clone() {
            Screen::Message { resume, .. } => {
                return Ok(match resume {
                    Some(s) => {
                        self.current = *s;
                        self.show(&v)
                    }
                    None => Reply::End,
                });
            }
            Screen::Gate(item) => match password(&a, true, Msg::OpPassword, w) {
                Ok(()) => return Ok(self.enter(item, &v)),
                Err(Next::Problem(Problem::Card(Sw::BLOCKED), _)) => Next::Finish(Msg::MenuLocked),
                Err(next) => next,
            },
            Screen::Clock(then) => {
                if let Some(t) = a.time.as_ref() {
                    w.note_time(t)?;
                }
                let v = w.view();
                match then {
                    Some(item) => return Ok(self.begin(item, &v)),
                    None => Next::Finish(Msg::PasswordLocked),
                }
            }
            Screen::Menu(m) => match a.item.and_then(|id| m.entry(id)) {
                Some(e) => {
                    self.chosen.retain(|(c, _)| *c != m);
                    self.chosen.push((m, e.id));
                    return Ok(self.open(e, &v));
                }
                None => Next::Retry(Msg::BadChoice),
            },
            Screen::Flow(f) => f.respond(&a, self.lang, &v, w),
        };
        self.follow(next, tr, w)
    }

    /// Does what a step's answer asked for.
    pub(crate) fn follow(
        &mut self,
        next: Next,
        tr: &TerminalResponse,
        w: &mut dyn Wallet,
    ) -> Result<Reply, Problem> {
        let v = w.view();
        Ok(match next {
            Next::Go(f) => self.go(Screen::Flow(f), &v),
            Next::Replace(f) => {
                self.current = Screen::Flow(f);
                self.show(&v)
            }
            Next::Retry(m) => self.retry(m, &v),
            Next::Say(text) => {
                let here = self.current.clone();
                self.say(text, Some(here), &v)
            }
            Next::Result(text) => self.result(text, &v),
            Next::Restart(m, f) => {
                self.stack.pop();
                self.message(m, Some(Screen::Flow(f)), &v)
            }
            Next::Finish(m) => self.message(m, None, &v),
            Next::Problem(p, context) => return self.problem(p, context, w),
            Next::Air(op) => return self.open_air(op, w),
            Next::Exchange(step) => return self.air(step, tr, w),
        })
    }
}
