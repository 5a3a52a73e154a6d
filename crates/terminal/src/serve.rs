//! `stk-wallet serve`: the simulated SIM behind the real PC/SC stack (pcscd + vsmartcard vpcd).
//!
//! [`CardServer`] is a [`vpicc::VSmartCard`]: it answers power on/off/reset/ATR and APDUs, and
//! [`crate::transport::vpcd::serve`] carries it to vpcd. What it adds to the bare card:
//! - the card image is saved (atomically) after every command that wrote to the card's EEPROM;
//! - at every power-on the image file is read again: if another process replaced it (for example
//!   `stk-wallet run --reader … --card-image` putting a freshly personalised card in the reader
//!   before each vector), the new card is loaded; a damaged replacement is refused with its
//!   `I-IMAGE` reason and the last good card keeps being served;
//! - power off drops all volatile state (verified password, open INITIALIZE, toolkit session), as
//!   a real card does when vpcd removes power;
//! - the card is reached through a [`Transport`], so a fault injector can sit in front of it; a
//!   command that gets no answer (lost response, power cut mid-commit) is reported to the serve
//!   loop as an empty answer, which closes the connection: PC/SC applications see the card
//!   removed, and it is inserted again when the loop reconnects;
//! - with `verbose`, every exchange is logged with its decoded meaning; with a [`log`](CardServer::log)
//!   file, every exchange and power event is written with a millisecond UTC timestamp, its tap
//!   and the command's name from the domain codec; with a [`pcap`](CardServer::pcap), every
//!   exchange goes to a GSMTAP capture as `run --pcap` writes it;
//! - with a [`Lab`], a reader-lab scenario's faults are injected per tap and per command, each
//!   logged as injected, and every exchange is recorded for the verdict on the reader.

use crate::card::Card;
use crate::card::command::Command;
use crate::card_file as image;
use crate::errors;
use crate::lab::Lab;
use crate::pcap::Pcap;
use crate::sw::Sw;
use crate::transport::Transport;
use crate::transport::sim::SharedCard;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Milliseconds since the Unix epoch.
pub fn millis_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Now, UTC, to the millisecond: `2026-11-30 20:40:01.123`.
pub fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (date, time) = stk_domain::clock::bcd_datetime(now.as_secs());
    let (d, t) = (hex::encode(date), hex::encode(time));
    format!(
        "{}-{}-{} {}:{}:{}.{:03}",
        &d[..4],
        &d[4..6],
        &d[6..8],
        &t[..2],
        &t[2..4],
        &t[4..6],
        now.subsec_millis()
    )
}

/// A capture written as it grows, so it is complete whenever the server stops.
pub struct PcapFile {
    path: PathBuf,
    pcap: Pcap,
    written: usize,
    file: std::fs::File,
}

impl PcapFile {
    pub fn create(path: PathBuf) -> std::io::Result<PcapFile> {
        let mut file = std::fs::File::create(&path)?;
        let pcap = Pcap::new();
        file.write_all(pcap.bytes())?;
        let written = pcap.bytes().len();
        Ok(PcapFile {
            path,
            pcap,
            written,
            file,
        })
    }

    fn add(&mut self, command: &[u8], response: &[u8]) -> std::io::Result<()> {
        self.pcap.add_apdu(command, response);
        self.file.write_all(&self.pcap.bytes()[self.written..])?;
        self.written = self.pcap.bytes().len();
        Ok(())
    }

    pub fn frames(&self) -> u32 {
        self.pcap.frames()
    }
}

/// The served card.
pub struct CardServer {
    card: SharedCard,
    front: Box<dyn Transport>,
    image: Option<PathBuf>,
    /// CRC-32 of the image bytes we last wrote or read.
    image_crc: Option<u32>,
    writes_saved: u64,
    atr: Vec<u8>,
    /// The card's interface the reader reaches: its ATR is that interface's.
    interface: crate::card::Interface,
    pub verbose: bool,
    /// Messages for the operator (image errors), drained by the caller or logged.
    pub notices: Vec<String>,
    /// A reader-lab scenario played in front of the card (then `front` is not used).
    pub lab: Option<Lab>,
    /// The exchange log (`serve --log FILE`).
    pub log: Option<Box<dyn Write>>,
    /// The GSMTAP capture (`serve --pcap FILE`).
    pub pcap: Option<PcapFile>,
    /// Insertions of the card in the reader so far (vpcd connections), raised by the serve
    /// loop's connect hook: the tap number.
    pub insertions: Arc<AtomicU32>,
    /// When the last command came ([`millis_now`]; 0: none yet).
    pub activity: Arc<AtomicU64>,
    /// The other cards of a deck, next first; the card in the reader goes to the back when the
    /// reader lets go of it.
    deck: std::collections::VecDeque<crate::lab::deck::Dealt>,
    /// The name of the deck card in the reader.
    dealt: String,
    /// Raised to make the serve loop take the card out of the reader (vpcd's connection
    /// closed); the next card goes in after the removal dwell.
    pub eject: Arc<std::sync::atomic::AtomicBool>,
    /// The card answered a command since it went into the reader.
    used: bool,
}

impl CardServer {
    /// Serves `card`, reached through `front` (a transport to that same card, possibly with a
    /// fault injector in front), persisting to `image` if given.
    pub fn new(card: SharedCard, front: Box<dyn Transport>, image: Option<PathBuf>) -> CardServer {
        let interface = crate::card::Interface::Contact;
        let atr = card.borrow().atr_for(interface);
        let writes_saved = card.borrow().eeprom.write_count;
        let image_crc = image
            .as_ref()
            .and_then(|p| image::read_bounded(p).ok())
            .map(|b| crc32fast::hash(&b));
        CardServer {
            card,
            front,
            image,
            image_crc,
            writes_saved,
            atr,
            interface,
            verbose: false,
            notices: Vec::new(),
            lab: None,
            log: None,
            pcap: None,
            insertions: Arc::new(AtomicU32::new(0)),
            activity: Arc::new(AtomicU64::new(0)),
            deck: Default::default(),
            dealt: String::new(),
            eject: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            used: false,
        }
    }

    /// Presents the ATR of `interface` (the contact interface's by default): a contactless
    /// card shows the ATR a PC/SC reader builds for it, with T=1.
    pub fn set_interface(&mut self, interface: crate::card::Interface) {
        self.interface = interface;
        self.atr = self.card.borrow().atr_for(interface);
    }

    /// Serves a deck: the card given to [`CardServer::new`] is `first`, then `rest` in order,
    /// round and round, each keeping its state. The card changes when the reader lets go of it
    /// (vpcd powers it off after it answered at least one command).
    pub fn set_deck(&mut self, first: String, rest: Vec<crate::lab::deck::Dealt>) {
        self.dealt = first;
        self.deck = rest.into();
    }

    /// The deck card in the reader (empty without a deck).
    pub fn dealt(&self) -> &str {
        &self.dealt
    }

    /// After a power-off: with a deck, the used card leaves and the next one is made ready.
    fn next_card(&mut self) {
        if self.deck.is_empty() || !self.used {
            return;
        }
        let Some(next) = self.deck.pop_front() else {
            return;
        };
        let old = std::mem::replace(&mut *self.card.borrow_mut(), next.card);
        let old_name = std::mem::replace(&mut self.dealt, next.name);
        self.deck.push_back(crate::lab::deck::Dealt {
            name: old_name.clone(),
            card: old,
        });
        self.atr = self.card.borrow().atr_for(self.interface);
        self.writes_saved = self.card.borrow().eeprom.write_count;
        self.used = false;
        let msg = format!(
            "deck: the reader let go of card `{old_name}`; it leaves and card `{}` goes in",
            self.dealt
        );
        log::info!("{msg}");
        self.log_line(&msg);
        self.eject.store(true, Ordering::SeqCst);
    }

    /// The ATR the card presents.
    pub fn atr_bytes(&self) -> &[u8] {
        &self.atr
    }

    /// The tap now in the reader (1 before the connect hook ever ran).
    fn tap(&self) -> u32 {
        self.insertions.load(Ordering::SeqCst).max(1)
    }

    /// Writes one line to the exchange log; a failing log is reported once and dropped.
    fn log_line(&mut self, line: &str) {
        let Some(w) = self.log.as_mut() else { return };
        let r = writeln!(
            w,
            "{} tap {} {line}",
            timestamp(),
            self.insertions.load(Ordering::SeqCst).max(1)
        )
        .and_then(|()| w.flush());
        if let Err(e) = r {
            self.log = None;
            self.notice(format!(
                "{}: cannot write the exchange log: {e}; logging stopped",
                errors::Code::IStorage
            ));
        }
    }

    /// One command through the lab or the plain front: the answer (empty: none) and what was
    /// injected.
    fn exchange(&mut self, apdu: &[u8]) -> (Vec<u8>, Option<String>) {
        let tap = self.tap();
        match self.lab.as_mut() {
            Some(lab) => {
                lab.begin_tap(tap);
                let h = lab.execute(apdu);
                (h.answer.unwrap_or_default(), h.injected)
            }
            None => (self.front.transmit_raw(apdu).unwrap_or_default(), None),
        }
    }

    pub fn card(&self) -> &SharedCard {
        &self.card
    }

    fn notice(&mut self, msg: String) {
        log::warn!("{msg}");
        self.notices.push(msg);
    }

    /// Saves the image if the card wrote to its EEPROM since the last save.
    fn save_if_changed(&mut self) {
        let writes = self.card.borrow().eeprom.write_count;
        let journal_open = !self.card.borrow().eeprom.journal.entries.is_empty();
        if writes == self.writes_saved && !journal_open {
            return;
        }
        let Some(path) = self.image.clone() else {
            return;
        };
        let bytes = image::to_bytes(&self.card.borrow());
        match image::save_bytes(&bytes, &path) {
            Ok(()) => {
                self.writes_saved = writes;
                self.image_crc = Some(crc32fast::hash(&bytes));
            }
            Err(e) => self.notice(format!(
                "{}: cannot save {}: {e}; the card keeps running from memory",
                errors::Code::IStorage,
                path.display()
            )),
        }
    }

    /// Loads the image again if someone replaced it.
    fn reload_if_replaced(&mut self) {
        let Some(path) = self.image.clone() else {
            return;
        };
        let bytes = match image::read_bounded(&path) {
            Ok(b) => b,
            Err(e @ (image::ImageError::TooLarge { .. } | image::ImageError::NotAFile { .. })) => {
                // Remember the refusal so the notice is given once per replacement.
                let crc = Some(crc32fast::hash(e.to_string().as_bytes()));
                if crc != self.image_crc {
                    self.image_crc = crc;
                    self.notice(format!("{e}; still serving the last good card"));
                }
                return;
            }
            Err(_) => return,
        };
        let crc = crc32fast::hash(&bytes);
        if Some(crc) == self.image_crc {
            return;
        }
        match image::from_bytes(&bytes, &path.display().to_string()) {
            Ok(card) => {
                log::info!(
                    "card image {} was replaced: serving the new card",
                    path.display()
                );
                self.writes_saved = card.eeprom.write_count;
                self.atr = card.atr_for(self.interface);
                *self.card.borrow_mut() = card;
                self.image_crc = Some(crc);
            }
            Err(e) => {
                // Remember the bad file so the notice is given once, and keep the good card.
                self.image_crc = Some(crc);
                self.notice(format!("{e}; still serving the last good card"));
            }
        }
    }
}

/// A one-line meaning of a command and its answer, for logs.
pub fn describe(cmd: &[u8], resp: &[u8]) -> String {
    let what = Command::name_of(cmd).unwrap_or("(not a wallet command)");
    if resp.len() < 2 {
        return format!("{what}: no answer (card removed or power lost)");
    }
    let sw = Sw(u16::from_be_bytes([
        resp[resp.len() - 2],
        resp[resp.len() - 1],
    ]));
    format!("{what}: {}", errors::for_sw(sw).one_line())
}

impl vpicc::VSmartCard for CardServer {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn power_on(&mut self) {
        self.reload_if_replaced();
        // Only the served interface's session: the card's other interface keeps its own.
        self.card.borrow_mut().power_cycle_interface(self.interface);
        self.save_if_changed();
        if let Some(lab) = self.lab.as_mut() {
            lab.power_cycle();
        }
        let msg = format!("power on (ATR {})", hex::encode_upper(&self.atr));
        self.log_line(&msg);
        if self.verbose {
            log::info!("{msg}");
        }
    }

    fn power_off(&mut self) {
        self.card.borrow_mut().power_cycle_interface(self.interface);
        self.save_if_changed();
        self.log_line("power off: volatile state dropped");
        if self.verbose {
            log::info!("power off: volatile state dropped");
        }
        self.next_card();
    }

    fn reset(&mut self) {
        self.power_on();
    }

    fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let name = Command::name_of(apdu).unwrap_or("(not a wallet command)");
        self.log_line(&format!("> {}   {name}", hex::encode_upper(apdu)));
        let (resp, injected) = self.exchange(apdu);
        self.used = true;
        self.save_if_changed();
        self.activity.store(millis_now(), Ordering::SeqCst);
        if let Some(what) = &injected {
            log::info!("injected: {what}");
            self.log_line(&format!("injected: {what}"));
        }
        let meaning = describe(apdu, &resp);
        if resp.is_empty() {
            self.log_line(&format!("< (no answer)   {meaning}"));
        } else {
            self.log_line(&format!("< {}   {meaning}", hex::encode_upper(&resp)));
        }
        // GSMTAP SIM frames hold a command and its answer with nothing between them, so a
        // command alone would be decoded with its last bytes as a status word: a command that
        // got no answer is in the log only.
        if !resp.is_empty()
            && let Some(p) = self.pcap.as_mut()
            && let Err(e) = p.add(apdu, &resp)
        {
            let path = p.path.display().to_string();
            self.pcap = None;
            self.notice(format!(
                "{}: cannot write the capture {path}: {e}; capture stopped",
                errors::Code::IStorage
            ));
        }
        if self.verbose {
            log::info!("> {}", hex::encode_upper(apdu));
            log::info!("< {}   {meaning}", hex::encode_upper(&resp));
            if let Some(r) = self
                .card
                .borrow()
                .last_refusal()
                .filter(|r| !r.why.is_empty())
            {
                log::info!("  card says: {}", r.why);
            }
        }
        resp
    }
}

/// A served card from an image file (created from `profile` first if it does not exist).
pub fn from_image(path: &std::path::Path) -> Result<Card, String> {
    image::load(path).map_err(|e| e.to_string())
}

/// The card both slots of `serve --both` reach, with its image.
pub struct DualCard {
    pub card: Card,
    image: PathBuf,
    /// Writes already saved to the image.
    writes_saved: u64,
    /// CRC-32 of the image bytes we last wrote or read.
    image_crc: Option<u32>,
}

impl DualCard {
    pub fn new(card: Card, image: PathBuf) -> Arc<std::sync::Mutex<DualCard>> {
        let image_crc = image::read_bounded(&image)
            .ok()
            .map(|b| crc32fast::hash(&b));
        Arc::new(std::sync::Mutex::new(DualCard {
            writes_saved: card.eeprom.write_count,
            card,
            image,
            image_crc,
        }))
    }

    fn save_if_changed(&mut self) {
        let writes = self.card.eeprom.write_count;
        if writes == self.writes_saved && self.card.eeprom.journal.entries.is_empty() {
            return;
        }
        let bytes = image::to_bytes(&self.card);
        match image::save_bytes(&bytes, &self.image) {
            Ok(()) => {
                self.writes_saved = writes;
                self.image_crc = Some(crc32fast::hash(&bytes));
            }
            Err(e) => log::warn!(
                "{}: cannot save {}: {e}; the card keeps running from memory",
                errors::Code::IStorage,
                self.image.display()
            ),
        }
    }

    /// A replaced image (a fresh card written by `run --card-image`) is a new card in both
    /// readers: it is loaded at the next power event on either slot.
    fn reload_if_replaced(&mut self) {
        let Ok(bytes) = image::read_bounded(&self.image) else {
            return;
        };
        let crc = crc32fast::hash(&bytes);
        if Some(crc) == self.image_crc {
            return;
        }
        self.image_crc = Some(crc);
        match image::from_bytes(&bytes, &self.image.display().to_string()) {
            Ok(card) => {
                log::info!(
                    "card image {} was replaced: serving the new card on both slots",
                    self.image.display()
                );
                self.writes_saved = card.eeprom.write_count;
                self.card = card;
            }
            Err(e) => log::warn!("{e}; still serving the last good card"),
        }
    }
}

/// One interface of a card served on its own vpcd slot while the other interface is served on
/// another slot by the same process (`serve --both`): one card image, each slot presenting its
/// interface's ATR, and a reader's power events on one slot reaching only that interface's
/// session ([`Card::power_cycle_interface`]).
pub struct SlotServer {
    card: Arc<std::sync::Mutex<DualCard>>,
    interface: crate::card::Interface,
    atr: Vec<u8>,
    pub verbose: bool,
}

impl SlotServer {
    pub fn new(
        card: Arc<std::sync::Mutex<DualCard>>,
        interface: crate::card::Interface,
    ) -> SlotServer {
        let atr = card
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .card
            .atr_for(interface);
        SlotServer {
            card,
            interface,
            atr,
            verbose: false,
        }
    }

    /// The ATR this slot presents: its interface's.
    pub fn atr_bytes(&self) -> &[u8] {
        &self.atr
    }

    fn power(&mut self, what: &str) {
        let iface = self.interface;
        let mut d = self.card.lock().unwrap_or_else(|e| e.into_inner());
        d.reload_if_replaced();
        self.atr = d.card.power_cycle_interface(iface);
        d.save_if_changed();
        if self.verbose {
            log::info!("{iface:?}: {what}: this interface's volatile state dropped");
        }
    }
}

impl vpicc::VSmartCard for SlotServer {
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn power_on(&mut self) {
        self.power("power on");
    }
    fn power_off(&mut self) {
        self.power("power off");
    }
    fn reset(&mut self) {
        self.power("reset");
    }
    fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let iface = self.interface;
        let resp = {
            let mut d = self.card.lock().unwrap_or_else(|e| e.into_inner());
            let r = d.card.process(iface, apdu).unwrap_or_default();
            d.save_if_changed();
            r
        };
        if self.verbose {
            log::info!("{iface:?} > {}", hex::encode_upper(apdu));
            log::info!(
                "{iface:?} < {}   {}",
                hex::encode_upper(&resp),
                describe(apdu, &resp)
            );
        }
        resp
    }
}
