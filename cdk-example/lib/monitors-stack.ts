import { CfnOutput, CfnParameter, Duration, Stack, StackProps } from "aws-cdk-lib";
import { Construct } from "constructs";
import { CidrMonitor } from "./cidr-monitor";

/**
 * Two monitors: an EKS cluster's subnets by tag, and a shared-services pool across the accounts
 * named in the context's `memberAccounts` (cdk.json, or `cdk synth -c memberAccounts=1111…,2222…`;
 * none: the provider's own account), each with cfn/member-role.yaml deployed.
 */
export class MonitorsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const topic = new CfnParameter(this, "AlertTopicArn", {
      type: "String",
      description: "Where notifications go (allowed in the provider's AlarmTopicArns).",
    });

    const eks = new CidrMonitor(this, "EksPool", {
      poolName: "eks-prod",
      select: { tags: { "kubernetes.io/cluster/prod": "shared" } },
      thresholds: { warningPercent: 75, criticalPercent: 90, minFreeAddresses: 512 },
      schedule: Duration.minutes(5),
      alarmTopicArns: [topic.valueAsString],
      notify: "detailed",
      dashboard: true,
      tags: { team: "platform" },
    });

    new CidrMonitor(this, "SharedPool", {
      poolName: "shared-services",
      select: {
        accounts: contextList(this, "memberAccounts"),
        regions: ["us-east-1", "eu-west-1"],
        roleName: "cidrwatch-reader",
        cidrs: ["10.0.0.0/8"],
      },
      schedule: Duration.minutes(15),
      alarmTopicArns: [topic.valueAsString],
      notify: "native",
    });

    new CfnOutput(this, "EksDashboard", { value: eks.dashboardName });
    new CfnOutput(this, "EksCriticalAlarm", { value: eks.criticalAlarmArn });
  }
}

/** A list from the context: an array (cdk.json) or comma-separated (-c on the command line). */
function contextList(scope: Construct, key: string): string[] | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  const list = Array.isArray(value) ? value.map(String) : typeof value === "string" ? value.split(",") : [];
  const named = list.map((v) => v.trim()).filter((v) => v !== "");
  return named.length > 0 ? named : undefined;
}
