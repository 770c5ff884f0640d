// serverless.yml loads the ingest function's trigger through this file, by
// the ingestMode parameter:
//
// - "s3" (default): a notification on the existing log bucket, for new
//   objects under logPrefix ending in ingestSuffix. The framework writes it
//   with a small custom resource, leaving the bucket's other notifications.
// - "sqs": the function reads the queue the stack creates (IngestQueue),
//   answering batchItemFailures; point the bucket's notification (or an
//   EventBridge rule) at that queue yourself (docs/live-ingestion.md, "Triggers").
'use strict';

module.exports = async ({ resolveVariable }) => {
  const mode = await resolveVariable('param:ingestMode');
  if (mode === 'sqs') {
    return [
      {
        sqs: {
          arn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
          batchSize: 10,
          maximumBatchingWindow: 5,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ];
  }
  if (mode !== 's3') {
    throw new Error(`ingestMode: expected "s3" or "sqs", got ${JSON.stringify(mode)}`);
  }
  const prefix = await resolveVariable('self:custom.logPrefix');
  const suffix = await resolveVariable('param:ingestSuffix');
  const rules = [];
  if (prefix) rules.push({ prefix });
  if (suffix) rules.push({ suffix });
  return [
    {
      s3: {
        bucket: await resolveVariable('param:logBucket'),
        event: 's3:ObjectCreated:*',
        existing: true,
        forceDeploy: true,
        ...(rules.length > 0 && { rules }),
      },
    },
  ];
};
