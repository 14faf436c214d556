//! A monitor's whole life, for hundreds of monitors generated from the committed property
//! schema (`support/generate.rs`): Create; the tick the schedule's input carries, run as the
//! schedule would deliver it; an alarm event for every alarm the Create made; the dashboard's
//! map; Delete. Against moto, through the front.
//!
//! What it holds: a Create succeeds exactly when the validator accepts the properties; every
//! Create that succeeds ticks without an input error, for the same pool; each of its alarms'
//! events finds the monitor and reaches its topics; after that tick, the metric each alarm
//! watches (namespace, name, dimensions) has a datum; and a Delete leaves no alarm and no
//! schedule. The run is seeded (`LIFECYCLE_SEED`, default below; `LIFECYCLE_CASES` for more).

mod support;

use std::collections::BTreeSet;

use aws_sdk_cloudwatch::types::MetricAlarm;
use cidrwatch::spec::{self, MonitorSpec};
use serde_json::{Value, json};
use support::generate::{self, Rng};
use support::org::Organization;
use support::*;

const SEED: u64 = 19;
const CASES: usize = 200;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The organization the generated monitors select from: the schema's example root and OU ids
/// stand for this organization's.
struct World {
    root: String,
    ou: String,
}

async fn world(bed: &Bed) -> World {
    let org = Organization::create(&bed.sdk().await).await;
    let ou = org.ou(&org.root, "platform").await;
    org.account("member", Some(&ou)).await;
    World {
        root: org.root.clone(),
        ou,
    }
}

/// The schema's example OU ids, made this world's.
fn localize(props: &mut Value, world: &World) {
    if let Some(Value::Array(ous)) = props.pointer_mut("/Select/OrganizationalUnits") {
        for ou in ous {
            let real = match ou.as_str() {
                Some(s) if s.starts_with("r-") => &world.root,
                _ => &world.ou,
            };
            *ou = json!(real);
        }
    }
}

/// The properties the provider makes one property need (`(checked by the provider)` in the
/// schema): where a generated monitor has the first, half the time it is given the second
/// (the schema's first example), so both verdicts come up often enough to cover every
/// property within the run.
const NEEDS: &[(&str, &str, &str)] = &[
    ("/ExplicitReservations", "/Thresholds/MinFreePrefixes", "8"),
    ("/Thresholds/SupernetPercent", "/Supernets", "10.0.0.0/12"),
    ("/AvoidPrefixLists", "/Supernets", "10.0.0.0/12"),
];

fn needs(props: &mut Value, rng: &mut Rng) {
    for (has, needed, example) in NEEDS {
        let present = props.pointer(has).is_some_and(|v| !v.is_null());
        if !present || !rng.chance(50) {
            continue;
        }
        let value = if *needed == "/Supernets" {
            json!([example])
        } else {
            json!(example)
        };
        let (parent, key) = needed.rsplit_once('/').unwrap_or_default();
        let parent = if parent.is_empty() {
            Some(&mut *props)
        } else {
            if props.pointer(parent).is_none_or(|p| !p.is_object()) {
                props[&parent[1..]] = json!({});
            }
            props.pointer_mut(parent)
        };
        if let Some(Value::Object(m)) = parent {
            m.insert(key.to_string(), value);
        }
    }
}

/// Dotted paths and string values of a property set: what the run covered.
fn covered(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, inner) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.insert(k.clone());
                covered(inner, &p, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| covered(i, path, out)),
        Value::String(s) => {
            out.insert(format!("{path}={s}"));
        }
        Value::Bool(b) => {
            out.insert(format!("{path}={b}"));
        }
        _ => {}
    }
}

/// One monitor's life; returns whether the Create was accepted.
async fn live(stack: &Stack, props: &Value) -> bool {
    let Stack { bed, app, cfn } = stack;
    let verdict = spec::parse(props);
    let body = send(app, cfn, "create", None, Some(props.clone())).await;
    let spec = match verdict {
        Err(errors) => {
            assert_eq!(
                body["Status"], "FAILED",
                "refused by the validator: {props}"
            );
            let reason = body["Reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains(&errors.0[0].path),
                "{props}: {reason} does not name {}",
                errors.0[0].path
            );
            return false;
        }
        Ok(spec) => spec,
    };
    assert_eq!(body["Status"], "SUCCESS", "{props}: {body}");
    let id = body["PhysicalResourceId"]
        .as_str()
        .expect("an id")
        .to_string();

    // The datums each alarm's metric has before the tick (earlier monitors of the same pool
    // name, the Create's first scan), so the tick's own can be counted.
    let alarms = bed.alarms(&format!("{id}-")).await;
    assert!(alarms.len() >= 5, "{props}: {} alarms", alarms.len());
    let before = datums(bed, &alarms).await;
    let tick = schedule_tick(bed, &id).await;
    let report = app
        .handle(tick, &invocation(120))
        .await
        .unwrap_or_else(|e| panic!("{props}\n  the schedule's tick failed: {e}"));
    assert_eq!(report["pool"], json!(spec.pool_name), "{props}");
    assert_eq!(report["errors"], json!([]), "{props}: {report}");

    for ((alarm, was), now) in alarms.iter().zip(before).zip(datums(bed, &alarms).await) {
        assert_eq!(
            now,
            was + 1,
            "{props}\n  {} watches a metric the tick did not publish",
            alarm.alarm_name().unwrap_or_default()
        );
    }
    every_alarm(stack, &id, &spec, &alarms, props).await;
    if spec.dashboard {
        let widget = json!({"widgetContext": {"params": {"monitor": id}}, "monitor": id});
        let page = app.handle(widget, &invocation(60)).await.expect("widget");
        let page = page.as_str().expect("the map's HTML");
        assert!(
            page.contains(&spec.pool_name),
            "{props}: the map names its pool"
        );
    }

    let body = send(app, cfn, "delete", Some(&id), Some(props.clone())).await;
    assert_eq!(body["Status"], "SUCCESS", "{props}: {body}");
    assert_eq!(bed.alarm_names(&id).await, Vec::<String>::new(), "{props}");
    assert!(!bed.schedules().await.contains(&id), "{props}");
    true
}

/// How many datums the metric each alarm watches (namespace, name, dimensions) has had lately.
async fn datums(bed: &Bed, alarms: &[MetricAlarm]) -> Vec<u64> {
    let mut counts = Vec::new();
    for alarm in alarms {
        let dims: Vec<(&str, &str)> = alarm
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
            .collect();
        let ns = alarm.namespace().unwrap_or_default();
        let metric = alarm.metric_name().unwrap_or_default();
        counts.push(bed.samples(ns, metric, &dims).await);
    }
    counts
}

/// Each alarm's event finds the monitor and reaches every topic.
async fn every_alarm(
    stack: &Stack,
    id: &str,
    spec: &MonitorSpec,
    alarms: &[MetricAlarm],
    props: &Value,
) {
    for alarm in alarms {
        let name = alarm.alarm_name().unwrap_or_default();
        let kind = name
            .strip_prefix(&format!("{id}-"))
            .expect("named for its monitor");
        let answer = stack
            .app
            .handle(alarm_event(id, kind, "ALARM"), &invocation(60))
            .await
            .unwrap_or_else(|e| panic!("{props}\n  {name}'s event: {e}"));
        assert_eq!(
            answer["published"],
            json!(spec.alarm_topic_arns),
            "{props}\n  {name}: {answer}"
        );
    }
}

/// What one shard saw: accepted monitors, the paths and values they carried, and whether a
/// notification reached the topic's queue.
struct Seen {
    lived: usize,
    covered: BTreeSet<String>,
    notified: bool,
}

/// `cases` monitors from `seed`, one after another, on a bed of their own.
async fn shard(seed: u64, cases: usize) -> Seen {
    let stack = Stack::start().await;
    let world = world(&stack.bed).await;
    // The schema's example topic: notifications reach a real queue.
    let subscribers = subscribe(&stack.bed).await;
    let mut rng = Rng::new(seed);
    let mut seen = Seen {
        lived: 0,
        covered: BTreeSet::new(),
        notified: false,
    };
    for case in 0..cases {
        let mut props = generate::properties(&mut rng);
        needs(&mut props, &mut rng);
        localize(&mut props, &world);
        eprintln!("case {case} (seed {seed}): {props}");
        if live(&stack, &props).await {
            seen.lived += 1;
            covered(&props, "", &mut seen.covered);
        }
    }
    seen.notified = !queued(&stack.bed, &subscribers.queue_url).await.is_empty();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_monitor_lives_through_create_ticks_alarms_and_delete() {
    let (seed, cases) = (
        env_or("LIFECYCLE_SEED", SEED),
        env_or("LIFECYCLE_CASES", CASES),
    );
    // Two beds side by side: each moto answers about one request at a time.
    let (one, two) = tokio::join!(shard(seed, cases / 2), shard(seed + 1, cases - cases / 2));
    let lived = one.lived + two.lived;
    // The run means something only if accepted monitors carried every property and value.
    assert!(
        lived * 2 >= cases,
        "only {lived} of {cases} generated monitors were accepted"
    );
    let seen: BTreeSet<String> = one.covered.union(&two.covered).cloned().collect();
    let mut missing: Vec<String> = generate::property_names()
        .into_iter()
        .filter(|p| !seen.contains(p))
        .collect();
    for value in [
        "Select.Regions=ALL",
        "Notify=Native",
        "MetricStream.OutputFormat=json",
        "MetricStream.OutputFormat=opentelemetry0.7",
        "Dashboard=true",
    ] {
        if !seen.contains(value) {
            missing.push(value.to_string());
        }
    }
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "never in an accepted monitor"
    );
    assert!(
        one.notified && two.notified,
        "notifications reached the topic's queue"
    );
}
