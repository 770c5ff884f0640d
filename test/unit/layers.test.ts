/**
 * Imports point one way: a module imports its own folder or a folder of a
 * lower layer, never one above it, nor a sibling of its own layer. Read one
 * log line from S3 to the HTTP body and the folders come in this order, so a
 * newcomer can read each layer knowing only the ones under it. Nothing but
 * the tests imports `test/`.
 *
 * The order is declared here, once, lowest first. A folder not yet in the
 * repository costs nothing; a folder with modules but no layer fails, so a
 * new folder is placed on purpose.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Layer {
  /** Folders (relative to the repository) in this layer; they may not import each other. */
  readonly folders: readonly string[];
  /** Why the layer sits where it does. */
  readonly why: string;
}

const LAYERS: readonly Layer[] = [
  {
    folders: ['receiver'],
    why: "the OTLP request decoder of the demo and the tests: independent of the project's encoders, so it imports none of them",
  },
  {
    folders: ['shared/contract'],
    why: "the state machine's contract: zod schemas and the errors Step Functions matches",
  },
  {
    folders: ['shared/records'],
    why: 'the record model, URL splitting and redaction: what parsers and encoders both use',
  },
  { folders: ['shared/formats'], why: 'ELB log formats: field tables, tokenizer, line parsers' },
  {
    folders: ['shared/config'],
    why: 'settings read and checked once: export, mapping, protocol names, config errors',
  },
  {
    folders: ['shared/otlp'],
    why: 'OTLP on the wire: line and batch encoders, transport, exporter',
  },
  {
    folders: ['shared/s3'],
    why: 'S3: ranged reads, compression told from the first bytes, deletes, S3 errors',
  },
  {
    folders: ['shared/cost'],
    why: "a run's cost estimate: prices, and the counts AWS bills for (the reader's range size among them)",
  },
  {
    folders: ['shared/pipeline'],
    why: 'one object or chunk: bytes, lines, records, batches, counts',
  },
  {
    folders: ['shared/reprocess', 'shared/metrics'],
    why: 'the engines of a run: reprocessing (plan, chunks, report), and one metrics run',
  },
  {
    folders: ['shared/ingest'],
    why: 'live ingestion: each new object shipped as one chunk of a reprocessing run',
  },
  {
    folders: ['shared/runtime'],
    why: "a Lambda container's start-up: export settings, headers and clients, built once",
  },
  {
    folders: ['shared/remote'],
    why: 'the deployed stack from outside: its state machine found, a run followed to its report',
  },
  {
    folders: ['shared/local', 'shared/generate'],
    why: 'local stand-ins: the state machine run on this machine, generated ELB logs',
  },
  {
    folders: ['functions', 'cli'],
    why: 'entry points: Lambda handlers and the command line, each composed from shared/ alone',
  },
  {
    folders: ['demo', 'bench'],
    why: 'the demo and the benchmarks, which drive the command line and the engines',
  },
];

const CHECKED_ROOTS = ['receiver', 'shared', 'functions', 'cli', 'demo', 'bench'];

interface Violation {
  from: string;
  line: number;
  to: string;
  problem: string;
}

/** The folder of `LAYERS` that holds `path`, and its layer's index; `undefined` outside them all. */
function placeOf(path: string): { folder: string; layer: number } | undefined {
  for (const [layer, { folders }] of LAYERS.entries()) {
    for (const folder of folders) if (path.startsWith(`${folder}/`)) return { folder, layer };
  }
  return undefined;
}

/** `import … from`, `export … from`, `import '…'` and `import('…')`: the relative ones. */
const IMPORT = /\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** `specifier` as written in `from`, resolved to a path relative to the repository. */
function resolve(from: string, specifier: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}

/** Every import of `sources` (path → text, paths relative to the repository) that breaks the order. */
function importViolations(sources: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [from, text] of sources) {
    const here = placeOf(from);
    if (here === undefined) {
      violations.push({ from, line: 0, to: '', problem: 'its folder has no layer in LAYERS' });
      continue;
    }
    for (const match of text.matchAll(IMPORT)) {
      const to = resolve(from, match[1]);
      const line = text.slice(0, match.index).split('\n').length;
      const there = placeOf(to);
      let problem: string | undefined;
      if (to.startsWith('test/')) problem = 'only the tests import test/';
      else if (there === undefined || there.folder === here.folder) continue;
      else if (there.layer > here.layer)
        problem = `${there.folder} is a layer above ${here.folder}`;
      else if (there.layer === here.layer)
        problem = `${there.folder} is a sibling of ${here.folder} in the same layer`;
      if (problem !== undefined) violations.push({ from, line, to, problem });
    }
  }
  return violations;
}

const describeViolation = (v: Violation) => `${v.from}:${v.line} imports ${v.to}: ${v.problem}`;

/** The `.ts` files of the checked folders, path → text. */
function repositorySources(): Map<string, string> {
  const root = new URL('../../', import.meta.url);
  const sources = new Map<string, string>();
  for (const top of CHECKED_ROOTS) {
    for (const entry of readdirSync(new URL(`${top}/`, root), { recursive: true })) {
      const path = `${top}/${entry}`;
      if (path.endsWith('.ts')) sources.set(path, readFileSync(new URL(path, root), 'utf8'));
    }
  }
  return sources;
}

describe('the layers checker', () => {
  it.each([
    {
      name: 'allows an import of a lower layer',
      from: 'shared/otlp/batch-encoder.ts',
      source: "import type { LogRecord } from '../records/model.ts';",
      expected: [],
    },
    {
      name: 'allows an import of its own folder',
      from: 'shared/formats/parse-fields.ts',
      source: "import { tokenize } from './tokenizer.ts';",
      expected: [],
    },
    {
      name: 'ignores packages and files outside the layers',
      from: 'shared/otlp/scope.ts',
      source:
        "import { z } from 'zod';\nimport pkg from '../../package.json' with { type: 'json' };",
      expected: [],
    },
    {
      name: 'flags a parser importing the wire encoders',
      from: 'shared/formats/parse-fields.ts',
      source: "import { x } from './values.ts';\nimport type { Y } from '../otlp/model.ts';",
      expected: [
        'shared/formats/parse-fields.ts:2 imports shared/otlp/model.ts: shared/otlp is a layer above shared/formats',
      ],
    },
    {
      name: 'flags an import spread over lines and an export from',
      from: 'shared/config/export-config.ts',
      source:
        "import {\n  a,\n  b,\n} from '../otlp/batch-encoder.ts';\nexport { c } from '../s3/client.ts';",
      expected: [
        'shared/config/export-config.ts:4 imports shared/otlp/batch-encoder.ts: shared/otlp is a layer above shared/config',
        'shared/config/export-config.ts:5 imports shared/s3/client.ts: shared/s3 is a layer above shared/config',
      ],
    },
    {
      name: 'flags the command line loading a handler on demand',
      from: 'cli/commands/ship.ts',
      source: "const { handler } = await import('../../functions/ingest.ts');",
      expected: [
        'cli/commands/ship.ts:1 imports functions/ingest.ts: functions is a sibling of cli in the same layer',
      ],
    },
    {
      name: 'flags a shared module importing a handler',
      from: 'shared/reprocess/plan.ts',
      source: "import { x } from '../../functions/plan.ts';",
      expected: [
        'shared/reprocess/plan.ts:1 imports functions/plan.ts: functions is a layer above shared/reprocess',
      ],
    },
    {
      name: 'flags anything but a test importing test/',
      from: 'shared/pipeline/ship-object.ts',
      source: "import { y } from '../../test/helpers/ship.ts';",
      expected: [
        'shared/pipeline/ship-object.ts:1 imports test/helpers/ship.ts: only the tests import test/',
      ],
    },
    {
      name: 'flags a folder with no layer',
      from: 'shared/misc/helpers.ts',
      source: "import { y } from '../records/model.ts';",
      expected: ['shared/misc/helpers.ts:0 imports : its folder has no layer in LAYERS'],
    },
  ])('$name', ({ from, source, expected }) => {
    expect(importViolations(new Map([[from, source]])).map(describeViolation)).toEqual(expected);
  });
});

describe('imports in this repository', () => {
  const violations = importViolations(repositorySources());

  it('point down the layers (shared/ and cli/ never import functions/, nothing imports test/)', () => {
    expect(violations.map(describeViolation)).toEqual([]);
  });
});
