/**
 * The field tables of every format, by id.
 */

import { ALB_ACCESS } from './alb-access.ts';
import { ALB_CONNECTION } from './alb-connection.ts';
import { ALB_HEALTH } from './alb-health.ts';
import { CLB_ACCESS } from './clb-access.ts';
import type { LogFormatId, LogFormatSpec } from './field-spec.ts';
import { NLB_ACCESS } from './nlb-access.ts';

export const FORMATS: Readonly<Record<LogFormatId, LogFormatSpec>> = {
  alb: ALB_ACCESS,
  'alb-conn': ALB_CONNECTION,
  'alb-health': ALB_HEALTH,
  nlb: NLB_ACCESS,
  clb: CLB_ACCESS,
};
