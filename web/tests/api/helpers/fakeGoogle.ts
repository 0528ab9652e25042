import { execFile } from 'node:child_process';
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A local stand-in for Google's OAuth 2.0 / OpenID Connect endpoints, for tests only (Google cannot be
// reached from the test machines). It speaks HTTPS with a throw-away self-signed certificate and issues
// real RS256-signed ID tokens, so the backend's real verification path runs against it:
// GOOGLE_ISSUER=<issuer>, NEUROPOD_OUTBOUND_CA_FILE=<caFile>.

export interface FakeIdentity {
  sub: string;
  email: string;
  name?: string;
  picture?: string;
  email_verified?: boolean;
}

export interface MintOptions {
  /** Claims to add or override; a claim set to undefined is removed. */
  claims?: Record<string, unknown>;
  /** Header fields to add or override; a field set to undefined is removed. */
  header?: Record<string, unknown>;
  /**
   * 'current' (default): the current published key. 'unpublished': a key that is not in the JWKS (same
   * kid as the current key unless the header overrides it). 'none': alg "none" and an empty signature.
   */
  key?: 'current' | 'unpublished' | 'none';
}

export interface FakeGoogleRequest {
  /** Path without the query string, e.g. '/oauth2/v3/certs'. */
  path: string;
  /** The query string without '?', '' if none. */
  query: string;
  method: string;
  /** The raw request body ('' for GET). */
  body: string;
}

export interface FakeGoogle {
  /** e.g. https://127.0.0.1:PORT */
  origin: string;
  /** = origin; configure the backend with GOOGLE_ISSUER=issuer. */
  issuer: string;
  /** origin + '/o/oauth2/v2/auth' */
  authUrl: string;
  /** origin + '/token' */
  tokenUrl: string;
  /** origin + '/oauth2/v3/certs' */
  jwksUrl: string;
  /** The self-signed certificate (PEM) the backend must trust: NEUROPOD_OUTBOUND_CA_FILE. */
  caFile: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /**
   * The identity that /authorize approves from now on, and that mintIdToken() uses by default
   * (until the next call). Initially a fixed test user, DEFAULT_IDENTITY.
   */
  nextIdentity(id: FakeIdentity): void;
  /**
   * A compact JWS. Default: iss=issuer, aud=clientId, sub/email/email_verified(true)/name/picture of
   * the current identity, iat=now, exp=now+3600; header {alg:'RS256', kid:<current kid>, typ:'JWT'}.
   */
  mintIdToken(opts?: MintOptions): string;
  /** A new current signing key with a new kid, published in the JWKS next to the old ones; returns the kid. */
  rotateKey(): string;
  /** Every request received, in order (e.g. to count JWKS fetches). */
  requests: FakeGoogleRequest[];
  close(): Promise<void>;
}

export const DEFAULT_IDENTITY: Readonly<FakeIdentity> = Object.freeze({
  sub: '109876543210987654321',
  email: 'test.user@example.com',
  name: 'Test User',
  picture: 'https://lh3.googleusercontent.com/a/test-user-picture',
  email_verified: true,
});

const AUTH_PATH = '/o/oauth2/v2/auth';
const TOKEN_PATH = '/token';
const JWKS_PATH = '/oauth2/v3/certs';
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 3600;
const ACCESS_TOKEN_TTL_S = 3599;
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/; // base64url(sha256(verifier)), no padding
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 section 4.1

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

interface PendingCode {
  identity: FakeIdentity;
  challenge: string;
  redirectUri: string;
  clientId: string;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

const execFileAsync = promisify(execFile);

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
const randomToken = (bytes: number): string => randomBytes(bytes).toString('base64url');

function newSigningKey(kid = `fake-${randomBytes(8).toString('hex')}`): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, jwk: { kty: 'RSA', kid, use: 'sig', alg: 'RS256', n, e } };
}

/** `base` with `overrides` applied; an override whose value is undefined removes the field. */
function merge(base: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) {
      delete result[name];
    } else {
      result[name] = value;
    }
  }
  return result;
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** application/x-www-form-urlencoded decoding of one Basic-auth part (RFC 6749 section 2.3.1). */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (match === null) {
    return undefined;
  }
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return id === undefined || secret === undefined ? undefined : { id, secret };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendOAuthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `redirectUri` with `params` appended to its query (percent-encoded, spaces as %20). */
function withQuery(redirectUri: string, params: [string, string][]): string {
  const hashAt = redirectUri.indexOf('#');
  const base = hashAt < 0 ? redirectUri : redirectUri.slice(0, hashAt);
  const query = params.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${query}`;
}

/** Self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
async function makeCertificate(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ];
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`fakeGoogle: could not create a certificate with the openssl CLI: ${detail}`);
  }
  return { keyFile, certFile };
}

export async function startFakeGoogle(opts: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}): Promise<FakeGoogle> {
  const { clientId, clientSecret, redirectUri } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'fake-google-'));
  let server: Server;
  try {
    const { keyFile, certFile } = await makeCertificate(dir);
    const [key, cert] = await Promise.all([readFile(keyFile), readFile(certFile)]);
    server = createServer({ key, cert });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  const issuer = origin;

  const published: SigningKey[] = [newSigningKey()];
  const unpublishedKey = newSigningKey();
  const currentKey = (): SigningKey => published[published.length - 1]!;
  let identity: FakeIdentity = { ...DEFAULT_IDENTITY };
  const codes = new Map<string, PendingCode>();
  const requests: FakeGoogleRequest[] = [];

  function mintIdToken(mint: MintOptions = {}): string {
    const keyChoice = mint.key ?? 'current';
    const now = Math.floor(Date.now() / 1000);
    const claims = merge(
      {
        iss: issuer,
        aud: clientId,
        sub: identity.sub,
        email: identity.email,
        email_verified: identity.email_verified ?? true,
        ...(identity.name === undefined ? {} : { name: identity.name }),
        ...(identity.picture === undefined ? {} : { picture: identity.picture }),
        iat: now,
        exp: now + TOKEN_TTL_S,
      },
      mint.claims,
    );
    const header = merge(
      { alg: keyChoice === 'none' ? 'none' : 'RS256', kid: currentKey().kid, typ: 'JWT' },
      mint.header,
    );
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    if (keyChoice === 'none') {
      return `${signingInput}.`;
    }
    const signer = keyChoice === 'unpublished' ? unpublishedKey : currentKey();
    return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), signer.privateKey))}`;
  }

  function authorize(url: URL, res: ServerResponse): void {
    const params = url.searchParams;
    const single = (name: string): string | undefined => {
      const values = params.getAll(name);
      return values.length === 1 ? values[0] : undefined;
    };
    if (params.getAll('client_id').length !== 1 || single('client_id') !== clientId) {
      return sendText(res, 400, 'Error 401: invalid_client. The OAuth client was not found.');
    }
    if (params.getAll('redirect_uri').length !== 1 || single('redirect_uri') !== redirectUri) {
      return sendText(res, 400, "Error 400: redirect_uri_mismatch. The redirect_uri does not match the client's.");
    }
    if (single('response_type') !== 'code') {
      return sendText(res, 400, 'Error 400: invalid_request. response_type must be "code".');
    }
    const scopes = (single('scope') ?? '').split(' ');
    if (!scopes.includes('openid')) {
      return sendText(res, 400, 'Error 400: invalid_request. scope must include "openid".');
    }
    const challenge = single('code_challenge');
    if (single('code_challenge_method') !== 'S256' || challenge === undefined) {
      return sendText(res, 400, 'Error 400: invalid_request. PKCE with code_challenge_method=S256 is required.');
    }
    if (!PKCE_CHALLENGE.test(challenge)) {
      return sendText(res, 400, 'Error 400: invalid_request. Invalid code_challenge.');
    }
    const code = `4/${randomToken(32)}`;
    codes.set(code, {
      identity: { ...identity },
      challenge,
      redirectUri,
      clientId,
      nonce: single('nonce'),
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    });
    const state = params.get('state');
    const back: [string, string][] = [['code', code]];
    if (state !== null) {
      back.push(['state', state]);
    }
    res.writeHead(302, { Location: withQuery(redirectUri, back), 'Cache-Control': 'no-store' });
    res.end();
  }

  function token(req: IncomingMessage, body: string, res: ServerResponse): void {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      return sendOAuthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const form = new URLSearchParams(body);
    const field = (name: string): string | undefined => form.get(name) ?? undefined;

    // Client authentication: HTTP Basic (client_secret_basic) or form fields (client_secret_post).
    const basic = basicCredentials(req.headers.authorization);
    if (req.headers.authorization !== undefined && basic === undefined) {
      return sendOAuthError(res, 401, 'invalid_client', 'Malformed Authorization header.');
    }
    if (basic !== undefined && field('client_id') !== undefined && field('client_id') !== basic.id) {
      return sendOAuthError(res, 400, 'invalid_request', 'client_id differs from the Authorization header.');
    }
    const presentedId = basic?.id ?? field('client_id');
    const presentedSecret = basic?.secret ?? field('client_secret');
    if (presentedId === undefined || presentedSecret === undefined) {
      return sendOAuthError(res, 401, 'invalid_client', 'Client authentication is required.');
    }
    if (!sameString(presentedId, clientId) || !sameString(presentedSecret, clientSecret)) {
      return sendOAuthError(res, 401, 'invalid_client', 'The OAuth client was not found or its secret is wrong.');
    }

    if (field('grant_type') !== 'authorization_code') {
      return sendOAuthError(res, 400, 'unsupported_grant_type', 'Only grant_type=authorization_code is supported.');
    }
    const code = field('code');
    if (code === undefined || code === '') {
      return sendOAuthError(res, 400, 'invalid_request', 'Missing required parameter: code');
    }
    const pending = codes.get(code);
    if (pending === undefined) {
      return sendOAuthError(res, 400, 'invalid_grant', 'Malformed auth code.');
    }
    // Like Google, a code can be redeemed once: any attempt uses it up, successful or not.
    const wasUsed = pending.used;
    pending.used = true;
    if (wasUsed) {
      return sendOAuthError(res, 400, 'invalid_grant', 'Bad Request: the code was already redeemed.');
    }
    if (Date.now() > pending.expiresAt) {
      return sendOAuthError(res, 400, 'invalid_grant', 'The code has expired.');
    }
    if (presentedId !== pending.clientId) {
      return sendOAuthError(res, 400, 'invalid_grant', 'The code was issued to another client.');
    }
    if (field('redirect_uri') !== pending.redirectUri) {
      return sendOAuthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
    }
    const verifier = field('code_verifier');
    if (verifier === undefined) {
      return sendOAuthError(res, 400, 'invalid_grant', 'Missing code verifier.');
    }
    if (!PKCE_VERIFIER.test(verifier) || base64url(createHash('sha256').update(verifier).digest()) !== pending.challenge) {
      return sendOAuthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
    }

    const accessToken = `ya29.${randomToken(48)}`;
    const atHash = base64url(createHash('sha256').update(accessToken).digest().subarray(0, 16));
    const saved = identity;
    identity = pending.identity;
    let idToken: string;
    try {
      idToken = mintIdToken({
        claims: { azp: pending.clientId, at_hash: atHash, ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }) },
      });
    } finally {
      identity = saved;
    }
    sendJson(
      res,
      200,
      {
        access_token: accessToken,
        expires_in: ACCESS_TOKEN_TTL_S,
        scope: 'openid email profile',
        token_type: 'Bearer',
        id_token: idToken,
      },
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    requests.push({ path: url.pathname, query: url.search.replace(/^\?/, ''), method, body });

    if (url.pathname === AUTH_PATH) {
      if (method !== 'GET') {
        return sendText(res, 405, 'Method Not Allowed');
      }
      return authorize(url, res);
    }
    if (url.pathname === TOKEN_PATH) {
      if (method !== 'POST') {
        return sendOAuthError(res, 405, 'invalid_request', 'Use POST.');
      }
      return token(req, body, res);
    }
    if (url.pathname === JWKS_PATH) {
      if (method !== 'GET' && method !== 'HEAD') {
        return sendText(res, 405, 'Method Not Allowed');
      }
      return sendJson(res, 200, { keys: published.map((k) => k.jwk) }, { 'Cache-Control': 'public, max-age=3600' });
    }
    sendText(res, 404, 'Not Found');
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendText(res, 500, `fakeGoogle: ${error instanceof Error ? error.message : String(error)}`);
      } else {
        res.destroy();
      }
    });
  });

  let closed: Promise<void> | undefined;
  return {
    origin,
    issuer,
    authUrl: origin + AUTH_PATH,
    tokenUrl: origin + TOKEN_PATH,
    jwksUrl: origin + JWKS_PATH,
    caFile: join(dir, 'cert.pem'),
    clientId,
    clientSecret,
    redirectUri,
    requests,
    nextIdentity(id: FakeIdentity): void {
      identity = { ...id };
    },
    mintIdToken,
    rotateKey(): string {
      const key = newSigningKey();
      published.push(key);
      return key.kid;
    },
    close(): Promise<void> {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
