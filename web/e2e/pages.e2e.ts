import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblems, launchChromium, openSession, settled, type Session, type Viewport } from './helpers/browser';
import { api, templateBySlug } from './helpers/api';
import { e2eEnv, uniqueEmail } from './helpers/env';
import { signIn } from './helpers/signIn';

// Every page of the app, at desktop and phone width, as the person it is for: a screenshot of each
// (artifacts/<viewport>/NN-<route>.png), and no console error, uncaught exception or 5xx on the way.
// The client has a running Ubuntu pod, so the pod pages (theirs and the admin's) are not empty.

type Visitor = 'visitor' | 'client' | 'admin';

const ROUTES: { path: string; as: Visitor }[] = [
  { path: '/', as: 'visitor' },
  { path: '/login', as: 'visitor' },
  { path: '/client/stats', as: 'client' },
  { path: '/client/pods', as: 'client' },
  { path: '/client/pods/deploy', as: 'client' },
  { path: '/client/pods/:id', as: 'client' },
  { path: '/client/settings', as: 'client' },
  { path: '/client/help', as: 'client' },
  { path: '/dashboard', as: 'admin' },
  { path: '/admin/pods', as: 'admin' },
  { path: '/admin/pods/deploy', as: 'admin' },
  { path: '/admin/users', as: 'admin' },
  { path: '/admin/settings', as: 'admin' },
  { path: '/admin/help', as: 'admin' },
  { path: '/admin/templates', as: 'admin' },
  { path: '/admin/logs', as: 'admin' },
];

/** "/client/pods/deploy" -> "04-client-pods-deploy": screenshots sort in the order visited. */
function shotName(index: number, path: string): string {
  const slug = path === '/' ? 'home' : path.slice(1).replace(/\//g, '-').replace(':', '');
  return `${String(index + 1).padStart(2, '0')}-${slug}`;
}

/** The phone viewport's width (helpers/browser.ts). */
const PHONE_WIDTH = 390;

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each<Viewport>(['desktop', 'phone'])('every page at %s width', (viewport) => {
  const sessions = {} as Record<Visitor, Session>;
  let podId: string | undefined;

  beforeAll(async () => {
    sessions.visitor = await openSession(browser, viewport);
    sessions.client = await openSession(browser, viewport);
    sessions.admin = await openSession(browser, viewport);
    await signIn(sessions.client.page, uniqueEmail(`pages-${viewport}`), 'Paula Pages');
    await signIn(sessions.admin.page, e2eEnv.adminEmail(), 'Ada Admin');
    const ubuntu = await templateBySlug(sessions.client, 'ubuntu');
    const pod = await api<{ id: string }>(sessions.client, 'POST', '/api/pods', { name: `pages-${viewport}`, template_id: ubuntu.id }, 201);
    podId = pod.id;
  });

  afterAll(async () => {
    if (podId !== undefined) {
      await api(sessions.client, 'POST', `/api/pods/${podId}/stop`);
    }
    await Promise.all(Object.values(sessions).map((s) => s.close()));
  });

  it.each(ROUTES.map((route, index) => ({ ...route, index })))('$path (as $as)', async ({ path: route, as, index }) => {
    const session = sessions[as];
    const path = route.replace(':id', podId ?? 'missing');
    const before = session.problems().length;

    await session.page.goto(path);
    await settled(session.page);
    const shot = await session.screenshot(`${viewport}/${shotName(index, route)}`);

    expect(new URL(session.page.url()).pathname, `${path} sent the ${as} elsewhere (see ${shot})`).toBe(path);
    expect(await session.page.getByRole('heading', { name: 'Page not found' }).count(), `${path} is not a page yet`).toBe(0);
    expect(await session.page.getByRole('heading', { name: 'Not allowed' }).count(), `${path} refused the ${as}`).toBe(0);
    if (viewport === 'phone') {
      // Wide content (tables) scrolls inside its own box: the page itself never scrolls sideways
      // (with isMobile, Chromium widens the layout viewport to fit what sticks out).
      const width = Number(await session.page.evaluate('document.documentElement.scrollWidth'));
      expect(width, `${path} scrolls sideways on a phone: the document is ${width} px wide (see ${shot})`).toBeLessThanOrEqual(PHONE_WIDTH);
    }
    const problems = session.problems().slice(before);
    expect(problems, `${path} at ${viewport} width:\n${formatProblems(problems)}`).toEqual([]);
  });
});
