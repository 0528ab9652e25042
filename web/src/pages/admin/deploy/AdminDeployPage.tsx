import { Alert, Anchor, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useI18n } from '@/i18n/context';
import { DeployForm } from '@/modules/pods/DeployForm';

/** /admin/pods/deploy: the deploy form, as an admin (never limited by balance); then every pod. */
export function AdminDeployPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Stack gap="lg" maw={1200} mx="auto" py="md">
      <Anchor component={Link} to="/admin/pods" size="sm">
        {t('adminDeploy.back')}
      </Anchor>
      <Stack gap={4}>
        <Title order={1}>{t('adminDeploy.title')}</Title>
        <Text c="dimmed">{t('adminDeploy.description')}</Text>
      </Stack>
      <Alert variant="light" color="grape">
        {t('adminDeploy.unlimited')}
      </Alert>
      <DeployForm onDeployed={() => void navigate('/admin/pods')} />
    </Stack>
  );
}
