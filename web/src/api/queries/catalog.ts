import { queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type Template = Schemas['Template'];
export type TemplateList = Schemas['TemplateList'];
export type Pricing = Schemas['Pricing'];
export type Tier = Schemas['Tier'];
export type Port = Schemas['Port'];
export type EnvVar = Schemas['EnvVar'];

export const catalogKeys = {
  all: ['catalog'] as const,
  templates: ['catalog', 'templates'] as const,
  pricing: ['catalog', 'pricing'] as const,
};

export async function fetchTemplates(signal?: AbortSignal): Promise<Template[]> {
  const response = await apiClient.get<TemplateList>('/api/templates', { signal });
  return response.data.items;
}

export async function fetchPricing(signal?: AbortSignal): Promise<Pricing> {
  const response = await apiClient.get<Pricing>('/api/pricing', { signal });
  return response.data;
}

/** GET /api/templates: the enabled templates, sorted by name, for the deploy page. */
export const templatesQuery = () =>
  queryOptions({
    queryKey: catalogKeys.templates,
    queryFn: ({ signal }) => fetchTemplates(signal),
    staleTime: 60_000,
  });

/** GET /api/pricing: resource tiers and their prices for custom images, the GPU price, deploy limits. */
export const pricingQuery = () =>
  queryOptions({
    queryKey: catalogKeys.pricing,
    queryFn: ({ signal }) => fetchPricing(signal),
    staleTime: 60_000,
  });

/** What a custom image costs per hour: its tier's price plus the GPUs' (micro-euros). */
export function customPricePerHour(pricing: Pricing, tierId: string, gpus: number): number | undefined {
  const tier = pricing.tiers.find((t) => t.id === tierId);
  if (tier === undefined) {
    return undefined;
  }
  return tier.price_per_hour_micros + Math.max(0, gpus) * pricing.gpu_price_per_hour_micros;
}
