//! History: the last ten transactions, newest first, each opening its details.

use crate::menu::*;

/// History: the log records, newest first; choosing one shows it in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct History;

impl History {
    /// An empty history is a message, not an empty list.
    pub(crate) fn start(l: Lang, v: &View) -> Start {
        if v.history.is_empty() {
            return Start::Say(l.s(Msg::NoHistory).into());
        }
        Start::Step(History.into())
    }
}

impl Steps for History {
    fn render(&self, l: Lang, v: &View) -> Proactive {
        let items = v.history.iter().enumerate();
        select(
            l.s(Msg::History),
            items
                .map(|(i, r)| Item::new(i as u8 + 1, history_label(r)))
                .collect(),
        )
    }

    fn respond(self, a: &Answer, l: Lang, v: &View, _: &mut dyn Wallet) -> Next {
        match a
            .item
            .and_then(|i| v.history.get(usize::from(i).wrapping_sub(1)))
        {
            Some(r) => Next::Say(history_detail(l, r, &v.operator_term_id)),
            None => Next::Retry(Msg::BadChoice),
        }
    }

    fn is_menu(&self) -> bool {
        true
    }
}
