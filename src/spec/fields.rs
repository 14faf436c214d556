//! What a valid value of each kind of field looks like: the predicates, and the field
//! definitions the validator and the JSON Schema share.

pub fn is_pool_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub fn is_namespace(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && !s.starts_with("AWS/")
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#' | b':')
        })
}

/// `vpc-`, `subnet-` or `pl-` followed by 8 or 17 lowercase hex digits.
pub fn is_resource_id(s: &str, kind: &str) -> bool {
    s.strip_prefix(kind)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17)
                && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

pub fn is_tag_value(s: &str) -> bool {
    s.chars().count() <= 256
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, with a region exactly when
/// `regional`.
pub fn arn_matches(
    s: &str,
    service: &str,
    regional: bool,
    resource: impl Fn(&str) -> bool,
) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, svc, region, account, rest] = parts[..] else {
        return false;
    };
    arn == "arn"
        && (partition == "aws" || partition.starts_with("aws-"))
        && svc == service
        && (if regional {
            is_region(region)
        } else {
            region.is_empty()
        })
        && is_account(account)
        && resource(rest)
}

/// A standard topic's ARN. FIFO topics (`.fifo`) are refused: CloudWatch alarm actions
/// cannot publish to them, and a notification published without a MessageGroupId is refused.
pub fn is_sns_topic_arn(s: &str) -> bool {
    arn_matches(s, "sns", true, |name| {
        (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    })
}

/// A string field, defined once for the validator and the JSON Schema: what the message says
/// is expected, the check the validator runs, and the pattern the schema states. The
/// differential test (`tests/schema.rs`) holds the check and the pattern to the same verdicts.
pub struct Text {
    /// "a 12-digit account id": the validator's message, the schema's description.
    pub expect: &'static str,
    /// ECMA-262 regular expression, anchored.
    pub pattern: &'static str,
    pub check: fn(&str) -> bool,
    /// The validator also takes a JSON whole number for a string (its decimal text); these
    /// are the numbers whose text passes `check`, when there are any.
    pub integers: Option<(u64, u64)>,
    /// Values that pass `check`: the schema's `examples`, which documentation shows and the
    /// generator of whole monitors (`tests/lifecycle.rs`) draws from.
    pub examples: &'static [&'static str],
}

/// Region, as the schema spells [`is_region`].
macro_rules! region {
    () => {
        "[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
    };
}
/// Partition, as [`arn_matches`] accepts it: `aws` or `aws-…`.
macro_rules! partition {
    () => {
        "(aws|aws-[^:]*)"
    };
}

pub const POOL_NAME: Text = Text {
    expect: "a name of 1 to 64 of [A-Za-z0-9_.-]",
    pattern: "^[A-Za-z0-9_.-]{1,64}$",
    check: is_pool_name,
    integers: Some((0, u64::MAX)),
    examples: &["eks-prod", "shared.services_1"],
};
pub const NAMESPACE: Text = Text {
    expect: "a CloudWatch namespace of 1 to 255 of [A-Za-z0-9.-_/#:], not starting with AWS/",
    pattern: "^(?!AWS/)[A-Za-z0-9._/#:-]{1,255}$",
    check: is_namespace,
    integers: Some((0, u64::MAX)),
    examples: &["CidrWatch", "Network/Ips"],
};
pub const VPC_ID: Text = Text {
    expect: "a VPC id like vpc-0abc1234",
    pattern: "^vpc-([0-9a-f]{8}|[0-9a-f]{17})$",
    check: |s| is_resource_id(s, "vpc"),
    integers: None,
    examples: &["vpc-0abc1234", "vpc-0abc1234def567890"],
};
pub const SUBNET_ID: Text = Text {
    expect: "a subnet id like subnet-0abc1234",
    pattern: "^subnet-([0-9a-f]{8}|[0-9a-f]{17})$",
    check: |s| is_resource_id(s, "subnet"),
    integers: None,
    examples: &["subnet-0abc1234", "subnet-0abc1234def567890"],
};
/// A customer-managed prefix list: `pl-` and 8 or 17 lowercase hex digits.
pub const PREFIX_LIST_ID: Text = Text {
    expect: "a prefix list id like pl-0abc1234",
    pattern: "^pl-([0-9a-f]{8}|[0-9a-f]{17})$",
    check: |s| is_resource_id(s, "pl"),
    integers: None,
    examples: &["pl-0abc1234", "pl-0abc1234def567890"],
};
/// What `Select.Regions` takes: a region, or `ALL` (every region enabled in each account).
pub const ALL_REGIONS: &str = "ALL";
pub const REGION_OR_ALL: Text = Text {
    expect: "a region like eu-west-1, or ALL (every region enabled in each account)",
    pattern: concat!("^(ALL|", region!(), ")$"),
    check: |s| s == ALL_REGIONS || is_region(s),
    integers: None,
    examples: &["us-east-1", "eu-west-1", ALL_REGIONS],
};
/// An organization root or OU id, as AWS Organizations spells a parent.
pub const OU_ID: Text = Text {
    expect: "an organization root (r-ab12) or OU id (ou-ab12-cd34ef56)",
    pattern: "^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$",
    check: is_ou_id,
    integers: None,
    examples: &["r-ab12", "ou-ab12-cd34ef56"],
};

/// `r-` and 4–32 of [0-9a-z], or `ou-`, 4–32 of [0-9a-z], `-`, 8–32 of [0-9a-z].
pub fn is_ou_id(s: &str) -> bool {
    let run = |p: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if let Some(rest) = s.strip_prefix("r-") {
        return run(rest, 4, 32);
    }
    match s.strip_prefix("ou-").and_then(|r| r.split_once('-')) {
        Some((root, ou)) => run(root, 4, 32) && run(ou, 8, 32),
        None => false,
    }
}

pub const ACCOUNT: Text = Text {
    expect: "a 12-digit account id",
    pattern: "^[0-9]{12}$",
    check: is_account,
    integers: Some((100_000_000_000, 999_999_999_999)),
    examples: &["123456789012", "111111111111"],
};
pub const ROLE_NAME: Text = Text {
    expect: "an IAM role name of 1 to 64 of [A-Za-z0-9+=,.@_-]",
    pattern: "^[A-Za-z0-9+=,.@_-]{1,64}$",
    check: is_role_name,
    integers: Some((0, u64::MAX)),
    examples: &["cidrwatch-reader"],
};
pub const TAG_VALUE: Text = Text {
    expect: "a tag value of up to 256 characters",
    pattern: "^[\\s\\S]{0,256}$",
    check: is_tag_value,
    integers: Some((0, u64::MAX)),
    examples: &["shared", "owned"],
};
pub const SNS_TOPIC_ARN: Text = Text {
    expect: "a standard SNS topic ARN (not .fifo: alarms cannot publish to FIFO topics)",
    pattern: concat!(
        "^arn:",
        partition!(),
        ":sns:",
        region!(),
        ":[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
    ),
    check: is_sns_topic_arn,
    integers: None,
    examples: &["arn:aws:sns:us-east-1:123456789012:network-alerts"],
};
pub const FIREHOSE_ARN: Text = Text {
    expect: "a Firehose delivery stream ARN",
    pattern: concat!(
        "^arn:",
        partition!(),
        ":firehose:",
        region!(),
        ":[0-9]{12}:deliverystream/[\\s\\S]*$"
    ),
    check: |s| arn_matches(s, "firehose", true, |r| r.starts_with("deliverystream/")),
    integers: None,
    examples: &["arn:aws:firehose:us-east-1:123456789012:deliverystream/cidrwatch-metrics"],
};
pub const ROLE_ARN: Text = Text {
    expect: "an IAM role ARN",
    pattern: concat!("^arn:", partition!(), ":iam::[0-9]{12}:role/[\\s\\S]*$"),
    check: |s| arn_matches(s, "iam", false, |r| r.starts_with("role/")),
    integers: None,
    examples: &["arn:aws:iam::123456789012:role/cidrwatch-reader"],
};
/// The one enumeration: what CloudWatch streams in.
pub const STREAM_FORMATS: &[&str] = &["json", "opentelemetry0.7", "opentelemetry1.0"];
pub const STREAM_FORMAT: Text = Text {
    expect: "json, opentelemetry0.7 or opentelemetry1.0",
    pattern: "^(json|opentelemetry0\\.7|opentelemetry1\\.0)$",
    check: |s| STREAM_FORMATS.contains(&s),
    integers: None,
    examples: STREAM_FORMATS,
};
/// A tag key: 1 to 128 characters.
pub const TAG_KEY_MAX: usize = 128;
/// Tag-key prefixes a user may not set: AWS's and ours.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["aws:", "cidrwatch:"];

/// A number field's bounds, for the validator and the schema.
#[derive(Clone, Copy)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}
pub const PERCENT: Bounds = Bounds {
    min: 0.0,
    max: 100.0,
};
/// A whole-number field's bounds.
#[derive(Clone, Copy)]
pub struct Whole {
    pub min: u64,
    pub max: u64,
}
pub const MIN_FREE_ADDRESSES: Whole = Whole {
    min: 1,
    max: 1 << 32,
};
pub const MIN_FREE_PREFIXES: Whole = Whole {
    min: 1,
    max: 1 << 28,
};
