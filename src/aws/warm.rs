//! What a warm process keeps between ticks: each member role's credentials until shortly
//! before they expire, and each organization's account list for at most an hour. Lambda
//! reuses a function's process for invocation after invocation, so a schedule's tick every
//! few minutes would otherwise assume every account's role and walk the organization anew
//! each time; STS's rates cannot be raised and AWS's advice is to reuse credentials, and
//! Organizations answers a few requests a second. Kept in memory only, never written.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;

/// Credentials are used only while they outlive this: the longest a Lambda invocation runs
/// (15 minutes) and a minute more, so none expires during the tick that took it.
pub const CREDENTIALS_MARGIN: Duration = Duration::from_secs(16 * 60);
/// How long an organization's account list is reused: a new account is scanned, and a
/// removed or suspended one stops being scanned, within this.
pub const ACCOUNT_LIST_TTL: Duration = Duration::from_secs(60 * 60);

/// An organization's walk: the parents listed and the role listing them.
type Walk = (Vec<String>, Option<String>);

#[derive(Debug, Default)]
pub struct Warm {
    /// Role ARN → the configuration acting through it, and when its credentials expire.
    roles: Mutex<HashMap<String, (SdkConfig, SystemTime)>>,
    /// Walk → its ACTIVE accounts, and when they were listed.
    accounts: Mutex<HashMap<Walk, (BTreeSet<String>, Instant)>>,
}

impl Warm {
    /// The configuration for `role_arn` whose credentials outlive `now` by the margin.
    pub fn role(&self, role_arn: &str, now: SystemTime) -> Option<SdkConfig> {
        let roles = self.roles.lock().unwrap_or_else(|p| p.into_inner());
        let (config, expiry) = roles.get(role_arn)?;
        outlives(*expiry, now).then(|| config.clone())
    }

    pub fn keep_role(&self, role_arn: &str, config: &SdkConfig, expiry: Option<SystemTime>) {
        // Credentials without an expiry are not kept: nothing says when to refresh them.
        if let Some(expiry) = expiry {
            let mut roles = self.roles.lock().unwrap_or_else(|p| p.into_inner());
            roles.insert(role_arn.to_string(), (config.clone(), expiry));
        }
    }

    /// The accounts beneath `parents` as listed through `role` within the hour before `now`.
    pub fn accounts(
        &self,
        parents: &[String],
        role: Option<&str>,
        now: Instant,
    ) -> Option<BTreeSet<String>> {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let (list, listed) = accounts.get(&walk(parents, role))?;
        (now.saturating_duration_since(*listed) < ACCOUNT_LIST_TTL).then(|| list.clone())
    }

    pub fn keep_accounts(
        &self,
        parents: &[String],
        role: Option<&str>,
        list: &BTreeSet<String>,
        listed: Instant,
    ) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts.insert(walk(parents, role), (list.clone(), listed));
    }
}

fn walk(parents: &[String], role: Option<&str>) -> Walk {
    let mut parents = parents.to_vec();
    parents.sort();
    (parents, role.map(str::to_string))
}

/// Whether credentials expiring at `expiry` may serve a tick starting at `now`.
fn outlives(expiry: SystemTime, now: SystemTime) -> bool {
    expiry
        .duration_since(now)
        .is_ok_and(|left| left > CREDENTIALS_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SdkConfig {
        SdkConfig::builder().build()
    }

    #[test]
    fn a_role_is_reused_until_its_credentials_come_within_the_margin() {
        let warm = Warm::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let arn = "arn:aws:iam::222222222222:role/cidrwatch-reader";
        assert!(warm.role(arn, now).is_none());
        warm.keep_role(arn, &config(), Some(now + Duration::from_secs(3600)));
        assert!(
            warm.role(arn, now).is_some(),
            "an hour's credentials serve now"
        );
        let later = now + Duration::from_secs(3600) - CREDENTIALS_MARGIN;
        assert!(warm.role(arn, later).is_none(), "refreshed ahead of expiry");
        assert!(warm.role("arn:aws:iam::333333333333:role/r", now).is_none());
        warm.keep_role("arn:x", &config(), None);
        assert!(warm.role("arn:x", now).is_none(), "no expiry, not kept");
    }

    #[test]
    fn an_account_list_serves_for_an_hour_whatever_the_parents_order() {
        let warm = Warm::default();
        let t0 = Instant::now();
        let parents = ["ou-b".to_string(), "r-a".to_string()];
        let list: BTreeSet<String> = ["111111111111".to_string()].into();
        warm.keep_accounts(&parents, None, &list, t0);
        let reversed = ["r-a".to_string(), "ou-b".to_string()];
        assert_eq!(warm.accounts(&reversed, None, t0), Some(list.clone()));
        assert_eq!(warm.accounts(&parents, Some("arn:role"), t0), None);
        let late = t0 + ACCOUNT_LIST_TTL;
        assert_eq!(warm.accounts(&parents, None, late), None);
    }
}
