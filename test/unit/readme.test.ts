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

  it('documents every request attribute', () => {
    for (const key of REQUEST_ATTRIBUTES) expect(readme).toContain(`\`${key}\``);
  });
});
