import { describe, expect, it } from 'vitest';
import { loginPath, safeReturnTo } from '@/modules/auth/returnTo';

describe('safeReturnTo', () => {
  it.each([
    ['/account', '/account'],
    ['/pods/abc?tab=logs#top', '/pods/abc?tab=logs#top'],
    ['/', '/'],
  ])('keeps the local path %s', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it.each([
    ['missing', null],
    ['empty', ''],
    ['another origin', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash trick', '/\\evil.example'],
    ['a relative path', 'account'],
    ['whitespace', '/a b'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['the login page itself', '/login?return_to=/x'],
    ['too long', `/${'a'.repeat(600)}`],
  ])('turns %s into /', (_name, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('does not mistake /login-help for the login page', () => {
    expect(safeReturnTo('/login-help')).toBe('/login-help');
  });
});

describe('loginPath', () => {
  it('encodes the page to come back to, and leaves it out for the home page', () => {
    expect(loginPath('/account?tab=sessions')).toBe('/login?return_to=%2Faccount%3Ftab%3Dsessions');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('//evil.example')).toBe('/login');
  });
});
