export { ALB_ACCESS } from './alb-access.ts';
export { ALB_CONNECTION } from './alb-connection.ts';
export { ALB_HEALTH } from './alb-health.ts';
export { CLB_ACCESS } from './clb-access.ts';
export { detectFormatFromLine, formatOfKey } from './detect.ts';
export {
  EXTRA_FIELDS_KEY,
  type FieldKind,
  type FieldSpec,
  LOG_FORMAT_IDS,
  type LogFormatId,
  type LogFormatSpec,
} from './field-spec.ts';
export { FORMATS } from './formats.ts';
export { NLB_ACCESS } from './nlb-access.ts';
export { emptyParsedLine, type ParsedLine, parseFields, traceIdFromXRay } from './parse-fields.ts';
export { mapRequestLine, REQUEST_ATTRIBUTES } from './request-line.ts';
export {
  type LoadBalancerRef,
  type LogKind,
  loadBalancerArn,
  parseLoadBalancerId,
  parseS3Key,
  partitionOf,
  type S3KeyInfo,
} from './s3-key.ts';
export { LineTokens, TOKENIZED, tokenize, unescapeField } from './tokenizer.ts';
export { FieldError, parseDecimal, parseInteger, parseTimestamp, splitHostPort } from './values.ts';
