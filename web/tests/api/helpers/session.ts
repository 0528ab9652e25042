import { expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { APP_ORIGIN, CSRF_HEADERS } from './env';
import type { ApiResponse } from './http';

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags map to true. */
  attrs: Record<string, string | true>;
}

/** Every Set-Cookie of a response, parsed. */
export function setCookies(headers: Headers): SetCookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const attrs: Record<string, string | true> = {};
    for (const attr of rest) {
      const i = attr.indexOf('=');
      if (i === -1) {attrs[attr.toLowerCase()] = true;}
      else {attrs[attr.slice(0, i).toLowerCase()] = attr.slice(i + 1);}
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
  });
}

export function findCookie(headers: Headers, name: string): SetCookie | undefined {
  return setCookies(headers).find((c) => c.name === name);
}

/** A server under test reached at `base` (a spawned one, or NEUROPOD_API_URL's). */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: (path: string) => URL) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request; Set-Cookie answers update the jar; state-changing methods carry the CSRF headers. */
  async call(path: string, init: RequestInit & { csrf?: boolean } = {}): Promise<ApiResponse> {
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    if (init.csrf ?? !['GET', 'HEAD'].includes(method)) {
      for (const [k, v] of Object.entries(CSRF_HEADERS)) {if (!headers.has(k)) {headers.set(k, v);}}
    }
    if (this.cookies.size > 0 && !headers.has('cookie')) {headers.set('cookie', this.cookieHeader());}
    if (init.body !== undefined && !headers.has('content-type')) {headers.set('content-type', 'application/json');}
    const response = await fetch(this.base(path), {
      ...init,
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    for (const c of setCookies(response.headers)) {
      if (c.attrs['max-age'] === '0') {this.cookies.delete(c.name);}
      else {this.cookies.set(c.name, c.value);}
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  post(path: string, body?: unknown, init: RequestInit & { csrf?: boolean } = {}): Promise<ApiResponse> {
    return this.call(path, { ...init, method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** Development sign-in (the server must offer it). */
  async devLogin(email: string, name?: string): Promise<ApiResponse> {
    const response = await this.post('/api/auth/dev-login', { email, ...(name ? { name } : {}) });
    expect(response.status, response.text).toBe(200);
    return response;
  }
}

/** GET over HTTPS trusting one CA file, without following redirects (for the Google stand-in). */
export async function httpsGet(url: string, caFile: string): Promise<{ status: number; location?: string; body: string }> {
  const ca = await readFile(caFile);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export { APP_ORIGIN };
