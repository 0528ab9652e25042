import { AppShell, Group, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import { Link, Outlet } from 'react-router';
import { LanguageSwitcher } from '@/components/LanguageSwitcher';
import { useI18n } from '@/i18n/context';
import { UserMenu } from '@/modules/auth/UserMenu';

export function AppLayout() {
  const { t } = useI18n();
  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <UnstyledButton component={Link} to="/">
            <Group gap="xs">
              <ThemeIcon variant="gradient" gradient={{ from: 'indigo', to: 'cyan' }} radius="md" aria-hidden>
                N
              </ThemeIcon>
              <Text fw={700}>{t('app.title')}</Text>
            </Group>
          </UnstyledButton>
          <Group gap="sm" wrap="nowrap">
            <LanguageSwitcher />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
