import { Button, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useLocation } from 'react-router';
import { logoutMutation, meQuery, type User } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { formatBalance } from '@/i18n/format';
import { loginPath } from '@/modules/auth/returnTo';
import { UserAvatar } from '@/modules/auth/UserAvatar';

/** The header's corner: a menu for the signed-in user, or a "Sign in" link. */
export function UserMenu() {
  const { t } = useI18n();
  const location = useLocation();
  const me = useQuery(meQuery());

  if (me.data) {
    return <SignedInMenu user={me.data.user} />;
  }
  // While asking, nothing (no flash of "Sign in"); on /login the page itself is the sign-in.
  if (me.isPending || location.pathname === '/login') {
    return null;
  }
  return (
    <Button component={Link} to={loginPath(location.pathname + location.search)} size="xs" variant="light">
      {t('auth.signIn')}
    </Button>
  );
}

function SignedInMenu({ user }: { user: User }) {
  const { t, language } = useI18n();
  const logout = useMutation(logoutMutation());
  const name = user.name === '' ? user.email : user.name;

  return (
    <Menu position="bottom-end" width={240} withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={t('userMenu.label', { name })}>
          <Group gap="xs" wrap="nowrap">
            <UserAvatar user={user} />
            <Text size="sm" fw={500} visibleFrom="sm" maw={160} truncate>
              {name}
            </Text>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label style={{ overflowWrap: 'anywhere' }}>{user.email}</Menu.Label>
        <Menu.Label>{t('userMenu.balance', { amount: formatBalance(user.balance_micros, language) })}</Menu.Label>
        <Menu.Item component={Link} to="/client/pods">
          {t('userMenu.pods')}
        </Menu.Item>
        <Menu.Item component={Link} to="/client/settings">
          {t('userMenu.account')}
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item
          color="red"
          disabled={logout.isPending}
          // Signed out, a public page stays and a guarded one sends to /login (RequireAuth).
          onClick={() => logout.mutate()}
        >
          {t('auth.signOut')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
