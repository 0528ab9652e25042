import { apiBaseUrl } from './helpers/env';

/** Fails the whole run at once, with one clear message, when there is no server to test. */
export default async function setup(): Promise<void> {
  const base = apiBaseUrl(); // throws "NEUROPOD_API_URL is not set: ..."
  try {
    await fetch(new URL('/api/status', base), { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    const reason = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    throw new Error(`The server at NEUROPOD_API_URL=${base.href} does not answer GET /api/status: ${reason}`);
  }
}
