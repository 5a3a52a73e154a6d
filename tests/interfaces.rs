//! Regression: a purchase opened on one interface must not commit from stale figures after the
//! other interface changed the purse (found while writing the fault-injection tests).

mod common;

use common::{new_card, pos_with};
use stk_wallet::host::IssuerHost;
use stk_wallet::pos::Pos;
use stk_wallet::profile::Profile;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam};
use stk_wallet::transport::{Transport, TransportError};

/// The contact interface, with a hook that runs once right before the first command with `ins`.
struct Interleave {
    inner: SimCard,
    ins: u8,
    hook: Option<Box<dyn FnOnce()>>,
}
impl Transport for Interleave {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if apdu.get(1) == Some(&self.ins)
            && let Some(h) = self.hook.take()
        {
            h();
        }
        self.inner.transmit_raw(apdu)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        "interleaving".into()
    }
}

/// A POS through `t` whose PSAM's next terminal transaction counter is `ttc`.
fn pos<T: Transport>(t: T, p: &Profile, ttc: u32) -> Pos<T, SimPsam> {
    let pos = pos_with(t, p);
    pos.psam.0.borrow_mut().ttc = ttc;
    pos
}

fn contactless_purchase(card: &SharedCard, p: &Profile, amount: u32) {
    let mut other = pos(SimCard::contactless(card.clone()), p, 1000);
    other.purchase(amount).expect("contactless purchase");
}

#[test]
fn a_debit_opened_before_another_interface_committed_is_refused() {
    let p = Profile::default_profile();
    let card = new_card(&p);
    let (c2, p2) = (card.clone(), p.clone());
    let mut contact = pos(
        Interleave {
            inner: SimCard::contact(card.clone()),
            ins: 0x54,
            hook: Some(Box::new(move || contactless_purchase(&c2, &p2, 3000))),
        },
        &p,
        1,
    );
    let r = contact.purchase(1000);
    let s = card.borrow().state().purse.clone();
    // Whatever the contact purchase's fate, the money must add up: 100.00 − 30.00 (− 10.00).
    match r {
        Ok(_) => assert_eq!((s.balance, s.offline_counter), (6000, 2)),
        Err(_) => assert_eq!((s.balance, s.offline_counter), (7000, 1)),
    }
}

#[test]
fn a_credit_opened_before_another_interface_committed_is_refused() {
    let p = Profile::default_profile();
    let host = IssuerHost::from_profile(&p);
    let card = new_card(&p);
    let (c2, p2) = (card.clone(), p.clone());
    let mut contact = pos(
        Interleave {
            inner: SimCard::contact(card.clone()),
            ins: 0x52,
            hook: Some(Box::new(move || contactless_purchase(&c2, &p2, 3000))),
        },
        &p,
        1,
    );
    let r = contact.load(&host, 1000, "123456");
    let s = card.borrow().state().purse.clone();
    match r {
        Ok(_) => assert_eq!(s.balance, 8000),
        Err(_) => assert_eq!(s.balance, 7000),
    }
}
