// A Custom::CidrMonitor as a typed construct. Props mirror the resource's properties
// (docs/design.md). At synth time they are validated against schema/cidr-monitor.schema.json,
// the JSON Schema `cidrwatch schema` prints from the provider's own definitions, and by the
// few rules beyond JSON Schema: a bad monitor fails `cdk synth` instead of a deployment.
import * as fs from "fs";
import * as path from "path";
import { CustomResource, Duration, Fn, Token } from "aws-cdk-lib";
import { Construct } from "constructs";
import Ajv2020, { ErrorObject, ValidateFunction } from "ajv/dist/2020";

export interface CidrMonitorSelect {
  readonly vpcIds?: string[];
  readonly subnetIds?: string[];
  /** Tag key -> accepted value(s). */
  readonly tags?: Record<string, string | string[]>;
  readonly cidrs?: string[];
  /** Regions, or ["ALL"]: every region enabled in each account. */
  readonly regions?: string[];
  readonly accounts?: string[];
  readonly roleName?: string;
  /** Every ACTIVE account beneath these roots (r-…) or OUs (ou-…), nested OUs included. */
  readonly organizationalUnits?: string[];
  /** A role to assume for listing the organization (named as the template's MemberRoleName). */
  readonly organizationRoleArn?: string;
  readonly excludeAccounts?: string[];
}

export interface CidrMonitorThresholds {
  readonly warningPercent?: number;
  readonly criticalPercent?: number;
  readonly subnetCriticalPercent?: number;
  readonly minFreeAddresses?: number;
  readonly minFreePrefixes?: number;
  /** The -az-free-addresses alarm: the pool's smallest Availability Zone below this many free. */
  readonly minFreeAddressesPerAz?: number;
  /** The -supernet alarm: the supernets this percent allocated to VPCs (default 80; needs supernets). */
  readonly supernetPercent?: number;
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
  /** Also publish FreeAddresses and Utilization per Availability Zone ID. */
  readonly azMetrics?: boolean;
  /** Also publish ClusterHeldAddresses and ClusterIdleAddresses per EKS cluster in the pool. */
  readonly clusterMetrics?: boolean;
  readonly dashboard?: boolean;
  /** With thresholds.minFreePrefixes: explicit CIDR reservations take /28s too (one EC2 call per subnet per tick). */
  readonly explicitReservations?: boolean;
  readonly metricStream?: CidrMonitorStream;
  readonly tags?: Record<string, string>;
  /** The planned blocks new VPCs come from: SupernetAllocation, UnplannedVpcs, OverlappingVpcs. */
  readonly supernets?: string[];
  /** Prefix lists (on-premises ranges) that count as in use for overlaps and new VPCs; needs supernets. */
  readonly avoidPrefixLists?: string[];
}

/**
 * Every prop, PascalCased, is the resource property of the same name; the record forces a
 * line per prop, and the Jest suite holds these names to the schema's.
 */
export const PROPERTY_OF: Record<keyof CidrMonitorProps, string | null> = {
  serviceToken: null, // the construct's: CustomResource's serviceToken
  exportPrefix: null, // the construct's: which ServiceToken export to import
  serviceTimeout: null, // CustomResource's own ServiceTimeout
  poolName: "PoolName",
  select: "Select",
  thresholds: "Thresholds",
  schedule: "Schedule",
  alarmTopicArns: "AlarmTopicArns",
  notify: "Notify",
  namespace: "Namespace",
  subnetMetrics: "SubnetMetrics",
  azMetrics: "AzMetrics",
  clusterMetrics: "ClusterMetrics",
  dashboard: "Dashboard",
  explicitReservations: "ExplicitReservations",
  metricStream: "MetricStream",
  tags: "Tags",
  supernets: "Supernets",
  avoidPrefixLists: "AvoidPrefixLists",
};
export const SELECT_PROPERTY_OF: Record<keyof CidrMonitorSelect, string> = {
  vpcIds: "VpcIds", subnetIds: "SubnetIds", tags: "Tags", cidrs: "Cidrs", regions: "Regions",
  accounts: "Accounts", roleName: "RoleName", organizationalUnits: "OrganizationalUnits",
  organizationRoleArn: "OrganizationRoleArn", excludeAccounts: "ExcludeAccounts",
};
export const THRESHOLDS_PROPERTY_OF: Record<keyof CidrMonitorThresholds, string> = {
  warningPercent: "WarningPercent", criticalPercent: "CriticalPercent",
  subnetCriticalPercent: "SubnetCriticalPercent", minFreeAddresses: "MinFreeAddresses",
  minFreePrefixes: "MinFreePrefixes", minFreeAddressesPerAz: "MinFreeAddressesPerAz",
  supernetPercent: "SupernetPercent",
};
export const STREAM_PROPERTY_OF: Record<keyof CidrMonitorStream, string> = {
  firehoseArn: "FirehoseArn", roleArn: "RoleArn", outputFormat: "OutputFormat",
};

/**
 * The package's copy of `cidrwatch schema`'s output, which the provider validates by: `npm run
 * schema` copies it in (the build and the tests run it), so a packed construct carries it.
 * From lib/ (ts-jest) or dist/lib/ (compiled), the package root is one or two levels up.
 */
function schemaFile(): string {
  const candidates = [path.join(__dirname, ".."), path.join(__dirname, "..", "..")].map((root) =>
    path.join(root, "schema", "cidr-monitor.schema.json"),
  );
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`the package's schema is missing (${candidates.join(", ")}): run npm run schema`);
  return found;
}

let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    compiled = ajv.compile(JSON.parse(fs.readFileSync(schemaFile(), "utf8")));
  }
  return compiled;
}

/** Prop names (camelCase) to property names, any depth; user maps (tags) keep their keys. */
function pascal(o: Record<string, unknown>, keepKeys = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const key = keepKeys ? k : k.charAt(0).toUpperCase() + k.slice(1);
    const isMap = k === "tags";
    const plain = typeof v === "object" && v !== null && !Array.isArray(v);
    out[key] = plain ? pascal(v as Record<string, unknown>, isMap) : v;
  }
  return out;
}

/** Removes unresolved tokens (they are CloudFormation's to resolve); returns their paths. */
function withoutTokens(v: unknown, at: string, found: string[]): unknown {
  if (Token.isUnresolved(v)) {
    found.push(at);
    return undefined;
  }
  if (Array.isArray(v)) return v.map((x, i) => withoutTokens(x, `${at}/${i}`, found)).filter((x) => x !== undefined);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = withoutTokens(x, `${at}/${k}`, found);
      if (y !== undefined) out[k] = y;
    }
    return out;
  }
  return v;
}

/** The resource properties the props make (what CloudFormation sends the provider). */
export function properties(props: CidrMonitorProps): Record<string, unknown> {
  const { serviceToken, exportPrefix, serviceTimeout, schedule, ...rest } = props;
  void serviceToken;
  void exportPrefix;
  void serviceTimeout;
  const out = pascal(rest as Record<string, unknown>);
  if (schedule) out.Schedule = rate(schedule);
  return out;
}

/**
 * Every problem with the props, each naming its property: the schema's verdict (the same
 * schema the provider's validator is held to), then the rules beyond JSON Schema that the
 * provider also checks.
 */
export function validate(props: CidrMonitorProps): string[] {
  const errors: string[] = [];
  const tokens: string[] = [];
  const checked = withoutTokens(properties(props), "", tokens) as Record<string, unknown>;
  if (tokens.includes("/PoolName")) checked.PoolName = "token";
  const check = schemaValidator();
  if (!check(checked)) {
    const failed = (check.errors ?? []).filter((e) => e.keyword !== "propertyNames");
    const where = (e: ErrorObject) => {
      const at = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "Properties";
      return e.propertyName === undefined ? at : `${at}.${e.propertyName}`;
    };
    // Within an anyOf, the branch that fits the value's type says why: drop the other
    // branches' type complaints and the anyOf summary when something more precise is there,
    // else keep the first type complaint alone.
    const precise = new Set(failed.filter((e) => e.keyword !== "type" && e.keyword !== "anyOf").map(where));
    const typed = new Set<string>();
    for (const e of failed) {
      const at = where(e);
      if (e.keyword === "anyOf") continue;
      if (e.keyword === "type" && (precise.has(at) || typed.has(at))) continue;
      if (e.keyword === "type") typed.add(at);
      const name = e.propertyName === undefined ? "" : "property name ";
      const extra = e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : "";
      const line = `${at}: ${name}${e.message}${extra}`;
      if (!errors.includes(line)) errors.push(line);
    }
  }
  const t = props.thresholds ?? {};
  const warning = t.warningPercent ?? 80;
  const critical = t.criticalPercent ?? 90;
  if (warning >= critical) {
    errors.push(`Thresholds.WarningPercent: must be below Thresholds.CriticalPercent (${critical}), got ${warning}`);
  }
  if (props.schedule) {
    const minutes = props.schedule.toMinutes({ integral: false });
    if (!Number.isInteger(minutes)) {
      errors.push(`Schedule: expected whole minutes, got ${props.schedule.toHumanString()}`);
    }
  }
  if (props.explicitReservations && t.minFreePrefixes === undefined) {
    errors.push("ExplicitReservations: reservations only change FreePrefixes: set Thresholds.MinFreePrefixes too");
  }
  const planned = (props.supernets?.length ?? 0) > 0;
  if (t.supernetPercent !== undefined && !planned) {
    errors.push("Thresholds.SupernetPercent: the -supernet alarm watches Supernets: set Supernets too");
  }
  if ((props.avoidPrefixLists?.length ?? 0) > 0 && !planned) {
    errors.push("AvoidPrefixLists: prefix lists are read for the address plan only: set Supernets too");
  }
  if (props.notify === "native" && (props.alarmTopicArns?.length ?? 0) > 5) {
    errors.push(`AlarmTopicArns: at most 5 topics with Notify: native, got ${props.alarmTopicArns!.length}`);
  }
  return errors;
}

function rate(d: Duration): string {
  const minutes = d.toMinutes({ integral: false });
  const [n, unit] = minutes % 60 === 0 ? [minutes / 60, "hour"] : [minutes, "minute"];
  return `rate(${n} ${unit}${n === 1 ? "" : "s"})`;
}

export class CidrMonitor extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: CidrMonitorProps) {
    super(scope, id);
    const errors = validate(props);
    if (errors.length > 0) {
      throw new Error(`CidrMonitor ${id}: ${errors.join("; ")}`);
    }
    this.resource = new CustomResource(this, "Resource", {
      resourceType: "Custom::CidrMonitor",
      serviceToken: props.serviceToken ?? Fn.importValue(`${props.exportPrefix ?? "cidrwatch"}-ServiceToken`),
      serviceTimeout: props.serviceTimeout ?? Duration.seconds(300),
      properties: properties(props),
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
