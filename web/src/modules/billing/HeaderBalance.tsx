import { Button } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { meQuery } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { formatMoney } from '@/i18n/format';
import { Balance } from '@/modules/auth/Balance';

/**
 * The signed-in user's balance in the header, linking to /client/stats. It follows `me`, which the
 * live updates change on `balance.changed`. Its accessible name says what it is: "Balance: €10.00".
 */
export function HeaderBalance() {
  const { t, language } = useI18n();
  const me = useQuery({ ...meQuery(), enabled: false });
  const user = me.data?.user;
  if (user === undefined) {
    return null;
  }
  const amount = user.balance_micros === null ? t('auth.unlimited') : formatMoney(user.balance_micros, language);
  const low = user.balance_micros !== null && user.balance_micros <= 0;
  return (
    <Button
      component={Link}
      to="/client/stats"
      variant="light"
      color={low ? 'red' : 'teal'}
      size="compact-sm"
      radius="xl"
      aria-label={t('header.balance', { amount })}
    >
      <Balance micros={user.balance_micros} />
    </Button>
  );
}
