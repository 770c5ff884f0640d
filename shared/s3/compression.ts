/**
 * How an object is stored, told from its first bytes rather than its name:
 * ELB writes gzip (Classic ELB plain text), users hand over both, and other
 * compressions and archives, which elb-otlp does not read, are recognised by
 * their magic numbers so their bytes are never taken for lines.
 */

/**
 * Magic numbers of compressions and archives elb-otlp does not read, from
 * each format's specification. No ELB log line starts with any of them (a
 * line starts with a type, a timestamp or `tls`).
 */
const FOREIGN_MAGIC: readonly { format: string; magic: readonly number[] }[] = [
  // RFC 8878 §3.1.1.
  { format: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  // "BZh" and the block size, "1" to "9".
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((size) => ({
    format: 'bzip2',
    magic: [0x42, 0x5a, 0x68, 0x30 + size],
  })),
  // The .xz file format, §2.1.1.1.
  { format: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  // PKWARE APPNOTE 4.3.7 (a local file header) and 4.3.16 (an empty archive).
  { format: 'zip', magic: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'zip', magic: [0x50, 0x4b, 0x05, 0x06] },
  { format: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  // The LZ4 frame format.
  { format: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
];

/** Bytes the longest magic number needs: read before deciding how to read the rest. */
export const MAGIC_BYTES = 6;

/** True when `head` starts with `PAR1`, as an Apache Parquet file does. */
export function isParquet(head: Uint8Array): boolean {
  return (
    head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31
  );
}

/** True when `head` starts with the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The compression or archive format `head` starts with when it is one
 * elb-otlp does not read (`zstd`, `bzip2`, `xz`, `zip`, `7z`, `lz4`), else
 * `undefined` (gzip and text among them).
 *
 * @example
 * foreignCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04])); // 'zstd'
 */
export function foreignCompression(head: Uint8Array): string | undefined {
  for (const { format, magic } of FOREIGN_MAGIC) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return format;
  }
  return undefined;
}
