//! Every file the repository's prose and code point at exists: a reader who follows a
//! reference (README, docs, doc comments, templates, scripts) finds the file.

use std::path::Path;

const TOP: &[&str] = &[
    "src/",
    "tests/",
    "cfn/",
    "docs/",
    "scripts/",
    "benches/",
    "examples/",
    "cdk-example/",
    "terraform-example/",
    "fuzz/",
];
const EXTENSIONS: &[&str] = &[
    ".rs", ".md", ".yaml", ".py", ".ts", ".json", ".tf", ".txt", ".toml",
];
/// Where references are read.
const READ: &[&str] = &[
    "README.md",
    "docs",
    "src",
    "tests",
    "benches",
    "examples",
    "scripts",
    "cfn",
    "cdk-example/lib",
    "cdk-example/test",
    "terraform-example",
    "Makefile",
    "template.yaml",
];

fn files(root: &Path, rel: &str, out: &mut Vec<std::path::PathBuf>) {
    let path = root.join(rel);
    if path.is_file() {
        out.push(path);
    } else if let Ok(entries) = std::fs::read_dir(&path) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name == "snapshots" || name == "node_modules" || name.starts_with('.') {
                continue;
            }
            files(root, &format!("{rel}/{name}"), out);
        }
    }
}

/// Path-like tokens: a top folder, then path characters, ending in a known extension.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c))) {
        let word = word.trim_end_matches('.');
        let at = TOP.iter().filter_map(|t| word.find(t)).min();
        let Some(at) = at else { continue };
        let candidate = &word[at..];
        let from_start = at == 0 || word[..at].ends_with("../");
        if from_start && EXTENSIONS.iter().any(|e| candidate.ends_with(e)) {
            out.push(candidate.to_string());
        }
    }
    out
}

#[test]
fn every_referenced_file_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for r in READ {
        files(root, r, &mut all);
    }
    assert!(all.len() > 30, "{}", all.len());
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in &all {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        // The product contract lives outside the repository; docs/design.md is ours.
        let outside = concat!("DESIGN", ".md");
        if text.contains(outside) {
            missing.push(format!(
                "{}: {outside} (not in the repository)",
                file.display()
            ));
        }
        for r in references(&text) {
            // Written by the build (`npm run synth`), not kept in the repository.
            if r.contains("/cdk.out/") {
                continue;
            }
            checked += 1;
            if !root.join(&r).exists() {
                missing.push(format!(
                    "{}: {r}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(checked > 50, "references found: {checked}");
    assert!(
        missing.is_empty(),
        "references to missing files:\n{}",
        missing.join("\n")
    );
}
