//! One version, Cargo's, wherever a release names it: the binary's `--version`, the Lambda
//! zip's name in the templates' default `CodeKey`, the SAM application's `SemanticVersion`,
//! the CDK package, the README's quick start and the CHANGELOG's newest section. And the
//! `rust-version` Cargo.toml declares is no older than what the locked dependencies need.

use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The zip a release builds, by the name `make release` gives it.
fn zip_name() -> String {
    format!("cidrwatch-{VERSION}-x86_64.zip")
}

#[test]
fn every_place_that_names_the_version_names_cargos() {
    let out = Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
        .arg("--version")
        .output()
        .expect("run cidrwatch --version");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with(&format!("cidrwatch {VERSION} (")),
        "{said}"
    );

    let key = format!("Default: cidrwatch/{}", zip_name());
    assert!(
        read("cfn/provider.yaml").contains(&key),
        "cfn/provider.yaml: {key}"
    );
    assert!(
        read("template.yaml").contains(&format!("SemanticVersion: {VERSION}")),
        "template.yaml's SemanticVersion"
    );
    let package: serde_json::Value =
        serde_json::from_str(&read("cdk-example/package.json")).unwrap();
    assert_eq!(package["version"], VERSION, "cdk-example/package.json");
    let readme = read("README.md");
    assert!(
        readme.contains(&zip_name()),
        "README's quick start names {}",
        zip_name()
    );
    // Every release zip the README and the manual name is this version's.
    let mut pages = vec![("README.md".to_string(), readme)];
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = format!("docs/{}", path.file_name().unwrap().to_string_lossy());
            pages.push((name.clone(), read(&name)));
        }
    }
    for (page, text) in &pages {
        for (at, _) in text.match_indices("cidrwatch-") {
            let named: String = text[at + "cidrwatch-".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let named = named.trim_end_matches('.');
            assert!(
                named.is_empty() || named == VERSION,
                "{page} names cidrwatch-{named}, Cargo's version is {VERSION}"
            );
        }
    }
    let changelog = read("CHANGELOG.md");
    let newest = changelog
        .lines()
        .find(|l| l.starts_with("## ["))
        .expect("a version section");
    assert!(
        newest.starts_with(&format!("## [{VERSION}] - ")),
        "CHANGELOG.md's newest section is {newest}, Cargo's version is {VERSION}"
    );
}

#[test]
fn the_licence_is_named_alike_everywhere() {
    let cargo = read("Cargo.toml");
    assert!(cargo.contains("license = \"Apache-2.0\""));
    assert!(read("LICENSE").contains("Apache License\n                           Version 2.0"));
    let package: serde_json::Value =
        serde_json::from_str(&read("cdk-example/package.json")).unwrap();
    assert_eq!(package["license"], "Apache-2.0");
    assert!(read("template.yaml").contains("SpdxLicenseId: Apache-2.0"));
}

/// `rust-version` as Cargo.toml declares it, and as the README says it.
fn declared_rust_version() -> (u32, u32, u32) {
    let cargo = read("Cargo.toml");
    let line = cargo
        .lines()
        .find(|l| l.starts_with("rust-version"))
        .expect("Cargo.toml declares rust-version");
    let v = line.split('"').nth(1).unwrap();
    assert!(
        read("README.md").contains(&format!("Rust {v}")),
        "the README names Rust {v}"
    );
    triple(v)
}

fn triple(v: &str) -> (u32, u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Each locked package's own `rust-version`, read from Cargo's registry sources.
fn locked_rust_versions(registry: &Path) -> Vec<((u32, u32, u32), String)> {
    let lock = read("Cargo.lock");
    let mut found = Vec::new();
    let mut name = String::new();
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"').to_string();
        } else if let Some(v) = line.strip_prefix("version = ") {
            let dir = format!("{name}-{}", v.trim_matches('"'));
            for index in std::fs::read_dir(registry).into_iter().flatten().flatten() {
                let manifest = index.path().join(&dir).join("Cargo.toml");
                if let Ok(text) = std::fs::read_to_string(&manifest)
                    && let Some(rv) = text.lines().find(|l| l.starts_with("rust-version"))
                {
                    found.push((triple(rv.split('"').nth(1).unwrap_or("0")), dir.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let declared = declared_rust_version();
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let needed = locked_rust_versions(&home.join("registry/src"));
    assert!(needed.len() > 50, "found {} manifests", needed.len());
    let (floor, by) = needed.iter().max().unwrap();
    // Not older than any dependency allows; newer std APIs in our own code are clippy's
    // incompatible_msrv lint's to refuse (make lint, -D warnings).
    assert!(
        declared >= *floor,
        "Cargo.toml's rust-version {declared:?} is older than {by} needs ({floor:?})"
    );
}
