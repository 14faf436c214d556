//! The VPC CNI's nodes behind a pool's ENIs: their instances (`DescribeInstances` filtered on
//! their ids: ⌈nodes/200⌉ calls), their types (`DescribeInstanceTypes`: ⌈distinct types/100⌉),
//! and what cni-metrics-helper last published for their clusters (one `GetMetricData` per
//! account-region that has clusters). Made only when the caller wants the holders or the
//! monitor has `ClusterMetrics`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::ScanBy;
use aws_sdk_ec2::types::InstanceType as Ec2InstanceType;

use super::discover::{FILTER_VALUES_MAX, PAGE, filter};
use super::metrics::metric_query;
use super::sdk_error;
use crate::Error;
use crate::usage::clusters::{self, Cluster, Helper, Instance, InstanceType};
use crate::usage::holders::Eni;

/// Instance types `DescribeInstanceTypes` takes in one call.
const TYPES_PER_CALL: usize = 100;
/// Where cni-metrics-helper publishes, and the dimension naming the cluster (its
/// `AWS_CLUSTER_ID`).
pub const HELPER_NAMESPACE: &str = "Kubernetes";
pub const HELPER_DIMENSION: &str = "CLUSTER_ID";
/// How far back its last figures are looked for: it publishes every minute or so.
const HELPER_LOOKBACK: Duration = Duration::from_secs(15 * 60);

/// The clusters among `enis` (one region's), with their nodes' instances and types read.
pub(super) async fn clusters(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    enis: &[Eni],
) -> Result<Vec<Cluster>, Error> {
    let ids = clusters::node_ids(enis);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let instances = instances(ec2, &ids).await?;
    let wanted: BTreeSet<&str> = instances
        .values()
        .map(|i| i.instance_type.as_str())
        .collect();
    let types = instance_types(ec2, wanted).await?;
    Ok(clusters::clusters(region, enis, &instances, &types))
}

async fn instances(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<HashMap<String, Instance>, Error> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let mut pages = ec2
            .describe_instances()
            .filters(filter("instance-id", chunk))
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("ec2:DescribeInstances", e))?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                let Some(id) = i.instance_id() else { continue };
                let tags = i
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())));
                out.insert(
                    id.to_string(),
                    Instance {
                        instance_type: i
                            .instance_type()
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        cluster: clusters::cluster_of(tags),
                    },
                );
            }
        }
    }
    Ok(out)
}

async fn instance_types(
    ec2: &aws_sdk_ec2::Client,
    wanted: BTreeSet<&str>,
) -> Result<HashMap<String, InstanceType>, Error> {
    let wanted: Vec<Ec2InstanceType> = wanted
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(Ec2InstanceType::from)
        .collect();
    let mut out = HashMap::new();
    for chunk in wanted.chunks(TYPES_PER_CALL) {
        let mut pages = ec2
            .describe_instance_types()
            .set_instance_types(Some(chunk.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("ec2:DescribeInstanceTypes", e))?;
            for t in page.instance_types() {
                let (Some(name), Some(net)) = (t.instance_type(), t.network_info()) else {
                    continue;
                };
                let n = |v: Option<i32>| v.map_or(0, |v| v.max(0) as u64);
                out.insert(
                    name.as_str().to_string(),
                    InstanceType {
                        max_enis: n(net.maximum_network_interfaces()),
                        ipv4_per_eni: n(net.ipv4_addresses_per_interface()),
                        vcpus: n(t.v_cpu_info().and_then(|v| v.default_v_cpus())),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Each named cluster's last `totalIPAddresses` and `assignIPAddresses` from
/// cni-metrics-helper in the account-region `config` and `region` act in: one GetMetricData.
/// Clusters it does not publish for are absent.
pub async fn helper_figures(
    config: &SdkConfig,
    region: &str,
    names: &[String],
) -> Result<HashMap<String, Helper>, Error> {
    let cw = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .build(),
    );
    let query = |id: String, metric: &str, cluster: &str| {
        metric_query(
            &id,
            (HELPER_NAMESPACE, metric),
            (HELPER_DIMENSION, cluster),
            60,
            "Maximum",
        )
    };
    let queries = names.iter().enumerate().flat_map(|(i, name)| {
        [
            query(format!("t{i}"), "totalIPAddresses", name),
            query(format!("a{i}"), "assignIPAddresses", name),
        ]
    });
    let now = SystemTime::now();
    let mut pages = cw
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(DateTime::from(now - HELPER_LOOKBACK))
        // EndTime is exclusive and whole seconds: a minute ahead keeps a figure published
        // this very second.
        .end_time(DateTime::from(now + Duration::from_secs(60)))
        .scan_by(ScanBy::TimestampDescending)
        .into_paginator()
        .send();
    let mut last: HashMap<String, f64> = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("cloudwatch:GetMetricData", e))?;
        for r in page.metric_data_results() {
            let newest = r
                .timestamps()
                .iter()
                .zip(r.values())
                .max_by(|a, b| a.0.as_secs_f64().total_cmp(&b.0.as_secs_f64()));
            if let (Some(id), Some((_, v))) = (r.id(), newest) {
                last.entry(id.to_string()).or_insert(*v);
            }
        }
    }
    let figure = |id: String| last.get(&id).map(|v| v.max(0.0).round() as u64);
    Ok(names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let total = figure(format!("t{i}"))?;
            let assigned = figure(format!("a{i}"))?;
            Some((name.clone(), Helper { total, assigned }))
        })
        .collect())
}
