//! AWS Organizations and the regions an account has enabled: what `OrganizationalUnits` and
//! `Regions: [ALL]` expand to, read again (the account list at most hourly: `warm`) so a new
//! account or region is monitored without editing a stack.

use std::collections::{BTreeSet, HashSet};
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_organizations::types::{AccountState, ChildType};
use futures::stream::{self, StreamExt};

use super::{Aws, sdk_error};
use crate::Error;

/// Parents of one level listed at once. Organizations allows a few requests a second per
/// account and throttles beyond: a handful at once keeps a large walk to about the time of
/// its levels' pages without leaning on the retries.
const ORGANIZATIONS_CONCURRENCY: usize = 8;

impl Aws {
    /// Every ACTIVE account beneath `parents` (roots and OUs), nested OUs included, walked
    /// level by level: the parents of one level [`ORGANIZATIONS_CONCURRENCY`] at a time, each
    /// with ⌈accounts/20⌉ `ListAccountsForParent` and ⌈child OUs/20⌉ `ListChildren` (its
    /// pages one after another: each needs the last one's token). Throttling is retried with
    /// backoff ([`super::patient`]): Organizations allows a few requests a second, so a walk
    /// of a large organization waits rather than fails. Suspended and closed accounts are
    /// left out. Each account is handed to `found` as soon as its parent is listed, so its
    /// scans start while the rest of the organization is walked: Organizations' low rate
    /// makes the walk of a 10,000-account organization minutes long.
    /// `config`: the provider's credentials, or those of `Select.OrganizationRoleArn`.
    pub async fn organization_accounts(
        &self,
        config: &SdkConfig,
        parents: &[String],
        found: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<BTreeSet<String>, Error> {
        let org = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(config)
                .retry_config(super::patient())
                .retry_partition(super::own_partition("organizations".to_string()))
                .build(),
        );
        let pause = super::THROTTLED_BACKOFF_MAX;
        walk(parents, |parent| beneath(&org, parent), pause, found).await
    }

    /// The regions enabled in the account `config` acts in: one `DescribeRegions` (which
    /// lists the enabled ones; an opt-in region not opted in is skipped).
    pub async fn enabled_regions(
        &self,
        config: &SdkConfig,
        account: &str,
    ) -> Result<Vec<String>, Error> {
        let ec2 = super::discover::ec2_in(config, account, &self.region());
        let out = ec2
            .describe_regions()
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeRegions", e))?;
        let mut regions: Vec<String> = out
            .regions()
            .iter()
            .filter(|r| r.opt_in_status() != Some("not-opted-in"))
            .filter_map(|r| r.region_name().map(str::to_string))
            .collect();
        regions.sort();
        Ok(regions)
    }
}

/// The walk of [`Aws::organization_accounts`], listing each parent with `list`; a parent
/// throttled through all of a call's attempts is listed again after `pause`
/// ([`super::in_rounds`]).
async fn walk<F, L>(
    parents: &[String],
    list: L,
    pause: std::time::Duration,
    found: &(dyn Fn(&str) + Send + Sync),
) -> Result<BTreeSet<String>, Error>
where
    L: Fn(String) -> F,
    F: Future<Output = Result<Beneath, Error>>,
{
    let mut level: Vec<String> = parents.to_vec();
    let mut visited = HashSet::new();
    let mut active = BTreeSet::new();
    let list = &list;
    while !level.is_empty() {
        let now: Vec<String> = level
            .drain(..)
            .filter(|p| visited.insert(p.clone()))
            .collect();
        let mut listed = stream::iter(now)
            .map(|parent| super::in_rounds(pause, move || list(parent.clone())))
            .buffer_unordered(ORGANIZATIONS_CONCURRENCY);
        let mut next = Vec::new();
        while let Some(f) = listed.next().await {
            let f = f?;
            for a in f.accounts {
                if !active.contains(&a) {
                    found(&a);
                    active.insert(a);
                }
            }
            next.extend(f.children);
        }
        level = next;
    }
    Ok(active)
}

/// What is directly beneath one parent: its ACTIVE accounts and its child OUs.
struct Beneath {
    accounts: Vec<String>,
    children: Vec<String>,
}

async fn beneath(org: &aws_sdk_organizations::Client, parent: String) -> Result<Beneath, Error> {
    let mut out = Beneath {
        accounts: Vec::new(),
        children: Vec::new(),
    };
    let mut pages = org
        .list_accounts_for_parent()
        .parent_id(&parent)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("organizations:ListAccountsForParent", e))?;
        for a in page.accounts().iter().filter(|a| is_active(a)) {
            out.accounts.extend(a.id().map(str::to_string));
        }
    }
    let mut pages = org
        .list_children()
        .parent_id(&parent)
        .child_type(ChildType::OrganizationalUnit)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("organizations:ListChildren", e))?;
        let ids = page
            .children()
            .iter()
            .filter_map(|c| c.id().map(str::to_string));
        out.children.extend(ids);
    }
    Ok(out)
}

/// ACTIVE by `State`, or by the older `Status` when `State` is absent.
fn is_active(a: &aws_sdk_organizations::types::Account) -> bool {
    match a.state() {
        Some(s) => *s == AccountState::Active,
        #[allow(deprecated)]
        None => a
            .status()
            .is_some_and(|s| *s == aws_sdk_organizations::types::AccountStatus::Active),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    /// root → ou-a → ou-b, two accounts each; `ou-a` throttled through every attempt of a
    /// call `throttles` times before it answers.
    async fn walk_throttled(throttles: u32) -> (Result<BTreeSet<String>, Error>, Vec<String>) {
        let refused = Mutex::new(0);
        let list = |parent: String| {
            let refused = &refused;
            async move {
                let mut n = refused.lock().unwrap();
                if parent == "ou-a" && *n < throttles {
                    *n += 1;
                    return Err(Error::Aws {
                        call: "organizations:ListAccountsForParent",
                        code: Some("TooManyRequestsException".into()),
                        message: "TooManyRequestsException: slow down".into(),
                    });
                }
                let (accounts, children) = match parent.as_str() {
                    "r-root" => (vec!["111", "112"], vec!["ou-a"]),
                    "ou-a" => (vec!["121", "122"], vec!["ou-b"]),
                    _ => (vec!["131", "112"], vec![]),
                };
                Ok(Beneath {
                    accounts: accounts.into_iter().map(String::from).collect(),
                    children: children.into_iter().map(String::from).collect(),
                })
            }
        };
        let seen = Mutex::new(Vec::new());
        let found = |a: &str| seen.lock().unwrap().push(a.to_string());
        let out = walk(&["r-root".to_string()], list, Duration::ZERO, &found).await;
        (out, seen.into_inner().unwrap())
    }

    /// Each account is handed on once, as its parent is listed; a parent throttled through
    /// a call's attempts is listed again, up to [`crate::aws::THROTTLED_ROUNDS`] times, and past
    /// them the walk fails with Organizations' code.
    #[tokio::test]
    async fn a_walk_hands_on_each_account_once_and_outlasts_a_throttled_parent() {
        for throttles in [0, crate::aws::THROTTLED_ROUNDS] {
            let (out, seen) = walk_throttled(throttles).await;
            let all: BTreeSet<String> = ["111", "112", "121", "122", "131"]
                .into_iter()
                .map(String::from)
                .collect();
            assert_eq!(out.unwrap(), all, "{throttles} throttled rounds");
            assert_eq!(seen, ["111", "112", "121", "122", "131"]);
        }
        let (out, seen) = walk_throttled(crate::aws::THROTTLED_ROUNDS + 1).await;
        let e = out.unwrap_err();
        assert!(crate::aws::is_throttled(&e), "{e}");
        assert_eq!(seen, ["111", "112"]);
    }
}
