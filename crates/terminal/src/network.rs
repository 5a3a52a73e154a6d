//! The mobile network between the handset and the issuer: the handset's data service (which
//! can be out of coverage) and the issuer's over-the-air gateway behind it, which answers the
//! wallet SIM's requests ([`stk_domain::issuer::OtaRequest`]) with the issuer host's verdict and
//! the network's date and time. The handset ([`crate::handset`]) reaches it when the card asks
//! for a Bearer Independent Protocol channel; the card itself never calls it.
//!
//! Money the issuer approves over the air is booked at the clearing host as it is approved
//! ([`IssuerNetwork::with_ledger`]): the load or bill payment is held pending at the card's
//! counter *before* the answer leaves, and the card's counters and log decide it at the next
//! reconciliation (crate::settle). A booking that cannot be written refuses the request
//! (`H-UNREACHABLE`): no money moves that the books do not know of.

use std::cell::{Cell, RefCell};
use stk_backoffice::host::IssuerHost;
use stk_backoffice::settle::{Ledger, Move, MoveKind, MoveState};
use stk_domain::clock::Clock;
use stk_domain::issuer::{OTA_BILL, OTA_LOAD, OtaAnswer, OtaRequest, OtaStatus};
use stk_domain::numbering::bill_payable;

/// Something going wrong behind an open channel (for tests and fault drills).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtaFault {
    /// The data link works but the issuer never answers (the request is lost on the way).
    IssuerSilent,
    /// The issuer's MAC2 arrives with a bit flipped.
    CorruptMac2,
}

/// The network behind the handset: the issuer host, the network's clock, coverage, and an
/// optional fault, and the clearing host's ledger where approvals are booked.
pub struct IssuerNetwork {
    pub host: IssuerHost,
    pub clock: Clock,
    /// `false`: no coverage; the handset cannot open a data channel (the card then shows
    /// `H-UNREACHABLE`).
    pub reachable: Cell<bool>,
    pub fault: Cell<Option<OtaFault>>,
    /// Where approved loads and bill payments are booked (none: not booked, as in unit tests).
    pub ledger: Option<RefCell<Box<dyn Ledger>>>,
}

impl std::fmt::Debug for IssuerNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerNetwork")
            .field("reachable", &self.reachable)
            .field("fault", &self.fault)
            .field("books", &self.ledger.is_some())
            .finish()
    }
}

impl IssuerNetwork {
    pub fn new(host: IssuerHost, clock: Clock) -> IssuerNetwork {
        IssuerNetwork {
            host,
            clock,
            reachable: Cell::new(true),
            fault: Cell::new(None),
            ledger: None,
        }
    }

    /// Books every approval in `ledger` (pending until the card proves it).
    pub fn with_ledger(mut self, ledger: Box<dyn Ledger>) -> IssuerNetwork {
        self.ledger = Some(RefCell::new(ledger));
        self
    }

    /// Holds `m` pending at the clearing host; `false` if it could not be written.
    fn book(&self, m: &Move) -> bool {
        match &self.ledger {
            None => true,
            Some(l) => l.borrow_mut().add_move(m, MoveState::Pending).is_ok(),
        }
    }

    /// One request to the issuer's gateway and its answer; `None`: no answer comes back.
    pub fn exchange(&self, request: &[u8]) -> Option<Vec<u8>> {
        if !self.reachable.get() || self.fault.get() == Some(OtaFault::IssuerSilent) {
            return None;
        }
        let kind = match request.first() {
            Some(&OTA_BILL) => OTA_BILL,
            _ => OTA_LOAD,
        };
        let answer = match OtaRequest::decode(request) {
            Err(_) => OtaAnswer::refused(kind, OtaStatus::NotUnderstood),
            Ok(OtaRequest::Load(l)) => {
                let (date, time) = self.clock.now();
                let book = || {
                    self.book(&Move {
                        serial: l.serial,
                        kind: MoveKind::AirLoad,
                        counter: l.online_counter,
                        amount: l.amount,
                        term_id: l.term_id,
                        date,
                        time,
                        reference: "over the air".into(),
                    })
                };
                match self.host.authorize_load(&l.at(date, time)) {
                    Ok(_) if !book() => OtaAnswer::refused(OTA_LOAD, OtaStatus::Unavailable),
                    Ok(mut mac2) => {
                        if self.fault.get() == Some(OtaFault::CorruptMac2) {
                            mac2[1] ^= 0x40;
                        }
                        OtaAnswer {
                            request: OTA_LOAD,
                            status: OtaStatus::Approved,
                            date,
                            time,
                            mac2,
                        }
                    }
                    Err(e) => OtaAnswer::refused(OTA_LOAD, OtaStatus::from_host(&e)),
                }
            }
            // The handbook: bills of China Mobile numbers only (the card's menu refuses the
            // others before it asks; a request for one that gets here anyway is declined with
            // nothing booked).
            Ok(OtaRequest::Bill(b)) if !bill_payable(&b.phone) => {
                OtaAnswer::refused(OTA_BILL, OtaStatus::Declined)
            }
            // The operator takes the payment order and books the debit, pending until the
            // card's offline counter and log show it. No single-payment limit: that is the
            // limit of one contactless purchase; the card bounds a bill by its balance.
            Ok(OtaRequest::Bill(b)) => {
                let (date, time) = self.clock.now();
                let booked = self.book(&Move {
                    serial: b.serial,
                    kind: MoveKind::Bill,
                    counter: b.offline_counter,
                    amount: b.amount,
                    term_id: b.term_id,
                    date,
                    time,
                    reference: format!("phone {}", b.phone),
                });
                if !booked {
                    return Some(OtaAnswer::refused(OTA_BILL, OtaStatus::Unavailable).encode());
                }
                OtaAnswer {
                    request: OTA_BILL,
                    status: OtaStatus::Approved,
                    date,
                    time,
                    mac2: [0; 4],
                }
            }
        };
        Some(answer.encode())
    }
}
