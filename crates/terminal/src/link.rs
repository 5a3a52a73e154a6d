//! The terminal's link to the issuer host as its parameters shape it (docs/spec.md §8): every
//! request waits at most the signed-in time-out for its answer and is sent again up to the
//! resend count; an answer later than the time-out is not waited for (it is dropped as a real
//! terminal drops it). A loss or delay on the way ([`IssuerFault`]: down for `n` requests, or
//! every answer `ms` late) is applied here, so `--fault host-delay:3000` under a 2-second time-out
//! times out instead of waiting. An authorisation changes nothing at the issuer (MAC2 is
//! computed, no money moves), so sending it again is harmless.

use crate::fault::IssuerFault;
use crate::host::{HostError, IssuerHost, IssuerLink, LoadRequest, SignInAnswer};
use crate::journal::TerminalParams;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use stk_domain::crypto::Mac4;

pub struct HostLink<'a> {
    pub host: &'a IssuerHost,
    /// Requests still to be lost (`u32::MAX`: down for good).
    down_for: Cell<u32>,
    /// How late every answer comes.
    delay: Duration,
    pub params: TerminalParams,
    /// One line per try, for the operator.
    pub tries: RefCell<Vec<String>>,
}

impl<'a> HostLink<'a> {
    pub fn new(host: &'a IssuerHost, params: TerminalParams, fault: Option<IssuerFault>) -> Self {
        let (down, delay) = match fault {
            Some(IssuerFault::Down(n)) => (n, 0),
            Some(IssuerFault::Delay(ms)) => (0, ms),
            None => (0, 0),
        };
        HostLink {
            host,
            down_for: Cell::new(down),
            delay: Duration::from_millis(delay),
            params,
            tries: RefCell::new(Vec::new()),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.params.host_timeout_ms))
    }
}

impl HostLink<'_> {
    /// One request to the issuer through this link: `request` is sent (again, up to the
    /// resend count) until an answer comes within the time-out. A request that changes
    /// something at the issuer must be safe to send again (a refund's authorisation is: the
    /// same request finds its own pending refund).
    pub fn call<T>(&self, request: impl Fn() -> Result<T, HostError>) -> Result<T, HostError> {
        let tries = self.params.resends + 1;
        let mut timed_out = false;
        for n in 1..=tries {
            let d = self.down_for.get();
            if d > 0 {
                if d != u32::MAX {
                    self.down_for.set(d - 1);
                }
                self.tries.borrow_mut().push(format!(
                    "issuer try {n}/{tries}: the host cannot be reached"
                ));
                continue;
            }
            if self.delay > self.timeout() {
                std::thread::sleep(self.timeout());
                timed_out = true;
                self.tries.borrow_mut().push(format!(
                    "issuer try {n}/{tries}: no answer within {} ms (time-out)",
                    self.params.host_timeout_ms
                ));
                continue;
            }
            std::thread::sleep(self.delay);
            return request();
        }
        Err(if timed_out {
            HostError::TimedOut {
                ms: u64::from(self.params.host_timeout_ms),
                tries,
            }
        } else {
            HostError::Unreachable
        })
    }
}

impl IssuerLink for HostLink<'_> {
    fn authorize_load(&self, r: &LoadRequest) -> Result<Mac4, HostError> {
        self.call(|| self.host.authorize_load(r))
    }

    /// A sign-in goes over the same link as a load: lost, late and resent alike.
    fn sign_in(&self, term_id: [u8; 6]) -> Result<SignInAnswer, HostError> {
        self.call(|| Ok(self.host.sign_in(term_id)))
    }

    fn host(&self) -> &IssuerHost {
        self.host
    }
}
