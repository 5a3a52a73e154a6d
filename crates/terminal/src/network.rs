//! The mobile network between the wallet SIM's over-the-air applet and the issuer host.

use stk_backoffice::host::{HostError, IssuerHost, LoadRequest};
use stk_domain::clock::Clock;
use stk_domain::crypto::Mac4;

/// The mobile network between the wallet SIM's over-the-air applet and the issuer host (for the
/// STK menu's Top Up and bill payment): the network's clock, and a link that can be cut.
#[derive(Clone, Debug)]
pub struct IssuerNetwork {
    pub host: IssuerHost,
    pub clock: Clock,
    /// `false`: every request fails with `H-UNREACHABLE` (no coverage).
    pub reachable: std::cell::Cell<bool>,
}

impl IssuerNetwork {
    pub fn new(host: IssuerHost, clock: Clock) -> IssuerNetwork {
        IssuerNetwork {
            host,
            clock,
            reachable: std::cell::Cell::new(true),
        }
    }
}

impl stk_card::toolkit::OtaNetwork for IssuerNetwork {
    fn now(&self) -> ([u8; 4], [u8; 3]) {
        self.clock.now()
    }
    fn authorize_load(&self, req: &LoadRequest) -> Result<Mac4, HostError> {
        if !self.reachable.get() {
            return Err(HostError::Unreachable);
        }
        self.host.authorize_load(req)
    }
}
