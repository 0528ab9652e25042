export const MISSING_URL_MESSAGE =
  'NEUROPOD_API_URL is not set: the API tests need a running server, e.g. ' +
  'NEUROPOD_API_URL=http://127.0.0.1:34567 npm run test:api (the test script starts the server with NEUROPOD_ENV=test).';

/** Base URL of the server under test, from NEUROPOD_API_URL. */
export function apiBaseUrl(): URL {
  const value = process.env.NEUROPOD_API_URL;
  if (value === undefined || value.trim() === '') {
    throw new Error(MISSING_URL_MESSAGE);
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`NEUROPOD_API_URL is not a valid URL: ${JSON.stringify(value)}`);
  }
  if (parsed.protocol !== 'http:') {
    throw new Error(`NEUROPOD_API_URL must be an http:// URL (the raw-socket tests speak plain HTTP/1.1): ${value}`);
  }
  return parsed;
}

export function apiUrl(path: string): URL {
  return new URL(path, apiBaseUrl());
}

/** Host and port for raw TCP connections to the server under test. */
export function apiAddress(): { host: string; port: number } {
  const base = apiBaseUrl();
  return { host: base.hostname.replace(/^\[|\]$/g, ''), port: Number(base.port || 80) };
}

/** The server's request-head timeout, if the test script told us (it also sets it for the server). */
export function requestTimeoutMs(): number {
  const value = Number(process.env.NEUROPOD_HTTP_REQUEST_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : 1_000;
}

/** The app origin the server under test allows (its APP_ORIGIN; the server's default). */
export const APP_ORIGIN = process.env.NEUROPOD_TEST_APP_ORIGIN ?? 'http://localhost:5173';

/** What the web app sends with every state-changing request (the server's CSRF check). */
export const CSRF_HEADERS: Readonly<Record<string, string>> = {
  origin: APP_ORIGIN,
  'x-requested-with': 'neuropod',
};
