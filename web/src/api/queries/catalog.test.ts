import { describe, expect, it } from 'vitest';
import { customPricePerHour, type Pricing } from '@/api/queries/catalog';

const pricing: Pricing = {
  tiers: [{ id: 'small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 100_000 }],
  gpu_price_per_hour_micros: 1_000_000,
  min_runway_minutes: 30,
  max_running_pods_per_user: 3,
  idle_timeout_minutes: 60,
  base_domain: 'pods.example.com',
};

describe('customPricePerHour', () => {
  it("is the tier's price plus each GPU's, in micro-euros; unknown tiers have none", () => {
    expect(customPricePerHour(pricing, 'small', 0)).toBe(100_000);
    expect(customPricePerHour(pricing, 'small', 2)).toBe(2_100_000);
    expect(customPricePerHour(pricing, 'huge', 0)).toBeUndefined();
  });
});
