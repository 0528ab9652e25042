import { Anchor, Button, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import { Link } from 'react-router';
import type { Pod } from '@/api/queries/pods';
import { useI18n } from '@/i18n/context';
import { formatMoney } from '@/i18n/format';
import { canStart, canStop, openableUrls } from '@/modules/pods/podActions';
import { PodStatusBadge } from '@/modules/pods/PodStatusBadge';

interface Props {
  pods: Pod[];
  /** The id of the pod each action is in progress for. */
  busy: { stop: string | undefined; start: string | undefined; delete: string | undefined };
  onStop: (pod: Pod) => void;
  onStart: (pod: Pod) => void;
  onDelete: (pod: Pod) => void;
}

export function PodsTable({ pods, busy, onStop, onStart, onDelete }: Props) {
  const { t } = useI18n();
  return (
    <Table.ScrollContainer minWidth={880} type="native">
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('pods.name')}</Table.Th>
            <Table.Th>{t('pods.source')}</Table.Th>
            <Table.Th>{t('pods.status')}</Table.Th>
            <Table.Th>{t('pods.cost')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('pods.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {pods.map((pod) => (
            <PodRow
              key={pod.id}
              pod={pod}
              stopping={busy.stop === pod.id}
              starting={busy.start === pod.id}
              deleting={busy.delete === pod.id}
              onStop={() => onStop(pod)}
              onStart={() => onStart(pod)}
              onDelete={() => onDelete(pod)}
            />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

interface RowProps {
  pod: Pod;
  stopping: boolean;
  starting: boolean;
  deleting: boolean;
  onStop: () => void;
  onStart: () => void;
  onDelete: () => void;
}

function PodRow({ pod, stopping, starting, deleting, onStop, onStart, onDelete }: RowProps) {
  const { t, language } = useI18n();
  const nameId = useId();
  const busy = stopping || starting || deleting;
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} id={nameId} style={{ overflowWrap: 'anywhere' }}>
          <Anchor component={Link} to={`/client/pods/${encodeURIComponent(pod.id)}`} inherit>
            {pod.name}
          </Anchor>
        </Text>
      </Table.Td>
      <Table.Td maw={320}>
        <Stack gap={2}>
          <Text size="sm">{pod.template_id === null ? t('pods.customImage') : pod.template_name}</Text>
          <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
            {pod.image}
          </Text>
        </Stack>
      </Table.Td>
      <Table.Td maw={320}>
        <Stack gap={4} align="flex-start">
          <PodStatusBadge status={pod.status} />
          {pod.status === 'failed' && <FailureReason pod={pod} />}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {formatMoney(pod.cost_micros, language)}
          </Text>
          <Text size="xs" c="dimmed">
            {t('pods.perHour', { amount: formatMoney(pod.price_per_hour_micros, language) })}
          </Text>
        </Stack>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end">
          {openableUrls(pod).map((url) => (
            <Button
              key={url.port}
              component="a"
              href={url.url}
              target="_blank"
              rel="noopener noreferrer"
              size="xs"
              variant="light"
              aria-describedby={nameId}
            >
              {t('pods.open', { port: url.name === '' ? String(url.port) : url.name })}
            </Button>
          ))}
          {canStop(pod) && (
            <Button size="xs" variant="default" loading={stopping} disabled={busy && !stopping} aria-describedby={nameId} onClick={onStop}>
              {t('pods.stop')}
            </Button>
          )}
          {canStart(pod) && (
            <Button size="xs" variant="default" loading={starting} disabled={busy && !starting} aria-describedby={nameId} onClick={onStart}>
              {t('pods.start')}
            </Button>
          )}
          <Button
            size="xs"
            variant="light"
            color="red"
            loading={deleting}
            disabled={busy && !deleting}
            aria-describedby={nameId}
            onClick={onDelete}
          >
            {t('pods.delete')}
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** Why a pod failed: the server's plain words, and Kubernetes' (or our) reason code. */
function FailureReason({ pod }: { pod: Pod }) {
  const { t } = useI18n();
  return (
    <>
      {pod.message !== '' && (
        <Text size="xs" c="red">
          {pod.message}
        </Text>
      )}
      {pod.reason !== '' && (
        <Text size="xs" c="dimmed" ff="monospace">
          {t('pods.failedReason', { reason: pod.reason })}
        </Text>
      )}
    </>
  );
}
