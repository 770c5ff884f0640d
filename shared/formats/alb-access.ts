/**
 * ALB access log: one line per request (per connection for WebSockets).
 *
 * Fields 1–29 are documented since 2020; `conn_trace_id` (30) appeared in
 * May 2024, the transform fields (31–33) in August 2025. Anything after
 * `request_transform_status` — the node IP and further `"-"` seen in 2026 —
 * lands in `aws.elb.extra_fields`, as AWS asks parsers to tolerate.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
 */

import { field, type LogFormatSpec } from './field-spec.ts';

export const ALB_ACCESS: LogFormatSpec = {
  id: 'alb',
  title: 'ALB access log',
  source:
    'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html',
  // The February 2018 layout ended at chosen_cert_arn; older objects keep their shape.
  minFields: 20,
  fields: [
    field('type', 'string', 'aws.elb.type'),
    field('time', 'time'),
    field('elb', 'elb'),
    field('client:port', 'host-port', 'client.address', 'client.port'),
    field('target:port', 'host-port', 'destination.address', 'destination.port'),
    field('request_processing_time', 'double', 'aws.elb.request_processing_time'),
    field('target_processing_time', 'double', 'aws.elb.target_processing_time'),
    field('response_processing_time', 'double', 'aws.elb.response_processing_time'),
    field('elb_status_code', 'status', 'http.response.status_code'),
    field('target_status_code', 'int', 'aws.elb.target_status_code'),
    field('received_bytes', 'int', 'http.request.size'),
    field('sent_bytes', 'int', 'http.response.size'),
    field('request', 'request'),
    field('user_agent', 'string', 'user_agent.original'),
    field('ssl_cipher', 'string', 'tls.cipher'),
    field('ssl_protocol', 'tls-version', 'tls.protocol.version'),
    field('target_group_arn', 'string', 'aws.elb.target_group_arn'),
    field('trace_id', 'trace', 'aws.elb.trace_id'),
    field('domain_name', 'string', 'aws.elb.domain_name'),
    field('chosen_cert_arn', 'string', 'aws.elb.chosen_cert_arn'),
    field('matched_rule_priority', 'int', 'aws.elb.matched_rule_priority'),
    field('request_creation_time', 'string', 'aws.elb.request_creation_time'),
    field('actions_executed', 'comma-list', 'aws.elb.actions_executed'),
    field('redirect_url', 'url', 'aws.elb.redirect_url'),
    field('error_reason', 'string', 'aws.elb.error_reason'),
    field('target:port_list', 'space-list', 'aws.elb.target_port_list'),
    field('target_status_code_list', 'space-list', 'aws.elb.target_status_code_list'),
    field('classification', 'string', 'aws.elb.classification'),
    field('classification_reason', 'string', 'aws.elb.classification_reason'),
    field('conn_trace_id', 'string', 'aws.elb.conn_trace_id'),
    field('transformed_host', 'string', 'aws.elb.transformed_host'),
    field('transformed_uri', 'url', 'aws.elb.transformed_uri'),
    field('request_transform_status', 'string', 'aws.elb.request_transform_status'),
  ],
  // The vended catalogue names the node IP (classic field 34) `ip_address`:
  // having no classic field, it becomes `aws.elb.ip_address`, as in the
  // connection and health-check logs.
  vended: {
    logType: 'ALB_ACCESS_LOGS',
    fields: [
      'type',
      'time',
      'elb',
      'client_port',
      'target_port',
      'request_processing_time',
      'target_processing_time',
      'response_processing_time',
      'elb_status_code',
      'target_status_code',
      'received_bytes',
      'sent_bytes',
      'request_line',
      'user_agent',
      'ssl_cipher',
      'ssl_protocol',
      'target_group_arn',
      'trace_id',
      'domain_name',
      'chosen_cert_arn',
      'matched_rule_priority',
      'request_creation_time',
      'actions_executed',
      'redirect_url',
      'error_reason',
      'target_port_list',
      'target_status_code_list',
      'classification',
      'classification_reason',
      'conn_trace_id',
      'transformed_host',
      'transformed_uri',
      'request_transform_status',
      'ip_address',
    ],
    renames: { request_line: 'request' },
    required: ['time'],
  },
};
