/**
 * Named fields of CloudWatch Logs' vended delivery (docs/vended-logs.md):
 * which classic field a name stands for, and which log type a set of names
 * belongs to. The names come from JSON keys, a W3C `#Fields:` header, a
 * Parquet schema or the field list of a `plain` delivery; each format's
 * `vended` table (beside its classic table) says how it names its fields.
 */

import {
  LOG_FORMAT_IDS,
  type LogFormatId,
  type LogFormatSpec,
  normaliseFieldName,
} from './field-spec.ts';
import { FORMATS } from './formats.ts';

/** Where one named field of a record goes. */
export interface VendedColumn {
  /** The name as the record wrote it (error messages quote it). */
  readonly name: string;
  /** Its index in the format's classic table, or -1 when it has none. */
  readonly index: number;
  /** For a name without a classic field: the attribute it becomes, `aws.elb.<name>`. */
  readonly key: string;
}

/** The formats CloudWatch Logs delivers, in the order a tie between them is settled. */
export const VENDED_FORMAT_IDS: readonly LogFormatId[] = LOG_FORMAT_IDS.filter(
  (id) => FORMATS[id].vended !== undefined,
);

const classicIndexes = new WeakMap<LogFormatSpec, Map<string, number>>();

/**
 * Index of the classic field a vended name stands for in `format`, or -1:
 * the name normalised, through the format's renames, against its classic
 * names normalised (so `client:port`, a W3C header's spelling, works too).
 */
export function classicIndexOf(format: LogFormatSpec, name: string): number {
  let indexes = classicIndexes.get(format);
  if (indexes === undefined) {
    indexes = new Map(format.fields.map((spec, i) => [normaliseFieldName(spec.name), i]));
    for (const [vended, classic] of Object.entries(format.vended?.renames ?? {})) {
      const index = indexes.get(normaliseFieldName(classic));
      if (index === undefined) throw new Error(`${format.id}: rename to unknown field ${classic}`);
      indexes.set(vended, index);
    }
    classicIndexes.set(format, indexes);
  }
  return indexes.get(normaliseFieldName(name)) ?? -1;
}

/** The column of `name` in `format`. */
export function vendedColumn(format: LogFormatSpec, name: string): VendedColumn {
  const index = classicIndexOf(format, name);
  return { name, index, key: index === -1 ? `aws.elb.${normaliseFieldName(name)}` : '' };
}

/** Every name a format's records may carry, normalised: its vended fields and its classic names. */
function knownNames(id: LogFormatId): Set<string> {
  const format = FORMATS[id];
  return new Set([
    ...(format.vended?.fields ?? []).map(normaliseFieldName),
    ...format.fields.map((spec) => normaliseFieldName(spec.name)),
  ]);
}

const KNOWN = new Map(VENDED_FORMAT_IDS.map((id) => [id, knownNames(id)]));

/** Names only one log type has: they tell the type apart. */
const OWN = new Map(
  VENDED_FORMAT_IDS.map((id) => [
    id,
    new Set(
      [...(KNOWN.get(id) as Set<string>)].filter((name) =>
        VENDED_FORMAT_IDS.every((other) => other === id || !KNOWN.get(other)?.has(name)),
      ),
    ),
  ]),
);

/**
 * The log type whose records carry the fields `names`, or `undefined` when
 * they are not a vended ELB record's: at least two of the names must be
 * known to a log type, and at least half of them. The type with the most
 * names of its own wins (`request_line` is the access log's,
 * `tls_handshake_latency` the connection log's, `target_addr` the
 * health-check log's, `listener` the NLB's); names the types share
 * (`time`, `elb`, `type`…) settle on NLB when `elb` is `net/…`, else on the
 * first of {@link VENDED_FORMAT_IDS} that knows them all.
 *
 * @example
 * vendedFormatOf(['time', 'client_ip', 'tls_handshake_latency']); // 'alb-conn'
 */
export function vendedFormatOf(names: readonly string[], elb?: string): LogFormatId | undefined {
  const normalised = names.map(normaliseFieldName);
  let best: LogFormatId | undefined;
  let bestOwn = 0;
  let tie = false;
  for (const id of VENDED_FORMAT_IDS) {
    const known = KNOWN.get(id) as Set<string>;
    const knownCount = normalised.filter((name) => known.has(name)).length;
    if (knownCount < 2 || knownCount * 2 < normalised.length) continue;
    const own = normalised.filter((name) => OWN.get(id)?.has(name)).length;
    if (own > bestOwn) {
      best = id;
      bestOwn = own;
      tie = false;
    } else if (own === bestOwn && own > 0) {
      tie = true;
    }
  }
  if (best !== undefined) return tie ? undefined : best;
  if (elb?.startsWith('net/') && fits('nlb', normalised)) return 'nlb';
  return VENDED_FORMAT_IDS.find((id) => fits(id, normalised));
}

/** Whether a log type knows every one of `names`, at least two of them. */
function fits(id: LogFormatId, names: readonly string[]): boolean {
  const known = KNOWN.get(id) as Set<string>;
  return names.length >= 2 && names.every((name) => known.has(name));
}

/** An ALB's or NLB's `elb` value: `app/<name>/<id>` or `net/<name>/<id>`. */
const ELB_ID = /^(app|net)\/[A-Za-z0-9-]+\/[0-9a-f]+$/;

/**
 * {@link vendedFormatOf}, for names found in a file rather than given by
 * the user: they must also look like an ELB record, by an `elb` value of
 * an ALB's or NLB's form (or, when `named` is set, an `elb` name), or by at
 * least two names only that log type has and four in five names known to
 * it. Another service's JSON logs (`time`, `status`, `latency`…) are then
 * not taken for ELB records.
 */
export function foundVendedFormat(
  names: readonly string[],
  elb: string | undefined,
  named = false,
): LogFormatId | undefined {
  const format = vendedFormatOf(names, elb);
  if (format === undefined) return undefined;
  const normalised = names.map(normaliseFieldName);
  if (elb !== undefined ? ELB_ID.test(elb) : named && normalised.includes('elb')) return format;
  const known = KNOWN.get(format) as Set<string>;
  const own = OWN.get(format) as Set<string>;
  const knownCount = normalised.filter((name) => known.has(name)).length;
  const ownCount = normalised.filter((name) => own.has(name)).length;
  return ownCount >= 2 && knownCount * 5 >= normalised.length * 4 ? format : undefined;
}
