/**
 * What a reprocessing run prints as it goes, the same whether it runs on this
 * machine or in the deployed stack: the plan in one line, and progress.
 */

import type { PlanSummary } from '../../shared/contract/state-machine.ts';

/** The plan in one line: what the run covers and what it left out. */
export function describePlan(plan: PlanSummary): string {
  const skipped = Object.entries(plan.skipped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${SKIP_WORDS[reason as keyof PlanSummary['skipped']]}`);
  const mib = (plan.bytes / 1048576).toFixed(1);
  const usd = plan.estimate?.usd;
  const cost =
    usd === undefined
      ? ''
      : `; estimated in AWS $${usd.total} (compute $${usd.compute}, orchestration $${usd.orchestration}, S3 $${usd.s3Requests})`;
  return `planned ${plan.objects} objects (${plan.emptyObjects} empty, ${mib} MiB stored) in ${plan.chunks} chunks, ${plan.units} units${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}${cost}`;
}

const SKIP_WORDS: Record<keyof PlanSummary['skipped'], string> = {
  testFile: 'ELB test file(s)',
  notALog: 'key(s) that are not ELB logs',
  outsideWindow: 'outside --from/--to',
  otherLoadBalancer: 'of other load balancers',
  missing: 'missing key(s)',
};

/**
 * A re-run that deletes because the run it re-runs asked to, without
 * --delete or --no-delete given: said, with how to keep the objects.
 */
export function retryDeletionLine(
  plan: PlanSummary,
  deleteAsked: boolean | undefined,
): string | undefined {
  if (plan.retryOf === undefined || !plan.deleteProcessed || deleteAsked !== undefined) {
    return undefined;
  }
  const deleting = plan.dryRun ? 'a run would delete' : 'deleting';
  return `${deleting} fully shipped objects, as run ${plan.retryOf} asked (--no-delete keeps them)`;
}
