import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { TemplateInput } from '@/api/queries/adminTemplates';
import type { Template } from '@/api/queries/catalog';
import { admin, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const ubuntu: Template = {
  id: '65c000000000000000000002',
  slug: 'ubuntu',
  name: 'Ubuntu 24.04',
  description: 'A plain machine',
  category: 'OS',
  icon: 'ubuntu',
  image: 'ubuntu:24.04',
  ports: [],
  env: [{ name: 'TZ', value: 'UTC' }],
  command: ['/bin/sh', '-c', 'sleep infinity'],
  args: [],
  workspace_path: '/workspace',
  resources: { cpu: '1', memory: '2Gi', gpus: 0, ephemeral_storage: '10Gi' },
  price_per_hour_micros: 50_000,
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};
const comfy: Template = {
  ...ubuntu,
  id: '65c000000000000000000001',
  slug: 'comfyui',
  name: 'ComfyUI',
  image: 'yanwk/comfyui-boot:cu124-slim',
  ports: [{ port: 8188, name: 'web', protocol: 'http' }],
  env: [],
  command: [],
  resources: { cpu: '4', memory: '16Gi', gpus: 1 },
  price_per_hour_micros: 800_000,
  enabled: false,
};

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply);

/** Templates that POST, PUT and DELETE really change. */
function templatesServer(initial: Template[], extra: Record<string, Handler> = {}) {
  let templates = [...initial];
  const fromInput = (id: string, input: TemplateInput): Template => ({
    ...ubuntu,
    ...input,
    id,
    description: input.description ?? '',
    category: input.category ?? '',
    icon: input.icon ?? '',
    ports: input.ports ?? [],
    env: input.env ?? [],
    command: input.command ?? [],
    args: input.args ?? [],
    workspace_path: input.workspace_path ?? '/workspace',
    enabled: input.enabled ?? true,
  });
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    'GET /api/admin/templates': () => ({ status: 200, data: { items: templates } }),
    'POST /api/admin/templates': (config) => {
      const created = fromInput('65c000000000000000000009', JSON.parse(config.data as string) as TemplateInput);
      templates = [...templates, created];
      return { status: 201, data: created };
    },
    ...Object.fromEntries(
      initial.flatMap((tpl) => [
        [
          `PUT /api/admin/templates/${tpl.id}`,
          (config: InternalAxiosRequestConfig) => {
            const saved = fromInput(tpl.id, JSON.parse(config.data as string) as TemplateInput);
            templates = templates.map((x) => (x.id === tpl.id ? saved : x));
            return { status: 200, data: saved };
          },
        ],
        [
          `DELETE /api/admin/templates/${tpl.id}`,
          () => {
            templates = templates.filter((x) => x.id !== tpl.id);
            return { status: 204 };
          },
        ],
      ]),
    ),
    ...extra,
  });
  serve(server.adapter);
  return server;
}

function rowOf(name: string): HTMLElement {
  const row = screen.getByText(name, { selector: 'p' }).closest('tr');
  expect(row).not.toBeNull();
  return row!;
}

const bodyOf = (calls: InternalAxiosRequestConfig[], method: string) =>
  JSON.parse(calls.find((c) => c.method === method)?.data as string) as TemplateInput;

describe('TemplatesPage (/admin/templates)', () => {
  it('lists every template, enabled or not, with resources and price', async () => {
    templatesServer([comfy, ubuntu]);
    renderRoute('/admin/templates');
    expect(await screen.findByRole('heading', { level: 1, name: 'Templates' })).toBeInTheDocument();
    await screen.findByRole('table');
    expect(rowOf('ComfyUI')).toHaveTextContent('4 CPU · 16Gi · 1 GPU');
    expect(rowOf('ComfyUI')).toHaveTextContent('€0.80/h');
    expect(rowOf('ComfyUI')).toHaveTextContent('Disabled');
    expect(rowOf('Ubuntu 24.04')).toHaveTextContent('Enabled');
    expect(within(rowOf('Ubuntu 24.04')).getByRole('button', { name: 'Edit' })).toHaveAccessibleDescription('Ubuntu 24.04');
  });

  it('creates a template with ports and variables', async () => {
    const server = templatesServer([ubuntu]);
    renderRoute('/admin/templates');
    await screen.findByRole('table');
    await userEvent.click(screen.getByRole('button', { name: 'New template' }));
    const dialog = await screen.findByRole('dialog', { name: 'New template' });

    // What is plainly missing is said at once, without a request.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create template' }));
    expect(within(dialog).getByRole('textbox', { name: /^Name/ })).toHaveAccessibleDescription('Required.');
    expect(requested(server.calls).filter((c) => c.startsWith('POST'))).toEqual([]);

    await userEvent.type(within(dialog).getByRole('textbox', { name: /^Name/ }), 'Jupyter');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /^Slug/ }), 'jupyter');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /^Docker image/ }), 'quay.io/jupyter/base-notebook:1');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /^Price per hour/ }), '0.5');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add port' }));
    await userEvent.clear(within(dialog).getByRole('textbox', { name: 'Port 1' }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Port 1' }), '8888');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name of port 1' }), 'lab');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add variable' }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name of variable 1' }), 'JUPYTER_TOKEN');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Value of variable 1' }), 'x');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create template' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(bodyOf(server.calls, 'post')).toEqual({
      name: 'Jupyter',
      slug: 'jupyter',
      description: '',
      category: '',
      icon: '',
      image: 'quay.io/jupyter/base-notebook:1',
      resources: { cpu: '1', memory: '2Gi', gpus: 0 },
      price_per_hour_micros: 500_000,
      workspace_path: '/workspace',
      enabled: true,
      ports: [{ port: 8888, protocol: 'http', name: 'lab' }],
      env: [{ name: 'JUPYTER_TOKEN', value: 'x' }],
      command: [],
      args: [],
    });
    expect(await screen.findByText('Jupyter', { selector: 'p' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Template Jupyter saved.');
  });

  it("shows the server's validation errors on the fields, the ports and the variables", async () => {
    templatesServer([ubuntu], {
      [`PUT /api/admin/templates/${ubuntu.id}`]: {
        status: 400,
        data: {
          error: {
            code: 'validation_failed',
            message: 'The request has invalid values',
            details: {
              fields: [
                { field: 'slug', message: 'must match the pattern' },
                { field: 'resources.cpu', message: 'is not a quantity' },
                { field: 'env[0].name', message: 'is not a variable name' },
                { field: 'mystery', message: 'is wrong' },
              ],
            },
          },
        },
      },
    });
    renderRoute('/admin/templates');
    await screen.findByRole('table');
    await userEvent.click(within(rowOf('Ubuntu 24.04')).getByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit Ubuntu 24.04' });
    expect(within(dialog).getByRole('textbox', { name: 'Value of variable 1' })).toHaveValue('UTC');
    expect(within(dialog).getByRole('textbox', { name: /^Command/ })).toHaveValue('/bin/sh\n-c\nsleep infinity');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));

    const slug = within(dialog).getByRole('textbox', { name: /^Slug/ });
    await waitFor(() => expect(slug).toHaveAttribute('aria-invalid', 'true'));
    expect(slug).toHaveAccessibleDescription(/must match the pattern/);
    expect(within(dialog).getByRole('textbox', { name: /^CPU/ })).toHaveAccessibleDescription('is not a quantity');
    expect(within(dialog).getByRole('textbox', { name: 'Name of variable 1' })).toHaveAccessibleDescription('is not a variable name');
    expect(within(dialog).getByRole('alert')).toHaveTextContent('mystery: is wrong');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('edits a template: PUT sends every field', async () => {
    const server = templatesServer([ubuntu]);
    renderRoute('/admin/templates');
    await screen.findByRole('table');
    await userEvent.click(within(rowOf('Ubuntu 24.04')).getByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit Ubuntu 24.04' });
    await userEvent.click(within(dialog).getByRole('switch', { name: /Enabled/ }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove variable 1' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(bodyOf(server.calls, 'put')).toMatchObject({
      slug: 'ubuntu',
      enabled: false,
      env: [],
      command: ['/bin/sh', '-c', 'sleep infinity'],
      resources: { cpu: '1', memory: '2Gi', gpus: 0, ephemeral_storage: '10Gi' },
      price_per_hour_micros: 50_000,
    });
    expect(await within(rowOf('Ubuntu 24.04')).findByText('Disabled')).toBeInTheDocument();
  });

  it('asks before deleting', async () => {
    const server = templatesServer([comfy, ubuntu]);
    renderRoute('/admin/templates');
    await screen.findByRole('table');
    await userEvent.click(within(rowOf('ComfyUI')).getByRole('button', { name: 'Delete' }));
    let dialog = await screen.findByRole('dialog', { name: 'Delete the template ComfyUI?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('DELETE'))).toEqual([]);

    await userEvent.click(within(rowOf('ComfyUI')).getByRole('button', { name: 'Delete' }));
    dialog = await screen.findByRole('dialog', { name: 'Delete the template ComfyUI?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete template' }));
    await waitFor(() => expect(screen.queryByText('ComfyUI', { selector: 'p' })).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('DELETE'))).toEqual([`DELETE /api/admin/templates/${comfy.id}`]);
    expect(screen.getByRole('status')).toHaveTextContent('Template ComfyUI deleted.');
  });

  it('says when there are no templates', async () => {
    templatesServer([]);
    renderRoute('/admin/templates');
    expect(await screen.findByText('There are no templates yet.')).toBeInTheDocument();
  });
});
