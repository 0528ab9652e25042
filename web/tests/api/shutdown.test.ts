import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CSRF_HEADERS } from './helpers/env';
import { spawnServer, type OwnServer } from './helpers/spawnServer';

let server: OwnServer | undefined;

afterEach(async () => {
  if (server && server.process.exitCode === null) {
    server.process.kill('SIGKILL');
    await server.exited;
  }
  server = undefined;
});

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('graceful shutdown', () => {
  it('finishes a request in flight, stops accepting, and exits 0 on SIGTERM', async () => {
    server = await spawnServer({ NEUROPOD_SHUTDOWN_GRACE_MS: '10000' });
    const inFlight = fetch(server.url('/api/_echo?delay_ms=1500'), {
      method: 'POST',
      headers: { ...CSRF_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({ keep: 'me' }),
    });
    await new Promise((r) => setTimeout(r, 300)); // the request is now waiting in its handler
    const signalledAt = Date.now();
    server.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(await connectable(server.port), 'new connections are refused while draining').toBe(false);

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ received: { keep: 'me' } });

    expect(await server.exited).toBe(0);
    const tookMs = Date.now() - signalledAt;
    expect(tookMs, 'exits soon after the last request, not at the grace deadline').toBeLessThan(5_000);
    const messages = server.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toContain('http.draining');
    expect(messages.at(-1)).toBe('shutdown.complete');
  });

  it('closes idle keep-alive connections at once', async () => {
    server = await spawnServer();
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    const t0 = Date.now();
    server.process.kill('SIGTERM');
    await closed;
    expect(await server.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('cuts requests that outlive the grace period and still exits 0', async () => {
    server = await spawnServer({ NEUROPOD_SHUTDOWN_GRACE_MS: '300' });
    const slow = fetch(server.url('/api/_echo?delay_ms=5000'), {
      method: 'POST',
      headers: { ...CSRF_HEADERS, 'content-type': 'application/json' },
      body: '{}',
    }).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(await slow).toBe('connection closed');
  });
});
