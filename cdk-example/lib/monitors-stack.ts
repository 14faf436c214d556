import { CfnOutput, CfnParameter, Duration, Stack, StackProps } from "aws-cdk-lib";
import { Construct } from "constructs";
import { CidrMonitor } from "./cidr-monitor";

/** Two monitors: an EKS cluster's subnets by tag, and a cross-account shared-services pool. */
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
        accounts: ["222222222222", "333333333333"],
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
