//! Files written so that a crash leaves either the old content or the new, never a mix.
//!
//! A write goes to a temporary file `.<name>.tmp<pid>` in the target's folder, is fsynced, and
//! is renamed over the target; the folder is fsynced. A write that fails removes its temporary
//! file, and [`clean_stale_temps`] removes those left by a process that was killed mid-write.
//! When the target is a symbolic link, the write goes through to the file the link names
//! (the link stays a link): a linked file is never split into a copy.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The file a write to `path` replaces: `path` itself, or the file it finally names when it is
/// a symbolic link (a link whose target cannot be resolved is an error).
pub fn resolve_target(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "{} is a symbolic link whose target cannot be resolved ({e})",
                    path.display()
                ),
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// A file type in words, for messages.
pub fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn folder_and_name(path: &Path) -> (PathBuf, String) {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "card".into());
    (dir.to_path_buf(), name)
}

/// Writes bytes atomically (temporary file in the same folder, fsync, rename, fsync of the
/// folder), through a symbolic link to its target. A target that exists and is not a regular
/// file (a device such as /dev/full, a folder, a FIFO) is refused. On failure the target is
/// unchanged and no temporary file is left.
pub fn save_bytes(bytes: &[u8], path: &Path) -> std::io::Result<()> {
    let target = resolve_target(path)?;
    if let Ok(m) = std::fs::metadata(&target)
        && !m.is_file()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, not a regular file",
                target.display(),
                kind_of(m.file_type())
            ),
        ));
    }
    let (dir, name) = folder_and_name(&target);
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes the temporary files `.<name>.tmp<pid>` that writes of `path` left behind in a
/// process that no longer runs (killed mid-write). Files of a running process are kept; where
/// process liveness cannot be checked (no /proc), nothing is removed. Returns how many went.
pub fn clean_stale_temps(path: &Path) -> usize {
    let Ok(target) = resolve_target(path) else {
        return 0;
    };
    let (dir, name) = folder_and_name(&target);
    let prefix = format!(".{name}.tmp");
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(&prefix) else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let alive = Path::new("/proc").join(pid).exists();
        if !alive && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
