import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../cli/progress.ts';

/** A stream that says it is a terminal, as stderr does in an interactive shell. */
function terminal(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, chunks };
}

describe('createProgress', () => {
  it('draws a bar with the share of bytes read, then clears it', () => {
    const { stream, chunks } = terminal(true);
    let now = 0;
    const progress = createProgress(stream, 1000, () => now);
    now = 2000;
    progress.update({ lines: 5000, failed: 0, bytesIn: 500 });
    progress.done();
    expect(chunks[0]).toContain('[############------------] 50% 5,000 lines (2,500/s)');
    expect(chunks.at(-1)).toBe('\r\x1b[K');
  });

  it('redraws at most every 100 ms and shows failures', () => {
    const { stream, chunks } = terminal(true);
    let now = 1000;
    const progress = createProgress(stream, undefined, () => now);
    progress.update({ lines: 1, failed: 0, bytesIn: 1 });
    now += 50;
    progress.update({ lines: 2, failed: 0, bytesIn: 2 });
    now += 60;
    progress.update({ lines: 3, failed: 3, bytesIn: 3 });
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toMatch(/3 lines .*3 failed/);
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, chunks } = terminal(false);
    const progress = createProgress(stream, 10);
    progress.update({ lines: 1, failed: 0, bytesIn: 1 });
    progress.done();
    expect(chunks).toEqual([]);
  });
});
