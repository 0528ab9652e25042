import type { MessageKey } from '@/i18n/messages';

/**
 * The `?error=` reasons the server's Google callback redirects with (server/src/auth/auth_routes.cpp and
 * google.cpp), grouped into what the user can do about them. Anything else gets the generic message.
 */
/** The texts for a failed sign-in: none takes parameters. */
export type SignInErrorKey = Extract<MessageKey, `login.error.${string}`>;

const REASONS: Readonly<Record<string, SignInErrorKey>> = {
  access_denied: 'login.error.access_denied',

  // The attempt itself: started elsewhere, too old, replayed, or Google sent no code.
  bad_state: 'login.error.attempt',
  state_reused: 'login.error.attempt',
  missing_code: 'login.error.attempt',

  // Google's answer did not pass verification.
  google_error: 'login.error.rejected',
  code_rejected: 'login.error.rejected',
  wrong_audience: 'login.error.rejected',
  wrong_issuer: 'login.error.rejected',
  wrong_nonce: 'login.error.rejected',
  expired: 'login.error.rejected',
  not_yet_valid: 'login.error.rejected',
  bad_signature: 'login.error.rejected',
  unknown_kid: 'login.error.rejected',
  unsupported_alg: 'login.error.rejected',
  malformed: 'login.error.rejected',
  missing_claim: 'login.error.rejected',

  email_not_verified: 'login.error.email_not_verified',
  blocked: 'login.error.blocked',
  google_unreachable: 'login.error.google_unreachable',
  rate_limited: 'login.error.rate_limited',
  failed: 'login.error.generic',
};

export function signInErrorKey(reason: string): SignInErrorKey {
  return Object.hasOwn(REASONS, reason) ? REASONS[reason]! : 'login.error.generic';
}
