import { Accordion, Anchor, Card, List, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId, type ReactNode } from 'react';
import { Link } from 'react-router';
import { pricingQuery, type Pricing } from '@/api/queries/catalog';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import type { MessageKey } from '@/i18n/messages';
import { formatMoney } from '@/i18n/format';

const FAQ = [
  ['help.faq.stopped.q', 'help.faq.stopped.a'],
  ['help.faq.lost.q', 'help.faq.lost.a'],
  ['help.faq.credit.q', 'help.faq.credit.a'],
  ['help.faq.failed.q', 'help.faq.failed.a'],
  ['help.faq.share.q', 'help.faq.share.a'],
  ['help.faq.image.q', 'help.faq.image.a'],
] as const satisfies readonly (readonly [MessageKey, MessageKey])[];

function Section({ title, children }: { title: string; children: ReactNode }) {
  const titleId = useId();
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="xs">
        <Title order={2} size="h4" id={titleId}>
          {title}
        </Title>
        {children}
      </Stack>
    </Card>
  );
}

/** /client/help: how Neuropod works, what is kept in /workspace, what it costs, and answers to common questions. */
export function HelpPage() {
  const { t } = useI18n();
  const pricing = useQuery(pricingQuery());
  return (
    <Stack gap="lg" maw={960} mx="auto" py="md">
      <Stack gap={4}>
        <Title order={1}>{t('help.title')}</Title>
        <Text c="dimmed">{t('help.intro')}</Text>
      </Stack>

      <Section title={t('help.start.title')}>
        <List type="ordered" spacing="xs" size="sm">
          <List.Item>
            {t('help.start.1')}{' '}
            <Anchor component={Link} to="/client/pods/deploy">
              {t('nav.deploy')}
            </Anchor>
          </List.Item>
          <List.Item>{t('help.start.2')}</List.Item>
          <List.Item>{t('help.start.3')}</List.Item>
          <List.Item>{t('help.start.4')}</List.Item>
        </List>
      </Section>

      <Section title={t('help.workspace.title')}>
        <Text size="sm">{t('help.workspace.1')}</Text>
        <Text size="sm">{t('help.workspace.2')}</Text>
        <Text size="sm" fw={600}>
          {t('help.workspace.3')}
        </Text>
      </Section>

      <Section title={t('help.pricing.title')}>
        <Text size="sm">{t('help.pricing.1')}</Text>
        <Text size="sm">{t('help.pricing.2')}</Text>
        <QueryState query={pricing}>{(data) => <PriceTable pricing={data} />}</QueryState>
      </Section>

      <Section title={t('help.idle.title')}>
        <Text size="sm">{t('help.idle.1')}</Text>
        <Text size="sm">{t('help.idle.2')}</Text>
      </Section>

      <Section title={t('help.access.title')}>
        <Text size="sm">{t('help.access.1')}</Text>
        <Text size="sm">{t('help.access.2')}</Text>
      </Section>

      <Section title={t('help.faq.title')}>
        <Accordion variant="separated" multiple>
          {FAQ.map(([question, answer]) => (
            <Accordion.Item key={question} value={question}>
              <Accordion.Control>{t(question)}</Accordion.Control>
              <Accordion.Panel>
                <Text size="sm">{t(answer)}</Text>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      </Section>
    </Stack>
  );
}

function PriceTable({ pricing }: { pricing: Pricing }) {
  const { t, language } = useI18n();
  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={420} type="native">
        <Table verticalSpacing="xs" aria-label={t('help.pricing.table')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('deploy.tier')}</Table.Th>
              <Table.Th>{t('podDetail.resources')}</Table.Th>
              <Table.Th ta="right">{t('podDetail.price')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pricing.tiers.map((tier) => (
              <Table.Tr key={tier.id}>
                <Table.Td>{tier.name}</Table.Td>
                <Table.Td>{t('deploy.resources', { cpu: tier.cpu, memory: tier.memory })}</Table.Td>
                <Table.Td ta="right">{t('pods.perHour', { amount: formatMoney(tier.price_per_hour_micros, language) })}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <List size="sm" spacing={4}>
        <List.Item>{t('help.pricing.gpu', { price: formatMoney(pricing.gpu_price_per_hour_micros, language) })}</List.Item>
        <List.Item>{t('help.pricing.runway', { minutes: pricing.min_runway_minutes })}</List.Item>
        <List.Item>{t('help.pricing.limit', { count: pricing.max_running_pods_per_user })}</List.Item>
        <List.Item>
          {pricing.idle_timeout_minutes === 0 ? t('help.pricing.idleOff') : t('help.pricing.idle', { minutes: pricing.idle_timeout_minutes })}
        </List.Item>
      </List>
    </Stack>
  );
}
