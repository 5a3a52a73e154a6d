//! A card served through the real PC/SC stack (`stk-wallet serve` behind pcscd + vpcd) for the
//! end-to-end tests: started as a process, reached through a reader, killed by PID at the end.

use super::CLI;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stk_wallet::transport::pcsc::{PcscTransport, list_readers};

/// Kills the served card by PID when the test ends, however it ends.
pub struct Served(pub Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        // Let pcscd see the card leave (it polls the reader about every 400 ms) before another
        // card is served: connecting while the removal is in flight can leave vpcd's reader
        // unable to take the next card (seen with pcsc-lite 1.9.9 and vsmartcard 0.9).
        std::thread::sleep(Duration::from_millis(1500));
    }
}

/// Whether pcscd lists every one of `readers` (else the caller prints SKIPPED).
pub fn readers_present(readers: &[&str]) -> bool {
    list_readers().is_ok_and(|r| readers.iter().all(|want| r.iter().any(|n| n == want)))
}

/// Starts `stk-wallet ARGS…` (a `serve` command line) with its output discarded.
pub fn serve(args: &[&str]) -> Served {
    let child = Command::new(CLI)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stk-wallet serve");
    Served(child)
}

/// Connects to `reader`, waiting up to 15 s for the served card to appear in it.
pub fn connect(reader: &str) -> PcscTransport {
    let start = Instant::now();
    loop {
        match PcscTransport::connect(reader) {
            Ok(t) => return t,
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(15),
                "the served card never appeared in {reader}: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
