//! Off Lambda, the binary is a CLI, declared with clap (one struct per command, the selection
//! flags one flattened struct, so a flag means the same everywhere):
//! - `report` scans a selection with the caller's credentials and prints its usage;
//! - `map` draws the selection's VPCs to scale as one page;
//! - `suggest` finds where new subnets fit in a VPC, or with `--new-vpc` where new VPCs go;
//! - `schema` and `validate` give the properties' schema and the provider's verdict offline;
//! - `invoke` handles one Lambda event exactly as the Lambda would;
//! - `completions` prints a shell completion script.
//!
//! - `report`: report and map, the table, the progress bar;
//! - `suggest`: where the next subnets fit; `new_vpc`: where the next VPCs go.

mod new_vpc;
mod report;
mod suggest;

pub use report::table;
pub use suggest::suggestion;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::Error;
use crate::app::{App, Invocation};
use crate::aws::Aws;
use crate::spec;

/// The version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CIDRWATCH_COMMIT"),
    ")"
);

const ENVIRONMENT: &str = "Environment: FUNCTION_ARN (the function alarms and schedules target), \
SCHEDULER_ROLE_ARN, SCHEDULE_GROUP (default cidrwatch), MEMBER_ROLE_NAME, METRIC_NAMESPACES and \
ALARM_TOPIC_ARNS (comma-separated: what a monitor may use), SCAN_CONCURRENCY, \
CIDRWATCH_TIMEOUT_SECONDS (invoke's deadline, default 900), RUST_LOG (default info), \
AWS_LAMBDA_RUNTIME_API (set by Lambda: serve as the function, not the command line), \
AWS_LAMBDA_FUNCTION_MEMORY_SIZE (set by Lambda: the share of a CPU a scan paces itself by), and the \
AWS SDK's standard variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, credentials).";

/// cidrwatch: the IPv4 address space of self-managed VPCs and subnets, before it runs out.
#[derive(Parser, Debug)]
#[command(name = "cidrwatch", version = VERSION, after_help = ENVIRONMENT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan subnets with your credentials and print their usage
    Report(ReportArgs),
    /// Draw the selection's VPCs to scale as one self-contained HTML page
    Map(MapArgs),
    /// Where the next subnets fit in a VPC, best fit first; a secondary CIDR block when none does; with --new-vpc, where the next VPCs go
    Suggest(suggest::SuggestArgs),
    /// Print the JSON Schema of a monitor's properties
    Schema(SchemaArgs),
    /// Check a monitor's properties as Create would: exit 0, or 1 with every problem, one a line
    Validate(ValidateArgs),
    /// Handle one Lambda event exactly as the Lambda would, and print the result
    Invoke(InvokeArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub select: Select,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    /// No progress on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct MapArgs {
    #[command(flatten)]
    pub select: Select,
    /// Where to write the page
    #[arg(long, value_name = "FILE")]
    pub html: String,
    /// No progress on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Print it as the manual's Markdown table instead
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The properties as JSON; - reads standard input
    #[arg(value_name = "PROPS.json")]
    pub file: String,
}

#[derive(Args, Debug)]
pub struct InvokeArgs {
    /// The event as JSON; - reads standard input
    #[arg(value_name = "EVENT.json")]
    pub event: String,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Which subnets: AND across kinds, OR within one; each flag may repeat.
#[derive(Args, Debug, Default, Clone)]
pub struct Select {
    /// Subnets in this VPC
    #[arg(long = "vpc", value_name = "ID", value_parser = property("VpcIds"))]
    pub vpcs: Vec<String>,
    /// This subnet
    #[arg(long = "subnet", value_name = "ID", value_parser = property("SubnetIds"))]
    pub subnets: Vec<String>,
    /// Subnets tagged so
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = tag)]
    pub tags: Vec<(String, String)>,
    /// Subnets inside this IPv4 CIDR
    #[arg(long = "cidr", value_name = "CIDR", value_parser = property("Cidrs"))]
    pub cidrs: Vec<String>,
    /// Scan this region (default: your configured one)
    #[arg(long = "region", value_name = "REGION", value_parser = property("Regions"))]
    pub regions: Vec<String>,
    /// Scan every region enabled in each account
    #[arg(long)]
    pub all_regions: bool,
    /// Scan this account (yours with your credentials, others through --role)
    #[arg(long = "account", value_name = "ID", value_parser = property("Accounts"))]
    pub accounts: Vec<String>,
    /// The role assumed in other accounts
    #[arg(long, value_name = "NAME", value_parser = property("RoleName"))]
    pub role: Option<String>,
    /// Scan every ACTIVE account beneath this organization root or OU
    #[arg(long = "ou", value_name = "ID", value_parser = property("OrganizationalUnits"))]
    pub ous: Vec<String>,
    /// Never scan this account
    #[arg(long = "exclude-account", value_name = "ID", value_parser = property("ExcludeAccounts"))]
    pub exclude_accounts: Vec<String>,
    /// A monitor's properties (JSON) instead of the selection flags
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "vpcs", "subnets", "tags", "cidrs", "regions", "all_regions", "accounts", "role", "ous",
        "exclude_accounts"])]
    pub monitor: Option<String>,
    /// The pool's name in the output (default: report)
    #[arg(long, value_name = "NAME", value_parser = property("PoolName"))]
    pub pool: Option<String>,
}

/// A flag's value judged by the property parser itself, as `Select.<key>` (or a top-level
/// key): the same verdict and the same message as in a monitor.
fn property(key: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone + Send + Sync {
    move |v: &str| {
        let list = !matches!(key, "RoleName" | "PoolName");
        let value = if list { json!([v]) } else { json!(v) };
        let props = match key {
            "PoolName" => json!({ "PoolName": value }),
            _ => json!({"PoolName": "p", "Select": { key: value }}),
        };
        match spec::parse(&props) {
            Ok(_) => Ok(v.to_string()),
            Err(e) => Err(e.0.first().map(|e| e.message.clone()).unwrap_or_default()),
        }
    }
}

fn tag(v: &str) -> Result<(String, String), String> {
    match v.split_once('=') {
        Some((k, val)) if !k.is_empty() => Ok((k.to_string(), val.to_string())),
        _ => Err("expected KEY=VALUE".to_string()),
    }
}

impl Select {
    /// The monitor the flags stand for (or the `--monitor` file's), validated by the same
    /// rules as a monitor's properties.
    pub fn spec(&self) -> Result<spec::MonitorSpec, String> {
        spec::parse(&self.properties()?).map_err(|e| e.to_string())
    }

    /// The monitor properties the flags stand for (or the `--monitor` file's).
    pub fn properties(&self) -> Result<Value, String> {
        let mut properties = match &self.monitor {
            Some(path) => {
                let text = read(path).map_err(|e| e.to_string())?;
                serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?
            }
            None => json!({"PoolName": "report", "Select": self.select()}),
        };
        if let (Some(p), Some(obj)) = (&self.pool, properties.as_object_mut()) {
            obj.insert("PoolName".into(), json!(p));
        }
        Ok(properties)
    }

    fn select(&self) -> Value {
        let mut select = Map::new();
        let mut put = |key: &str, items: &[String]| {
            if !items.is_empty() {
                select.insert(key.to_string(), json!(items));
            }
        };
        put("VpcIds", &self.vpcs);
        put("SubnetIds", &self.subnets);
        put("Cidrs", &self.cidrs);
        let mut regions = self.regions.clone();
        if self.all_regions {
            regions.push(spec::ALL_REGIONS.to_string());
        }
        put("Regions", &regions);
        put("Accounts", &self.accounts);
        put("OrganizationalUnits", &self.ous);
        put("ExcludeAccounts", &self.exclude_accounts);
        let mut tags: Map<String, Value> = Map::new();
        for (k, v) in &self.tags {
            let list = tags.entry(k.clone()).or_insert_with(|| json!([]));
            if let Value::Array(items) = list {
                items.push(json!(v));
            }
        }
        if !tags.is_empty() {
            select.insert("Tags".into(), Value::Object(tags));
        }
        if let Some(r) = &self.role {
            select.insert("RoleName".into(), json!(r));
        }
        Value::Object(select)
    }
}

/// Runs the CLI; exit status 0 on success, 1 when the work failed, 2 on bad usage or input.
pub async fn main(args: Vec<String>) -> ExitCode {
    let cli = match Cli::try_parse_from(std::iter::once("cidrwatch".to_string()).chain(args)) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: on standard output, success.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Report(a) => {
            let output = report::Output::Table { json: a.json };
            report::run(&a.select, output, a.quiet).await
        }
        Command::Map(a) => {
            let output = report::Output::Map { html: a.html };
            report::run(&a.select, output, a.quiet).await
        }
        Command::Suggest(a) => suggest::run(&a).await,
        Command::Schema(SchemaArgs { markdown: false }) => {
            println!("{:#}", spec::schema::schema());
            ExitCode::SUCCESS
        }
        Command::Schema(SchemaArgs { markdown: true }) => {
            print!("{}", spec::schema::markdown());
            ExitCode::SUCCESS
        }
        Command::Validate(a) => validate(&a.file),
        Command::Invoke(a) => match invoke(&a.event).await {
            Ok(result) => {
                // A person reads it indented; a pipe gets the function's answer as it is.
                match std::io::stdout().is_terminal() {
                    true => println!(
                        "{:#}",
                        serde_json::from_str::<Value>(result.get()).unwrap_or_default()
                    ),
                    false => println!("{}", result.get()),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cidrwatch: {e}");
                ExitCode::from(1)
            }
        },
        Command::Completions(a) => {
            let mut command = Cli::command();
            clap_complete::generate(a.shell, &mut command, "cidrwatch", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// clap's error as one line: what is wrong (its first paragraph, which may name the missing
/// arguments on lines of their own), its suggestion when it has one, and the usage.
fn one_line(rendered: &str) -> String {
    let mut paragraphs = rendered.split("\n\n").map(str::trim);
    let what = paragraphs.next().unwrap_or_default();
    let mut parts = vec![what.split_whitespace().collect::<Vec<_>>().join(" ")];
    parts.extend(
        paragraphs
            .filter(|p| p.starts_with("tip:") || p.starts_with("Usage:"))
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")),
    );
    parts.join("; ")
}

/// AWS with the caller's credentials, assuming the template's member role by default.
async fn cli_aws() -> Aws {
    let member_role = spec::Limits::from_env().member_role_name;
    Aws::new(&crate::aws::load_config().await)
        .with_member_role(member_role)
        .with_concurrency(crate::aws::discover::concurrency_from_env())
}

/// `cidrwatch validate`: the provider's own verdict on a monitor's properties, offline.
fn validate(path: &str) -> ExitCode {
    let properties: Result<Value, String> = read(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("{path}: not JSON: {e}")));
    match properties.map(|p| spec::parse(&p)) {
        Ok(Ok(_)) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Ok(Err(errors)) => {
            for e in &errors.0 {
                println!("{e}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("cidrwatch: {e}");
            ExitCode::from(2)
        }
    }
}

async fn invoke(path: &str) -> Result<Box<RawValue>, Error> {
    let payload: Value = serde_json::from_str(&read(path)?).map_err(|e| Error::Input {
        path: path.to_string(),
        message: format!("not JSON: {e}"),
    })?;
    let seconds = std::env::var("CIDRWATCH_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(900);
    let inv = Invocation {
        function_arn: std::env::var("FUNCTION_ARN").ok().filter(|s| !s.is_empty()),
        deadline: Instant::now() + Duration::from_secs(seconds),
    };
    App::from_env().await?.handle_text(payload, &inv).await
}

fn read(path: &str) -> Result<String, Error> {
    let input = |e: std::io::Error| Error::Input {
        path: path.to_string(),
        message: e.to_string(),
    };
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(input)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cidrwatch").chain(line.split_whitespace()))
    }

    #[test]
    fn flags_become_a_selection() {
        let Command::Report(a) =
            parse("report --vpc vpc-0abc1234 --tag team=a --tag team=b --cidr 10.0.0.0/8 --json")
                .unwrap()
                .command
        else {
            panic!("not report")
        };
        assert!(a.json);
        assert_eq!(
            a.select.properties().unwrap(),
            json!({"PoolName": "report", "Select": {"VpcIds": ["vpc-0abc1234"],
                "Cidrs": ["10.0.0.0/8"], "Tags": {"team": ["a", "b"]}}})
        );
    }

    #[test]
    fn values_are_judged_as_the_property_parser_judges_them() {
        let e = parse("report --cidr 10.0.0.1/8")
            .unwrap_err()
            .render()
            .to_string();
        let property = spec::parse(&json!({"PoolName": "p", "Select": {"Cidrs": ["10.0.0.1/8"]}}))
            .unwrap_err();
        assert!(e.contains(&property.0[0].message), "{e}");
        assert!(parse("report --account 12345").is_err());
        assert!(parse("suggest --vpc vpc-0abc1234 --size 29").is_err());
        let bogus = one_line(&parse("report --jsn").unwrap_err().render().to_string());
        assert!(
            bogus.starts_with("error: unexpected argument '--jsn'"),
            "{bogus}"
        );
        assert!(bogus.contains("--json"), "a suggestion: {bogus}");
        assert!(!bogus.contains('\n'));
    }

    #[test]
    fn monitor_replaces_the_selection_flags() {
        assert!(parse("report --monitor m.json --vpc vpc-0abc1234").is_err());
    }
}
