//! The mobile network between the handset and the issuer: the handset's data service (which
//! can be out of coverage) and the issuer's over-the-air gateway behind it, which answers the
//! wallet SIM's requests ([`stk_domain::issuer::OtaRequest`]) with the issuer host's verdict and
//! the network's date and time. The handset ([`crate::handset`]) reaches it when the card asks
//! for a Bearer Independent Protocol channel; the card itself never calls it.

use std::cell::Cell;
use stk_backoffice::host::IssuerHost;
use stk_domain::clock::Clock;
use stk_domain::issuer::{OTA_BILL, OTA_LOAD, OtaAnswer, OtaRequest, OtaStatus};

/// Something going wrong behind an open channel (for tests and fault drills).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtaFault {
    /// The data link works but the issuer never answers (the request is lost on the way).
    IssuerSilent,
    /// The issuer's MAC2 arrives with a bit flipped.
    CorruptMac2,
}

/// The network behind the handset: the issuer host, the network's clock, coverage, and an
/// optional fault.
#[derive(Clone, Debug)]
pub struct IssuerNetwork {
    pub host: IssuerHost,
    pub clock: Clock,
    /// `false`: no coverage; the handset cannot open a data channel (the card then shows
    /// `H-UNREACHABLE`).
    pub reachable: Cell<bool>,
    pub fault: Cell<Option<OtaFault>>,
}

impl IssuerNetwork {
    pub fn new(host: IssuerHost, clock: Clock) -> IssuerNetwork {
        IssuerNetwork {
            host,
            clock,
            reachable: Cell::new(true),
            fault: Cell::new(None),
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
                match self.host.authorize_load(&l.at(date, time)) {
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
            // The operator takes the payment order; the card's proof of the debit reaches
            // clearing with the operator's upload.
            Ok(OtaRequest::Bill(_)) => {
                let (date, time) = self.clock.now();
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
