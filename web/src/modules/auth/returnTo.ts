/** The server ignores longer return_to values (auth_routes.cpp, kMaxReturnTo). */
const MAX_RETURN_TO = 512;

/**
 * A path of this app to go to after signing in, or `/`. Same rules as the server's safe_return_to:
 * only a local path (one leading slash, no backslash, no whitespace), so that a crafted
 * `/login?return_to=https://evil.example` cannot send the user elsewhere. `/login` itself would loop.
 */
export function safeReturnTo(value: string | null | undefined): string {
  if (
    value === null ||
    value === undefined ||
    value.length > MAX_RETURN_TO ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    /[\\\s]/.test(value) ||
    /^\/login(?:[/?#]|$)/.test(value)
  ) {
    return '/';
  }
  return value;
}

/** The login page, coming back to `returnTo` (a path with its query string) afterwards. */
export function loginPath(returnTo: string): string {
  const target = safeReturnTo(returnTo);
  return target === '/' ? '/login' : `/login?return_to=${encodeURIComponent(target)}`;
}
