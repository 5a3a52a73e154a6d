//! The one place that opens what the subcommands work on: profiles, card images, PC/SC
//! readers, terminal homes, and the link from a terminal to its card (an image in this process
//! or a card in a reader), behind the card-side fault injector.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use stk_wallet::card::{Card, image};
use stk_wallet::errors::Code;
use stk_wallet::fault::{CardFault, FaultyTransport};
use stk_wallet::home::{HomeError, TerminalHome};
use stk_wallet::pos::Clock;
use stk_wallet::profile::Profile;
use stk_wallet::transport::sim::{SharedCard, SimCard, shared};
use stk_wallet::transport::{Transport, TransportError};

/// A key profile: `default` or a profile JSON file.
pub fn profile(name: &str) -> Result<Profile, String> {
    let p = Profile::load(name).map_err(|e| format!("{}: {e}", e.code()))?;
    for w in p.warnings() {
        eprintln!("{w}");
    }
    Ok(p)
}

/// A card image, read only (a save renames a complete file into place, so a reader never sees
/// half an image).
pub fn card(path: &Path) -> Result<Card, String> {
    image::load(path).map_err(|e| e.to_string())
}

/// A card image this process owns until it exits: another process that wants to change it is
/// refused with `I-BUSY` meanwhile.
pub fn owned_card(path: &Path) -> Result<Card, String> {
    image::load_owned(path).map_err(|e| e.to_string())
}

/// Writes a new card image personalised from `p`, refused (`I-BUSY`) while another process
/// owns the image.
pub fn create_card(p: &Profile, path: &Path) -> Result<(), String> {
    image::CardFile::create(path, Card::personalise(p))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Writes `card` to its image (atomically).
pub fn save_card(card: &Card, path: &Path) -> Result<(), String> {
    image::save(card, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a new card image personalised from `p`.
pub fn new_card(p: &Profile, path: &Path) -> Result<(), String> {
    save_card(&Card::personalise(p), path)
}

/// A date and time "YYYYMMDD HHMMSS" (default: now, UTC).
pub fn clock(arg: Option<&str>) -> Result<Clock, String> {
    Clock::from_arg(arg)
}

/// Opens a PC/SC reader (only in builds with the `pcsc` feature).
/// `conformance`: pass the card's `6Cxx` answers through for the vectors to judge.
#[cfg(feature = "pcsc")]
pub fn reader(name: &str, conformance: bool) -> Result<Box<dyn Transport>, String> {
    let mut t = stk_wallet::transport::pcsc::PcscTransport::connect(name)
        .map_err(|e| format!("{}: {e}", Code::PReader))?;
    t.set_resend_on_wrong_le(!conformance);
    Ok(Box::new(t))
}

#[cfg(not(feature = "pcsc"))]
pub fn reader(_name: &str, _conformance: bool) -> Result<Box<dyn Transport>, String> {
    Err(no_pcsc())
}

#[cfg(not(feature = "pcsc"))]
fn no_pcsc() -> String {
    format!(
        "{}: this stk-wallet was built without PC/SC support; rebuild with `cargo build --release --features pcsc` (needs libpcsclite-dev)",
        Code::PReader
    )
}

/// The PC/SC readers' names.
#[cfg(feature = "pcsc")]
pub fn reader_names() -> Result<Vec<String>, String> {
    stk_wallet::transport::pcsc::list_readers().map_err(|e| format!("{}: {e}", Code::PReader))
}

#[cfg(not(feature = "pcsc"))]
pub fn reader_names() -> Result<Vec<String>, String> {
    Err(no_pcsc())
}

fn home_err(e: HomeError) -> String {
    format!("{}: {e}", e.code())
}

/// Opens (or creates) a terminal's home (`dir`, else `$STK_TERMINAL`, else `./pos`), signs it
/// in with the profile's keys and takes over the files an older version kept beside the card
/// image `legacy_card`. The terminal is locked until the home is dropped.
pub fn terminal(
    dir: Option<&Path>,
    term_id: Option<&str>,
    p: &Profile,
    legacy_card: &Path,
) -> Result<TerminalHome, String> {
    let dir = TerminalHome::dir_from(dir);
    let term_id = term_id
        .map(|t| {
            hex::decode(t)
                .ok()
                .and_then(|v| <[u8; 6]>::try_from(v).ok())
                .ok_or_else(|| {
                    format!("{}: --term-id `{t}` must be 12 hex digits", Code::PTerminal)
                })
        })
        .transpose()?;
    let mut home = TerminalHome::open(&dir, p, term_id).map_err(home_err)?;
    home.migrate_legacy(legacy_card).map_err(home_err)?;
    for n in &home.notes {
        println!("terminal: {n}");
    }
    Ok(home)
}

/// An existing terminal's home and its folder (for settlement).
pub fn existing_terminal(dir: Option<&Path>) -> Result<(PathBuf, TerminalHome), String> {
    let dir = TerminalHome::dir_from(dir);
    let home = TerminalHome::open_existing(&dir).map_err(home_err)?;
    Ok((dir, home))
}

/// A terminal-home error as the CLI prints it.
pub fn terminal_error(e: HomeError) -> String {
    home_err(e)
}

/// The card as an image file: saved after every command, so a killed POS or phone process
/// loses nothing the card committed (the save is atomic: temp file + rename).
pub struct ImageCard {
    inner: SimCard,
    path: PathBuf,
    /// A pause after each command (crash tests).
    delay: Duration,
}

impl ImageCard {
    /// `card`'s contact interface (the handset's side), saved to `path` after every command.
    pub fn contact(card: SharedCard, path: &Path) -> ImageCard {
        ImageCard {
            inner: SimCard::contact(card),
            path: path.to_path_buf(),
            delay: Duration::ZERO,
        }
    }

    /// `card`'s contactless interface (a counter reader's side), saved to `path` after every
    /// command.
    pub fn contactless(card: SharedCard, path: &Path) -> ImageCard {
        ImageCard {
            inner: SimCard::contactless(card),
            path: path.to_path_buf(),
            delay: Duration::ZERO,
        }
    }

    fn save(&self) -> Result<(), TransportError> {
        image::save(&self.inner.card.borrow(), &self.path)
            .map_err(|e| TransportError::Storage(e.to_string()))
    }
}

impl Transport for ImageCard {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit_raw(apdu);
        self.save()?;
        std::thread::sleep(self.delay);
        r
    }
    fn reset(&mut self) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.reset();
        self.save()?;
        r
    }
    fn describe(&self) -> String {
        format!("card image {}", self.path.display())
    }
}

/// How a terminal reaches the card: the only thing that differs between links.
pub enum Link {
    Image {
        card: SharedCard,
        path: PathBuf,
        delay: Duration,
    },
    Reader(String),
}

impl Link {
    /// The card in `reader`, else the image at `card`. `delay`: a pause after each command
    /// to a card image (crash tests).
    pub fn open(card: &Path, reader: Option<&str>, delay: Duration) -> Result<Link, String> {
        Ok(match reader {
            Some(r) => Link::Reader(r.to_string()),
            None => Link::Image {
                card: shared(owned_card(card)?),
                path: card.to_path_buf(),
                delay,
            },
        })
    }

    /// What the link is, for the flows' first line.
    pub fn describe(&self) -> String {
        match self {
            Link::Image { path, .. } => format!("card image {}", path.display()),
            Link::Reader(r) => format!("card in reader {r}"),
        }
    }

    /// The card for tap `tap`, behind the fault injector armed with `fault`. A card that left
    /// a reader comes back within a few seconds (a served card after `serve`'s removal
    /// dwell): before a second tap the reader settles, then is polled gently (connecting
    /// while pcscd is still processing the removal can wedge vpcd).
    pub fn connect(
        &self,
        tap: u32,
        fault: CardFault,
    ) -> Result<FaultyTransport<Box<dyn Transport>>, String> {
        match self {
            Link::Image { card, path, delay } => Ok(FaultyTransport::new(
                Box::new(ImageCard {
                    inner: SimCard::contactless(card.clone()),
                    path: path.clone(),
                    delay: *delay,
                }),
                Some(card.clone()),
                fault,
            )),
            Link::Reader(name) => {
                if tap > 1 {
                    std::thread::sleep(Duration::from_millis(1000));
                }
                let start = Instant::now();
                let t = loop {
                    match reader(name, false) {
                        Ok(t) => break t,
                        Err(e) if tap == 1 || start.elapsed() > Duration::from_secs(15) => {
                            return Err(e);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(250)),
                    }
                };
                Ok(FaultyTransport::new(t, None, fault))
            }
        }
    }
}
