import type { MessageKey } from '@/i18n/messages';

/** One entry of the side navigation; AppLayout shows the client entries to everyone signed in, the admin ones to admins. */
export interface NavItem {
  to: string;
  label: MessageKey;
}
