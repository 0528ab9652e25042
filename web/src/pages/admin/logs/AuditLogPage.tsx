import { Button, Code, Group, NativeSelect, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { auditPagesQuery } from '@/api/queries/adminAudit';
import { AUDIT_ACTIONS, auditActionLabel, auditDetails } from '@/components/admin/auditActions';
import { UserSelect } from '@/components/admin/UserSelect';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime } from '@/i18n/format';

export const PAGE_SIZE = 50;

/** /admin/logs: the audit log, newest first, filtered by action and user; "Load more" shows older entries. */
export function AuditLogPage() {
  const { t, language } = useI18n();
  const [action, setAction] = useState('');
  const [userId, setUserId] = useState<string | null>(null);
  const entries = useInfiniteQuery({
    ...auditPagesQuery({ action, ...(userId !== null && { userId }), limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const list = entries.data?.pages.flatMap((page) => page.items);

  return (
    <Stack gap="lg" maw={1300} mx="auto" py="xl">
      <Stack gap={4}>
        <Title order={1}>{t('auditLog.title')}</Title>
        <Text c="dimmed">{t('auditLog.description')}</Text>
      </Stack>

      <SimpleGrid cols={{ base: 1, sm: 2 }} role="search" aria-label={t('auditLog.filters')}>
        <NativeSelect
          label={t('auditLog.action')}
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          data={[
            { value: '', label: t('auditLog.allActions') },
            ...Object.keys(AUDIT_ACTIONS).map((a) => ({ value: a, label: `${auditActionLabel(a, t)} (${a})` })),
          ]}
        />
        <UserSelect
          label={t('auditLog.user')}
          placeholder={t('auditLog.allUsers')}
          value={userId}
          onChange={setUserId}
          unavailableText={t('admin.usersUnavailable')}
        />
      </SimpleGrid>

      <QueryState
        query={{ ...entries, data: list }}
        isEmpty={(list) => list.length === 0}
        empty={
          <Text c="dimmed" ta="center" py="xl">
            {t('auditLog.empty')}
          </Text>
        }
      >
        {(list) => (
          <Stack gap="md">
            <Table.ScrollContainer minWidth={900} type="native">
              <Table verticalSpacing="xs" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('auditLog.when')}</Table.Th>
                    <Table.Th>{t('auditLog.action')}</Table.Th>
                    <Table.Th>{t('auditLog.actor')}</Table.Th>
                    <Table.Th>{t('auditLog.subject')}</Table.Th>
                    <Table.Th>{t('auditLog.ip')}</Table.Th>
                    <Table.Th>{t('auditLog.details')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((entry) => (
                    <Table.Tr key={entry.id}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(entry.ts, language)}</Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {auditActionLabel(entry.action, t)}
                        </Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {entry.action}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                          {entry.actor_email === '' ? t('auditLog.system') : entry.actor_email}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {entry.user_id !== '' && (
                          <Button variant="subtle" size="compact-xs" ff="monospace" onClick={() => setUserId(entry.user_id)}>
                            {t('auditLog.onlyUser', { id: entry.user_id })}
                          </Button>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace">
                          {entry.ip}
                        </Text>
                      </Table.Td>
                      <Table.Td maw={360}>
                        <Stack gap={0}>
                          {auditDetails(entry.details as Record<string, unknown>).map((line) => (
                            <Code key={line} style={{ overflowWrap: 'anywhere', whiteSpace: 'normal' }}>
                              {line}
                            </Code>
                          ))}
                        </Stack>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between">
              <Text size="sm" c="dimmed" role="status">
                {t('auditLog.showing', { count: list.length })}
              </Text>
              {entries.hasNextPage && (
                <Button variant="default" loading={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
                  {t('auditLog.loadMore')}
                </Button>
              )}
            </Group>
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}
