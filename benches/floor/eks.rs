//! The EKS estate: two clusters of [`NODES_PER_CLUSTER`] nodes sharing four subnets, each node
//! with warm addresses on its primary ENI and a VPC CNI ENI, and cni-metrics-helper's figures
//! for one of them. One tick of a `ClusterMetrics` monitor, its requests beside the floor
//! docs/design.md states ("Scale and cost": `ClusterMetrics`), and its CPU and peak RSS.

use futures::stream::{self, StreamExt};

use super::*;

const NODES_PER_CLUSTER: usize = 1_000;
/// Instances RunInstances launches per call (moto takes the lot; AWS would take them too).
const LAUNCH_BATCH: i32 = 250;
/// Clusters, their instance tag, and the instance types their nodes cycle through.
const CLUSTERS: [(&str, &str, &[&str]); 2] = [
    ("alpha", "eks:cluster-name", &["m5.large", "m5.xlarge"]),
    (
        "beta",
        "kubernetes.io/cluster/beta",
        &["c5.4xlarge", "m5.2xlarge", "t3.medium"],
    ),
];
/// Warm addresses on each node's primary ENI, and on its aws-K8S- ENI.
const WARM: i32 = 5;

async fn launch(
    ec2: &aws_sdk_ec2::Client,
    subnet: &str,
    t: &str,
    tag: (&str, &str),
) -> Vec<String> {
    let spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(tag.0)
                .value(tag.1)
                .build(),
        )
        .build();
    let out = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(t.into())
        .min_count(LAUNCH_BATCH)
        .max_count(LAUNCH_BATCH)
        .subnet_id(subnet)
        .tag_specifications(spec)
        .send()
        .await
        .expect("run instances");
    out.instances()
        .iter()
        .map(|i| {
            format!(
                "{} {} {}",
                i.instance_id().unwrap(),
                i.network_interfaces()[0].network_interface_id().unwrap(),
                subnet
            )
        })
        .collect()
}

/// The node's warm pool: addresses on its primary ENI, and an attached aws-K8S- ENI.
async fn warm(ec2: &aws_sdk_ec2::Client, node: &str, cluster: &str) {
    let [id, primary, subnet]: [&str; 3] = node.split(' ').collect::<Vec<_>>().try_into().unwrap();
    ec2.assign_private_ip_addresses()
        .network_interface_id(primary)
        .secondary_private_ip_address_count(WARM)
        .send()
        .await
        .expect("assign");
    let tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::NetworkInterface)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("cluster.k8s.amazonaws.com/name")
                .value(cluster)
                .build(),
        )
        .build();
    let eni = ec2
        .create_network_interface()
        .subnet_id(subnet)
        .description(format!("aws-K8S-{id}"))
        .secondary_private_ip_address_count(WARM)
        .tag_specifications(tags)
        .send()
        .await
        .expect("cni eni");
    ec2.attach_network_interface()
        .network_interface_id(
            eni.network_interface()
                .unwrap()
                .network_interface_id()
                .unwrap(),
        )
        .instance_id(id)
        .device_index(1)
        .send()
        .await
        .expect("attach");
}

pub async fn bench_eks(bin: &Path, out_dir: &Path) -> (Value, bool) {
    eprintln!(
        "estate eks: {} clusters of {NODES_PER_CLUSTER} nodes in moto…",
        CLUSTERS.len()
    );
    let bed = Bed::start();
    let sdk = bed.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let built_at = Instant::now();
    let mut built = estate::Estate::default();
    let mut b = estate::Builder::new(&sdk, estate::OWN, "us-east-1", &mut built);
    let vpc = b.vpc(&["10.0.0.0/16"]).await;
    let mut subnets = Vec::new();
    for i in 0..4 {
        subnets.push(b.subnet(&vpc, &format!("10.0.{}.0/19", i * 32), true).await);
    }
    let mut nodes = Vec::new();
    for (cluster, key, types) in CLUSTERS {
        let value = if key.starts_with("kubernetes.io/") {
            "owned"
        } else {
            cluster
        };
        for k in 0..NODES_PER_CLUSTER / LAUNCH_BATCH as usize {
            let t = types[k % types.len()];
            let launched = launch(&ec2, &subnets[k % subnets.len()], t, (key, value)).await;
            nodes.extend(launched.into_iter().map(|n| (cluster, n)));
        }
    }
    stream::iter(&nodes)
        .for_each_concurrent(8, |(cluster, n)| warm(&ec2, n, cluster))
        .await;
    let held = 2 * WARM as u64 * NODES_PER_CLUSTER as u64;
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let dim = aws_sdk_cloudwatch::types::Dimension::builder()
        .name("CLUSTER_ID")
        .value("beta")
        .build();
    for (name, v) in [("totalIPAddresses", held), ("assignIPAddresses", held / 4)] {
        let datum = aws_sdk_cloudwatch::types::MetricDatum::builder()
            .metric_name(name)
            .dimensions(dim.clone())
            .value(v as f64)
            .build();
        cw.put_metric_data()
            .namespace("Kubernetes")
            .metric_data(datum)
            .send()
            .await
            .expect("helper");
    }
    eprintln!("  built in {:.0} s", built_at.elapsed().as_secs_f64());
    let in_region = estate::subnets_in_region(&ec2).await;

    let monitor = json!({"PoolName": "bench-eks", "ClusterMetrics": true,
        "Select": {"Tags": {estate::TAG_KEY: estate::TAG_VALUE}}});
    let event = json!({"cidrwatch": "tick", "v": 1, "id": "cidrwatch-bench-eks-00000000",
        "monitor": monitor});
    let event_file = out_dir.join("eks-tick.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    bed.reset_counts().await;
    let tick = invoke_measured(bin, &bed, &event_file).await;
    let counts = bed.counts().await;
    assert!(tick.success, "the tick failed: {}", tick.stderr);
    let report: Value = serde_json::from_slice(&tick.stdout).expect("the tick's report");

    let pages = |n: usize, per: usize| n.div_ceil(per) as u64;
    let enis = 2 * nodes.len();
    let types: usize = CLUSTERS.iter().map(|c| c.2.len()).sum();
    // 12 pool datums (as the other estates') and 2 per cluster.
    let datums = 12 + 2 * CLUSTERS.len();
    let floor = BTreeMap::from([
        ("ec2:DescribeSubnets".to_string(), pages(in_region, 1000)),
        ("ec2:DescribeVpcs".to_string(), 1),
        (
            "ec2:DescribeNetworkInterfaces".to_string(),
            pages(enis, 1000),
        ),
        ("ec2:DescribeInstances".to_string(), pages(nodes.len(), 200)),
        ("ec2:DescribeInstanceTypes".to_string(), pages(types, 100)),
        // The trend's history, and cni-metrics-helper's figures (one account-region).
        ("monitoring:GetMetricData".to_string(), 2),
        ("monitoring:PutMetricData".to_string(), pages(datums, 1000)),
    ]);
    let clusters = report["clusters"].as_array().cloned().unwrap_or_default();
    let right = counts == floor
        && clusters.len() == CLUSTERS.len()
        && clusters
            .iter()
            .all(|c| c["nodes"] == json!(NODES_PER_CLUSTER) && c["held"] == json!(held));
    println!();
    println!(
        "estate eks: {} clusters x {NODES_PER_CLUSTER} nodes ({enis} ENIs, {types} instance \
         types), one ClusterMetrics tick",
        CLUSTERS.len()
    );
    println!("  {:<40} {:>6} {:>6}", "operation", "tick", "floor");
    let ops: std::collections::BTreeSet<&String> = floor.keys().chain(counts.keys()).collect();
    for op in ops {
        let n = |m: &BTreeMap<String, u64>| m.get(op).copied().unwrap_or(0);
        println!("  {op:<40} {:>6} {:>6}", n(&counts), n(&floor));
    }
    println!(
        "  at the floor and each cluster whole: {}; CPU {:.2} s, peak RSS {:.1} MiB",
        if right { "yes" } else { "NO" },
        tick.cpu(),
        mib(tick.max_rss_kib)
    );
    for c in &clusters {
        println!(
            "  {}: {} nodes hold {}, max pods {}, certainly idle {}, idle now {}",
            c["name"].as_str().unwrap_or(""),
            c["nodes"],
            c["held"],
            c["max_pods"],
            c["certainly_idle"],
            c.get("idle_now")
                .map_or("not known".to_string(), Value::to_string)
        );
    }
    let result = json!({"name": "eks", "requests": counts, "floor": floor, "tick": tick.json(),
        "clusters": clusters, "right": right});
    (result, right)
}
