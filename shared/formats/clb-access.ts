/**
 * Classic Load Balancer access log: one line per request (HTTP/HTTPS
 * listeners) or per connection (TCP/SSL listeners, request `"- - - "`).
 *
 * Byte counts of HTTP listeners exclude headers, so they are body sizes;
 * TCP/SSL listeners count raw bytes. Older objects end at `"request"`.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
 */

import { field, type LogFormatSpec } from './field-spec.ts';

export const CLB_ACCESS: LogFormatSpec = {
  id: 'clb',
  title: 'Classic ELB access log',
  source:
    'https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html',
  minFields: 12,
  fields: [
    field('timestamp', 'time'),
    field('elb', 'elb'),
    field('client:port', 'host-port', 'client.address', 'client.port'),
    field('backend:port', 'host-port', 'destination.address', 'destination.port'),
    field('request_processing_time', 'double', 'aws.elb.request_processing_time'),
    field('backend_processing_time', 'double', 'aws.elb.backend_processing_time'),
    field('response_processing_time', 'double', 'aws.elb.response_processing_time'),
    field('elb_status_code', 'status', 'http.response.status_code'),
    field('backend_status_code', 'int', 'aws.elb.backend_status_code'),
    field('received_bytes', 'clb-bytes', 'http.request.body.size', 'aws.elb.received_bytes'),
    field('sent_bytes', 'clb-bytes', 'http.response.body.size', 'aws.elb.sent_bytes'),
    field('request', 'request'),
    field('user_agent', 'string', 'user_agent.original'),
    field('ssl_cipher', 'string', 'tls.cipher'),
    field('ssl_protocol', 'tls-version', 'tls.protocol.version'),
  ],
};
