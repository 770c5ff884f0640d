/**
 * The documentation's shape: the README stays a first screen ending with an
 * index of every page of docs/ (new material goes into a page, not into the
 * README), and every relative link of the README, CONTRIBUTING.md and docs/
 * reaches a file and, with a `#fragment`, one of its headings.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The README's ceiling: what a newcomer reads before the index. */
const MAX_README_BYTES = 15 * 1024;

const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .map((file) => `docs/${file}`);
const PAGES = ['README.md', 'CONTRIBUTING.md', ...DOCS];

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The text outside fenced code blocks (a `#` in a shell block is no heading). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/**
 * The anchors GitHub gives a page's headings: the heading's text (links
 * reduced to their text) in lower case, without characters other than
 * letters, digits, spaces, hyphens and underscores, spaces as hyphens, and
 * `-1`, `-2`… after a repeated one.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const slug = (text as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of a page's inline links, outside code. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()]/g, ' '));
  return [...text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1] as string);
}

describe('the README', () => {
  const readme = read('README.md');

  it(`stays within ${MAX_README_BYTES} bytes`, () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(MAX_README_BYTES);
  });

  it('gives the install and test commands on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 25).join('\n');
    expect(firstScreen).toMatch(/^npm ci && npm start\b/m);
    expect(firstScreen).toMatch(/^npm test\b/m);
  });

  it('ends with a documentation index linking every page of docs/ and CONTRIBUTING.md', () => {
    const sections = readme.split(/^## /m);
    const last = sections.at(-1) as string;
    expect(last.split('\n')[0]).toBe('Documentation');
    const indexed = new Set(linkTargets(last).map((target) => target.split('#')[0]));
    expect(DOCS.length).toBeGreaterThanOrEqual(10);
    for (const page of [...DOCS, 'CONTRIBUTING.md']) expect([...indexed], page).toContain(page);
  });
});

/** A page's links within the repository (not `https:`, `mailto:`…). */
const relativeTargets = (page: string) =>
  linkTargets(read(page)).filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));

describe('relative links', () => {
  it('are there to check, with fragments', () => {
    const targets = PAGES.flatMap(relativeTargets);
    expect(targets.length).toBeGreaterThan(50);
    expect(targets.filter((target) => target.includes('#')).length).toBeGreaterThan(20);
  });

  it.each(PAGES)('in %s reach a file and a heading of it', (page) => {
    const targets = relativeTargets(page);
    for (const target of targets) {
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const file = path === '' ? page : relative(ROOT, join(ROOT, dirname(page), path));
      expect(existsSync(join(ROOT, file)), `${page}: ${target}`).toBe(true);
      if (fragment !== undefined) {
        expect([...headingAnchors(read(file))], `${page}: ${target}`).toContain(fragment);
      }
    }
  });
});

describe('heading anchors', () => {
  it.each([
    [
      'lower case, spaces as hyphens',
      '## Limits and failure semantics',
      'limits-and-failure-semantics',
    ],
    ['drops punctuation and code marks', '## `elb-otlp ship`', 'elb-otlp-ship'],
    [
      'drops a colon, keeps the hyphens',
      '## Serverless path: the `metrics` function',
      'serverless-path-the-metrics-function',
    ],
    ['keeps underscores and digits', '### S3 keys_2', 's3-keys_2'],
  ])('%s', (_, heading, anchor) => {
    expect([...headingAnchors(heading)]).toEqual([anchor]);
  });

  it('numbers repeated headings', () => {
    expect([...headingAnchors('## Options\n\n## Options\n\n## Options\n')]).toEqual([
      'options',
      'options-1',
      'options-2',
    ]);
  });

  it('ignores # lines in code blocks', () => {
    expect([...headingAnchors('```sh\n# a comment\n```\n\n## Real\n')]).toEqual(['real']);
  });
});
