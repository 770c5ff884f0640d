/**
 * The in-memory shape of OpenTelemetry log records produced by the parsers.
 *
 * It mirrors the OTLP logs data model closely enough that the JSON and
 * protobuf encoders are straight walks over it, while keeping the types that
 * OTLP distinguishes but JavaScript does not (int64 versus double).
 *
 * @see https://opentelemetry.io/docs/specs/otel/logs/data-model/
 */

/** One typed attribute value, as OTLP's `AnyValue` restricted to what ELB logs need. */
export type Attribute =
  | { readonly key: string; readonly type: 'string'; readonly value: string }
  | { readonly key: string; readonly type: 'int'; readonly value: number }
  | { readonly key: string; readonly type: 'double'; readonly value: number }
  | { readonly key: string; readonly type: 'strings'; readonly value: readonly string[] };

/**
 * Where a parser puts attributes as it reads them: {@link AttributeList}
 * keeps them as {@link Attribute} values; the protobuf encoder writes them
 * straight into a request, with no object per attribute.
 */
export interface AttributeSink {
  string(key: string, value: string): void;
  int(key: string, value: number): void;
  double(key: string, value: number): void;
  strings(key: string, value: readonly string[]): void;
}

/** Collects attributes as values, in the order they came. */
export class AttributeList implements AttributeSink {
  readonly items: Attribute[] = [];

  string(key: string, value: string): void {
    this.items.push({ key, type: 'string', value });
  }

  int(key: string, value: number): void {
    this.items.push({ key, type: 'int', value });
  }

  double(key: string, value: number): void {
    this.items.push({ key, type: 'double', value });
  }

  strings(key: string, value: readonly string[]): void {
    this.items.push({ key, type: 'strings', value });
  }
}

/** A log record ready to be encoded. */
export interface LogRecord {
  /** Event time in nanoseconds since the Unix epoch; `0n` when unknown. */
  timeUnixNano: bigint;
  /** When elb-otlp read the line, in nanoseconds since the Unix epoch. */
  observedTimeUnixNano: bigint;
  /** OTLP severity number (9 INFO, 13 WARN, 17 ERROR). */
  severityNumber: number;
  severityText: string;
  /** The raw line, unless bodies are switched off. */
  body?: string;
  /** W3C trace id as 32 lowercase hex characters, when the line carries one. */
  traceId?: string;
  attributes: Attribute[];
}

/** The resource every record of one log object shares. */
export interface Resource {
  attributes: Attribute[];
}

export const SEVERITY_INFO = 9;
export const SEVERITY_WARN = 13;
export const SEVERITY_ERROR = 17;

/** Severity text for the numbers elb-otlp emits. */
export function severityText(severityNumber: number): string {
  if (severityNumber >= SEVERITY_ERROR) return 'ERROR';
  if (severityNumber >= SEVERITY_WARN) return 'WARN';
  return 'INFO';
}
