/**
 * The options that name a deployed stack, shared by `elb-otlp reprocess
 * --remote` and `elb-otlp runs`; kept apart from the code that uses them so
 * a command's start loads no AWS SDK client.
 */

/** The options that say which deployment: shared by `reprocess --remote` and `runs`. */
export const DEPLOYMENT_OPTIONS = {
  stage: { type: 'string' },
  'state-machine': { type: 'string' },
  'work-bucket': { type: 'string' },
  'work-prefix': { type: 'string' },
} as const;

export interface DeploymentChoice {
  stage?: string | undefined;
  'state-machine'?: string | undefined;
  'work-bucket'?: string | undefined;
  'work-prefix'?: string | undefined;
}
