import { access, constants } from 'node:fs/promises';
import { e2eEnv } from './helpers/env';

/** Fails the whole run at once, with one clear message, when the app or the browser is missing. */
export default async function setup(): Promise<void> {
  const base = e2eEnv.baseUrl();
  e2eEnv.artifacts();
  e2eEnv.adminEmail();
  try {
    await access(e2eEnv.chromium(), constants.X_OK);
  } catch {
    throw new Error(`Chromium not found at ${e2eEnv.chromium()}: tools/deps/install apt installs Debian's chromium.`);
  }
  try {
    const status = await fetch(new URL('/api/status', base), { signal: AbortSignal.timeout(5_000) });
    if (!status.ok) {
      throw new Error(`GET /api/status answered ${status.status}`);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`The web app at NEUROPOD_E2E_BASE_URL=${base} does not reach the server: ${reason}`);
  }
}
