import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createConnection, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, type ApiResponse } from './helpers/http';
import { validateAgainst, type Schemas } from './helpers/schema';
import { Client } from './helpers/session';
import { spawnServer, type OwnServer } from './helpers/spawnServer';
import { freePort, until } from './helpers/wait';

// A pod's open connections count as use while they stay open (not only when the ingress checks
// them as they open): every pod runs an "activity" container that reads the pod's TCP table and
// reports to POST /api/pod-access/activity. End to end: a server of our own (its public API URL is
// itself) creates a pod in the Kubernetes sandbox; the test reads the activity container from the
// Pod object the real API server stores and runs its very command, with its very environment, on
// this machine, whose TCP table then holds the connections the test opens to the pod's port on
// loopback. Reports must come while a connection is open and stop when it closes; they must reach
// the pod's last_activity_at. Both transfer tools the script knows are run: curl, then wget alone.

const exec = promisify(execFile);
const repo = resolve(__dirname, '../../..');
const kubectl = join(repo, '.tools/bin/kubectl');
const ROUTE = '/api/pod-access/activity';
const INTERVAL_S = 2;

type Pod = Schemas['Pod'];

interface Container {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value: string }[];
}

let server: OwnServer;
let owner: Client;
let podPort: number;
let listener: Server;
let scratch: string;
let podId: string | undefined;
const accepted: Socket[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** neuropod_http_requests_total of the activity route with this status class. */
async function reports(status: '2xx' | '4xx'): Promise<number> {
  const res = await fetch(server.url('/metrics'), { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('neuropod_http_requests_total{') && l.includes(`route="${ROUTE}"`) &&
      l.includes('method="POST"') && l.includes(`status="${status}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The pod's activity container, as the sandbox's kube-apiserver stores it. */
async function activityContainer(podId: string): Promise<Container> {
  const kubeconfig = process.env.NEUROPOD_TEST_KUBECONFIG!;
  return until('the Pod object in the sandbox', 30_000, async () => {
    const { stdout } = await exec(kubectl, ['--kubeconfig', kubeconfig, '-n', process.env.NEUROPOD_TEST_K8S_NAMESPACE ?? 'neuropod',
      'get', 'pod', `np-${podId}`, '-o', 'json']);
    const pod = JSON.parse(stdout) as { spec: { containers: Container[] } };
    return pod.spec.containers.find((c) => c.name === 'activity');
  });
}

/** Runs the container's command here with its environment (and PATH, to find sh, awk, curl...). */
function runActivity(c: Container, path: string): ChildProcess {
  const env: Record<string, string> = { PATH: path };
  for (const e of c.env) {
    env[e.name] = e.value;
  }
  const [file, ...args] = c.command;
  const child = spawn(file!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`activity: ${d.toString()}`));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.kill('SIGTERM');
  // The script traps TERM and exits at once, even while it sleeps (a pod stops without waiting).
  const code = await Promise.race([exited, sleep(3_000).then(() => 'timeout' as const)]);
  expect(code).toBe(0);
}

/** An open connection to the pod's port (what an open WebSocket through the ingress looks like). */
async function connect(): Promise<Socket> {
  const socket = createConnection(podPort, '127.0.0.1');
  await new Promise<void>((done, fail) => socket.once('connect', done).once('error', fail));
  return socket;
}

async function closeAll(socket: Socket): Promise<void> {
  socket.destroy();
  for (const s of accepted.splice(0)) {
    s.destroy();
  }
  await sleep(200);
}

/** While connected, reports arrive; after the connection closes, none do. */
async function reportsOnlyWhileConnected(child: ChildProcess): Promise<void> {
  const before = await reports('2xx');
  await sleep((INTERVAL_S + 1) * 1_000);
  expect(await reports('2xx'), 'no connection, no report').toBe(before);
  const socket = await connect();
  const during = await until('a report while a connection is open', 15_000, async () => {
    const n = await reports('2xx');
    return n > before ? n : undefined;
  });
  await until('a second report: it keeps counting while the connection stays open', 15_000, async () => {
    const n = await reports('2xx');
    return n > during ? n : undefined;
  });
  await closeAll(socket);
  await sleep(INTERVAL_S * 1_000 + 500); // a report already under way may still land
  const after = await reports('2xx');
  await sleep((INTERVAL_S + 1) * 1_000);
  expect(await reports('2xx'), 'closed: no more reports').toBe(after);
  await stop(child);
}

beforeAll(async () => {
  if (!process.env.NEUROPOD_TEST_KUBECONFIG || !process.env.NEUROPOD_TEST_MONGODB_URI) {
    throw new Error('NEUROPOD_TEST_KUBECONFIG and NEUROPOD_TEST_MONGODB_URI must be set (make test sets them)');
  }
  scratch = await mkdtemp(join(tmpdir(), 'neuropod-activity-'));
  podPort = await freePort();
  listener = createNetServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((done) => listener.listen(podPort, '127.0.0.1', done));
  const apiPort = await freePort();
  server = await spawnServer({
    NEUROPOD_PORT: String(apiPort),
    NEUROPOD_PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
    NEUROPOD_KUBECONFIG: process.env.NEUROPOD_TEST_KUBECONFIG,
    NEUROPOD_K8S_INSTANCE: `act-${Date.now().toString(36)}`,
    NEUROPOD_LEADER_LEASE_S: '3',
    NEUROPOD_RECONCILE_RESYNC_S: '2',
    NEUROPOD_POD_ACTIVITY_INTERVAL_S: String(Math.max(INTERVAL_S, 5)),
    NEUROPOD_RATE_GENERAL_PER_MIN: '100000',
  });
  owner = new Client((path) => server.url(path));
  await owner.devLogin(`activity-${Date.now().toString(36)}@example.com`);
}, 60_000);

afterAll(async () => {
  if (podId) {
    const del = await owner.call(`/api/pods/${podId}`, { method: 'DELETE' });
    expect([204, 404]).toContain(del.status);
  }
  for (const s of accepted.splice(0)) {
    s.destroy();
  }
  await new Promise<void>((done) => (listener ? listener.close(() => done()) : done()));
  if (server && server.process.exitCode === null) {
    server.process.kill('SIGTERM');
    await server.exited;
  }
  if (scratch) {
    await rm(scratch, { recursive: true, force: true });
  }
});

describe('open connections keep a pod active', () => {
  let pod: Pod;
  let container: Container;

  it('gives every pod an activity container that reports to this API with its own token', async () => {
    const res = await owner.post('/api/pods', {
      name: 'long socket',
      image: 'ghcr.io/example/socket-server:1.0',
      ports: [{ port: podPort, name: 'web', protocol: 'http' }],
    });
    expect(res.status, res.text).toBe(201);
    pod = validateAgainst('Pod', res.json);
    podId = pod.id;
    expect(pod.last_activity_at).toBeNull();
    container = await activityContainer(pod.id);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(env.NEUROPOD_ACTIVITY_URL).toBe(`http://127.0.0.1:${server.port}${ROUTE}`);
    expect(env.NEUROPOD_ACTIVITY_PORTS).toBe(podPort.toString(16).toUpperCase().padStart(4, '0'));
    expect(env.NEUROPOD_ACTIVITY_INTERVAL).toBe('5');
    expect(env.NEUROPOD_ACTIVITY_TOKEN).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    // The test runs it faster than pods do.
    container.env = container.env.map((e) => (e.name === 'NEUROPOD_ACTIVITY_INTERVAL' ? { ...e, value: String(INTERVAL_S) } : e));
  });

  it('refuses reports without the pod token, and takes 0 connections without marking anything', async () => {
    const token = container.env.find((e) => e.name === 'NEUROPOD_ACTIVITY_TOKEN')!.value;
    const post = async (body: unknown, auth?: string): Promise<ApiResponse> => {
      const r = await fetch(server.url(ROUTE), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await r.text();
      return { status: r.status, headers: r.headers, text, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
    };
    const refused = await post({ connections: 1 });
    expectError(refused, 401, 'unauthorized');
    expect(refused.json).toMatchObject({ error: { details: { reason: 'invalid_token' } } });
    expectError(await post({ connections: 1 }, `Bearer ${token.slice(0, -2)}xx`), 401, 'unauthorized');
    expectError(await post({ connections: 1 }, token), 401, 'unauthorized'); // no "Bearer "
    expectError(await post({ connections: 'x' }), 401, 'unauthorized'); // the token first, then the body
    // A session cookie is no activity token.
    const withCookie = await fetch(server.url(ROUTE), {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: owner.cookieHeader() },
      body: '{"connections":1}',
    });
    expect(withCookie.status).toBe(401);
    for (const bad of [{ connections: -1 }, { connections: 'x' }, {}, { connections: 1, extra: true }]) {
      expectError(await post(bad, `Bearer ${token}`), 400, 'validation_failed');
    }

    // 0 connections: taken (204), nothing marked (the refused ones marked nothing either).
    const zero = await post({ connections: 0 }, `Bearer ${token}`);
    expect(zero.status, zero.text).toBe(204);
    await sleep(16_000); // one batch of marks later
    const after = validateAgainst('Pod', (await owner.call(`/api/pods/${pod.id}`)).json);
    expect(after.last_activity_at).toBeNull();
  }, 60_000);
  it('with curl: reports while a connection is open, and the pod becomes active', async () => {
    const child = runActivity(container, process.env.PATH ?? '/usr/bin:/bin');
    await reportsOnlyWhileConnected(child);
    // The marks are written in batches (every 15 s).
    const active = await until('last_activity_at set', 30_000, async () => {
      const res = await owner.call(`/api/pods/${pod.id}`);
      const p = validateAgainst('Pod', res.json);
      return p.last_activity_at ?? undefined;
    });
    expect(Date.now() - Date.parse(active)).toBeLessThan(60_000);
  }, 90_000);

  it('with wget alone (busybox images have no curl): the same', async () => {
    // A PATH holding only what a busybox image has: sh, cat, awk, sleep and wget.
    const bin = join(scratch, 'bin');
    await exec('mkdir', ['-p', bin]);
    for (const tool of ['sh', 'cat', 'awk', 'sleep', 'wget']) {
      const { stdout } = await exec('sh', ['-c', `command -v ${tool}`]);
      await symlink(stdout.trim(), join(bin, tool));
    }
    await reportsOnlyWhileConnected(runActivity(container, bin));
  }, 90_000);

});
