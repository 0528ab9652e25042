import { defineConfig } from 'vitest/config';

// Black-box tests of the RUNNING server over HTTP: `NEUROPOD_API_URL=http://127.0.0.1:PORT npm run test:api`.
// The caller starts the server (NEUROPOD_ENV=test, a real database) and stops it afterwards.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/api/**/*.test.ts'],
    globalSetup: ['./tests/api/globalSetup.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
  },
});
