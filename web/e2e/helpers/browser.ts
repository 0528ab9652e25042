import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { e2eEnv } from './env';

/** Debian's Chromium, headless. playwright-core drives it; no browser is ever downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: e2eEnv.chromium(),
    headless: true,
    // Containers: /dev/shm is small, and there is no GPU.
    args: ['--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export type Viewport = 'desktop' | 'phone';

const VIEWPORTS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/** Something that went wrong in the page: a console error, an uncaught exception, a 5xx answer. */
export interface PageProblem {
  kind: 'console' | 'pageerror' | 'server-error';
  text: string;
  url: string;
}

/** Tells expected noise apart from problems (e.g. a signed-out visitor's 401 on /api/auth/verify). */
export type ProblemFilter = (problem: PageProblem) => boolean;

/** The path of a problem's URL ('' when the browser gave none). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

/** Asking "who am I?" while signed out answers 401: the browser logs it, the app expects it. */
export const signedOutCheck: ProblemFilter = (p) =>
  p.kind === 'console' && /status of 401\b/.test(p.text) && pathOf(p.url) === '/api/auth/verify';


/** A browser context (one user: its own cookies) with one page whose errors are recorded. */
export interface Session {
  context: BrowserContext;
  page: Page;
  /** Every problem so far, expected ones removed (see allow()). */
  problems(): PageProblem[];
  /** From now on, also ignore problems this filter accepts. */
  allow(filter: ProblemFilter): void;
  /** Full-page screenshot to <artifacts>/<name>.png (name may hold folders: "phone/login"). */
  screenshot(name: string): Promise<string>;
  /** Full document loads so far: a page that updates live does not add one. */
  loads(): number;
  close(): Promise<void>;
}

function describe(message: ConsoleMessage): PageProblem {
  const location = message.location();
  return { kind: 'console', text: message.text(), url: location.url };
}

export async function openSession(browser: Browser, viewport: Viewport = 'desktop'): Promise<Session> {
  const context = await browser.newContext({
    ...VIEWPORTS[viewport],
    baseURL: e2eEnv.baseUrl(),
    locale: 'en-US',
    timezoneId: 'Europe/Madrid',
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const seen: PageProblem[] = [];
  // No filter for the icon: index.html declares /favicon.svg, so a 404 on an icon is a problem.
  const filters: ProblemFilter[] = [signedOutCheck];
  let loads = 0;

  page.on('console', (message) => {
    if (message.type() === 'error') {
      seen.push(describe(message));
    }
  });
  page.on('pageerror', (error) => {
    seen.push({ kind: 'pageerror', text: error.stack ?? error.message, url: page.url() });
  });
  page.on('response', (response) => {
    if (response.status() >= 500) {
      seen.push({ kind: 'server-error', text: `${response.request().method()} answered ${response.status()}`, url: response.url() });
    }
  });
  page.on('load', () => {
    loads += 1;
  });

  return {
    context,
    page,
    problems: () => seen.filter((p) => !filters.some((accept) => accept(p))),
    allow: (filter) => {
      filters.push(filter);
    },
    screenshot: async (name) => {
      const path = join(e2eEnv.artifacts(), `${name}.png`);
      await mkdir(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      return path;
    },
    loads: () => loads,
    close: () => context.close(),
  };
}

/** One line per problem, for an assertion message. */
export function formatProblems(problems: PageProblem[]): string {
  return problems.map((p) => `${p.kind}: ${p.text} (${p.url})`).join('\n');
}

/**
 * Waits until the page shows its title (a level-1 heading) and no "Loading…" placeholder is left:
 * what a person would wait for before reading the page.
 */
export async function settled(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'visible' });
  const loading = page.getByRole('status', { name: 'Loading…' });
  const deadline = Date.now() + 15_000;
  while ((await loading.count()) > 0) {
    if (Date.now() > deadline) {
      throw new Error(`${page.url()} still shows "Loading…" after 15 s`);
    }
    await page.waitForTimeout(100);
  }
}
