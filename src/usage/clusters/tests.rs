use super::*;

const M5_LARGE: InstanceType = InstanceType {
    max_enis: 3,
    ipv4_per_eni: 10,
    vcpus: 2,
};
const C5_9XLARGE: InstanceType = InstanceType {
    max_enis: 8,
    ipv4_per_eni: 30,
    vcpus: 36,
};

#[test]
fn max_pods_is_the_eks_formula_and_its_ceilings() {
    // eni-max-pods.txt: m5.large 29, c5.9xlarge 234.
    assert_eq!(M5_LARGE.max_pods(false), 29);
    assert_eq!(C5_9XLARGE.max_pods(false), 234);
    // Prefix delegation: 3 × 9 × 16 + 2 = 434, capped at 110 below 30 vCPUs; 250 above.
    assert_eq!(M5_LARGE.max_pods(true), 110);
    assert_eq!(C5_9XLARGE.max_pods(true), 250);
}

#[test]
fn a_nodes_cluster_comes_from_its_tags_in_order() {
    let of = |tags: &[(&str, &str)]| cluster_of(tags.iter().copied());
    assert_eq!(of(&[("eks:cluster-name", "a")]).as_deref(), Some("a"));
    assert_eq!(of(&[("aws:eks:cluster-name", "b")]).as_deref(), Some("b"));
    assert_eq!(
        of(&[("kubernetes.io/cluster/c", "owned"), ("Name", "x")]).as_deref(),
        Some("c")
    );
    assert_eq!(
        of(&[
            ("kubernetes.io/cluster/c", "owned"),
            ("eks:cluster-name", "a")
        ])
        .as_deref(),
        Some("a")
    );
    assert_eq!(of(&[("Name", "web")]), None);
}

fn eni(id: &str, subnet: &str, instance: &str, secondary: u64, prefixes: u64) -> Eni {
    Eni {
        id: id.into(),
        account: "111".into(),
        subnet_id: subnet.into(),
        interface_type: "interface".into(),
        instance_id: Some(instance.into()),
        primary: true,
        secondary,
        prefixes,
        ..Eni::default()
    }
}

fn cni(e: Eni, cluster: Option<&str>) -> Eni {
    let node = e.instance_id.clone().unwrap_or_default();
    Eni {
        description: format!("aws-K8S-{node}"),
        cni_cluster: cluster.map(str::to_string),
        ..e
    }
}

#[test]
fn clusters_sum_their_nodes_and_split_by_subnet() {
    let enis = vec![
        // i-1 (a, m5.large): primary ENI 9 secondaries, a CNI ENI 9 in subnet-2.
        eni("eni-1", "subnet-1", "i-1", 9, 0),
        cni(eni("eni-2", "subnet-2", "i-1", 9, 0), Some("a")),
        // i-2 (a by instance tag, prefix delegation: its primary ENI's prefixes make it the
        // CNI's with no aws-K8S- ENI): 8 prefixes = 128 > 110.
        eni("eni-3", "subnet-1", "i-2", 0, 8),
        // i-3 (b by its ENI tag only; type unknown).
        eni("eni-5", "subnet-2", "i-3", 4, 0),
        cni(eni("eni-6", "subnet-2", "i-3", 5, 0), Some("b")),
        // i-4: a plain instance, not the CNI's.
        eni("eni-7", "subnet-1", "i-4", 3, 0),
        // i-5: the CNI's, naming no cluster anywhere.
        cni(eni("eni-8", "subnet-1", "i-5", 2, 0), None),
    ];
    let instances = HashMap::from([
        (
            "i-1".to_string(),
            Instance {
                instance_type: "m5.large".into(),
                cluster: None,
            },
        ),
        (
            "i-2".to_string(),
            Instance {
                instance_type: "m5.large".into(),
                cluster: Some("a".into()),
            },
        ),
        (
            "i-3".to_string(),
            Instance {
                instance_type: "x9.huge".into(),
                cluster: None,
            },
        ),
    ]);
    let types = HashMap::from([("m5.large".to_string(), M5_LARGE)]);
    let got = clusters("us-east-1", &enis, &instances, &types);
    assert_eq!(got.len(), 2, "{got:#?}");
    let a = &got[0];
    assert_eq!((a.name.as_str(), a.nodes, a.held), ("a", 2, 18 + 128));
    assert_eq!(a.account, "111");
    assert_eq!(a.max_pods, 29 + 110);
    assert_eq!(
        a.certainly_idle,
        128 - 110,
        "only i-2 holds beyond its max-pods"
    );
    assert!(a.prefix_delegation);
    assert_eq!(
        a.subnets,
        vec![
            Share {
                subnet_id: "subnet-1".into(),
                held: 9 + 128
            },
            Share {
                subnet_id: "subnet-2".into(),
                held: 9
            },
        ]
    );
    let b = &got[1];
    assert_eq!((b.name.as_str(), b.nodes, b.held), ("b", 1, 9));
    assert_eq!(
        (b.max_pods, b.nodes_unmeasured, b.certainly_idle),
        (0, 1, 0)
    );
    assert_eq!(b.idle(), 0);
    assert_eq!(node_ids(&enis), vec!["i-1", "i-2", "i-3", "i-5"]);
}

#[test]
fn the_helpers_assigned_count_gives_idle_now_only_within_the_pool() {
    let enis = vec![cni(eni("eni-1", "subnet-1", "i-1", 20, 0), Some("a"))];
    let base = clusters("r", &enis, &HashMap::new(), &HashMap::new()).remove(0);
    let inside = base.clone().with_helper(Helper {
        total: 20,
        assigned: 6,
    });
    assert_eq!(
        (inside.assigned, inside.idle_now, inside.idle()),
        (Some(6), Some(14), 14)
    );
    // The helper counts more than the pool shows: the cluster holds addresses elsewhere, so
    // which of its assigned ones are here is not known.
    let beyond = base.with_helper(Helper {
        total: 50,
        assigned: 6,
    });
    assert_eq!((beyond.assigned, beyond.idle_now), (Some(6), None));
}
