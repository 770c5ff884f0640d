/**
 * ALB connection log: one line per TLS connection attempt (November 2023).
 *
 * Real objects have 11, 12, 13 or 15 fields depending on their age:
 * `conn_trace_id` (12, the join key with access-log field 30),
 * `tls_keyexchange` (13), then `elb` and the node's `ip_address`.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-connection-logs.html
 */

import { field, type LogFormatSpec } from './field-spec.ts';

export const ALB_CONNECTION: LogFormatSpec = {
  id: 'alb-conn',
  title: 'ALB connection log',
  source:
    'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-connection-logs.html',
  minFields: 11,
  fields: [
    field('timestamp', 'time'),
    field('client_ip', 'string', 'client.address'),
    field('client_port', 'int', 'client.port'),
    field('listener_port', 'int', 'server.port'),
    field('tls_protocol', 'tls-version', 'tls.protocol.version'),
    field('tls_cipher', 'string', 'tls.cipher'),
    field('tls_handshake_latency', 'double', 'aws.elb.tls_handshake_latency'),
    field('leaf_client_cert_subject', 'string', 'tls.client.subject'),
    field(
      'leaf_client_cert_validity',
      'cert-validity',
      'tls.client.not_before',
      'tls.client.not_after',
    ),
    field('leaf_client_cert_serial_number', 'string', 'aws.elb.leaf_client_cert_serial_number'),
    field('tls_verify_status', 'warn-status', 'aws.elb.tls_verify_status', 'Failed'),
    field('conn_trace_id', 'string', 'aws.elb.conn_trace_id'),
    field('tls_keyexchange', 'string', 'aws.elb.tls_keyexchange'),
    field('elb', 'elb'),
    field('ip_address', 'string', 'aws.elb.ip_address'),
  ],
  vended: {
    logType: 'ALB_CONNECTION_LOGS',
    fields: [
      'time',
      'client_ip',
      'client_port',
      'listener_port',
      'tls_protocol',
      'tls_cipher',
      'tls_handshake_latency',
      'leaf_client_cert_subject',
      'leaf_client_cert_validity',
      'leaf_client_cert_serial_number',
      'tls_verify_status',
      'conn_trace_id',
      'tls_keyexchange',
      'elb',
      'ip_address',
    ],
    renames: { time: 'timestamp' },
    required: ['time'],
  },
};
