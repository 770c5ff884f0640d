/**
 * docs/performance.md#cost shows what the estimator computes: its price list
 * is the one the estimator uses, its cost table and arithmetic are what
 * test/helpers/cost-table.ts renders from the estimator (print it with
 * `node test/helpers/cost-table.ts`), and with work units the orchestration
 * is at most a quarter of the compute for objects of 2,000 lines and more,
 * and at most half of it for the 500-line objects, whose units Step
 * Functions' 256 KiB payload keeps small.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLEETS, fleetEstimate, renderCostTable, renderPriceTable } from '../helpers/cost-table.ts';

const page = readFileSync(new URL('../../docs/performance.md', import.meta.url), 'utf8');

describe('docs/performance.md', () => {
  it.each([
    ['the prices the estimator uses', renderPriceTable()],
    ['the cost table and its arithmetic, as the estimator computes them', renderCostTable()],
  ])('shows %s', (_name, rendered) => {
    expect(page).toContain(rendered);
  });

  it.each(
    FLEETS.map((fleet) => [fleet.name, fleet.linesPerObject < 2000 ? 2 : 4, fleet.linesPerObject]),
  )(
    '%s objects: orchestration at most 1/%s of the compute with units',
    (_name, share, linesPerObject) => {
      const units = fleetEstimate(linesPerObject, 'units');
      expect(units.usd.orchestration).toBeLessThanOrEqual(units.usd.compute / share);
    },
  );
});
