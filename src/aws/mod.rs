//! The only code that calls AWS. Callers see our structs ([`crate::plan`]'s definitions in,
//! small records out), never SDK types.

pub mod alarms;
pub mod dashboard;
pub mod discover;
pub mod enis;
pub mod metrics;
pub mod network;
pub mod nodes;
pub mod notify;
mod once;
pub mod org;
pub mod pace;
pub mod schedule;
mod scopes;
pub mod stream;
pub mod warm;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;

use crate::Error;

/// The clients, built once per process from one SDK configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    /// The provider's own configuration: EC2 clients per account-region derive from it.
    pub(crate) config: SdkConfig,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    /// STS in the provider's account (STS throttles per calling account): one client for
    /// every AssumeRole of the process.
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) scheduler: aws_sdk_scheduler::Client,
    /// The provider's account, asked of STS once when first needed.
    pub(crate) own_account: std::sync::Arc<tokio::sync::OnceCell<String>>,
    /// The role assumed in other accounts when `Select.RoleName` does not say.
    pub(crate) member_role: String,
    /// Account-regions scanned at once when `SCAN_CONCURRENCY` fixes it; `None` lets each
    /// scan's [`pace::Pace`] choose.
    pub(crate) concurrency: Option<usize>,
    /// Member roles' credentials and organizations' account lists, kept between ticks.
    pub(crate) warm: std::sync::Arc<warm::Warm>,
}

impl Aws {
    pub fn new(config: &SdkConfig) -> Self {
        Aws {
            config: config.clone(),
            cloudwatch: cloudwatch_client(config),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .retry_config(patient())
                    .retry_partition(own_partition("sts".to_string()))
                    .build(),
            ),
            scheduler: aws_sdk_scheduler::Client::new(config),
            own_account: Default::default(),
            member_role: discover::DEFAULT_ROLE_NAME.to_string(),
            concurrency: None,
            warm: Default::default(),
        }
    }

    /// The same, scanning `n` account-regions at once (`None`: as the pace chooses).
    pub fn with_concurrency(mut self, n: Option<usize>) -> Self {
        self.concurrency = n.map(|n| n.max(1));
        self
    }

    /// The same, assuming `role` (the template's `MemberRoleName`) in other accounts when a
    /// monitor names none; `None` keeps the default, `cidrwatch-reader`.
    pub fn with_member_role(mut self, role: Option<String>) -> Self {
        if let Some(role) = role {
            self.member_role = role;
        }
        self
    }

    /// The same, with CloudWatch calls going to `cloudwatch` (an `aws-smithy-mocks` client in
    /// tests of what the local endpoint lacks, such as metric streams).
    pub fn with_cloudwatch(mut self, cloudwatch: aws_sdk_cloudwatch::Client) -> Self {
        self.cloudwatch = cloudwatch;
        self
    }
}

/// CloudWatch, sending PutMetricData as it is. The SDK gzips any request past 10 KB, which
/// buys nothing here: the function runs outside any VPC, so no NAT gateway bills the bytes,
/// and a call's size is bounded below CloudWatch's 1 MB uncompressed (`metrics::batches`).
/// What it costs is CPU, and at 256 MB a Lambda pays for CPU in duration.
fn cloudwatch_client(config: &SdkConfig) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(config)
            .disable_request_compression(true)
            .build(),
    )
}

/// Attempts per EC2, STS and Organizations call. Throttling (EC2's `RequestLimitExceeded`,
/// STS's `Throttling`, Organizations' `TooManyRequestsException`) is retried with jittered
/// exponential backoff of at most [`THROTTLED_BACKOFF_MAX`].
pub const THROTTLED_ATTEMPTS: u32 = 8;
/// The longest wait between two attempts. The seven waits then add up to at most 39 s, inside
/// [`timeouts`]' minute a call: a throttle that outlasts them ends as AWS's own code (a scan
/// error names it), not as the call's timeout, which would name none.
pub const THROTTLED_BACKOFF_MAX: Duration = Duration::from_secs(8);

/// Rounds of [`THROTTLED_ATTEMPTS`] a walk's parent or an account's AssumeRole gets: one
/// throttled through all of a call's attempts is tried again later, so that one unlucky call
/// among thousands (a 10,000-account tick makes 10,000 AssumeRoles and ~800 Organizations
/// pages, at rates that throttle half of them) does not lose an account or the whole walk.
pub const THROTTLED_ROUNDS: u32 = 3;

/// Whether AWS refused a call for its rate: EC2's `RequestLimitExceeded`, STS's
/// `Throttling`, Organizations' `TooManyRequestsException`.
pub(crate) fn is_throttled(e: &Error) -> bool {
    matches!(e, Error::Aws { code: Some(c), .. }
        if matches!(c.as_str(), "RequestLimitExceeded" | "Throttling" | "TooManyRequestsException"))
}

/// `call`, and while AWS throttles it through all of its attempts, `call` again after
/// `pause`, up to [`THROTTLED_ROUNDS`] more times.
pub(crate) async fn in_rounds<T, F>(
    pause: Duration,
    mut call: impl FnMut() -> F,
) -> Result<T, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let mut round = 0;
    loop {
        match call().await {
            Err(e) if is_throttled(&e) && round < THROTTLED_ROUNDS => {
                round += 1;
                tokio::time::sleep(pause).await;
            }
            done => return done,
        }
    }
}

/// The retry of calls AWS throttles: [`THROTTLED_ATTEMPTS`] attempts, each throttled call
/// backing off on its own, in a retry partition per account-region for EC2 (whose buckets are
/// per account and region) and one for STS and for Organizations ([`own_partition`]). Not
/// the SDK's adaptive mode: once throttled, its limiter charges a retry five tokens at half a
/// token a second, so an account-region throttled once waited up to the longest backoff at
/// every attempt, and a test-sized organization's throttled tick took 76 s rather than 23.
pub(crate) fn patient() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(THROTTLED_ATTEMPTS)
        .with_max_backoff(THROTTLED_BACKOFF_MAX)
}

/// A retry partition of its own, where retrying a throttled call costs no retry quota. The
/// SDK's default partition is one per service and region, whose quota (500 tokens, 5 a
/// retry) every client of the process shares: a burst of throttles across a few dozen
/// accounts drains it, and from then on throttled calls fail unretried. Throttling asks for
/// a wait, which the backoff gives; other retries (5xx, timeouts) still draw on the quota.
pub(crate) fn own_partition(name: String) -> aws_sdk_ec2::config::retry::RetryPartition {
    use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
    RetryPartition::custom(name)
        .token_bucket(TokenBucket::builder().throttling_retry_cost(0).build())
        .build()
}

/// Per-call limits, so a hung endpoint costs one bounded wait (then the SDK's retries)
/// rather than the whole Lambda budget.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The SDK configuration from the standard chain (`AWS_ENDPOINT_URL`, region, credentials),
/// with our timeouts and one HTTP client ([`http_client`]).
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts())
        .http_client(http_client())
        .load()
        .await
}

/// One HTTP client, and so one connection pool (connections are per host), for every SDK
/// client built from the configuration: a tick builds an EC2 client per account-region and
/// an STS client per account. Without it each SDK client makes a default HTTP client of its
/// own, and a 1,000-account tick opened a connection (on AWS, a TLS handshake) per client.
/// Its connections are [`connector`]'s.
///
/// Building an SDK client asks the HTTP client for a connector without runtime components,
/// only to load the trust store early, and drops it; the connectors that carry requests are
/// asked for with the components, and kept (one per timeout setting). That first one is
/// made without certificates: a tick builds an EC2 client per account-region, and parsing
/// the root certificates for each was a large share of its CPU (Benchmarks, "Where the
/// tick's CPU went").
pub fn http_client() -> aws_sdk_sts::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        match components {
            Some(c) => connector(settings, c.sleep_impl()),
            None => dropped_connector(),
        }
    })
}

/// The connector an SDK client's construction makes and drops: [`connector`]'s, but trusting
/// no certificate (so parsing none).
fn dropped_connector() -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let none = TlsContext::builder()
        .with_trust_store(TrustStore::empty())
        .build()
        .expect("a TLS context of no certificate");
    aws_smithy_http_client::ConnectorBuilder::default()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(none)
        .build()
}

/// The connector every HTTP request of the process goes through, the SDK's and the
/// CloudFormation answer's (`cfn::Delivery`): the one the SDK makes by default but for its
/// crypto, rustls on ring rather than aws-lc (a binary smaller by about 2 MB; ring offers no
/// post-quantum key exchange, which guards nothing a tick sends that outlives its hour-long
/// session credentials), with `settings`' timeouts and the proxy from the environment.
pub(crate) fn connector(
    settings: Option<&HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{ConnectorBuilder, tls};
    let mut b = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::Ring,
    ));
    b.set_connector_settings(settings.cloned());
    b.set_sleep_impl(sleep);
    b.set_proxy_config(Some(ProxyConfig::from_env()));
    #[cfg(test)]
    tests::CONNECTORS.with(|n| n.set(n.get() + 1));
    b.build()
}

/// A tag's value, by key, among an EC2 resource's tags.
pub(crate) fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// Whether an error says the resource is not there: for deletes, where gone is done. Some
/// operations model no such error, and services spell it several ways, so match the code.
pub(crate) fn is_not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    matches!(
        err.code(),
        Some("ResourceNotFound" | "ResourceNotFoundException" | "DashboardNotFoundError")
    )
}

/// A delete's outcome: `true` when it deleted, `false` when the resource was already gone
/// (deleted all the same), an error otherwise.
pub(crate) fn deleted<T, E, R>(
    call: &'static str,
    result: Result<T, SdkError<E, R>>,
) -> Result<bool, Error>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(sdk_error(call, e)),
    }
}

/// An SDK error as one line: "Code: message" when the service answered, else what kind of
/// failure it was (timeout, connection, unreadable answer) — never the SDK's Debug dump of
/// the raw response, which is what `DisplayErrorContext` prints for most of them.
pub(crate) fn sdk_error<E, R>(call: &'static str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().map(str::to_string);
    let message = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => match &err {
            SdkError::TimeoutError(_) => "timeout: no answer within the call's time limit".into(),
            SdkError::DispatchFailure(d) if d.is_timeout() => {
                "timeout: the connection timed out".into()
            }
            SdkError::DispatchFailure(d) if d.is_io() => {
                "connection failed (network or endpoint unreachable)".into()
            }
            SdkError::DispatchFailure(_) => {
                // Credentials that could not be loaded surface here: their own text is short.
                let mut source = std::error::Error::source(&err);
                let mut last = None;
                while let Some(s) = source {
                    last = Some(s.to_string());
                    source = s.source();
                }
                format!(
                    "request not sent: {}",
                    last.unwrap_or_else(|| "dispatch failure".into())
                )
            }
            SdkError::ResponseError(_) => "an answer that could not be read".into(),
            SdkError::ConstructionFailure(_) => "the request could not be built".into(),
            SdkError::ServiceError(_) => "the service refused the call without a code".into(),
            _ => "unknown failure".into(),
        },
    };
    Error::Aws {
        call,
        code,
        message: crate::error::one_line(&message),
    }
}

/// Every page of a paged read, one `send(token)` after another until the service gives no
/// next token (or the one it was asked with), each page handed to `each`. Not the SDK's
/// paginator: it runs each read on a stream behind a channel of its own (a channel block, a
/// task hand-off and a wake a page), for reads that are one page nearly always. `token`
/// takes a page's next token out of it.
pub(crate) async fn each_page<P, E, R, F>(
    call: &'static str,
    mut send: impl FnMut(Option<String>) -> F,
    token: fn(&mut P) -> Option<String>,
    mut each: impl FnMut(P),
) -> Result<(), Error>
where
    F: std::future::Future<Output = Result<P, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut asked: Option<String> = None;
    loop {
        let mut page = send(asked.clone()).await.map_err(|e| sdk_error(call, e))?;
        let next = token(&mut page).filter(|t| !t.is_empty());
        each(page);
        match next {
            Some(t) if asked.as_ref() != Some(&t) => asked = Some(t),
            _ => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    thread_local! {
        /// The connectors [`connector`] made on this thread (a test's own runtime).
        pub(super) static CONNECTORS: Cell<usize> = const { Cell::new(0) };
    }

    /// The tokens each call was asked with, for pages whose next tokens are `tokens`.
    async fn asked(tokens: &[&str]) -> (Vec<Option<String>>, usize) {
        type Failed =
            SdkError<aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError, ()>;
        let mut asked = Vec::new();
        let mut pages = 0;
        let mut next = tokens.iter().map(|t| Some(t.to_string()));
        each_page(
            "test:Paged",
            |token| {
                asked.push(token);
                let page: Option<String> = next.next().flatten();
                async move { Ok::<_, Failed>(page) }
            },
            |page: &mut Option<String>| page.take(),
            |_| pages += 1,
        )
        .await
        .unwrap();
        (asked, pages)
    }

    #[tokio::test]
    async fn pages_follow_the_token_until_there_is_none_or_it_repeats() {
        let some = |t: &str| Some(t.to_string());
        assert_eq!(
            asked(&["a", "b"]).await,
            (vec![None, some("a"), some("b")], 3)
        );
        assert_eq!(asked(&["a", ""]).await, (vec![None, some("a")], 2));
        assert_eq!(asked(&["a", "a", "b"]).await, (vec![None, some("a")], 2));
    }

    #[tokio::test]
    async fn building_clients_makes_no_connector_and_a_request_makes_one() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let answered = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 8192];
            let n = s.read(&mut request).await.unwrap();
            s.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let credentials = aws_sdk_sts::config::Credentials::new("a", "b", None, None, "test");
        let config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .http_client(http_client())
            .build();
        let made = || CONNECTORS.with(Cell::get);
        let before = made();
        for region in ["us-east-1", "eu-west-1", "ap-south-1"] {
            drop(discover::ec2_in(&config, "111111111111", region));
        }
        assert_eq!(made(), before, "building SDK clients made connectors");
        let sent = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await;
        assert!(sent.is_err(), "the server refused it");
        let request = answered.await.unwrap();
        assert!(request.contains("GetCallerIdentity"), "{request}");
        assert_eq!(
            made(),
            before + 1,
            "the request's connector is connector()'s"
        );
    }
}
