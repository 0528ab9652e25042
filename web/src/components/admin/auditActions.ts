import type { MessageKey, Translate } from '@/i18n/messages';

/** The actions the server records in the audit log, each with its words (others show as their code). */
export const AUDIT_ACTIONS = {
  'auth.sign_in': 'auditAction.auth.sign_in',
  'auth.sign_in_failed': 'auditAction.auth.sign_in_failed',
  'auth.sign_out': 'auditAction.auth.sign_out',
  'auth.session_revoked': 'auditAction.auth.session_revoked',
  'auth.user_created': 'auditAction.auth.user_created',
  'user.blocked': 'auditAction.user.blocked',
  'user.unblocked': 'auditAction.user.unblocked',
  'user.role_changed': 'auditAction.user.role_changed',
  'user.balance_changed': 'auditAction.user.balance_changed',
  'pod.deployed': 'auditAction.pod.deployed',
  'pod.started': 'auditAction.pod.started',
  'pod.stopped': 'auditAction.pod.stopped',
  'pod.deleted': 'auditAction.pod.deleted',
  'template.created': 'auditAction.template.created',
  'template.updated': 'auditAction.template.updated',
  'template.deleted': 'auditAction.template.deleted',
  'settings.updated': 'auditAction.settings.updated',
} as const satisfies Record<string, MessageKey>;

export type KnownAuditAction = keyof typeof AUDIT_ACTIONS;

export function isKnownAuditAction(action: string): action is KnownAuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, action);
}

/** An audit action in words (`Signed in`), or its code when it is not one we know. */
export function auditActionLabel(action: string, t: Translate): string {
  return isKnownAuditAction(action) ? t(AUDIT_ACTIONS[action]) : action;
}

/** An entry's details as short `key: value` texts (objects as JSON). */
export function auditDetails(details: Record<string, unknown>): string[] {
  return Object.entries(details).map(
    ([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
}
