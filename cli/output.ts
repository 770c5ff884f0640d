/**
 * Writing to stdout with backpressure, and quietly stopping when the reader
 * goes away (`elb-otlp parse … | head`).
 */

import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes `text`, waiting for the stream to drain when its buffer is full. */
export async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** True for the error a write raises when the reading end of a pipe has closed. */
export function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
