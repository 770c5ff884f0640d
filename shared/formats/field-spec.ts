/**
 * Field tables: each log format is a list of the fields AWS documents, in
 * order, each saying how its value becomes part of the log record. The tables
 * drive the parser and the attribute mapping documented in docs/attribute-mapping.md.
 */

/** How one field's text turns into record data. */
export type FieldKind =
  /** The record's `timeUnixNano`; a line without a valid one is a parse error. */
  | 'time'
  /** The load balancer id (`app/name/hex`, `net/name/hex` or a Classic name); becomes the resource. */
  | 'elb'
  /** A string attribute `keys[0]`. */
  | 'string'
  /** A URL into string attribute `keys[0]`, its credentials and sensitive query values redacted. */
  | 'url'
  /** An int attribute `keys[0]`. */
  | 'int'
  /** A double attribute `keys[0]` (timings, `-1` kept). */
  | 'double'
  /** `address:port` into `keys[0]` (string) and `keys[1]` (int). */
  | 'host-port'
  /** The HTTP request line into the `http.*`, `url.*`, `server.*`, `network.protocol.*` attributes. */
  | 'request'
  /** The load balancer's HTTP status: int `keys[0]` and the record's severity. */
  | 'status'
  /** `TLSv1.2` or `tlsv12` into `keys[0]` as `1.2`. */
  | 'tls-version'
  /** The X-Amzn-Trace-Id header: raw into `keys[0]`, and the record's W3C `traceId`. */
  | 'trace'
  /** Comma-separated list into string-array `keys[0]`. */
  | 'comma-list'
  /** Space-separated list into string-array `keys[0]`. */
  | 'space-list'
  /** NLB's URL-encoded `"h2","http/1.1"` into string-array `keys[0]`. */
  | 'alpn-list'
  /** `NotBefore=<iso>;NotAfter=<iso>` into `keys[0]` and `keys[1]`. */
  | 'cert-validity'
  /** A status string into `keys[0]`; values starting with `keys[1]` make the record a WARN. */
  | 'warn-status'
  /** `address:port` like host-port, or a Lambda ARN into `keys[2]`. */
  | 'target'
  /**
   * Classic ELB byte counts: HTTP listeners count the body only (`keys[0]`),
   * TCP/SSL listeners (request `- - - `) count raw bytes (`keys[1]`).
   */
  | 'clb-bytes';

/**
 * Small integers for the kinds: the parser switches on these, which compiles
 * to a jump table instead of a chain of string comparisons per field.
 */
export const KIND_CODES: Readonly<Record<FieldKind, number>> = {
  time: 0,
  elb: 1,
  string: 2,
  int: 3,
  double: 4,
  'host-port': 5,
  request: 6,
  status: 7,
  'tls-version': 8,
  trace: 9,
  'comma-list': 10,
  'space-list': 11,
  'alpn-list': 12,
  'cert-validity': 13,
  'warn-status': 14,
  target: 15,
  'clb-bytes': 16,
  url: 17,
};

/** One documented field of a log format. */
export interface FieldSpec {
  /** The field's name in the AWS documentation. */
  readonly name: string;
  readonly kind: FieldKind;
  /** {@link KIND_CODES} of `kind`. */
  readonly code: number;
  /** The attribute names the kind writes, in the order the kind documents. */
  readonly keys: readonly string[];
}

/** The identifiers of the log formats elb-otlp reads. */
export type LogFormatId = 'alb' | 'alb-conn' | 'alb-health' | 'nlb' | 'clb';

export const LOG_FORMAT_IDS: readonly LogFormatId[] = [
  'alb',
  'alb-conn',
  'alb-health',
  'nlb',
  'clb',
];

/** A log format: its documented fields and how many of them a line must have. */
export interface LogFormatSpec {
  readonly id: LogFormatId;
  readonly title: string;
  /** Page documenting the format. */
  readonly source: string;
  readonly fields: readonly FieldSpec[];
  /** Lines with fewer fields are parse errors (older layouts are shorter, not different). */
  readonly minFields: number;
  /** How CloudWatch Logs' vended delivery names the fields; absent for formats it does not deliver. */
  readonly vended?: VendedSpec;
}

/**
 * A log type of CloudWatch Logs' vended delivery (docs/vended-logs.md): its
 * records carry named fields, mapped by name onto the classic table beside
 * it, so both give the same record.
 */
export interface VendedSpec {
  /** The delivery source's `logType`. */
  readonly logType: string;
  /**
   * The delivery's record fields, in their default order: AWS's field
   * catalogue as the CDK lists it, lower-cased (the wire strings are
   * unpublished; {@link normaliseFieldName} makes `client:port`,
   * `Client-Port` and `client_port` one name).
   */
  readonly fields: readonly string[];
  /** Vended names that are not the classic field's name, normalised: vended → classic. */
  readonly renames: Readonly<Record<string, string>>;
  /** Fields a record cannot do without: one that lacks any is a parse error. */
  readonly required: readonly string[];
}

/**
 * A field name as the vended path compares it: lower case, every run of
 * other characters than letters and digits one `_`, none at either end
 * (`client:port`, `CLIENT_PORT` and `client-port` are all `client_port`).
 */
export function normaliseFieldName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Shorthand for a field table row. */
export function field(name: string, kind: FieldKind, ...keys: string[]): FieldSpec {
  return { name, kind, code: KIND_CODES[kind], keys };
}

/** Attribute that holds the fields AWS appended after the last documented one. */
export const EXTRA_FIELDS_KEY = 'aws.elb.extra_fields';
