import { Anchor, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { asApiError } from '@/api/apiError';
import { deletePodMutation, podQuery, startPodMutation, stopPodMutation, type Pod } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime, formatMoney } from '@/i18n/format';
import { canStart, canStop, openableUrls } from '@/modules/pods/podActions';
import { PodStatusBadge } from '@/modules/pods/PodStatusBadge';
import { AccessCard } from '@/pages/client/pods/AccessCard';
import { DeletePodModal } from '@/pages/client/pods/DeletePodModal';
import { LifecycleCard } from '@/pages/client/pods/LifecycleCard';
import { LogsCard } from '@/pages/client/pods/LogsCard';
import { SharesCard } from '@/pages/client/pods/SharesCard';

/** /client/pods/:id: one pod, what keeps it running, who may open it, share links and its logs. */
export function PodDetailPage() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const pod = useQuery(podQuery(id));

  return (
    <Stack gap="lg" maw={1200} mx="auto" py="md">
      <Anchor component={Link} to="/client/pods" size="sm">
        {t('podDetail.back')}
      </Anchor>
      <QueryState query={pod}>{(data) => <PodDetail pod={data} />}</QueryState>
    </Stack>
  );
}

function PodDetail({ pod }: { pod: Pod }) {
  const { t, language } = useI18n();
  const navigate = useNavigate();
  const stop = useMutation(stopPodMutation());
  const start = useMutation(startPodMutation());
  const remove = useMutation(deletePodMutation());
  const [confirming, setConfirming] = useState(false);
  const failure = stop.error ?? start.error ?? remove.error;
  const busy = stop.isPending || start.isPending || remove.isPending;
  const clear = () => {
    stop.reset();
    start.reset();
    remove.reset();
  };

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="md">
        <Stack gap={6} style={{ minWidth: 0 }}>
          <Group gap="sm" wrap="wrap">
            <Title order={1} style={{ overflowWrap: 'anywhere' }}>
              {pod.name}
            </Title>
            <PodStatusBadge status={pod.status} />
          </Group>
          <Text size="sm" c="dimmed">
            {pod.template_id === null ? t('pods.customImage') : pod.template_name}
            {' · '}
            <Text span ff="monospace" size="sm" style={{ overflowWrap: 'anywhere' }}>
              {pod.image}
            </Text>
          </Text>
          {pod.status === 'failed' && (pod.message !== '' || pod.reason !== '') && (
            <Text size="sm" c="red">
              {pod.message !== '' ? pod.message : pod.reason}
              {pod.message !== '' && pod.reason !== '' && ` (${pod.reason})`}
            </Text>
          )}
        </Stack>
        <Group gap="xs">
          {openableUrls(pod).map((url) => (
            <Button key={url.port} component="a" href={url.url} target="_blank" rel="noopener noreferrer" variant="light">
              {t('pods.open', { port: url.name === '' ? String(url.port) : url.name })}
            </Button>
          ))}
          {canStop(pod) && (
            <Button
              variant="default"
              loading={stop.isPending}
              disabled={busy && !stop.isPending}
              onClick={() => {
                clear();
                stop.mutate(pod.id);
              }}
            >
              {t('pods.stop')}
            </Button>
          )}
          {canStart(pod) && (
            <Button
              variant="default"
              loading={start.isPending}
              disabled={busy && !start.isPending}
              onClick={() => {
                clear();
                start.mutate(pod.id);
              }}
            >
              {t('pods.start')}
            </Button>
          )}
          <Button variant="light" color="red" disabled={busy} onClick={() => setConfirming(true)}>
            {t('pods.delete')}
          </Button>
        </Group>
      </Group>

      {failure !== null && <ErrorState error={asApiError(failure)} />}

      <Card withBorder radius="md" padding="md">
        <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }} spacing="md">
          <Fact label={t('podDetail.price')}>{t('pods.perHour', { amount: formatMoney(pod.price_per_hour_micros, language) })}</Fact>
          <Fact label={t('pods.cost')}>{formatMoney(pod.cost_micros, language)}</Fact>
          <Fact label={t('podDetail.resources')}>
            {t('deploy.resources', { cpu: pod.resources.cpu, memory: pod.resources.memory })}
            {(pod.resources.gpus ?? 0) > 0 && ` · ${t('deploy.gpuCount', { count: pod.resources.gpus ?? 0 })}`}
          </Fact>
          <Fact label={t('podDetail.workspace')}>
            <Text span ff="monospace" size="sm">
              {pod.workspace_path}
            </Text>
          </Fact>
          <Fact label={t('podDetail.created')}>
            <time dateTime={pod.created_at}>{formatDateTime(pod.created_at, language)}</time>
          </Fact>
          <Fact label={t('podDetail.runningSince')}>
            {pod.running_since === null ? '—' : <time dateTime={pod.running_since}>{formatDateTime(pod.running_since, language)}</time>}
          </Fact>
        </SimpleGrid>
      </Card>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <LifecycleCard pod={pod} />
        <AccessCard pod={pod} />
      </SimpleGrid>
      <SharesCard pod={pod} />
      <LogsCard pod={pod} />

      <DeletePodModal
        pod={confirming ? pod : null}
        deleting={remove.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={(p) => {
          clear();
          remove.mutate(p.id, {
            onSuccess: () => void navigate('/client/pods'),
            onSettled: () => setConfirming(false),
          });
        }}
      />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2} role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} aria-hidden>
        {label}
      </Text>
      <Text size="sm" fw={500} component="div">
        {children}
      </Text>
    </Stack>
  );
}
