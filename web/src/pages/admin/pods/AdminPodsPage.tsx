import { Badge, Button, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { asApiError } from '@/api/apiError';
import { adminPodsQuery, adminStopPodMutation, livePodQuery } from '@/api/queries/adminPods';
import type { Pod, PodStatus } from '@/api/queries/pods';
import { ConfirmDialog } from '@/components/admin/ConfirmDialog';
import { UserSelect } from '@/components/admin/UserSelect';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { useLiveAdminPods } from '@/modules/pods/useLiveAdminPods';
import { useRealtimeState } from '@/modules/realtime/context';
import { AdminPodsTable } from '@/pages/admin/pods/AdminPodsTable';

const STATUSES: PodStatus[] = ['pending', 'creating', 'running', 'stopping', 'stopped', 'failed'];

/** The pods whose name, owner, template or image contain `text` (case-insensitive). */
export function matchesText(pod: Pod, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') {
    return true;
  }
  return [pod.name, pod.user_email, pod.template_name, pod.template_slug, pod.image].some((v) =>
    v.toLowerCase().includes(needle),
  );
}

/** /admin/pods: every user's pods, filtered by status, user and text; live statuses; stop any of them. */
export function AdminPodsPage() {
  const { t } = useI18n();
  const live = useRealtimeState();
  const [status, setStatus] = useState<PodStatus | 'all'>('all');
  const [userId, setUserId] = useState<string | null>(null);
  const [text, setText] = useState('');
  const pods = useQuery(
    adminPodsQuery({ ...(status !== 'all' && { status }), ...(userId !== null && { userId }) }),
  );
  // Each row reads its pod's live record (see livePodQuery); the list follows the events.
  const rows = useQueries({
    queries: (pods.data ?? []).map((pod) => livePodQuery(pod)),
    combine: (results) => results.map((r) => r.data).filter((p): p is Pod => p !== undefined),
  });
  useLiveAdminPods();

  const stop = useMutation(adminStopPodMutation());
  const [confirming, setConfirming] = useState<Pod | null>(null);
  const shown = rows.filter((pod) => matchesText(pod, text));

  return (
    <Stack gap="lg" maw={1300} mx="auto" py="xl">
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Title order={1}>{t('adminPods.title')}</Title>
          <Text c="dimmed">{t('adminPods.description')}</Text>
        </Stack>
        <Group gap="sm">
          {live === 'waiting' && (
            <Badge color="orange" variant="dot" role="status">
              {t('admin.liveWaiting')}
            </Badge>
          )}
          <Button component={Link} to="/admin/pods/deploy">
            {t('adminPods.deploy')}
          </Button>
        </Group>
      </Group>

      <SimpleGrid cols={{ base: 1, sm: 3 }} role="search" aria-label={t('adminPods.filters')}>
        <TextInput
          type="search"
          label={t('adminPods.search')}
          placeholder={t('adminPods.searchPlaceholder')}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <NativeSelect
          label={t('adminPods.statusFilter')}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as PodStatus | 'all')}
          data={[
            { value: 'all', label: t('adminPods.allStatuses') },
            ...STATUSES.map((s) => ({ value: s, label: t(`podStatus.${s}`) })),
          ]}
        />
        <UserSelect
          label={t('adminPods.userFilter')}
          placeholder={t('adminPods.allUsers')}
          value={userId}
          onChange={setUserId}
          unavailableText={t('admin.usersUnavailable')}
        />
      </SimpleGrid>

      {stop.error !== null && confirming === null && <ErrorState error={asApiError(stop.error)} />}

      <QueryState
        query={pods}
        isEmpty={() => shown.length === 0}
        empty={
          <Text c="dimmed" ta="center" py="xl">
            {(pods.data ?? []).length === 0 && status === 'all' && userId === null
              ? t('adminPods.empty')
              : t('adminPods.noMatch')}
          </Text>
        }
      >
        {() => (
          <AdminPodsTable
            pods={shown}
            stoppingId={stop.isPending ? stop.variables : undefined}
            onStop={(pod) => {
              stop.reset();
              setConfirming(pod);
            }}
          />
        )}
      </QueryState>

      <ConfirmDialog
        opened={confirming !== null}
        title={confirming === null ? '' : t('adminPods.stop.title', { name: confirming.name, email: confirming.user_email })}
        body={t('adminPods.stop.body')}
        confirmLabel={t('adminPods.stop.confirm')}
        cancelLabel={t('admin.cancel')}
        busy={stop.isPending}
        error={stop.error === null ? null : asApiError(stop.error)}
        onCancel={() => {
          setConfirming(null);
          stop.reset();
        }}
        onConfirm={() => confirming !== null && stop.mutate(confirming.id, { onSuccess: () => setConfirming(null) })}
      />
    </Stack>
  );
}
