import { Button, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import type { Pod } from '@/api/queries/pods';
import { useI18n } from '@/i18n/context';
import { formatDateTime, formatMoney } from '@/i18n/format';
import { PodStatusBadge } from '@/modules/pods/PodStatusBadge';

/** Pods an admin can stop: asked to run and not already stopping. */
export function canStop(pod: Pod): boolean {
  return pod.status === 'pending' || pod.status === 'creating' || pod.status === 'running';
}

interface Props {
  pods: Pod[];
  stoppingId: string | undefined;
  onStop: (pod: Pod) => void;
}

export function AdminPodsTable({ pods, stoppingId, onStop }: Props) {
  const { t } = useI18n();
  return (
    <Table.ScrollContainer minWidth={960} type="native">
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('adminPods.name')}</Table.Th>
            <Table.Th>{t('adminPods.owner')}</Table.Th>
            <Table.Th>{t('adminPods.source')}</Table.Th>
            <Table.Th>{t('adminPods.status')}</Table.Th>
            <Table.Th>{t('adminPods.cost')}</Table.Th>
            <Table.Th>{t('adminPods.created')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('adminPods.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {pods.map((pod) => (
            <PodRow key={pod.id} pod={pod} stopping={stoppingId === pod.id} onStop={() => onStop(pod)} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function PodRow({ pod, stopping, onStop }: { pod: Pod; stopping: boolean; onStop: () => void }) {
  const { t, language } = useI18n();
  const nameId = useId();
  const links = pod.status === 'running' ? pod.urls.filter((u) => u.protocol === 'http' && u.url !== '') : [];
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} id={nameId} style={{ overflowWrap: 'anywhere' }}>
          {pod.name}
        </Text>
        <Text size="xs" c="dimmed">
          {t('adminPods.tier', { tier: pod.tier === '' ? '—' : pod.tier, node: pod.node === '' ? '—' : pod.node })}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {pod.user_email}
        </Text>
      </Table.Td>
      <Table.Td maw={300}>
        <Stack gap={2}>
          <Text size="sm">{pod.template_id === null ? t('adminPods.customImage') : pod.template_name}</Text>
          <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
            {pod.image}
          </Text>
        </Stack>
      </Table.Td>
      <Table.Td maw={280}>
        <Stack gap={4} align="flex-start">
          <PodStatusBadge status={pod.status} />
          {pod.message !== '' && (pod.status === 'failed' || pod.status === 'stopped') && (
            <Text size="xs" c={pod.status === 'failed' ? 'red' : 'dimmed'}>
              {pod.message}
            </Text>
          )}
          {pod.reason !== '' && (pod.status === 'failed' || pod.status === 'stopped') && (
            <Text size="xs" c="dimmed" ff="monospace">
              {t('adminPods.reason', { reason: pod.reason })}
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {formatMoney(pod.cost_micros, language)}
          </Text>
          <Text size="xs" c="dimmed">
            {t('adminPods.perHour', { amount: formatMoney(pod.price_per_hour_micros, language) })}
          </Text>
        </Stack>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(pod.created_at, language)}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          {links.map((url) => (
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
              {t('adminPods.open', { port: url.name === '' ? String(url.port) : url.name })}
            </Button>
          ))}
          {canStop(pod) && (
            <Button size="xs" variant="light" color="red" loading={stopping} aria-describedby={nameId} onClick={onStop}>
              {t('adminPods.stop')}
            </Button>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
