import { describe, expect, it } from 'vitest';
import { schemaErrors, validateAgainst, type SchemaName } from '../api/helpers/schema';

// The API tests rely on validateAgainst() to reject what the contract forbids; check that it does.
const status = {
  name: 'neuropod',
  version: '0.1.0',
  environment: 'test',
  uptime_seconds: 12.5,
  time: '2026-11-28T10:00:00Z',
  database: { status: 'ok', latency_ms: 1.2 },
  kubernetes: { status: 'not_configured' },
};

describe('validateAgainst (schemas of api/openapi.yaml)', () => {
  it('accepts a valid Status and returns it', () => {
    expect(validateAgainst('Status', status)).toBe(status);
  });

  it.each([
    ['a missing required field', { ...status, version: undefined }],
    ['an extra property', { ...status, extra: 1 }],
    ['a wrong name const', { ...status, name: 'other' }],
    ['a negative uptime', { ...status, uptime_seconds: -1 }],
    ['a time that is not date-time', { ...status, time: 'yesterday' }],
    ['an unknown dependency status (via $ref)', { ...status, database: { status: 'fine' } }],
    ['an extra property in a dependency (via $ref)', { ...status, kubernetes: { status: 'ok', foo: 1 } }],
  ])('rejects a Status with %s', (_name, body) => {
    expect(schemaErrors('Status', JSON.parse(JSON.stringify(body)))).not.toEqual([]);
    expect(() => validateAgainst('Status', JSON.parse(JSON.stringify(body)))).toThrow(/does not match the Status schema/);
  });

  it('checks ErrorResponse exactly', () => {
    expect(schemaErrors('ErrorResponse', { error: { code: 'not_found', message: 'x', request_id: 'r' } })).toEqual([]);
    expect(
      schemaErrors('ErrorResponse', {
        error: { code: 'validation_failed', message: 'x', details: { fields: [{ field: 'a', message: 'b' }] } },
      }),
    ).toEqual([]);
    expect(schemaErrors('ErrorResponse', { error: { code: 'teapot', message: 'x' } })).not.toEqual([]);
    expect(schemaErrors('ErrorResponse', { error: { code: 'internal' } })).not.toEqual([]);
    expect(schemaErrors('ErrorResponse', { error: { code: 'internal', message: 'x' }, status: 500 })).not.toEqual([]);
    expect(
      schemaErrors('ErrorResponse', { error: { code: 'validation_failed', message: 'x', details: { fields: [{ field: 'a' }] } } }),
    ).not.toEqual([]);
  });

  it('says so when the schema does not exist', () => {
    expect(() => validateAgainst('Nope' as SchemaName, {})).toThrow(/no schema components.schemas.Nope/);
  });
});
