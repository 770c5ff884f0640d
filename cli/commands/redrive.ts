/**
 * `elb-otlp redrive`: replays what the ingest function gave up on. It reads
 * the dead-letter queue — Lambda's on-failure records (the original event in
 * `requestPayload`) or notifications moved there from the ingest queue —,
 * ships the objects they name from this machine with the ingest code, and
 * deletes each message once everything it names has shipped.
 */

import { parseArgs } from 'node:util';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { addLineCounts, zeroLineCounts } from '../../shared/contract/counts.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { EXPORT_OPTIONS, exportConfigFrom } from './export-options.ts';

export const REDRIVE_USAGE = `Usage: elb-otlp redrive --queue-url URL [options]

Replays the S3 notifications in the ingest dead-letter queue (the stack's
output IngestDeadLetterQueueUrl): ships the ELB log objects they name from
this machine, as the ingest function would, and deletes each message whose
objects all shipped. The others stay in the queue. A summary is the last
line of stdout.

Options:
  --queue-url URL         the dead-letter queue
  --max-messages N        stop after this many messages (default: until empty)
  --delete-objects        delete each object once all its lines were accepted
  --dry-run               list the objects the messages name; ship nothing,
                          delete nothing, leave the messages (hidden from
                          other readers for 30 s)
  --endpoint URL, --protocol P, --compression C, --header NAME=VALUE,
  --max-retry-time T      as for "elb-otlp ship"
  -h, --help              show this help

Exit status: 0 every message replayed; 4 some stayed (their objects did not
all ship); 2 bad options or settings.

Environment: AWS credentials and Region as the AWS SDK reads them,
AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SQS, and the export settings of
"elb-otlp ship --help".`;

/** How long a received message stays hidden from others while it is replayed. */
const VISIBILITY_SECONDS = 900;

export async function runRedrive(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      'queue-url': { type: 'string' },
      'max-messages': { type: 'string' },
      'delete-objects': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      ...EXPORT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${REDRIVE_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  const queueUrl = values['queue-url'];
  if (queueUrl === undefined) throw new UsageError('--queue-url is required');
  const maxText = values['max-messages'];
  if (maxText !== undefined && !/^[1-9]\d*$/.test(maxText)) {
    throw new UsageError(`--max-messages expects a whole number, got ${JSON.stringify(maxText)}`);
  }
  const maxMessages = maxText === undefined ? Number.POSITIVE_INFINITY : Number(maxText);
  const dryRun = values['dry-run'] === true;
  const config = await exportConfigFrom(io, values, 'redrive');
  const mapping = loadMappingConfig(io.env);

  // Loaded only here: the AWS SDK.
  const [{ SQSClient, ReceiveMessageCommand, DeleteMessageCommand }, { createIngest }] =
    await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('../../shared/ingest/ingest-event.ts'),
    ]);
  const { readNotifications } = await import('../../shared/ingest/notifications.ts');
  const { windowOf, windowRequestOf } = await import('../../shared/ingest/window-run.ts');
  /**
   * What to do with a dead-lettered run request (an invocation without S3
   * records), or `undefined` for a notification: the run's command, with the
   * window it asked for (for `{}`, counted from when Lambda gave up on it).
   */
  const runRequestAdvice = (event: unknown, failedAt: number | undefined): string | undefined => {
    let request: ReturnType<typeof windowRequestOf>;
    try {
      request = windowRequestOf(event, failedAt ?? Date.now());
    } catch {
      // Neither a notification nor a run request: ingest names its fields.
      return undefined;
    }
    if (request === undefined) return undefined;
    const { from, to } = windowOf(request);
    const options = [
      from !== undefined && `--from ${from}`,
      to !== undefined && `--to ${to}`,
      request.deleteProcessed === true && '--delete',
    ].filter(Boolean);
    return `a run request (an invocation without S3 records), not a notification: nothing to replay here; start the run with "elb-otlp reprocess --remote ${options.join(' ')}" with --stage and --bucket, then delete this message`;
  };
  const { createS3Client } = await import('../../shared/s3/client.ts');
  const { createOtlpExporter, SYSTEM_CLOCK } = await import('../../shared/otlp/exporter.ts');
  const sqs = new SQSClient({});
  const s3 = createS3Client(io.env);
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const ingest = createIngest(() => ({
    s3,
    exporter,
    config,
    mapping,
    now: () => SYSTEM_CLOCK.now(),
    logger: quiet,
    // No hand-offs from here: this machine ships every object itself.
    handoffBytes: Number.MAX_SAFE_INTEGER,
    deleteProcessed: values['delete-objects'] === true,
  }));
  // A replay has no Lambda deadline: a day stands in for the remaining time.
  const context = { getRemainingTimeInMillis: () => 86_400_000 };

  const summary = {
    messages: 0,
    replayed: 0,
    kept: 0,
    objects: 0,
    ...zeroLineCounts(),
    failures: [] as string[],
    ...(dryRun && { dryRun: true, keys: [] as string[] }),
  };
  const seen = new Set<string>();
  try {
    while (summary.messages < maxMessages) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, maxMessages - summary.messages),
          WaitTimeSeconds: 1,
          VisibilityTimeout: dryRun ? 30 : VISIBILITY_SECONDS,
        }),
      );
      const messages = (received.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
      if (messages.length === 0) break;
      for (const message of messages) {
        seen.add(message.MessageId ?? '');
        summary.messages++;
        const { event, failedAt } = deadLettered(message.Body ?? '');
        if (dryRun) {
          for (const unit of readNotifications(event).units) {
            for (const o of unit.objects) summary.keys?.push(`s3://${o.bucket}/${o.key}`);
          }
          continue;
        }
        try {
          const advice = runRequestAdvice(event, failedAt);
          // No objects to replay here: the function's run over a window failed to start.
          if (advice !== undefined) throw new Error(advice);
          const answer = await ingest(event, context);
          if ('batchItemFailures' in answer) {
            if (answer.batchItemFailures.length > 0) throw new Error('some objects did not ship');
          } else if (!('run' in answer)) {
            // A CloudWatch Logs event holds records, not objects.
            if ('objects' in answer) summary.objects += answer.objects;
            Object.assign(summary, addLineCounts(summary, answer));
          }
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          summary.replayed++;
        } catch (error) {
          summary.kept++;
          summary.failures.push(`message ${message.MessageId}: ${(error as Error).message}`);
        }
        await write(
          io.stderr,
          `elb-otlp redrive: ${summary.messages} messages, ${summary.replayed} replayed, ${summary.kept} kept, ${summary.lines.toLocaleString('en-US')} lines\n`,
        );
      }
    }
  } finally {
    await exporter.close();
    s3.destroy();
    sqs.destroy();
  }
  await write(io.stdout, `${JSON.stringify(summary)}\n`);
  return summary.kept > 0 ? EXIT_FAILED : EXIT_OK;
}

/**
 * The notification a dead-letter message holds: Lambda's on-failure record
 * keeps the original event in `requestPayload`, and when Lambda gave up on
 * it in `timestamp`; a message moved from the ingest queue is the
 * notification itself.
 */
export function deadLettered(body: string): { event: unknown; failedAt?: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { event: body };
  }
  const record = parsed as { requestPayload?: unknown; timestamp?: unknown } | null;
  if (record === null || typeof record !== 'object' || !('requestPayload' in record)) {
    return { event: parsed };
  }
  const failedAt = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : Number.NaN;
  return { event: record.requestPayload, ...(!Number.isNaN(failedAt) && { failedAt }) };
}
