/**
 * What a Prometheus server's OTLP receiver (`/api/v1/otlp/v1/metrics`) makes
 * of an OTLP metric: its series name under each `otlp.translation_strategy`,
 * and its `job` and `instance` labels. No Prometheus runs in the tests, so
 * the rules are written out here from Prometheus's own translator,
 * prometheus/otlptranslator (`metric_namer.go` and `unit_namer.go`, which
 * Prometheus 3 uses), for the units and types elb-otlp sends:
 *
 * - with suffixes, a unit adds its Prometheus word (`s` → `seconds`, `By` →
 *   `bytes`, `%` → `percent`, `/s` → `per_second`); a unit in braces
 *   (`{count}`) adds nothing; a monotonic sum, delta or cumulative, ends in
 *   `_total`;
 * - the underscore-escaping strategies split the name on what is not
 *   `[a-zA-Z0-9:]` and skip a unit word the name already holds as a token;
 *   `NoUTF8EscapingWithSuffixes` keeps the name and skips a unit word only
 *   when the name ends in it;
 * - `job` is `service.namespace/service.name`, `instance` is
 *   `service.instance.id`;
 * - the sample's time is `time_unix_nano`, in milliseconds.
 *
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#otlp
 * @see https://github.com/prometheus/otlptranslator/blob/main/metric_namer.go
 */

export const TRANSLATION_STRATEGIES = [
  'UnderscoreEscapingWithSuffixes',
  'NoUTF8EscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
  'NoTranslation',
] as const;
export type TranslationStrategy = (typeof TRANSLATION_STRATEGIES)[number];

/** What names a series: the OTLP metric's name, unit and type. */
export interface OtlpMetricShape {
  name: string;
  unit: string;
  type: 'gauge' | 'monotonic-sum';
}

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TiBy: 'tibibytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};
const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** The main and "per" words of a UCUM unit: `By/s` → `['bytes', 'per_second']`. */
function unitWords(unit: string): [string, string] {
  const [main = '', per] = unit.split(/\/(.*)/s, 2).map((part) => part.trim());
  const mainWord = main !== '' && !/[{}]/.test(main) ? (UNIT_WORDS[main] ?? main) : '';
  let perWord = '';
  if (per !== undefined && per !== '' && !/[{}]/.test(per)) {
    perWord = `per_${PER_UNIT_WORDS[per] ?? per}`;
  }
  return [mainWord, perWord];
}

/** The series name Prometheus stores the metric under, by `strategy`. */
export function prometheusName(metric: OtlpMetricShape, strategy: TranslationStrategy): string {
  switch (strategy) {
    case 'NoTranslation':
      return metric.name;
    case 'UnderscoreEscapingWithoutSuffixes': {
      const joined = metric.name
        .split(/[^a-zA-Z0-9:_]+/)
        .filter((part) => part !== '')
        .join('_');
      return /^\d/.test(joined) ? `_${joined}` : joined;
    }
    case 'NoUTF8EscapingWithSuffixes':
      return withSuffixesUnescaped(metric);
    case 'UnderscoreEscapingWithSuffixes':
      return withSuffixesEscaped(metric);
  }
}

function withSuffixesEscaped({ name, unit, type }: OtlpMetricShape): string {
  let tokens = name.split(/[^a-zA-Z0-9:]+/).filter((token) => token !== '');
  const clean = (word: string) =>
    word
      .replace(/[^a-zA-Z0-9:]/g, '_')
      .replace(/__+/g, '_')
      .replace(/^_/, '');
  let [main, per] = unitWords(unit).map(clean) as [string, string];
  if (tokens.includes(main)) main = '';
  per = per === 'per_' ? '' : per.replace(/_$/, '');
  if (tokens.includes(per)) per = '';
  if (per !== '') main = main.replace(/_$/, '');
  if (main !== '') tokens.push(main);
  if (per !== '') tokens.push(per);
  if (type === 'monotonic-sum') tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && type === 'gauge') tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
  const joined = tokens.join('_');
  return /^\d/.test(joined) ? `_${joined}` : joined;
}

function withSuffixesUnescaped({ name: input, unit, type }: OtlpMetricShape): string {
  const trim = (name: string, suffix: string) =>
    name.endsWith(suffix) && name.length > suffix.length + 1
      ? name.slice(0, -(suffix.length + 1))
      : name;
  let name = input;
  const after: string[] = [];
  if (unit === '1' && type === 'gauge') {
    name = trim(name, 'ratio');
    after.unshift('ratio');
  }
  if (type === 'monotonic-sum') {
    name = trim(name, 'total');
    after.unshift('total');
  }
  const [main, per] = unitWords(unit);
  if (per !== '') {
    name = trim(name, per);
    after.unshift(per);
  }
  if (main !== '' && !name.endsWith(main)) name = `${name}_${main}`;
  return [name, ...after].join('_');
}

/** The `job` and `instance` labels Prometheus derives from a resource's attributes. */
export function identityLabels(resource: Record<string, unknown>): Record<string, string> {
  const labels: Record<string, string> = {};
  const name = resource['service.name'];
  const namespace = resource['service.namespace'];
  if (typeof name === 'string') {
    labels.job = typeof namespace === 'string' ? `${namespace}/${name}` : name;
  }
  const instance = resource['service.instance.id'];
  if (typeof instance === 'string') labels.instance = instance;
  return labels;
}
