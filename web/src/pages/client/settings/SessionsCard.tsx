import { Badge, Button, Card, Group, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { asApiError } from '@/api/apiError';
import { logoutAllMutation, revokeSessionMutation, sessionsQuery, type Session } from '@/api/queries/auth';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime } from '@/i18n/format';

/** This browser's session first, then the others as the server sorts them (newest first). */
function currentFirst(sessions: Session[]): Session[] {
  return [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)];
}

export function SessionsCard() {
  const { t } = useI18n();
  const titleId = useId();
  const sessions = useQuery(sessionsQuery());
  const revoke = useMutation(revokeSessionMutation());
  const logoutAll = useMutation(logoutAllMutation());
  const failure = revoke.error ?? logoutAll.error;

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Group justify="space-between" align="flex-start" mb="xs">
        <Stack gap={2}>
          <Title order={2} size="h4" id={titleId}>
            {t('sessions.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('sessions.description')}
          </Text>
        </Stack>
        <Stack gap={2} align="flex-end">
          <Button
            color="red"
            variant="light"
            loading={logoutAll.isPending}
            aria-describedby={`${titleId}-everywhere`}
            // Once signed out, RequireAuth takes this page away and shows the login page.
            onClick={() => logoutAll.mutate()}
          >
            {t('sessions.signOutEverywhere')}
          </Button>
          <Text size="xs" c="dimmed" id={`${titleId}-everywhere`}>
            {t('sessions.signOutEverywhereHint')}
          </Text>
        </Stack>
      </Group>

      {failure !== null && (
        <Stack mb="sm">
          <ErrorState error={asApiError(failure)} />
        </Stack>
      )}

      <QueryState query={sessions} isEmpty={(items) => items.length === 0}>
        {(items) => (
          <Table.ScrollContainer minWidth={720} type="native">
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('sessions.device')}</Table.Th>
                  <Table.Th>{t('sessions.ip')}</Table.Th>
                  <Table.Th>{t('sessions.signedInAt')}</Table.Th>
                  <Table.Th>{t('sessions.lastSeen')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('sessions.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {currentFirst(items).map((session) => (
                  <SessionRow
                    key={session.id}
                    session={session}
                    revoking={revoke.isPending && revoke.variables === session.id}
                    onRevoke={() => revoke.mutate(session.id)}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
    </Card>
  );
}

interface RowProps {
  session: Session;
  revoking: boolean;
  onRevoke: () => void;
}

function SessionRow({ session, revoking, onRevoke }: RowProps) {
  const { t, language } = useI18n();
  const deviceId = useId();
  const device = session.user_agent.trim() === '' ? t('sessions.unknownDevice') : session.user_agent;
  return (
    <Table.Tr>
      <Table.Td maw={360}>
        <Stack gap={4}>
          <Text size="sm" lineClamp={2} title={session.user_agent} id={deviceId}>
            {device}
          </Text>
          <Group gap="xs">
            {session.current && (
              <Badge size="sm" color="teal" variant="light">
                {t('sessions.thisDevice')}
              </Badge>
            )}
            <Text size="xs" c="dimmed">
              {t(`sessions.method.${session.method}`)}
            </Text>
          </Group>
        </Stack>
      </Table.Td>
      <Table.Td>
        <Text size="sm" ff="monospace">
          {session.ip}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          <time dateTime={session.created_at}>{formatDateTime(session.created_at, language)}</time>
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          <time dateTime={session.last_seen_at}>{formatDateTime(session.last_seen_at, language)}</time>
        </Text>
      </Table.Td>
      <Table.Td ta="right">
        {!session.current && (
          <Button size="xs" variant="light" color="red" loading={revoking} aria-describedby={deviceId} onClick={onRevoke}>
            {t('sessions.revoke')}
          </Button>
        )}
      </Table.Td>
    </Table.Tr>
  );
}
