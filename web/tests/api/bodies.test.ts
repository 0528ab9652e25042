import { describe, expect, it } from 'vitest';
import { apiAddress, CSRF_HEADERS } from './helpers/env';
import { call, expectError, fromRaw } from './helpers/http';
import { rawExchange } from './helpers/rawHttp';
import { validateAgainst } from './helpers/schema';

// POST /api/_echo exists only when the server runs with NEUROPOD_ENV=test:
// it parses a JSON object body and answers {"received": <body>}.
const ECHO = '/api/_echo';

function postEcho(body: string, contentType = 'application/json') {
  return call(ECHO, { method: 'POST', headers: { ...CSRF_HEADERS, 'content-type': contentType }, body });
}

describe('request bodies (POST /api/_echo)', () => {
  it('echoes a JSON object back', async () => {
    const sent = { name: 'pod-a', ports: [{ port: 8080 }], nested: { ok: true, n: null } };
    const response = await postEcho(JSON.stringify(sent));
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual({ received: sent });
  });

  it('accepts a charset in the JSON content type', async () => {
    const response = await postEcho('{"a":"ñ"}', 'application/json; charset=utf-8');
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual({ received: { a: 'ñ' } });
  });

  it.each([
    ['truncated', '{"name": "pod-a"'],
    ['not JSON at all', 'hello'],
    ['a trailing comma', '{"a": 1,}'],
    ['two documents', '{"a": 1} {"b": 2}'],
  ])('malformed JSON (%s): 400 invalid_json', async (_name, body) => {
    expectError(await postEcho(body), 400, 'invalid_json');
  });

  it('a content type that is not JSON: 415 unsupported_media_type', async () => {
    expectError(await postEcho('name=pod-a', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    expectError(await postEcho('{"a": 1}', 'text/plain'), 415, 'unsupported_media_type');
  });

  it.each([
    ['an array', '[1]'],
    ['a string', '"pod"'],
    ['a number', '42'],
    ['null', 'null'],
  ])('JSON that is not an object (%s): 400 validation_failed with details.fields', async (_name, body) => {
    const error = expectError(await postEcho(body), 400, 'validation_failed');
    const fields = error.error.details?.fields;
    expect(fields, JSON.stringify(error)).toBeInstanceOf(Array);
    expect(fields?.length).toBeGreaterThan(0);
  });

  it('a 2 MiB body (over the 1 MiB limit): 413 payload_too_large, answered rather than dropped', async () => {
    const { host } = apiAddress();
    const body = Buffer.alloc(2 * 1024 * 1024, 'a');
    body.write('{"blob": "');
    body.write('"}', body.length - 2);
    const outcome = await rawExchange({
      send: [
        `POST ${ECHO} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        { pauseMs: 300 }, // a server that checks Content-Length answers now, before any body byte
        body,
      ],
      waitMs: 10_000,
    });

    expect(outcome.response, `no response (closed: ${outcome.closed}, error: ${outcome.error}, bytes: ${outcome.bytesReceived})`).toBeDefined();
    const response = outcome.response!;
    expectError(fromRaw(response), 413, 'payload_too_large');
  });

  it('the server still works after refusing a large body', async () => {
    const response = await call('/api/status');
    expect(response.status).toBe(200);
    validateAgainst('Status', response.json);
  });
});
