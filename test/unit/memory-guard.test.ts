import { describe, expect, it } from 'vitest';
import { createMemoryGuard } from '../../shared/pipeline/memory-guard.ts';

describe('the memory guard', () => {
  it('collects once the ArrayBuffer memory passes the bound, looking every 16 pieces', () => {
    let bytes = 10;
    let collections = 0;
    let looks = 0;
    const guard = createMemoryGuard({
      limitBytes: 100,
      arrayBuffers: () => {
        looks++;
        return bytes;
      },
      collect: () => {
        collections++;
        bytes = 10;
      },
    });
    for (let i = 0; i < 32; i++) guard();
    expect({ looks, collections }).toEqual({ looks: 2, collections: 0 });
    bytes = 101;
    for (let i = 0; i < 16; i++) guard();
    expect({ looks, collections }).toEqual({ looks: 3, collections: 1 });
  });

  it('does nothing when the process cannot collect on demand', () => {
    let looks = 0;
    const guard = createMemoryGuard({
      collect: undefined,
      arrayBuffers: () => {
        looks++;
        return Number.MAX_SAFE_INTEGER;
      },
    });
    for (let i = 0; i < 64; i++) guard();
    expect(looks).toBe(0);
  });
});
