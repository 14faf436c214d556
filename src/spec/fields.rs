//! What a valid value of each kind of field looks like (pure predicates).

pub(super) fn is_pool_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub(super) fn is_namespace(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && !s.starts_with("AWS/")
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#' | b':')
        })
}

/// `vpc-` or `subnet-` followed by 8 or 17 lowercase hex digits.
pub(super) fn is_resource_id(s: &str, kind: &str) -> bool {
    s.strip_prefix(kind)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17)
                && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

pub(super) fn is_region(s: &str) -> bool {
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

pub(super) fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

pub(super) fn is_tag_value(s: &str) -> bool {
    s.chars().count() <= 256
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, with a region exactly when
/// `regional`.
pub(super) fn arn_matches(
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
pub(super) fn is_sns_topic_arn(s: &str) -> bool {
    arn_matches(s, "sns", true, |name| {
        (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    })
}
