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
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alert_topic_arn))
    error_message = "alert_topic_arn: a standard SNS topic ARN (FIFO topics cannot receive alarm actions)."
  }
}

variable "prefix_vpc_id" {
  description = "VPC whose pods take /28 prefixes (VPC CNI prefix delegation)."
  type        = string
  validation {
    condition     = can(regex("^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", var.prefix_vpc_id))
    error_message = "prefix_vpc_id: a VPC id, vpc- and 8 or 17 hex digits."
  }
}

variable "member_accounts" {
  description = "Accounts with cfn/member-role.yaml deployed, for the cross-account pool; empty: the provider's own account."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.member_accounts : can(regex("^[0-9]{12}$", a))])
    error_message = "member_accounts: 12-digit account ids."
  }
}

variable "member_regions" {
  description = "Regions scanned in the member accounts."
  type        = list(string)
  default     = ["us-east-1", "eu-west-1"]
  validation {
    condition     = length(var.member_regions) > 0 && alltrue([for r in var.member_regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", r))])
    error_message = "member_regions: one or more region names such as eu-west-1."
  }
}

variable "member_role_name" {
  description = "The member role's name (cfn/member-role.yaml RoleName)."
  type        = string
  default     = "cidrwatch-reader"
  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.member_role_name))
    error_message = "member_role_name: an IAM role name, 1 to 64 of A-Za-z0-9+=,.@_-."
  }
}

variable "cluster_metrics" {
  description = "The EKS pool also publishes ClusterHeldAddresses and ClusterIdleAddresses per cluster (2 metrics each)."
  type        = bool
  default     = false
}

variable "supernets" {
  description = "The planned blocks new VPCs come from: the shared pool then publishes SupernetAllocation, UnplannedVpcs and OverlappingVpcs (alarms -supernet, -overlaps). Empty for none."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.supernets : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c))])
    error_message = "supernets: IPv4 CIDRs such as 10.0.0.0/12."
  }
}

variable "avoid_prefix_lists" {
  description = "Customer-managed prefix lists (on-premises ranges) that count as in use for overlaps and new VPCs; only with supernets."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for p in var.avoid_prefix_lists : can(regex("^pl-([0-9a-f]{8}|[0-9a-f]{17})$", p))])
    error_message = "avoid_prefix_lists: prefix list ids such as pl-0abc1234 (the provider refuses them without supernets)."
  }
}

variable "tags" {
  description = "Tags for the stack; CloudFormation passes them to what it creates."
  type        = map(string)
  default     = {}
}
