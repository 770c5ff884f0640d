import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../shared/formats/formats.ts';
import { REQUEST_ATTRIBUTES } from '../../shared/formats/request-line.ts';
import { VENDED_FORMAT_IDS, vendedColumn } from '../../shared/formats/vended-fields.ts';

/** A page of docs/, with runs of spaces folded (the formatter pads table cells). */
const page = (name: string) =>
  readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8').replace(/ +/g, ' ');

describe('docs/attribute-mapping.md', () => {
  const mapping = page('attribute-mapping.md');

  it.each(Object.values(FORMATS))('documents every field of the $title table', (format) => {
    expect(mapping).toContain(`### ${format.title} (\`${format.id}\`)`);
    for (const field of format.fields) {
      expect(mapping).toContain(`| \`${field.name}\` |`);
      for (const key of field.keys) {
        if (/^[a-z_]+\.[a-z_.]+$/.test(key)) expect(mapping).toContain(`\`${key}\``);
      }
    }
  });

  it.each(Object.values(FORMATS))(
    'lists the $title fields in the order of the code, each row with its own attributes',
    (format) => {
      const start = mapping.indexOf(`### ${format.title} (\`${format.id}\`)`);
      const end = mapping.indexOf('\n#', start + 1);
      const rows = mapping
        .slice(start, end === -1 ? undefined : end)
        .split('\n')
        .map((line) => /^\| (\d+) \| `([^`]+)` \|(.*)\|$/.exec(line))
        .filter((row) => row !== null);
      expect(rows.map((row) => Number(row[1]))).toEqual(format.fields.map((_, i) => i + 1));
      expect(rows.map((row) => row[2])).toEqual(format.fields.map((f) => f.name));
      rows.forEach((row, i) => {
        for (const key of format.fields[i].keys) {
          if (/^[a-z_]+\.[a-z_.]+$/.test(key)) expect(row[3], row[2]).toContain(`\`${key}\``);
        }
      });
    },
  );

  it('documents every request attribute', () => {
    for (const key of REQUEST_ATTRIBUTES) expect(mapping).toContain(`\`${key}\``);
  });
});

describe('docs/configuration.md', () => {
  const configuration = page('configuration.md');
  const sources = [
    'config/export-config.ts',
    'config/mapping-config.ts',
    'config/header-secrets.ts',
    'metrics/metrics-settings.ts',
    'config/environment.ts',
    'cost/cost-settings.ts',
    'cost/prices.ts',
  ].map((file) => readFileSync(new URL(`../../shared/${file}`, import.meta.url), 'utf8'));
  // Variable names appear quoted ('OTEL_ENDPOINT'), as keys of the zod schema,
  // or read as `env.NAME`; the AWS_ ones that Lambda sets (AWS_REGION) are AWS's.
  const variables = new Set(
    sources.flatMap((text) => [
      ...[...text.matchAll(/(?:'|^\s+)([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:'|:)/gm)].map((m) => m[1]),
      ...[...text.matchAll(/\benv\.([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)/g)]
        .map((m) => m[1])
        .filter((name) => !name.startsWith('AWS_')),
    ]),
  );

  it('reads at least the documented OpenTelemetry variables', () => {
    expect(variables).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(variables).toContain('OTEL_SERVICE_NAME');
  });

  it.each([...variables])('documents %s', (name) => {
    expect(configuration).toContain(`\`${name}\``);
  });
});

describe('docs/vended-logs.md', () => {
  const vended = page('vended-logs.md');

  it.each(VENDED_FORMAT_IDS.map((id) => FORMATS[id]))(
    'gives the $title fields in the order of the code, with its renames and its names without a classic field',
    (format) => {
      const spec = format.vended;
      if (spec === undefined) throw new Error(`${format.id} has no vended table`);
      const row = vended.split('\n').find((line) => line.startsWith(`| \`${spec.logType}\` |`));
      if (row === undefined) throw new Error(`no row for ${spec.logType}`);
      const cells = row.split(' | ');
      expect(cells[1]).toBe(format.title);
      expect(cells[2]).toBe(`\`${spec.fields.join(' ')}\``);
      const renames = Object.entries(spec.renames).map(([from, to]) => `\`${from}\` → \`${to}\``);
      if (renames.length === 0) expect(cells[3]).toBe('none');
      for (const rename of renames) expect(cells[3]).toContain(rename);
      const own = spec.fields
        .map((name) => vendedColumn(format, name))
        .filter((column) => column.index === -1)
        .map((column) => `\`${column.name}\` → \`${column.key}\``);
      expect(cells[4].replace(/ \|$/, '')).toBe(own.length === 0 ? 'none' : own.join(', '));
      for (const required of spec.required) expect(vended).toContain(`needs \`${required}\``);
    },
  );
});
