import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { components } from '../../../src/api/schema.gen';

export type Schemas = components['schemas'];
export type SchemaName = keyof Schemas;

const OPENAPI_PATH = new URL('../../../../api/openapi.yaml', import.meta.url);
const DOCUMENT_ID = 'neuropod-openapi';
const LOCAL_REF = '#/components/schemas/';

/**
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, but their refs point into the OpenAPI document
 * (`#/components/schemas/X`). We register the schemas as one document whose `$defs` are the
 * components, rewrite each such ref to `#/$defs/X` (same document, so it resolves), and compile
 * `{ $ref: 'neuropod-openapi#/$defs/<Name>' }` on demand.
 */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(rewriteRefs);
  }
  if (typeof node !== 'object' || node === null) {
    return node;
  }
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (key === '$ref' && typeof value === 'string') {
        if (!value.startsWith(LOCAL_REF)) {
          throw new Error(`api/openapi.yaml: unsupported $ref ${value} (only ${LOCAL_REF}... is resolved)`);
        }
        return [key, `#/$defs/${value.slice(LOCAL_REF.length)}`];
      }
      return [key, rewriteRefs(value)];
    }),
  );
}

function loadSchemas(): Record<string, unknown> {
  const document = parse(readFileSync(OPENAPI_PATH, 'utf8')) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas;
  if (schemas === undefined) {
    throw new Error('api/openapi.yaml has no components.schemas');
  }
  return rewriteRefs(schemas) as Record<string, unknown>;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (validate === undefined) {
    if (ajv === undefined) {
      // strict: an unknown keyword in the contract is an error, except OpenAPI's own annotations.
      ajv = new Ajv2020({ allErrors: true, strict: true });
      ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
      addFormats(ajv);
      ajv.addSchema({ $id: DOCUMENT_ID, $defs: loadSchemas() });
    }
    if (ajv.getSchema(`${DOCUMENT_ID}#/$defs/${name}`) === undefined) {
      throw new Error(`api/openapi.yaml has no schema components.schemas.${name}`);
    }
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/$defs/${name}` });
    validators.set(name, validate);
  }
  return validate;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('\n');
}

/** The reasons `body` does not match components.schemas[name]; empty when it does. */
export function schemaErrors(name: SchemaName, body: unknown): string[] {
  const validate = validator(name);
  return validate(body) ? [] : describe(validate.errors).split('\n');
}

/**
 * Validates `body` against components.schemas[name] of api/openapi.yaml and returns it typed as the
 * generated type; throws with every mismatch listed (and the body) when it does not match.
 */
export function validateAgainst<N extends SchemaName>(name: N, body: unknown): Schemas[N] {
  const validate = validator(name);
  if (!validate(body)) {
    throw new Error(
      `Body does not match the ${name} schema of api/openapi.yaml:\n${describe(validate.errors)}\nBody: ${JSON.stringify(body)}`,
    );
  }
  return body as Schemas[N];
}
