// What tools/e2e tells the browser tests (NEUROPOD_E2E_*).

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} is not set: run the browser tests with tools/e2e, which starts the server and the web app.`);
  }
  return value;
}

export const e2eEnv = {
  /** The web app served by `vite preview`, e.g. http://127.0.0.1:41234 (it proxies /api). */
  baseUrl: () => required('NEUROPOD_E2E_BASE_URL'),
  /** Where screenshots go (tools/e2e: build/e2e-artifacts/). */
  artifacts: () => required('NEUROPOD_E2E_ARTIFACTS'),
  /** The address the server makes admin (its ADMIN_EMAILS). */
  adminEmail: () => required('NEUROPOD_E2E_ADMIN_EMAIL'),
  /** Debian's Chromium: playwright-core never downloads a browser. */
  chromium: () => process.env.NEUROPOD_E2E_CHROMIUM ?? '/usr/bin/chromium',
};

/** An address nobody else in this run uses, e.g. client-lq2x3k-1@e2e.neuropod.test. */
let counter = 0;
export function uniqueEmail(role: string): string {
  counter += 1;
  return `${role}-${Date.now().toString(36)}-${counter}@e2e.neuropod.test`;
}
