//! EKS truth against moto: two clusters sharing a VPC's subnets — nodes of three instance
//! types with their clusters' tags, VPC CNI ENIs with the CNI's descriptions, tags and
//! secondary addresses, warm addresses on the nodes' primary ENIs, a prefix-delegation node
//! holding more than its max-pods, a CNI node that names no cluster, a plain instance, a CNI
//! ENI its node left behind, and cni-metrics-helper's figures for one cluster. Every cluster
//! figure read back from the report, the notification and the metrics must equal the test's
//! own sums of what it built; max-pods are EKS's published values (eni-max-pods.txt).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use serde_json::{Value, json};
use support::estate::{self, OWN, TAG_KEY, TAG_VALUE};
use support::*;

const NS: &str = "CidrWatch";
const REGION: &str = "us-east-1";
const ALPHA: &str = "alpha";
const BETA: &str = "beta";
/// EKS's max-pods (eni-max-pods.txt): secondary-address mode, and m5.large with prefix
/// delegation (the calculator's 110 ceiling below 30 vCPUs).
const MAX_PODS: [(&str, u64); 3] = [("m5.large", 29), ("t3.medium", 17), ("m5.xlarge", 58)];
const M5_LARGE_PREFIX_DELEGATION: u64 = 110;
/// What cni-metrics-helper publishes for beta: its CNI's total and assigned addresses.
const BETA_HELPER_ASSIGNED: u64 = 20;

/// One cluster, by the test's own record.
#[derive(Default, Debug)]
struct Expected {
    nodes: u64,
    held: BTreeMap<String, u64>,
    max_pods: u64,
    certainly_idle: u64,
}

impl Expected {
    fn held(&self) -> u64 {
        self.held.values().sum()
    }
}

struct World {
    /// Subnet ids by the test's names.
    subnets: BTreeMap<&'static str, String>,
    clusters: BTreeMap<&'static str, Expected>,
    leaked: String,
    gone_node: &'static str,
}

fn max_pods(instance_type: &str) -> u64 {
    MAX_PODS
        .iter()
        .find(|(t, _)| *t == instance_type)
        .unwrap()
        .1
}

/// A node of `cluster` (by the instance tag `tag`): `primary` warm addresses on its primary
/// ENI and, when `cni` names a subnet, an `aws-K8S-` ENI there with that many more.
async fn node(
    b: &mut estate::Builder<'_>,
    w: &mut World,
    (cluster, tag): (&'static str, (&str, &str)),
    (instance_type, subnet): (&str, &'static str),
    primary: usize,
    cni: Option<(&'static str, usize)>,
) -> String {
    let home = w.subnets[subnet].clone();
    let (id, eni) = b.node(&home, instance_type, &[tag]).await;
    b.assign(&eni, &home, primary).await;
    let e = w.clusters.entry(cluster).or_default();
    e.nodes += 1;
    *e.held.entry(home).or_default() += primary as u64;
    let mut held = primary as u64;
    if let Some((at, n)) = cni {
        let sid = w.subnets[at].clone();
        let tags = [
            ("cluster.k8s.amazonaws.com/name", cluster),
            ("node.k8s.amazonaws.com/instance_id", id.as_str()),
        ];
        let cni_eni = b.eni(&sid, &format!("aws-K8S-{id}"), n, &tags).await;
        b.attach(&cni_eni, &id, 1).await;
        *e.held.entry(sid).or_default() += n as u64;
        held += n as u64;
    }
    e.max_pods += max_pods(instance_type);
    e.certainly_idle += held.saturating_sub(max_pods(instance_type));
    id
}

async fn build(bed: &Bed) -> World {
    let sdk = bed.sdk().await;
    let mut estate = estate::Estate::default();
    let mut b = estate::Builder::new(&sdk, OWN, REGION, &mut estate);
    let vpc = b.vpc(&["10.80.0.0/16"]).await;
    let mut w = World {
        subnets: BTreeMap::new(),
        clusters: BTreeMap::new(),
        leaked: String::new(),
        gone_node: "i-0fedcba9876543210",
    };
    for (name, cidr, az) in [
        ("a", "10.80.0.0/23", "us-east-1a"),
        ("b", "10.80.2.0/24", "us-east-1b"),
        ("c", "10.80.3.0/25", "us-east-1a"),
    ] {
        let id = b.subnet_in(&vpc, cidr, true, Some(az)).await;
        w.subnets.insert(name, id);
    }
    // Managed node groups tag eks:cluster-name; self-managed nodes kubernetes.io/cluster/<name>.
    let alpha_tag = ("eks:cluster-name", ALPHA);
    let alpha = (ALPHA, alpha_tag);
    let beta_key = format!("kubernetes.io/cluster/{BETA}");
    node(&mut b, &mut w, alpha, ("m5.large", "a"), 9, Some(("a", 9))).await;
    node(&mut b, &mut w, alpha, ("t3.medium", "b"), 5, Some(("c", 5))).await;
    let beta = (BETA, (beta_key.as_str(), "owned"));
    node(
        &mut b,
        &mut w,
        beta,
        ("m5.xlarge", "b"),
        14,
        Some(("b", 14)),
    )
    .await;
    node(
        &mut b,
        &mut w,
        beta,
        ("m5.xlarge", "c"),
        14,
        Some(("c", 14)),
    )
    .await;

    // A prefix-delegation node of alpha: eight /28s on its primary ENI (128 addresses, past
    // its 110 pods), and no aws-K8S- ENI: its pods fit the primary ENI's prefixes.
    let sa = w.subnets["a"].clone();
    let (pd, pd_eni) = b.node(&sa, "m5.large", &[alpha_tag]).await;
    let prefixes: Vec<String> = (0..8).map(|i| format!("10.80.1.{}/28", i * 16)).collect();
    bed.prefixes(json!({&pd_eni: {"subnet": &sa, "prefixes": prefixes}}))
        .await;
    let e = w.clusters.get_mut(ALPHA).unwrap();
    e.nodes += 1;
    *e.held.get_mut(&sa).unwrap() += 128;
    e.max_pods += M5_LARGE_PREFIX_DELEGATION;
    e.certainly_idle += 128 - M5_LARGE_PREFIX_DELEGATION;
    assert!(!pd.is_empty());

    // A VPC CNI node that names no cluster (no tag on it or its ENIs): EKS pods, no cluster.
    let sb = w.subnets["b"].clone();
    let (anon, _) = b.node(&sb, "m5.large", &[]).await;
    let anon_eni = b.eni(&sb, &format!("aws-K8S-{anon}"), 3, &[]).await;
    b.attach(&anon_eni, &anon, 1).await;
    // A plain instance with addresses of its own, in beta's subnet c.
    let sc = w.subnets["c"].clone();
    let (_, plain_eni) = b.node(&sc, "m5.large", &[]).await;
    b.assign(&plain_eni, &sc, 3).await;
    // A CNI ENI whose node is gone: detached, still holding three addresses.
    let node_tag = [("node.k8s.amazonaws.com/instance_id", w.gone_node)];
    w.leaked = b
        .eni(&sb, &format!("aws-K8S-{}", w.gone_node), 2, &node_tag)
        .await;
    // And a detached ENI nobody's CNI made.
    b.eni(&sa, "spare", 0, &[]).await;
    w
}

/// cni-metrics-helper's figures for beta, in the account-region's CloudWatch.
async fn publish_helper(bed: &Bed, total: u64) {
    let cw = aws_sdk_cloudwatch::Client::new(&bed.sdk().await);
    let dim = Dimension::builder().name("CLUSTER_ID").value(BETA).build();
    let datum = |name: &str, v: u64| {
        MetricDatum::builder()
            .metric_name(name)
            .dimensions(dim.clone())
            .value(v as f64)
            .build()
    };
    cw.put_metric_data()
        .namespace("Kubernetes")
        .metric_data(datum("totalIPAddresses", total))
        .metric_data(datum("assignIPAddresses", BETA_HELPER_ASSIGNED))
        .send()
        .await
        .expect("helper figures");
}

/// The report's clusters against the test's record.
fn check_clusters(report: &Value, w: &World) {
    let got = report["clusters"].as_array().expect("clusters");
    assert_eq!(
        got.len(),
        2,
        "alpha and beta, not the nameless node: {got:#?}"
    );
    for c in got {
        let name = c["name"].as_str().unwrap();
        let want = &w.clusters[name];
        assert_eq!(c["account"], OWN);
        assert_eq!(c["region"], REGION);
        assert_eq!(c["nodes"], want.nodes, "{name}");
        assert_eq!(c["held"], want.held(), "{name}");
        assert_eq!(c["max_pods"], want.max_pods, "{name}");
        assert_eq!(c["certainly_idle"], want.certainly_idle, "{name}");
        let shares: BTreeMap<String, u64> = c["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["subnet_id"].as_str().unwrap().to_string(),
                    s["held"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(shares, want.held, "{name}: its share of each subnet");
        if name == BETA {
            assert_eq!(c["assigned"], BETA_HELPER_ASSIGNED, "{c}");
            assert_eq!(c["idle_now"], want.held() - BETA_HELPER_ASSIGNED);
        } else {
            assert!(c.get("assigned").is_none(), "no helper figure, no guess");
            assert!(c.get("idle_now").is_none(), "no helper figure, no guess");
        }
    }
    // The leaked CNI ENI is named apart, with its gone node.
    let leaked: Vec<&Value> = report["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["detached"].as_array().into_iter().flatten())
        .filter(|d| d.get("leaked_by").is_some())
        .collect();
    assert_eq!(leaked.len(), 1, "{leaked:?}");
    assert_eq!(leaked[0]["id"], w.leaked.as_str());
    assert_eq!(leaked[0]["leaked_by"], w.gone_node);
}

#[tokio::test]
async fn each_clusters_hold_idle_addresses_and_the_fix_come_from_what_ec2_shows() {
    let Stack { bed, app, cfn } = Stack::start().await;
    let w = build(&bed).await;
    let beta_held = w.clusters[BETA].held();
    publish_helper(&bed, beta_held).await;
    let tag = format!("{TAG_KEY}={TAG_VALUE}");

    // The report, JSON and text.
    let report = bed.cli_json(&["report", "--tag", &tag, "--json"]).await;
    check_clusters(&report, &w);
    let out = bed.cli(&["report", "--tag", &tag]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    let alpha = &w.clusters[ALPHA];
    for want in [
        "EKS CLUSTER".to_string(),
        format!("{BETA} holds: "),
        format!(
            "{} {} of 123",
            w.subnets["c"], w.clusters[BETA].held[&w.subnets["c"]]
        ),
        "LEFT BY THE VPC CNI".to_string(),
        format!(
            "aws ec2 delete-network-interface --network-interface-id {}",
            w.leaked
        ),
    ] {
        assert!(text.contains(&want), "{want}\nnot in:\n{text}");
    }
    let alpha_row = text.lines().find(|l| l.starts_with(ALPHA)).unwrap();
    let cells: Vec<&str> = alpha_row.split_whitespace().collect();
    assert_eq!(
        cells[3..],
        [
            alpha.nodes.to_string(),
            alpha.held().to_string(),
            alpha.max_pods.to_string(),
            alpha.certainly_idle.to_string(),
            "-".into(),
            "-".into()
        ],
        "{alpha_row}"
    );

    // A ClusterMetrics monitor: its tick reads the nodes and their types once, the helper's
    // figures once, and publishes each cluster's hold and idle figure.
    let props = json!({"PoolName": "eks", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "ClusterMetrics": true});
    let tick = scheduled_tick(&app, &bed, props).await;
    bed.reset_counts().await;
    app.handle(tick, &invocation(60)).await.expect("tick");
    let counts = bed.counts().await;
    assert_eq!(counts.get("ec2:DescribeInstances"), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get("ec2:DescribeInstanceTypes"),
        Some(&1),
        "{counts:?}"
    );
    // The trend's history and the helper's figures.
    assert_eq!(
        counts.get("monitoring:GetMetricData"),
        Some(&2),
        "{counts:?}"
    );
    for (cluster, idle) in [
        (ALPHA, alpha.certainly_idle),
        (BETA, beta_held - BETA_HELPER_ASSIGNED),
    ] {
        let dims = [("Pool", "eks"), ("Cluster", cluster)];
        let held = w.clusters[cluster].held() as f64;
        assert_eq!(
            bed.metric(NS, "ClusterHeldAddresses", &dims).await,
            Some(held)
        );
        assert_eq!(
            bed.metric(NS, "ClusterIdleAddresses", &dims).await,
            Some(idle as f64)
        );
    }

    // A default monitor's tick makes none of those calls.
    let plain = json!({"PoolName": "plain", "Select": {"Tags": {TAG_KEY: TAG_VALUE}}});
    let tick = scheduled_tick(&app, &bed, plain).await;
    bed.reset_counts().await;
    app.handle(tick, &invocation(60)).await.expect("tick");
    let counts = bed.counts().await;
    assert_eq!(counts.get("ec2:DescribeInstances"), None, "{counts:?}");
    assert_eq!(counts.get("ec2:DescribeInstanceTypes"), None, "{counts:?}");
    assert_eq!(
        counts.get("monitoring:GetMetricData"),
        Some(&1),
        "{counts:?}"
    );

    // The alert: subnet c is the fullest, and beta holds most of it; its warm pool and the
    // setting that frees it come before the next subnet.
    let subs = subscribe(&bed).await;
    let props = json!({"PoolName": "eks-alert", "Select": {"Tags": {TAG_KEY: TAG_VALUE}},
        "Notify": "detailed", "AlarmTopicArns": [subs.topic]});
    let body = send(&app, &cfn, "create", None, Some(props)).await;
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    let id = body["PhysicalResourceId"].as_str().unwrap().to_string();
    app.handle(
        alarm_event(&id, "subnet-critical", "ALARM"),
        &invocation(60),
    )
    .await
    .expect("notified");
    let messages = queued(&bed, &subs.queue_url).await;
    assert_eq!(messages.len(), 1);
    let payload: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    check_clusters(&payload["report"], &w);
    let first = &payload["next_moves"][0];
    assert_eq!(first["subnet_id"], w.subnets["c"].as_str());
    let minimum = BETA_HELPER_ASSIGNED.div_ceil(w.clusters[BETA].nodes);
    let command = format!(
        "kubectl set env daemonset aws-node -n kube-system WARM_IP_TARGET=2 \
         MINIMUM_IP_TARGET={minimum}"
    );
    assert_eq!(first["eks_cluster"]["cluster"], BETA);
    assert_eq!(
        first["eks_cluster"]["idle"],
        beta_held - BETA_HELPER_ASSIGNED
    );
    assert_eq!(first["eks_cluster"]["command"], command.as_str());

    let posts = subs.http.wait_for(1, Duration::from_secs(10)).await;
    let q: Value = serde_json::from_str(posts[0].json()["Message"].as_str().unwrap()).unwrap();
    let text = q["content"]["description"].as_str().unwrap();
    let warm = text
        .find(&command)
        .unwrap_or_else(|| panic!("{command}\nnot in:\n{text}"));
    let next = text.find("aws ec2 create-subnet").expect("the next subnet");
    assert!(warm < next, "the warm pool comes first:\n{text}");
    let c_held = w.clusters[BETA].held[&w.subnets["c"]];
    let line = format!(
        "EKS cluster {BETA} ({OWN} {REGION}) holds {c_held} of the 40 addresses used here; {} \
         of the {beta_held} it holds in this pool sit idle now",
        beta_held - BETA_HELPER_ASSIGNED
    );
    assert!(text.contains(&line), "{line}\nnot in:\n{text}");
    assert!(text.contains("EKS CLUSTER"), "the clusters' table:\n{text}");
}
