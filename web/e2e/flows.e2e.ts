import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblems, launchChromium, openSession, settled, type Session } from './helpers/browser';
import { setTemplatePrice } from './helpers/api';
import { e2eEnv, uniqueEmail } from './helpers/env';
import { headerBalanceCents, parseEuroCents, signIn } from './helpers/signIn';

// Issue 8: "a client signs in, deploys Ubuntu, sees it Running without reloading, stops it and sees
// the balance drop; an admin adds credit to that client and blocks them, and the client is signed
// out." A client and an admin, each in their own browser context, at the same time. The steps run in
// order and share the two sessions; a screenshot of each step goes to artifacts/flows/.

/** Ubuntu's price for this run: a few seconds of running cost whole cents (€0.01 a second). */
const UBUNTU_EUR_PER_HOUR = 36;
/** How long the client lets Ubuntu run: at least this many cents. */
const RUN_SECONDS = 5;
const CREDIT_EUR = 5;
const POD_NAME = 'e2e-ubuntu';
/** Pods start in the sandbox within seconds; the server reconciles every 2 s. */
const POD_TIMEOUT_MS = 60_000;

let browser: Browser;
let client: Session;
let admin: Session;
const clientEmail = uniqueEmail('client');
const clientName = 'Carla Client';
let shots = 0;

/** artifacts/flows/NN-<step>.png */
function shoot(session: Session, step: string): Promise<string> {
  shots += 1;
  return session.screenshot(`flows/${String(shots).padStart(2, '0')}-${step}`);
}

/** The main navigation's link, as a person finds it (on a phone it is behind the menu button). */
function navLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name, exact: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

beforeAll(async () => {
  browser = await launchChromium();
  [client, admin] = await Promise.all([openSession(browser), openSession(browser)]);
});

afterAll(async () => {
  await browser?.close();
});

describe('a client and an admin at the same time', () => {
  it('both sign in, each in their own browser', async () => {
    await Promise.all([signIn(client.page, clientEmail, clientName), signIn(admin.page, e2eEnv.adminEmail(), 'Ada Admin')]);
    // Set-up: Ubuntu expensive enough that a few seconds of running show in the balance.
    await setTemplatePrice(admin, 'ubuntu', UBUNTU_EUR_PER_HOUR);
    await settled(client.page);
    await shoot(client, 'client-signed-in');
    expect(await headerBalanceCents(client.page), 'a new client starts with the initial balance').toBe(1000);
    expect(client.problems(), formatProblems(client.problems())).toEqual([]);
  });

  it('the client deploys Ubuntu and sees it Running without reloading; so does the admin', async () => {
    const { page } = client;
    // The admin watches every user's pods: the new one must appear live, not at a refetch.
    await navLink(admin.page, 'All pods').click();
    await admin.page.getByRole('heading', { level: 1, name: 'All pods' }).waitFor();
    await settled(admin.page);
    const adminLoadsBefore = admin.loads();
    await navLink(page, 'Deploy a pod').click();
    await page.getByRole('heading', { level: 1, name: 'Deploy a pod' }).waitFor();
    await settled(page);

    const form = page.getByRole('form', { name: 'Deploy a pod' });
    await form.getByRole('radio', { name: 'Ubuntu 24.04' }).click();
    await form.getByRole('textbox', { name: 'Pod name' }).fill(POD_NAME);
    await shoot(client, 'deploy-ubuntu');
    const loadsBefore = client.loads();
    await form.getByRole('button', { name: 'Deploy', exact: true }).click();

    await page.waitForURL((url) => url.pathname === '/client/pods');
    const row = page.getByRole('row', { name: new RegExp(POD_NAME) });
    await row.waitFor();
    await expect
      .poll(() => row.getByRole('cell', { name: 'Running', exact: true }).count(), { timeout: POD_TIMEOUT_MS, interval: 250 })
      .toBe(1);
    await shoot(client, 'pod-running');
    expect(client.loads(), 'the page was reloaded: the status must arrive live').toBe(loadsBefore);

    const adminRow = admin.page.getByRole('row', { name: new RegExp(`${POD_NAME}.*${escapeRegExp(clientEmail)}`) });
    await expect
      .poll(() => adminRow.getByText('Running', { exact: true }).count(), { timeout: 10_000, interval: 250 })
      .toBe(1);
    await shoot(admin, 'admin-sees-pod-running');
    expect(admin.loads(), "the admin's page was reloaded: other users' pods must arrive live").toBe(adminLoadsBefore);
    expect(client.problems(), formatProblems(client.problems())).toEqual([]);
    expect(admin.problems(), formatProblems(admin.problems())).toEqual([]);
  });

  it('the client stops it and sees the balance drop', async () => {
    const { page } = client;
    const before = await headerBalanceCents(page);
    const loadsBefore = client.loads();
    // Let it run long enough to cost a few cents at €0.01 a second.
    await page.waitForTimeout(RUN_SECONDS * 1_000);
    const row = page.getByRole('row', { name: new RegExp(POD_NAME) });
    await row.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect
      .poll(() => row.getByRole('cell', { name: 'Stopped', exact: true }).count(), { timeout: POD_TIMEOUT_MS, interval: 250 })
      .toBe(1);
    // Stopping settles the run at once: the header follows the charge live, and so does the
    // row's cost so far (the first amount in its cost cell; the second is the price per hour).
    await expect
      .poll(() => headerBalanceCents(page), { timeout: 20_000, interval: 250 })
      .toBeLessThanOrEqual(before - RUN_SECONDS);
    const costCell = row.getByRole('cell').nth(3);
    await expect
      .poll(async () => parseEuroCents((await costCell.textContent()) ?? ''), { timeout: 20_000, interval: 250 })
      .toBeGreaterThanOrEqual(RUN_SECONDS);
    await shoot(client, 'pod-stopped-balance-dropped');
    expect(client.loads(), 'the page was reloaded: the balance must follow live').toBe(loadsBefore);
    expect(client.problems(), formatProblems(client.problems())).toEqual([]);
  });

  it('the admin adds credit to that client, and the client sees it', async () => {
    const { page } = admin;
    const clientBefore = await headerBalanceCents(client.page);
    await navLink(page, 'Users').click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await settled(page);
    await page.getByRole('searchbox', { name: 'Search' }).fill(clientEmail);
    const row = page.getByRole('row', { name: new RegExp(escapeRegExp(clientEmail)) });
    await row.waitFor();
    await shoot(admin, 'admin-users');

    await row.getByRole('button', { name: 'Add credit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Change the balance of ${clientEmail}` });
    await dialog.getByRole('textbox', { name: 'Amount (EUR)' }).fill(String(CREDIT_EUR));
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('End-to-end test: a top-up');
    await shoot(admin, 'admin-credit-dialog');
    await dialog.getByRole('button', { name: 'Change balance', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: `The balance of ${clientEmail} is now` }).waitFor();

    await expect
      .poll(() => headerBalanceCents(client.page), { timeout: 20_000, interval: 250 })
      .toBe(clientBefore + CREDIT_EUR * 100);
    await shoot(client, 'client-got-credit');
    expect(admin.problems(), formatProblems(admin.problems())).toEqual([]);
    expect(client.problems(), formatProblems(client.problems())).toEqual([]);
  });

  it('the admin blocks the client, and the client is signed out', async () => {
    const { page } = admin;
    const loadsBefore = client.loads();
    // From here on the client's requests are refused (401, then 403 for the blocked sign-in).
    client.allow((p) => p.kind === 'console' && /status of 40[13]\b/.test(p.text));

    const row = page.getByRole('row', { name: new RegExp(escapeRegExp(clientEmail)) });
    await row.getByRole('button', { name: 'Block', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Block ${clientEmail}?` });
    await shoot(admin, 'admin-block-dialog');
    await dialog.getByRole('button', { name: 'Block user', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: `${clientEmail} is blocked and was signed out.` }).waitFor();
    await shoot(admin, 'admin-blocked-client');

    // The client's open page notices by itself: no reload, straight to the sign-in page.
    await client.page.waitForURL((url) => url.pathname === '/login', { timeout: 20_000 });
    await client.page.getByRole('heading', { level: 1, name: 'Sign in to Neuropod' }).waitFor();
    expect(await client.page.getByRole('button', { name: `Account menu of ${clientName}` }).count()).toBe(0);
    await shoot(client, 'client-signed-out');
    expect(client.loads(), 'the page was reloaded: the sign-out must arrive live').toBe(loadsBefore);

    // And cannot come back in.
    const form = client.page.getByRole('form', { name: 'Development sign-in' });
    await form.getByRole('textbox', { name: 'Email' }).fill(clientEmail);
    await form.getByRole('button', { name: 'Sign in (development)' }).click();
    await client.page.getByText('Your account is blocked.', { exact: false }).waitFor();
    await shoot(client, 'client-blocked-sign-in');
    expect(admin.problems(), formatProblems(admin.problems())).toEqual([]);
    expect(client.problems(), formatProblems(client.problems())).toEqual([]);
  });
});
