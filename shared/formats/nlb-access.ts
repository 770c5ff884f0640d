/**
 * NLB access log: one line per TLS connection (TLS listeners only).
 *
 * `time` has no fraction and no zone; `alpn_client_preference_list` is an
 * unquoted token of URL-encoded, quoted protocols (`"h2","http/1.1"`);
 * `tls_connection_creation_time` (22) appeared in 2023.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html
 */

import { field, type LogFormatSpec } from './field-spec.ts';

export const NLB_ACCESS: LogFormatSpec = {
  id: 'nlb',
  title: 'NLB access log',
  source:
    'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html',
  // Lines before the 2020 ALPN fields end at domain_name.
  minFields: 18,
  fields: [
    field('type', 'string', 'aws.elb.type'),
    field('version', 'string', 'aws.elb.version'),
    field('time', 'time'),
    field('elb', 'elb'),
    field('listener', 'string', 'aws.elb.listener'),
    field('client:port', 'host-port', 'client.address', 'client.port'),
    field('destination:port', 'host-port', 'destination.address', 'destination.port'),
    field('connection_time', 'double', 'aws.elb.connection_time'),
    field('tls_handshake_time', 'double', 'aws.elb.tls_handshake_time'),
    field('received_bytes', 'int', 'aws.elb.received_bytes'),
    field('sent_bytes', 'int', 'aws.elb.sent_bytes'),
    field('incoming_tls_alert', 'int', 'aws.elb.incoming_tls_alert'),
    field('chosen_cert_arn', 'string', 'aws.elb.chosen_cert_arn'),
    field('chosen_cert_serial', 'string', 'aws.elb.chosen_cert_serial'),
    field('tls_cipher', 'string', 'tls.cipher'),
    field('tls_protocol_version', 'tls-version', 'tls.protocol.version'),
    field('tls_named_group', 'string', 'aws.elb.tls_named_group'),
    field('domain_name', 'string', 'aws.elb.domain_name'),
    field('alpn_fe_protocol', 'string', 'aws.elb.alpn_fe_protocol'),
    field('alpn_be_protocol', 'string', 'aws.elb.alpn_be_protocol'),
    field('alpn_client_preference_list', 'alpn-list', 'aws.elb.alpn_client_preference_list'),
    field('tls_connection_creation_time', 'string', 'aws.elb.tls_connection_creation_time'),
  ],
  // AWS's page now calls field 17 `tls_keyexchange`, as the vended catalogue does.
  vended: {
    logType: 'NLB_ACCESS_LOGS',
    fields: [
      'type',
      'version',
      'time',
      'elb',
      'listener',
      'client_port',
      'destination_port',
      'connection_time',
      'tls_handshake_time',
      'received_bytes',
      'sent_bytes',
      'incoming_tls_alert',
      'chosen_cert_arn',
      'chosen_cert_serial',
      'tls_cipher',
      'tls_protocol_version',
      'tls_keyexchange',
      'domain_name',
      'alpn_fe_protocol',
      'alpn_be_protocol',
      'alpn_client_preference_list',
      'tls_connection_creation_time',
    ],
    renames: { tls_keyexchange: 'tls_named_group' },
    required: ['time'],
  },
};
