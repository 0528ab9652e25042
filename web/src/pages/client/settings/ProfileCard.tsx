import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useId, type ReactNode } from 'react';
import type { User } from '@/api/queries/auth';
import { useI18n } from '@/i18n/context';
import { formatDate } from '@/i18n/format';
import { Balance } from '@/modules/auth/Balance';
import { UserAvatar } from '@/modules/auth/UserAvatar';

export function ProfileCard({ user }: { user: User }) {
  const { t, language } = useI18n();
  const titleId = useId();
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Group gap="md" mb="md">
        <UserAvatar user={user} size="lg" />
        <Title order={2} size="h4" id={titleId}>
          {t('account.profile')}
        </Title>
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md">
        <Fact label={t('account.name')}>
          <Text fw={600}>{user.name === '' ? '—' : user.name}</Text>
        </Fact>
        <Fact label={t('account.email')}>
          <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
            {user.email}
          </Text>
        </Fact>
        <Fact label={t('account.role')}>
          <Group>
            <Badge variant="light" color={user.role === 'admin' ? 'grape' : 'indigo'}>
              {t(`role.${user.role}`)}
            </Badge>
          </Group>
        </Fact>
        <Fact label={t('account.balance')}>
          <Text fw={600} size="lg">
            <Balance micros={user.balance_micros} />
          </Text>
        </Fact>
        <Fact label={t('account.memberSince')}>
          <Text fw={600}>
            <time dateTime={user.created_at}>{formatDate(user.created_at, language)}</time>
          </Text>
        </Fact>
      </SimpleGrid>
    </Card>
  );
}

/** A labelled value; the group's accessible name is the label (screen readers, tests). */
function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2} role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} aria-hidden>
        {label}
      </Text>
      {children}
    </Stack>
  );
}
