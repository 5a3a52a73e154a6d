//! Requirement coverage: the numbered sections of the product specification (`docs/spec.md`:
//! `## 3. Purse commands` is requirement `§3`, `### 1.1 …` is `§1.1`) and the vectors that name
//! each in their `spec` field, as conformance suites keep it: requirement → vectors, and the
//! requirements no vector checks.

use crate::format::VectorFile;
use std::path::PathBuf;

/// One numbered requirement of the specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// `§3`, `§1.1`.
    pub id: String,
    pub title: String,
}

/// The numbered sections of a specification in Markdown: headings `## N. Title` and
/// `### N.M Title`.
pub fn requirements(spec_md: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    for line in spec_md.lines() {
        let Some(rest) = line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("## "))
        else {
            continue;
        };
        let (num, title) = rest.split_once(' ').unwrap_or((rest, ""));
        let num = num.trim_end_matches('.');
        if !num.is_empty()
            && num
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(Requirement {
                id: format!("§{num}"),
                title: title.trim().to_string(),
            });
        }
    }
    out
}

/// Whether a vector's `spec` text names requirement `id` itself (`§1` is not `§1.1`).
pub fn names(spec: &str, id: &str) -> bool {
    spec.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')'))
        .any(|tok| tok == id)
}

/// Requirement → the vectors that check it (path and name), in the specification's order.
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    pub rows: Vec<(Requirement, Vec<(PathBuf, String)>)>,
}

impl Matrix {
    pub fn of(reqs: &[Requirement], vectors: &[(PathBuf, VectorFile)]) -> Matrix {
        Matrix {
            rows: reqs
                .iter()
                .map(|r| {
                    let by = vectors
                        .iter()
                        .filter(|(_, v)| names(&v.spec, &r.id))
                        .map(|(p, v)| (p.clone(), v.name.clone()))
                        .collect();
                    (r.clone(), by)
                })
                .collect(),
        }
    }

    /// The requirements no vector checks.
    pub fn unchecked(&self) -> Vec<&Requirement> {
        self.rows
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(r, _)| r)
            .collect()
    }

    /// The matrix as text: a line per requirement with its vector count and files, then the
    /// requirements no vector checks.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (r, v) in &self.rows {
            s.push_str(&format!("{:<6} {:>3}  {}\n", r.id, v.len(), r.title));
            for (p, _) in v {
                s.push_str(&format!("           {}\n", p.display()));
            }
        }
        let un = self.unchecked();
        s.push_str(&format!(
            "requirements: {} of {} checked by a vector",
            self.rows.len() - un.len(),
            self.rows.len()
        ));
        if un.is_empty() {
            s.push('\n');
        } else {
            s.push_str(&format!(
                "; no vector checks {}\n",
                un.iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_headings_are_requirements() {
        let r =
            requirements("# Title\n## 1. Menus\ntext\n### 1.1 Toolkit\n## Notes\n## 2. Files\n");
        let ids: Vec<_> = r.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["§1", "§1.1", "§2"]);
        assert_eq!(r[1].title, "Toolkit");
        assert!(names("§1 §1.1 (x)", "§1.1") && names("§1, §1.1", "§1") && !names("§1.1", "§1"));
    }
}
