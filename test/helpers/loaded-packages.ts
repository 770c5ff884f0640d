/**
 * Prints, as a JSON array, the npm packages a module loads (itself and what
 * it imports at once), by watching module resolution. Run as
 * `node loaded-packages.ts MODULE`.
 */

import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    const inside = result.url.split('/node_modules/').at(-1) as string;
    if (inside !== result.url) {
      const parts = inside.split('/');
      loaded.add(parts.slice(0, inside.startsWith('@') ? 2 : 1).join('/'));
    }
    return result;
  },
});
await import(pathToFileURL(process.argv[2] as string).href);
process.stdout.write(`${JSON.stringify([...loaded].sort())}\n`);
