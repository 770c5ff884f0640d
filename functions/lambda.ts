/**
 * What every handler in this folder is built from: a Powertools Logger
 * (JSON lines, service `elb-otlp`, the function's name on each) and the
 * middy chain around the engine it calls. It lives here, not in `shared/`,
 * because only the Lambda adapters need it: the engines take any logger,
 * and the CLI and the local runner call them without middy or a Lambda
 * context.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** The logger of one function, named as its logs should name it (`process-chunk`). */
export function functionLogger(name: string): Logger {
  return new Logger({ serviceName: 'elb-otlp', persistentKeys: { function: name } });
}

/**
 * A Lambda handler: `engine` behind middy, with the Lambda context (request
 * id, cold start) on every line `logger` writes.
 */
export function lambdaHandler<Result>(
  logger: Logger,
  engine: (event: unknown, context: Context) => Promise<Result>,
) {
  return middy(engine).use(injectLambdaContext(logger));
}
