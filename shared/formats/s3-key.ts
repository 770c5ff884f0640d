/**
 * What an S3 object key says about an ELB log object: account, Region, load
 * balancer and log kind, from keys with or without a user prefix before
 * `AWSLogs/` (and from bare file names, for downloaded objects). A key whose
 * name is not ELB's is a log by its content (`byContent`), with what its
 * folders and name still say, except in another service's folder
 * (docs/attribute-mapping.md#renamed-objects).
 *
 * Keys must already be URL-decoded (S3 event notifications encode them).
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */

import type { LogFormatId } from './field-spec.ts';

/** The kind of object a key names: a log format, ELB's test object, or something else. */
export type LogKind = LogFormatId | 'test-file' | 'unknown';

/** A load balancer as named by a key or by a line's `elb` field. */
export interface LoadBalancerRef {
  type: 'app' | 'net' | 'classic';
  name: string;
  /** The 16-hex id of an ALB or NLB. */
  id?: string;
  /** `app/name/id`, `net/name/id`, or the Classic name: the `elb` field's form. */
  resourceId: string;
}

export interface S3KeyInfo {
  kind: LogKind;
  /** False for ELB's test object and for keys that are not ELB logs. */
  isLog: boolean;
  /** Why the key is not a log, when it is not. */
  reason?: string;
  /** The user prefix before `AWSLogs/`, without its trailing slash. */
  prefix?: string;
  account?: string;
  region?: string;
  loadBalancer?: LoadBalancerRef;
  /** Delivery date from the key path, `yyyy-mm-dd`. */
  date?: string;
  /** End of the 5-minute (or 60-minute) interval, `YYYYMMDDTHHMMZ`. */
  endTime?: string;
  /** IP address of the load balancer node (absent for NLB). */
  nodeIp?: string;
  /**
   * Set when the file name is not ELB's own (an object renamed or copied by
   * hand, or written by a tool that changed the name): the object is a log
   * if its content is one. What the key still says (folders, parts of the
   * name) is read as above.
   */
  byContent?: true;
}

const FILE_NAME =
  /^(conn_log_|conn_log\.|health_check_log_)?(\d{12})_elasticloadbalancing_([a-z0-9-]+)_([A-Za-z0-9.-]+)_(\d{8}T\d{4}Z)_([^/]+?)\.log(?:\.gz)?$/;
const LB_PART = /^(app|net)\.([A-Za-z0-9-]+)\.([0-9a-f]+)$/;
const CLASSIC_NAME = /^[A-Za-z0-9-]+$/;
const PATH_AFTER_AWSLOGS =
  /^AWSLogs\/(\d{12})\/elasticloadbalancing\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\//;
/**
 * What a name that is not ELB's may still hold of it, each part read on its
 * own: account and Region (`<account>_elasticloadbalancing_<region>_`), the
 * load balancer after them, and the interval's end, its `T`, seconds and `Z`
 * optional (`20261101T0005Z`, `202611010005Z`, `20261101T000500Z`).
 */
const NAME_HEAD = /(?:^|[^0-9])(\d{12})_elasticloadbalancing_([a-z]{2}(?:-[a-z]+)+-\d+)_/;
const NAME_LOAD_BALANCER = /^([A-Za-z0-9.-]+)_/;
const NAME_TIME =
  /(?:^|[_.-])(20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))T?((?:[01]\d|2[0-3])[0-5]\d)(?:[0-5]\d)?Z?(?=[_.-]|$)/;
/**
 * The folders of AWS's log delivery: `AWSLogs/[<organization>/]<account>/<service>/…`,
 * or the Hive-style `AWSLogs/aws-account-id=<account>/aws-service=<service>/…`
 * of other services.
 */
const AWSLOGS_FOLDERS =
  /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(?:(\d{12})\/([A-Za-z][\w-]*)\/|aws-account-id=(\d{12})\/(?:aws-service=)?([^/]+)\/)/;
/**
 * The Hive-compatible folders of CloudWatch Logs' vended delivery below the
 * service: `region=<region>/` and `year=<yyyy>/month=<mm>/day=<dd>/`.
 */
const HIVE_REGION = /(?:^|\/)region=([a-z]{2}(?:-[a-z]+)+-\d+)\//;
const HIVE_DAY = /(?:^|\/)year=(\d{4})\/month=(\d{2})\/day=(\d{2})\//;
/** ELB's folders below the service: `<region>/<yyyy>/<mm>/<dd>/`, as far as they go. */
const ELB_FOLDERS = /^([a-z]{2}(?:-[a-z]+)+-\d+)\/(?:(\d{4})\/(\d{2})\/(\d{2})\/)?/;

const TEST_FILE = 'ELBAccessLogTestFile';

/** The interval an ELB log object covers: the 5 minutes before the time in its name. */
export const LOG_INTERVAL_MS = 5 * 60 * 1000;
/** A Classic load balancer may write every 60 minutes instead (its EmitInterval). */
export const CLASSIC_LOG_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Reads an S3 key (or a file name) of an ELB log object.
 *
 * @example
 * parseS3Key('logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/' +
 *   '123456789012_elasticloadbalancing_us-east-2_app.my-lb.50dc6c495c0c9188_20261101T0005Z_10.0.0.1_2soosksg.log.gz');
 * // { kind: 'alb', isLog: true, prefix: 'logs', account: '123456789012', region: 'us-east-2', ... }
 */
export function parseS3Key(key: string): S3KeyInfo {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  const awsLogs = key.startsWith('AWSLogs/') ? 0 : key.indexOf('/AWSLogs/') + 1;
  const prefix = awsLogs > 0 ? key.slice(0, awsLogs - 1) : undefined;

  if (name === TEST_FILE) {
    return {
      kind: 'test-file',
      isLog: false,
      reason: 'ELBAccessLogTestFile is the object ELB writes to test bucket permissions',
      ...(prefix !== undefined && { prefix }),
    };
  }
  const match = FILE_NAME.exec(name);
  if (match === null) return byContent(key, name, prefix);
  const [, logPrefix, account, region, lbPart, endTime, tail] = match;
  const loadBalancer = parseLoadBalancerPart(lbPart);
  if (loadBalancer === undefined) {
    return { kind: 'unknown', isLog: false, reason: `no load balancer in object name: ${name}` };
  }
  let kind: LogKind;
  if (logPrefix !== undefined) {
    if (loadBalancer.type !== 'app') {
      return {
        kind: 'unknown',
        isLog: false,
        reason: `unexpected ${logPrefix} object for ${loadBalancer.type}: ${name}`,
      };
    }
    kind = logPrefix === 'health_check_log_' ? 'alb-health' : 'alb-conn';
  } else {
    kind = loadBalancer.type === 'app' ? 'alb' : loadBalancer.type === 'net' ? 'nlb' : 'clb';
  }
  const info: S3KeyInfo = { kind, isLog: true, account, region, loadBalancer, endTime };
  if (prefix !== undefined) info.prefix = prefix;
  const underscore = tail.indexOf('_');
  if (underscore > 0) info.nodeIp = tail.slice(0, underscore);
  const path = PATH_AFTER_AWSLOGS.exec(key.slice(awsLogs));
  if (path !== null) info.date = `${path[3]}-${path[4]}-${path[5]}`;
  return info;
}

/**
 * A key whose name is not ELB's: a log by its content, with what its folders
 * and name still say, unless it is a folder marker or lies in another
 * service's folder of AWS's delivery (`AWSLogs/<account>/CloudTrail/…`).
 */
function byContent(key: string, name: string, prefix: string | undefined): S3KeyInfo {
  if (name === '') {
    return { kind: 'unknown', isLog: false, reason: `a folder, not an object: ${key}` };
  }
  const folders = AWSLOGS_FOLDERS.exec(key);
  const service = folders?.[2] ?? folders?.[4];
  if (folders !== null && service !== 'elasticloadbalancing') {
    return {
      kind: 'unknown',
      isLog: false,
      reason: `in the folder of another service (${folders[0].replace(/^\//, '')}), not ELB's: ${name}`,
    };
  }
  const info: S3KeyInfo = { kind: 'unknown', isLog: true, byContent: true };
  if (prefix !== undefined) info.prefix = prefix;
  if (folders !== null) {
    info.account = folders[1] ?? folders[3];
    const rest = key.slice(folders.index + folders[0].length);
    const below = ELB_FOLDERS.exec(rest);
    if (below !== null) {
      info.region = below[1];
      if (below[2] !== undefined) info.date = `${below[2]}-${below[3]}-${below[4]}`;
    } else {
      // A vended delivery's Hive-compatible folders (docs/vended-logs.md).
      const region = HIVE_REGION.exec(rest);
      if (region !== null) info.region = region[1];
      const day = HIVE_DAY.exec(rest);
      if (day !== null) info.date = `${day[1]}-${day[2]}-${day[3]}`;
    }
  }
  const head = NAME_HEAD.exec(name);
  // The time comes after the account, Region and load balancer, when the name has them.
  let rest = name;
  if (head !== null) {
    info.account ??= head[1];
    info.region ??= head[2];
    rest = name.slice(head.index + head[0].length);
    const after = NAME_LOAD_BALANCER.exec(rest);
    const loadBalancer = after === null ? undefined : parseLoadBalancerPart(after[1]);
    if (loadBalancer !== undefined) info.loadBalancer = loadBalancer;
    // The time after the load balancer (a Classic one may be named in digits).
    if (after !== null) rest = rest.slice(after[1].length);
  }
  const time = NAME_TIME.exec(rest);
  if (time !== null && isDate(time[1])) info.endTime = `${time[1]}T${time[2]}Z`;
  return info;
}

/** Whether `yyyymmdd` is a day of the calendar (not February 30th). */
function isDate(yyyymmdd: string): boolean {
  const [y, m, d] = [yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6)].map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function parseLoadBalancerPart(part: string): LoadBalancerRef | undefined {
  const match = LB_PART.exec(part);
  if (match !== null) {
    const type = match[1] as 'app' | 'net';
    return { type, name: match[2], id: match[3], resourceId: `${type}/${match[2]}/${match[3]}` };
  }
  if (CLASSIC_NAME.test(part)) return { type: 'classic', name: part, resourceId: part };
  return undefined;
}

/**
 * Reads a line's `elb` field (`app/my-lb/50dc6c495c0c9188`, `net/…/…`, or a
 * Classic load balancer's name).
 */
export function parseLoadBalancerId(elb: string): LoadBalancerRef {
  const first = elb.indexOf('/');
  const last = elb.lastIndexOf('/');
  if (first > 0 && last > first) {
    const type = elb.slice(0, first);
    if (type === 'app' || type === 'net') {
      return { type, name: elb.slice(first + 1, last), id: elb.slice(last + 1), resourceId: elb };
    }
  }
  return { type: 'classic', name: elb, resourceId: elb };
}

/** The ARN partition of a Region (`aws`, `aws-cn`, `aws-us-gov`, …). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

/** The load balancer's ARN. */
export function loadBalancerArn(lb: LoadBalancerRef, region: string, account: string): string {
  return `arn:${partitionOf(region)}:elasticloadbalancing:${region}:${account}:loadbalancer/${lb.resourceId}`;
}
