import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { asApiError, type ApiError } from '@/api/apiError';
import { devLoginMutation } from '@/api/queries/auth';
import { ErrorState } from '@/components/ErrorState';
import { useI18n } from '@/i18n/context';
import type { MessageKey } from '@/i18n/messages';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The server's own message for one field of a validation_failed answer. */
function fieldError(error: ApiError | null, field: string): string | undefined {
  return error?.fieldErrors.find((f) => f.field === field)?.message;
}

/**
 * Sign-in by email with no password, for local development without Google. The server offers it only
 * when GET /api/auth/config says `dev_login: true` (never in production).
 */
export function DevSignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useI18n();
  const headingId = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [emailProblem, setEmailProblem] = useState<Extract<MessageKey, `login.dev.email${string}`> | null>(null);
  const devLogin = useMutation(devLoginMutation());
  const error = devLogin.error === null ? null : asApiError(devLogin.error);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const address = email.trim();
    const problem = address === '' ? 'login.dev.emailRequired' : EMAIL.test(address) ? null : 'login.dev.emailInvalid';
    setEmailProblem(problem);
    if (problem !== null) {
      return;
    }
    const displayName = name.trim();
    devLogin.mutate({ email: address, ...(displayName !== '' && { name: displayName }) }, { onSuccess: onSignedIn });
  };

  const emailError = emailProblem !== null ? t(emailProblem) : fieldError(error, 'email');
  const nameError = fieldError(error, 'name');
  const otherError = error !== null && emailError === undefined && nameError === undefined ? error : null;

  return (
    <form onSubmit={submit} noValidate aria-labelledby={headingId}>
      <Stack gap="sm">
        <Title order={2} size="h4" id={headingId}>
          {t('login.dev.title')}
        </Title>
        <Alert color="yellow" variant="light" role="note">
          {t('login.dev.warning')}
        </Alert>
        <TextInput
          label={t('login.dev.email')}
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={emailError}
        />
        <TextInput
          label={t('login.dev.name')}
          autoComplete="name"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={nameError}
        />
        {otherError !== null &&
          (otherError.code === 'account_blocked' ? (
            <Alert color="red" variant="light" title={t('login.error.title')}>
              {t('login.error.blocked')}
            </Alert>
          ) : (
            <ErrorState error={otherError} />
          ))}
        <Button type="submit" variant="default" loading={devLogin.isPending}>
          {t('login.dev.submit')}
        </Button>
      </Stack>
    </form>
  );
}
