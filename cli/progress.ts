/**
 * A one-line progress bar on a terminal's stderr, redrawn at most every
 * {@link REDRAW_MS}; nothing at all when stderr is not a terminal (a log
 * file or a pipe gets only the final summary).
 */

import type { Writable } from 'node:stream';

/** Redraws are throttled: a terminal needs no more than ten a second. */
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export interface ProgressCounts {
  lines: number;
  failed: number;
  bytesIn: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  /** Clears the bar. */
  done(): void;
}

/**
 * @param totalBytes the input's size, when known (a file), for the percentage.
 */
export function createProgress(
  stream: Writable & { isTTY?: boolean },
  totalBytes: number | undefined,
  now: () => number = performance.now.bind(performance),
): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  const started = now();
  let last = -Infinity;
  let drawn = false;
  return {
    update(counts) {
      const t = now();
      if (t - last < REDRAW_MS) return;
      last = t;
      const seconds = Math.max((t - started) / 1000, 0.001);
      const rate = Math.round(counts.lines / seconds).toLocaleString('en-US');
      let bar = '';
      if (totalBytes !== undefined && totalBytes > 0) {
        const share = Math.min(1, counts.bytesIn / totalBytes);
        const filled = Math.round(share * BAR_WIDTH);
        bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% `;
      }
      const failed = counts.failed > 0 ? `, ${counts.failed.toLocaleString('en-US')} failed` : '';
      stream.write(
        `\r\x1b[K${bar}${counts.lines.toLocaleString('en-US')} lines (${rate}/s)${failed}`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
