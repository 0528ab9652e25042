import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY, startFakeGoogle, type FakeGoogle } from '../api/helpers/fakeGoogle';

// The API tests' stand-in for Google (tests/api/helpers/fakeGoogle.ts): check that it runs the OAuth
// authorization-code flow with PKCE like Google does, and that its ID tokens verify against its JWKS.

const CLIENT = {
  clientId: 'neuropod-test.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-test-secret',
  redirectUri: 'http://127.0.0.1:3000/api/v1/auth/google/callback',
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let google: FakeGoogle;
let agent: Agent;

function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

function postForm(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  return send(google.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(google.authUrl);
  for (const [name, value] of Object.entries(params)) {
    url.searchParams.set(name, value);
  }
  return url.toString();
}

const goodAuthorizeParams = (challenge: string, extra: Record<string, string> = {}): Record<string, string> => ({
  client_id: CLIENT.clientId,
  redirect_uri: CLIENT.redirectUri,
  response_type: 'code',
  scope: 'openid email profile',
  state: 'st/ate with spaces&=',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...extra,
});

/** Runs /authorize and returns the code from the redirect. */
async function authorizeCode(challenge: string, extra: Record<string, string> = {}): Promise<string> {
  const res = await send(authorizeUrl(goodAuthorizeParams(challenge, extra)));
  expect(res.status).toBe(302);
  const code = new URL(String(res.headers.location)).searchParams.get('code');
  expect(code).toBeTruthy();
  return code!;
}

const tokenFields = (code: string, verifier: string): Record<string, string> => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: CLIENT.redirectUri,
  client_id: CLIENT.clientId,
  client_secret: CLIENT.clientSecret,
  code_verifier: verifier,
});

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function jwks(): Promise<(JsonWebKey & { kid: string })[]> {
  const res = await send(google.jwksUrl);
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { keys: (JsonWebKey & { kid: string })[] }).keys;
}

/** Verifies an RS256 compact JWS against the published JWKS, by its kid, as a relying party would. */
async function verifiesAgainstJwks(token: string): Promise<boolean> {
  const [header, payload, signature] = token.split('.');
  const { alg, kid } = decodePart(token, 0);
  if (alg !== 'RS256' || !signature) {
    return false;
  }
  const jwk = (await jwks()).find((k) => k.kid === kid);
  if (jwk === undefined) {
    return false;
  }
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
}

beforeAll(async () => {
  google = await startFakeGoogle(CLIENT);
  agent = new Agent({ ca: readFileSync(google.caFile) });
}, 30_000);

afterAll(async () => {
  agent?.destroy();
  await google?.close();
});

describe('fakeGoogle', () => {
  it('serves HTTPS with a certificate that verifies against caFile', async () => {
    expect(google.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(google.issuer).toBe(google.origin);
    expect(google.authUrl).toBe(`${google.origin}/o/oauth2/v2/auth`);
    expect(google.tokenUrl).toBe(`${google.origin}/token`);
    expect(google.jwksUrl).toBe(`${google.origin}/oauth2/v3/certs`);
    // Without the CA, the certificate is refused.
    await expect(
      new Promise((resolve, reject) => request(google.jwksUrl, { agent: false }, resolve).on('error', reject).end()),
    ).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('runs authorize -> token with PKCE and issues an ID token that verifies against the JWKS', async () => {
    google.nextIdentity({ sub: '42', email: 'ada@example.com', name: 'Ada', picture: 'https://example.com/ada.png' });
    const { verifier, challenge } = pkce();
    const res = await send(authorizeUrl(goodAuthorizeParams(challenge, { nonce: 'n-0S6', prompt: 'select_account' })));
    expect(res.status).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(CLIENT.redirectUri);
    expect(location.searchParams.get('state')).toBe('st/ate with spaces&=');
    const code = location.searchParams.get('code')!;
    expect(code).toBeTruthy();

    const token = await postForm(tokenFields(code, verifier));
    expect(token.status).toBe(200);
    const body = JSON.parse(token.body) as Record<string, unknown>;
    expect(body).toMatchObject({ expires_in: 3599, scope: 'openid email profile', token_type: 'Bearer' });
    expect(typeof body.access_token).toBe('string');
    const idToken = String(body.id_token);

    expect(decodePart(idToken, 0)).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'JWT' });
    const claims = decodePart(idToken, 1);
    expect(claims).toMatchObject({
      iss: google.issuer,
      aud: CLIENT.clientId,
      sub: '42',
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada',
      picture: 'https://example.com/ada.png',
      nonce: 'n-0S6',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(Math.abs(Number(claims.iat) - Date.now() / 1000)).toBeLessThan(60);
    expect(await verifiesAgainstJwks(idToken)).toBe(true);

    // A tampered payload no longer verifies.
    const [h, , s] = idToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, email: 'eve@example.com' })).toString('base64url');
    expect(await verifiesAgainstJwks(`${h}.${forged}.${s}`)).toBe(false);

    // The code works once.
    const replay = await postForm(tokenFields(code, verifier));
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_grant' });
    google.nextIdentity(DEFAULT_IDENTITY);
  });

  it('accepts client credentials by HTTP Basic auth', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorizeCode(challenge);
    const { client_secret: _secret, client_id: _id, ...fields } = tokenFields(code, verifier);
    const basic = Buffer.from(`${encodeURIComponent(CLIENT.clientId)}:${encodeURIComponent(CLIENT.clientSecret)}`);
    const res = await postForm(fields, { Authorization: `Basic ${basic.toString('base64')}` });
    expect(res.status).toBe(200);
    expect(decodePart(String((JSON.parse(res.body) as { id_token: string }).id_token), 1)).toMatchObject({
      sub: DEFAULT_IDENTITY.sub,
      email: DEFAULT_IDENTITY.email,
    });
  });

  it('refuses a wrong code_verifier, client secret or redirect_uri, and unknown codes', async () => {
    const wrongVerifier = pkce();
    const one = pkce();
    const code1 = await authorizeCode(one.challenge);
    const res1 = await postForm(tokenFields(code1, wrongVerifier.verifier));
    expect(res1.status).toBe(400);
    expect(JSON.parse(res1.body)).toMatchObject({ error: 'invalid_grant', error_description: expect.any(String) });

    const two = pkce();
    const code2 = await authorizeCode(two.challenge);
    const res2 = await postForm({ ...tokenFields(code2, two.verifier), client_secret: 'wrong' });
    expect(res2.status).toBe(401);
    expect(JSON.parse(res2.body)).toMatchObject({ error: 'invalid_client' });

    const three = pkce();
    const code3 = await authorizeCode(three.challenge);
    const res3 = await postForm({ ...tokenFields(code3, three.verifier), redirect_uri: 'http://127.0.0.1:3000/other' });
    expect(res3.status).toBe(400);
    expect(JSON.parse(res3.body)).toMatchObject({ error: 'invalid_grant' });

    const res4 = await postForm(tokenFields('4/not-a-code', three.verifier));
    expect(res4.status).toBe(400);
    expect(JSON.parse(res4.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('authorize refuses a wrong client_id or redirect_uri, and requests without S256 PKCE', async () => {
    const { challenge } = pkce();
    const cases: Record<string, string>[] = [
      { client_id: 'someone-else' },
      { redirect_uri: `${CLIENT.redirectUri}/` },
      { response_type: 'token' },
      { code_challenge_method: 'plain' },
      { code_challenge: '' },
    ];
    for (const change of cases) {
      const res = await send(authorizeUrl(goodAuthorizeParams(challenge, change)));
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(res.headers.location).toBeUndefined();
    }
  });

  it('publishes its keys with Cache-Control, and both keys after rotateKey()', async () => {
    const res = await send(google.jwksUrl);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    const before = await jwks();
    expect(before).toHaveLength(1);
    expect(before[0]).toEqual({ kty: 'RSA', kid: expect.any(String), use: 'sig', alg: 'RS256', n: expect.any(String), e: 'AQAB' });
    const oldToken = google.mintIdToken();

    const kid = google.rotateKey();
    const after = await jwks();
    expect(after.map((k) => k.kid)).toEqual([before[0]!.kid, kid]);
    const newToken = google.mintIdToken();
    expect(decodePart(newToken, 0).kid).toBe(kid);
    expect(await verifiesAgainstJwks(newToken)).toBe(true);
    expect(await verifiesAgainstJwks(oldToken)).toBe(true);
  });

  it("mintIdToken: overrides, removals, an 'unpublished' key and alg none", async () => {
    const custom = google.mintIdToken({ claims: { aud: 'other', email_verified: undefined }, header: { typ: undefined } });
    expect(decodePart(custom, 1).aud).toBe('other');
    expect(decodePart(custom, 1)).not.toHaveProperty('email_verified');
    expect(decodePart(custom, 0)).not.toHaveProperty('typ');
    expect(await verifiesAgainstJwks(custom)).toBe(true);

    const unpublished = google.mintIdToken({ key: 'unpublished' });
    expect(decodePart(unpublished, 0).kid).toBe(decodePart(google.mintIdToken(), 0).kid);
    expect(await verifiesAgainstJwks(unpublished)).toBe(false);

    const none = google.mintIdToken({ key: 'none' });
    expect(decodePart(none, 0).alg).toBe('none');
    expect(none.endsWith('.')).toBe(true);
    expect(none.split('.')).toHaveLength(3);
    expect(await verifiesAgainstJwks(none)).toBe(false);
  });

  it('logs every request', () => {
    const paths = google.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /o/oauth2/v2/auth');
    expect(paths).toContain('POST /token');
    expect(google.requests.filter((r) => r.path === '/oauth2/v3/certs').length).toBeGreaterThan(3);
    const post = google.requests.find((r) => r.path === '/token');
    expect(post?.body).toContain('grant_type=authorization_code');
  });

  it('close() stops the server and removes the certificate directory', async () => {
    const other = await startFakeGoogle(CLIENT);
    expect(existsSync(other.caFile)).toBe(true);
    await other.close();
    expect(existsSync(other.caFile)).toBe(false);
    await expect(send(other.jwksUrl)).rejects.toThrow();
  }, 30_000);
});
