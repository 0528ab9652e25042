import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/http';
import { validateAgainst } from './helpers/schema';
import { Client } from './helpers/session';
import { spawnServer, type OwnServer } from './helpers/spawnServer';
import { freePort, until } from './helpers/wait';

// Outage drills against real parts, each of our own so that no other test is disturbed: a
// throw-away Kubernetes sandbox whose kube-apiserver is stopped and started again
// (tools/sandbox/k8s stop-apiserver / start-apiserver), a FerretDB instance that is stopped and
// started again, and a server of our own watching both. The admins' alert list, /metrics and a
// webhook receiver on loopback must show each alert raised and then cleared.

const run = promisify(execFile);
const repo = resolve(__dirname, '../../..');
const sandboxScript = join(repo, 'tools/sandbox/k8s');
const ferretScript = join(repo, 'tools/ferretdb/ferretdb');
const ADMIN = 'lolerodiez@gmail.com';

interface Hook {
  event: string;
  alert: { id: string; kind: string; severity: string; message: string; cleared_at?: string };
}

let state: string;
let sandboxEnv: NodeJS.ProcessEnv;
let ferretDir: string;
let ferretPort: number;
let server: OwnServer;
let hookServer: Server;
const hooks: Hook[] = [];
const admin = () => new Client((path) => server.url(path));
let adminClient: Client;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => done(body));
  });
}

async function alertIds(): Promise<string[] | undefined> {
  const res = await adminClient.call('/api/admin/alerts');
  if (res.status !== 200) {
    return undefined;
  }
  const body = res.json as { items: unknown[]; leading: boolean };
  expect(body.leading).toBe(true);
  return body.items.map((a) => validateAgainst('Alert', a).id);
}

async function metricValue(alert: string): Promise<number | undefined> {
  const res = await fetch(server.url('/metrics'), { signal: AbortSignal.timeout(5_000) });
  const series = `neuropod_alerts_active{alert="${alert}"} `;
  const line = (await res.text()).split('\n').find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.slice(series.length));
}

/** Whether the server logged a line with this `msg`. */
function logged(msg: string): boolean {
  return server.lines.some((line) => line.includes(`"msg":"${msg}"`));
}

function hook(event: string, kind: string): Hook | undefined {
  return hooks.find((h) => h.event === event && h.alert.kind === kind);
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'neuropod-outage-'));
  sandboxEnv = { ...process.env, K8S_SANDBOX_DIR: join(state, 'k8s'), K8S_SANDBOX_EPHEMERAL: '1' };
  delete sandboxEnv.K8S_SANDBOX_PORT;
  ferretDir = join(state, 'ferretdb');
  ferretPort = await freePort();
  hookServer = createServer((req, res) => {
    void readBody(req).then((body) => {
      hooks.push(JSON.parse(body) as Hook);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => hookServer.listen(0, '127.0.0.1', done));
  const hookAddress = hookServer.address();
  const hookPort = typeof hookAddress === 'object' && hookAddress ? hookAddress.port : 0;

  await Promise.all([
    run(sandboxScript, ['up'], { env: sandboxEnv, timeout: 150_000 }),
    run(ferretScript, ['start', ferretDir, String(ferretPort)], { timeout: 60_000 }),
  ]);
  server = await spawnServer({
    MONGODB_URI: `mongodb://127.0.0.1:${ferretPort}/outage`,
    NEUROPOD_KUBECONFIG: join(state, 'k8s/kubeconfig-backend.yaml'),
    NEUROPOD_K8S_INSTANCE: 'outage',
    NEUROPOD_LEADER_LEASE_S: '3',
    NEUROPOD_ALERT_INTERVAL_MS: '250',
    NEUROPOD_READY_TIMEOUT_MS: '1000',
    NEUROPOD_ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook`,
    NEUROPOD_RATE_GENERAL_PER_MIN: '100000',
  });
  adminClient = admin();
  await adminClient.devLogin(ADMIN);
  // The server leads (it holds the Kubernetes lease) and sees nothing wrong yet.
  await until('the server leads with no alert raised', 30_000, async () => {
    const ids = await alertIds();
    return ids !== undefined && ids.length === 0 ? ids : undefined;
  });
}, 240_000);

afterAll(async () => {
  if (server && server.process.exitCode === null) {
    server.process.kill('SIGTERM');
    await server.exited;
  }
  await run(sandboxScript, ['down'], { env: sandboxEnv }).catch(() => undefined);
  await run(ferretScript, ['stop', ferretDir]).catch(() => undefined);
  await new Promise<void>((done) => hookServer?.close(() => done()));
  if (state) {
    await rm(state, { recursive: true, force: true });
  }
}, 60_000);

describe('an alert when the sandbox kube-apiserver is stopped, cleared when it is back', () => {
  it('raises kubernetes_unreachable (list, metric, webhook), then clears it', async () => {
    await run(sandboxScript, ['stop-apiserver'], { env: sandboxEnv });
    const raised = await until('kubernetes_unreachable listed', 30_000, async () => {
      const ids = await alertIds();
      return ids?.includes('kubernetes_unreachable') ? ids : undefined;
    });
    expect(raised).not.toContain('database_down');
    expect(await metricValue('kubernetes_unreachable')).toBe(1);
    const raisedHook = await until('the webhook told', 10_000, async () => hook('alert.raised', 'kubernetes_unreachable'));
    expect(raisedHook.alert.severity).toBe('critical');
    expect(raisedHook.alert.message).toMatch(/Kubernetes API server/);
    const ready = await fetch(server.url('/api/ready'));
    expect(ready.status, 'not ready while Kubernetes is unreachable').toBe(503);
    // A whole lease (3 s) without renewal: the server steps down as leader (another instance
    // could hold the Lease by then), yet keeps evaluating the alerts: nobody can lead now.
    await until('the leader stepped down', 20_000, async () => (logged('pods.lease_expired') ? true : undefined));
    expect(await alertIds(), 'still raised, by an instance that no longer leads').toContain('kubernetes_unreachable');
    expect(logged('alerts.forgotten'), 'the alert state was not dropped').toBe(false);

    await run(sandboxScript, ['start-apiserver'], { env: sandboxEnv, timeout: 120_000 });
    await until('kubernetes_unreachable cleared', 30_000, async () => {
      const ids = await alertIds();
      return ids !== undefined && !ids.includes('kubernetes_unreachable') ? ids : undefined;
    });
    expect(await metricValue('kubernetes_unreachable')).toBe(0);
    const cleared = await until('the webhook told it cleared', 10_000, async () =>
      hook('alert.cleared', 'kubernetes_unreachable'),
    );
    expect(cleared.alert.cleared_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(hooks.filter((h) => h.alert.kind === 'kubernetes_unreachable'), 'raised once, cleared once').toHaveLength(2);
    expect((await fetch(server.url('/api/ready'))).status).toBe(200);
  }, 120_000);
});

describe('an alert when the database is stopped, cleared when it is back', () => {
  it('raises database_down (metric, webhook: the list itself needs the database), then clears it', async () => {
    await run(ferretScript, ['stop', ferretDir]);
    await until('database_down on /metrics', 30_000, async () =>
      (await metricValue('database_down')) === 1 ? true : undefined,
    );
    const raisedHook = await until('the webhook told', 10_000, async () => hook('alert.raised', 'database_down'));
    expect(raisedHook.alert.severity).toBe('critical');
    // Signed-in requests need the database: a clear error, not a hang or a 500.
    expectError(await adminClient.call('/api/admin/alerts'), 503, 'database_unavailable');

    await run(ferretScript, ['start', ferretDir, String(ferretPort)], { timeout: 60_000 });
    await until('database_down cleared on /metrics', 30_000, async () =>
      (await metricValue('database_down')) === 0 ? true : undefined,
    );
    await until('the webhook told it cleared', 10_000, async () => hook('alert.cleared', 'database_down'));
    const ids = await until('the list answers again', 10_000, alertIds);
    expect(ids).not.toContain('database_down');
  }, 120_000);
});
