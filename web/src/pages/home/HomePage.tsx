import { Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { statusQuery } from '@/api/queries/system';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { StatusCard } from '@/modules/system/StatusCard';

export function HomePage() {
  const { t } = useI18n();
  const status = useQuery(statusQuery());

  return (
    <Stack gap="lg" maw={640} mx="auto" py="xl">
      <Stack gap={4}>
        <Title order={1}>{t('app.title')}</Title>
        <Text c="dimmed">{t('app.tagline')}</Text>
      </Stack>
      <QueryState query={status}>
        {(data) => <StatusCard status={data} updatedAt={status.dataUpdatedAt} />}
      </QueryState>
    </Stack>
  );
}
