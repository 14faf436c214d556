//! The manual's generated regions. A page holds each between `<!-- NAME:begin -->` and
//! `<!-- NAME:end -->`; a test renders it from the code and requires the page to hold exactly
//! that. `BLESS=1 cargo test …` writes the rendering into the page instead, for review in the
//! diff.

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Requires `page` (relative to the repository) to hold `generated` as its region `name`.
pub fn region_is(page: &str, name: &str, generated: &str) {
    let path = root().join(page);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    let (begin, end) = (
        format!("<!-- {name}:begin -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("{page} has no {begin}"))
        + begin.len();
    let stop = start
        + text[start..]
            .find(&end)
            .unwrap_or_else(|| panic!("{page} has no {end}"));
    let want = format!("{}\n", generated.trim_end());
    if std::env::var_os("BLESS").is_some() {
        let written = format!("{}{want}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, written).unwrap();
        return;
    }
    assert!(
        text[start..stop] == want,
        "{page}'s {name} is stale: run `BLESS=1 cargo test --test <this test>` and review the \
         diff.\n--- the page ---\n{}\n--- the code ---\n{want}",
        &text[start..stop]
    );
}

/// A Markdown table of `rows` under `head`. Cells may not hold `|` or a line break.
pub fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for row in rows {
        for cell in row {
            assert!(!cell.contains('|') && !cell.contains('\n'), "{cell}");
        }
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// Every environment variable the binary reads, found in `src/` by how it is read
/// (`env::var`, `var_os`, and the settings' own `var`/`list` helpers).
pub fn env_vars_read() -> BTreeSet<String> {
    let mut read = BTreeSet::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                names_read(&path, &mut read);
            }
        }
    }
    read
}

fn names_read(path: &Path, read: &mut BTreeSet<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    for call in ["var(\"", "var_os(\"", "list(\""] {
        for (at, _) in text.match_indices(call) {
            let name: String = text[at + call.len()..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if name.len() > 2 {
                read.insert(name);
            }
        }
    }
}
