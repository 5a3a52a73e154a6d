//! Card images on disk: the card's persistent memory read from and written to a file.
//!
//! Ownership: a process that changes a card (a POS sale, the phone, `serve`) holds the image
//! through a [`CardFile`], which keeps an exclusive `flock` on the lock file `.<name>.lock`
//! beside the image (not on the image itself: a save renames a new file over it). A second
//! process is refused at once with `I-BUSY` instead of silently overwriting the first one's
//! update. The lock goes with the open file, so a killed process releases it. Reading an image
//! (`card show`, [`load`]) takes no lock: a save replaces the file by a rename, so a reader sees
//! the old image or the new one.
//!
//! Bounded input: an image is opened without blocking (a FIFO cannot hang the open), the opened
//! file must be a regular file (devices, FIFOs, folders are refused), and reading stops after
//! [`MAX_IMAGE_BYTES`] + 1 bytes whatever the file claims to be.
//!
//! Symbolic links are followed consistently: the image is the file the link names, its lock is
//! beside that file, and a save replaces that file (the link stays a link).

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use stk_card::Card;
pub use stk_card::image::*;
pub use stk_domain::durable::save_bytes;
use stk_domain::durable::{clean_stale_temps, kind_of, resolve_target};

fn io_err(path: &Path, err: std::io::Error) -> ImageError {
    ImageError::Io {
        path: path.display().to_string(),
        err,
    }
}

/// Opens `path` for reading without blocking and checks, on the opened file, that it is a
/// regular file no larger than an image can be.
fn open_regular(path: &Path) -> Result<File, ImageError> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.custom_flags(libc_nonblock());
    }
    let f = o.open(path).map_err(|e| io_err(path, e))?;
    let meta = f.metadata().map_err(|e| io_err(path, e))?;
    if !meta.is_file() {
        return Err(ImageError::NotAFile {
            path: path.display().to_string(),
            kind: kind_of(meta.file_type()).into(),
        });
    }
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            path: path.display().to_string(),
            size: meta.len(),
        });
    }
    Ok(f)
}

#[cfg(target_os = "linux")]
fn libc_nonblock() -> i32 {
    libc::O_NONBLOCK
}

#[cfg(all(unix, not(target_os = "linux")))]
fn libc_nonblock() -> i32 {
    0o4 // O_NONBLOCK on the BSDs and macOS
}

/// Reads an image file's bytes: a regular file only, at most [`MAX_IMAGE_BYTES`] (the read is
/// capped, so a file that grows while it is read cannot exhaust memory).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ImageError> {
    let f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_IMAGE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(path, e))?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            path: path.display().to_string(),
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// Loads an image file (no lock: for reading only).
pub fn load(path: &Path) -> Result<Card, ImageError> {
    let bytes = read_bounded(path)?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Saves atomically: temp file, fsync, rename, fsync the folder. A link is written through to
/// its target; a target that is not a regular file is refused. Errors are `I-STORAGE`.
pub fn save(card: &Card, path: &Path) -> Result<(), ImageError> {
    save_bytes(&to_bytes(card), path).map_err(|err| ImageError::Storage {
        path: path.display().to_string(),
        err,
    })
}

/// The exclusive hold of one card image: an `flock` on `.<name>.lock` beside the image (beside
/// the link's target for a symbolic link). Released when dropped or when the process ends.
#[derive(Debug)]
pub struct CardLock {
    _file: File,
    lock: PathBuf,
}

impl CardLock {
    /// Takes the image's lock, or fails at once with `I-BUSY` if another process holds it.
    /// The image itself need not exist yet.
    pub fn acquire(path: &Path) -> Result<CardLock, ImageError> {
        let target = resolve_target(path).map_err(|e| io_err(path, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "card".into());
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let lock = dir.join(format!(".{name}.lock"));
        // Read-only is enough for flock: an existing lock file works on a read-only disk too
        // (the image's saves then fail with I-STORAGE, which says why).
        let file = match std::fs::File::open(&lock) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock),
            r => r,
        }
        .map_err(|err| ImageError::Storage {
            path: path.display().to_string(),
            err: std::io::Error::new(
                err.kind(),
                format!("cannot create its lock file {}: {err}", lock.display()),
            ),
        })?;
        try_lock(&file).map_err(|e| match e {
            LockError::Busy => ImageError::Busy {
                path: path.display().to_string(),
                lock: lock.display().to_string(),
            },
            LockError::Io(err) => io_err(&lock, err),
        })?;
        Ok(CardLock { _file: file, lock })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.lock
    }

    /// Keeps the lock until the process exits (for a command that works on one card for its
    /// whole run).
    pub fn hold_until_exit(self) {
        std::mem::forget(self);
    }
}

enum LockError {
    Busy,
    Io(std::io::Error),
}

#[cfg(target_os = "linux")]
fn try_lock(f: &File) -> Result<(), LockError> {
    use std::os::fd::AsRawFd as _;
    loop {
        // SAFETY: flock on a file descriptor this `File` owns; no memory is passed.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Err(LockError::Busy),
            Some(libc::EINTR) => continue,
            _ => return Err(LockError::Io(e)),
        }
    }
}

/// Without flock (other systems), the lock file is created but not locked.
#[cfg(not(target_os = "linux"))]
fn try_lock(_: &File) -> Result<(), LockError> {
    Ok(())
}

/// A card image owned by this process: the card and the image's lock.
#[derive(Debug)]
pub struct CardFile {
    path: PathBuf,
    card: Card,
    lock: CardLock,
}

impl CardFile {
    /// Takes the image's lock (`I-BUSY` if another process holds it), removes temporary files
    /// a killed writer left beside it, and loads it.
    pub fn open(path: &Path) -> Result<CardFile, ImageError> {
        // A missing image is reported as such, without leaving a lock file behind.
        std::fs::metadata(path).map_err(|e| io_err(path, e))?;
        let lock = CardLock::acquire(path)?;
        clean_stale_temps(path);
        let card = load(path)?;
        Ok(CardFile {
            path: path.to_path_buf(),
            card,
            lock,
        })
    }

    /// Takes the lock and writes `card` as the image (a new card image, or a replacement).
    pub fn create(path: &Path, card: Card) -> Result<CardFile, ImageError> {
        let lock = CardLock::acquire(path)?;
        clean_stale_temps(path);
        save(&card, path)?;
        Ok(CardFile {
            path: path.to_path_buf(),
            card,
            lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn card(&self) -> &Card {
        &self.card
    }

    pub fn card_mut(&mut self) -> &mut Card {
        &mut self.card
    }

    /// Saves the card as it is now.
    pub fn save(&self) -> Result<(), ImageError> {
        save(&self.card, &self.path)
    }

    /// The card and the lock, apart (the caller keeps the lock as long as it uses the card).
    pub fn into_parts(self) -> (Card, CardLock) {
        (self.card, self.lock)
    }

    /// The card, with the image's lock kept until the process exits: for a command that works
    /// on this one card for its whole run and saves it with [`save`].
    pub fn into_held_card(self) -> Card {
        self.lock.hold_until_exit();
        self.card
    }
}

/// Loads an image for a process that will change it: takes its lock and keeps it until the
/// process exits (`I-BUSY` if another process holds it).
pub fn load_owned(path: &Path) -> Result<Card, ImageError> {
    CardFile::open(path).map(CardFile::into_held_card)
}
