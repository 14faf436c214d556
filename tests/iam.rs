//! Every AWS operation the code calls is granted where it runs. moto enforces no IAM, so a
//! missing grant would only show in a real account, one failed tick at a time: this test reads
//! the SDK calls out of `src/aws/` and checks each against the policy text of the templates.
//!
//! The table below is kept honest both ways: a call in the code that is not in the table
//! fails, and so does a row whose call the code no longer makes.

#[path = "support/book.rs"]
mod book;

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

/// Each call, where it is granted, and why cidrwatch makes it: the manual's IAM table.
const CALLS: &[(&str, Grant, &str)] = &[
    (
        "cloudwatch:DeleteAlarms",
        Grant::Provider,
        "Update removes alarms whose threshold was unset; Delete removes them all",
    ),
    (
        "cloudwatch:DeleteDashboards",
        Grant::Provider,
        "a monitor's dashboard goes when `Dashboard` is turned off, and with Delete",
    ),
    (
        "cloudwatch:DeleteMetricStream",
        Grant::Provider,
        "likewise its metric stream",
    ),
    (
        "cloudwatch:DescribeAlarms",
        Grant::Provider,
        "Update and Delete find the monitor's alarms, exactly its names",
    ),
    (
        "cloudwatch:DescribeAlarmsForMetric",
        Grant::Provider,
        "Create refuses a `PoolName` another monitor already publishes in the same `Namespace`",
    ),
    (
        "cloudwatch:EnableAlarmActions",
        Grant::Provider,
        "new alarms are put with actions off and turned on once their first state is set",
    ),
    (
        "cloudwatch:GetMetricData",
        Grant::ProviderAndMember,
        "the trend's week of `UsedAddresses`; in member accounts, what cni-metrics-helper publishes",
    ),
    (
        "cloudwatch:ListTagsForResource",
        Grant::Provider,
        "Update re-syncs alarm tags, which `PutMetricAlarm` sets only on creation",
    ),
    (
        "cloudwatch:PutDashboard",
        Grant::Provider,
        "`Dashboard: true`",
    ),
    (
        "cloudwatch:PutMetricAlarm",
        Grant::Provider,
        "the monitor's alarms",
    ),
    (
        "cloudwatch:PutMetricData",
        Grant::Provider,
        "every tick's figures, only in `MetricNamespaces`",
    ),
    (
        "cloudwatch:PutMetricStream",
        Grant::Provider,
        "`MetricStream`",
    ),
    (
        "cloudwatch:SetAlarmState",
        Grant::Provider,
        "a new alarm the first scan shows healthy is set OK, so no false INSUFFICIENT_DATA → OK is announced",
    ),
    (
        "cloudwatch:TagResource",
        Grant::Provider,
        "alarm tags on Update",
    ),
    (
        "cloudwatch:UntagResource",
        Grant::Provider,
        "alarm tags removed on Update",
    ),
    (
        "ec2:DescribeInstanceTypes",
        Grant::ProviderAndMember,
        "each EKS node's max-pods (its ENIs and addresses per ENI)",
    ),
    (
        "ec2:DescribeInstances",
        Grant::ProviderAndMember,
        "the EKS nodes behind the VPC CNI's ENIs, and their clusters",
    ),
    (
        "ec2:DescribeNetworkInterfaces",
        Grant::ProviderAndMember,
        "detached ENIs, who holds each address, /28 prefix accounting",
    ),
    (
        "ec2:DescribeRegions",
        Grant::ProviderAndMember,
        "`Regions: [ALL]`: the regions each account has enabled",
    ),
    (
        "ec2:DescribeSubnets",
        Grant::ProviderAndMember,
        "the pool: every subnet's CIDR and free count",
    ),
    (
        "ec2:DescribeVpcs",
        Grant::ProviderAndMember,
        "the VPCs' CIDR blocks: room for new subnets, `VpcAllocation`, the address plan",
    ),
    (
        "ec2:GetSubnetCidrReservations",
        Grant::ProviderAndMember,
        "`ExplicitReservations: true`: explicit reservations take /28 blocks",
    ),
    (
        "ec2:DescribeTransitGatewayAttachments",
        Grant::ProviderAndMember,
        "`Supernets`: which VPCs a transit gateway connects",
    ),
    (
        "ec2:DescribeTransitGatewayRouteTables",
        Grant::ProviderAndMember,
        "`Supernets`: the gateways' route tables",
    ),
    (
        "ec2:SearchTransitGatewayRoutes",
        Grant::ProviderAndMember,
        "`Supernets`: on-premises ranges the gateways route",
    ),
    (
        "ec2:DescribeVpcPeeringConnections",
        Grant::ProviderAndMember,
        "`Supernets`: which VPCs a peering connects",
    ),
    // Read with the provider's credentials in each scanned region; the member role has it
    // too, for a CLI caller whose credentials are a member's.
    (
        "ec2:GetManagedPrefixListEntries",
        Grant::ProviderAndMember,
        "`AvoidPrefixLists`: ranges in use elsewhere",
    ),
    (
        "organizations:ListAccountsForParent",
        Grant::Provider,
        "`OrganizationalUnits`: the accounts beneath each OU",
    ),
    (
        "organizations:ListChildren",
        Grant::Provider,
        "`OrganizationalUnits`: nested OUs",
    ),
    (
        "scheduler:CreateSchedule",
        Grant::Provider,
        "each monitor's schedule, whose input is the monitor",
    ),
    ("scheduler:DeleteSchedule", Grant::Provider, "Delete"),
    (
        "scheduler:GetSchedule",
        Grant::Provider,
        "a notification and the dashboard's widget read the monitor from its schedule",
    ),
    ("scheduler:UpdateSchedule", Grant::Provider, "Update"),
    (
        "sns:Publish",
        Grant::Provider,
        "`Notify: detailed` messages, only to `AlarmTopicArns`",
    ),
    (
        "sts:AssumeRole",
        Grant::Provider,
        "other accounts, only through `MemberRoleName`",
    ),
    (
        "sts:GetCallerIdentity",
        Grant::None("GetCallerIdentity needs no permission: no policy can deny it"),
        "the provider's own account, scanned with its own credentials",
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
    let table: BTreeSet<String> = CALLS.iter().map(|(a, _, _)| a.to_string()).collect();
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
    for (action, grant, _) in CALLS {
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

/// The manual's IAM page is this table: every permission, where it is granted, and why.
#[test]
fn the_manuals_iam_table_is_the_calls() {
    let rows: Vec<Vec<String>> = CALLS
        .iter()
        .map(|(action, grant, why)| {
            let to = match grant {
                Grant::Provider => "the provider".to_string(),
                Grant::ProviderAndMember => "the provider and the member role".to_string(),
                Grant::None(reason) => format!("nothing: {reason}"),
            };
            vec![format!("`{action}`"), to, why.to_string()]
        })
        .collect();
    let table = book::table(&["permission", "granted to", "why"], &rows);
    book::region_is("docs/iam.md", "calls", &table);
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
