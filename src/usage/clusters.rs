//! EKS clusters in a pool (pure): which cluster's VPC CNI holds which addresses, how many pods
//! its nodes can run at most, and how many of the addresses sit idle in its warm pools.
//!
//! What EC2 shows: the VPC CNI's secondary addresses and /28 prefixes on a node's ENIs (its
//! primary ENI's included; each ENI's own primary address is the node's, see
//! [`super::holders`]); the node's cluster from its instance tags, else from the CNI's ENI tag;
//! its type's ENI slots and addresses per ENI, hence EKS's max-pods. Where cni-metrics-helper
//! publishes (`Kubernetes`, `CLUSTER_ID`), the exact count of assigned addresses.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::holders::{Eni, PREFIX_ADDRESSES, cni_nodes};

/// Instance tags naming a node's EKS cluster: managed node groups and Karpenter
/// (`eks:cluster-name`), EKS Auto Mode and CloudFormation-made ones (`aws:eks:cluster-name`).
pub const NODE_CLUSTER_TAGS: [&str; 2] = ["eks:cluster-name", "aws:eks:cluster-name"];
/// `kubernetes.io/cluster/<name>` (value `owned` or `shared`): self-managed nodes.
pub const KUBERNETES_CLUSTER_TAG: &str = "kubernetes.io/cluster/";
/// EKS's max-pods ceilings with prefix delegation (the max-pods calculator's): below
/// [`CPU_CEILING`] vCPUs, and at or above it.
const MAX_PODS_FEW_CPUS: u64 = 110;
const MAX_PODS_MANY_CPUS: u64 = 250;
const CPU_CEILING: u64 = 30;

/// What `DescribeInstanceTypes` says of an instance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceType {
    /// `NetworkInfo.MaximumNetworkInterfaces`.
    pub max_enis: u64,
    /// `NetworkInfo.Ipv4AddressesPerInterface`.
    pub ipv4_per_eni: u64,
    /// `VCpuInfo.DefaultVCpus`.
    pub vcpus: u64,
}

impl InstanceType {
    /// EKS's max-pods for the type: ENIs × (IPv4 per ENI − 1) + 2 (each ENI's primary address
    /// is the node's; two host-network pods take none); with prefix delegation each slot holds
    /// a /28, capped at 110 pods below 30 vCPUs and 250 above.
    pub fn max_pods(&self, prefix_delegation: bool) -> u64 {
        let slots = self.max_enis * self.ipv4_per_eni.saturating_sub(1);
        if prefix_delegation {
            let ceiling = if self.vcpus < CPU_CEILING {
                MAX_PODS_FEW_CPUS
            } else {
                MAX_PODS_MANY_CPUS
            };
            (slots * PREFIX_ADDRESSES + 2).min(ceiling)
        } else {
            slots + 2
        }
    }
}

/// What `DescribeInstances` says of a node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Instance {
    pub instance_type: String,
    /// Its cluster, from its tags (see [`cluster_of`]).
    pub cluster: Option<String>,
}

/// The EKS cluster an instance's tags name, if any.
pub fn cluster_of<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let tags: Vec<(&str, &str)> = tags.into_iter().collect();
    NODE_CLUSTER_TAGS
        .iter()
        .find_map(|k| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v))
        .map(|v| v.to_string())
        .or_else(|| {
            tags.iter()
                .find_map(|(k, _)| k.strip_prefix(KUBERNETES_CLUSTER_TAG))
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        })
}

/// What cni-metrics-helper last published for a cluster: `totalIPAddresses` and
/// `assignIPAddresses`, over the whole cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Helper {
    pub total: u64,
    pub assigned: u64,
}

/// A cluster's addresses in one subnet of the pool.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    pub subnet_id: String,
    pub held: u64,
}

/// One EKS cluster's hold on the pool's addresses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cluster {
    pub name: String,
    pub account: String,
    pub region: String,
    /// Its nodes with an ENI in the pool's subnets.
    pub nodes: u64,
    /// Addresses its VPC CNI holds in the pool: secondary addresses and 16 per /28 prefix on
    /// its nodes' ENIs.
    pub held: u64,
    /// The most pods those nodes can run (EKS's max-pods by instance type), over the nodes
    /// whose type is known.
    pub max_pods: u64,
    /// Nodes whose instance type could not be read: they add nothing to `max_pods` and
    /// `certainly_idle`.
    #[serde(skip_serializing_if = "is_zero")]
    pub nodes_unmeasured: u64,
    /// Sum over its nodes of what each holds beyond its max-pods: idle whatever runs there.
    pub certainly_idle: u64,
    /// Whether any node delegates /28 prefixes.
    pub prefix_delegation: bool,
    /// What cni-metrics-helper last published for the cluster, where it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helper_total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<u64>,
    /// Why the helper's figures could not be read (a one-line AWS error), when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helper_error: Option<String>,
    /// held − assigned: only when the helper's total is within what the pool shows the
    /// cluster holding (so every assigned address is one of these).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_now: Option<u64>,
    /// Largest first.
    pub subnets: Vec<Share>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Cluster {
    /// The idle figure to act on: idle now where the helper gives it, else certainly idle.
    pub fn idle(&self) -> u64 {
        self.idle_now.unwrap_or(self.certainly_idle)
    }

    /// Takes what cni-metrics-helper published for it.
    pub fn with_helper(mut self, h: Helper) -> Self {
        self.helper_total = Some(h.total);
        self.assigned = Some(h.assigned);
        self.idle_now = (h.total <= self.held).then(|| self.held.saturating_sub(h.assigned));
        self
    }

    /// "prod (111111111111 us-east-1)": how lines name it.
    pub fn label(&self) -> String {
        format!("{} ({} {})", self.name, self.account, self.region)
    }

    /// Its held addresses in one subnet.
    pub fn held_in(&self, subnet_id: &str) -> u64 {
        self.subnets
            .iter()
            .find(|s| s.subnet_id == subnet_id)
            .map_or(0, |s| s.held)
    }
}

/// The clusters as text: a row each, then each one's share of the subnets it uses (`usable`
/// gives a subnet's usable addresses). What `cidrwatch report` and notifications print.
pub fn table(clusters: &[Cluster], usable: impl Fn(&str) -> Option<u64>) -> Vec<String> {
    if clusters.is_empty() {
        return Vec::new();
    }
    let figure = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    let mut out = vec![format!(
        "{:<24} {:<12} {:<14} {:>5} {:>6} {:>8} {:>9} {:>8} {:>8}",
        "EKS CLUSTER",
        "ACCOUNT",
        "REGION",
        "NODES",
        "HELD",
        "MAX PODS",
        "CERT IDLE",
        "ASSIGNED",
        "IDLE NOW"
    )];
    for c in clusters {
        out.push(format!(
            "{:<24} {:<12} {:<14} {:>5} {:>6} {:>8} {:>9} {:>8} {:>8}",
            c.name,
            c.account,
            c.region,
            c.nodes,
            c.held,
            c.max_pods,
            c.certainly_idle,
            figure(c.assigned),
            figure(c.idle_now)
        ));
    }
    for c in clusters {
        let shares: Vec<String> = c
            .subnets
            .iter()
            .map(|sh| match usable(&sh.subnet_id) {
                Some(u) => format!("{} {} of {u}", sh.subnet_id, sh.held),
                None => format!("{} {}", sh.subnet_id, sh.held),
            })
            .collect();
        out.push(format!("  {} holds: {}", c.name, shares.join(" · ")));
        if let Some(e) = &c.helper_error {
            out.push(format!(
                "  {}: cni-metrics-helper figures unread: {e}",
                c.name
            ));
        }
    }
    out.push(
        "HELD: secondary addresses and /28 prefixes its VPC CNI holds on its nodes' ENIs. \
         CERT IDLE: held beyond each node's max-pods. ASSIGNED and IDLE NOW come from \
         cni-metrics-helper (namespace Kubernetes); '-' where it publishes nothing for the \
         cluster, or the cluster holds addresses outside this pool."
            .to_string(),
    );
    out
}

/// One node's hold, from the ENIs attached to it.
#[derive(Default)]
struct Node {
    account: String,
    by_subnet: BTreeMap<String, u64>,
    prefix_delegation: bool,
    eni_cluster: Option<String>,
}

impl Node {
    fn held(&self) -> u64 {
        self.by_subnet.values().sum()
    }
}

/// The VPC CNI's nodes among one account-region's ENIs, by instance id.
fn nodes(enis: &[Eni]) -> BTreeMap<&str, Node> {
    let managed = cni_nodes(enis);
    let mut out: BTreeMap<&str, Node> = BTreeMap::new();
    for e in enis.iter().filter(|e| !e.detached) {
        let Some(id) = e
            .instance_id
            .as_deref()
            .or(e.cni_node())
            .filter(|i| managed.contains(i))
        else {
            continue;
        };
        let node = out.entry(id).or_default();
        if node.account.is_empty() {
            node.account.clone_from(&e.account);
        }
        let held = e.beyond_primary();
        if held > 0 {
            *node.by_subnet.entry(e.subnet_id.clone()).or_default() += held;
        }
        node.prefix_delegation |= e.prefixes > 0;
        if node.eni_cluster.is_none() {
            node.eni_cluster.clone_from(&e.cni_cluster);
        }
    }
    out
}

/// The instance ids of the VPC CNI's nodes among `enis`: what `DescribeInstances` is asked.
pub fn node_ids(enis: &[Eni]) -> Vec<String> {
    nodes(enis).keys().map(|s| s.to_string()).collect()
}

/// One region's clusters (by account and name: the account that owns the node's ENIs),
/// largest hold first. A node's cluster is what its instance tags say, else its CNI ENIs'
/// tag; nodes that name no cluster are in none (their addresses stay `EKS pods` in the
/// holders).
pub fn clusters(
    region: &str,
    enis: &[Eni],
    instances: &HashMap<String, Instance>,
    types: &HashMap<String, InstanceType>,
) -> Vec<Cluster> {
    let mut by_name: BTreeMap<(String, String), Cluster> = BTreeMap::new();
    let mut shares: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    for (id, node) in nodes(enis) {
        let instance = instances.get(id);
        let Some(name) = instance
            .and_then(|i| i.cluster.clone())
            .or(node.eni_cluster.clone())
        else {
            continue;
        };
        let key = (node.account.clone(), name);
        let c = by_name.entry(key.clone()).or_insert_with(|| Cluster {
            name: key.1.clone(),
            account: key.0.clone(),
            region: region.to_string(),
            ..Cluster::default()
        });
        let held = node.held();
        c.nodes += 1;
        c.held += held;
        c.prefix_delegation |= node.prefix_delegation;
        match instance.and_then(|i| types.get(&i.instance_type)) {
            Some(t) => {
                let max = t.max_pods(node.prefix_delegation);
                c.max_pods += max;
                c.certainly_idle += held.saturating_sub(max);
            }
            None => c.nodes_unmeasured += 1,
        }
        let share = shares.entry(key).or_default();
        for (subnet, n) in node.by_subnet {
            *share.entry(subnet).or_default() += n;
        }
    }
    let mut out: Vec<Cluster> = by_name
        .into_values()
        .map(|mut c| {
            c.subnets = shares
                .remove(&(c.account.clone(), c.name.clone()))
                .unwrap_or_default()
                .into_iter()
                .map(|(subnet_id, held)| Share { subnet_id, held })
                .collect();
            c.subnets
                .sort_by(|a, b| b.held.cmp(&a.held).then(a.subnet_id.cmp(&b.subnet_id)));
            c
        })
        .collect();
    out.sort_by(|a, b| {
        b.held
            .cmp(&a.held)
            .then_with(|| (&a.name, &a.account).cmp(&(&b.name, &b.account)))
    });
    out
}

#[cfg(test)]
mod tests;
