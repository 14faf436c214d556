//! A monitor's CloudWatch dashboard: put and delete.

use super::{Aws, deleted, sdk_error};
use crate::Error;
use crate::plan::DashboardDef;

impl Aws {
    /// Creates or replaces the dashboard; CloudWatch's validation complaints are an error.
    pub async fn put_dashboard(&self, d: &DashboardDef) -> Result<(), Error> {
        let out = self
            .cloudwatch
            .put_dashboard()
            .dashboard_name(&d.name)
            .dashboard_body(&d.body)
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:PutDashboard", e))?;
        let complaints: Vec<String> = out
            .dashboard_validation_messages()
            .iter()
            .filter_map(|m| m.message().map(str::to_string))
            .collect();
        if complaints.is_empty() {
            Ok(())
        } else {
            Err(Error::Aws {
                call: "cloudwatch:PutDashboard",
                code: None,
                message: complaints.join("; "),
            })
        }
    }

    /// Deletes the dashboard; one already gone counts as deleted.
    pub async fn delete_dashboard(&self, name: &str) -> Result<(), Error> {
        let result = self
            .cloudwatch
            .delete_dashboards()
            .dashboard_names(name)
            .send()
            .await;
        deleted("cloudwatch:DeleteDashboards", result).map(drop)
    }
}
