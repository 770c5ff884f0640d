import { describe, expect, it } from 'vitest';
import { startedOnce } from '../../shared/runtime/started-once.ts';

describe('startedOnce (a Lambda container start-up)', () => {
  it('starts once and keeps the result, but starts again after a failure', async () => {
    let calls = 0;
    const start = startedOnce(async (fail: boolean) => {
      calls++;
      if (fail) throw new Error(`start ${calls} failed`);
      return { calls };
    });
    await expect(start(true)).rejects.toThrow('start 1 failed');
    const first = await start(false);
    expect(first).toEqual({ calls: 2 });
    expect(await start(true)).toBe(first);
    expect(calls).toBe(2);
  });
});
