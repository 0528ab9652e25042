import { Anchor, List, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useI18n } from '@/i18n/context';
import type { MessageKey } from '@/i18n/messages';

/** Texts of this page without parameters. */
type HelpKey = Exclude<Extract<MessageKey, `adminHelp.${string}`>, 'adminHelp.goTo'>;
type NavKey = Extract<MessageKey, `adminNav.${string}`>;

interface Section {
  id: string;
  title: HelpKey;
  link: { to: string; label: NavKey };
  items: HelpKey[];
}

const SECTIONS: Section[] = [
  {
    id: 'help-dashboard',
    title: 'adminHelp.dashboard.title',
    link: { to: '/dashboard', label: 'adminNav.dashboard' },
    items: ['adminHelp.dashboard.1', 'adminHelp.dashboard.2', 'adminHelp.dashboard.3', 'adminHelp.dashboard.4'],
  },
  {
    id: 'help-users',
    title: 'adminHelp.users.title',
    link: { to: '/admin/users', label: 'adminNav.users' },
    items: ['adminHelp.users.1', 'adminHelp.users.2', 'adminHelp.users.3', 'adminHelp.users.4'],
  },
  {
    id: 'help-pods',
    title: 'adminHelp.pods.title',
    link: { to: '/admin/pods', label: 'adminNav.pods' },
    items: ['adminHelp.pods.1', 'adminHelp.pods.2', 'adminHelp.pods.3'],
  },
  {
    id: 'help-templates',
    title: 'adminHelp.templates.title',
    link: { to: '/admin/templates', label: 'adminNav.templates' },
    items: ['adminHelp.templates.1', 'adminHelp.templates.2', 'adminHelp.templates.3'],
  },
  {
    id: 'help-settings',
    title: 'adminHelp.settings.title',
    link: { to: '/admin/settings', label: 'adminNav.settings' },
    items: ['adminHelp.settings.1', 'adminHelp.settings.2', 'adminHelp.settings.3', 'adminHelp.settings.4'],
  },
  {
    id: 'help-logs',
    title: 'adminHelp.logs.title',
    link: { to: '/admin/logs', label: 'adminNav.logs' },
    items: ['adminHelp.logs.1', 'adminHelp.logs.2'],
  },
];

/** /admin/help: what each admin page is for and how money works, in the user's language. */
export function AdminHelpPage() {
  const { t } = useI18n();
  return (
    <Stack gap="xl" maw={860} mx="auto" py="xl">
      <Stack gap={4}>
        <Title order={1}>{t('adminHelp.title')}</Title>
        <Text c="dimmed">{t('adminHelp.intro')}</Text>
      </Stack>
      <nav aria-label={t('adminHelp.contents')}>
        <List spacing={4}>
          {SECTIONS.map((s) => (
            <List.Item key={s.id}>
              <Anchor href={`#${s.id}`}>{t(s.title)}</Anchor>
            </List.Item>
          ))}
        </List>
      </nav>
      {SECTIONS.map((s) => (
        <Stack key={s.id} gap="xs" component="section" aria-labelledby={s.id}>
          <Title order={2} size="h3" id={s.id}>
            {t(s.title)}
          </Title>
          <List spacing="xs">
            {s.items.map((key) => (
              <List.Item key={key}>{t(key)}</List.Item>
            ))}
          </List>
          <Anchor component={Link} to={s.link.to} size="sm">
            {t('adminHelp.goTo', { page: t(s.link.label) })}
          </Anchor>
        </Stack>
      ))}
    </Stack>
  );
}
