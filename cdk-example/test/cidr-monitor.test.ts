import * as fs from "fs";
import * as path from "path";
import { App, CfnParameter, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import {
  CidrMonitor,
  CidrMonitorProps,
  PROPERTY_OF,
  SELECT_PROPERTY_OF,
  STREAM_PROPERTY_OF,
  THRESHOLDS_PROPERTY_OF,
  validate,
} from "../lib/cidr-monitor";

const schemaText = fs.readFileSync(path.join(__dirname, "../schema/cidr-monitor.schema.json"), "utf8");
const patternOf = (pointer: string[]) => pointer.reduce((o: any, k) => o[k], JSON.parse(schemaText)).pattern;
const cidrPattern = patternOf(["properties", "Select", "properties", "Cidrs", "items"]);
const ratePattern = patternOf(["properties", "Schedule"]);
import { MonitorsStack } from "../lib/monitors-stack";

describe("the package", () => {
  test("carries the repository's schema, unchanged", () => {
    const repository = fs.readFileSync(path.join(__dirname, "../../schema/cidr-monitor.schema.json"), "utf8");
    expect(schemaText).toEqual(repository);
  });
});

describe("the example stack", () => {
  const context = { memberAccounts: ["222222222222", "333333333333"] };
  const template = Template.fromStack(new MonitorsStack(new App({ context }), "Test"));

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

  test("with no member accounts in the context, the shared pool scans the provider's own", () => {
    const own = Template.fromStack(new MonitorsStack(new App(), "Own"));
    own.hasResourceProperties("Custom::CidrMonitor", {
      PoolName: "shared-services",
      Select: { Accounts: Match.absent(), Regions: ["us-east-1", "eu-west-1"] },
    });
  });

  test("outputs read the monitor's attributes", () => {
    template.hasOutput("EksDashboard", { Value: { "Fn::GetAtt": [Match.stringLikeRegexp("EksPool"), "DashboardName"] } });
    template.hasOutput("EksCriticalAlarm", { Value: { "Fn::GetAtt": [Match.stringLikeRegexp("EksPool"), "CriticalAlarmArn"] } });
  });
});

describe("synth-time validation", () => {
  test("names every problem, with the schema's messages and the provider's own rules", () => {
    expect(
      validate({
        poolName: "bad name",
        thresholds: { warningPercent: 95, criticalPercent: 90, minFreePrefixes: 2.5 },
        schedule: Duration.hours(7),
        select: { cidrs: ["10.0.0.300/8"] },
        tags: { "aws:owner": "me" },
      }),
    ).toEqual([
      'PoolName: must match pattern "^[A-Za-z0-9_.-]{1,64}$"',
      'Schedule: must match pattern "' + ratePattern + '"',
      'Select.Cidrs.0: must match pattern "' + cidrPattern + '"',
      'Tags.aws:owner: property name must match pattern "^(?!aws:|cidrwatch:)"',
      "Thresholds.MinFreePrefixes: must be integer",
      "Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (90), got 95",
    ]);
  });

  // One case of each rule family, through the construct: synth fails with the schema's message.
  const synth = (props: object) => () => new CidrMonitor(new Stack(new App(), "S"), "P", props as CidrMonitorProps);

  test("format: a VPC id that is not one", () => {
    expect(synth({ poolName: "p", select: { vpcIds: ["vpc-123"] } })).toThrow(
      'CidrMonitor P: Select.VpcIds.0: must match pattern "^vpc-([0-9a-f]{8}|[0-9a-f]{17})$"',
    );
  });

  test("range: a percentage above 100", () => {
    expect(synth({ poolName: "p", thresholds: { criticalPercent: 150 } })).toThrow(
      "CidrMonitor P: Thresholds.CriticalPercent: must be <= 100",
    );
  });

  test("unknown key: a misspelt prop", () => {
    expect(synth({ poolName: "p", select: { vpcId: ["vpc-0abc1234"] } })).toThrow(
      "CidrMonitor P: Select: must NOT have additional properties (VpcId)",
    );
  });

  test("enum: an output format CloudWatch does not stream", () => {
    expect(
      synth({
        poolName: "p",
        metricStream: {
          firehoseArn: "arn:aws:firehose:us-east-1:111111111111:deliverystream/m",
          roleArn: "arn:aws:iam::111111111111:role/s",
          outputFormat: "csv",
        },
      }),
    ).toThrow("CidrMonitor P: MetricStream.OutputFormat: must be equal to one of the allowed values");
  });

  test("tokens are CloudFormation's to resolve, not the schema's", () => {
    const stack = new Stack(new App(), "Tokens");
    const topic = new CfnParameter(stack, "Topic");
    expect(() => new CidrMonitor(stack, "P", { poolName: "p", alarmTopicArns: [topic.valueAsString] })).not.toThrow();
  });

  test("the props are the schema's properties, name for name", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "../../schema/cidr-monitor.schema.json"), "utf8"));
    const names = (o: Record<string, string | null>) => Object.values(o).filter((v): v is string => v !== null).sort();
    const keys = (s: { properties: Record<string, unknown> }, cfn: string[] = []) =>
      Object.keys(s.properties).filter((k) => !cfn.includes(k)).sort();
    expect(names(PROPERTY_OF)).toEqual(keys(schema, ["ServiceToken", "ServiceTimeout"]));
    expect(names(SELECT_PROPERTY_OF)).toEqual(keys(schema.properties.Select));
    expect(names(THRESHOLDS_PROPERTY_OF)).toEqual(keys(schema.properties.Thresholds));
    expect(names(STREAM_PROPERTY_OF)).toEqual(keys(schema.properties.MetricStream));
    // And each name is the prop's, PascalCased: what the construct sends.
    for (const [prop, name] of Object.entries(PROPERTY_OF)) {
      if (name) expect(name).toEqual(prop.charAt(0).toUpperCase() + prop.slice(1));
    }
  });

  test("the plan's alarm and avoided lists need supernets, as the provider says", () => {
    expect(validate({ poolName: "p", thresholds: { supernetPercent: 70 }, avoidPrefixLists: ["pl-0abc1234"] })).toEqual([
      "Thresholds.SupernetPercent: the -supernet alarm watches Supernets: set Supernets too",
      "AvoidPrefixLists: prefix lists are read for the address plan only: set Supernets too",
    ]);
    expect(
      validate({ poolName: "p", supernets: ["10.0.0.0/12"], thresholds: { supernetPercent: 70 }, avoidPrefixLists: ["pl-0abc1234"] }),
    ).toEqual([]);
    expect(validate({ poolName: "p", supernets: ["10.0.0.0/99"] })).not.toEqual([]);
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
