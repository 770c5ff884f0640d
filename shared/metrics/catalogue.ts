/**
 * The CloudWatch metrics of Application and Network Load Balancers, each with
 * the dimension combinations AWS publishes it under and the statistics that
 * mean something for it: `Sum` for counts of events, `Average`/`Maximum`/`p99`
 * for latencies, `Minimum`/`Maximum` for host and zone counts.
 *
 * Counts are collected per Availability Zone (and target group, where
 * published), so a backend sums them to any coarser level; latencies, host
 * counts and per-target averages per target group, because a p99, a minimum
 * or an average cannot be added across zones.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-cloudwatch-metrics.html
 */

import type { CatalogueMetric, DimensionSet, Namespace, Statistic } from './catalogue-types.ts';

const LB: DimensionSet = ['LoadBalancer'];
const AZ_LB: DimensionSet = ['AvailabilityZone', 'LoadBalancer'];
const LB_TG: DimensionSet = ['LoadBalancer', 'TargetGroup'];
const AZ_LB_TG: DimensionSet = ['AvailabilityZone', 'LoadBalancer', 'TargetGroup'];
const TG: DimensionSet = ['TargetGroup'];
const AZ_TG: DimensionSet = ['AvailabilityZone', 'TargetGroup'];

/** Published per load balancer and per zone. */
const BY_ZONE = [LB, AZ_LB];
/** Published per load balancer, per zone, per target group, and both. */
const BY_ZONE_AND_GROUP = [LB, AZ_LB, LB_TG, AZ_LB_TG];
/** Target-group metrics: per group, and per group and zone. */
const BY_GROUP = [LB_TG, AZ_LB_TG];

const COUNT = '{count}';
const LCU = '{LCU}';

/** A catalogue entry before its namespace and name are attached. */
type Entry = Omit<CatalogueMetric, 'namespace' | 'name'>;

/** Events counted per period; `Sum` is the only meaningful statistic. */
function events(
  description: string,
  published: readonly DimensionSet[],
  dimensions: DimensionSet,
  unit = COUNT,
): Entry {
  return { kind: 'events', statistics: ['Sum'], unit, published, dimensions, description };
}

/** A value observed during the period, with the statistics that describe it. */
function level(
  description: string,
  statistics: readonly Statistic[],
  published: readonly DimensionSet[],
  dimensions: DimensionSet,
  unit = COUNT,
): Entry {
  return { kind: 'level', statistics, unit, published, dimensions, description };
}

const HOSTS: readonly Statistic[] = ['Minimum', 'Maximum'];
const LATENCY: readonly Statistic[] = ['Average', 'Maximum', 'p99'];
const CAPACITY: readonly Statistic[] = ['Average', 'Maximum'];

/** `AWS/ApplicationELB`, in the order of the AWS page's tables. */
const APPLICATION: Record<string, Entry> = {
  // Load balancers
  ActiveConnectionCount: level(
    'Concurrent TCP connections from clients to the load balancer and from it to targets.',
    ['Sum'],
    BY_ZONE,
    AZ_LB,
  ),
  AppCookieNonStickinessCount: events(
    'Requests sent to a new target because an application-based sticky session could not be used.',
    BY_ZONE,
    AZ_LB,
  ),
  BYoIPUtilPercentage: level(
    'Share of the BYoIP address pool in use.',
    ['Average'],
    BY_GROUP,
    LB_TG,
    '%',
  ),
  ClientTLSNegotiationErrorCount: events(
    'Client TLS connections that failed to establish a session with the load balancer.',
    BY_ZONE,
    AZ_LB,
  ),
  DesyncMitigationMode_NonCompliant_Request_Count: events(
    'Requests that do not comply with RFC 7230.',
    BY_ZONE,
    AZ_LB,
  ),
  DroppedInvalidHeaderRequestCount: events(
    'Requests whose invalid header fields the load balancer removed.',
    [AZ_LB],
    AZ_LB,
  ),
  ExcessiveLowReputationPackets: events(
    'Packets from known malicious sources over the rate limit (monitor mode).',
    BY_ZONE,
    AZ_LB,
  ),
  ForwardedInvalidHeaderRequestCount: events(
    'Requests routed with invalid header fields.',
    [AZ_LB],
    AZ_LB,
  ),
  GrpcRequestCount: events(
    'gRPC requests processed over IPv4 and IPv6.',
    [LB_TG, AZ_LB_TG, TG, AZ_TG],
    AZ_LB_TG,
  ),
  HTTP_Fixed_Response_Count: events('Successful fixed-response actions.', BY_ZONE, AZ_LB),
  HTTP_Redirect_Count: events('Successful redirect actions.', BY_ZONE, AZ_LB),
  HTTP_Redirect_Url_Limit_Exceeded_Count: events(
    'Redirect actions that failed because the Location URL was over 8K.',
    BY_ZONE,
    AZ_LB,
  ),
  HTTPCode_ELB_3XX_Count: events('HTTP 3XX codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_4XX_Count: events('HTTP 4XX codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_5XX_Count: events('HTTP 5XX codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_500_Count: events('HTTP 500 codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_502_Count: events('HTTP 502 codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_503_Count: events('HTTP 503 codes from the load balancer.', BY_ZONE, AZ_LB),
  HTTPCode_ELB_504_Count: events('HTTP 504 codes from the load balancer.', BY_ZONE, AZ_LB),
  IPv6ProcessedBytes: events('Bytes processed over IPv6.', BY_ZONE, AZ_LB, 'By'),
  IPv6RequestCount: events('IPv6 requests received.', BY_ZONE, AZ_LB),
  LowReputationPacketsDropped: events(
    'Packets from known malicious sources dropped by DDoS protection.',
    BY_ZONE,
    AZ_LB,
  ),
  LowReputationRequestsDenied: events(
    'Requests denied with 403 by DDoS protection.',
    BY_ZONE,
    AZ_LB,
  ),
  NewConnectionCount: events(
    'New TCP connections from clients to the load balancer and from it to targets.',
    BY_ZONE,
    AZ_LB,
  ),
  NonStickyRequestCount: events(
    'Requests sent to a new target because a sticky session could not be used.',
    BY_ZONE,
    AZ_LB,
  ),
  ProcessedBytes: events('Bytes processed over IPv4 and IPv6.', BY_ZONE, AZ_LB, 'By'),
  RejectedConnectionCount: events(
    'Connections rejected because the load balancer was at its connection limit.',
    BY_ZONE,
    AZ_LB,
  ),
  RequestCount: events(
    'Requests for which the load balancer chose a target.',
    BY_ZONE_AND_GROUP,
    AZ_LB_TG,
  ),
  RuleEvaluations: events('Listener rules evaluated.', [LB], LB),
  // Load balancer capacity units
  ConsumedLCUs: level('Load balancer capacity units used.', CAPACITY, [LB], LB, LCU),
  PeakLCUs: level(
    'Most capacity units used at one time (LCU reservation).',
    ['Sum', 'Maximum'],
    [LB],
    LB,
    LCU,
  ),
  ReservedLCUs: events('Reserved capacity units billed, per minute.', [LB], LB, LCU),
  CapacityUtilization: level(
    'Share of the available load balancer capacity in use.',
    ['Maximum'],
    [LB],
    LB,
    '%',
  ),
  // Targets
  AnomalousHostCount: level('Targets detected with anomalies.', HOSTS, BY_GROUP, LB_TG),
  HealthyHostCount: level('Targets considered healthy.', HOSTS, BY_GROUP, LB_TG),
  HTTPCode_Target_2XX_Count: events('HTTP 2XX codes from targets.', BY_ZONE_AND_GROUP, AZ_LB_TG),
  HTTPCode_Target_3XX_Count: events('HTTP 3XX codes from targets.', BY_ZONE_AND_GROUP, AZ_LB_TG),
  HTTPCode_Target_4XX_Count: events('HTTP 4XX codes from targets.', BY_ZONE_AND_GROUP, AZ_LB_TG),
  HTTPCode_Target_5XX_Count: events('HTTP 5XX codes from targets.', BY_ZONE_AND_GROUP, AZ_LB_TG),
  MitigatedHostCount: level('Targets under mitigation.', HOSTS, BY_GROUP, LB_TG),
  RequestCountPerTarget: level(
    'Requests per healthy target in a target group (an average: Sum is its only statistic).',
    ['Sum'],
    [TG, AZ_TG, LB_TG, AZ_LB_TG],
    LB_TG,
  ),
  TargetConnectionErrorCount: events(
    'Connections to targets that could not be established.',
    BY_ZONE_AND_GROUP,
    AZ_LB_TG,
  ),
  TargetResponseTime: level(
    'Seconds from a request leaving the load balancer to the target starting its response.',
    LATENCY,
    BY_ZONE_AND_GROUP,
    LB_TG,
    's',
  ),
  TargetTLSNegotiationErrorCount: events(
    'TLS connections to targets that failed to establish a session.',
    BY_ZONE_AND_GROUP,
    AZ_LB_TG,
  ),
  UnHealthyHostCount: level('Targets considered unhealthy.', HOSTS, BY_GROUP, LB_TG),
  ActiveZonalShiftHostCount: {
    ...level('Targets disabled by a zonal shift.', HOSTS, BY_GROUP, LB_TG),
    note: 'AWS names Sum as most useful; a host count over a period is read with Minimum and Maximum, as the other host counts are.',
  },
  // Target group health
  HealthyStateDNS: level(
    'Zones meeting the DNS healthy-state requirements.',
    HOSTS,
    BY_GROUP,
    LB_TG,
  ),
  HealthyStateRouting: level(
    'Zones meeting the routing healthy-state requirements.',
    HOSTS,
    BY_GROUP,
    LB_TG,
  ),
  UnhealthyRoutingRequestCount: events(
    'Requests routed with the routing failover action (fail open).',
    BY_GROUP,
    AZ_LB_TG,
  ),
  UnhealthyStateDNS: level(
    'Zones failing the DNS healthy-state requirements (removed from DNS).',
    HOSTS,
    BY_GROUP,
    LB_TG,
  ),
  UnhealthyStateRouting: level(
    'Zones failing the routing healthy-state requirements (failing open).',
    HOSTS,
    BY_GROUP,
    LB_TG,
  ),
  // Lambda targets
  LambdaInternalError: events(
    'Requests to a Lambda target that failed inside the load balancer or Lambda.',
    [TG, LB_TG],
    LB_TG,
  ),
  LambdaTargetProcessedBytes: events('Bytes to and from Lambda targets.', [LB], LB, 'By'),
  LambdaUserError: events(
    'Requests to a Lambda target that failed because of the function.',
    [TG, LB_TG],
    LB_TG,
  ),
  // User authentication
  ELBAuthError: events(
    'Authentications that could not complete (misconfiguration, IdP unreachable).',
    BY_ZONE,
    AZ_LB,
  ),
  ELBAuthFailure: events('Authentications the IdP denied.', BY_ZONE, AZ_LB),
  ELBAuthLatency: level(
    'Milliseconds to query the IdP for the ID token and user info.',
    LATENCY,
    BY_ZONE,
    LB,
    'ms',
  ),
  ELBAuthRefreshTokenSuccess: events('User claims refreshed with a refresh token.', BY_ZONE, AZ_LB),
  ELBAuthSuccess: events('Successful authenticate actions.', BY_ZONE, AZ_LB),
  ELBAuthUserClaimsSizeExceeded: events('IdP user claims over 11K bytes.', BY_ZONE, AZ_LB),
  // Target optimizer
  TargetControlRequestCount: events(
    'Requests forwarded to target optimizer agents.',
    BY_ZONE,
    AZ_LB,
  ),
  TargetControlRequestRejectCount: events(
    'Requests rejected because no target was ready.',
    BY_ZONE,
    AZ_LB,
  ),
  TargetControlActiveChannelCount: level(
    'Active control channels to agents.',
    ['Sum'],
    BY_ZONE,
    AZ_LB,
  ),
  TargetControlNewChannelCount: events('Control channels opened to agents.', BY_ZONE, AZ_LB),
  TargetControlChannelErrorCount: events('Control channels that failed.', BY_ZONE, AZ_LB),
  TargetControlWorkQueueLength: level(
    'Signals from agents asking for requests.',
    ['Sum'],
    BY_ZONE,
    AZ_LB,
  ),
  TargetControlProcessedBytes: events(
    'Bytes to target groups with the target optimizer.',
    BY_ZONE,
    AZ_LB,
    'By',
  ),
};

/** Flow gauges: averages per zone add up to the load balancer (one node per zone). */
const FLOWS: readonly Statistic[] = ['Average', 'Maximum'];
const BY_ZONE_OR_GROUP = [LB, AZ_LB, TG];

/** `AWS/NetworkELB`, in the order of the AWS page's table. */
const NETWORK: Record<string, Entry> = {
  ActiveFlowCount: level(
    'Concurrent flows from clients to targets.',
    FLOWS,
    BY_ZONE_OR_GROUP,
    AZ_LB,
  ),
  ActiveFlowCount_TCP: level('Concurrent TCP flows.', FLOWS, BY_ZONE_OR_GROUP, AZ_LB),
  ActiveFlowCount_TLS: level('Concurrent TLS flows.', FLOWS, BY_ZONE_OR_GROUP, AZ_LB),
  ActiveFlowCount_UDP: level('Concurrent UDP flows.', FLOWS, BY_ZONE_OR_GROUP, AZ_LB),
  ActiveZonalShiftHostCount: level('Targets taking part in a zonal shift.', HOSTS, BY_GROUP, LB_TG),
  ClientTLSNegotiationErrorCount: events('Failed client TLS handshakes.', [LB], LB),
  ConsumedLCUs: level('Load balancer capacity units used.', CAPACITY, [LB], LB, LCU),
  ConsumedLCUs_TCP: level('Capacity units used for TCP.', CAPACITY, [LB], LB, LCU),
  ConsumedLCUs_TLS: level('Capacity units used for TLS.', CAPACITY, [LB], LB, LCU),
  ConsumedLCUs_UDP: level('Capacity units used for UDP.', CAPACITY, [LB], LB, LCU),
  HealthyHostCount: level('Targets considered healthy.', HOSTS, BY_GROUP, LB_TG),
  NewFlowCount: events('New flows from clients to targets.', BY_ZONE_OR_GROUP, AZ_LB),
  NewFlowCount_TCP: events('New TCP flows.', BY_ZONE_OR_GROUP, AZ_LB),
  NewFlowCount_TLS: events('New TLS flows.', BY_ZONE_OR_GROUP, AZ_LB),
  NewFlowCount_UDP: events('New UDP flows.', BY_ZONE_OR_GROUP, AZ_LB),
  NewFlowCount_QUIC: events('UDP datagrams that needed a routing decision (QUIC).', BY_ZONE, AZ_LB),
  PeakBytesPerSecond: level(
    'Highest bytes per second in a 10-second window.',
    ['Maximum'],
    BY_ZONE,
    AZ_LB,
    'By/s',
  ),
  PeakPacketsPerSecond: level(
    'Highest packets per second in a 10-second window.',
    ['Maximum'],
    BY_ZONE,
    AZ_LB,
    '{packet}/s',
  ),
  PortAllocationErrorCount: events(
    'Ephemeral port allocation errors in client IP translation.',
    BY_ZONE,
    AZ_LB,
  ),
  ProcessedBytes: events('Bytes processed, TCP/IP headers included.', BY_ZONE, AZ_LB, 'By'),
  ProcessedBytes_TCP: events('Bytes processed by TCP listeners.', BY_ZONE, AZ_LB, 'By'),
  ProcessedBytes_TLS: events('Bytes processed by TLS listeners.', BY_ZONE, AZ_LB, 'By'),
  ProcessedBytes_UDP: events('Bytes processed by UDP listeners.', BY_ZONE, AZ_LB, 'By'),
  ProcessedBytes_QUIC: events('Bytes processed by QUIC listeners.', BY_ZONE, AZ_LB, 'By'),
  ProcessedPackets: events('Packets processed, health checks included.', BY_ZONE, AZ_LB),
  RejectedFlowCount: {
    ...events('Flows rejected by the load balancer.', BY_ZONE, AZ_LB),
    note: 'AWS lists Average, Maximum and Minimum; it counts rejected flows, read with Sum as RejectedFlowCount_TCP is.',
  },
  RejectedFlowCount_TCP: events('TCP flows rejected by the load balancer.', BY_ZONE, AZ_LB),
  ReservedLCUs: events('Capacity units reserved, per minute.', [LB], LB, LCU),
  SecurityGroupBlockedFlowCount_Inbound_ICMP: events(
    'ICMP messages rejected by inbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  SecurityGroupBlockedFlowCount_Inbound_TCP: events(
    'TCP flows rejected by inbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  SecurityGroupBlockedFlowCount_Inbound_UDP: events(
    'UDP flows rejected by inbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  SecurityGroupBlockedFlowCount_Outbound_ICMP: events(
    'ICMP messages rejected by outbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  SecurityGroupBlockedFlowCount_Outbound_TCP: events(
    'TCP flows rejected by outbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  SecurityGroupBlockedFlowCount_Outbound_UDP: events(
    'UDP flows rejected by outbound security group rules.',
    BY_ZONE,
    AZ_LB,
  ),
  TargetTLSNegotiationErrorCount: events('Failed TLS handshakes with targets.', [LB], LB),
  TCP_Client_Reset_Count: events('RST packets sent by clients.', BY_ZONE, AZ_LB),
  TCP_ELB_Reset_Count: events('RST packets generated by the load balancer.', BY_ZONE, AZ_LB),
  TCP_Target_Reset_Count: events('RST packets sent by targets.', BY_ZONE, AZ_LB),
  UnHealthyHostCount: level('Targets considered unhealthy.', HOSTS, BY_GROUP, LB_TG),
  ZonalHealthStatus: level(
    'Availability Zones the load balancer considers healthy (1 each).',
    HOSTS,
    BY_ZONE,
    AZ_LB,
  ),
  QUIC_Unknown_Server_ID_Packet_Drop_Count: events(
    'UDP datagrams dropped for an unknown QUIC server ID.',
    BY_ZONE,
    AZ_LB,
  ),
  // UnhealthyRoutingFlowCount is left out: the AWS table gives it no dimensions.
};

function entries(namespace: Namespace, table: Record<string, Entry>): CatalogueMetric[] {
  return Object.entries(table).map(([name, entry]) => ({ namespace, name, ...entry }));
}

/** Every catalogued metric, Application Load Balancer first. */
export const CATALOGUE: readonly CatalogueMetric[] = [
  ...entries('AWS/ApplicationELB', APPLICATION),
  ...entries('AWS/NetworkELB', NETWORK),
];

/**
 * The 30 `AWS/ApplicationELB` metrics of the guide elb-otlp replaces: all are
 * in the catalogue (a test holds it to that).
 */
export const SEED_METRICS: readonly string[] = [
  'ActiveConnectionCount',
  'AnomalousHostCount',
  'ConsumedLCUs',
  'DesyncMitigationMode_NonCompliant_Request_Count',
  'ForwardedInvalidHeaderRequestCount',
  'HTTPCode_ELB_4XX_Count',
  'HTTPCode_ELB_502_Count',
  'HTTPCode_ELB_503_Count',
  'HTTPCode_ELB_504_Count',
  'HTTPCode_ELB_5XX_Count',
  'HTTPCode_Target_2XX_Count',
  'HTTPCode_Target_3XX_Count',
  'HTTPCode_Target_4XX_Count',
  'HTTP_Fixed_Response_Count',
  'HealthyHostCount',
  'HealthyStateDNS',
  'HealthyStateRouting',
  'MitigatedHostCount',
  'NewConnectionCount',
  'PeakLCUs',
  'ProcessedBytes',
  'RequestCount',
  'RequestCountPerTarget',
  'RuleEvaluations',
  'TargetConnectionErrorCount',
  'TargetResponseTime',
  'UnHealthyHostCount',
  'UnhealthyRoutingRequestCount',
  'UnhealthyStateDNS',
  'UnhealthyStateRouting',
];

/** The dimensions the guide asked every metric for. */
export const SEED_DIMENSIONS: DimensionSet = ['TargetGroup', 'AvailabilityZone', 'LoadBalancer'];

/** The catalogue entry of a metric, or undefined. */
export function findMetric(namespace: string, name: string): CatalogueMetric | undefined {
  return CATALOGUE.find((m) => m.namespace === namespace && m.name === name);
}

/** True when the two sets hold the same dimensions, in any order. */
export function sameDimensions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((d) => b.includes(d));
}
