import { configure, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Pricing, Template } from '@/api/queries/catalog';
import { admin, pod, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const jupyter: Template = {
  id: '65c000000000000000000001',
  slug: 'jupyter',
  name: 'Jupyter Lab',
  description: 'Notebooks',
  category: 'AI',
  icon: '',
  image: 'quay.io/jupyter/base-notebook:2026-01-01',
  ports: [{ port: 8888, name: 'lab', protocol: 'http' }],
  env: [],
  command: [],
  args: [],
  workspace_path: '/home/jovyan/work',
  resources: { cpu: '1', memory: '2Gi', gpus: 0 },
  price_per_hour_micros: 500_000,
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};
const pricing: Pricing = {
  tiers: [{ id: 'cpu-small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 50_000 }],
  gpu_price_per_hour_micros: 600_000,
  min_runway_minutes: 10,
  max_running_pods_per_user: 3,
  idle_timeout_minutes: 60,
  base_domain: 'pods.example.com',
};

describe('AdminDeployPage (/admin/pods/deploy)', () => {
  it('deploys from the shared form and goes to all pods', async () => {
    const deployed = pod({ id: '65d000000000000000000009', user_id: admin.id, user_email: admin.email, name: 'jupyter', status: 'pending' });
    const server = fakeServer({
      'GET /api/auth/verify': { status: 200, data: verified(admin) },
      'GET /api/templates': { status: 200, data: { items: [jupyter] } },
      'GET /api/pricing': { status: 200, data: pricing },
      'POST /api/pods': { status: 201, data: deployed },
      'GET /api/admin/pods': { status: 200, data: { items: [deployed] } },
      'GET /api/admin/users': { status: 200, data: { items: [admin], next_cursor: null, total: 1 } },
    });
    serve(server.adapter);
    const { router } = renderRoute('/admin/pods/deploy');

    expect(await screen.findByRole('heading', { level: 1, name: 'Deploy a pod (admin)' })).toBeInTheDocument();
    expect(screen.getByText(/never limited by balance/)).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: 'Deploy' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/pods'));
    const post = server.calls.find((c) => c.method === 'post');
    expect(JSON.parse(post?.data as string)).toMatchObject({ template_id: jupyter.id });
    expect(await screen.findByRole('heading', { level: 1, name: 'All pods' })).toBeInTheDocument();
  });
});
