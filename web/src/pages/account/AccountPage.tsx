import { Stack, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { meQuery } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { ProfileCard } from '@/pages/account/ProfileCard';
import { SessionsCard } from '@/pages/account/SessionsCard';

/** /account (behind RequireAuth): who you are, your balance, and where you are signed in. */
export function AccountPage() {
  const { t } = useI18n();
  // RequireAuth renders this page only once `me` holds a signed-in user.
  const me = useQuery(meQuery());
  const user = me.data?.user;

  return (
    <Stack gap="lg" maw={960} mx="auto" py="xl">
      <Title order={1}>{t('account.title')}</Title>
      {user !== undefined && <ProfileCard user={user} />}
      <SessionsCard />
    </Stack>
  );
}
