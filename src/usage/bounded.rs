//! A report within a byte budget (pure): Lambda answers at most 6 MB, SNS takes 256 KB.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

use super::pool::{Report, SubnetUsage, VpcRoom};
use super::supernet::AddressPlan;

/// Errors a bounded report keeps before any subnet.
pub const ERRORS_KEPT: usize = 10;
/// Detached ENIs each subnet of a bounded report keeps; its `detached_addresses` still counts
/// them all.
pub const DETACHED_KEPT: usize = 5;

/// What a bounded report left out; serialized as the report's `subnets_omitted`, … fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Omitted {
    #[serde(rename = "subnets_omitted")]
    pub subnets: usize,
    #[serde(rename = "vpcs_omitted")]
    pub vpcs: usize,
    #[serde(rename = "detached_omitted")]
    pub detached: usize,
    #[serde(rename = "errors_omitted")]
    pub errors: usize,
    #[serde(rename = "ipv6_only_omitted")]
    pub ipv6_only: usize,
}

impl Omitted {
    pub fn any(&self) -> bool {
        *self != Omitted::default()
    }

    /// As `subnets_omitted`, `vpcs_omitted`, … fields of the report's JSON.
    pub fn write(&self, v: &mut serde_json::Value) {
        if let Ok(serde_json::Value::Object(counts)) = serde_json::to_value(self) {
            for (k, n) in counts {
                v[k] = n;
            }
        }
    }
}

impl Report {
    /// The report as JSON within `budget` bytes, and what was left out. Whole when it fits.
    /// Otherwise the totals, the per-AZ table, the clusters and the address plan's summary
    /// ([`AddressPlan::summary`]) always stay, then as far as the budget goes:
    /// the first [`ERRORS_KEPT`] errors, the fullest subnets (each with its first
    /// [`DETACHED_KEPT`] detached ENIs), the VPCs of the subnets kept, the other errors, the
    /// IPv6-only subnets, the other VPCs. Each entry is measured once: linear in the report.
    pub fn bounded_json(&self, budget: usize) -> (serde_json::Value, Omitted) {
        let (kept, omitted) = self.bounded(budget);
        (serde_json::to_value(&*kept).unwrap_or_default(), omitted)
    }

    /// [`Report::bounded_json`] as JSON text, with `subnets_omitted`, … (see
    /// [`Omitted::write`]) when anything was left out: what a tick answers, written without a
    /// tree of values, which would hold the kept part a second time in memory. A report that
    /// may fit is written once, not counted first and written again. One whose subnets alone
    /// must pass the budget is cut without being written whole.
    pub fn bounded_text(&self, budget: usize) -> (Box<RawValue>, Omitted) {
        if self
            .subnets
            .len()
            .saturating_mul(SubnetUsage::JSON_BYTES_MIN)
            <= budget
        {
            let whole = json_text(self);
            if whole.get().len() <= budget {
                return (whole, Omitted::default());
            }
        }
        let (kept, omitted) = self.cut(budget);
        (
            json_text(&WithOmitted {
                report: &kept,
                omitted,
            }),
            omitted,
        )
    }

    /// The report itself when it fits `budget`, else the part [`Report::bounded_json`] keeps.
    fn bounded(&self, budget: usize) -> (Cow<'_, Report>, Omitted) {
        // Measured by counting bytes as they are written: building the whole report as a JSON
        // value only to learn that it does not fit would dominate a large tick's peak RSS.
        if json_bytes(self) <= budget {
            return (Cow::Borrowed(self), Omitted::default());
        }
        let (kept, omitted) = self.cut(budget);
        (Cow::Owned(kept), omitted)
    }

    /// The part of the report that [`Report::bounded_json`] keeps within `budget`, which the
    /// whole report passes.
    fn cut(&self, budget: usize) -> (Report, Omitted) {
        // The lists start empty: cloning them whole only to drop most is what a large
        // report cannot afford.
        let mut kept = Report {
            pool: self.pool.clone(),
            totals: self.totals.clone(),
            azs: self.azs.clone(),
            scanned: self.scanned,
            clusters: self.clusters.clone(),
            plan: self.plan.as_ref().map(AddressPlan::summary),
            subnets: Vec::new(),
            vpcs: Vec::new(),
            errors: Vec::new(),
            ipv6_only: Vec::new(),
        };
        // The skeleton with the omitted counts at their widest.
        let mut skeleton = serde_json::to_value(&kept).unwrap_or_default();
        let widest = usize::MAX;
        Omitted {
            subnets: widest,
            vpcs: widest,
            detached: widest,
            errors: widest,
            ipv6_only: widest,
        }
        .write(&mut skeleton);
        let mut left = budget.saturating_sub(skeleton.to_string().len());
        let mut take = |n: usize| {
            if n <= left {
                left -= n;
                true
            } else {
                left = 0;
                false
            }
        };
        let mut omitted = Omitted::default();
        for e in self.errors.iter().take(ERRORS_KEPT) {
            if !take(json_len(e)) {
                break;
            }
            kept.errors.push(e.clone());
        }
        for s in &self.subnets {
            let mut s = s.clone();
            let cut = s.detached.len().saturating_sub(DETACHED_KEPT);
            s.detached.truncate(DETACHED_KEPT);
            if !take(json_len(&s)) {
                break;
            }
            omitted.detached += cut;
            kept.subnets.push(s);
        }
        let listed: std::collections::HashSet<(&str, &str, &str)> = kept
            .subnets
            .iter()
            .map(|s| (s.account.as_str(), s.region.as_str(), s.vpc_id.as_str()))
            .collect();
        let (near, far): (Vec<&VpcRoom>, Vec<&VpcRoom>) = self.vpcs.iter().partition(|v| {
            listed.contains(&(v.account.as_str(), v.region.as_str(), v.vpc_id.as_str()))
        });
        let mut vpcs = Vec::new();
        for v in near {
            if !take(json_len(v)) {
                break;
            }
            vpcs.push(v.clone());
        }
        for e in self.errors.iter().skip(kept.errors.len()) {
            if !take(json_len(e)) {
                break;
            }
            kept.errors.push(e.clone());
        }
        for i in &self.ipv6_only {
            if !take(json_len(i)) {
                break;
            }
            kept.ipv6_only.push(i.clone());
        }
        for v in far {
            if !take(json_len(v)) {
                break;
            }
            vpcs.push(v.clone());
        }
        omitted.subnets = self.subnets.len() - kept.subnets.len();
        omitted.vpcs = self.vpcs.len() - vpcs.len();
        omitted.errors = self.errors.len() - kept.errors.len();
        omitted.ipv6_only = self.ipv6_only.len() - kept.ipv6_only.len();
        kept.vpcs = vpcs;
        (kept, omitted)
    }
}

impl SubnetUsage {
    /// Bytes that any subnet takes at least in a report's JSON list: one with empty strings,
    /// the shortest CIDR (`0.0.0.0/0`), zeros and nothing optional takes 192 (a longer string
    /// or number only adds to it).
    const JSON_BYTES_MIN: usize = 180;
}

/// A bounded report's JSON with the counts of what it left out beside its own fields.
#[derive(Serialize)]
struct WithOmitted<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(flatten)]
    omitted: Omitted,
}

/// `item` as compact JSON text: what an answer carries, without the tree of values that
/// `serde_json::to_value` builds (for a report of 10,000 subnets, several times its text).
/// Our types serialize with string keys only, so this does not fail; were it to, `null`.
pub fn json_text<T: Serialize + ?Sized>(item: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(item).unwrap_or_default()
}

/// A report entry's bytes in a JSON list, with its comma.
fn json_len<T: Serialize>(item: &T) -> usize {
    json_bytes(item) + 1
}

/// The bytes of `item` as compact JSON, counted as they are written, never held.
fn json_bytes<T: Serialize + ?Sized>(item: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, item).map_or(0, |()| count.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_subnet_is_shorter_than_the_least_the_cut_counts_on() {
        let empty = SubnetUsage {
            account: String::new(),
            region: String::new(),
            vpc_id: String::new(),
            subnet_id: String::new(),
            availability_zone: String::new(),
            availability_zone_id: String::new(),
            cidr: "0.0.0.0/0".parse().unwrap(),
            usable: 0,
            used: 0,
            free: 0,
            utilization: 0.0,
            free_prefixes: None,
            holders: None,
            detached_addresses: 0,
            detached: Vec::new(),
        };
        assert_eq!(json_len(&empty), 192);
        assert!(json_len(&empty) >= SubnetUsage::JSON_BYTES_MIN);
    }

    /// The text a tick answers is the value `bounded_json` gives, whole, cut by the budget,
    /// or cut without a whole pass (more subnets than the budget holds at the least size).
    #[test]
    fn the_text_is_the_bounded_value_on_every_path() {
        let r = crate::usage::report_of(200);
        let whole = json_bytes(&r);
        for budget in [
            whole,
            whole - 1,
            whole / 2,
            200 * SubnetUsage::JSON_BYTES_MIN - 1,
        ] {
            let (text, omitted) = r.bounded_text(budget);
            let (mut value, same) = r.bounded_json(budget);
            if same.any() {
                same.write(&mut value);
            }
            let parsed: serde_json::Value = serde_json::from_str(text.get()).unwrap();
            assert_eq!(omitted, same, "{budget}");
            assert_eq!(parsed, value, "{budget}");
            assert!(text.get().len() <= budget, "{budget}");
            assert_eq!(omitted.any(), budget < whole, "{budget}");
        }
    }
}
