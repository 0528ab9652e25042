import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import type { ApiError } from '@/api/apiError';
import { useI18n } from '@/i18n/context';
import type { Translate } from '@/i18n/messages';

const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Text for the user: the server's own message, or ours when the failure happened client-side. */
export function errorMessage(error: ApiError, t: Translate): string {
  switch (error.code) {
    case 'network_error':
      return t('error.network');
    case 'timeout':
      return t('error.timeout');
    case 'unexpected_response':
      // A gateway's own page (proxy, ingress) when the API behind it is down or restarting.
      return GATEWAY_STATUSES.has(error.status)
        ? t('error.unavailable', { status: error.status })
        : t('error.unexpectedResponse', { status: error.status });
    case 'unexpected':
      return t('error.unexpected', { message: error.message });
    default:
      return error.message;
  }
}

interface ErrorStateProps {
  error: ApiError;
  onRetry?: () => void;
  retrying?: boolean;
}

export function ErrorState({ error, onRetry, retrying = false }: ErrorStateProps) {
  const { t } = useI18n();
  return (
    <Alert color="red" variant="light" title={t('error.title')} role="alert">
      <Stack gap="xs">
        <Text size="sm">{errorMessage(error, t)}</Text>
        {error.requestId !== undefined && (
          <Text size="xs" c="dimmed" ff="monospace">
            {t('error.requestId', { id: error.requestId })}
          </Text>
        )}
        {onRetry !== undefined && (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry} loading={retrying}>
              {t('common.retry')}
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
