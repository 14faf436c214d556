# A module: the cidrwatch example monitors (../cfn/examples/monitors.yaml) as a CloudFormation
# stack, so Terraform estates get Custom::CidrMonitor resources without a provider of their own.
# The cidrwatch provider stack (../cfn/provider.yaml) must already be deployed in the account
# and region of the caller's aws provider (a module configures no provider of its own).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_cloudformation_stack" "monitors" {
  name          = var.stack_name
  template_body = file("${path.module}/../cfn/examples/monitors.yaml")

  parameters = {
    ProviderExportPrefix = var.provider_export_prefix
    AlertTopicArn        = var.alert_topic_arn
    PrefixVpcId          = var.prefix_vpc_id
    MemberAccounts       = join(",", var.member_accounts)
    MemberRegions        = join(",", var.member_regions)
    MemberRoleName       = var.member_role_name
    ClusterMetrics       = tostring(var.cluster_metrics)
    Supernets            = join(",", var.supernets)
    AvoidPrefixLists     = join(",", var.avoid_prefix_lists)
  }

  # A monitor answers within its ServiceTimeout (300 s); this bounds the whole stack.
  timeout_in_minutes = 15
  on_failure         = "ROLLBACK"
  tags               = var.tags
}
