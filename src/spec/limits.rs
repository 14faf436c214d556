//! What the provider's deployment allows, from the template's parameters.

use super::{MonitorSpec, Notify, SpecError, SpecErrors};

/// What the provider's deployment allows, from the template's parameters (passed in the
/// function's environment): the IAM policy enforces these, so a monitor outside them would be
/// created and then denied on every tick. `None`: the variable is not set, nothing is limited
/// (off Lambda); an empty list allows nothing (a template with no `AlarmTopicArns`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    /// `MEMBER_ROLE_NAME` (template parameter `MemberRoleName`): the only role the provider
    /// may assume in other accounts, and the default `Select.RoleName`.
    pub member_role_name: Option<String>,
    /// `METRIC_NAMESPACES` (`MetricNamespaces`): where PutMetricData is allowed.
    pub metric_namespaces: Option<Vec<String>>,
    /// `ALARM_TOPIC_ARNS` (`AlarmTopicArns`): where the function may publish.
    pub alarm_topic_arns: Option<Vec<String>>,
}

impl Limits {
    /// From the function's environment: comma-separated lists, blanks ignored.
    pub fn from_env() -> Self {
        let list = |k: &str| -> Option<Vec<String>> {
            let v = std::env::var(k).ok()?;
            Some(
                v.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        };
        Limits {
            member_role_name: list("MEMBER_ROLE_NAME").and_then(|l| l.into_iter().next()),
            metric_namespaces: list("METRIC_NAMESPACES"),
            alarm_topic_arns: list("ALARM_TOPIC_ARNS"),
        }
    }

    /// The refusals of a valid spec that the deployment would deny, each naming the property
    /// and the template parameter to change. Pure: no AWS call is needed to know.
    pub fn check(&self, spec: &MonitorSpec) -> Result<(), SpecErrors> {
        let mut errors = Vec::new();
        let mut refuse = |path: String, message: String| errors.push(SpecError { path, message });
        if let Some(allowed) = &self.metric_namespaces
            && !allowed.contains(&spec.namespace)
        {
            refuse(
                "Namespace".into(),
                format!(
                    "{} is not among the namespaces the provider may publish to ({}): add it to \
                     the provider template's MetricNamespaces parameter",
                    spec.namespace,
                    allowed.join(", ")
                ),
            );
        }
        if let (Some(allowed), Some(asked)) = (&self.member_role_name, &spec.select.role_name)
            && allowed != asked
        {
            refuse(
                "Select.RoleName".into(),
                format!(
                    "{asked} is not the member role the provider may assume ({allowed}): set the \
                     provider template's MemberRoleName parameter to it, or leave RoleName out"
                ),
            );
        }
        // The provider may assume only the member role, so the organization is listed
        // through a role of that name (in the management or delegated administrator account).
        if let (Some(allowed), Some(arn)) =
            (&self.member_role_name, &spec.select.organization_role_arn)
            && arn.rsplit('/').next() != Some(allowed.as_str())
        {
            refuse(
                "Select.OrganizationRoleArn".into(),
                format!(
                    "{arn} is not a role the provider may assume (only roles named {allowed}): \
                     name it {allowed}, or leave OrganizationRoleArn out to list the \
                     organization with the provider's own credentials"
                ),
            );
        }
        if let (Notify::Detailed, Some(allowed)) = (spec.notify, &self.alarm_topic_arns) {
            for (i, topic) in spec.alarm_topic_arns.iter().enumerate() {
                if !allowed.contains(topic) {
                    refuse(
                        format!("AlarmTopicArns[{i}]"),
                        format!(
                            "{topic} is not among the topics the provider may publish to: add it \
                             to the provider template's AlarmTopicArns parameter"
                        ),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SpecErrors(errors))
        }
    }
}
