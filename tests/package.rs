//! The Lambda's build keeps what the provider's guarantees rest on. `make package` builds with
//! `cargo lambda build --release`, which sets each of the release profile's strip, lto,
//! codegen-units and panic that Cargo.toml leaves out — panic to "abort". A panic would then
//! end the process before the guard (src/cfn/guard.rs) undoes a half-made Create and answers
//! FAILED, and the stack would wait out ServiceTimeout. Only the real package shows this, and
//! no request makes the provider panic on purpose, so the setting itself is pinned here.

fn section<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn the_lambda_build_unwinds_on_panic() {
    let root = env!("CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    let release = section(&manifest, "[profile.release]");
    assert!(
        release.contains(&r#"panic = "unwind""#),
        "[profile.release] must state panic = \"unwind\", or cargo lambda builds with abort: {release:?}"
    );

    let makefile = std::fs::read_to_string(format!("{root}/Makefile")).unwrap();
    let package: Vec<&str> = makefile
        .lines()
        .skip_while(|l| !l.starts_with("package:"))
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .collect();
    assert!(
        package
            .iter()
            .any(|l| l.contains("cargo lambda build --release")),
        "the package is built by cargo lambda, the reason for the setting: {package:?}"
    );
}

/// One TLS stack, rustls on ring: an SDK crate asked for `default-https-client` (or any crate
/// for rustls' default provider) would bring aws-lc back — 2.4 MB of C code and tables in the
/// binary, and a CMake build — and Cargo.lock would list it.
#[test]
fn no_crate_links_aws_lc() {
    let root = env!("CARGO_MANIFEST_DIR");
    let lock = std::fs::read_to_string(format!("{root}/Cargo.lock")).unwrap();
    let linked: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = "))
        .filter(|n| n.trim_matches('"').starts_with("aws-lc"))
        .collect();
    assert_eq!(linked, Vec::<&str>::new(), "aws-lc is in Cargo.lock");
    assert!(lock.contains("name = \"ring\""), "rustls' provider is ring");
}
