//! Who holds a subnet's addresses (pure): each ENI's addresses by kind of holder, from what
//! `DescribeNetworkInterfaces` says of it — its status, interface type, description and
//! attachment — and the detached ENIs (status `available`: attached to nothing, still holding
//! addresses), which are space that can be reclaimed.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

/// Addresses a /28 prefix delegated to an ENI holds.
pub const PREFIX_ADDRESSES: u64 = 16;
/// The description the Amazon VPC CNI gives the ENIs it creates: `aws-K8S-<instance id>`.
const CNI_DESCRIPTION: &str = "aws-K8S-";
/// The tag the VPC CNI puts on its ENIs, naming the node's instance.
pub const CNI_INSTANCE_TAG: &str = "node.k8s.amazonaws.com/instance_id";
/// The tag the VPC CNI puts on its ENIs: when it created them (RFC 3339).
pub const CNI_CREATED_TAG: &str = "node.k8s.amazonaws.com/createdAt";
/// The tag the VPC CNI puts on its ENIs when it knows its cluster (`CLUSTER_NAME`).
pub const CNI_CLUSTER_TAG: &str = "cluster.k8s.amazonaws.com/name";

/// A kind of holder. Serialized in snake case (`load_balancers`), the report's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// EKS pods: the VPC CNI's secondary addresses and /28 prefixes, and branch ENIs
    /// (security groups for pods).
    Pods,
    /// EC2 instances, EKS nodes among them: each instance ENI's primary address, and the
    /// secondary ones of instances the VPC CNI does not manage.
    Nodes,
    LoadBalancers,
    NatGateways,
    VpcEndpoints,
    Lambda,
    /// The cross-account ENIs of an EKS cluster's control plane (`Amazon EKS <cluster>`).
    EksControlPlane,
    /// Any other ENI (RDS, EFS, ECS tasks, …), and addresses the subnet counts as used that
    /// no described ENI holds (CIDR reservations, ENIs another account sees): so the holders
    /// of a subnet add up to its used addresses.
    Other,
    /// ENIs with status `available`: attached to nothing, still holding addresses.
    Detached,
}

impl Holder {
    /// How reports and notifications name it.
    pub fn label(self) -> &'static str {
        match self {
            Holder::Pods => "EKS pods",
            Holder::Nodes => "instances",
            Holder::LoadBalancers => "load balancers",
            Holder::NatGateways => "NAT gateways",
            Holder::VpcEndpoints => "VPC endpoints",
            Holder::Lambda => "Lambda",
            Holder::EksControlPlane => "EKS control plane",
            Holder::Other => "other",
            Holder::Detached => "detached ENIs",
        }
    }
}

/// One ENI, as discovery read it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Eni {
    pub id: String,
    /// The account that owns it (`OwnerId`).
    pub account: String,
    pub subnet_id: String,
    /// Status `available`.
    pub detached: bool,
    /// `InterfaceType`: `interface`, `nat_gateway`, `branch`, `lambda`, …
    pub interface_type: String,
    pub description: String,
    /// The instance it is attached to.
    pub instance_id: Option<String>,
    /// The instance the VPC CNI made it for (its `node.k8s.amazonaws.com/instance_id` tag).
    pub cni_instance: Option<String>,
    /// Whether it has a primary private IPv4 address (every IPv4 ENI has one).
    pub primary: bool,
    /// Secondary private IPv4 addresses.
    pub secondary: u64,
    /// Delegated /28 prefixes.
    pub prefixes: u64,
    /// When the VPC CNI created it (its `createdAt` tag), when known.
    pub created: Option<String>,
    /// The cluster the VPC CNI made it for (its `cluster.k8s.amazonaws.com/name` tag).
    pub cni_cluster: Option<String>,
}

impl Eni {
    /// Every IPv4 address it holds: the primary, the secondary ones, 16 per /28 prefix.
    pub fn addresses(&self) -> u64 {
        u64::from(self.primary) + self.beyond_primary()
    }

    /// What it holds besides its own primary address: on a VPC CNI node, its pods' (warm or
    /// assigned).
    pub fn beyond_primary(&self) -> u64 {
        self.secondary + PREFIX_ADDRESSES * self.prefixes
    }

    /// The instance the VPC CNI made this ENI for, from its tag or its description.
    pub fn cni_node(&self) -> Option<&str> {
        self.cni_instance.as_deref().or_else(|| {
            self.description
                .strip_prefix(CNI_DESCRIPTION)
                .filter(|i| i.starts_with("i-"))
        })
    }

    /// What the whole ENI belongs to, when its type or description says.
    fn service(&self) -> Option<Holder> {
        if self.detached {
            return Some(Holder::Detached);
        }
        let by_type = match self.interface_type.as_str() {
            "nat_gateway" => Some(Holder::NatGateways),
            "vpc_endpoint" | "gateway_load_balancer_endpoint" => Some(Holder::VpcEndpoints),
            "network_load_balancer" | "gateway_load_balancer" | "load_balancer" => {
                Some(Holder::LoadBalancers)
            }
            "lambda" => Some(Holder::Lambda),
            "branch" => Some(Holder::Pods),
            _ => None,
        };
        let d = self.description.as_str();
        by_type.or(if d.starts_with("ELB ") {
            Some(Holder::LoadBalancers)
        } else if d.starts_with("Interface for NAT Gateway") {
            Some(Holder::NatGateways)
        } else if d.starts_with("VPC Endpoint Interface") {
            Some(Holder::VpcEndpoints)
        } else if d.starts_with("AWS Lambda VPC ENI") {
            Some(Holder::Lambda)
        } else if d.starts_with("Amazon EKS ") {
            Some(Holder::EksControlPlane)
        } else {
            None
        })
    }
}

/// A detached ENI: what the notification and the report list, to be reclaimed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DetachedEni {
    pub id: String,
    pub addresses: u64,
    /// When it was created, when its tags say (the VPC CNI's `createdAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// A VPC CNI ENI (`aws-K8S-<instance>`) left behind: the node it was made for, which is
    /// gone (a CNI ENI is detached only when its node was terminated under it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaked_by: Option<String>,
}

/// One subnet's holders, as far as the described ENIs tell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Held {
    pub by: BTreeMap<Holder, u64>,
    /// Largest first.
    pub detached: Vec<DetachedEni>,
}

/// The instances the VPC CNI manages: each has an `aws-K8S-` ENI, a branch or trunk ENI, or
/// /28 prefixes delegated to an ENI (prefix delegation: a node whose pods fit its primary
/// ENI's prefixes never gets an `aws-K8S-` ENI).
pub fn cni_nodes(enis: &[Eni]) -> HashSet<&str> {
    enis.iter()
        .filter(|e| !e.detached)
        .filter_map(|e| {
            e.cni_node().or_else(|| {
                (matches!(e.interface_type.as_str(), "trunk" | "branch") || e.prefixes > 0)
                    .then_some(e.instance_id.as_deref())
                    .flatten()
            })
        })
        .collect()
}

/// Each subnet's holders from one account-region's ENIs. An instance's primary address is
/// the node's; the secondary addresses and prefixes of an instance the VPC CNI manages (see
/// [`cni_nodes`]) are its pods'.
pub fn tally(enis: &[Eni]) -> HashMap<String, Held> {
    let cni_nodes = cni_nodes(enis);
    let mut out: HashMap<String, Held> = HashMap::new();
    for e in enis {
        let held = out.entry(e.subnet_id.clone()).or_default();
        let mut add = |h: Holder, n: u64| {
            if n > 0 {
                *held.by.entry(h).or_default() += n;
            }
        };
        match e.service() {
            Some(h) => add(h, e.addresses()),
            None if e.instance_id.is_some() || e.cni_node().is_some() => {
                let pods = e.cni_node().is_some()
                    || e.instance_id
                        .as_deref()
                        .is_some_and(|i| cni_nodes.contains(i));
                add(Holder::Nodes, u64::from(e.primary));
                let rest = e.beyond_primary();
                add(if pods { Holder::Pods } else { Holder::Nodes }, rest);
            }
            None => add(Holder::Other, e.addresses()),
        }
        if e.detached {
            held.detached.push(DetachedEni {
                id: e.id.clone(),
                addresses: e.addresses(),
                created: e.created.clone(),
                leaked_by: e.cni_node().map(str::to_string),
            });
        }
    }
    for held in out.values_mut() {
        held.detached
            .sort_by(|a, b| b.addresses.cmp(&a.addresses).then(a.id.cmp(&b.id)));
    }
    out
}

/// The holders of a subnet with `used` addresses, topped up with `Other` so they add up to
/// it (what no described ENI holds is still held by something).
pub fn add_up(mut by: BTreeMap<Holder, u64>, used: u64) -> BTreeMap<Holder, u64> {
    let seen: u64 = by.values().sum();
    if seen < used {
        *by.entry(Holder::Other).or_default() += used - seen;
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni(id: &str, description: &str, secondary: u64) -> Eni {
        Eni {
            id: id.into(),
            subnet_id: "subnet-1".into(),
            interface_type: "interface".into(),
            description: description.into(),
            primary: true,
            secondary,
            ..Eni::default()
        }
    }

    #[test]
    fn each_kind_is_told_by_its_type_description_or_attachment() {
        let node = Eni {
            instance_id: Some("i-1".into()),
            ..eni("eni-node", "", 5)
        };
        let cni = Eni {
            instance_id: Some("i-1".into()),
            prefixes: 2,
            ..eni("eni-cni", "aws-K8S-i-1", 3)
        };
        let plain = Eni {
            instance_id: Some("i-2".into()),
            ..eni("eni-plain", "", 1)
        };
        let detached = Eni {
            detached: true,
            created: Some("2026-11-01T00:00:00Z".into()),
            ..eni("eni-gone", "aws-K8S-i-9", 4)
        };
        let nat = Eni {
            interface_type: "nat_gateway".into(),
            ..eni("eni-nat", "", 0)
        };
        let enis = vec![
            node,
            cni,
            plain,
            detached,
            nat,
            eni("eni-alb", "ELB app/web/50dc6c495c0c9188", 0),
            eni("eni-nat2", "Interface for NAT Gateway nat-0123", 0),
            eni("eni-vpce", "VPC Endpoint Interface vpce-0123", 0),
            eni("eni-eks", "Amazon EKS prod", 0),
            eni("eni-rds", "RDSNetworkInterface", 0),
        ];
        let held = &tally(&enis)["subnet-1"];
        let by: Vec<(Holder, u64)> = held.by.iter().map(|(h, n)| (*h, *n)).collect();
        assert_eq!(
            by,
            vec![
                // i-1 is a CNI node: its primary ENI's 5 secondaries and the CNI ENI's 3
                // secondaries and 2 prefixes.
                (Holder::Pods, 5 + 3 + 32),
                // Three instance ENIs' primaries, and i-2's secondary.
                (Holder::Nodes, 3 + 1),
                (Holder::LoadBalancers, 1),
                (Holder::NatGateways, 2),
                (Holder::VpcEndpoints, 1),
                (Holder::EksControlPlane, 1),
                (Holder::Other, 1),
                (Holder::Detached, 5),
            ]
        );
        assert_eq!(
            held.detached,
            vec![DetachedEni {
                id: "eni-gone".into(),
                addresses: 5,
                created: Some("2026-11-01T00:00:00Z".into()),
                leaked_by: Some("i-9".into()),
            }]
        );
        let total: u64 = enis.iter().map(Eni::addresses).sum();
        assert_eq!(held.by.values().sum::<u64>(), total, "every address once");
    }

    #[test]
    fn holders_add_up_to_the_used_addresses() {
        let by = BTreeMap::from([(Holder::Pods, 10), (Holder::Other, 1)]);
        let topped = add_up(by.clone(), 15);
        assert_eq!(topped[&Holder::Other], 5);
        assert_eq!(topped.values().sum::<u64>(), 15);
        // More seen than counted (ENIs described after the subnet): kept as seen.
        assert_eq!(add_up(by.clone(), 5), by);
    }
}
