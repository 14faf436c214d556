//! Every AWS operation the code calls is granted where it runs. moto enforces no IAM, so a
//! missing grant would only show in a real account, one failed tick at a time: this test reads
//! the SDK calls out of `src/aws/` and checks each against the policy text of the templates.
//!
//! The table below is kept honest both ways: a call in the code that is not in the table
//! fails, and so does a row whose call the code no longer makes.

use std::collections::BTreeSet;
use std::path::Path;

/// Where a call's permission must be granted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Grant {
    /// The provider function's role (`cfn/provider.yaml`).
    Provider,
    /// The provider's role (its own account) and the member role (every other account).
    ProviderAndMember,
    /// Needs no permission at all, said why.
    None(&'static str),
}

const CALLS: &[(&str, Grant)] = &[
    ("cloudwatch:DeleteAlarms", Grant::Provider),
    ("cloudwatch:DeleteDashboards", Grant::Provider),
    ("cloudwatch:DeleteMetricStream", Grant::Provider),
    ("cloudwatch:DescribeAlarms", Grant::Provider),
    ("cloudwatch:DescribeAlarmsForMetric", Grant::Provider),
    ("cloudwatch:EnableAlarmActions", Grant::Provider),
    ("cloudwatch:GetMetricData", Grant::ProviderAndMember),
    ("cloudwatch:ListTagsForResource", Grant::Provider),
    ("cloudwatch:PutDashboard", Grant::Provider),
    ("cloudwatch:PutMetricAlarm", Grant::Provider),
    ("cloudwatch:PutMetricData", Grant::Provider),
    ("cloudwatch:PutMetricStream", Grant::Provider),
    ("cloudwatch:SetAlarmState", Grant::Provider),
    ("cloudwatch:TagResource", Grant::Provider),
    ("cloudwatch:UntagResource", Grant::Provider),
    ("ec2:DescribeInstanceTypes", Grant::ProviderAndMember),
    ("ec2:DescribeInstances", Grant::ProviderAndMember),
    ("ec2:DescribeNetworkInterfaces", Grant::ProviderAndMember),
    ("ec2:DescribeRegions", Grant::ProviderAndMember),
    ("ec2:DescribeSubnets", Grant::ProviderAndMember),
    ("ec2:DescribeVpcs", Grant::ProviderAndMember),
    ("ec2:GetSubnetCidrReservations", Grant::ProviderAndMember),
    (
        "ec2:DescribeTransitGatewayAttachments",
        Grant::ProviderAndMember,
    ),
    (
        "ec2:DescribeTransitGatewayRouteTables",
        Grant::ProviderAndMember,
    ),
    ("ec2:SearchTransitGatewayRoutes", Grant::ProviderAndMember),
    (
        "ec2:DescribeVpcPeeringConnections",
        Grant::ProviderAndMember,
    ),
    // Read with the provider's credentials in each scanned region; the member role has it
    // too, for a CLI caller whose credentials are a member's.
    ("ec2:GetManagedPrefixListEntries", Grant::ProviderAndMember),
    ("organizations:ListAccountsForParent", Grant::Provider),
    ("organizations:ListChildren", Grant::Provider),
    ("scheduler:CreateSchedule", Grant::Provider),
    ("scheduler:DeleteSchedule", Grant::Provider),
    ("scheduler:GetSchedule", Grant::Provider),
    ("scheduler:UpdateSchedule", Grant::Provider),
    ("sns:Publish", Grant::Provider),
    ("sts:AssumeRole", Grant::Provider),
    (
        "sts:GetCallerIdentity",
        Grant::None("GetCallerIdentity needs no permission: no policy can deny it"),
    ),
];

/// The SDK clients in `src/aws/` and the IAM service prefix of each.
const CLIENTS: &[(&str, &str)] = &[
    ("self.cloudwatch.", "cloudwatch"),
    // A CloudWatch client in a member account-region (cni-metrics-helper's figures).
    ("cw.", "cloudwatch"),
    ("self.scheduler.", "scheduler"),
    ("ec2.", "ec2"),
    ("sns.", "sns"),
    ("org.", "organizations"),
    ("sts.", "sts"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `service:Operation` for every `client.operation()` call in `src/aws/`, whitespace and
/// line breaks of builder chains ignored.
fn calls_in_code() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("src/aws")).unwrap() {
        let path = entry.unwrap().path();
        let text: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<String>()
            .split_whitespace()
            .collect();
        for (client, service) in CLIENTS {
            for (at, _) in text.match_indices(client) {
                // `ec2.` must be the client, not the tail of another name (whitespace is gone,
                // so `match self.scheduler` reads `matchself.scheduler`: only bare names check).
                let before = text[..at].chars().last();
                let bare = !client.starts_with("self.");
                if bare && before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[at + client.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                // Client methods that are not AWS operations.
                let local = matches!(name.as_str(), "clone" | "config");
                if !name.is_empty() && !local && rest[name.len()..].starts_with("()") {
                    found.insert(format!("{service}:{}", pascal(&name)));
                }
            }
        }
    }
    found
}

/// A template's policy text, comments dropped so a mention in prose grants nothing.
fn policy_text(template: &str) -> String {
    std::fs::read_to_string(root().join(template))
        .unwrap()
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default())
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `action` is granted in the text: as a list item or inside a flow list.
fn grants(text: &str, action: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l == format!("- {action}")
            || l == format!("Action: {action}")
            || (l.starts_with("Action: [")
                && l.trim_start_matches("Action: [")
                    .trim_end_matches(']')
                    .split(',')
                    .any(|a| a.trim() == action))
    })
}

#[test]
fn the_table_is_exactly_the_calls_the_code_makes() {
    let code = calls_in_code();
    let table: BTreeSet<String> = CALLS.iter().map(|(a, _)| a.to_string()).collect();
    assert!(code.len() > 20, "the scan finds the calls: {code:?}");
    let missing: Vec<&String> = code.difference(&table).collect();
    let stale: Vec<&String> = table.difference(&code).collect();
    assert!(
        missing.is_empty(),
        "calls the code makes that the table (and maybe the policy) lacks: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for calls the code no longer makes: {stale:?}"
    );
}

#[test]
fn every_call_is_granted_where_it_runs() {
    let provider = policy_text("cfn/provider.yaml");
    let member = policy_text("cfn/member-role.yaml");
    for (action, grant) in CALLS {
        match grant {
            Grant::Provider => assert!(grants(&provider, action), "{action}: provider.yaml"),
            Grant::ProviderAndMember => {
                assert!(grants(&provider, action), "{action}: provider.yaml");
                assert!(grants(&member, action), "{action}: member-role.yaml");
            }
            Grant::None(why) => assert!(!why.is_empty()),
        }
    }
}

#[test]
fn the_member_role_grants_reads_only() {
    let member = policy_text("cfn/member-role.yaml");
    let actions: Vec<&str> = member
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- ec2:"))
        .collect();
    assert_eq!(
        actions,
        [
            "DescribeSubnets",
            "DescribeVpcs",
            "DescribeNetworkInterfaces",
            "GetSubnetCidrReservations",
            "DescribeRegions",
            "DescribeInstances",
            "DescribeInstanceTypes",
            "DescribeTransitGatewayAttachments",
            "DescribeTransitGatewayRouteTables",
            "DescribeVpcPeeringConnections",
            "SearchTransitGatewayRoutes",
            "GetManagedPrefixListEntries"
        ]
    );
    let cloudwatch: Vec<&str> = member
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("cloudwatch:"))
        .collect();
    assert_eq!(cloudwatch, ["Action: cloudwatch:GetMetricData"]);
}
