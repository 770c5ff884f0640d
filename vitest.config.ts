import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    allowOnly: false,
    testTimeout: 30_000,
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which
    // OpenSSL 3 keeps in its legacy provider; only the test processes need it.
    execArgv: ['--openssl-legacy-provider'],
  },
});
