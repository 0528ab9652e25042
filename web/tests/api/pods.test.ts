import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { apiUrl, CSRF_HEADERS } from './helpers/env';
import { expectError, expectJsonContentType, type ApiResponse } from './helpers/http';
import { validateAgainst, type Schemas } from './helpers/schema';
import { Client } from './helpers/session';

// Pods on the shared test server: a real database and a real Kubernetes API server (the sandbox,
// tools/sandbox: kwok nodes, pods become Running and Ready at once, magic images fail). Every test
// signs in its own users and deletes the pods it made, so tests do not depend on each other.

type Pod = Schemas['Pod'];

const ADMIN = 'lolerodiez@gmail.com'; // the default ADMIN_EMAILS
const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const email = (label: string) => `pods-${label}-${uid()}@example.com`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Magic images of the sandbox (tools/sandbox/README.md).
const IMAGE_PULL_FAILS = 'registry.invalid/neuropod/does-not-exist:1';
const IMAGE_STAYS_CREATING = 'registry.invalid/neuropod/slow:1';

// Status changes come from the reconciler (watch + a 2 s resync in tests); an ASan server is slower.
const DEADLINE_MS = 15_000;
const SLOW_TEST_MS = 45_000;

async function signedIn(address: string): Promise<Client> {
  const c = new Client(apiUrl);
  await c.devLogin(address);
  return c;
}

async function userId(c: Client): Promise<string> {
  return validateAgainst('VerifyResponse', (await c.call('/api/auth/verify')).json).user.id;
}

/** The 6 base-36 characters the host names carry for a user (k8s/naming.hpp user_hash()). */
function userHash(id: string): string {
  let n = createHash('sha256').update(id).digest().readBigUInt64BE(0);
  let out = '';
  for (let i = 0; i < 6; i += 1) {
    out = '0123456789abcdefghijklmnopqrstuvwxyz'[Number(n % 36n)] + out;
    n /= 36n;
  }
  return out;
}

function pricing(c: Client): Promise<Schemas['Pricing']> {
  return c.call('/api/pricing').then((res) => {
    expect(res.status, res.text).toBe(200);
    return validateAgainst('Pricing', res.json);
  });
}

// Every pod a test made; afterEach deletes them as an admin (whoever owns them, blocked or not).
const made: string[] = [];
afterEach(async () => {
  if (made.length === 0) {
    return;
  }
  const admin = await signedIn(ADMIN);
  for (const id of made.splice(0)) {
    const res = await admin.call(`/api/pods/${id}`, { method: 'DELETE' });
    expect([204, 404], `cleanup DELETE /api/pods/${id}: ${res.text}`).toContain(res.status);
  }
});

function expectPod(res: ApiResponse, status: number): Pod {
  expect(res.status, res.text).toBe(status);
  expectJsonContentType(res.headers);
  return validateAgainst('Pod', res.json);
}

async function deploy(c: Client, body: Record<string, unknown>, path = '/api/pods'): Promise<Pod> {
  const pod = expectPod(await c.post(path, body), 201);
  made.push(pod.id);
  return pod;
}

async function getPod(c: Client, id: string): Promise<Pod> {
  return expectPod(await c.call(`/api/pods/${id}`), 200);
}

/** Polls GET /api/pods/{id} until `done` holds; fails with the last state at the deadline. */
async function waitFor(c: Client, id: string, what: string, done: (p: Pod) => boolean): Promise<Pod> {
  const deadline = Date.now() + DEADLINE_MS;
  let pod = await getPod(c, id);
  while (!done(pod)) {
    if (Date.now() > deadline) {
      throw new Error(`pod ${id} not ${what} after ${DEADLINE_MS} ms; last: ${JSON.stringify(pod)}`);
    }
    await sleep(150);
    pod = await getPod(c, id);
  }
  return pod;
}

const runningAndReady = (c: Client, id: string) =>
  waitFor(c, id, 'running and ready', (p) => p.status === 'running' && p.ready);
const stopped = (c: Client, id: string) => waitFor(c, id, 'stopped', (p) => p.status === 'stopped');

async function listed(c: Client, path = '/api/pods'): Promise<Pod[]> {
  const res = await c.call(path);
  expect(res.status, res.text).toBe(200);
  expectJsonContentType(res.headers);
  return validateAgainst('PodList', res.json).items;
}

function fieldsOf(err: Schemas['ErrorResponse']): string[] {
  return ((err.error.details?.fields ?? []) as { field: string }[]).map((f) => f.field);
}

interface StreamStart {
  status: number;
  headers: IncomingHttpHeaders;
  firstChunk: string;
}

/** Opens a streamed GET, reads its head and first body chunk, then aborts the connection. */
function firstChunkOf(c: Client, path: string): Promise<StreamStart> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(apiUrl(path), { method: 'GET', headers: { cookie: c.cookieHeader() } });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${path}: no first chunk within ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    req.on('response', (res) => {
      res.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, firstChunk: chunk.toString('utf8') });
        req.destroy(); // the client goes away mid-stream
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, firstChunk: '' });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

describe('pods: lifecycle', () => {
  it('deploys from a template, runs, stops (both routes), starts again and deletes', async () => {
    const c = await signedIn(email('life'));
    const me = await userId(c);
    const { base_domain: domain } = await pricing(c);
    const templates = validateAgainst('TemplateList', (await c.call('/api/templates')).json).items;
    const comfy = templates.find((t) => t.slug === 'comfyui');
    expect(comfy, 'the default comfyui template').toBeDefined();

    const tag = uid();
    const name = `My ComfyUI ${tag}`;
    const pod = await deploy(c, { name, template_slug: 'comfyui', env: [{ name: 'CLI_ARGS', value: '--listen 0.0.0.0 --port 8188 --lowvram' }, { name: 'EXTRA', value: '1' }] });
    expect(pod).toMatchObject({
      user_id: me,
      name,
      template_id: comfy?.id,
      template_slug: 'comfyui',
      template_name: comfy?.name,
      image: comfy?.image,
      ports: comfy?.ports,
      env: [
        { name: 'CLI_ARGS', value: '--listen 0.0.0.0 --port 8188 --lowvram' }, // replaces the template's
        { name: 'EXTRA', value: '1' },
      ],
      command: comfy?.command,
      args: comfy?.args,
      workspace_path: comfy?.workspace_path,
      resources: comfy?.resources,
      price_per_hour_micros: comfy?.price_per_hour_micros,
      desired: 'running',
      ready: false,
      cost_micros: 0,
      stopped_at: null,
    });
    expect(['pending', 'creating', 'running']).toContain(pod.status);
    expect(pod.urls).toEqual([
      { port: 8188, name: 'web', protocol: 'http', url: `https://my-comfyui-${tag}-${userHash(me)}-8188.${domain}` },
    ]);
    expect(Date.parse(pod.created_at)).not.toBeNaN();

    expect((await listed(c)).map((p) => p.id)).toEqual([pod.id]);

    const running = await runningAndReady(c, pod.id);
    expect(running.node).not.toBe('');
    expect(running.running_since).not.toBeNull();
    expect(running.urls).toEqual(pod.urls);
    expect(running.events.length, 'progress events (scheduling...)').toBeGreaterThan(0);

    // Stop through /api/pods/{id}/stop.
    const stopping = expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200);
    expect(stopping).toMatchObject({ id: pod.id, desired: 'stopped', ready: false, reason: 'StoppedByUser' });
    expect(['stopping', 'stopped']).toContain(stopping.status);
    const down = await stopped(c, pod.id);
    expect(down).toMatchObject({ desired: 'stopped', ready: false, running_since: null });
    expect(down.stopped_at).not.toBeNull();
    expect(expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200).status, 'stopping twice').toBe('stopped');
    expect((await listed(c)).find((p) => p.id === pod.id)?.status, 'a stopped pod is still listed').toBe('stopped');

    // Start again: same URLs.
    const again = expectPod(await c.post(`/api/pods/${pod.id}/start`), 200);
    expect(again).toMatchObject({ id: pod.id, desired: 'running', urls: pod.urls, stopped_at: null });
    expect(['pending', 'creating', 'running']).toContain(again.status);
    expect(expectPod(await c.post(`/api/pods/${pod.id}/start`), 200).desired, 'starting twice').toBe('running');
    await runningAndReady(c, pod.id);

    // Stop through the alias.
    const aliasStop = expectPod(await c.post('/api/pods/stop', { pod_id: pod.id }), 200);
    expect(aliasStop).toMatchObject({ id: pod.id, desired: 'stopped', reason: 'StoppedByUser' });
    await stopped(c, pod.id);

    expect((await c.call(`/api/pods/${pod.id}`, { method: 'DELETE' })).status).toBe(204);
    expectError(await c.call(`/api/pods/${pod.id}`), 404, 'not_found');
    expectError(await c.call(`/api/pods/${pod.id}`, { method: 'DELETE' }), 404, 'not_found');
    expectError(await c.post(`/api/pods/${pod.id}/start`), 404, 'not_found');
    expect(await listed(c)).toEqual([]);
  }, SLOW_TEST_MS);

  it('POST /api/pods/start deploys too (by template id); deleting a running pod frees its name', async () => {
    const c = await signedIn(email('alias'));
    const ubuntu = validateAgainst('TemplateList', (await c.call('/api/templates')).json).items.find((t) => t.slug === 'ubuntu');
    const pod = await deploy(c, { name: 'box', template_id: ubuntu?.id }, '/api/pods/start');
    expect(pod).toMatchObject({ name: 'box', template_id: ubuntu?.id, template_slug: 'ubuntu', command: ubuntu?.command, ports: [], urls: [] });
    await runningAndReady(c, pod.id);

    expect((await c.call(`/api/pods/${pod.id}`, { method: 'DELETE' })).status, 'delete while running').toBe(204);
    expectError(await c.call(`/api/pods/${pod.id}`), 404, 'not_found');
    const reused = await deploy(c, { name: 'box', template_slug: 'ubuntu' });
    expect(reused.id).not.toBe(pod.id);
    expect((await listed(c)).map((p) => p.id)).toEqual([reused.id]);
  }, SLOW_TEST_MS);

  it('deploys a custom image with a tier, GPUs, ports, env, command and args', async () => {
    const c = await signedIn(email('custom'));
    const me = await userId(c);
    const prices = await pricing(c);
    const medium = prices.tiers.find((t) => t.id === 'cpu-medium');
    expect(medium, 'the default cpu-medium tier').toBeDefined();

    const pod = await deploy(c, {
      name: 'API_Server 2',
      image: 'ghcr.io/example/api-server:1.2.3',
      tier: 'cpu-medium',
      ports: [
        { port: 8080, name: 'api', protocol: 'http' },
        { port: 2222, name: 'ssh', protocol: 'tcp' },
      ],
      env: [{ name: 'MODE', value: 'test' }],
      command: ['/app/server'],
      args: ['--port', '8080'],
    });
    expect(pod).toMatchObject({
      name: 'API_Server 2',
      image: 'ghcr.io/example/api-server:1.2.3',
      template_id: null,
      template_slug: '',
      tier: 'cpu-medium',
      resources: { cpu: medium?.cpu, memory: medium?.memory, gpus: 0 },
      price_per_hour_micros: medium?.price_per_hour_micros,
      env: [{ name: 'MODE', value: 'test' }],
      command: ['/app/server'],
      args: ['--port', '8080'],
    });
    const hash = userHash(me);
    expect(pod.urls).toEqual([
      { port: 8080, name: 'api', protocol: 'http', url: `https://api-server-2-${hash}-8080.${prices.base_domain}` },
      { port: 2222, name: 'ssh', protocol: 'tcp', url: '' },
    ]);
    await runningAndReady(c, pod.id);

    // No tier: the first one; a GPU adds the GPU price.
    const gpu = await deploy(c, { name: 'gpu box', image: 'nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04', gpus: 1 });
    const first = prices.tiers[0];
    expect(gpu).toMatchObject({
      tier: first?.id,
      resources: { cpu: first?.cpu, memory: first?.memory, gpus: 1 },
      price_per_hour_micros: (first?.price_per_hour_micros ?? 0) + prices.gpu_price_per_hour_micros,
      ports: [],
      urls: [],
    });
  }, SLOW_TEST_MS);

  it('an image that cannot be pulled ends failed with the reason; starting it again fails again', async () => {
    const c = await signedIn(email('pullfail'));
    const pod = await deploy(c, { name: 'broken', image: IMAGE_PULL_FAILS });
    const failed = await waitFor(c, pod.id, 'failed', (p) => p.status === 'failed');
    expect(failed).toMatchObject({ desired: 'stopped', ready: false, reason: 'ErrImagePull', running_since: null });
    expect(failed.message).not.toBe('');
    expect(failed.stopped_at).not.toBeNull();
    expectError(await c.call(`/api/pods/${pod.id}/logs`), 409, 'conflict');
    // Stopping a failed pod keeps what happened.
    expect(expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200)).toMatchObject({ status: 'failed', reason: 'ErrImagePull' });

    const retry = expectPod(await c.post(`/api/pods/${pod.id}/start`), 200);
    expect(retry).toMatchObject({ desired: 'running', reason: '' });
    expect(await waitFor(c, pod.id, 'failed again', (p) => p.status === 'failed')).toMatchObject({ reason: 'ErrImagePull' });
  }, SLOW_TEST_MS);

  it('an image that is still being pulled stays creating and can be stopped', async () => {
    const c = await signedIn(email('slow'));
    const pod = await deploy(c, { name: 'slow', image: IMAGE_STAYS_CREATING });
    const creating = await waitFor(c, pod.id, 'creating', (p) => p.status === 'creating');
    expect(creating).toMatchObject({ desired: 'running', ready: false });
    await sleep(1_000);
    expect((await getPod(c, pod.id)).status, 'still creating').toBe('creating');
    expect(expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200).desired).toBe('stopped');
    await stopped(c, pod.id);
  }, SLOW_TEST_MS);
});

describe('pods: refusals', () => {
  it.each([
    ['an invalid image', { name: 'x', image: 'Not A Valid/Image::tag' }, 'image'],
    ['an unknown template slug', { name: 'x', template_slug: `nope-${uid()}` }, 'template_slug'],
    ['an unknown template id', { name: 'x', template_id: 'ffffffffffffffffffffffff' }, 'template_id'],
    ['a template id that does not parse', { name: 'x', template_id: 'not-an-id' }, 'template_id'],
    ['neither template nor image', { name: 'x' }, 'template_id'],
    ['both a template and an image', { name: 'x', template_slug: 'ubuntu', image: 'ubuntu:24.04' }, 'template_id'],
    ['an unknown tier', { name: 'x', image: 'ubuntu:24.04', tier: `huge-${uid()}` }, 'tier'],
    ['no name', { template_slug: 'ubuntu' }, 'name'],
    ['an empty name', { name: '', template_slug: 'ubuntu' }, 'name'],
    ['a name of punctuation only', { name: '!!!', template_slug: 'ubuntu' }, 'name'],
    ['a name that is too long', { name: 'n'.repeat(65), template_slug: 'ubuntu' }, 'name'],
    ['a port out of range', { name: 'x', image: 'ubuntu:24.04', ports: [{ port: 70000 }] }, 'ports[0].port'],
    ['a bad env name', { name: 'x', template_slug: 'ubuntu', env: [{ name: '1BAD', value: '' }] }, 'env[0].name'],
    ['too many GPUs', { name: 'x', image: 'ubuntu:24.04', gpus: 17 }, 'gpus'],
  ])('refuses %s with a per-field 400 (nothing is recorded)', async (_label, body, field) => {
    const c = await signedIn(email('invalid'));
    const err = expectError(await c.post('/api/pods', body), 400, 'validation_failed');
    expect(fieldsOf(err)).toContain(field);
    expect(await listed(c)).toEqual([]);
  });

  it('a second pod of the same name (or the same host-name form) is a conflict; other users may use it', async () => {
    const c = await signedIn(email('dup'));
    const pod = await deploy(c, { name: 'Work Box', template_slug: 'ubuntu' });
    expectError(await c.post('/api/pods', { name: 'Work Box', template_slug: 'ubuntu' }), 409, 'conflict');
    expectError(await c.post('/api/pods', { name: 'work-box', image: 'ubuntu:24.04' }), 409, 'conflict');
    expect((await listed(c)).map((p) => p.id)).toEqual([pod.id]);
    // A stopped pod keeps its name.
    expect(expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200).desired).toBe('stopped');
    expectError(await c.post('/api/pods', { name: 'Work Box', template_slug: 'ubuntu' }), 409, 'conflict');

    const other = await signedIn(email('dup-other'));
    await deploy(other, { name: 'Work Box', template_slug: 'ubuntu' });
  }, SLOW_TEST_MS);

  it('refuses a pod beyond max_running_pods_per_user (409 pod_limit_reached) until one is stopped', async () => {
    const c = await signedIn(email('limit'));
    const { max_running_pods_per_user: limit } = await pricing(c);
    expect(limit, 'the default limit (3), not changed by another test').toBeLessThanOrEqual(5);
    const pods: Pod[] = [];
    for (let i = 0; i < limit; i += 1) {
      pods.push(await deploy(c, { name: `p${i}`, template_slug: 'ubuntu' }));
    }
    const err = expectError(await c.post('/api/pods', { name: 'one-too-many', template_slug: 'ubuntu' }), 409, 'pod_limit_reached');
    expect(err.error.details).toMatchObject({ limit });
    expectError(await c.post('/api/pods/start', { name: 'one-too-many', image: 'ubuntu:24.04' }), 409, 'pod_limit_reached');
    expect(await listed(c)).toHaveLength(limit);

    // A stopped pod does not count; starting it again when the others run again does.
    const first = pods[0] as Pod;
    expectPod(await c.post(`/api/pods/${first.id}/stop`), 200);
    await stopped(c, first.id);
    await deploy(c, { name: 'replacement', template_slug: 'ubuntu' });
    expectError(await c.post(`/api/pods/${first.id}/start`), 409, 'pod_limit_reached');
    expect((await getPod(c, first.id)).status).toBe('stopped');
  }, SLOW_TEST_MS);

  it('concurrent deploys respect the limit and the unique name', async () => {
    const c = await signedIn(email('race'));
    const { max_running_pods_per_user: limit } = await pricing(c);
    const keep = (res: ApiResponse) => {
      if (res.status === 201) {
        made.push(validateAgainst('Pod', res.json).id);
      }
      return res;
    };
    const sameName = await Promise.all([0, 1, 2].map(() => c.post('/api/pods', { name: 'twin', template_slug: 'ubuntu' }).then(keep)));
    expect(sameName.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const r of sameName.filter((x) => x.status === 409)) {
      expectError(r, 409, 'conflict');
    }
    const many = await Promise.all(
      Array.from({ length: limit + 2 }, (_, i) => c.post('/api/pods', { name: `racer-${i}`, template_slug: 'ubuntu' }).then(keep)),
    );
    expect(many.filter((r) => r.status === 201), 'one pod (twin) runs already').toHaveLength(limit - 1);
    for (const r of many.filter((x) => x.status !== 201)) {
      expectError(r, 409, 'pod_limit_reached');
    }
    expect(await listed(c)).toHaveLength(limit);
  }, SLOW_TEST_MS);

  it('refuses to deploy or start with a balance below min_runway_minutes of the pods (402)', async () => {
    const admin = await signedIn(ADMIN);
    const c = await signedIn(email('poor'));
    const id = await userId(c);
    const setBalance = async (amount: number) => {
      const res = await admin.post(`/api/admin/users/${id}/balance`, { mode: 'set', amount_micros: amount, reason: 'pods test' });
      expect(res.status, res.text).toBe(200);
    };

    await setBalance(0);
    const err = expectError(await c.post('/api/pods', { name: 'cheap', template_slug: 'ubuntu' }), 402, 'insufficient_balance');
    const details = err.error.details as { balance_micros: number; required_micros: number };
    expect(details.balance_micros).toBe(0);
    expect(details.required_micros).toBeGreaterThan(0);
    expect(await listed(c), 'nothing recorded').toEqual([]);

    await setBalance(details.required_micros - 1);
    expectError(await c.post('/api/pods', { name: 'cheap', template_slug: 'ubuntu' }), 402, 'insufficient_balance');
    await setBalance(details.required_micros);
    const pod = await deploy(c, { name: 'cheap', template_slug: 'ubuntu' });
    // A second one needs the runway of both.
    expectError(await c.post('/api/pods', { name: 'second', template_slug: 'ubuntu' }), 402, 'insufficient_balance');

    expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200);
    await stopped(c, pod.id);
    await setBalance(0);
    expectError(await c.post(`/api/pods/${pod.id}/start`), 402, 'insufficient_balance');
    expect((await getPod(c, pod.id)).desired).toBe('stopped');
  }, SLOW_TEST_MS);
});

describe('pods: other users and admins', () => {
  it("another user gets 404 for someone else's pod and does not see it", async () => {
    const owner = await signedIn(email('owner'));
    const stranger = await signedIn(email('stranger'));
    await deploy(stranger, { name: 'mine', template_slug: 'ubuntu' });
    const pod = await deploy(owner, { name: 'private', template_slug: 'ubuntu' });
    await runningAndReady(owner, pod.id);

    expectError(await stranger.call(`/api/pods/${pod.id}`), 404, 'not_found');
    expectError(await stranger.post(`/api/pods/${pod.id}/stop`), 404, 'not_found');
    expectError(await stranger.post('/api/pods/stop', { pod_id: pod.id }), 404, 'not_found');
    expectError(await stranger.post(`/api/pods/${pod.id}/start`), 404, 'not_found');
    expectError(await stranger.call(`/api/pods/${pod.id}`, { method: 'DELETE' }), 404, 'not_found');
    expectError(await stranger.call(`/api/pods/${pod.id}/logs`), 404, 'not_found');
    expectError(await stranger.call(`/api/pods/${pod.id}/logs?follow=true`), 404, 'not_found');
    expect((await listed(stranger)).map((p) => p.name)).toEqual(['mine']);
    expectError(await stranger.call('/api/admin/pods'), 403, 'forbidden');

    for (const path of ['/api/pods/not-an-id', '/api/pods/ffffffffffffffffffffffff']) {
      expectError(await owner.call(path), 404, 'not_found');
      expectError(await owner.post(`${path}/stop`), 404, 'not_found');
    }
    expectError(await owner.post('/api/pods/stop', { pod_id: 'not-an-id' }), 404, 'not_found');
    expectError(await owner.post('/api/pods/stop', {}), 400, 'validation_failed');

    expect(await getPod(owner, pod.id), 'untouched').toMatchObject({ status: 'running', desired: 'running' });
  }, SLOW_TEST_MS);

  it("an admin lists every user's pods (with filters), reads and stops them", async () => {
    const admin = await signedIn(ADMIN);
    const address = email('watched');
    const c = await signedIn(address);
    const id = await userId(c);
    const pod = await deploy(c, { name: 'watched', template_slug: 'ubuntu' });
    await runningAndReady(c, pod.id);

    const all = await listed(admin, '/api/admin/pods');
    expect(all.find((p) => p.id === pod.id)).toMatchObject({ user_id: id, user_email: address, status: 'running' });
    const mine = await listed(admin, `/api/admin/pods?user_id=${id}`);
    expect(mine.map((p) => p.id)).toEqual([pod.id]);
    const runningOnes = await listed(admin, `/api/admin/pods?user_id=${id}&status=running`);
    expect(runningOnes.map((p) => p.id)).toEqual([pod.id]);
    expect(await listed(admin, `/api/admin/pods?user_id=${id}&status=stopped`)).toEqual([]);
    expect((await listed(admin, '/api/admin/pods?limit=1')).length).toBe(1);
    expectError(await admin.call('/api/admin/pods?user_id=nope'), 400, 'validation_failed');
    expectError(await admin.call('/api/admin/pods?limit=0'), 400, 'validation_failed');
    expectError(await admin.call('/api/admin/pods?status=sleeping'), 400, 'validation_failed');

    expect((await getPod(admin, pod.id)).id).toBe(pod.id);
    const byAdmin = expectPod(await admin.post(`/api/pods/${pod.id}/stop`), 200);
    expect(byAdmin).toMatchObject({ desired: 'stopped', reason: 'StoppedByAdmin' });
    expect(await stopped(c, pod.id)).toMatchObject({ reason: 'StoppedByAdmin' });
    expect((await listed(admin, `/api/admin/pods?user_id=${id}&status=stopped`)).map((p) => p.id)).toEqual([pod.id]);
    // The admin starts it again for the user (the user's balance and limit apply).
    expect(expectPod(await admin.post(`/api/pods/${pod.id}/start`), 200)).toMatchObject({ desired: 'running', reason: '' });
    await runningAndReady(c, pod.id);
    // The admin's own list holds only the admin's pods.
    expect((await listed(admin)).map((p) => p.id)).not.toContain(pod.id);
  }, SLOW_TEST_MS);

  it("blocking a user stops all of that user's pods", async () => {
    const admin = await signedIn(ADMIN);
    const c = await signedIn(email('blocked'));
    const id = await userId(c);
    const a = await deploy(c, { name: 'a', template_slug: 'ubuntu' });
    const b = await deploy(c, { name: 'b', image: 'ubuntu:24.04', command: ['sleep', 'infinity'] });
    await runningAndReady(c, a.id);
    await runningAndReady(c, b.id);

    const blocked = await admin.post(`/api/admin/users/${id}/block`);
    expect(blocked.status, blocked.text).toBe(200);
    expect(validateAgainst('UserEnvelope', blocked.json).user.blocked).toBe(true);

    for (const pod of [a, b]) {
      const down = await stopped(admin, pod.id);
      expect(down.desired).toBe('stopped');
      expect(down.reason, 'why it stopped').not.toBe('');
    }
    expect((await c.call('/api/pods')).status, 'the blocked user is signed out').toBe(401);
  }, SLOW_TEST_MS);
});

describe('pods: logs', () => {
  it('returns the last lines as text, follows as a chunked stream, and refuses a stopped pod (409)', async () => {
    const c = await signedIn(email('logs'));
    const pod = await deploy(c, { name: 'talker', template_slug: 'ubuntu' });
    await runningAndReady(c, pod.id);

    const res = await c.call(`/api/pods/${pod.id}/logs?tail=10`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain\b/);
    expect(res.text).toContain('kwok');
    expect((await c.call(`/api/pods/${pod.id}/logs`)).text, 'default tail').toContain('kwok');

    const stream = await firstChunkOf(c, `/api/pods/${pod.id}/logs?follow=true&tail=10`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/plain\b/);
    expect(stream.headers['transfer-encoding']).toBe('chunked');
    expect(stream.firstChunk).toContain('kwok');
    // The server is fine after the client went away mid-stream.
    expect((await c.call(`/api/pods/${pod.id}/logs?tail=1`)).status).toBe(200);

    for (const q of ['tail=-1', 'tail=10001', 'tail=abc', 'follow=maybe']) {
      const err = expectError(await c.call(`/api/pods/${pod.id}/logs?${q}`), 400, 'validation_failed');
      expect(JSON.stringify(err.error.details), q).toContain(`"${q.split('=')[0] ?? ''}"`);
    }

    expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200);
    await stopped(c, pod.id);
    const refused = expectError(await c.call(`/api/pods/${pod.id}/logs?tail=10`), 409, 'conflict');
    expect(refused.error.details).toMatchObject({ status: 'stopped' });
  }, SLOW_TEST_MS);

  // Refused before the 200 head of the stream goes out, like the non-followed logs.
  it('follow=true of a stopped pod is refused with 409 as well', async () => {
    const c = await signedIn(email('logs-stopped'));
    const pod = await deploy(c, { name: 'quiet', template_slug: 'ubuntu' });
    expectPod(await c.post(`/api/pods/${pod.id}/stop`), 200);
    await stopped(c, pod.id);
    expectError(await c.call(`/api/pods/${pod.id}/logs?follow=true`), 409, 'conflict');
  }, SLOW_TEST_MS);
});

describe('capacity', () => {
  it('reports free CPU, memory and GPUs of the two sandbox nodes and what fits', async () => {
    const c = await signedIn(email('capacity'));
    const res = await c.call('/api/capacity');
    expect(res.status, res.text).toBe(200);
    expectJsonContentType(res.headers);
    const cap = validateAgainst('Capacity', res.json);
    expect(cap.nodes).toHaveLength(2);
    const sum = (pick: (n: (typeof cap.nodes)[number]) => number) => cap.nodes.reduce((s, n) => s + pick(n), 0);
    expect(cap.cpu_millis_free).toBe(sum((n) => n.cpu_millis_free));
    expect(cap.memory_bytes_free).toBe(sum((n) => n.memory_bytes_free));
    expect(cap.gpus_free).toBe(sum((n) => n.gpus_free));
    expect(cap.max_gpus_free_on_one_node).toBe(Math.max(...cap.nodes.map((n) => n.gpus_free)));
    expect(cap.gpus_free).toBeGreaterThanOrEqual(0);
    expect(cap.gpus_free).toBeLessThanOrEqual(2);
    expect(cap.cpu_millis_free).toBeGreaterThan(0);
    expect(cap.cpu_millis_free).toBeLessThanOrEqual(24_000); // 8 + 16 CPUs
    expect(cap.memory_bytes_free).toBeGreaterThan(0);
    expect(cap.memory_bytes_free).toBeLessThanOrEqual(96 * 2 ** 30); // 32 + 64 GiB
    for (const n of cap.nodes) {
      expect(n.schedulable, n.name).toBe(true);
      expect(n.cpu_millis_free, n.name).toBeGreaterThanOrEqual(0);
    }

    const prices = await pricing(c);
    expect(cap.tiers.map((t) => t.id)).toEqual(prices.tiers.map((t) => t.id));
    for (const t of cap.tiers) {
      expect(t.fits, t.id).toBeGreaterThanOrEqual(0);
    }
    const small = cap.tiers.find((t) => t.id === 'cpu-small');
    expect(small?.fits, 'at least one 1-CPU pod fits on an idle sandbox').toBeGreaterThan(0);
    const comfy = cap.templates.find((t) => t.slug === 'comfyui');
    const ubuntu = cap.templates.find((t) => t.slug === 'ubuntu');
    expect(comfy?.gpus).toBe(1);
    expect(comfy?.fits).toBeLessThanOrEqual(cap.gpus_free);
    expect(ubuntu).toMatchObject({ gpus: 0 });
    expect(ubuntu?.fits).toBeGreaterThan(0);
  });
});

describe('pods: access', () => {
  const routes: [string, string][] = [
    ['GET', '/api/pods'],
    ['POST', '/api/pods'],
    ['POST', '/api/pods/start'],
    ['POST', '/api/pods/stop'],
    ['GET', '/api/pods/ffffffffffffffffffffffff'],
    ['DELETE', '/api/pods/ffffffffffffffffffffffff'],
    ['POST', '/api/pods/ffffffffffffffffffffffff/stop'],
    ['POST', '/api/pods/ffffffffffffffffffffffff/start'],
    ['GET', '/api/pods/ffffffffffffffffffffffff/logs'],
    ['GET', '/api/pods/ffffffffffffffffffffffff/logs?follow=true'],
    ['GET', '/api/capacity'],
    ['GET', '/api/admin/pods'],
  ];

  it('signed-out callers get 401 on every pod route', async () => {
    const anonymous = new Client(apiUrl);
    for (const [method, path] of routes) {
      const body = method === 'POST' ? (path === '/api/pods/stop' ? { pod_id: 'ffffffffffffffffffffffff' } : { name: 'x', template_slug: 'ubuntu' }) : undefined;
      const res = await anonymous.call(path, { method, ...(body && { body: JSON.stringify(body) }) });
      expectError(res, 401, 'unauthorized');
    }
  });

  it('state-changing pod requests without the CSRF headers are refused and change nothing', async () => {
    const c = await signedIn(email('csrf'));
    const pod = await deploy(c, { name: 'guarded', template_slug: 'ubuntu' });
    const cookie = c.cookieHeader();
    const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
      const res = await fetch(apiUrl(path), {
        method,
        headers: { cookie, 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as unknown };
    };
    const withoutOrigin = { 'x-requested-with': CSRF_HEADERS['x-requested-with'] ?? '' };
    const withoutHeader = { origin: CSRF_HEADERS.origin ?? '' };
    const foreign = { origin: 'https://evil.example', 'x-requested-with': 'neuropod' };
    for (const headers of [withoutOrigin, withoutHeader, foreign]) {
      for (const [method, path, body] of [
        ['POST', '/api/pods', { name: 'forged', template_slug: 'ubuntu' }],
        ['POST', '/api/pods/start', { name: 'forged', template_slug: 'ubuntu' }],
        ['POST', `/api/pods/${pod.id}/stop`, undefined],
        ['POST', '/api/pods/stop', { pod_id: pod.id }],
        ['POST', `/api/pods/${pod.id}/start`, undefined],
        ['DELETE', `/api/pods/${pod.id}`, undefined],
      ] as const) {
        expectError(await send(method, path, headers, body), 403, 'csrf_rejected');
      }
    }
    const after = await listed(c);
    expect(after.map((p) => [p.id, p.desired])).toEqual([[pod.id, 'running']]);
  }, SLOW_TEST_MS);
});
