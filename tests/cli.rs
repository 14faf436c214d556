//! The command line people's hands expect: `--help` for every command, `--version`, an
//! unknown flag answered with one line and a suggestion, a bad value with the property
//! parser's own message, completion scripts; the manual's command-line page is `--help`, and each of
//! its examples runs against moto.

mod support;

use std::process::{Output, Stdio};

use serde_json::json;
use support::*;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary with `args`, offline (no AWS is reached by these).
fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("run cidrwatch")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The manual's command-line page's block `name`, fences removed.
fn page_block(name: &str) -> String {
    let page = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    let begin = format!("<!-- {name}:begin -->\n");
    let start = page.find(&begin).expect("the block's markers") + begin.len();
    let stop = page[start..].find(&format!("<!-- {name}:end -->")).unwrap() + start;
    let block = &page[start..stop];
    let body = block.split_once('\n').map_or("", |(_, rest)| rest);
    body.rsplit_once("```").map_or(body, |(b, _)| b).to_string()
}

const COMMANDS: [(&str, &str); 7] = [
    ("report", "--all-regions"),
    ("map", "--html"),
    ("suggest", "--size"),
    ("schema", "--markdown"),
    ("validate", "PROPS.json"),
    ("invoke", "EVENT.json"),
    ("completions", "powershell"),
];

/// Every command answers `--help` and `-h`, and the manual's command-line page is their text.
#[test]
fn help_for_every_command_and_the_manual_shows_it() {
    let top = run(&["--help"]);
    assert!(top.status.success());
    book::region_is(
        "docs/cli.md",
        "usage",
        &format!("```text\n{}```", text(&top.stdout)),
    );
    let mut each = String::new();
    for (command, flag) in COMMANDS {
        for help in ["--help", "-h"] {
            let out = run(&[command, help]);
            assert!(out.status.success(), "{command} {help}");
            let said = text(&out.stdout);
            assert!(said.contains(&format!("cidrwatch {command}")), "{said}");
            assert!(said.contains(flag), "{command} {help} names {flag}: {said}");
        }
        let long = text(&run(&[command, "--help"]).stdout);
        each.push_str(&format!(
            "### `cidrwatch {command}`\n\n```text\n{long}```\n\n"
        ));
    }
    book::region_is("docs/cli.md", "commands", &each);
}

#[test]
fn version_names_the_commit() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let v = text(&out.stdout);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_string(), |o| {
            text(&o.stdout).trim().to_string()
        });
    assert_eq!(
        v.trim(),
        format!("cidrwatch {} ({head})", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn mistakes_exit_2_with_one_line_and_a_suggestion() {
    for (args, parts) in [
        (
            &["report", "--jsn"][..],
            &[
                "unexpected argument '--jsn'",
                "a similar argument exists: '--json'",
            ][..],
        ),
        (&["repot"], &["unrecognized subcommand 'repot'", "'report'"]),
        (
            &["suggest", "--vpc", "vpc-0abc1234", "--size", "29"],
            &["/16 to /28"],
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        for part in parts {
            assert!(err.contains(part), "{args:?}: {err}");
        }
        assert!(out.stdout.is_empty());
    }
    // A bad CIDR gets the property parser's own words.
    let out = run(&["report", "--cidr", "10.0.0.1/8"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let property = cidrwatch::spec::parse(&json!({"PoolName": "p",
        "Select": {"Cidrs": ["10.0.0.1/8"]}}))
    .unwrap_err();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&property.0[0].message), "{err}");
}

#[test]
fn completions_for_four_shells() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cidrwatch"),
        ("fish", "complete -c cidrwatch"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(mark), "{shell}");
        for command in ["report", "suggest", "all-regions"] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
    }
}

/// Every example on the manual's command-line page, run against moto with a tagged VPC of
/// two subnets; each says what its command is for.
#[tokio::test]
async fn the_manuals_examples_run() {
    let bed = Bed::start();
    let ec2 = aws_sdk_ec2::Client::new(&bed.sdk().await);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    for cidr in ["10.9.0.0/24", "10.9.1.0/24"] {
        let tag = aws_sdk_ec2::types::Tag::builder()
            .key("team")
            .value("network")
            .build();
        ec2.create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::Subnet)
                    .tags(tag)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let dir = std::env::temp_dir().join(format!("cidrwatch-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let monitor = json!({"PoolName": "eks-prod", "Select": {"Tags": {"team": "network"}}});
    std::fs::write(dir.join("monitor.json"), monitor.to_string()).unwrap();

    let examples = page_block("examples");
    let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 8, "one a command (suggest twice): {examples}");
    for line in lines {
        let line = line.replace("vpc-0abc1234", &vpc);
        let (stdin, command) = match line.split_once(" | ") {
            Some((echo, command)) => (
                echo.trim_start_matches("echo ")
                    .trim_matches('\'')
                    .to_string(),
                command.to_string(),
            ),
            None => (String::new(), line.clone()),
        };
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cidrwatch"))
            .env_clear()
            .envs(bed.binary_env())
            .args(&args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        let out = child.wait_with_output().await.unwrap();
        let said = text(&out.stdout);
        assert!(out.status.success(), "{line}: {}", text(&out.stderr));
        let expected = match args[0] {
            "report" => "TOTAL report: 2 subnets".to_string(),
            "map" => "wrote map.html: 2 subnets in 1 VPC".to_string(),
            // The tagged VPC holds 10.9.0.0/16: the best fit is the /16 beside it.
            "suggest" if args.contains(&"--new-vpc") => {
                "next /16 VPCs, best fit first:\n  10.8.0.0/16  aws ec2 create-vpc --cidr-block \
                 10.8.0.0/16 --region us-east-1"
                    .to_string()
            }
            "suggest" => format!("{vpc} (123456789012 us-east-1)"),
            "schema" => "| property | type | default | meaning |".to_string(),
            "validate" => "valid".to_string(),
            "invoke" => "\"markdown\"".to_string(),
            "completions" => "complete -F".to_string(),
            other => panic!("an example of an unknown command: {other}"),
        };
        assert!(said.contains(&expected), "{line}: {said}");
        assert!(
            text(&out.stderr).is_empty() || args[0] == "invoke",
            "{line}: stderr is no terminal, so no progress: {}",
            text(&out.stderr)
        );
    }
    assert!(dir.join("map.html").exists());
}

/// Every environment variable the binary reads is in `--help`'s list and on the manual's
/// Configuration page.
#[test]
fn help_and_the_manual_name_every_environment_variable_the_binary_reads() {
    let help = String::from_utf8(run(&["--help"]).stdout).unwrap();
    let page = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let read = book::env_vars_read();
    for must in [
        "SCAN_CONCURRENCY",
        "METRIC_NAMESPACES",
        "RUST_LOG",
        "SCHEDULE_GROUP",
    ] {
        assert!(read.contains(must), "the scan missed {must}: {read:?}");
    }
    let missing: Vec<&String> = read.iter().filter(|v| !help.contains(v.as_str())).collect();
    assert!(missing.is_empty(), "--help does not name {missing:?}");
    let missing: Vec<&String> = read
        .iter()
        .filter(|v| !page.contains(&format!("`{v}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not name {missing:?}"
    );
}
