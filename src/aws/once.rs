//! Every subnet and VPC once, however many scans saw it: a VPC shared through RAM is visible
//! from its owner and from each participant.

use std::collections::HashMap;

use super::discover::Found;
use crate::usage::{SubnetInfo, VpcInfo, order};

/// Each subnet and VPC once, the owner's view winning (`OwnerId` says whose it is); a subnet
/// seen only from participants is still counted, once. In account, region, id order, so the
/// order never depends on which scan finished first. The subnets come gathered as each scan
/// finished; the VPCs in each view.
pub(super) fn once_each(
    subnets: Gathered<SubnetInfo>,
    views: Vec<(String, Found)>,
) -> (Vec<SubnetInfo>, Vec<VpcInfo>) {
    let vpcs = views
        .into_iter()
        .map(|(scanned_by, found)| (scanned_by, found.vpcs))
        .collect();
    (subnets.once(|s| &s.region), vpcs_once(vpcs))
}

/// Each VPC once (see [`Gathered::once`]), in account, region, VPC order.
pub(super) fn vpcs_once(views: Vec<(String, Vec<VpcInfo>)>) -> Vec<VpcInfo> {
    let mut vpcs = Gathered::new(|v: &VpcInfo| (&v.account, &v.vpc_id));
    for (scanned_by, items) in views {
        vpcs.add(&scanned_by, items);
    }
    vpcs.once(|v| &v.region)
}

/// Items of many views (an account-region's scan each), gathered as the views come: each
/// marked with whether the account that scanned it is not its owner, and which account that
/// was.
pub(super) struct Gathered<T> {
    all: Vec<(bool, u32, T)>,
    /// Each scanning account's number, as `all` names it: by hash, since a tick of thousands
    /// of accounts finishes their regions interleaved.
    scanners: HashMap<String, u32>,
    name: fn(&T) -> (&String, &String),
}

impl<T> Gathered<T> {
    /// `name`: an item's owner account and its id.
    pub(super) fn new(name: fn(&T) -> (&String, &String)) -> Self {
        Gathered {
            all: Vec::new(),
            scanners: HashMap::new(),
            name,
        }
    }

    /// The items one scan by `scanned_by` saw.
    pub(super) fn add(&mut self, scanned_by: &str, items: Vec<T>) {
        if items.is_empty() {
            return;
        }
        let scanner = match self.scanners.get(scanned_by) {
            Some(&i) => i,
            None => {
                let i = self.scanners.len() as u32;
                self.scanners.insert(scanned_by.to_string(), i);
                i
            }
        };
        let name = self.name;
        self.all.extend(
            items
                .into_iter()
                .map(|item| (name(&item).0 != scanned_by, scanner, item)),
        );
    }

    /// Each item once by its name, then in account, region, id order. Every view of one item
    /// has the same name, since EC2's `OwnerId` names the owner whoever asks: one sort brings
    /// them together, the owner's view first, and a dedup keeps it; between two participants'
    /// views in one region, the scanning account's id decides.
    ///
    /// The region is not part of the name. EC2's ids do not repeat across regions, but an
    /// endpoint may answer a region it does not have with another's resources: LocalStack
    /// lists the China and GovCloud regions and answers them from us-east-1, so `Regions:
    /// [ALL]` saw one subnet five times (`localstack_departures_are_still_there`). Such an
    /// item counts once, under the first of its regions by name, whichever scan finished
    /// first.
    ///
    /// Sorted in place, each record moved about once ([`order::sort_by`]): 10,000 subnets'
    /// records are ~2.6 MB, and a stable sort's scratch copy is that much memory faulted in
    /// and moved again. So every key is whole, which makes the order a function of the items
    /// alone.
    pub(super) fn once(self, region: fn(&T) -> &String) -> Vec<T> {
        let Gathered {
            mut all,
            scanners,
            name,
        } = self;
        let mut by_number = vec![String::new(); scanners.len()];
        for (scanner, i) in scanners {
            by_number[i as usize] = scanner;
        }
        let scanners = by_number;
        let by_place = |a: &T, b: &T| {
            let (a_account, a_id) = name(a);
            let (b_account, b_id) = name(b);
            (a_account, region(a), a_id).cmp(&(b_account, region(b), b_id))
        };
        order::sort_by(&mut all, |(a_foreign, a_by, a), (b_foreign, b_by, b)| {
            let (a_by, b_by) = (&scanners[*a_by as usize], &scanners[*b_by as usize]);
            (name(a), a_foreign, region(a), a_by).cmp(&(name(b), b_foreign, region(b), b_by))
        });
        all.dedup_by(|later, kept| name(&later.2) == name(&kept.2));
        // In place: the marks' room is given back, the records stay where they are.
        let mut once: Vec<T> = all.into_iter().map(|(_, _, item)| item).collect();
        order::sort_by(&mut once, by_place);
        once
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(account: &str, region: &str, id: &str, available: u64) -> SubnetInfo {
        SubnetInfo {
            account: account.into(),
            region: region.into(),
            subnet_id: id.into(),
            available,
            ..SubnetInfo::default()
        }
    }

    fn found(subnets: Vec<SubnetInfo>) -> Found {
        let vpcs = subnets
            .iter()
            .map(|s| VpcInfo {
                account: s.account.clone(),
                region: s.region.clone(),
                vpc_id: format!("vpc-of-{}", s.subnet_id),
                ..VpcInfo::default()
            })
            .collect();
        Found {
            subnets,
            vpcs,
            ..Found::default()
        }
    }

    /// The views' subnets gathered, as a scan gathers them.
    fn gathered(views: &[(String, Found)]) -> Gathered<SubnetInfo> {
        let mut g = Gathered::new(|s: &SubnetInfo| (&s.account, &s.subnet_id));
        for (scanned_by, found) in views {
            g.add(scanned_by, found.subnets.clone());
        }
        g
    }

    fn names(subnets: &[SubnetInfo]) -> Vec<(&str, &str, &str)> {
        subnets
            .iter()
            .map(|s| (&*s.account, &*s.region, &*s.subnet_id))
            .collect()
    }

    #[test]
    fn the_owners_view_wins_over_a_participants_whichever_finished_first() {
        // 222 sees 111's shared subnet (its own figure, 7, is stale); 111 sees it at 5.
        let participant = || ("222".to_string(), found(vec![subnet("111", "r", "s-1", 7)]));
        let owner = || ("111".to_string(), found(vec![subnet("111", "r", "s-1", 5)]));
        for views in [vec![participant(), owner()], vec![owner(), participant()]] {
            let (subnets, vpcs) = once_each(gathered(&views), views);
            assert_eq!(names(&subnets), [("111", "r", "s-1")]);
            assert_eq!(subnets[0].available, 5);
            assert_eq!(vpcs.len(), 1);
        }
    }

    #[test]
    fn a_subnet_answered_from_several_regions_counts_once_under_the_first() {
        // LocalStack's answer to cn-north-1 and us-gov-west-1: us-east-1's subnet.
        let views = ["us-gov-west-1", "us-east-1", "cn-north-1", "eu-west-1"]
            .into_iter()
            .map(|region| {
                let mut seen = vec![subnet("000", region, "s-east", 1)];
                if region == "eu-west-1" {
                    seen.push(subnet("000", region, "s-west", 2));
                }
                ("000".to_string(), found(seen))
            })
            .collect::<Vec<_>>();
        let (subnets, vpcs) = once_each(gathered(&views), views);
        assert_eq!(
            names(&subnets),
            [
                ("000", "cn-north-1", "s-east"),
                ("000", "eu-west-1", "s-west")
            ]
        );
        assert_eq!(vpcs.len(), 2);
    }

    #[test]
    fn the_order_is_account_region_id() {
        let views = vec![
            ("2".to_string(), found(vec![subnet("2", "a", "s-1", 0)])),
            (
                "1".to_string(),
                found(vec![subnet("1", "b", "s-0", 0), subnet("1", "a", "s-9", 0)]),
            ),
        ];
        let (subnets, _) = once_each(gathered(&views), views);
        assert_eq!(
            names(&subnets),
            [("1", "a", "s-9"), ("1", "b", "s-0"), ("2", "a", "s-1")]
        );
    }
}
