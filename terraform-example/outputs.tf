output "eks_pool_dashboard" {
  description = "Dashboard of the EKS pool."
  value       = aws_cloudformation_stack.monitors.outputs["EksPoolDashboard"]
}

output "eks_pool_critical_alarm" {
  description = "ARN of the EKS pool's critical alarm."
  value       = aws_cloudformation_stack.monitors.outputs["EksPoolCriticalAlarm"]
}

output "prefix_pool_alarms" {
  description = "Alarm names of the prefix-delegation pool (comma-joined)."
  value       = aws_cloudformation_stack.monitors.outputs["PrefixPoolAlarms"]
}

output "shared_pool_warning_alarm" {
  description = "ARN of the shared-services pool's warning alarm."
  value       = aws_cloudformation_stack.monitors.outputs["SharedPoolWarningAlarm"]
}
