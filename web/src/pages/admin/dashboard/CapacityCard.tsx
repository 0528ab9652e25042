import { Badge, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { capacityQuery, type NodeCapacity } from '@/api/queries/capacity';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatNumber } from '@/i18n/format';

const GIB = 1024 ** 3;

/** What is in use out of what the nodes offer (never below 0, even if free and total disagree). */
export interface Usage {
  used: number;
  total: number;
  /** 0 to 100, rounded. */
  percent: number;
}

export function usage(free: number, total: number): Usage {
  const used = Math.max(0, total - free);
  return { used, total, percent: total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0 };
}

/** Red from 90 %, orange from 70 %: when new pods are about to stop fitting. */
function usageColor(percent: number): string {
  return percent >= 90 ? 'red' : percent >= 70 ? 'orange' : 'teal';
}

/** CPU, memory and GPUs in use out of what the schedulable nodes offer, per node too, and how many pods of each tier still fit (GET /api/capacity). */
export function CapacityCard() {
  const { t, language } = useI18n();
  const capacity = useQuery(capacityQuery());
  const cores = (millis: number) => formatNumber(millis / 1000, language);
  const gib = (bytes: number) => formatNumber(bytes / GIB, language);
  return (
    <Card withBorder radius="md" component="section" aria-labelledby="dashboard-capacity" miw={0}>
      <Title order={2} size="h4" mb="sm" id="dashboard-capacity">
        {t('dashboard.capacity.title')}
      </Title>
      <QueryState query={capacity}>
        {(c) => {
          const cpu = usage(c.cpu_millis_free, c.cpu_millis_allocatable);
          const memory = usage(c.memory_bytes_free, c.memory_bytes_allocatable);
          const gpus = usage(c.gpus_free, c.gpus_allocatable);
          return (
            <Stack gap="md">
              <SimpleGrid cols={{ base: 1, xs: 3 }}>
                <Figure
                  label={t('dashboard.capacity.cpu')}
                  usage={cpu}
                  value={t('dashboard.capacity.cpuUsed', { used: cores(cpu.used), total: cores(cpu.total) })}
                  hint={t('dashboard.capacity.free', { amount: cores(c.cpu_millis_free) })}
                />
                <Figure
                  label={t('dashboard.capacity.memory')}
                  usage={memory}
                  value={t('dashboard.capacity.memoryUsed', { used: gib(memory.used), total: gib(memory.total) })}
                  hint={t('dashboard.capacity.free', { amount: `${gib(c.memory_bytes_free)} GiB` })}
                />
                <Figure
                  label={t('dashboard.capacity.gpus')}
                  usage={gpus}
                  value={t('dashboard.capacity.gpusUsed', { used: String(gpus.used), total: String(gpus.total) })}
                  hint={`${t('dashboard.capacity.free', { amount: String(c.gpus_free) })} · ${t('dashboard.capacity.gpusOneNode', {
                    count: c.max_gpus_free_on_one_node,
                  })}`}
                />
              </SimpleGrid>
              {c.nodes.length === 0 ? (
                <Text c="dimmed" size="sm">
                  {t('dashboard.capacity.noNodes')}
                </Text>
              ) : (
                <Table.ScrollContainer minWidth={460} type="native">
                  <Table verticalSpacing={4} fz="sm">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('dashboard.capacity.node')}</Table.Th>
                        <Table.Th>{t('dashboard.capacity.cpuColumn')}</Table.Th>
                        <Table.Th>{t('dashboard.capacity.memoryColumn')}</Table.Th>
                        <Table.Th>{t('dashboard.capacity.gpus')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {c.nodes.map((node) => (
                        <NodeRow key={node.name} node={node} />
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              {c.tiers.length > 0 && (
                <Group gap="xs" aria-label={t('dashboard.capacity.fits')} role="group">
                  <Text size="sm" c="dimmed">
                    {t('dashboard.capacity.fits')}:
                  </Text>
                  {c.tiers.map((tier) => (
                    <Badge key={tier.id} variant="light" color={tier.fits > 0 ? 'teal' : 'red'}>
                      {tier.name}: {tier.fits}
                    </Badge>
                  ))}
                </Group>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </Card>
  );
}

function NodeRow({ node }: { node: NodeCapacity }) {
  const { t, language } = useI18n();
  const cpu = usage(node.cpu_millis_free, node.cpu_millis_allocatable);
  const memory = usage(node.memory_bytes_free, node.memory_bytes_allocatable);
  const gpus = usage(node.gpus_free, node.gpus_allocatable);
  return (
    <Table.Tr>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <Text size="sm" ff="monospace">
            {node.name}
          </Text>
          {!node.schedulable && (
            <Badge size="xs" color="orange" variant="light" miw="max-content">
              {t('dashboard.capacity.cordoned')}
            </Badge>
          )}
        </Group>
      </Table.Td>
      <UsageCell
        usage={cpu}
        text={`${formatNumber(cpu.used / 1000, language)} / ${formatNumber(cpu.total / 1000, language)}`}
        label={t('dashboard.capacity.inUse', { resource: `${node.name} ${t('dashboard.capacity.cpu')}` })}
      />
      <UsageCell
        usage={memory}
        text={`${formatNumber(memory.used / GIB, language)} / ${formatNumber(memory.total / GIB, language)}`}
        label={t('dashboard.capacity.inUse', { resource: `${node.name} ${t('dashboard.capacity.memory')}` })}
      />
      <UsageCell
        usage={gpus}
        text={`${gpus.used} / ${gpus.total}`}
        label={t('dashboard.capacity.inUse', { resource: `${node.name} ${t('dashboard.capacity.gpus')}` })}
      />
    </Table.Tr>
  );
}

function UsageCell({ usage: u, text, label }: { usage: Usage; text: string; label: string }) {
  return (
    <Table.Td>
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {text}
      </Text>
      {u.total > 0 && <Progress value={u.percent} color={usageColor(u.percent)} size="xs" aria-label={label} maw={120} />}
    </Table.Td>
  );
}

function Figure({ label, value, hint, usage: u }: { label: string; value: string; hint: string; usage: Usage }) {
  const { t } = useI18n();
  return (
    <Stack gap={4} role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} aria-hidden>
        {label}
      </Text>
      <Text fw={700} fz="lg" lh={1.2}>
        {value}
      </Text>
      <Progress value={u.percent} color={usageColor(u.percent)} size="sm" aria-label={t('dashboard.capacity.inUse', { resource: label })} />
      <Text size="xs" c="dimmed">
        {hint}
      </Text>
    </Stack>
  );
}
