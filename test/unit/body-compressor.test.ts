import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createBodyCompressor } from '../../shared/otlp/body-compressor.ts';

/** Bodies of different sizes and contents, so one leaking into another shows. */
function bodies(count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) => {
    const body = Buffer.alloc(1000 + n * 37_000);
    for (let i = 0; i < body.length; i++) body[i] = ((i * (n + 3)) % 251) ^ (i >> 9);
    return body;
  });
}

describe('createBodyCompressor', () => {
  it.each([
    ['gzip', gunzipSync],
    ['zstd', zstdDecompressSync],
  ] as const)(
    'gives each of many concurrent bodies its own complete %s stream',
    async (kind, decompress) => {
      const compressor = createBodyCompressor(kind);
      const inputs = bodies(40);
      const outputs: Buffer[] = [];
      // Four at a time, as the exporter has batches in flight, so kept streams are reused.
      for (let first = 0; first < inputs.length; first += 4) {
        const group = inputs.slice(first, first + 4);
        outputs.push(...(await Promise.all(group.map((body) => compressor.compress(body)))));
      }
      // Checked only now: a body kept for a retry must outlive the bodies compressed after it.
      outputs.forEach((output, i) => {
        expect(decompress(output).equals(inputs[i])).toBe(true);
      });
      expect((await compressor.compress(Buffer.alloc(0))).length).toBeGreaterThan(0);
      compressor.close();
    },
  );

  it('writes one gzip member per body, starting with the gzip header', async () => {
    const compressor = createBodyCompressor('gzip');
    for (const body of bodies(3)) {
      const output = await compressor.compress(body);
      expect([...output.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      // A second member would follow the first's eight-byte trailer; one member ends the buffer.
      expect(output.readUInt32LE(output.length - 4)).toBe(body.length);
    }
    compressor.close();
  });

  it('sends bodies as they are for none', async () => {
    const body = Buffer.from('as is');
    expect(await createBodyCompressor('none').compress(body)).toBe(body);
  });
});
