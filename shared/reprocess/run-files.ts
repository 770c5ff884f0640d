/**
 * Where a reprocessing run keeps its files: everything under its own folder
 * of the work location (`<work prefix><run id>/`): the listing's parts, the
 * unit manifest's files, each pass's manifest, the Distributed Map's
 * results and report.json (docs/design.md#run-files).
 */

export interface WorkLocation {
  bucket: string;
  /** Key prefix of this run's files (manifest, results, report), ending in `/`. */
  prefix: string;
}

/** A run's own folder of the work location where runs keep their files: `<prefix><runId>/`. */
export function runWork(work: WorkLocation, runId: string): WorkLocation {
  return { bucket: work.bucket, prefix: `${work.prefix}${runId}/` };
}

/** The keys of a run's files, under its work location. */
export function runFiles(work: WorkLocation) {
  return {
    /** The unit manifest's files, one a plan worker. */
    manifest: `${work.prefix}manifest/`,
    manifestPart: (worker: number) =>
      `${work.prefix}manifest/part-${String(worker).padStart(2, '0')}.jsonl`,
    /** The listing's parts, which the plan workers share out. */
    parts: `${work.prefix}plan/parts.json`,
    /** The manifest of pass `number` (its unfinished units). */
    pass: (number: number) => `${work.prefix}pass-${number}/`,
    /** Where the Distributed Map's ResultWriter writes. */
    results: `${work.prefix}results`,
    /** The plan summary, written once the plan is whole. */
    plan: `${work.prefix}plan.json`,
    report: `${work.prefix}report.json`,
    /** The deletion ledger: what the workers deleted, recorded before each delete. */
    deletions: `${work.prefix}deletions/`,
    /** The report's per-object detail, one object a line. */
    objects: `${work.prefix}objects.jsonl`,
  };
}

/** The work location of the run whose manifest lies under `manifestPrefix` (`<run>/manifest/`). */
export function runFolderOf(manifestPrefix: string): string {
  return manifestPrefix.replace(/manifest\/$/, '');
}

/** The `s3://` address of a run's deletion ledger, as its units carry it. */
export function ledgerOf(work: WorkLocation): string {
  return `s3://${work.bucket}/${runFiles(work).deletions}`;
}
