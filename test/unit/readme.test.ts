import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../shared/formats/formats.ts';
import { REQUEST_ATTRIBUTES } from '../../shared/formats/request-line.ts';

// Table cells are padded by the formatter: compare with runs of spaces folded.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(
  / +/g,
  ' ',
);

describe('README attribute mapping', () => {
  it.each(Object.values(FORMATS))('documents every field of the $title table', (format) => {
    expect(readme).toContain(`#### ${format.title} (\`${format.id}\`)`);
    for (const field of format.fields) {
      expect(readme).toContain(`| \`${field.name}\` |`);
      for (const key of field.keys) {
        if (/^[a-z_]+\.[a-z_.]+$/.test(key)) expect(readme).toContain(`\`${key}\``);
      }
    }
  });

  it.each(Object.values(FORMATS))(
    'lists the $title fields in the order of the code, each row with its own attributes',
    (format) => {
      const start = readme.indexOf(`#### ${format.title} (\`${format.id}\`)`);
      const end = readme.indexOf('\n#', start + 1);
      const rows = readme
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
    for (const key of REQUEST_ATTRIBUTES) expect(readme).toContain(`\`${key}\``);
  });
});

describe('README configuration', () => {
  const sources = [
    'config/export-config.ts',
    'config/mapping-config.ts',
    'config/header-secrets.ts',
    'metrics/metrics-settings.ts',
  ].map((file) => readFileSync(new URL(`../../shared/${file}`, import.meta.url), 'utf8'));
  // Variable names appear quoted ('OTEL_ENDPOINT') or as keys of the zod schema.
  const variables = new Set(
    sources.flatMap((text) =>
      [...text.matchAll(/(?:'|^\s+)([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:'|:)/gm)].map((m) => m[1]),
    ),
  );

  it('reads at least the documented OpenTelemetry variables', () => {
    expect(variables).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(variables).toContain('OTEL_SERVICE_NAME');
  });

  it.each([...variables])('documents %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });
});
