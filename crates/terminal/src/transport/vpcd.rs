//! Serving a virtual card to `vpcd`, the vsmartcard PC/SC driver, so that real PC/SC clients
//! (pcsc-lite's `pcscd`, `pcsc_scan`, `scriptor`, any POS software) can reach it.
//!
//! # Who connects to whom
//!
//! `vpcd` is a pcsc-lite reader driver (`/usr/lib/pcsc/drivers/serial/libifdvpcd.so`, configured
//! in `/etc/reader.conf.d/vpcd`). When `pcscd` loads it, the driver *listens* on TCP port 35963
//! for reader `Virtual PCD 00 00` and 35964 for `Virtual PCD 00 01` (on all interfaces: keep the
//! ports firewalled). The virtual card is the TCP *client*: [`serve`] connects to the driver,
//! which then reports a card inserted; closing the connection is a card removal.
//!
//! # Wire format, and why we do not use `vpicc::Connection`
//!
//! Every message either way is a 2-byte big-endian length followed by that many bytes. From
//! `vpcd`, a 1-byte message is a control code (0 power off, 1 power on, 2 reset, 4 get ATR; only
//! get ATR is answered) and a longer one is a command APDU, answered with the response APDU.
//! The card side is the [`vpicc::VSmartCard`] trait, but the framing is our own 50 lines rather
//! than `vpicc::Connection`, because of `TCP_QUICKACK`:
//!
//! `vpcd` sends the length and the body of a message with separate `send` calls on a socket with
//! Nagle on, so the body waits until our ACK of the 2-byte length arrives; Linux delays that ACK
//! (40 ms and more) once the connection looks interactive. That caps the card at about 20 APDU/s
//! (measured: 48.8 ms per APDU). Quick-ACK mode is not sticky (the kernel drops back to delayed
//! ACKs on its own), so it must be re-armed exactly *between reading the length and reading the
//! body*. `vpicc::Connection` reads both inside `poll` with no hook in between; re-arming from the
//! card callbacks (after the whole message was read) was measured and does not help (still
//! 20 APDU/s). Re-arming after the length read gives about 10 000 to 15 000 APDU/s through
//! `pcscd` (see `examples/pcsc_rate.rs`). Answers are written with one `write` per frame, so
//! `TCP_NODELAY` on our side is a smaller gain (it mainly removes occasional multi-ms stalls).
//!
//! # Reconnection
//!
//! When `pcscd` stops or restarts, the connection ends (or cannot be made). With
//! [`ServeOptions::reconnect`] set, [`serve`] retries with exponential backoff
//! ([`ServeOptions::initial_backoff`] doubling up to [`ServeOptions::max_backoff`]) and logs
//! (through the `log` crate) the first failure of a streak, then at most one "still waiting"
//! line per [`ServeOptions::quiet_period`], then one line when connected again.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vpicc::VSmartCard;

/// The default vpcd address: reader `Virtual PCD 00 00` of a local `pcscd`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// One exchange, as given to the per-APDU log hook.
#[derive(Debug, Clone, Copy)]
pub struct ApduEvent<'a> {
    /// Number of the APDU in this [`serve`] call, from 1, across reconnections.
    pub seq: u64,
    /// The command APDU as received from vpcd.
    pub command: &'a [u8],
    /// The response APDU returned to vpcd.
    pub response: &'a [u8],
    /// Time spent inside the card's `execute`.
    pub card_time: Duration,
}

/// A per-APDU log hook.
pub type ApduHook = Box<dyn FnMut(&ApduEvent<'_>) + Send>;

/// Called once per connection, when vpcd has adopted the card (its first message arrived).
pub type ConnectHook = Box<dyn FnMut(&str) + Send>;

/// Why [`serve`] stopped with an error of its own (not an I/O error from the socket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeError {
    /// `addr` is not a `host:port` that resolves.
    BadAddr(String, String),
    /// Connected, but vpcd sent nothing: another card is already served on that slot (vpcd
    /// takes one card per slot and leaves later connections waiting in its backlog).
    SlotTaken(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::BadAddr(a, why) => {
                write!(f, "`{a}` is not a vpcd address (host:port): {why}")
            }
            ServeError::SlotTaken(a) => write!(
                f,
                "the vpcd slot at {a} already has a card: the connection was accepted but vpcd \
                 sent nothing (it serves one card per slot; stop the other `serve` or use the \
                 other slot's port)"
            ),
        }
    }
}

impl std::error::Error for ServeError {}

impl ServeError {
    /// The catalogue code: `P-READER` for a bad address, `P-SLOT-TAKEN` for a taken slot.
    pub fn code(&self) -> stk_domain::errors::Code {
        match self {
            ServeError::BadAddr(..) => stk_domain::errors::Code::PReader,
            ServeError::SlotTaken(_) => stk_domain::errors::Code::PSlotTaken,
        }
    }
}

/// Resolves `addr` at once: a bad address is refused before anything waits on it.
pub fn resolve(addr: &str) -> Result<Vec<std::net::SocketAddr>, ServeError> {
    let list: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| ServeError::BadAddr(addr.to_string(), e.to_string()))?
        .collect();
    if list.is_empty() {
        return Err(ServeError::BadAddr(
            addr.to_string(),
            "resolves to nothing".into(),
        ));
    }
    Ok(list)
}

/// The vpcd port of reader slot 0 (`Virtual PCD 00 00`); slot `k` listens on this plus `k`.
pub const BASE_PORT: u16 = 35963;

/// The PC/SC name pcscd gives the vpcd slot listening on `addr`'s port, when vpcd is pcscd's
/// first reader and keeps its default base port (`/etc/reader.conf.d/vpcd`):
/// `Virtual PCD 00 0k` for port 35963 + k. pcscd names a slot `<FRIENDLYNAME> <reader> <slot>`
/// with two hex digits each.
pub fn reader_name(addr: &str) -> Option<String> {
    let port = resolve(addr).ok()?.first()?.port();
    let slot = port.checked_sub(BASE_PORT).filter(|k| *k < 16)?;
    Some(format!("Virtual PCD 00 {slot:02X}"))
}

/// How [`serve`] behaves.
pub struct ServeOptions {
    /// How long a card that gave no answer stays out of the reader before it is inserted
    /// again: pcscd must see the removal (it polls the reader about every 400 ms), or it keeps
    /// the reader's old state and refuses connections to the re-inserted card.
    pub removal_dwell: Duration,
    /// Set `TCP_NODELAY` on the socket (default on).
    pub nodelay: bool,
    /// Re-arm `TCP_QUICKACK` after every message received (Linux only; default on).
    pub quickack: bool,
    /// Reconnect when the connection cannot be made or ends (default on). When off, [`serve`]
    /// returns the first error, or `Ok(())` when vpcd closes the connection cleanly.
    pub reconnect: bool,
    /// First delay before retrying a failed connection.
    pub initial_backoff: Duration,
    /// The delay between retries doubles up to this.
    pub max_backoff: Duration,
    /// While reconnecting, at most one log line per this period.
    pub quiet_period: Duration,
    /// vpcd polls a slot it serves about every 400 ms; a connection that hears nothing for this
    /// long is waiting in the backlog of a slot that already has a card ([`ServeError::SlotTaken`]).
    pub adopt_timeout: Duration,
    /// How long a power frame (`00`, `01`, `02`) waits for vpcd's next message before it is
    /// taken as a one-byte command APDU instead (see docs/pcsc.md, "One-byte frames").
    pub control_wait: Duration,
    /// When set to true (from another thread or a signal handler), [`serve`] returns `Ok(())`
    /// within about 200 ms, between two messages.
    pub stop: Option<Arc<AtomicBool>>,
    /// Called after every APDU with the command and the response.
    pub on_apdu: Option<ApduHook>,
    /// Called when vpcd adopts the card on a connection, with the address.
    pub on_connect: Option<ConnectHook>,
    /// When raised (by the card, e.g. to change cards), the card leaves the reader after the
    /// message being handled, and comes back after [`ServeOptions::removal_dwell`].
    pub eject: Option<Arc<AtomicBool>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            nodelay: true,
            quickack: true,
            reconnect: true,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            quiet_period: Duration::from_secs(30),
            adopt_timeout: Duration::from_secs(3),
            control_wait: Duration::from_secs(2),
            stop: None,
            on_apdu: None,
            on_connect: None,
            eject: None,
            removal_dwell: Duration::from_millis(1500),
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("nodelay", &self.nodelay)
            .field("quickack", &self.quickack)
            .field("reconnect", &self.reconnect)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("quiet_period", &self.quiet_period)
            .field("adopt_timeout", &self.adopt_timeout)
            .field("control_wait", &self.control_wait)
            .field("stop", &self.stop)
            .field("on_apdu", &self.on_apdu.as_ref().map(|_| "<hook>"))
            .finish()
    }
}

fn slot_taken(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<ServeError>())
        .is_some_and(|s| matches!(s, ServeError::SlotTaken(_)))
}

/// The [`ServeError`] inside an error returned by [`serve`], if it is one of ours.
pub fn serve_error(e: &io::Error) -> Option<&ServeError> {
    e.get_ref().and_then(|i| i.downcast_ref::<ServeError>())
}

/// Serves `card` to the vpcd driver at `addr` (e.g. [`DEFAULT_ADDR`]) until the connection
/// ends (with `reconnect` off) or `stop` is raised (with `reconnect` on).
///
/// The card keeps its state across reconnections: a vpcd restart looks to it like a card
/// removal and re-insertion, which vpcd signals with power off / power on. A bad `addr` and a
/// slot that already has a card (on the first connection) end it at once with a
/// [`ServeError`] inside the `io::Error`.
pub fn serve<C: VSmartCard>(card: &mut C, addr: &str, mut opts: ServeOptions) -> io::Result<()> {
    resolve(addr).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut seq = 0u64;
    let mut backoff = opts.initial_backoff;
    let mut ever_adopted = false;
    // Start of the current streak of failures, and when we last logged about it.
    let mut failing_since: Option<(Instant, Instant, u32)> = None;
    loop {
        if stopped(&opts) {
            return Ok(());
        }
        let result = connect(addr, &opts).and_then(|conn| {
            let mut wrapped = Wrapped {
                card: &mut *card,
                hook: opts.on_apdu.as_mut(),
                seq: &mut seq,
            };
            let mut session = Session {
                conn,
                stop: opts.stop.clone(),
                eject: opts.eject.clone(),
                control_wait: opts.control_wait,
            };
            // vpcd polls a slot it serves: silence means another card holds the slot.
            let first = session.next(Some(opts.adopt_timeout))?;
            let first = match first {
                Next::Msg(m) => m,
                Next::Eof | Next::Stop => return Ok(()),
                Next::Timeout => {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        ServeError::SlotTaken(addr.to_string()),
                    ));
                }
            };
            ever_adopted = true;
            if let Some((since, _, attempts)) = failing_since.take() {
                log::info!(
                    "vpcd: connected to {addr} after {attempts} failed attempt(s) over {:.1?}",
                    since.elapsed()
                );
            } else {
                log::info!("vpcd: connected to {addr}");
            }
            if let Some(h) = opts.on_connect.as_mut() {
                h(addr);
            }
            backoff = opts.initial_backoff;
            session.run(first, &mut wrapped)
        });
        if matches!(&result, Err(e) if slot_taken(e)) && (!ever_adopted || !opts.reconnect) {
            return result;
        }
        if stopped(&opts) {
            return Ok(());
        }
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::ConnectionAborted
        {
            // Not a failure: the card left the reader on purpose (no answer to give, or a
            // deck changing cards); it comes back once pcscd has seen it go.
            log::info!("vpcd: {e}; inserting it again in {:?}", opts.removal_dwell);
            std::thread::sleep(opts.removal_dwell);
            continue;
        }
        let err = match result {
            Ok(()) if !opts.reconnect => return Ok(()),
            Ok(()) => io::Error::new(io::ErrorKind::UnexpectedEof, "vpcd closed the connection"),
            Err(e) if !opts.reconnect => return Err(e),
            Err(e) => e,
        };
        let now = Instant::now();
        match &mut failing_since {
            None => {
                log::warn!(
                    "vpcd: {addr}: {err}; retrying (is pcscd running with the vpcd driver?)"
                );
                failing_since = Some((now, now, 1));
            }
            Some((since, last_log, attempts)) => {
                *attempts += 1;
                if now.duration_since(*last_log) >= opts.quiet_period {
                    log::warn!(
                        "vpcd: {addr}: still unreachable after {attempts} attempts over {:.0?}: {err}",
                        now.duration_since(*since)
                    );
                    *last_log = now;
                }
            }
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(opts.max_backoff);
    }
}

fn stopped(opts: &ServeOptions) -> bool {
    opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
}

/// The answer to a one-byte frame that is not vpcd's (`67 00`, wrong length).
pub const ONE_BYTE_ANSWER: [u8; 2] = [0x67, 0x00];

/// What the next read gave.
enum Next {
    Msg(Vec<u8>),
    Eof,
    Timeout,
    Stop,
}

/// One connection to vpcd.
struct Session {
    conn: Conn,
    stop: Option<Arc<AtomicBool>>,
    eject: Option<Arc<AtomicBool>>,
    control_wait: Duration,
}

impl Session {
    fn next(&mut self, wait: Option<Duration>) -> io::Result<Next> {
        self.conn.read_msg(wait, self.stop.as_deref())
    }

    /// Runs the connection until it ends. A clean close by vpcd (EOF before a message) is `Ok`.
    ///
    /// A power frame (`00`, `01`, `02`) is also what vpcd sends for a one-byte command APDU
    /// from a PC/SC client, and only the timing tells them apart: vpcd follows a real power-on
    /// or reset at once with "get ATR" and a real power-off with its next presence poll, while
    /// for a command it waits for our answer and sends nothing. So a power frame is held until
    /// the next message: if one comes within [`ServeOptions::control_wait`], the frame was
    /// vpcd's and is carried out; if not, it was a command and is answered `67 00`.
    fn run<V: VSmartCard>(&mut self, first: Vec<u8>, card: &mut V) -> io::Result<()> {
        let mut msg = first;
        loop {
            if self
                .eject
                .as_ref()
                .is_some_and(|e| e.swap(false, Ordering::SeqCst))
            {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the card was taken out of the reader",
                ));
            }
            match msg.as_slice() {
                [] => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "vpcd sent an empty message",
                    ));
                }
                [c @ 0..=2] => {
                    let c = *c;
                    match self.next(Some(self.control_wait))? {
                        Next::Msg(m) => {
                            self.power(card, c);
                            msg = m;
                            continue;
                        }
                        Next::Eof => {
                            self.power(card, c);
                            return Ok(());
                        }
                        Next::Stop => return Ok(()),
                        Next::Timeout => {
                            log::info!(
                                "vpcd: frame {c:02X} was not followed by vpcd: taken as a one-byte \
                                 command and answered 6700"
                            );
                            self.conn.write_msg(&ONE_BYTE_ANSWER)?;
                        }
                    }
                }
                // Indistinguishable: "get ATR" from vpcd and a command `04` from a client
                // both get the ATR.
                [4] => self.conn.write_msg(card.atr())?,
                [_] => self.conn.write_msg(&ONE_BYTE_ANSWER)?,
                apdu => {
                    let response = card.execute(apdu);
                    if response.is_empty() {
                        // The card gave no answer (it lost power or its answer was lost): vpcd
                        // cannot say "no answer", so the card leaves the reader; the serve loop
                        // inserts it again when it reconnects.
                        return Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "the card gave no answer, so it left the reader",
                        ));
                    }
                    self.conn.write_msg(&response)?;
                }
            }
            if self
                .eject
                .as_ref()
                .is_some_and(|e| e.swap(false, Ordering::SeqCst))
            {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the card was taken out of the reader",
                ));
            }
            msg = match self.next(None)? {
                Next::Msg(m) => m,
                Next::Eof | Next::Stop | Next::Timeout => return Ok(()),
            };
        }
    }

    fn power<V: VSmartCard>(&mut self, card: &mut V, c: u8) {
        match c {
            0 => card.power_off(),
            1 => card.power_on(),
            _ => card.reset(),
        }
    }
}

/// vpcd's framing: 2-byte big-endian length, then the message.
struct Conn {
    stream: TcpStream,
    quickack: bool,
}

impl Conn {
    fn rearm(&self) {
        if self.quickack {
            // Best effort: a failure only costs latency; a broken socket shows on the next read.
            let _ = set_quickack(&self.stream);
        }
    }

    /// The next message; `wait` bounds the wait for its first byte (none: until a message,
    /// EOF or `stop`). Once a message has begun, the rest is read whatever the wait.
    fn read_msg(&mut self, wait: Option<Duration>, stop: Option<&AtomicBool>) -> io::Result<Next> {
        let start = Instant::now();
        let mut len = [0u8; 2];
        let n = loop {
            match self.stream.read(&mut len) {
                Ok(n) => break n,
                Err(e) if is_timeout(&e) => {
                    if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                        return Ok(Next::Stop);
                    }
                    if wait.is_some_and(|w| start.elapsed() >= w) {
                        return Ok(Next::Timeout);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(Next::Eof);
        }
        if n == 1 {
            self.read_rest(&mut len[1..])?;
        }
        // Here vpcd is typically holding the body back (Nagle) until it sees our ACK.
        self.rearm();
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.read_rest(&mut msg)?;
        self.rearm();
        Ok(Next::Msg(msg))
    }

    /// `read_exact` through the socket's poll time-out.
    fn read_rest(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.stream.read(buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => buf = &mut buf[n..],
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn write_msg(&mut self, data: &[u8]) -> io::Result<()> {
        let len = u16::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "answer longer than 65535 bytes",
            )
        })?;
        let mut frame = Vec::with_capacity(2 + data.len());
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(data);
        // One write per frame, so that Nagle (if on) never splits it.
        self.stream.write_all(&frame)
    }
}

/// How often a blocked read looks at `stop` and at its deadline.
const POLL: Duration = Duration::from_millis(200);

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn connect(addr: &str, opts: &ServeOptions) -> io::Result<Conn> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "address resolved to nothing");
    for sa in addr.to_socket_addrs()? {
        match TcpStream::connect(sa) {
            Ok(stream) => {
                stream.set_nodelay(opts.nodelay)?;
                // A poll period: reads wake up to look at `stop` and at their deadline.
                stream.set_read_timeout(Some(POLL))?;
                let quickack = opts.quickack && cfg!(target_os = "linux");
                if quickack {
                    set_quickack(&stream)?;
                }
                return Ok(Conn { stream, quickack });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(target_os = "linux")]
fn set_quickack(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd (borrowed from a live TcpStream) and a pointer to a c_int of
    // the stated length.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn set_quickack(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

/// The caller's card plus the log hook.
struct Wrapped<'a, C> {
    card: &'a mut C,
    hook: Option<&'a mut ApduHook>,
    seq: &'a mut u64,
}

impl<C: VSmartCard> VSmartCard for Wrapped<'_, C> {
    fn atr(&self) -> &[u8] {
        self.card.atr()
    }
    fn power_on(&mut self) {
        self.card.power_on()
    }
    fn power_off(&mut self) {
        self.card.power_off()
    }
    fn reset(&mut self) {
        self.card.reset()
    }
    fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
        let t0 = Instant::now();
        let response = self.card.execute(msg);
        let card_time = t0.elapsed();
        *self.seq += 1;
        if let Some(hook) = self.hook.as_mut() {
            hook(&ApduEvent {
                seq: *self.seq,
                command: msg,
                response: &response,
                card_time,
            });
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::Mutex;

    struct Echo {
        powered: bool,
    }
    impl VSmartCard for Echo {
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn power_on(&mut self) {
            self.powered = true;
        }
        fn power_off(&mut self) {
            self.powered = false;
        }
        fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
            let mut r = msg.to_vec();
            r.extend_from_slice(if self.powered {
                &[0x90, 0x00]
            } else {
                &[0x69, 0x85]
            });
            r
        }
    }

    fn send(s: &mut TcpStream, m: &[u8]) {
        let mut v = (m.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(m);
        s.write_all(&v).unwrap();
    }
    fn recv(s: &mut TcpStream) -> Vec<u8> {
        let mut l = [0u8; 2];
        s.read_exact(&mut l).unwrap();
        let mut m = vec![0u8; u16::from_be_bytes(l) as usize];
        s.read_exact(&mut m).unwrap();
        m
    }

    /// A fake vpcd: two connections in a row (the second one after a "pcscd restart").
    #[test]
    fn serves_and_reconnects() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let server = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for round in 0..2u8 {
                    let (mut s, _) = listener.accept().unwrap();
                    send(&mut s, &[4]);
                    assert_eq!(recv(&mut s), [0x3B, 0x00]);
                    send(&mut s, &[1]);
                    send(&mut s, &[0x80, 0x5C, 0x00, 0x02, round]);
                    assert_eq!(recv(&mut s), [0x80, 0x5C, 0x00, 0x02, round, 0x90, 0x00]);
                    send(&mut s, &[0]);
                    send(&mut s, &[0x00, 0xB0, 0x00, 0x00]);
                    assert_eq!(recv(&mut s), [0x00, 0xB0, 0x00, 0x00, 0x69, 0x85]);
                    if round == 1 {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            })
        };
        let hook_log = log.clone();
        let opts = ServeOptions {
            initial_backoff: Duration::from_millis(5),
            stop: Some(stop),
            on_apdu: Some(Box::new(move |e: &ApduEvent<'_>| {
                hook_log
                    .lock()
                    .unwrap()
                    .push((e.seq, e.command.to_vec(), e.response.to_vec()));
            })),
            ..ServeOptions::default()
        };
        serve(&mut Echo { powered: false }, &addr, opts).unwrap();
        server.join().unwrap();
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(log[2].2, [0x80, 0x5C, 0x00, 0x02, 0x01, 0x90, 0x00]);
    }

    /// One-byte frames: an unknown one answered 6700; a power frame vpcd does not follow up is
    /// a client's one-byte command (answered 6700, the card keeps its power); `04` gets the ATR.
    #[test]
    fn one_byte_frames_are_answered_and_do_not_wedge() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            send(&mut s, &[1]);
            send(&mut s, &[4]);
            assert_eq!(recv(&mut s), [0x3B, 0x00]);
            send(&mut s, &[0x05]);
            assert_eq!(recv(&mut s), [0x67, 0x00]);
            for c in [0u8, 1, 2] {
                send(&mut s, &[c]);
                assert_eq!(recv(&mut s), [0x67, 0x00], "frame {c}");
            }
            // Still powered: the lone 00 was not a power-off.
            send(&mut s, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
            assert_eq!(recv(&mut s), [0x80, 0x5C, 0x00, 0x02, 0x04, 0x90, 0x00]);
            // A real power-off, followed by vpcd's next message.
            send(&mut s, &[0]);
            send(&mut s, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
            assert_eq!(recv(&mut s), [0x80, 0x5C, 0x00, 0x02, 0x04, 0x69, 0x85]);
        });
        let opts = ServeOptions {
            reconnect: false,
            control_wait: Duration::from_millis(300),
            ..ServeOptions::default()
        };
        serve(&mut Echo { powered: false }, &addr, opts).unwrap();
        server.join().unwrap();
    }

    /// A connection vpcd never talks to is a slot that already has a card.
    #[test]
    fn a_silent_slot_is_reported_taken() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let opts = ServeOptions {
            adopt_timeout: Duration::from_millis(300),
            ..ServeOptions::default()
        };
        let e = serve(&mut Echo { powered: false }, &addr, opts).unwrap_err();
        assert_eq!(serve_error(&e), Some(&ServeError::SlotTaken(addr)));
        drop(listener);
    }

    #[test]
    fn a_bad_address_is_refused_at_once() {
        let e = serve(
            &mut Echo { powered: false },
            "nonsense",
            ServeOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(serve_error(&e), Some(ServeError::BadAddr(..))),
            "{e}"
        );
        assert_eq!(
            reader_name("127.0.0.1:35964").as_deref(),
            Some("Virtual PCD 00 01")
        );
        assert_eq!(reader_name("127.0.0.1:80"), None);
    }

    #[test]
    fn without_reconnect_a_refused_connection_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let opts = ServeOptions {
            reconnect: false,
            ..ServeOptions::default()
        };
        assert!(serve(&mut Echo { powered: true }, &addr, opts).is_err());
    }
}
