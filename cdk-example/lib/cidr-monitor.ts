// A Custom::CidrMonitor as a typed construct. Props mirror the resource's properties
// (docs/design.md); the same rules the provider enforces are checked at synth time, so a bad
// monitor fails `cdk synth` instead of a deployment.
import { CustomResource, Duration, Fn } from "aws-cdk-lib";
import { Construct } from "constructs";

export interface CidrMonitorSelect {
  readonly vpcIds?: string[];
  readonly subnetIds?: string[];
  /** Tag key -> accepted value(s). */
  readonly tags?: Record<string, string | string[]>;
  readonly cidrs?: string[];
  readonly regions?: string[];
  readonly accounts?: string[];
  readonly roleName?: string;
}

export interface CidrMonitorThresholds {
  readonly warningPercent?: number;
  readonly criticalPercent?: number;
  readonly subnetCriticalPercent?: number;
  readonly minFreeAddresses?: number;
  readonly minFreePrefixes?: number;
}

export interface CidrMonitorStream {
  readonly firehoseArn: string;
  readonly roleArn: string;
  readonly outputFormat?: "json" | "opentelemetry0.7" | "opentelemetry1.0";
}

export interface CidrMonitorProps {
  /** Defaults to the provider stack's export `cidrwatch-ServiceToken`. */
  readonly serviceToken?: string;
  readonly exportPrefix?: string;
  /** CloudFormation gives up after this; default 300 s. */
  readonly serviceTimeout?: Duration;
  readonly poolName: string;
  readonly select?: CidrMonitorSelect;
  readonly thresholds?: CidrMonitorThresholds;
  /** The schedule and alarm period: 1 minute to 6 hours. Default 5 minutes. */
  readonly schedule?: Duration;
  readonly alarmTopicArns?: string[];
  readonly notify?: "detailed" | "native";
  readonly namespace?: string;
  readonly subnetMetrics?: boolean;
  readonly dashboard?: boolean;
  /** With thresholds.minFreePrefixes: explicit CIDR reservations take /28s too (one EC2 call per subnet per tick). */
  readonly explicitReservations?: boolean;
  readonly metricStream?: CidrMonitorStream;
  readonly tags?: Record<string, string>;
}

const POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Every problem with the props, each naming its property, as the provider would. */
export function validate(props: CidrMonitorProps): string[] {
  const errors: string[] = [];
  const t = props.thresholds ?? {};
  if (!POOL_NAME.test(props.poolName)) {
    errors.push(`PoolName: expected a name of 1 to 64 of [A-Za-z0-9_.-], got "${props.poolName}"`);
  }
  const percents: [string, number | undefined][] = [
    ["WarningPercent", t.warningPercent],
    ["CriticalPercent", t.criticalPercent],
    ["SubnetCriticalPercent", t.subnetCriticalPercent],
  ];
  for (const [name, value] of percents) {
    if (value !== undefined && !(value >= 0 && value <= 100)) {
      errors.push(`Thresholds.${name}: expected a number from 0 to 100, got ${value}`);
    }
  }
  const warning = t.warningPercent ?? 80;
  const critical = t.criticalPercent ?? 90;
  if (warning >= critical) {
    errors.push(`Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (${critical}), got ${warning}`);
  }
  for (const [name, value] of [["MinFreeAddresses", t.minFreeAddresses], ["MinFreePrefixes", t.minFreePrefixes]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      errors.push(`Thresholds.${name}: expected a whole number of at least 1, got ${value}`);
    }
  }
  if (props.schedule) {
    const minutes = props.schedule.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 360) {
      errors.push(`Schedule: expected whole minutes from 1 minute to 6 hours, got ${props.schedule.toHumanString()}`);
    }
  }
  for (const [i, cidr] of (props.select?.cidrs ?? []).entries()) {
    const m = CIDR.exec(cidr);
    const ok = m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
    if (!ok) {
      errors.push(`Select.Cidrs[${i}]: expected an IPv4 CIDR like 10.0.0.0/16, got "${cidr}"`);
    }
  }
  if (props.explicitReservations && t.minFreePrefixes === undefined) {
    errors.push("ExplicitReservations: reservations only change FreePrefixes: set Thresholds.MinFreePrefixes too");
  }
  if (props.notify === "native" && (props.alarmTopicArns?.length ?? 0) > 5) {
    errors.push(`AlarmTopicArns: at most 5 topics with Notify: native, got ${props.alarmTopicArns!.length}`);
  }
  for (const key of Object.keys(props.tags ?? {})) {
    if (key.startsWith("aws:") || key.startsWith("cidrwatch:")) {
      errors.push(`Tags.${key}: the aws: and cidrwatch: prefixes are reserved`);
    }
  }
  return errors;
}

function rate(d: Duration): string {
  const minutes = d.toMinutes();
  const [n, unit] = minutes % 60 === 0 ? [minutes / 60, "hour"] : [minutes, "minute"];
  return `rate(${n} ${unit}${n === 1 ? "" : "s"})`;
}

/** Drops undefined members, so CloudFormation sees only what was set. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class CidrMonitor extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: CidrMonitorProps) {
    super(scope, id);
    const errors = validate(props);
    if (errors.length > 0) {
      throw new Error(`CidrMonitor ${id}: ${errors.join("; ")}`);
    }
    const s = props.select;
    const t = props.thresholds;
    this.resource = new CustomResource(this, "Resource", {
      resourceType: "Custom::CidrMonitor",
      serviceToken: props.serviceToken ?? Fn.importValue(`${props.exportPrefix ?? "cidrwatch"}-ServiceToken`),
      serviceTimeout: props.serviceTimeout ?? Duration.seconds(300),
      properties: defined({
        PoolName: props.poolName,
        Select: s && defined({
          VpcIds: s.vpcIds,
          SubnetIds: s.subnetIds,
          Tags: s.tags,
          Cidrs: s.cidrs,
          Regions: s.regions,
          Accounts: s.accounts,
          RoleName: s.roleName,
        }),
        Thresholds: t && defined({
          WarningPercent: t.warningPercent,
          CriticalPercent: t.criticalPercent,
          SubnetCriticalPercent: t.subnetCriticalPercent,
          MinFreeAddresses: t.minFreeAddresses,
          MinFreePrefixes: t.minFreePrefixes,
        }),
        Schedule: props.schedule && rate(props.schedule),
        AlarmTopicArns: props.alarmTopicArns,
        Notify: props.notify,
        Namespace: props.namespace,
        SubnetMetrics: props.subnetMetrics,
        Dashboard: props.dashboard,
        ExplicitReservations: props.explicitReservations,
        MetricStream: props.metricStream && defined({
          FirehoseArn: props.metricStream.firehoseArn,
          RoleArn: props.metricStream.roleArn,
          OutputFormat: props.metricStream.outputFormat,
        }),
        Tags: props.tags,
      }),
    });
  }

  get dashboardName(): string {
    return this.resource.getAttString("DashboardName");
  }
  get alarmNames(): string {
    return this.resource.getAttString("AlarmNames");
  }
  get warningAlarmArn(): string {
    return this.resource.getAttString("WarningAlarmArn");
  }
  get criticalAlarmArn(): string {
    return this.resource.getAttString("CriticalAlarmArn");
  }
}
