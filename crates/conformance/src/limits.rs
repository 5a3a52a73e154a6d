//! The limits of one vector file's run: time and transcript size (the static limits are the
//! vector format's, checked when a file is loaded).

use crate::errors::Code;
use crate::runner::Exchange;
use std::time::Duration;

/// The environment variable that sets the run time limit per vector file, in seconds.
pub const TIME_LIMIT_ENV: &str = "STK_VECTOR_TIME_LIMIT";

/// What one vector file's run may take; a run beyond a limit stops with `V-LIMIT`. The static
/// limits (file size, hex strings, repeats, expanded steps) are checked when the file is loaded
/// ([`stk_vector_format::MAX_REPEAT`] and its neighbours).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time per file.
    pub time: Duration,
    /// Bytes the transcript may hold: every command and response, plus 64 per exchange.
    pub transcript_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            time: Duration::from_secs(60),
            transcript_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// The defaults, with the time limit from [`TIME_LIMIT_ENV`] if it is set (a number of
    /// seconds; an unreadable value is an error message naming it).
    pub fn from_env() -> Result<Limits, String> {
        let mut l = Limits::default();
        if let Some(v) = std::env::var_os(TIME_LIMIT_ENV) {
            let v = v.to_string_lossy();
            let secs: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                .ok_or_else(|| {
                    format!(
                        "{}: {TIME_LIMIT_ENV}={v} is not a number of seconds",
                        Code::VLimit
                    )
                })?;
            l.time = Duration::from_secs_f64(secs);
        }
        Ok(l)
    }
}

/// Bytes an exchange counts for in the transcript limit.
pub(crate) fn exchange_bytes(e: &Exchange) -> usize {
    64 + e.step.len() + e.command.len() + e.response.as_ref().map_or(0, Vec::len)
}
