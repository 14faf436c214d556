import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { CidrMonitor, validate } from "../lib/cidr-monitor";
import { MonitorsStack } from "../lib/monitors-stack";

describe("the example stack", () => {
  const template = Template.fromStack(new MonitorsStack(new App(), "Test"));

  test("declares two monitors", () => {
    template.resourceCountIs("Custom::CidrMonitor", 2);
  });

  test("the EKS pool's properties are the resource's, as the provider reads them", () => {
    template.hasResourceProperties("Custom::CidrMonitor", {
      ServiceToken: { "Fn::ImportValue": "cidrwatch-ServiceToken" },
      ServiceTimeout: "300",
      PoolName: "eks-prod",
      Select: { Tags: { "kubernetes.io/cluster/prod": "shared" } },
      Thresholds: { WarningPercent: 75, CriticalPercent: 90, MinFreeAddresses: 512 },
      Schedule: "rate(5 minutes)",
      AlarmTopicArns: [{ Ref: "AlertTopicArn" }],
      Notify: "detailed",
      Dashboard: true,
      Tags: { team: "platform" },
    });
  });

  test("the cross-account pool selects by account, region, role and CIDR", () => {
    template.hasResourceProperties("Custom::CidrMonitor", {
      PoolName: "shared-services",
      Select: {
        Accounts: ["222222222222", "333333333333"],
        Regions: ["us-east-1", "eu-west-1"],
        RoleName: "cidrwatch-reader",
        Cidrs: ["10.0.0.0/8"],
      },
      Schedule: "rate(15 minutes)",
      Notify: "native",
      Thresholds: Match.absent(),
    });
  });

  test("outputs read the monitor's attributes", () => {
    template.hasOutput("EksDashboard", { Value: { "Fn::GetAtt": [Match.stringLikeRegexp("EksPool"), "DashboardName"] } });
    template.hasOutput("EksCriticalAlarm", { Value: { "Fn::GetAtt": [Match.stringLikeRegexp("EksPool"), "CriticalAlarmArn"] } });
  });
});

describe("synth-time validation", () => {
  test("names every problem, as the provider would", () => {
    expect(
      validate({
        poolName: "bad name",
        thresholds: { warningPercent: 95, criticalPercent: 90, minFreePrefixes: 2.5 },
        schedule: Duration.hours(7),
        select: { cidrs: ["10.0.0.300/8"] },
        tags: { "aws:owner": "me" },
      }),
    ).toEqual([
      'PoolName: expected a name of 1 to 64 of [A-Za-z0-9_.-], got "bad name"',
      "Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (90), got 95",
      "Thresholds.MinFreePrefixes: expected a whole number of at least 1, got 2.5",
      "Schedule: expected whole minutes from 1 minute to 6 hours, got 7 hours",
      'Select.Cidrs[0]: expected an IPv4 CIDR like 10.0.0.0/16, got "10.0.0.300/8"',
      "Tags.aws:owner: the aws: and cidrwatch: prefixes are reserved",
    ]);
  });

  test("explicit reservations need prefix accounting", () => {
    expect(validate({ poolName: "p", explicitReservations: true })).toEqual([
      "ExplicitReservations: reservations only change FreePrefixes: set Thresholds.MinFreePrefixes too",
    ]);
    expect(validate({ poolName: "p", explicitReservations: true, thresholds: { minFreePrefixes: 4 } })).toEqual([]);
  });

  test("a bad monitor fails synth", () => {
    const stack = new Stack(new App(), "Bad");
    expect(() => new CidrMonitor(stack, "P", { poolName: "p", thresholds: { warningPercent: 90, criticalPercent: 80 } })).toThrow(
      "CidrMonitor P: Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (80), got 90",
    );
  });

  test("whole hours become rate(N hours)", () => {
    const stack = new Stack(new App(), "Hours");
    new CidrMonitor(stack, "P", { poolName: "p", schedule: Duration.hours(1), exportPrefix: "net" });
    Template.fromStack(stack).hasResourceProperties("Custom::CidrMonitor", {
      Schedule: "rate(1 hour)",
      ServiceToken: { "Fn::ImportValue": "net-ServiceToken" },
    });
  });
});
