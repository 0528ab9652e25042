import { ApiError } from '@/api/apiError';

/** The server's per-field messages by field path (`name`, `ports[0].port`, `tiers[1].price_per_hour_micros`). */
export type FieldErrorMap = Readonly<Record<string, string>>;

/** The field errors of a `validation_failed` ApiError (first message per field); empty for anything else. */
export function fieldErrorMap(error: unknown): FieldErrorMap {
  if (!(error instanceof ApiError)) {
    return {};
  }
  const map: Record<string, string> = {};
  for (const { field, message } of error.fieldErrors) {
    map[field] ??= message;
  }
  return map;
}

/** The errors of fields the form does not show (so that none is lost): `field: message`. */
export function unplacedErrors(errors: FieldErrorMap, shown: (field: string) => boolean): string[] {
  return Object.entries(errors)
    .filter(([field]) => !shown(field))
    .map(([field, message]) => `${field}: ${message}`);
}
