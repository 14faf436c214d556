//! The EKS part of a full subnet's next move (pure): when most of its used addresses are held
//! by one cluster's VPC CNI, the warm pool comes first — the cluster, its idle figure, and the
//! `kubectl` line that frees it — before any new subnet.

use serde_json::{Value, json};

use super::clusters::Cluster;
use super::pool::{Report, SubnetUsage};

/// Spare addresses per node the suggested setting keeps: enough for a pod to start at once,
/// far below a whole ENI's (9 to 49 on current instance types).
pub const WARM_IP_TARGET: u64 = 2;

/// A cluster holding most of a full subnet's used addresses.
#[derive(Clone, Debug, PartialEq)]
pub struct Warm {
    pub cluster: Cluster,
    /// Its addresses in that subnet.
    pub held_here: u64,
    /// The subnet's used addresses.
    pub used: u64,
}

/// The cluster whose VPC CNI holds more than half of `s`'s used addresses, if any.
pub fn holder(report: &Report, s: &SubnetUsage) -> Option<Warm> {
    report
        .clusters
        .iter()
        .map(|c| (c, c.held_in(&s.subnet_id)))
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n * 2 > s.used)
        .map(|(c, held_here)| Warm {
            cluster: c.clone(),
            held_here,
            used: s.used,
        })
}

impl Warm {
    /// The setting that frees the idle addresses, as the command that applies it:
    /// `WARM_IP_TARGET` (and `MINIMUM_IP_TARGET` at the pods a node runs now, where the
    /// helper's assigned count tells) in place of `WARM_ENI_TARGET`.
    pub fn command(&self) -> String {
        let c = &self.cluster;
        let minimum = c
            .assigned
            .filter(|_| c.nodes > 0)
            .map_or_else(String::new, |a| {
                format!(" MINIMUM_IP_TARGET={}", a.div_ceil(c.nodes))
            });
        format!(
            "kubectl set env daemonset aws-node -n kube-system WARM_IP_TARGET={WARM_IP_TARGET}\
             {minimum}"
        )
    }

    /// For machines: the cluster, its figures here, the idle figure and its source, and the
    /// command (when there is something idle to free).
    pub fn json(&self) -> Value {
        let c = &self.cluster;
        json!({
            "cluster": c.name, "account": c.account, "region": c.region,
            "held_here": self.held_here, "held": c.held, "idle": c.idle(),
            "idle_source": if c.idle_now.is_some() { "cni-metrics-helper" } else { "max-pods" },
            "command": (c.idle() > 0).then(|| self.command()),
        })
    }

    /// The lines that go before the subnet's other moves.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.cluster;
        let here = format!(
            "  EKS cluster {} holds {} of the {} addresses used here",
            c.label(),
            self.held_here,
            self.used
        );
        let idle = match (c.idle_now, c.assigned) {
            (Some(idle), Some(assigned)) => format!(
                "{idle} of the {} it holds in this pool sit idle now in its VPC CNI's warm \
                 pools (cni-metrics-helper: {assigned} assigned, on {} nodes)",
                c.held, c.nodes
            ),
            _ if c.certainly_idle > 0 => format!(
                "at least {} of the {} it holds in this pool are idle: held beyond its {} \
                 nodes' max-pods ({} pods)",
                c.certainly_idle, c.held, c.nodes, c.max_pods
            ),
            _ => {
                return vec![format!(
                    "{here}; how many sit idle in its warm pools is not known: no \
                     cni-metrics-helper figure for it (namespace Kubernetes), and no node holds \
                     beyond its max-pods."
                )];
            }
        };
        let mut out = vec![
            format!("{here}; {idle}."),
            format!(
                "  Free them first: keep {WARM_IP_TARGET} spare addresses per node instead of a \
                 whole ENI's{}:",
                if c.assigned.is_some() {
                    ""
                } else {
                    " (add MINIMUM_IP_TARGET at the pods a node usually runs)"
                }
            ),
            format!("    {}", self.command()),
        ];
        if !c.prefix_delegation {
            out.push(
                "  or prefix delegation, one spare /28 per node (Nitro nodes; needs free /28 \
                 blocks): kubectl set env daemonset aws-node -n kube-system \
                 ENABLE_PREFIX_DELEGATION=true WARM_PREFIX_TARGET=1"
                    .to_string(),
            );
        }
        out
    }

    /// When the VPC has no room left: the cluster's pods on their own secondary block.
    pub fn custom_networking(&self, vpc_id: &str, size: u8) -> String {
        format!(
            "  or give cluster {}'s pods their own space: custom networking \
             (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true) on a 100.64.0.0/10 secondary block, \
             which `cidrwatch suggest --vpc {vpc_id} --size {size}` finds",
            self.cluster.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::clusters::{Helper, Share};

    fn warm(assigned: Option<u64>, certainly_idle: u64, prefix_delegation: bool) -> Warm {
        let mut c = Cluster {
            name: "prod".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            nodes: 3,
            held: 90,
            certainly_idle,
            prefix_delegation,
            ..Cluster::default()
        };
        if let Some(a) = assigned {
            c = c.with_helper(Helper {
                total: 90,
                assigned: a,
            });
        }
        Warm {
            cluster: c,
            held_here: 60,
            used: 100,
        }
    }

    #[test]
    fn the_command_sets_a_minimum_only_where_the_helper_counts_pods() {
        assert_eq!(
            warm(Some(25), 0, false).command(),
            "kubectl set env daemonset aws-node -n kube-system WARM_IP_TARGET=2 \
             MINIMUM_IP_TARGET=9"
        );
        assert_eq!(
            warm(None, 18, true).command(),
            "kubectl set env daemonset aws-node -n kube-system WARM_IP_TARGET=2"
        );
    }

    #[test]
    fn each_idle_figure_says_where_it_comes_from_and_none_is_guessed() {
        let now = warm(Some(25), 0, false).lines().join("\n");
        assert!(
            now.contains("65 of the 90 it holds in this pool sit idle now"),
            "{now}"
        );
        assert!(now.contains("ENABLE_PREFIX_DELEGATION=true"), "{now}");
        let certain = warm(None, 18, true).lines().join("\n");
        assert!(certain.contains("at least 18 of the 90"), "{certain}");
        assert!(certain.contains("add MINIMUM_IP_TARGET"), "{certain}");
        assert!(
            !certain.contains("ENABLE_PREFIX_DELEGATION"),
            "already on: {certain}"
        );
        let unknown = warm(None, 0, false).lines();
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(unknown[0].contains("is not known"), "{unknown:?}");
        assert!(
            !unknown[0].contains("kubectl"),
            "nothing to free that is known"
        );
        assert!(warm(None, 0, false).json()["command"].is_null());
    }

    #[test]
    fn a_cluster_counts_as_the_holder_only_past_half_the_used_addresses() {
        let c = Cluster {
            name: "prod".into(),
            subnets: vec![Share {
                subnet_id: "subnet-1".into(),
                held: 50,
            }],
            ..Cluster::default()
        };
        let report = |used: u64| {
            let mut r = crate::usage::pool::report_of_copy("p", &crate::usage::Snapshot::default());
            r.clusters = vec![c.clone()];
            let s = crate::usage::pool::SubnetUsage {
                account: String::new(),
                region: String::new(),
                vpc_id: String::new(),
                subnet_id: "subnet-1".into(),
                availability_zone: String::new(),
                availability_zone_id: String::new(),
                cidr: "10.0.0.0/24".parse().unwrap(),
                usable: 251,
                used,
                free: 251 - used,
                utilization: 0.0,
                free_prefixes: None,
                holders: None,
                detached_addresses: 0,
                detached: Vec::new(),
            };
            holder(&r, &s).map(|w| w.held_here)
        };
        assert_eq!(report(99), Some(50));
        assert_eq!(report(100), None, "exactly half is not most");
    }
}
