//! The account-regions a selection scans: the provider's own, listed accounts and the ACTIVE
//! ones beneath its OUs (less exclusions), each other account through one AssumeRole, and
//! with `Regions: [ALL]` the regions each account has enabled. What cannot be expanded
//! becomes a scope that fails, so it shows as a scan error like any other.

use std::collections::{BTreeSet, HashSet};
use std::time::{Instant, SystemTime};

use aws_config::SdkConfig;
use futures::stream::{self, BoxStream, StreamExt};

use super::discover::{EXPANDED_AT_ONCE, ORGANIZATION};
use super::pace::{DEFAULT_REGIONS, Pace};
use super::{Aws, sdk_error};
use crate::Error;
use crate::spec::{ALL_REGIONS, Selection};

/// One account-region to scan, with the configuration that acts there (or why none could
/// be had: the account's AssumeRole failed, which fails each of its regions).
pub(super) struct Scope {
    pub(super) account: String,
    pub(super) region: String,
    pub(super) config: Result<SdkConfig, Error>,
}

impl Aws {
    pub fn region(&self) -> String {
        self.config
            .region()
            .map_or_else(|| "us-east-1".to_string(), ToString::to_string)
    }

    /// The account-regions of a selection, as a stream, and what could not be expanded as
    /// scopes that fail (an organization that cannot be listed, an account whose role cannot
    /// be assumed or whose regions cannot be read), so each shows as a scan error. Without
    /// `Accounts` and `OrganizationalUnits`: the provider's own credentials. Otherwise the
    /// listed accounts and the ACTIVE ones beneath the OUs, less `ExcludeAccounts`: the
    /// provider's own with its own credentials (no member role needed there: it is often the
    /// management account, where StackSets do not deploy), each other through one
    /// AssumeRole shared by all its regions; with `Regions: [ALL]`, the regions each account
    /// has enabled. Accounts come as the organization is walked ([`Aws::accounts`]) and are
    /// expanded [`EXPANDED_AT_ONCE`] at a time as the stream is read, so an account's regions
    /// are scanned while later accounts are still being listed and assumed: neither the walk
    /// nor the AssumeRoles of 10,000 accounts is a phase of its own. `pace` hears of each
    /// account's regions as the account comes.
    pub(super) async fn scopes<'a>(
        &'a self,
        sel: &'a Selection,
        pace: &'a Pace,
    ) -> BoxStream<'a, Scope> {
        if sel.accounts.is_empty() && sel.organizational_units.is_empty() {
            let own = self
                .in_regions(sel, "own".into(), Ok(self.config.clone()))
                .await;
            pace.more(own.len());
            return stream::iter(own).boxed();
        }
        let regions = match sel.all_regions() {
            true => DEFAULT_REGIONS,
            false => self.regions(sel).len(),
        };
        let (names, walk_failure) = self.accounts(sel);
        // Who we are, before the first account is expanded: one GetCallerIdentity a process,
        // asked while the walk runs on its task.
        let own = match self.own_account().await {
            Ok(own) => Some(own),
            Err(e) => {
                tracing::warn!(error = %e, "own account unknown: every listed account is assumed");
                None
            }
        };
        let mut seen = HashSet::new();
        let names = names.filter(move |a| {
            let new = !sel.exclude_accounts.contains(a) && seen.insert(a.clone());
            if new {
                pace.more(regions);
            }
            futures::future::ready(new)
        });
        let role = sel.role_name.as_deref().unwrap_or(&self.member_role);
        let partition = partition(&self.region());
        let expanded = names
            .map(move |account: String| {
                let own = own.clone();
                async move {
                    let config = if Some(&account) == own.as_ref() {
                        Ok(self.config.clone())
                    } else {
                        // STS throttles the provider's account as a whole: after a pause, the
                        // others' AssumeRoles have passed.
                        let arn = format!("arn:{partition}:iam::{account}:role/{role}");
                        super::in_rounds(super::THROTTLED_BACKOFF_MAX, || self.assume(&arn)).await
                    };
                    stream::iter(self.in_regions(sel, account, config).await)
                }
            })
            .buffer_unordered(self.concurrency.unwrap_or(EXPANDED_AT_ONCE))
            .flatten();
        stream::select(walk_failure, expanded).boxed()
    }

    /// The accounts a selection names, then those beneath its OUs as the walk finds them;
    /// and the walk's failure, if any, as a scope that fails. The walk runs on a task of its
    /// own: the scans read the names only when they have room, and Organizations' low rate
    /// should not wait on them.
    fn accounts(&self, sel: &Selection) -> (BoxStream<'static, String>, BoxStream<'static, Scope>) {
        let listed = stream::iter(sel.accounts.clone());
        if sel.organizational_units.is_empty() {
            return (listed.boxed(), stream::empty().boxed());
        }
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let (aws, sel) = (self.clone(), sel.clone());
        let walk = tokio::spawn(async move {
            let found = move |a: &str| {
                // The receiver is gone only when the scan is: nothing then to tell.
                let _ = tx.unbounded_send(a.to_string());
            };
            aws.beneath_ous(&sel, &found).await
        });
        // A scan given up (a Create's first scan past its share of the time) stops its walk.
        let stop = Abort(walk.abort_handle());
        let failure = stream::once(walk).filter_map(move |joined| {
            let _ = &stop;
            let error = match joined {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(e),
                Err(e) => Some(Error::aws("organizations:ListAccountsForParent", e)),
            };
            futures::future::ready(error.map(|e| Scope {
                account: ORGANIZATION.into(),
                region: "global".into(),
                config: Err(e),
            }))
        });
        (listed.chain(rx).boxed(), failure.boxed())
    }

    /// The ACTIVE accounts beneath the selection's OUs, each handed to `found` as it is
    /// listed, with the provider's credentials or through `OrganizationRoleArn`; a list made
    /// within the hour is reused ([`super::warm::ACCOUNT_LIST_TTL`]).
    async fn beneath_ous(
        &self,
        sel: &Selection,
        found: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<BTreeSet<String>, Error> {
        let (parents, role) = (
            &sel.organizational_units,
            sel.organization_role_arn.as_deref(),
        );
        if let Some(list) = self.warm.accounts(parents, role, Instant::now()) {
            list.iter().for_each(|a| found(a));
            return Ok(list);
        }
        let config = match role {
            Some(arn) => self.assume(arn).await?,
            None => self.config.clone(),
        };
        let list = self.organization_accounts(&config, parents, found).await?;
        self.warm
            .keep_accounts(parents, role, &list, Instant::now());
        Ok(list)
    }

    /// One account's scopes: the selection's regions, or with `Regions: [ALL]` the ones it
    /// has enabled. When the account cannot be reached, one failing scope stands for them.
    async fn in_regions(
        &self,
        sel: &Selection,
        account: String,
        config: Result<SdkConfig, Error>,
    ) -> Vec<Scope> {
        let regions = match (&config, sel.all_regions()) {
            (Ok(c), true) => match self.enabled_regions(c, &account).await {
                Ok(r) => r,
                Err(e) => {
                    return vec![Scope {
                        account,
                        region: ALL_REGIONS.into(),
                        config: Err(e),
                    }];
                }
            },
            (Err(_), true) => vec![ALL_REGIONS.to_string()],
            (_, false) => self.regions(sel),
        };
        regions
            .into_iter()
            .map(|region| Scope {
                account: account.clone(),
                region,
                config: config.clone(),
            })
            .collect()
    }

    /// The selection's regions: the provider's own when it names none.
    pub(super) fn regions(&self, sel: &Selection) -> Vec<String> {
        let named: Vec<String> = sel.named_regions().cloned().collect();
        if named.is_empty() {
            vec![self.region()]
        } else {
            named
        }
    }

    /// The account the provider's credentials belong to: one GetCallerIdentity per process.
    pub async fn own_account(&self) -> Result<String, Error> {
        self.own_account
            .get_or_try_init(|| async {
                let who = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error("sts:GetCallerIdentity", e))?;
                who.account()
                    .map(str::to_string)
                    .ok_or_else(|| Error::aws("sts:GetCallerIdentity", "no account in the answer"))
            })
            .await
            .cloned()
    }

    /// Configuration acting through `role_arn`: the credentials kept from an earlier tick
    /// while they outlive this one by a margin ([`super::warm::CREDENTIALS_MARGIN`]), else one
    /// AssumeRole, whose refusal reads as AWS's own code.
    async fn assume(&self, role_arn: &str) -> Result<SdkConfig, Error> {
        if let Some(config) = self.warm.role(role_arn, SystemTime::now()) {
            return Ok(config);
        }
        let out = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("cidrwatch")
            .send()
            .await
            .map_err(|e| sdk_error("sts:AssumeRole", e))?;
        let c = out
            .credentials()
            .ok_or_else(|| Error::aws("sts:AssumeRole", "no credentials in the answer"))?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        let credentials = aws_sdk_ec2::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "cidrwatch-assume-role",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .build();
        self.warm.keep_role(role_arn, &config, expiry);
        Ok(config)
    }
}

/// Aborts a task when dropped.
struct Abort(tokio::task::AbortHandle);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
