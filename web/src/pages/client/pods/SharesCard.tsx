import { Alert, Badge, Button, Card, CopyButton, Group, Select, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { asApiError } from '@/api/apiError';
import { createShareMutation, podSharesQuery, revokeShareMutation, type Pod, type ShareLink } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime } from '@/i18n/format';

/** The expiries offered, in seconds (the API takes 60 s to 30 days). */
const EXPIRIES = [
  ['share.expiry.hour', 3_600],
  ['share.expiry.day', 86_400],
  ['share.expiry.week', 604_800],
  ['share.expiry.month', 2_592_000],
] as const;

const STATE_COLORS = { active: 'teal', expired: 'gray', revoked: 'red' } as const satisfies Record<ShareLink['state'], string>;

/** Links that open the pod for whoever holds them, until they expire or are revoked. */
export function SharesCard({ pod }: { pod: Pod }) {
  const { t } = useI18n();
  const titleId = useId();
  const shares = useQuery(podSharesQuery(pod.id));
  const create = useMutation(createShareMutation());
  const revoke = useMutation(revokeShareMutation());
  const [label, setLabel] = useState('');
  const [expiry, setExpiry] = useState<string>(String(86_400));
  const created = create.data;
  const failure = create.error ?? revoke.error;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    revoke.reset();
    create.mutate(
      { id: pod.id, expires_in_seconds: Number(expiry), ...(label.trim() !== '' && { label: label.trim() }) },
      { onSuccess: () => setLabel('') },
    );
  };

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="sm">
        <Stack gap={2}>
          <Title order={2} size="h4" id={titleId}>
            {t('share.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('share.description')}
          </Text>
        </Stack>

        <form onSubmit={submit} aria-label={t('share.create')}>
          <Group align="flex-end" gap="sm" wrap="wrap">
            <TextInput
              label={t('share.label')}
              placeholder={t('share.labelPlaceholder')}
              value={label}
              maxLength={64}
              onChange={(event) => setLabel(event.currentTarget.value)}
              style={{ flex: 1, minWidth: 180 }}
            />
            <Select
              label={t('share.expiry')}
              value={expiry}
              allowDeselect={false}
              onChange={(value) => value !== null && setExpiry(value)}
              data={EXPIRIES.map(([key, seconds]) => ({ value: String(seconds), label: t(key) }))}
              w={180}
            />
            <Button type="submit" loading={create.isPending}>
              {t('share.create')}
            </Button>
          </Group>
        </form>

        {created !== undefined && created.url !== null && created.url !== '' && (
          <Alert color="teal" variant="light" title={t('share.created')}>
            <Stack gap="xs">
              <Text size="sm">{t('share.createdHint')}</Text>
              <Group gap="xs" wrap="nowrap">
                <TextInput
                  readOnly
                  value={created.url}
                  aria-label={t('share.url')}
                  style={{ flex: 1 }}
                  onFocus={(event) => event.currentTarget.select()}
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                />
                <CopyButton value={created.url}>
                  {({ copied, copy }) => (
                    <Button color={copied ? 'teal' : 'indigo'} onClick={copy} aria-live="polite">
                      {copied ? t('share.copied') : t('share.copy')}
                    </Button>
                  )}
                </CopyButton>
              </Group>
            </Stack>
          </Alert>
        )}

        {failure !== null && <ErrorState error={asApiError(failure)} />}

        <QueryState
          query={shares}
          isEmpty={(items) => items.length === 0}
          empty={
            <Text size="sm" c="dimmed" ta="center" py="sm">
              {t('share.empty')}
            </Text>
          }
        >
          {(items) => (
            <Table.ScrollContainer minWidth={560} type="native">
              <Table verticalSpacing="xs" aria-label={t('share.list')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('share.label')}</Table.Th>
                    <Table.Th>{t('share.createdAt')}</Table.Th>
                    <Table.Th>{t('share.expiresAt')}</Table.Th>
                    <Table.Th>{t('share.state')}</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>{t('pods.actions')}</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((share) => (
                    <ShareRow
                      key={share.id}
                      share={share}
                      revoking={revoke.isPending && revoke.variables?.shareId === share.id}
                      onRevoke={() => {
                        create.reset();
                        revoke.mutate({ id: pod.id, shareId: share.id });
                      }}
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </Stack>
    </Card>
  );
}

function ShareRow({ share, revoking, onRevoke }: { share: ShareLink; revoking: boolean; onRevoke: () => void }) {
  const { t, language } = useI18n();
  const labelId = useId();
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm" id={labelId} style={{ overflowWrap: 'anywhere' }}>
          {share.label === '' ? t('share.unlabelled') : share.label}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          <time dateTime={share.created_at}>{formatDateTime(share.created_at, language)}</time>
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          <time dateTime={share.expires_at}>{formatDateTime(share.expires_at, language)}</time>
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge size="sm" variant="light" color={STATE_COLORS[share.state]}>
          {t(`share.state.${share.state}`)}
        </Badge>
      </Table.Td>
      <Table.Td ta="right">
        {share.state === 'active' && (
          <Button size="xs" variant="light" color="red" loading={revoking} aria-describedby={labelId} onClick={onRevoke}>
            {t('share.revoke')}
          </Button>
        )}
      </Table.Td>
    </Table.Tr>
  );
}
