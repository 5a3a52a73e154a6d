//! In-process transports: the simulated card (either interface) and the simulated PSAM.

use super::{Transport, TransportError};
use crate::card::{Card, Interface};
use crate::profile::Profile;
use crate::psam::Psam;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
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

/// The simulated PSAM as a transport.
#[derive(Clone, Debug)]
pub struct SimPsam(pub Rc<RefCell<Psam>>, Option<Rc<PathBuf>>);

impl SimPsam {
    /// A PSAM held in memory only.
    pub fn new(psam: Psam) -> SimPsam {
        SimPsam(Rc::new(RefCell::new(psam)), None)
    }

    /// The PSAM kept in the file `path` (a new one for `profile` if there is none yet). Its
    /// persistent state (the TTC) is saved atomically after every command that changes it,
    /// before the answer goes back to the POS, as a real PSAM writes its EEPROM: a POS process
    /// killed at any point never hands out the same TTC twice.
    pub fn persistent(path: &Path, profile: &Profile) -> Result<SimPsam, String> {
        let psam = Psam::load_or_new(path, profile)?;
        Ok(SimPsam(
            Rc::new(RefCell::new(psam)),
            Some(Rc::new(path.to_path_buf())),
        ))
    }
}

impl Transport for SimPsam {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut psam = self.0.borrow_mut();
        let ttc = psam.ttc;
        let r = psam.process(apdu);
        if let Some(path) = &self.1
            && psam.ttc != ttc
        {
            psam.save(path).map_err(TransportError::Reader)?;
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
