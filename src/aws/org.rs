//! AWS Organizations and the regions an account has enabled: what `OrganizationalUnits` and
//! `Regions: [ALL]` expand to, read again (the account list at most hourly: `warm`) so a new
//! account or region is monitored without editing a stack.

use std::collections::{BTreeSet, HashSet};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_organizations::types::{AccountState, ChildType};
use futures::stream::{self, StreamExt};

use super::{Aws, sdk_error};
use crate::Error;

/// Attempts per Organizations call: its request rate is low (a few per second per account)
/// and throttling is answered with backoff, so a walk of a large organization waits rather
/// than fails.
const ORGANIZATIONS_ATTEMPTS: u32 = 8;
/// Parents of one level listed at once. Organizations allows a few requests a second per
/// account and throttles beyond: a handful at once keeps a large walk to about the time of
/// its levels' pages without leaning on the retries.
const ORGANIZATIONS_CONCURRENCY: usize = 8;

impl Aws {
    /// Every ACTIVE account beneath `parents` (roots and OUs), nested OUs included, walked
    /// level by level: the parents of one level [`ORGANIZATIONS_CONCURRENCY`] at a time, each
    /// with ⌈accounts/20⌉ `ListAccountsForParent` and ⌈child OUs/20⌉ `ListChildren` (its
    /// pages one after another: each needs the last one's token). Throttling is retried with
    /// backoff ([`ORGANIZATIONS_ATTEMPTS`]). Suspended and closed accounts are left out.
    /// `config`: the provider's credentials, or those of `Select.OrganizationRoleArn`.
    pub async fn organization_accounts(
        &self,
        config: &SdkConfig,
        parents: &[String],
    ) -> Result<BTreeSet<String>, Error> {
        let org = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(config)
                .retry_config(RetryConfig::standard().with_max_attempts(ORGANIZATIONS_ATTEMPTS))
                .retry_partition(super::own_partition("organizations".to_string()))
                .build(),
        );
        let mut level: Vec<String> = parents.to_vec();
        let mut visited = HashSet::new();
        let mut active = BTreeSet::new();
        while !level.is_empty() {
            let now: Vec<String> = level
                .drain(..)
                .filter(|p| visited.insert(p.clone()))
                .collect();
            let found: Vec<Result<Beneath, Error>> = stream::iter(now)
                .map(|parent| beneath(&org, parent))
                .buffer_unordered(ORGANIZATIONS_CONCURRENCY)
                .collect()
                .await;
            for f in found {
                let f = f?;
                active.extend(f.accounts);
                level.extend(f.children);
            }
        }
        Ok(active)
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
