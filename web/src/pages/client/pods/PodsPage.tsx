import { Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { asApiError } from '@/api/apiError';
import { deletePodMutation, podsQuery, startPodMutation, stopPodMutation, type Pod } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { useRealtimeState } from '@/modules/realtime/context';
import { DeletePodModal } from '@/pages/client/pods/DeletePodModal';
import { PodsTable } from '@/pages/client/pods/PodsTable';

/** /client/pods (behind RequireAuth): the user's pods, kept current by the live updates. */
export function PodsPage() {
  const { t } = useI18n();
  const pods = useQuery(podsQuery());
  const live = useRealtimeState();
  const stop = useMutation(stopPodMutation());
  const start = useMutation(startPodMutation());
  const remove = useMutation(deletePodMutation());
  const [confirming, setConfirming] = useState<Pod | null>(null);
  const failure = stop.error ?? start.error ?? remove.error;

  /** One action at a time is reported: starting another clears the previous failure. */
  const clearFailures = () => {
    stop.reset();
    start.reset();
    remove.reset();
  };

  const pendingId = (mutation: { isPending: boolean; variables: string | undefined }) =>
    mutation.isPending ? mutation.variables : undefined;

  return (
    <Stack gap="lg" maw={1200} mx="auto" py="md">
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Title order={1}>{t('pods.title')}</Title>
          <Text c="dimmed">{t('pods.description')}</Text>
        </Stack>
        <Group gap="sm">
          {live === 'waiting' && (
            <Badge color="orange" variant="dot" role="status">
              {t('pods.live.waiting')}
            </Badge>
          )}
          <Button component={Link} to="/client/pods/deploy">
            {t('pods.deploy')}
          </Button>
        </Group>
      </Group>

      {failure !== null && <ErrorState error={asApiError(failure)} />}

      <QueryState
        query={pods}
        isEmpty={(items) => items.length === 0}
        empty={
          <Text c="dimmed" ta="center" py="xl">
            {t('pods.empty')}
          </Text>
        }
      >
        {(items) => (
          <PodsTable
            pods={items}
            busy={{ stop: pendingId(stop), start: pendingId(start), delete: pendingId(remove) }}
            onStop={(pod) => {
              clearFailures();
              stop.mutate(pod.id);
            }}
            onStart={(pod) => {
              clearFailures();
              start.mutate(pod.id);
            }}
            onDelete={(pod) => setConfirming(pod)}
          />
        )}
      </QueryState>

      <DeletePodModal
        pod={confirming}
        deleting={remove.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={(pod) => {
          clearFailures();
          remove.mutate(pod.id, { onSettled: () => setConfirming(null) });
        }}
      />
    </Stack>
  );
}
