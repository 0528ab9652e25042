import { Card, Radio, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useId } from 'react';
import { asApiError } from '@/api/apiError';
import { setPodAccessMutation, type Pod, type PodAccess } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { useI18n } from '@/i18n/context';

const LEVELS: PodAccess[] = ['owner', 'users', 'public'];

function isAccess(value: string): value is PodAccess {
  return (LEVELS as string[]).includes(value);
}

/** Who may open the pod's URLs: only its owner, any signed-in user, or anyone with the link. */
export function AccessCard({ pod }: { pod: Pod }) {
  const { t } = useI18n();
  const titleId = useId();
  const labelId = useId();
  const access = useMutation(setPodAccessMutation());
  const value = access.isPending ? (access.variables?.access ?? pod.access) : pod.access;

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Title order={2} size="h4" id={titleId} mb="sm">
        {t('access.title')}
      </Title>
      <Stack gap="sm">
        <Radio.Group
          value={value}
          label={t('access.label')}
          role="group"
          aria-labelledby={labelId}
          labelProps={{ id: labelId }}
          onChange={(next) => {
            if (isAccess(next) && next !== pod.access) {
              access.mutate({ id: pod.id, access: next });
            }
          }}
        >
          <Stack gap="sm" mt="xs">
            {LEVELS.map((level) => (
              <Radio
                key={level}
                value={level}
                label={t(`access.${level}`)}
                description={t(`access.${level}.hint`)}
                disabled={access.isPending}
              />
            ))}
          </Stack>
        </Radio.Group>
        {pod.access === 'public' && (
          <Text size="xs" c="orange">
            {t('access.publicWarning')}
          </Text>
        )}
        {access.error !== null && <ErrorState error={asApiError(access.error)} />}
      </Stack>
    </Card>
  );
}
