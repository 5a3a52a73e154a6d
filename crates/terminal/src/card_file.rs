//! Card images on disk: the card's persistent memory read from and written to a file.

use std::path::Path;
use stk_card::Card;
pub use stk_card::image::*;
pub use stk_domain::durable::save_bytes;

/// Loads an image file.
pub fn load(path: &Path) -> Result<Card, ImageError> {
    let p = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|err| ImageError::Io {
        path: p.clone(),
        err,
    })?;
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            path: p,
            size: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(|err| ImageError::Io {
        path: p.clone(),
        err,
    })?;
    from_bytes(&bytes, &p)
}

/// Saves atomically: temp file, fsync, rename, fsync the folder.
pub fn save(card: &Card, path: &Path) -> std::io::Result<()> {
    save_bytes(&to_bytes(card), path)
}
