//! In-process transports: the simulated card (either interface) and the simulated PSAM.

use super::{Transport, TransportError};
use crate::card::{Card, Interface};
use crate::psam::Psam;
use std::cell::RefCell;
use std::rc::Rc;

/// A simulated card shared by several terminals (the POS on the contactless side and the
/// handset on the contact side reach the same card).
pub type SharedCard = Rc<RefCell<Card>>;

pub fn shared(card: Card) -> SharedCard {
    Rc::new(RefCell::new(card))
}

/// One interface of a simulated card.
#[derive(Clone, Debug)]
pub struct SimCard {
    pub card: SharedCard,
    pub iface: Interface,
}

impl SimCard {
    pub fn contactless(card: SharedCard) -> SimCard {
        SimCard {
            card,
            iface: Interface::Contactless,
        }
    }
    pub fn contact(card: SharedCard) -> SimCard {
        SimCard {
            card,
            iface: Interface::Contact,
        }
    }
}

impl Transport for SimCard {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card
            .borrow_mut()
            .process(self.iface, apdu)
            .ok_or(TransportError::NoResponse)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        Ok(self.card.borrow_mut().power_cycle())
    }
    fn describe(&self) -> String {
        format!("simulated card ({:?} interface)", self.iface)
    }
}

/// Where a PSAM keeps its persistent state (the terminal's home, see [`crate::home`]).
pub trait PsamStore: std::fmt::Debug {
    /// Commits the PSAM's persistent state after `command` changed it; called before the
    /// answer goes back to the POS.
    fn save(&self, psam: &Psam, command: &[u8]) -> Result<(), String>;
}

/// The simulated PSAM as a transport.
#[derive(Clone, Debug)]
pub struct SimPsam(pub Rc<RefCell<Psam>>, Option<Rc<dyn PsamStore>>);

impl SimPsam {
    /// A PSAM held in memory only.
    pub fn new(psam: Psam) -> SimPsam {
        SimPsam(Rc::new(RefCell::new(psam)), None)
    }

    /// A PSAM whose persistent state (the TTC) is committed to `store` after every command that
    /// changes it, before the answer goes back to the POS, as a real PSAM writes its EEPROM: a
    /// POS process killed at any point never hands out the same TTC twice.
    pub fn stored(psam: Psam, store: Rc<dyn PsamStore>) -> SimPsam {
        SimPsam(Rc::new(RefCell::new(psam)), Some(store))
    }
}

impl Transport for SimPsam {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut psam = self.0.borrow_mut();
        let ttc = psam.ttc;
        let r = psam.process(apdu);
        if let Some(store) = &self.1
            && psam.ttc != ttc
        {
            store.save(&psam, apdu).map_err(TransportError::Storage)?;
        }
        Ok(r)
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        self.0.borrow_mut().reset();
        Ok(vec![0x3B, 0x02, 0x50, 0x53]) // "PS": a minimal T=0 ATR
    }
    fn describe(&self) -> String {
        "simulated PSAM".into()
    }
}
