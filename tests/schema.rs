//! One property schema: `cidrwatch schema` is the committed file and the manual's table, and
//! the schema and the validator give the same verdict on every property set where the schema
//! can decide (the rules beyond JSON Schema are the provider's, and named so).

#[path = "support/book.rs"]
mod book;

use cidrwatch::spec::{self, schema};
use serde_json::{Value, json};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_committed_schema_is_the_binarys() {
    let committed = std::fs::read_to_string(root().join(schema::SCHEMA_FILE)).unwrap();
    let generated = serde_json::to_string_pretty(&schema::schema()).unwrap() + "\n";
    assert!(
        committed == generated,
        "{} is stale: run `cargo run -- schema > {}`",
        schema::SCHEMA_FILE,
        schema::SCHEMA_FILE
    );
}

/// The manual's property table is `cidrwatch schema --markdown`.
#[test]
fn the_manuals_property_table_is_the_schemas() {
    book::region_is("docs/monitors.md", "properties", &schema::markdown());
}

/// The table names each kind of schema node as a person writes it: a name that may also
/// arrive as a number is a string, a percentage that may arrive as CloudFormation's string
/// is a number, an enum names its values, a list names what it holds.
#[test]
fn the_property_table_names_every_kind_of_node() {
    let table = schema::markdown();
    let kind = |property: &str| -> String {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{property}` |")))
            .unwrap_or_else(|| panic!("no row for {property}"));
        row.split(" | ").nth(1).unwrap().to_string()
    };
    for (property, want) in [
        ("PoolName", "string"),
        ("Namespace", "string"),
        ("Select.RoleName", "string"),
        ("Schedule", "string"),
        ("Thresholds.WarningPercent", "number"),
        ("Thresholds.MinFreeAddresses", "whole number"),
        ("SubnetMetrics", "true/false"),
        ("Select.Regions", "list of strings"),
        ("Select", "object"),
        ("Tags", "map of strings"),
        (
            "MetricStream.OutputFormat",
            "one of `json`, `opentelemetry0.7`, `opentelemetry1.0`",
        ),
    ] {
        assert_eq!(kind(property), want, "{property}");
    }
}

/// Validator refusals the schema cannot state: each message starts so.
const PROVIDER_ONLY: &[&str] = &[
    "Thresholds.WarningPercent: must be below Thresholds.CriticalPercent",
    "Select: the monitor takes",
    "ExplicitReservations: reservations only change FreePrefixes",
    "AlarmTopicArns: at most 5 topics with Notify: native",
    "Thresholds.SupernetPercent: the -supernet alarm watches Supernets",
    "AvoidPrefixLists: prefix lists are read for the address plan only",
];

fn base() -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:cidrwatch-provider",
        "ServiceTimeout": "300",
        "PoolName": "eks-prod",
        "Select": {"VpcIds": ["vpc-0abc1234"], "SubnetIds": ["subnet-0abc1234def567890"],
            "Tags": {"kubernetes.io/cluster/prod": "shared", "tier": ["a", "b"]},
            "Cidrs": ["10.0.0.0/8"], "Regions": ["us-east-1"], "Accounts": ["111111111111"],
            "RoleName": "cidrwatch-reader"},
        "Thresholds": {"WarningPercent": 80, "CriticalPercent": "90",
            "SubnetCriticalPercent": 95.5, "MinFreeAddresses": "256", "MinFreePrefixes": 8},
        "Schedule": "rate(5 minutes)",
        "AlarmTopicArns": ["arn:aws:sns:us-east-1:111111111111:alerts"],
        "Notify": "Detailed",
        "Namespace": "CidrWatch",
        "SubnetMetrics": "false",
        "Dashboard": true,
        "MetricStream": {"FirehoseArn":
            "arn:aws:firehose:us-east-1:111111111111:deliverystream/metrics",
            "RoleArn": "arn:aws:iam::111111111111:role/stream", "OutputFormat": "json"},
        "Tags": {"team": "network"},
        "ExplicitReservations": "true"
    })
}

/// Values to try at each place: good and bad for the field's kind.
fn variations() -> Vec<(&'static str, Vec<Value>)> {
    let strings = |v: &[&str]| v.iter().map(|s| json!(s)).collect::<Vec<_>>();
    vec![
        (
            "/PoolName",
            strings(&[
                "p",
                "a.b_c-1",
                "bad name",
                "",
                &"x".repeat(64),
                &"x".repeat(65),
                "ü",
            ]),
        ),
        (
            "/Select/VpcIds/0",
            strings(&[
                "vpc-0abc1234",
                "vpc-0abc1234def567890",
                "vpc-123",
                "vpc-0ABC1234",
                "subnet-0abc1234",
            ]),
        ),
        (
            "/Select/SubnetIds/0",
            strings(&["subnet-0abc1234", "subnet-xyz", "vpc-0abc1234"]),
        ),
        (
            "/Select/Cidrs/0",
            strings(&[
                "10.0.0.0/8",
                "10.0.0.1/8",
                "10.0.0.0/33",
                "256.0.0.0/8",
                "010.0.0.0/8",
                "10.0.0.0",
                "10.0.0.0/08",
                "0.0.0.0/0",
                "nope",
            ]),
        ),
        (
            "/Select/Regions/0",
            strings(&[
                "eu-west-1",
                "us-gov-west-1",
                "ap-southeast-12",
                "mars",
                "EU-west-1",
                "eu-west-123",
                "eu--1",
            ]),
        ),
        (
            "/Select/Accounts/0",
            strings(&[
                "111111111111",
                "11111111111",
                "1111111111111",
                "11111111111a",
            ]),
        ),
        (
            "/Select/RoleName",
            strings(&["cidrwatch-reader", "a+=,.@_-", "", "a b", &"r".repeat(65)]),
        ),
        (
            "/Select/Tags/tier",
            vec![
                json!("x"),
                json!(["x", "y"]),
                json!("v".repeat(257)),
                json!(7),
                json!([1]),
            ],
        ),
        (
            "/Thresholds/WarningPercent",
            vec![
                json!(0),
                json!(79.5),
                json!("85"),
                json!(" 12.5 "),
                json!(-1),
                json!(101),
                json!("eighty"),
                json!(true),
                json!("1e1"),
            ],
        ),
        (
            "/Thresholds/CriticalPercent",
            vec![json!(100), json!(50), json!("100"), json!(100.5)],
        ),
        (
            "/Thresholds/MinFreeAddresses",
            vec![
                json!(1),
                json!(4294967296u64),
                json!(4294967297u64),
                json!(0),
                json!("12"),
                json!("+12"),
                json!("1.5"),
                json!(2.5),
                json!(-3),
            ],
        ),
        (
            "/Thresholds/MinFreePrefixes",
            vec![json!(268435456), json!(268435457), json!("8"), json!("x")],
        ),
        (
            "/Schedule",
            strings(&[
                "rate(1 minute)",
                "rate(5 minutes)",
                "rate(360 minutes)",
                "rate(361 minutes)",
                "rate(6 hours)",
                "rate(7 hours)",
                "rate(1 day)",
                "rate(0 minutes)",
                "cron(0 * * * ? *)",
                " rate( 10 minutes ) ",
                "rate(5minutes)",
                "rate(05 minutes)",
                "rate(1 hour)",
                "at(2026-01-01T00:00:00)",
            ]),
        ),
        (
            "/AlarmTopicArns/0",
            strings(&[
                "arn:aws:sns:us-east-1:111111111111:alerts",
                "arn:aws-cn:sns:cn-north-1:111111111111:a_b-c",
                "arn:aws:sns:us-east-1:111111111111:alerts.fifo",
                "arn:aws:sqs:us-east-1:111111111111:q",
                "arn:aws:sns::111111111111:alerts",
                "alerts",
            ]),
        ),
        (
            "/Notify",
            strings(&["detailed", "NATIVE", "Native", "loud", ""]),
        ),
        (
            "/Namespace",
            strings(&[
                "CidrWatch",
                "Network/Ips",
                "a#b:c.d-e_f",
                "AWS/EC2",
                "",
                "bad space",
            ]),
        ),
        (
            "/SubnetMetrics",
            vec![
                json!(true),
                json!("TRUE"),
                json!("False"),
                json!("yes"),
                json!(1),
            ],
        ),
        (
            "/MetricStream/OutputFormat",
            strings(&[
                "json",
                "opentelemetry0.7",
                "opentelemetry1.0",
                "JSON",
                "csv",
            ]),
        ),
        (
            "/MetricStream/FirehoseArn",
            strings(&[
                "arn:aws:firehose:us-east-1:111111111111:deliverystream/x",
                "arn:aws:firehose:us-east-1:111111111111:stream/x",
                "arn:aws:iam::111111111111:role/x",
            ]),
        ),
        (
            "/MetricStream/RoleArn",
            strings(&[
                "arn:aws:iam::111111111111:role/x",
                "arn:aws:iam:us-east-1:111111111111:role/x",
                "arn:aws:iam::111111111111:user/x",
            ]),
        ),
        (
            "/Tags/team",
            vec![json!("x"), json!("v".repeat(256)), json!("v".repeat(257))],
        ),
        ("/ExplicitReservations", vec![json!(false), json!("maybe")]),
        (
            "/Supernets",
            vec![
                json!(["10.0.0.0/12"]),
                json!(["10.0.0.0/12", "10.16.0.0/12"]),
                json!(["10.0.0.1/12"]),
                json!(["10.0.0.0/8", "10.1.0.0/16"]),
                json!("10.0.0.0/8"),
                json!([5]),
            ],
        ),
        (
            "/AvoidPrefixLists",
            vec![
                json!(["pl-0abc1234"]),
                json!(["pl-xyz"]),
                json!("pl-0abc1234"),
            ],
        ),
        (
            "/Thresholds/SupernetPercent",
            vec![json!(70), json!("70"), json!(101), json!("x")],
        ),
        ("/AzMetrics", vec![json!(true), json!("False"), json!("no")]),
        (
            "/ClusterMetrics",
            vec![json!(true), json!("false"), json!(1)],
        ),
        (
            "/Thresholds/MinFreeAddressesPerAz",
            vec![
                json!(1),
                json!("100"),
                json!(0),
                json!(4294967297u64),
                json!("x"),
            ],
        ),
    ]
}

/// Whole-structure cases: unknown keys, missing required ones, wrong shapes.
fn shapes() -> Vec<Value> {
    let mut out = Vec::new();
    let mut with = |f: &dyn Fn(&mut Value)| {
        let mut v = base();
        f(&mut v);
        out.push(v);
    };
    with(&|v| v["PoolNme"] = json!("typo"));
    with(&|v| {
        v["Supernets"] = json!(["10.0.0.0/12", "172.16.0.0/12"]);
        v["AvoidPrefixLists"] = json!(["pl-0abc1234def567890"]);
        v["Thresholds"]["SupernetPercent"] = json!("75");
    });
    with(&|v| v["Select"]["VpcId"] = json!(["vpc-0abc1234"]));
    with(&|v| v["Thresholds"]["Warning"] = json!(80));
    with(&|v| v["MetricStream"]["Extra"] = json!(1));
    with(&|v| {
        v.as_object_mut().unwrap().remove("PoolName");
    });
    with(&|v| {
        v["MetricStream"].as_object_mut().unwrap().remove("RoleArn");
    });
    with(&|v| v["Select"] = json!("vpc-0abc1234"));
    with(&|v| v["Select"]["VpcIds"] = json!("vpc-0abc1234"));
    with(&|v| v["Tags"]["aws:owner"] = json!("me"));
    with(&|v| v["Tags"]["cidrwatch:monitor"] = json!("x"));
    with(&|v| v["Tags"][""] = json!("x"));
    with(&|v| v["Select"]["Tags"]["k".repeat(129)] = json!("x"));
    with(&|v| {
        for i in 0..49 {
            v["Tags"][format!("t{i}")] = json!("x");
        }
    });
    with(&|v| v["Thresholds"]["WarningPercent"] = json!(95));
    with(&|v| {
        v["Thresholds"]
            .as_object_mut()
            .unwrap()
            .remove("MinFreePrefixes");
    });
    with(&|v| {
        v["Notify"] = json!("native");
        v["AlarmTopicArns"] = json!(
            (0..6)
                .map(|i| format!("arn:aws:sns:us-east-1:111111111111:t{i}"))
                .collect::<Vec<_>>()
        );
    });
    with(&|v| {
        v["Select"]["SubnetIds"] = json!(
            (0..400)
                .map(|i| format!("subnet-{i:017x}"))
                .collect::<Vec<_>>()
        );
    });
    out.push(json!({"PoolName": "minimal"}));
    out.push(json!([]));
    out.push(json!("PoolName"));
    for fixture in ["create.json", "update.json"] {
        let text = std::fs::read_to_string(root().join("tests/fixtures").join(fixture)).unwrap();
        let event: Value = serde_json::from_str(&text).unwrap();
        for key in ["ResourceProperties", "OldResourceProperties"] {
            if let Some(p) = event.get(key) {
                out.push(p.clone());
            }
        }
    }
    out
}

fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = v.pointer_mut(parent).unwrap();
    match target {
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        Value::Object(m) => {
            m.insert(key.to_string(), value);
        }
        _ => panic!("{pointer}"),
    }
}

#[test]
fn the_schema_and_the_validator_agree() {
    let validator = jsonschema::validator_for(&schema::schema()).expect("a valid JSON Schema");
    let mut cases = shapes();
    for (pointer, values) in variations() {
        for value in values {
            let mut v = base();
            set(&mut v, pointer, value);
            cases.push(v);
        }
    }
    let (mut agree, mut provider_only) = (0, 0);
    for case in &cases {
        let by_schema = validator.is_valid(case);
        let by_provider = spec::parse(case);
        match (by_schema, &by_provider) {
            (true, Ok(_)) | (false, Err(_)) => agree += 1,
            (false, Ok(_)) => panic!(
                "the schema refuses what the provider accepts: {case}\n{:?}",
                validator
                    .iter_errors(case)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            ),
            (true, Err(errors)) => {
                for e in &errors.0 {
                    let line = e.to_string();
                    assert!(
                        PROVIDER_ONLY.iter().any(|p| line.starts_with(p))
                            || line.contains("got \"")
                                && (e.path.starts_with("Thresholds.")
                                    || e.path.starts_with("Select.Cidrs")
                                    || e.path.starts_with("Supernets["))
                            // One planned block inside another: a rule across items.
                            || e.path.starts_with("Supernets[") && line.contains(" overlaps "),
                        "the schema accepts what the provider refuses, by a rule the schema \
                         could state: {line}\n{case}"
                    );
                }
                provider_only += 1;
            }
        }
    }
    assert!(cases.len() > 140, "{}", cases.len());
    assert!(
        agree > 120 && provider_only >= 6,
        "{agree} agree, {provider_only} provider-only"
    );
}
