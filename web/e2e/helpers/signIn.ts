import type { Page } from 'playwright-core';

/**
 * Signs in through /login's development form (the server under test offers it: NEUROPOD_DEV_LOGIN),
 * as a person would, and waits until the app has let them in.
 */
export async function signIn(page: Page, email: string, name: string): Promise<void> {
  await page.goto('/login');
  const form = page.getByRole('form', { name: 'Development sign-in' });
  await form.getByRole('textbox', { name: 'Email' }).fill(email);
  await form.getByRole('textbox', { name: 'Name (optional)' }).fill(name);
  await form.getByRole('button', { name: 'Sign in (development)' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.getByRole('button', { name: `Account menu of ${name}` }).waitFor();
}

/** The balance in the header ("Balance: €10.00"), in euro cents. */
export async function headerBalanceCents(page: Page): Promise<number> {
  const label = await page.getByRole('link', { name: /^Balance: / }).getAttribute('aria-label');
  return parseEuroCents(label ?? '');
}

/** "Balance: €1,234.56" -> 123456; "-€0.50" -> -50. English formatting (the tests' locale). */
export function parseEuroCents(text: string): number {
  const match = /(-?)€\s?([\d,]+)\.(\d{2})/.exec(text);
  if (match === null) {
    throw new Error(`no euro amount in ${JSON.stringify(text)}`);
  }
  const [, sign = '', whole = '0', cents = '00'] = match;
  const value = Number(whole.replace(/,/g, '')) * 100 + Number(cents);
  return sign === '-' ? -value : value;
}
