import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useI18n } from '@/i18n/context';
import { DeployForm } from '@/modules/pods/DeployForm';

/** /client/pods/deploy: a template or any Docker image; once deployed, the pods list. */
export function DeployPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Stack gap="lg" maw={1200} mx="auto" py="md">
      <Anchor component={Link} to="/client/pods" size="sm">
        {t('podDetail.back')}
      </Anchor>
      <Stack gap={4}>
        <Title order={1}>{t('deploy.title')}</Title>
        <Text c="dimmed">{t('deploy.description')}</Text>
      </Stack>
      <DeployForm onDeployed={() => void navigate('/client/pods')} />
    </Stack>
  );
}
