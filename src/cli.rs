//! Off Lambda, the binary is a CLI:
//! - `cidrwatch invoke EVENT.json` handles one Lambda event exactly as the Lambda would and
//!   prints the handler's result (`-` reads the event from standard input);
//! - `cidrwatch report …` scans a selection and prints its usage (with the usage engine).

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::Error;
use crate::app::{App, Invocation};

const USAGE: &str = "usage:
  cidrwatch invoke EVENT.json   handle one Lambda event locally (- for stdin), print the result
  cidrwatch report ...          scan subnets and print their usage (not in this version)

environment: FUNCTION_ARN (the function alarms and schedules target), SCHEDULER_ROLE_ARN,
SCHEDULE_GROUP (default cidrwatch), CIDRWATCH_TIMEOUT_SECONDS (invoke's deadline, default 900),
and the AWS SDK's standard variables (AWS_ENDPOINT_URL, AWS_REGION, credentials).";

/// Runs the CLI; exit status 0 on success, 1 when the work failed, 2 on bad usage.
pub async fn main(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("invoke") if args.len() == 2 => match invoke(&args[1]).await {
            Ok(result) => {
                println!("{result:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cidrwatch: {e}");
                ExitCode::from(1)
            }
        },
        Some("report") => {
            eprintln!("cidrwatch: {}", Error::NotImplemented("report"));
            ExitCode::from(2)
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn invoke(path: &str) -> Result<Value, Error> {
    let input = |message: String| Error::Input {
        path: path.to_string(),
        message,
    };
    let text = if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| input(e.to_string()))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| input(e.to_string()))?
    };
    let payload: Value =
        serde_json::from_str(&text).map_err(|e| input(format!("not JSON: {e}")))?;
    let seconds = std::env::var("CIDRWATCH_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(900);
    let inv = Invocation {
        function_arn: std::env::var("FUNCTION_ARN").ok().filter(|s| !s.is_empty()),
        deadline: Instant::now() + Duration::from_secs(seconds),
    };
    App::from_env().await?.handle(payload, &inv).await
}
