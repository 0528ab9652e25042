import { Card, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { meQuery } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { isLanguage } from '@/i18n/language';
import { ProfileCard } from '@/pages/client/settings/ProfileCard';
import { SessionsCard } from '@/pages/client/settings/SessionsCard';

/** /client/settings (also /account): who you are, your balance, the language, and where you are signed in. */
export function SettingsPage() {
  const { t } = useI18n();
  // RequireAuth renders this page only once `me` holds a signed-in user.
  const me = useQuery(meQuery());
  const user = me.data?.user;

  return (
    <Stack gap="lg" maw={960} mx="auto" py="md">
      <Title order={1}>{t('settings.title')}</Title>
      {user !== undefined && <ProfileCard user={user} />}
      <LanguageCard />
      <SessionsCard />
    </Stack>
  );
}

function LanguageCard() {
  const { t, language, setLanguage } = useI18n();
  const titleId = useId();
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="xs">
        <Title order={2} size="h4" id={titleId}>
          {t('settings.language')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('settings.languageHint')}
        </Text>
        <SegmentedControl
          aria-labelledby={titleId}
          value={language}
          onChange={(value) => isLanguage(value) && setLanguage(value)}
          data={[
            { value: 'es', label: 'Español' },
            { value: 'en', label: 'English' },
          ]}
          maw={320}
        />
      </Stack>
    </Card>
  );
}
