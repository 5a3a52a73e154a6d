//! What a run carries from step to step: the card (simulated or behind a transport), the
//! simulated PSAM and host, the transcript of exchanges, and the run's limits.

use super::Exchange;
use crate::card::Interface;
use crate::errors::Code;
use crate::format::InterfaceName;
use crate::host::IssuerHost;
use crate::limits::exchange_bytes;
use crate::limits::{Limits, TIME_LIMIT_ENV};
use crate::pos::Clock;
use crate::profile::Profile;
use crate::transport::Transport;
use crate::transport::sim::{SharedCard, SimCard, SimPsam};
use std::time::Instant;

/// The state a run carries from step to step.
pub(super) struct Ctx<'t, 'a> {
    pub(super) sim: Option<SharedCard>,
    pub(super) external: Option<&'t mut (dyn Transport + 'a)>,
    /// The card's other interface in a second reader, and which interface it is.
    pub(super) other: Option<(Interface, &'t mut (dyn Transport + 'a))>,
    pub(super) psam: SimPsam,
    pub(super) host: IssuerHost,
    pub(super) profile: Profile,
    pub(super) clock: Clock,
    pub(super) iface: Interface,
    pub(super) transcript: Vec<Exchange>,
    pub(super) limits: Limits,
    pub(super) start: Instant,
    /// Transcript entries already counted, and their bytes.
    pub(super) counted: usize,
    pub(super) bytes: usize,
    /// The limit the run hit, if any.
    pub(super) limit: Option<String>,
    /// The card's balance and log at the last `snapshot` step.
    pub(super) snapshot: Option<super::steps::Snapshot>,
}

impl Ctx<'_, '_> {
    /// Whether the run may go on: within its time and transcript limits.
    pub(super) fn check_limits(&mut self) -> Result<(), String> {
        for e in &self.transcript[self.counted..] {
            self.bytes += exchange_bytes(e);
        }
        self.counted = self.transcript.len();
        if self.bytes > self.limits.transcript_bytes {
            return Err(format!(
                "{}: the transcript holds {} bytes, more than the {} a run may record; split the vector",
                Code::VLimit,
                self.bytes,
                self.limits.transcript_bytes
            ));
        }
        let t = self.start.elapsed();
        if t > self.limits.time {
            return Err(format!(
                "{}: the run took {:.1} s, more than its limit of {:.1} s (set with {TIME_LIMIT_ENV}=SECONDS)",
                Code::VLimit,
                t.as_secs_f64(),
                self.limits.time.as_secs_f64()
            ));
        }
        Ok(())
    }
}

pub(super) fn iface_of(n: Option<InterfaceName>, default: Interface) -> Interface {
    match n {
        Some(InterfaceName::Contact) => Interface::Contact,
        Some(InterfaceName::Contactless) => Interface::Contactless,
        None => default,
    }
}

impl Ctx<'_, '_> {
    pub(super) fn transport(&mut self, iface: Interface) -> Box<dyn Transport + '_> {
        if self.sim.is_none()
            && let Some((other, t)) = self.other.as_mut()
            && *other == iface
        {
            return Box::new(&mut **t);
        }
        match (&self.sim, &mut self.external) {
            (Some(card), _) => Box::new(SimCard {
                card: card.clone(),
                iface,
            }),
            (None, Some(t)) => Box::new(&mut **t),
            (None, None) => unreachable!("a run has a simulator or an external transport"),
        }
    }

    pub(super) fn card_reason(&self) -> Option<String> {
        let c = self.sim.as_ref()?.borrow();
        c.last_refusal()
            .filter(|r| !r.why.is_empty())
            .map(|r| r.why.to_string())
    }
}
