//! The manual's references that come from the library: every alarm (`AlarmKind::meaning`),
//! every metric (the catalogue), and a sample of each notification form, composed by the
//! same code the function runs on a small estate kept here. Each is a generated region of its
//! page (`support/book.rs`); `BLESS=1 cargo test --test book` rewrites them.

#[path = "support/book.rs"]
mod book;
#[path = "support/sample.rs"]
mod sample;

use cidrwatch::event::Alarm;
use cidrwatch::notify;
use cidrwatch::plan::{AlarmKind, Comparison, MissingData, Route, Statistic};
use cidrwatch::usage::catalogue::METRICS;
use cidrwatch::usage::pool;
use serde_json::{Value, json};

fn comparison(c: Comparison) -> &'static str {
    match c {
        Comparison::GreaterThanOrEqual => "≥",
        Comparison::GreaterThan => ">",
        Comparison::LessThan => "<",
    }
}

fn statistic(s: Statistic) -> &'static str {
    match s {
        Statistic::Maximum => "Maximum",
        Statistic::Minimum => "Minimum",
        Statistic::Sum => "Sum",
    }
}

/// A monitor with every alarm: what the examples of "fires when" read their thresholds from.
fn every_alarm() -> cidrwatch::spec::MonitorSpec {
    cidrwatch::spec::parse(&json!({
        "PoolName": "p",
        "Supernets": ["10.0.0.0/12"],
        "Thresholds": {"MinFreeAddresses": 256, "MinFreePrefixes": 8, "MinFreeAddressesPerAz": 64},
    }))
    .unwrap()
}

#[test]
fn the_alarms_page_is_the_alarm_table() {
    let spec = every_alarm();
    let mut rows = Vec::new();
    let mut todo = String::new();
    for kind in AlarmKind::ALL {
        let m = kind.meaning();
        let threshold = (m.threshold)(&spec.thresholds).expect("every alarm is on");
        let periods = match m.evaluation_periods {
            1 => "1 period".to_string(),
            n => format!("{n} periods running"),
        };
        rows.push(vec![
            format!("`-{}`", m.suffix),
            format!(
                "`{}` ({}) {} the threshold",
                m.metric,
                statistic(m.statistic),
                comparison(m.comparison)
            ),
            periods,
            match m.missing_data {
                MissingData::Ignore => "ignored: keeps its state".to_string(),
                MissingData::Breaching => "breaching".to_string(),
            },
            m.severity.as_str().to_string(),
            match m.route {
                Route::Notify => "as `Notify` says".to_string(),
                Route::Topics => "the topics, always".to_string(),
            },
            m.set_by.to_string(),
        ]);
        // `<provider stack>` is text, not an HTML tag.
        todo.push_str(&format!(
            "- **`-{}`**: {}. What to do: {}\n",
            m.suffix,
            (m.what)(threshold),
            m.action.replace('<', "&lt;")
        ));
    }
    let head = [
        "alarm",
        "fires when",
        "for",
        "missing data",
        "severity",
        "actions",
        "threshold",
    ];
    let text = format!(
        "{}\nWhat each means (with thresholds of 80, 90, 90, 256, 8, 64 and 80 % or addresses), \
         and what to do when it fires:\n\n{todo}",
        book::table(&head, &rows)
    );
    book::region_is("docs/alarms.md", "alarms", &text);
}

#[test]
fn the_metrics_page_is_the_catalogue() {
    let rows: Vec<Vec<String>> = METRICS
        .iter()
        .map(|m| {
            let series: Vec<String> = m
                .series
                .iter()
                .map(|(dims, when)| format!("`{dims}`: {when}"))
                .collect();
            vec![
                format!("`{}`", m.name),
                m.unit.as_str().to_string(),
                series.join("; "),
                m.meaning.to_string(),
            ]
        })
        .collect();
    let head = ["metric", "unit", "dimensions: published", "meaning"];
    book::region_is("docs/metrics.md", "metrics", &book::table(&head, &rows));
}

/// The `-subnet-critical` message for the manual's estate, each form as its subscriber gets it.
fn sample() -> (String, Value) {
    let spec = cidrwatch::spec::parse(&json!({
        "PoolName": "eks-prod",
        "Select": {"Tags": {"kubernetes.io/cluster/prod": "shared"}},
    }))
    .unwrap();
    let report = pool::report("eks-prod", sample::estate());
    let name = "cidrwatch-eks-prod-0a1b2c3d-subnet-critical";
    let facts = Alarm {
        alarm_name: name.into(),
        alarm_arn: format!("arn:aws:cloudwatch:us-east-1:111111111111:alarm:{name}"),
        state: "ALARM".into(),
        previous_state: "OK".into(),
        reason: "Threshold Crossed: 1 datapoint [92.03] was greater than or equal to the \
                 threshold (90.0)."
            .into(),
        time: "2026-12-07T09:00:00.000+0000".into(),
        region: "us-east-1".into(),
        account: "111111111111".into(),
    };
    let dashboard = Some("cidrwatch-eks-prod-0a1b2c3d");
    let m = notify::compose(
        &facts,
        AlarmKind::SubnetCritical,
        &spec,
        Ok(&report),
        dashboard,
    );
    let structure: Value = serde_json::from_str(&m.structure).unwrap();
    (m.subject, structure)
}

fn pretty(form: &Value) -> String {
    let parsed: Value = serde_json::from_str(form.as_str().unwrap()).unwrap();
    format!(
        "```json\n{}\n```",
        serde_json::to_string_pretty(&parsed).unwrap()
    )
}

#[test]
fn the_notification_samples_are_what_the_binary_composes() {
    let (subject, s) = sample();
    let email = format!(
        "```text\nSubject: {subject}\n\n{}\n```",
        s["email"].as_str().unwrap().trim_end()
    );
    assert!(email.contains("subnet-0a1b2c3d4e5f60718"), "{email}");
    book::region_is("docs/notifications.md", "sample-email", &email);
    book::region_is("README.md", "sample-alert", &email);
    book::region_is("docs/notifications.md", "sample-chat", &pretty(&s["https"]));
    book::region_is("docs/notifications.md", "sample-sqs", &pretty(&s["sqs"]));
}
