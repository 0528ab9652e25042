import { Anchor, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, Navigate, Outlet, useLocation } from 'react-router';
import { asApiError } from '@/api/apiError';
import { isAccountBlocked, meQuery, type VerifyResponse } from '@/api/queries/auth';
import { ErrorState } from '@/components/ErrorState';
import { useI18n } from '@/i18n/context';
import { loginPath } from '@/modules/auth/returnTo';

interface GuardProps {
  /** What to show once admitted; without it the guard is a layout route and renders its <Outlet />. */
  children?: ReactNode;
}

/**
 * Waits for GET /api/auth/verify and then: signed out -> /login?return_to=<this page>;
 * blocked -> an explanation; a failure to ask -> the error with a retry; otherwise `admitted(me)`.
 */
function useSignedIn(admitted: (me: VerifyResponse) => ReactNode): ReactNode {
  const { t } = useI18n();
  const location = useLocation();
  const me = useQuery(meQuery());

  if (me.isError && isAccountBlocked(me.error)) {
    return <AccountBlocked />;
  }
  if (me.data === undefined) {
    if (me.isError) {
      return <ErrorState error={asApiError(me.error)} retrying={me.isFetching} onRetry={() => void me.refetch()} />;
    }
    return (
      <Center py="xl" role="status" aria-label={t('common.loading')}>
        <Loader />
      </Center>
    );
  }
  if (me.data === null) {
    return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  }
  if (me.data.user.blocked) {
    return <AccountBlocked />;
  }
  return admitted(me.data);
}

/** Routes for signed-in users. */
export function RequireAuth({ children }: GuardProps) {
  return useSignedIn(() => children ?? <Outlet />);
}

/** Routes for admins: signed-out users go to /login, clients see "Not allowed". */
export function RequireAdmin({ children }: GuardProps) {
  return useSignedIn((me) => (me.user.role === 'admin' ? (children ?? <Outlet />) : <NotAllowed />));
}

function AccessNotice({ title, body }: { title: string; body: string }) {
  const { t } = useI18n();
  return (
    <Stack align="center" py="xl" gap="sm" maw={560} mx="auto" ta="center">
      <Title order={1} size="h3">
        {title}
      </Title>
      <Text c="dimmed">{body}</Text>
      <Anchor component={Link} to="/">
        {t('common.backHome')}
      </Anchor>
    </Stack>
  );
}

export function AccountBlocked() {
  const { t } = useI18n();
  return <AccessNotice title={t('guard.blocked.title')} body={t('guard.blocked.body')} />;
}

export function NotAllowed() {
  const { t } = useI18n();
  return <AccessNotice title={t('guard.forbidden.title')} body={t('guard.forbidden.body')} />;
}
