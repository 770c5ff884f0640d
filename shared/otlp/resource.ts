/**
 * The resource of one log object: where the records come from (cloud account,
 * Region, load balancer) and where they were read (bucket, key).
 *
 * @see https://opentelemetry.io/docs/specs/semconv/resource/cloud/
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import {
  type LoadBalancerRef,
  loadBalancerArn,
  parseLoadBalancerId,
  type S3KeyInfo,
} from '../formats/s3-key.ts';
import type { Attribute, Resource } from '../records/model.ts';

/** Used when neither the environment nor the object names the service. */
export const UNKNOWN_SERVICE = 'unknown_service:elb-otlp';

export interface ResourceInput {
  bucket?: string;
  key?: string;
  keyInfo?: S3KeyInfo;
  /** The `elb` field of the object's first line, when the key does not name the load balancer. */
  lineLoadBalancer?: string;
  /** Account and Region when no key gives them (metrics read from CloudWatch, log events). */
  account?: string;
  region?: string;
  /** What names where the records were read when it is not S3 (a log group and stream). */
  sourceAttributes?: readonly Attribute[];
}

/** The load balancer the resource speaks for: the key's, else the first line's. */
export function resourceLoadBalancer(input: ResourceInput): LoadBalancerRef | undefined {
  if (input.keyInfo?.loadBalancer !== undefined) return input.keyInfo.loadBalancer;
  if (input.lineLoadBalancer !== undefined) return parseLoadBalancerId(input.lineLoadBalancer);
  return undefined;
}

/**
 * Builds the resource. `cloud.resource_id` is the load balancer's ARN when the
 * key gives account and Region, else its `elb` form (`app/name/id`).
 */
export function buildResource(input: ResourceInput, config: MappingConfig): Resource {
  const attributes: Attribute[] = [{ key: 'cloud.provider', type: 'string', value: 'aws' }];
  const account = input.keyInfo?.account ?? input.account;
  const region = input.keyInfo?.region ?? input.region;
  if (account !== undefined)
    attributes.push({ key: 'cloud.account.id', type: 'string', value: account });
  if (region !== undefined) attributes.push({ key: 'cloud.region', type: 'string', value: region });
  const lb = resourceLoadBalancer(input);
  if (lb !== undefined) {
    const id =
      account !== undefined && region !== undefined
        ? loadBalancerArn(lb, region, account)
        : lb.resourceId;
    attributes.push({ key: 'cloud.resource_id', type: 'string', value: id });
    attributes.push({ key: 'aws.elb.name', type: 'string', value: lb.name });
  }
  if (input.bucket) attributes.push({ key: 'aws.s3.bucket', type: 'string', value: input.bucket });
  if (input.key) attributes.push({ key: 'aws.s3.key', type: 'string', value: input.key });
  if (input.sourceAttributes !== undefined) attributes.push(...input.sourceAttributes);
  const fromEnv = config.resourceAttributes.find((a) => a.key === 'service.name');
  const serviceName =
    config.serviceName ??
    (fromEnv?.type === 'string' ? fromEnv.value : undefined) ??
    lb?.name ??
    UNKNOWN_SERVICE;
  attributes.push({ key: 'service.name', type: 'string', value: serviceName });
  const taken = new Set(attributes.map((a) => a.key));
  for (const extra of config.resourceAttributes) {
    if (!taken.has(extra.key)) attributes.push(extra);
  }
  return { attributes };
}
