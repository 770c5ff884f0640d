/**
 * Deterministic ELB log objects as load balancers write them to S3: several
 * load balancers, several days, access and connection logs, gzip, under
 * AWS's key layout (`AWSLogs/<account>/elasticloadbalancing/<region>/<y>/<m>/<d>/…`).
 * The demo (`npm start`) and the bulk benchmark put them into S3
 * ({@link putElbObjects}).
 */

import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { generateAlbConnectionLines, generateAlbLines } from './alb-lines.ts';

export interface GeneratedObject {
  key: string;
  /** gzip */
  body: Buffer;
  lines: number;
}

export interface LoadBalancerSpec {
  name: string;
  /** 16 hex digits. */
  id: string;
  /** Its share of the lines. */
  share: number;
  /** Part of its share written as connection logs (0: none). */
  connections: number;
}

export const DEMO_LOAD_BALANCERS: LoadBalancerSpec[] = [
  { name: 'shop-frontend', id: '50dc6c495c0c9188', share: 0.5, connections: 0.2 },
  { name: 'payments-api', id: '8f2e1d0c9b8a7f6e', share: 0.3, connections: 0 },
  { name: 'admin-internal', id: '0a1b2c3d4e5f6a7b', share: 0.2, connections: 0 },
];

export interface ObjectsOptions {
  /** About this many lines in all. */
  totalLines: number;
  loadBalancers?: LoadBalancerSpec[];
  /** `YYYY-MM-DD` */
  days?: string[];
  /** Objects per load balancer (and kind of log) and day. */
  objectsPerDay?: number;
  account?: string;
  region?: string;
}

/** The objects, one at a time (each generated and compressed when asked for). */
export function* generateElbObjects(options: ObjectsOptions): Generator<GeneratedObject> {
  const {
    totalLines,
    loadBalancers = DEMO_LOAD_BALANCERS,
    days = ['2026-11-25', '2026-11-26'],
    objectsPerDay = 12,
    account = '123456789012',
    region = 'eu-west-1',
  } = options;
  const perSlot = totalLines / (days.length * objectsPerDay);
  let seed = 1;
  let made = 0;
  for (const day of days) {
    const [year, month, date] = day.split('-');
    for (let slot = 0; slot < objectsPerDay; slot++) {
      const minutes = Math.floor((slot * 24 * 60) / objectsPerDay);
      const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
      const mm = String(minutes % 60).padStart(2, '0');
      const startMs = Date.parse(`${day}T${hh}:${mm}:00Z`);
      // The object of the 5 minutes that end at its name's time.
      const end = new Date(startMs + 5 * 60_000).toISOString();
      const stamp = `${end.slice(0, 4)}${end.slice(5, 7)}${end.slice(8, 10)}T${end.slice(11, 13)}${end.slice(14, 16)}Z`;
      for (const lb of loadBalancers) {
        const lines = Math.max(1, Math.round(perSlot * lb.share));
        const connectionLines = Math.round(lines * lb.connections);
        const kinds: ['' | 'conn_log_', number, Iterable<string>][] = [
          [
            '',
            lines - connectionLines,
            generateAlbLines(lines - connectionLines, {
              seed: seed++,
              loadBalancer: lb.name,
              startMs,
            }),
          ],
        ];
        if (connectionLines > 0) {
          kinds.push([
            'conn_log_',
            connectionLines,
            generateAlbConnectionLines(connectionLines, {
              seed: seed++,
              loadBalancer: lb.name,
              startMs,
            }),
          ]);
        }
        for (const [kind, count, generated] of kinds) {
          made++;
          const node = `10.0.${slot % 4}.${10 + (made % 200)}`;
          yield {
            key: `AWSLogs/${account}/elasticloadbalancing/${region}/${year}/${month}/${date}/${kind}${account}_elasticloadbalancing_${region}_app.${lb.name}.${lb.id}_${stamp}_${node}_${(made * 7919).toString(36)}.log.gz`,
            body: gzipSync(`${[...generated].join('\n')}\n`),
            lines: count,
          };
        }
      }
    }
  }
}

/** What {@link putElbObjects} wrote. */
export interface WrittenObjects {
  objects: number;
  lines: number;
  /** Stored (gzip) bytes. */
  bytes: number;
}

/** Generates the objects and puts them into `bucket`, one at a time. */
export async function putElbObjects(
  client: S3Client,
  bucket: string,
  options: ObjectsOptions,
): Promise<WrittenObjects> {
  const written: WrittenObjects = { objects: 0, lines: 0, bytes: 0 };
  for (const object of generateElbObjects(options)) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body }));
    written.objects++;
    written.lines += object.lines;
    written.bytes += object.body.length;
  }
  return written;
}
