import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Pricing, Template } from '@/api/queries/catalog';
import type { DeployRequest, Pod } from '@/api/queries/pods';
import { DeployForm, nameFromImage } from '@/modules/pods/DeployForm';
import { ana, pod, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, renderWithProviders, requested, serve, type FakeReply } from '@/test/render';

function template(overrides: Partial<Template> & Pick<Template, 'id' | 'slug' | 'name'>): Template {
  return {
    description: '',
    category: '',
    icon: '',
    image: `quay.io/example/${overrides.slug}:1`,
    ports: [{ port: 8888, name: 'lab', protocol: 'http' }],
    env: [],
    command: [],
    args: [],
    workspace_path: '/workspace',
    resources: { cpu: '1', memory: '2Gi', gpus: 0 },
    price_per_hour_micros: 500_000,
    enabled: true,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const jupyter = template({
  id: '65c000000000000000000001',
  slug: 'jupyter',
  name: 'Jupyter Lab',
  description: 'Notebooks in the browser.',
  category: 'Data science',
});
const comfy = template({
  id: '65c000000000000000000002',
  slug: 'comfyui',
  name: 'ComfyUI',
  resources: { cpu: '4', memory: '16Gi', gpus: 1 },
  price_per_hour_micros: 1_800_000,
});

const pricing: Pricing = {
  tiers: [
    { id: 'small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 100_000 },
    { id: 'large', name: 'Large', cpu: '4', memory: '16Gi', price_per_hour_micros: 400_000 },
  ],
  gpu_price_per_hour_micros: 1_000_000,
  min_runway_minutes: 30,
  max_running_pods_per_user: 3,
  idle_timeout_minutes: 60,
  base_domain: 'pods.example.com',
};

const created = pod({ id: '65d0000000000000000000aa', name: 'jupyter', status: 'pending', desired: 'running' });

/** ana signed in; POST /api/pods answers `deploy` (default: 201 with a new pod that then is listed). */
function deployServer(deploy?: FakeReply) {
  let pods: Pod[] = [];
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(ana) },
    'GET /api/templates': { status: 200, data: { items: [comfy, jupyter] } },
    'GET /api/pricing': { status: 200, data: pricing },
    'GET /api/pods': () => ({ status: 200, data: { items: pods } }),
    'POST /api/pods': (config) => {
      if (deploy !== undefined) {
        return deploy;
      }
      const body = JSON.parse(String(config.data)) as DeployRequest;
      const made = { ...created, name: body.name };
      pods = [made];
      return { status: 201, data: made };
    },
  });
  serve(server.adapter);
  return server;
}

function posted(server: ReturnType<typeof deployServer>): DeployRequest[] {
  return server.calls.filter((c) => c.method === 'post' && c.url === '/api/pods').map((c) => JSON.parse(String(c.data)) as DeployRequest);
}

/** Types a value at once (a paste): far quicker than key by key, the same change for the form. */
async function fill(input: HTMLElement, value: string) {
  await userEvent.clear(input);
  await userEvent.click(input);
  await userEvent.paste(value);
}

async function chooseCustomImage() {
  await userEvent.click(await screen.findByLabelText('Custom image'));
  return screen.getByLabelText(/^Docker image/);
}

describe('DeployForm (/client/pods/deploy)', () => {
  it('offers the templates with their price; deploys one and goes to the pods list', async () => {
    const server = deployServer();
    const { router } = renderRoute('/client/pods/deploy');

    expect(await screen.findByRole('heading', { level: 1, name: 'Deploy a pod' })).toBeInTheDocument();
    const group = await screen.findByRole('group', { name: 'What to run' });
    const cards = within(group).getAllByRole('radio');
    expect(cards.map((c) => c.getAttribute('aria-label'))).toEqual(['ComfyUI', 'Jupyter Lab', 'Custom image']);
    expect(cards[0]).toHaveTextContent('€1.80/h');
    expect(cards[0]).toHaveTextContent('4 CPU · 16Gi memory · 1 GPU');
    expect(cards[1]).toHaveTextContent('Notebooks in the browser.');
    expect(cards[1]).toHaveTextContent('€0.50/h');
    // The first template is chosen, named after its slug, and its price is shown before deploying.
    expect(cards[0]).toHaveAttribute('aria-checked', 'true');
    expect(screen.getByRole('textbox', { name: /Pod name/ })).toHaveValue('comfyui');
    expect(screen.getByTestId('deploy-price')).toHaveTextContent('€1.80/h');

    await userEvent.click(cards[1]!);
    expect(screen.getByRole('textbox', { name: /Pod name/ })).toHaveValue('jupyter');
    expect(screen.getByTestId('deploy-price')).toHaveTextContent('€0.50/h');
    expect(screen.queryByRole('textbox', { name: /Docker image/ })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/client/pods'));
    expect(posted(server)).toEqual([{ name: 'jupyter', template_id: jupyter.id }]);
    expect(await screen.findByText('jupyter', { selector: 'a' })).toHaveAttribute('href', `/client/pods/${created.id}`);
  });

  it('prices a custom image before deploying: its tier plus its GPUs', async () => {
    deployServer();
    renderWithProviders(<DeployForm />);
    await chooseCustomImage();
    const price = screen.getByTestId('deploy-price');
    expect(price).toHaveTextContent('€0.10/h');
    await userEvent.click(screen.getByRole('combobox', { name: /^Resources/ }));
    await userEvent.click(await screen.findByText('Large — 4 CPU, 16Gi — €0.40/h'));
    expect(price).toHaveTextContent('€0.40/h');
    await fill(screen.getByLabelText(/^GPUs/), '2');
    expect(price).toHaveTextContent('€2.40/h');
  });

  it('deploys a custom image with its tier, ports and variables, named after the image', async () => {
    const server = deployServer();
    renderWithProviders(<DeployForm />);
    const image = await chooseCustomImage();
    await fill(image, 'ghcr.io/ana/my_api:1.2');
    expect(screen.getByLabelText(/^Pod name/)).toHaveValue('my-api');

    await fill(screen.getByLabelText('Port 1'), '3000');
    await fill(screen.getByLabelText('Name of port 1'), 'web');
    await userEvent.click(screen.getByText('Add port'));
    await fill(screen.getByLabelText('Port 2'), '9000');
    await userEvent.click(screen.getByRole('combobox', { name: 'Protocol of port 2' }));
    await userEvent.click(await screen.findByRole('option', { name: 'TCP' }));
    await userEvent.click(screen.getByText('Add variable'));
    await fill(screen.getByLabelText('Name of variable 1'), 'MODE');
    await fill(screen.getByLabelText('Value of variable 1'), 'production');

    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(posted(server)).toHaveLength(1));
    expect(posted(server)[0]).toEqual({
      name: 'my-api',
      image: 'ghcr.io/ana/my_api:1.2',
      tier: 'small',
      ports: [
        { port: 3000, name: 'web', protocol: 'http' },
        { port: 9000, protocol: 'tcp' },
      ],
      env: [{ name: 'MODE', value: 'production' }],
    });
  }, 30_000); // a dozen inputs filled in: slow on a busy machine

  it('checks the form before posting: an image is needed, ports and variable names must be valid', async () => {
    const server = deployServer();
    renderWithProviders(<DeployForm />);
    await chooseCustomImage();
    await userEvent.clear(screen.getByLabelText(/Pod name/));
    await userEvent.click(screen.getByText('Add port'));
    await fill(screen.getByLabelText('Port 2'), '8080');
    await userEvent.click(screen.getByText('Add variable'));
    await fill(screen.getByLabelText('Name of variable 1'), '1BAD');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));

    expect(await screen.findByText('Give the pod a name.')).toBeInTheDocument();
    expect(screen.getByText('Enter a Docker image.')).toBeInTheDocument();
    expect(screen.getByText('This port is already listed.')).toBeInTheDocument();
    expect(screen.getByText('Letters, digits and _, not starting with a digit.')).toBeInTheDocument();
    expect(screen.getByLabelText(/Docker image/)).toHaveAttribute('aria-invalid', 'true');
    expect(requested(server.calls)).not.toContain('POST /api/pods');

    await userEvent.click(screen.getByLabelText('Remove port 2'));
    await userEvent.click(screen.getByLabelText('Remove variable 1'));
    await fill(screen.getByLabelText(/Docker image/), 'nginx:1.27');
    await fill(screen.getByLabelText(/Pod name/), 'web');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(posted(server)).toHaveLength(1));
    expect(posted(server)[0]).toMatchObject({ name: 'web', image: 'nginx:1.27', ports: [{ port: 8080 }], env: [] });
  }, 30_000); // a dozen inputs filled in: slow on a busy machine

  it("shows why the server refused (insufficient balance) and stays on the page", async () => {
    deployServer({
      status: 402,
      data: { error: { code: 'insufficient_balance', message: 'Your balance does not cover 30 minutes of your pods.' } },
    });
    const { router } = renderRoute('/client/pods/deploy', { language: 'es' });
    await userEvent.click(await screen.findByRole('button', { name: 'Desplegar' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No se ha desplegado el pod');
    expect(alert).toHaveTextContent('Your balance does not cover 30 minutes of your pods.');
    expect(router.state.location.pathname).toBe('/client/pods/deploy');
  });

  it("puts the server's field errors under their fields", async () => {
    deployServer({
      status: 400,
      data: {
        error: {
          code: 'validation_failed',
          message: 'Invalid request',
          details: { fields: [{ field: 'image', message: 'not a valid image reference' }, { field: 'ports[0].port', message: 'port reserved' }] },
        },
      },
    });
    renderWithProviders(<DeployForm />);
    const image = await chooseCustomImage();
    await fill(image, 'UPPER/Case');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(await screen.findByText('not a valid image reference')).toBeInTheDocument();
    expect(image).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('port reserved')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Invalid request');
  });

  it('tells the caller which pod was deployed (the admin pages reuse the form)', async () => {
    deployServer();
    const onDeployed = vi.fn();
    renderWithProviders(<DeployForm onDeployed={onDeployed} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(onDeployed).toHaveBeenCalledWith(created.id));
  });

  it('shows an error with a retry when the templates cannot be loaded', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        'GET /api/pricing': { status: 200, data: pricing },
        'GET /api/templates': () =>
          ++replies === 1
            ? { status: 503, data: { error: { code: 'database_unavailable', message: 'Database unavailable' } } }
            : { status: 200, data: { items: [] } },
      }).adapter,
    );
    renderRoute('/client/pods/deploy');
    await userEvent.click(within(await screen.findByRole('alert')).getByRole('button', { name: 'Retry' }));
    // No templates: the custom image is the only choice, and chosen.
    expect(await screen.findByRole('radio', { name: 'Custom image' })).toHaveAttribute('aria-checked', 'true');
    expect(screen.getByText('There are no templates yet: deploy a custom image.')).toBeInTheDocument();
  });
});

describe('nameFromImage', () => {
  it('keeps the last path segment without tag or digest, in host-name characters', () => {
    expect(nameFromImage('ghcr.io/ana/my_api:1.2')).toBe('my-api');
    expect(nameFromImage('nginx')).toBe('nginx');
    expect(nameFromImage('registry:5000/Team/App@sha256:abc')).toBe('app');
    expect(nameFromImage('  ')).toBe('');
  });
});
