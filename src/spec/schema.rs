//! The JSON Schema of a monitor's properties, built from the definitions the validator reads
//! with: the key lists (`read`), the string fields and bounds (`fields`), the defaults.
//!
//! It states what JSON Schema can: names, types (numbers and booleans also as their string
//! forms, as CloudFormation sends every scalar), patterns, the one enumeration, ranges,
//! required keys, no unknown keys; a whole number where the validator takes one for a string
//! (an account id as a number, say). What it cannot state stays the provider's, and each
//! description names such a rule "(checked by the provider)": Warning below Critical, the
//! schedule input's 8 KB, canonical CIDRs, at most 5 native topics, ExplicitReservations
//! needing MinFreePrefixes, the range of a number's string form. `null` counts as absent.

use serde_json::{Map, Value, json};

use super::fields::*;
use super::read::{SELECT_KEYS, STREAM_KEYS, THRESHOLD_KEYS, TOP_KEYS};
use super::{
    DEFAULT_CRITICAL_PERCENT, DEFAULT_NAMESPACE, DEFAULT_SCHEDULE_MINUTES,
    DEFAULT_SUBNET_CRITICAL_PERCENT, DEFAULT_SUPERNET_PERCENT, DEFAULT_WARNING_PERCENT,
    MAX_ALARM_ACTIONS, MAX_USER_TAGS, Rate, SCHEDULE_INPUT_LIMIT,
};

/// The string form of a number, as the validator parses it (`f64`, surrounding space ignored).
const NUMBER_TEXT: &str = "^\\s*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$";
/// The string form of a whole number (`u64`).
const WHOLE_TEXT: &str = "^\\s*\\+?[0-9]+\\s*$";
/// `true` or `false`, any case.
const BOOLEAN_TEXT: &str = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$";
/// `detailed` or `native`, any case.
const NOTIFY_TEXT: &str = "^([Dd][Ee][Tt][Aa][Ii][Ll][Ee][Dd]|[Nn][Aa][Tt][Ii][Vv][Ee])$";
/// rate(N minutes) for 1 to 360, or rate(N hours) for 1 to 6.
const RATE_TEXT: &str = "^\\s*rate\\(\\s*\\+?0*(([1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|360)\\s+minutes?|[1-6]\\s+hours?)\\s*\\)\\s*$";
/// An IPv4 CIDR's form; its host bits being zero is the provider's to check.
const CIDR_TEXT: &str = "^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}/([0-2]?[0-9]|3[0-2])$";

/// Where the schema is kept in the repository (a test keeps it equal to [`schema`]).
pub const SCHEMA_FILE: &str = "schema/cidr-monitor.schema.json";

/// One string of a field, or (where the validator takes one) the whole number for it.
fn item(field: &Text) -> Value {
    let string = json!({"type": "string", "pattern": field.pattern, "examples": field.examples});
    match field.integers {
        Some((min, max)) => json!({"anyOf": [string,
            {"type": "integer", "minimum": min, "maximum": max}]}),
        None => string,
    }
}

fn text(field: &Text, description: &str) -> Value {
    let mut v = match field.integers {
        Some(_) => json!({"anyOf": [item(field), {"type": "null"}]}),
        None => json!({"type": ["string", "null"], "pattern": field.pattern,
            "examples": field.examples}),
    };
    v["description"] = json!(format!("{description} Expected: {}.", field.expect));
    v
}

fn texts(field: &Text, description: &str) -> Value {
    json!({"type": ["array", "null"], "items": item(field),
        "description": format!("{description} Each: {}.", field.expect)})
}

fn percent(default: f64, description: &str) -> Value {
    json!({"anyOf": [
        {"type": "number", "minimum": PERCENT.min, "maximum": PERCENT.max},
        {"type": "string", "pattern": NUMBER_TEXT, "examples": ["70", "85.5"]},
        {"type": "null"}],
        "default": default,
        "description": format!("{description} A number from {} to {} (a string form's range is \
            checked by the provider).", PERCENT.min, PERCENT.max)})
}

fn whole(bounds: Whole, description: &str) -> Value {
    json!({"anyOf": [
        {"type": "integer", "minimum": bounds.min, "maximum": bounds.max},
        {"type": "string", "pattern": WHOLE_TEXT, "examples": ["8", "256"]},
        {"type": "null"}],
        "description": format!("{description} A whole number from {} to {} (a string form's \
            range is checked by the provider).", bounds.min, bounds.max)})
}

fn boolean(description: &str) -> Value {
    json!({"anyOf": [{"type": "boolean"},
        {"type": "string", "pattern": BOOLEAN_TEXT, "examples": ["true", "False"]},
        {"type": "null"}], "default": false, "description": description})
}

/// An object of exactly `keys`, each given its schema in `props` (same order).
fn object(keys: &[&str], props: Vec<(&str, Value)>, required: &[&str], description: &str) -> Value {
    let names: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names, keys,
        "the schema and the validator know the same keys"
    );
    let properties: Map<String, Value> =
        props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    json!({"type": ["object", "null"], "properties": properties, "required": required,
        "additionalProperties": false, "description": description})
}

fn tag_keys(reserved: bool) -> Value {
    let mut names = json!({"minLength": 1, "maxLength": TAG_KEY_MAX,
        "examples": ["team", "kubernetes.io/cluster/prod"]});
    if reserved {
        names["pattern"] = json!(format!("^(?!{})", RESERVED_TAG_PREFIXES.join("|")));
    }
    names
}

/// The JSON Schema (draft 2020-12) of `Custom::CidrMonitor` properties.
pub fn schema() -> Value {
    let select = object(
        SELECT_KEYS,
        vec![
            ("VpcIds", texts(&VPC_ID, "Subnets in these VPCs.")),
            ("SubnetIds", texts(&SUBNET_ID, "These subnets.")),
            (
                "Tags",
                json!({"type": ["object", "null"], "propertyNames": tag_keys(false),
                "additionalProperties": {"anyOf": [item(&TAG_VALUE),
                    {"type": "array", "items": item(&TAG_VALUE)}]},
                "description": "Subnets carrying these tags: a value, or a list of values any of \
                    which matches. Keys have 1 to 128 characters, values up to 256."}),
            ),
            (
                "Cidrs",
                json!({"type": ["array", "null"], "items": {"type": "string", "pattern": CIDR_TEXT,
                    "examples": ["10.0.0.0/8", "172.31.0.0/16"]},
                "description": "Subnets whose CIDR lies inside one of these IPv4 CIDRs, like \
                    10.0.0.0/8 (host bits zero: checked by the provider)."}),
            ),
            (
                "Regions",
                texts(
                    &REGION_OR_ALL,
                    "Regions to scan; ALL: every region enabled in each account (read per \
                     account, regions not opted in skipped); default: the provider's region.",
                ),
            ),
            (
                "Accounts",
                texts(
                    &ACCOUNT,
                    "Accounts to scan; default: the provider's own. The provider's own account \
                     is scanned with its own credentials, others through RoleName.",
                ),
            ),
            (
                "RoleName",
                text(
                    &ROLE_NAME,
                    "The role assumed in other accounts; default: the provider template's \
                     MemberRoleName, the only one it may assume.",
                ),
            ),
            (
                "OrganizationalUnits",
                texts(
                    &OU_ID,
                    "Every ACTIVE account beneath these organization roots or OUs, nested OUs \
                     included, read through AWS Organizations from the provider's account (the \
                     management account or a delegated administrator) at most hourly, so a new \
                     account is scanned within the hour; joins Accounts.",
                ),
            ),
            (
                "OrganizationRoleArn",
                text(
                    &ROLE_ARN,
                    "A role to assume for listing OrganizationalUnits; default: the provider's \
                     own credentials.",
                ),
            ),
            (
                "ExcludeAccounts",
                texts(
                    &ACCOUNT,
                    "Accounts never scanned, whether listed or found beneath an OU.",
                ),
            ),
        ],
        &[],
        "Which subnets the pool holds: AND across keys, OR within a list; empty: every subnet of \
         the provider's account and region.",
    );
    let thresholds = object(
        THRESHOLD_KEYS,
        vec![
            (
                "WarningPercent",
                percent(
                    DEFAULT_WARNING_PERCENT,
                    "Pool utilization of the -warning alarm; below CriticalPercent (checked by \
                     the provider).",
                ),
            ),
            (
                "CriticalPercent",
                percent(
                    DEFAULT_CRITICAL_PERCENT,
                    "Pool utilization of the -critical alarm.",
                ),
            ),
            (
                "SubnetCriticalPercent",
                percent(
                    DEFAULT_SUBNET_CRITICAL_PERCENT,
                    "The fullest subnet's utilization of the -subnet-critical alarm.",
                ),
            ),
            (
                "MinFreeAddresses",
                whole(
                    MIN_FREE_ADDRESSES,
                    "Alarm -free-addresses below this many free addresses in the pool.",
                ),
            ),
            (
                "MinFreePrefixes",
                whole(
                    MIN_FREE_PREFIXES,
                    "Alarm -free-prefixes below this many free /28 blocks; turns on /28-prefix \
                     accounting.",
                ),
            ),
            (
                "MinFreeAddressesPerAz",
                whole(
                    MIN_FREE_ADDRESSES,
                    "Alarm -az-free-addresses below this many free addresses in the pool's \
                     smallest Availability Zone (by AZ ID): pods only use their node's AZ.",
                ),
            ),
            (
                "SupernetPercent",
                percent(
                    DEFAULT_SUPERNET_PERCENT,
                    "The supernets' allocation of the -supernet alarm (the default applies when \
                     Supernets is set; without Supernets it is refused, checked by the \
                     provider).",
                ),
            ),
        ],
        &[],
        "The alarms' thresholds.",
    );
    let stream = object(
        STREAM_KEYS,
        vec![
            (
                "FirehoseArn",
                text(&FIREHOSE_ARN, "Where the stream delivers."),
            ),
            (
                "RoleArn",
                text(&ROLE_ARN, "The role CloudWatch streams as."),
            ),
            (
                "OutputFormat",
                json!({"enum": [STREAM_FORMATS[0], STREAM_FORMATS[1], STREAM_FORMATS[2], null],
                "default": "opentelemetry1.0", "description": "The stream's format."}),
            ),
        ],
        &["FirehoseArn", "RoleArn"],
        "A CloudWatch metric stream of the monitor's metrics, to a Firehose.",
    );
    let top = object(
        TOP_KEYS,
        vec![
            (
                "ServiceToken",
                json!({"type": ["string", "null"], "description": "CloudFormation's: the \
                    provider's ARN. Accepted and ignored.",
                "examples": ["arn:aws:lambda:us-east-1:123456789012:function:cidrwatch-provider"]}),
            ),
            (
                "ServiceTimeout",
                json!({"type": ["integer", "string", "null"], "description": "CloudFormation's: \
                    seconds it waits for the answer; the provider answers within it.",
                "examples": ["300", "3600"]}),
            ),
            (
                "PoolName",
                text(
                    &POOL_NAME,
                    "The pool's name: the Pool dimension of its metrics.",
                ),
            ),
            ("Select", select),
            ("Thresholds", thresholds),
            (
                "Schedule",
                json!({"type": ["string", "null"], "pattern": RATE_TEXT,
                "examples": ["rate(5 minutes)", "rate(1 minute)", "rate(2 hours)"],
                "default": Rate { minutes: DEFAULT_SCHEDULE_MINUTES }.expression(),
                "description": format!("How often the pool is scanned, also the alarms' period: \
                    rate(N minutes) or rate(N hours), from {} minute to {} hours. With the rest of \
                    the monitor it must fit the schedule's input of {SCHEDULE_INPUT_LIMIT} bytes \
                    (checked by the provider).", Rate::MIN_MINUTES, Rate::MAX_MINUTES / 60)}),
            ),
            (
                "AlarmTopicArns",
                texts(
                    &SNS_TOPIC_ARN,
                    &format!(
                        "Where notifications go. With Notify native at most \
                         {MAX_ALARM_ACTIONS} (checked by the provider); with Notify detailed \
                         only topics the provider template's AlarmTopicArns allows."
                    ),
                ),
            ),
            (
                "Notify",
                json!({"type": ["string", "null"], "pattern": NOTIFY_TEXT, "default": "detailed",
                "examples": ["detailed", "Native"],
                "description": "detailed (the function sends one rich message per topic) or \
                    native (the alarms publish to the topics themselves); any case."}),
            ),
            ("Namespace", {
                let mut v = text(
                    &NAMESPACE,
                    "The metrics' CloudWatch namespace, one the provider template's \
                     MetricNamespaces allows.",
                );
                v["default"] = json!(DEFAULT_NAMESPACE);
                v
            }),
            (
                "SubnetMetrics",
                boolean("Also publish Utilization, FreeAddresses (and FreePrefixes) per subnet."),
            ),
            (
                "Dashboard",
                boolean("Make the monitor's CloudWatch dashboard."),
            ),
            ("MetricStream", stream),
            (
                "Tags",
                json!({"type": ["object", "null"], "propertyNames": tag_keys(true),
                "additionalProperties": item(&TAG_VALUE),
                "maxProperties": MAX_USER_TAGS,
                "description": format!("Tags for every resource of the monitor: at most \
                    {MAX_USER_TAGS}, keys of 1 to 128 characters not starting with aws: or \
                    cidrwatch:, values up to 256 characters.")}),
            ),
            (
                "ExplicitReservations",
                boolean(
                    "Subtract explicit subnet CIDR reservations from FreePrefixes (one call per \
                     subnet); needs Thresholds.MinFreePrefixes (checked by the provider).",
                ),
            ),
            (
                "AzMetrics",
                boolean(
                    "Also publish FreeAddresses and Utilization per Availability Zone ID \
                     (2 series per AZ).",
                ),
            ),
            (
                "ClusterMetrics",
                boolean(
                    "Also publish ClusterHeldAddresses and ClusterIdleAddresses per EKS \
                     cluster in the pool (2 series per cluster); ticks then describe every ENI \
                     of the pool's subnets and the clusters' nodes.",
                ),
            ),
            (
                "Supernets",
                json!({"type": ["array", "null"], "items": {"type": "string", "pattern": CIDR_TEXT,
                    "examples": ["10.0.0.0/12", "172.16.0.0/12"]},
                "description": "The planned blocks new VPCs come from, like 10.0.0.0/12 (host \
                    bits zero, none overlapping another: checked by the provider). Ticks then \
                    read every VPC of the scanned account-regions with their transit-gateway \
                    attachments, peerings and routes, and publish SupernetAllocation, \
                    SupernetFreeAddresses, UnplannedVpcs and OverlappingVpcs (alarms -supernet \
                    and -overlaps)."}),
            ),
            (
                "AvoidPrefixLists",
                texts(
                    &PREFIX_LIST_ID,
                    "Customer-managed prefix lists whose ranges (on-premises, say) are in use: \
                     they count for overlaps and for where new VPCs may go; read in each \
                     scanned region with the provider's credentials (share them with its \
                     account through RAM). Needs Supernets (checked by the provider).",
                ),
            ),
        ],
        &["PoolName"],
        "",
    );
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:cidrwatch:schema:cidr-monitor",
        "title": "Custom::CidrMonitor properties",
        "description": "The properties of a cidrwatch monitor. Generated by `cidrwatch schema` \
            from the definitions the provider validates with; rules marked (checked by the \
            provider) are beyond JSON Schema.",
    });
    if let (Value::Object(out), Value::Object(top)) = (&mut schema, top) {
        for (k, v) in top {
            if k != "description" {
                out.insert(k, v);
            }
        }
        out.insert("type".into(), json!("object"));
    }
    sorted(schema)
}

/// Keys in sorted order at every depth, whichever map serde_json was built with (tests turn
/// on its insertion-ordered map; the binary alone does not): one output, byte for byte.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// What a person writes for a property, from its schema node. A scalar's node is an `anyOf`
/// whose first alternative is what the property is (a string name may also arrive as a
/// number, a number as the string CloudFormation sends): that first leaf names it.
fn kind_of(v: &Value) -> String {
    if let Some(values) = v["enum"].as_array() {
        let named: Vec<String> = values
            .iter()
            .filter(|x| !x.is_null())
            .map(|x| {
                format!(
                    "`{}`",
                    x.as_str().map_or_else(|| x.to_string(), str::to_string)
                )
            })
            .collect();
        return format!("one of {}", named.join(", "));
    }
    match first_leaf_type(v).as_deref() {
        Some("boolean") => "true/false".into(),
        Some("integer") => "whole number".into(),
        Some("array") => format!("list of {}s", kind_of(&v["items"])),
        Some("object") if v.get("properties").is_some() => "object".into(),
        Some("object") => "map of strings".into(),
        Some(other) => other.to_string(),
        None => "any".into(),
    }
}

fn first_leaf_type(v: &Value) -> Option<String> {
    if let Some(first) = v["anyOf"].as_array().and_then(|a| a.first()) {
        return first_leaf_type(first);
    }
    match &v["type"] {
        Value::String(t) => Some(t.clone()),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_string),
        _ => None,
    }
}

/// The schema as a Markdown table, one row per property (nested ones dotted): the manual's
/// Monitors page.
pub fn markdown() -> String {
    let mut rows = vec![
        "| property | type | default | meaning |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    fn walk(prefix: &str, props: &Map<String, Value>, required: &[Value], rows: &mut Vec<String>) {
        for (name, v) in props {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let default = match v.get("default") {
                Some(Value::String(s)) => format!("`{s}`"),
                Some(d) => format!("`{d}`"),
                None if required.iter().any(|r| r == name) => "required".into(),
                None => String::new(),
            };
            let meaning = v["description"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|");
            rows.push(format!(
                "| `{path}` | {} | {default} | {meaning} |",
                kind_of(v)
            ));
            if let Some(inner) = v["properties"].as_object() {
                let req = v["required"].as_array().cloned().unwrap_or_default();
                walk(&path, inner, &req, rows);
            }
        }
    }
    let s = schema();
    let req = s["required"].as_array().cloned().unwrap_or_default();
    if let Some(props) = s["properties"].as_object() {
        walk("", props, &req, &mut rows);
    }
    rows.join("\n") + "\n"
}
