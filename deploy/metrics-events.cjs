// serverless.yml loads the metrics function's schedule through this file:
// none unless the metrics parameter is "true" (the function is then only run
// by hand), else every metricsIntervalMinutes minutes. The function reads a
// window of the same length, so consecutive runs tile time.
'use strict';

module.exports = async ({ resolveVariable }) => {
  const enabled = String(await resolveVariable('param:metrics'));
  if (enabled !== 'true' && enabled !== 'false') {
    throw new Error(`metrics: expected "true" or "false", got ${JSON.stringify(enabled)}`);
  }
  const minutes = Number(await resolveVariable('param:metricsIntervalMinutes'));
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
    throw new Error(`metricsIntervalMinutes: expected whole minutes from 1 to 60, got ${minutes}`);
  }
  if (enabled === 'false') return [];
  return [
    {
      schedule: {
        rate: minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`,
        description: 'elb-otlp: ship the load balancers’ CloudWatch metrics',
      },
    },
  ];
};
