/**
 * ALB health-check log (November 2025): one line per health check of a target.
 *
 * Its `type` values overlap the access log's, so the kind comes from the
 * `health_check_log_` key prefix, or from `latency` being a number where the
 * access log has the load balancer id.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-health-check-logs.html
 */

import { field, type LogFormatSpec } from './field-spec.ts';

export const ALB_HEALTH: LogFormatSpec = {
  id: 'alb-health',
  title: 'ALB health-check log',
  source:
    'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-health-check-logs.html',
  // The page's examples stop after reason_code.
  minFields: 8,
  fields: [
    field('type', 'string', 'aws.elb.type'),
    field('time', 'time'),
    field('latency', 'double', 'aws.elb.latency'),
    field(
      'target_addr',
      'target',
      'destination.address',
      'destination.port',
      'aws.elb.target_addr',
    ),
    field('target_group_id', 'string', 'aws.elb.target_group_id'),
    field('status', 'warn-status', 'aws.elb.status', 'FAIL'),
    field('status_code', 'int', 'http.response.status_code'),
    field('reason_code', 'string', 'aws.elb.reason_code'),
    field('elb', 'elb'),
    field('ip_address', 'string', 'aws.elb.ip_address'),
  ],
  vended: {
    logType: 'ALB_HEALTH_CHECK_LOGS',
    fields: [
      'type',
      'time',
      'latency',
      'target_addr',
      'target_group_id',
      'status',
      'status_code',
      'reason_code',
      'elb',
      'ip_address',
    ],
    renames: {},
    required: ['time'],
  },
};
