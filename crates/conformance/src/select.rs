//! Finding vectors: the files under the paths given (each file once, however it was typed),
//! their stable class names for JUnit, and `run --filter`.

use crate::format::VectorFile;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Vector files under `paths`: files as given, folders searched for `*.json` (sorted; folders
/// named `profiles` and JSON Schema files, `*.schema.json`, are skipped). A file reached twice (`vectors/purse` and
/// `vectors/purse/smoke.json`, or a relative and an absolute path) is listed once, where it was
/// first reached.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    let mut seen = HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "profiles") {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "json")
            && !p.to_string_lossy().ends_with(".schema.json")
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The JUnit class name of a vector file: its folder and its file name without the extension,
/// joined by a dot (`purse.smoke` for `vectors/purse/smoke.json`). Taken from the file's real
/// path, so it is the same whether the path was typed relative or absolute; dots inside the
/// folder or file name become `_`, so CI systems that split a class name at its last dot
/// (Jenkins: package `purse`, class `smoke`) see exactly these two parts.
pub fn class_name(path: &Path) -> String {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let clean = |s: Option<&std::ffi::OsStr>| {
        s.map(|s| s.to_string_lossy().replace('.', "_"))
            .filter(|s| !s.is_empty())
    };
    let stem = clean(real.file_stem()).unwrap_or_else(|| "vector".into());
    match clean(real.parent().and_then(Path::file_name)) {
        Some(folder) => format!("{folder}.{stem}"),
        None => stem,
    }
}

/// One `--filter` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `name:TEXT`: the vector's name contains TEXT (any case).
    Name(String),
    /// `folder:PATH`: the file lies directly in a folder whose path ends with PATH (`purse`,
    /// `vectors/purse`).
    Folder(String),
    /// `spec:§N`: the vector's `spec` names section N or one of its subsections (`§1` takes
    /// `§1.1`; the `§` may be left out).
    Spec(String),
    /// `tag:NAME`: the vector has this tag (any case).
    Tag(String),
    /// Plain TEXT: the name or the file's path contains TEXT, or a tag equals it.
    Any(String),
}

impl std::str::FromStr for Filter {
    type Err = String;
    fn from_str(s: &str) -> Result<Filter, String> {
        let (kind, value) = match s.split_once(':') {
            Some((k, v)) if matches!(k, "name" | "folder" | "spec" | "tag") => (k, v.trim()),
            _ => ("", s.trim()),
        };
        if value.is_empty() {
            return Err(format!(
                "filter `{s}` is empty (forms: TEXT, name:TEXT, folder:PATH, spec:§N, tag:NAME)"
            ));
        }
        let v = value.to_string();
        Ok(match kind {
            "name" => Filter::Name(v),
            "folder" => Filter::Folder(v.trim_end_matches('/').to_string()),
            "spec" => Filter::Spec(if v.starts_with('§') {
                v
            } else {
                format!("§{v}")
            }),
            "tag" => Filter::Tag(v),
            _ => Filter::Any(v),
        })
    }
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

impl Filter {
    fn kind(&self) -> u8 {
        match self {
            Filter::Name(_) => 0,
            Filter::Folder(_) => 1,
            Filter::Spec(_) => 2,
            Filter::Tag(_) => 3,
            Filter::Any(_) => 4,
        }
    }

    /// Whether the vector at `path` matches; `v` is `None` for a file that does not load (it
    /// can match on its path only).
    pub fn matches(&self, path: &Path, v: Option<&VectorFile>) -> bool {
        match self {
            Filter::Name(t) => v.is_some_and(|v| contains_ci(&v.name, t)),
            Filter::Folder(f) => {
                let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                real.parent().is_some_and(|d| d.ends_with(f))
                    || path.parent().is_some_and(|d| d.ends_with(f))
            }
            Filter::Spec(sec) => v.is_some_and(|v| spec_names(&v.spec, sec)),
            Filter::Tag(t) => v.is_some_and(|v| v.tags.iter().any(|x| x.eq_ignore_ascii_case(t))),
            Filter::Any(t) => {
                contains_ci(&path.display().to_string(), t)
                    || v.is_some_and(|v| {
                        contains_ci(&v.name, t) || v.tags.iter().any(|x| x.eq_ignore_ascii_case(t))
                    })
            }
        }
    }
}

/// Whether a `spec` text names section `sec` (`§3`) or one of its subsections (`§3.1`).
pub fn spec_names(spec: &str, sec: &str) -> bool {
    spec.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')'))
        .any(|tok| {
            tok == sec
                || tok
                    .strip_prefix(sec)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Whether a vector passes every kind of filter given: terms of the same kind are alternatives
/// (`tag:a tag:b`: either tag), terms of different kinds all apply (`folder:purse tag:smoke`).
pub fn selected(filters: &[Filter], path: &Path, v: Option<&VectorFile>) -> bool {
    (0..5u8).all(|k| {
        let mut of_kind = filters.iter().filter(|f| f.kind() == k).peekable();
        of_kind.peek().is_none() || of_kind.any(|f| f.matches(path, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_sections_and_subsections() {
        assert!(spec_names("§2 §3", "§3"));
        assert!(spec_names("§1 (注销钱包), §1.1", "§1"));
        assert!(spec_names("§1.1", "§1"));
        assert!(!spec_names("§1.1", "§1.2"));
        assert!(!spec_names("§13", "§1"));
        assert!(!spec_names("§3 (ISO 7816-4)", "§4"));
    }

    #[test]
    fn filter_forms() {
        assert_eq!("tag:smoke".parse(), Ok(Filter::Tag("smoke".into())));
        assert_eq!("spec:3".parse(), Ok(Filter::Spec("§3".into())));
        assert_eq!("folder:purse/".parse(), Ok(Filter::Folder("purse".into())));
        assert_eq!("balance".parse(), Ok(Filter::Any("balance".into())));
        assert_eq!("x:y".parse(), Ok(Filter::Any("x:y".into())));
        assert!("tag:".parse::<Filter>().is_err() && " ".parse::<Filter>().is_err());
    }

    #[test]
    fn class_names_have_one_dot() {
        assert_eq!(
            class_name(Path::new("no/such/purse/smoke.json")),
            "purse.smoke"
        );
        assert_eq!(class_name(Path::new("a/v1.2/x.y.json")), "v1_2.x_y");
    }
}
