import { VisuallyHidden } from '@mantine/core';
import type { User } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { formatMoney, UNLIMITED } from '@/i18n/format';

/** The user's balance in euros, or ∞ (read out as "Unlimited") for admins, whose balance is null. */
export function Balance({ micros }: { micros: User['balance_micros'] }) {
  const { t, language } = useI18n();
  if (micros === null) {
    return (
      <span title={t('auth.unlimited')}>
        <span aria-hidden>{UNLIMITED}</span>
        <VisuallyHidden component="span">{t('auth.unlimited')}</VisuallyHidden>
      </span>
    );
  }
  return <span>{formatMoney(micros, language)}</span>;
}
