//! The map on the monitor's dashboard: a CloudWatch custom widget backed by this function.
//! The dashboard calls it with the widget's `params` (`{"monitor": id}`); it answers with the
//! map's HTML from a fresh scan.
//!
//! Why a fresh scan and not the last tick's report: a tick hands its report to Lambda
//! destinations and keeps nothing, so the only honest picture is the one scanned now. It is
//! bounded by [`SCAN_MAX`] and by half the invocation's time left; a scan that does not
//! finish answers a one-line page that says so, never a stale or partial picture passed off
//! as whole (a partial scan's map says which account-regions are missing).

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::Error;
use crate::aws::Aws;
use crate::event::Widget;
use crate::map;
use crate::provider::Settings;
use crate::spec::Depth;
use crate::tick;

/// The longest a widget's scan may take: a dashboard waits for its widgets.
pub const SCAN_MAX: Duration = Duration::from_secs(25);

pub async fn run(
    aws: &Aws,
    settings: &Settings,
    widget: &Widget,
    deadline: Instant,
) -> Result<Value, Error> {
    let Some(id) = &widget.monitor else {
        return Ok(Value::String(page(
            "This widget names no monitor: set its parameters to {\"monitor\": \"<id>\"}, \
             the monitor's PhysicalResourceId (cidrwatch-<pool>-<8 hex>), as the monitor's own \
             dashboard does.",
        )));
    };
    let Some(spec) = tick::monitor_spec(aws, &settings.schedule_group, id).await? else {
        return Ok(Value::String(page(&format!(
            "No monitor {id} in schedule group {}: the widget's params name a monitor that \
             does not exist (deleted, or another stack's).",
            settings.schedule_group
        ))));
    };
    let budget = (deadline.saturating_duration_since(Instant::now()) / 2).min(SCAN_MAX);
    match tokio::time::timeout(
        budget,
        tick::scan(
            aws,
            &spec,
            Depth::Holders,
            Instant::now() + budget,
            &|_, _, _| {},
        ),
    )
    .await
    {
        Ok(report) => Ok(Value::String(map::html(
            &report,
            &format!("cidrwatch pool {}", spec.pool_name),
            map::Theme::of_widget(widget.theme.as_deref()),
        ))),
        Err(_) => Ok(Value::String(page(&format!(
            "The scan of pool {} did not finish within {} s; the map shows only whole scans. \
             Reload the widget, or run `cidrwatch map --monitor …` at a terminal.",
            spec.pool_name,
            budget.as_secs()
        )))),
    }
}

/// What the widget shows and needs, for the console's `describe` call: Markdown, no scan.
pub fn describe() -> Value {
    serde_json::json!({"markdown": DOCS})
}

const DOCS: &str = "## cidrwatch: address space\n\
The map of a cidrwatch monitor's IPv4 address space, from a fresh scan each time the widget \
refreshes: every VPC CIDR block of the pool drawn to scale, its subnets shaded by how full they \
are, the free aligned blocks where new subnets fit, and a table of the fullest subnets.\n\n\
### Parameters\n\
| name | value |\n|---|---|\n\
| `monitor` | the monitor's PhysicalResourceId, `cidrwatch-<PoolName>-<8 hex>` (required) |\n\n\
### Permissions\n\
Viewers need `lambda:InvokeFunction` on this function (the CloudWatch console invokes it \
as the viewer). The function scans with its own role.\n\n\
### Example\n\
```yaml\nmonitor: cidrwatch-eks-prod-1a2b3c4d\n```\n";

fn page(line: &str) -> String {
    format!(
        "<p>{}</p>",
        line.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    )
}
