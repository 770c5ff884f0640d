/**
 * The report step of one synthetic run, in a process of its own so its
 * peak RSS is the report's alone (bench/scale.ts starts it): `node
 * bench/report-run.ts '<{"endpoint", "plan", "passes"}>'` prints the summary.
 */

import { S3Client } from '@aws-sdk/client-s3';
import type { MapResults, PlanSummary } from '../shared/contract/state-machine.ts';
import { reportRun } from '../shared/reprocess/report.ts';

const { endpoint, plan, passes } = JSON.parse(process.argv[2] ?? '{}') as {
  endpoint: string;
  plan: PlanSummary;
  passes: MapResults[];
};
const client = new S3Client({
  endpoint,
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: { accessKeyId: 'scale', secretAccessKey: 'scale' },
});
const summary = await reportRun(client, { plan, passes }, { allowDelete: false });
client.destroy();
process.stdout.write(`${JSON.stringify(summary)}\n`);
