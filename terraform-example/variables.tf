variable "region" {
  description = "Region of the provider stack and the monitors."
  type        = string
  default     = "us-east-1"
}

variable "stack_name" {
  description = "Name of the monitors' CloudFormation stack."
  type        = string
  default     = "cidrwatch-monitors"
}

variable "provider_export_prefix" {
  description = "The provider stack's ExportPrefix (monitors import <prefix>-ServiceToken)."
  type        = string
  default     = "cidrwatch"
}

variable "alert_topic_arn" {
  description = "SNS topic for notifications; list it in the provider's AlarmTopicArns."
  type        = string
}

variable "prefix_vpc_id" {
  description = "VPC whose pods take /28 prefixes (VPC CNI prefix delegation)."
  type        = string
}

variable "member_accounts" {
  description = "Accounts with cfn/member-role.yaml deployed, for the cross-account pool."
  type        = list(string)
}

variable "member_regions" {
  description = "Regions scanned in the member accounts."
  type        = list(string)
  default     = ["us-east-1", "eu-west-1"]
}

variable "member_role_name" {
  description = "The member role's name (cfn/member-role.yaml RoleName)."
  type        = string
  default     = "cidrwatch-reader"
}

variable "tags" {
  description = "Tags for the stack; CloudFormation passes them to what it creates."
  type        = map(string)
  default     = {}
}
