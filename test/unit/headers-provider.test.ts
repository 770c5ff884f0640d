import { describe, expect, it } from 'vitest';
import { fixedHeaders, renewingHeaders } from '../../shared/config/headers-provider.ts';

const MAX_AGE = 1000;
const RETRY = 100;

/** A provider over a store that answers `a`, `b`, `c`… in turn, with a clock the test moves. */
function provider(fail: (read: number) => boolean = () => false) {
  let now = 0;
  let reads = 0;
  const stale: unknown[] = [];
  const headers = renewingHeaders({
    setting: 'OTLP_HEADERS_SECRET_ARN',
    initial: { authorization: 'start' },
    read: async () => {
      reads++;
      if (fail(reads)) throw new Error(`read ${reads} failed`);
      return { authorization: String.fromCharCode(96 + reads) };
    },
    now: () => now,
    maxAgeMs: MAX_AGE,
    retryMs: RETRY,
    onStale: (error) => stale.push((error as Error).message),
  });
  return {
    headers,
    stale,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('renewingHeaders', () => {
  it('answers the value it holds until the max age, then reads once for every request waiting', async () => {
    const p = provider();
    expect(await p.headers.current()).toEqual({ authorization: 'start' });
    p.advance(MAX_AGE - 1);
    expect(await p.headers.current()).toEqual({ authorization: 'start' });
    p.advance(1);
    const answers = await Promise.all([1, 2, 3].map(() => p.headers.current()));
    expect(answers).toEqual([1, 2, 3].map(() => ({ authorization: 'a' })));
    expect(p.reads()).toBe(1);
  });

  it('reads once for requests refused together, and not for one refused with a value already replaced', async () => {
    const p = provider();
    const refused = await p.headers.current();
    const [first, second] = await Promise.all([
      p.headers.refresh(refused),
      p.headers.refresh(refused),
    ]);
    expect([first, second]).toEqual([{ authorization: 'a' }, { authorization: 'a' }]);
    expect(await p.headers.refresh(refused)).toEqual({ authorization: 'a' });
    expect(p.reads()).toBe(1);
    // The new value refused in turn: read again.
    expect(await p.headers.refresh(first)).toEqual({ authorization: 'b' });
    expect(p.reads()).toBe(2);
  });

  it('keeps the last value when a read after the max age fails, and tries again after the retry time', async () => {
    const p = provider((read) => read === 1);
    p.advance(MAX_AGE);
    expect(await p.headers.current()).toEqual({ authorization: 'start' });
    expect(p.stale).toEqual(['read 1 failed']);
    p.advance(RETRY - 1);
    expect(await p.headers.current()).toEqual({ authorization: 'start' });
    expect(p.reads()).toBe(1);
    p.advance(1);
    expect(await p.headers.current()).toEqual({ authorization: 'b' });
  });

  it('throws when a read after a refusal fails: the last value is known to be bad', async () => {
    const p = provider(() => true);
    await expect(p.headers.refresh(await p.headers.current())).rejects.toThrow('read 1 failed');
    expect(p.stale).toEqual([]);
  });
});

describe('fixedHeaders', () => {
  it('is not renewable: a refused request is not worth repeating', async () => {
    const headers = { authorization: 'x' };
    const fixed = fixedHeaders(headers);
    expect(fixed.renewable).toBeUndefined();
    expect(await fixed.current()).toBe(headers);
    expect(await fixed.refresh(headers)).toBe(headers);
  });
});
