import { Button, Card, Code, Group, Stack, Switch, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { asApiError, type ApiError } from '@/api/apiError';
import { followPodLogs, podLogsQuery, type Pod } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';

const TAIL = 500;

/** Logs exist while Kubernetes has a container: not for a pod that is stopped or not scheduled yet. */
function hasLogs(pod: Pod): boolean {
  return pod.status === 'running' || pod.status === 'creating' || pod.status === 'failed' || pod.status === 'stopping';
}

interface Followed {
  text: string;
  ended: boolean;
  error: ApiError | null;
}

const START: Followed = { text: '', ended: false, error: null };

/** GET /api/pods/{id}/logs?follow=true while `enabled`: the text so far, and whether the stream ended. */
function useFollowedLogs(id: string, enabled: boolean, round: number): Followed {
  const [state, setState] = useState<Followed>(START);
  useEffect(() => {
    if (!enabled) {
      return;
    }
    const controller = new AbortController();
    followPodLogs(id, {
      tail: TAIL,
      signal: controller.signal,
      onText: (text) => {
        if (!controller.signal.aborted) {
          setState({ text, ended: false, error: null });
        }
      },
    }).then(
      (text) => !controller.signal.aborted && setState({ text, ended: true, error: null }),
      (error: unknown) => !controller.signal.aborted && setState((s) => ({ ...s, ended: true, error: asApiError(error) })),
    );
    return () => controller.abort();
  }, [id, enabled, round]);
  return state;
}

/** The pod's output: followed as it is written, or the last lines once with a Refresh button. */
export function LogsCard({ pod }: { pod: Pod }) {
  const { t } = useI18n();
  const titleId = useId();
  const available = hasLogs(pod);
  const [follow, setFollow] = useState(true);
  // Each time following is turned on again, a new stream (the previous state is dropped).
  const [round, setRound] = useState(0);
  const followed = useFollowedLogs(pod.id, available && follow, round);
  const snapshot = useQuery({ ...podLogsQuery(pod.id, TAIL), enabled: available && !follow });

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id={titleId}>
            {t('logs.title')}
          </Title>
          {available && (
            <Group gap="sm">
              <Switch
                checked={follow}
                label={t('logs.follow')}
                onChange={(event) => {
                  const on = event.currentTarget.checked;
                  setFollow(on);
                  if (on) {
                    setRound((r) => r + 1);
                  }
                }}
              />
              {!follow && (
                <Button size="xs" variant="light" loading={snapshot.isFetching} onClick={() => void snapshot.refetch()}>
                  {t('logs.refresh')}
                </Button>
              )}
            </Group>
          )}
        </Group>
        {!available ? (
          <Text size="sm" c="dimmed">
            {t('logs.unavailable')}
          </Text>
        ) : follow ? (
          <>
            {followed.error !== null && <ErrorState error={followed.error} />}
            <LogText text={followed.text} label={t('logs.label', { name: pod.name })} stickToBottom />
            <Text size="xs" c="dimmed" role="status">
              {followed.ended ? t('logs.ended') : t('logs.following')}
            </Text>
          </>
        ) : (
          <QueryState query={snapshot}>{(text) => <LogText text={text} label={t('logs.label', { name: pod.name })} />}</QueryState>
        )}
      </Stack>
    </Card>
  );
}

function LogText({ text, label, stickToBottom = false }: { text: string; label: string; stickToBottom?: boolean }) {
  const { t } = useI18n();
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (stickToBottom && element !== null) {
      element.scrollTop = element.scrollHeight;
    }
  }, [text, stickToBottom]);
  return (
    <Code
      block
      ref={ref}
      role="log"
      aria-label={label}
      aria-live="off"
      tabIndex={0}
      style={{ maxHeight: 420, overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
    >
      {text === '' ? t('logs.empty') : text}
    </Code>
  );
}
