import { Anchor, Stack, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useI18n } from '@/i18n/context';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <Stack align="center" py="xl">
      <Title order={1} size="h3">
        {t('notFound.title')}
      </Title>
      <Anchor component={Link} to="/">
        {t('notFound.back')}
      </Anchor>
    </Stack>
  );
}
