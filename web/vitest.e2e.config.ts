import { defineConfig } from 'vitest/config';

// End-to-end browser tests: Debian's Chromium (playwright-core) against the built web app, served by
// `vite preview` in front of a running server. tools/e2e starts everything and sets NEUROPOD_E2E_*.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['./e2e/globalSetup.ts'],
    // One server and one database for every file: one file at a time, in a stable order.
    fileParallelism: false,
    sequence: { shuffle: false },
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
