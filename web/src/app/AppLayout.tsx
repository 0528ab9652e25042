import { AppShell, Burger, Group, NavLink, ScrollArea, Stack, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { meQuery } from '@/api/queries/auth';
import type { NavItem } from '@/components/nav';
import { LanguageSwitcher } from '@/components/LanguageSwitcher';
import { useI18n } from '@/i18n/context';
import { translate } from '@/i18n/messages';
import { ActiveAlertsBadge } from '@/modules/alerts/ActiveAlertsBadge';
import { UserMenu } from '@/modules/auth/UserMenu';
import { HeaderBalance } from '@/modules/billing/HeaderBalance';
import { NotificationBell } from '@/modules/notifications/NotificationBell';
import { NotificationToasts } from '@/modules/notifications/NotificationToasts';
import { adminNav } from '@/pages/admin/routes';
import { clientNav } from '@/pages/client/routes';

/** The entry whose path is the longest prefix of the current one (so /client/pods/deploy is not also /client/pods). */
export function activeEntry(pathname: string, items: NavItem[]): string | undefined {
  return items
    .filter((item) => pathname === item.to || pathname.startsWith(`${item.to}/`))
    .sort((a, b) => b.to.length - a.to.length)[0]?.to;
}

export function AppLayout() {
  const { t } = useI18n();
  const location = useLocation();
  const me = useQuery({ ...meQuery(), enabled: false });
  const user = me.data?.user;
  const signedIn = user !== undefined && !user.blocked;
  const isAdmin = signedIn && user.role === 'admin';
  const [opened, { toggle, close }] = useDisclosure(false);
  const active = activeEntry(location.pathname, isAdmin ? [...clientNav, ...adminNav] : clientNav);

  // On a phone the navigation covers the page: going somewhere closes it.
  useEffect(() => close(), [location.pathname, close]);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={signedIn ? { width: 240, breakpoint: 'sm', collapsed: { mobile: !opened, desktop: false } } : undefined}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="xs">
          <Group gap="xs" wrap="nowrap">
            {signedIn && (
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={opened ? t('nav.close') : t('nav.open')}
                aria-controls="app-navigation"
              />
            )}
            <UnstyledButton component={Link} to="/" aria-label={t('nav.home')}>
              <Group gap="xs" wrap="nowrap">
                <ThemeIcon variant="gradient" gradient={{ from: 'indigo', to: 'cyan' }} radius="md" aria-hidden>
                  N
                </ThemeIcon>
                <Text fw={700} visibleFrom="xs">
                  {t('app.title')}
                </Text>
              </Group>
            </UnstyledButton>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {signedIn && <HeaderBalance />}
            {signedIn && <NotificationBell />}
            <LanguageSwitcher />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      {signedIn && (
        <AppShell.Navbar p="sm" id="app-navigation" component="nav" aria-label={t('nav.label')}>
          <AppShell.Section grow component={ScrollArea}>
            <NavSection items={clientNav} active={active} />
            {isAdmin && adminNav.length > 0 && (
              <Stack gap={0} mt="md">
                <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mb={4} id="nav-admin-heading">
                  {t('nav.admin')}
                </Text>
                <NavSection items={adminNav} active={active} labelledBy="nav-admin-heading" badges={ADMIN_BADGES} />
              </Stack>
            )}
          </AppShell.Section>
        </AppShell.Navbar>
      )}
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
      <Notifications position="top-right" limit={4} />
      {signedIn && <NotificationToasts />}
    </AppShell>
  );
}

/** What an admin's navigation shows beside an entry (by its path): the active alerts beside the dashboard. */
const ADMIN_BADGES: Readonly<Record<string, ReactNode>> = { '/dashboard': <ActiveAlertsBadge /> };

function NavSection({
  items,
  active,
  labelledBy,
  badges = {},
}: {
  items: NavItem[];
  active: string | undefined;
  labelledBy?: string;
  badges?: Readonly<Record<string, ReactNode>>;
}) {
  const { language } = useI18n();
  return (
    <Stack gap={2} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }} aria-labelledby={labelledBy}>
      {items.map((item) => (
        <li key={item.to}>
          <NavLink
            component={Link}
            to={item.to}
            label={translate(language, item.label)}
            active={active === item.to}
            aria-current={active === item.to ? 'page' : undefined}
            rightSection={badges[item.to]}
          />
        </li>
      ))}
    </Stack>
  );
}
