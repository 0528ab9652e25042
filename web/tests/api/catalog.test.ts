import { afterEach, describe, expect, it } from 'vitest';
import { apiUrl } from './helpers/env';
import { expectError } from './helpers/http';
import { validateAgainst } from './helpers/schema';
import { Client } from './helpers/session';
import { spawnServer, type OwnServer } from './helpers/spawnServer';

// Templates, prices and settings on the shared test server (development sign-in, real database).

const ADMIN = 'lolerodiez@gmail.com'; // the default ADMIN_EMAILS
const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function signedIn(email: string): Promise<Client> {
  const c = new Client(apiUrl);
  await c.devLogin(email);
  return c;
}

const template = (over: Record<string, unknown> = {}) => ({
  slug: `jupyter-${uid()}`,
  name: 'Jupyter Lab',
  description: 'Notebooks',
  category: 'Data',
  icon: 'jupyter',
  image: 'quay.io/jupyter/base-notebook:2024-10-02',
  ports: [{ port: 8888, name: 'lab', protocol: 'http' }],
  env: [{ name: 'JUPYTER_TOKEN', value: '' }],
  command: [],
  args: ['start-notebook.py', '--IdentityProvider.token='],
  workspace_path: '/home/jovyan/work',
  resources: { cpu: '2', memory: '4Gi', gpus: 0, ephemeral_storage: '10Gi' },
  price_per_hour_micros: 120_000,
  enabled: true,
  ...over,
});

const servers: OwnServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.process.kill('SIGTERM');
    expect(await s.exited, 'exit code on SIGTERM (sanitizer reports make it non-zero)').toBe(0);
  }
});

describe('templates', () => {
  it('the defaults (ComfyUI with a GPU on 8188, Ubuntu 24.04) are there for every signed-in user', async () => {
    const c = await signedIn(`client-${uid()}@example.com`);
    const res = await c.call('/api/templates');
    expect(res.status, res.text).toBe(200);
    const items = (res.json as { items: unknown[] }).items.map((t) => validateAgainst('Template', t));
    const comfy = items.find((t) => t.slug === 'comfyui');
    const ubuntu = items.find((t) => t.slug === 'ubuntu');
    expect(comfy).toMatchObject({ ports: [{ port: 8188, protocol: 'http' }], resources: { gpus: 1 }, workspace_path: '/workspace' });
    expect(ubuntu?.image).toBe('ubuntu:24.04');
    expect(ubuntu?.command.join(' ')).toContain('sleep');
  });

  it('admins create, read, replace, disable and delete; clients only see enabled ones', async () => {
    const admin = await signedIn(ADMIN);
    const client = await signedIn(`client-${uid()}@example.com`);
    const created = await admin.post('/api/admin/templates', template());
    expect(created.status, created.text).toBe(201);
    const t = validateAgainst('Template', created.json);
    expect((await admin.call(`/api/admin/templates/${t.id}`)).json).toEqual(t);

    const disabled = await admin.call(`/api/admin/templates/${t.id}`, { method: 'PUT', body: JSON.stringify({ ...template({ slug: t.slug }), enabled: false, price_per_hour_micros: 1 }) });
    expect(disabled.status, disabled.text).toBe(200);
    expect(validateAgainst('Template', disabled.json)).toMatchObject({ id: t.id, enabled: false, price_per_hour_micros: 1, created_at: t.created_at });
    const visible = (await client.call('/api/templates')).json as { items: { id: string }[] };
    expect(visible.items.map((x) => x.id)).not.toContain(t.id);
    const all = (await admin.call('/api/admin/templates')).json as { items: { id: string }[] };
    expect(all.items.map((x) => x.id)).toContain(t.id);

    expect((await admin.call(`/api/admin/templates/${t.id}`, { method: 'DELETE' })).status).toBe(204);
    expectError(await admin.call(`/api/admin/templates/${t.id}`), 404, 'not_found');
    expectError(await admin.call(`/api/admin/templates/${t.id}`, { method: 'DELETE' }), 404, 'not_found');
  });

  it('a duplicate slug is a conflict', async () => {
    const admin = await signedIn(ADMIN);
    const body = template();
    expect((await admin.post('/api/admin/templates', body)).status).toBe(201);
    expectError(await admin.post('/api/admin/templates', body), 409, 'conflict');
  });

  it.each([
    ['an invalid image reference', { image: 'Not A Valid/Image::tag' }, 'image'],
    ['a tag that is too long', { image: `ubuntu:${'a'.repeat(200)}` }, 'image'],
    ['a port out of range', { ports: [{ port: 70000 }] }, 'ports[0].port'],
    ['a repeated port', { ports: [{ port: 80 }, { port: 80 }] }, 'ports[1].port'],
    ['an unknown protocol', { ports: [{ port: 80, protocol: 'udp' }] }, 'ports[0].protocol'],
    ['a bad env name', { env: [{ name: '1BAD', value: 'x' }] }, 'env[0].name'],
    ['a bad quantity', { resources: { cpu: 'lots', memory: '1Gi' } }, 'resources.cpu'],
    ['too many GPUs', { resources: { cpu: '1', memory: '1Gi', gpus: 99 } }, 'resources.gpus'],
    ['a relative workspace path', { workspace_path: 'workspace' }, 'workspace_path'],
    ['a negative price', { price_per_hour_micros: -1 }, 'price_per_hour_micros'],
    ['a fractional price', { price_per_hour_micros: 1.5 }, 'price_per_hour_micros'],
    ['a bad slug', { slug: 'Has Spaces' }, 'slug'],
  ])('refuses %s with a per-field 400', async (_label, over, field) => {
    const admin = await signedIn(ADMIN);
    const res = await admin.post('/api/admin/templates', template(over));
    const err = expectError(res, 400, 'validation_failed');
    expect(JSON.stringify(err.error.details)).toContain(`"${field}"`);
  });

  it('accepts digests and registries with ports', async () => {
    const admin = await signedIn(ADMIN);
    for (const image of ['registry.example.com:5000/team/app:1.2.3', `ghcr.io/org/app@sha256:${'a'.repeat(64)}`, 'nginx']) {
      const res = await admin.post('/api/admin/templates', template({ image }));
      expect(res.status, `${image}: ${res.text}`).toBe(201);
    }
  });

  it('clients and anonymous callers are refused on admin routes; ids that do not parse are 404', async () => {
    const client = await signedIn(`client-${uid()}@example.com`);
    expectError(await client.call('/api/admin/templates'), 403, 'forbidden');
    expectError(await client.post('/api/admin/templates', template()), 403, 'forbidden');
    expectError(await new Client(apiUrl).call('/api/templates'), 401, 'unauthorized');
    const admin = await signedIn(ADMIN);
    expectError(await admin.call('/api/admin/templates/not-an-id'), 404, 'not_found');
  });

  it('seeds the defaults once: an edited default survives restarts and is not duplicated', async () => {
    const mongo = `${(process.env.NEUROPOD_TEST_MONGODB_URI ?? '').replace(/\/?$/, '/')}seed_${uid()}`;
    let server = await spawnServer({ MONGODB_URI: mongo });
    servers.push(server);
    const admin = new Client((p) => server.url(p));
    await admin.devLogin(ADMIN);
    // Seeding runs once the database answers, just after the port opens.
    let first = { items: [] as { id: string; slug: string }[] };
    for (let i = 0; i < 50 && first.items.length < 2; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      first = (await admin.call('/api/admin/templates')).json as typeof first;
    }
    expect(first.items.map((t) => t.slug).sort()).toEqual(['comfyui', 'ubuntu']);
    const ubuntu = first.items.find((t) => t.slug === 'ubuntu');
    const edited = await admin.call(`/api/admin/templates/${ubuntu?.id ?? ''}`, {
      method: 'PUT',
      body: JSON.stringify(template({ slug: 'ubuntu', name: 'Ubuntu (edited)', image: 'ubuntu:24.04' })),
    });
    expect(edited.status, edited.text).toBe(200);
    const comfy = first.items.find((t) => t.slug === 'comfyui');
    expect((await admin.call(`/api/admin/templates/${comfy?.id ?? ''}`, { method: 'DELETE' })).status).toBe(204);

    for (let i = 0; i < 2; i += 1) {
      server.process.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      servers.pop();
      server = await spawnServer({ MONGODB_URI: mongo });
      servers.push(server);
      const again = new Client((p) => server.url(p));
      await again.devLogin(ADMIN);
      const list = (await again.call('/api/admin/templates')).json as { items: { slug: string; name: string }[] };
      expect(list.items.map((t) => t.slug)).toEqual(['ubuntu']);
      expect(list.items[0]?.name).toBe('Ubuntu (edited)');
    }
  }, 60_000);
});

describe('settings and prices', () => {
  it('admins read and replace the settings; clients read the prices', async () => {
    const admin = await signedIn(ADMIN);
    const before = validateAgainst('Settings', (await admin.call('/api/admin/settings')).json);
    expect(before.tiers.length).toBeGreaterThan(0);
    const next = { ...before, gpu_price_per_hour_micros: before.gpu_price_per_hour_micros + 1, low_balance_warning_minutes: [10, 60] };
    const saved = await admin.call('/api/admin/settings', { method: 'PUT', body: JSON.stringify(next) });
    expect(saved.status, saved.text).toBe(200);
    expect(validateAgainst('Settings', saved.json)).toMatchObject({ gpu_price_per_hour_micros: next.gpu_price_per_hour_micros, low_balance_warning_minutes: [60, 10] });
    const client = await signedIn(`client-${uid()}@example.com`);
    const pricing = validateAgainst('Pricing', (await client.call('/api/pricing')).json);
    expect(pricing.gpu_price_per_hour_micros).toBe(next.gpu_price_per_hour_micros);
    expectError(await client.call('/api/admin/settings'), 403, 'forbidden');
    // Restore.
    expect((await admin.call('/api/admin/settings', { method: 'PUT', body: JSON.stringify(before) })).status).toBe(200);
  });

  it('refuses invalid settings field by field', async () => {
    const admin = await signedIn(ADMIN);
    const before = validateAgainst('Settings', (await admin.call('/api/admin/settings')).json);
    const bad = {
      ...before,
      tiers: [{ id: 'Bad Id', name: '', cpu: 'x', memory: '1Gi', price_per_hour_micros: -5 }],
      base_domain: 'not a domain',
      max_running_pods_per_user: 0,
      workspace_size: 'big',
    };
    const res = await admin.call('/api/admin/settings', { method: 'PUT', body: JSON.stringify(bad) });
    const err = expectError(res, 400, 'validation_failed');
    const fields = (err.error.details as { fields: { field: string }[] }).fields.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['tiers[0].id', 'tiers[0].name', 'tiers[0].cpu', 'tiers[0].price_per_hour_micros', 'base_domain', 'max_running_pods_per_user', 'workspace_size']));
    expect(validateAgainst('Settings', (await admin.call('/api/admin/settings')).json)).toEqual(before);
  });
});
