import { Alert, Button, Card, Center, Divider, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { authConfigQuery, googleSignInUrl, meQuery } from '@/api/queries/auth';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { safeReturnTo } from '@/modules/auth/returnTo';
import { DevSignInForm } from '@/pages/login/DevSignInForm';
import { GoogleIcon } from '@/pages/login/GoogleIcon';
import { signInErrorKey } from '@/pages/login/signInError';

/**
 * /login?return_to=/path&error=reason. Google sign-in is a full-page navigation to the server, which
 * comes back to `return_to`, or here with `?error=` when it failed.
 */
export function LoginPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('return_to'));
  const reason = params.get('error');
  const me = useQuery(meQuery());
  const config = useQuery(authConfigQuery());

  if (me.data) {
    return <Navigate to={returnTo} replace />;
  }
  if (me.isPending) {
    return (
      <Center py="xl" role="status" aria-label={t('common.loading')}>
        <Loader />
      </Center>
    );
  }

  return (
    <Stack maw={440} mx="auto" py="xl" gap="lg">
      <Stack gap={4}>
        <Title order={1}>{t('login.title')}</Title>
        <Text c="dimmed">{t('login.subtitle')}</Text>
      </Stack>

      {reason !== null && (
        <Alert color="red" variant="light" title={t('login.error.title')}>
          {t(signInErrorKey(reason))}
        </Alert>
      )}

      <QueryState query={config}>
        {({ google, dev_login: devLogin }) => (
          <Card withBorder radius="md" padding="lg">
            <Stack gap="md">
              {google.enabled && (
                <Button
                  component="a"
                  href={googleSignInUrl(returnTo)}
                  variant="default"
                  size="md"
                  leftSection={<GoogleIcon />}
                  fullWidth
                >
                  {t('login.google')}
                </Button>
              )}
              {google.enabled && devLogin && <Divider label={t('login.or')} labelPosition="center" />}
              {devLogin && <DevSignInForm onSignedIn={() => void navigate(returnTo, { replace: true })} />}
              {!google.enabled && !devLogin && <Text>{t('login.none')}</Text>}
            </Stack>
          </Card>
        )}
      </QueryState>
    </Stack>
  );
}
