import { describe, expect, it } from 'vitest';
import { createMemoryGuard, MemoryBound } from '../../shared/pipeline/memory-guard.ts';

describe('the memory guard', () => {
  it('collects once the ArrayBuffer memory passes the bound, looking every 16 pieces', () => {
    let bytes = 10;
    let collections = 0;
    let looks = 0;
    const guard = createMemoryGuard({
      bound: new MemoryBound(100),
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
    // One look to decide, one after the collection to see what it left.
    expect({ looks, collections }).toEqual({ looks: 4, collections: 1 });
  });

  it('waits for half a bound of new garbage when a collection leaves more than the bound alive', () => {
    // Two chunks shipped at once can keep more ArrayBuffers alive than the
    // bound: collecting at every look then frees nothing and costs a full
    // collection each time.
    let live = 150;
    let garbage = 0;
    let collections = 0;
    const guard = createMemoryGuard({
      bound: new MemoryBound(100),
      arrayBuffers: () => live + garbage,
      collect: () => {
        collections++;
        garbage = 0;
      },
    });
    const looks = (n: number) => {
      for (let i = 0; i < 16 * n; i++) guard();
    };
    looks(1);
    expect(collections).toBe(1);
    looks(4);
    expect(collections).toBe(1);
    garbage = 49;
    looks(1);
    expect(collections).toBe(1);
    garbage = 51;
    looks(1);
    expect(collections).toBe(2);
    // Once the live set shrinks, the next collection brings the bound back
    // down to the limit.
    live = 10;
    garbage = 191;
    looks(1);
    expect(collections).toBe(3);
    garbage = 91;
    looks(1);
    expect(collections).toBe(4);
  });

  it("shares its bound with the process's other guards, so a new object's guard does not collect at once", () => {
    // Objects shipped one after another, each with its own guard: spare
    // buffers and the objects still sending keep more than the limit alive,
    // and a guard starting from the limit would collect at its first look.
    const live = 150;
    let garbage = 0;
    let collections = 0;
    const bound = new MemoryBound(100);
    const options = {
      bound,
      arrayBuffers: () => live + garbage,
      collect: () => {
        collections++;
        garbage = 0;
      },
    };
    const looks = (guard: () => void, n: number) => {
      for (let i = 0; i < 16 * n; i++) guard();
    };
    looks(createMemoryGuard(options), 1);
    expect(collections).toBe(1);
    expect(bound.bytes).toBe(200);
    garbage = 40;
    for (let object = 0; object < 5; object++) looks(createMemoryGuard(options), 2);
    expect(collections).toBe(1);
    garbage = 60;
    looks(createMemoryGuard(options), 1);
    expect(collections).toBe(2);
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
