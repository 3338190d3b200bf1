import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';

/**
 * Checks requests (and the test server's own responses) against the operations of GitHub's
 * OpenAPI description that the action uses, extracted by scripts/extract-openapi.mjs.
 */
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; schema: Record<string, unknown> };
  responses: Record<string, { schema?: Record<string, unknown> }>;
}

export interface MatchedOperation {
  key: string;
  operationId: string;
  params: Record<string, string>;
}

const subset = JSON.parse(
  readFileSync(new URL('../../fixtures/github/openapi-subset.json', import.meta.url), 'utf8'),
) as { operations: Record<string, Operation> };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// GitHub's description is OpenAPI 3.0: `nullable`, `example` and `x-*` keywords are not JSON Schema.
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, coerceTypes: false }));
const compiled = new Map<Record<string, unknown>, ValidateFunction>();
function validator(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(toJsonSchema(schema) as Record<string, unknown>)));
  return v;
}

/**
 * OpenAPI 3.0's `nullable: true` is not JSON Schema, and Ajv's own reading of it needs a `type`
 * beside it (GitHub's description often has `oneOf` or an `enum` instead): rewrite it as
 * "this schema, or null".
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'nullable') continue;
    // Property names and examples are data, not schemas: copy them as they are.
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).map(([name, sub]) => [name, toJsonSchema(sub)]),
          )
        : k === 'example' || k === 'examples' || k === 'enum' || k === 'required'
          ? v
          : toJsonSchema(v);
  }
  return (node as { nullable?: unknown }).nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

const routes = Object.entries(subset.operations).map(([key, op]) => {
  const [method, template] = key.split(' ') as [string, string];
  const names: string[] = [];
  const pattern = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { key, method: method.toUpperCase(), regex: new RegExp(`^${pattern}$`), names, op };
});

export function matchOperation(method: string, pathname: string): MatchedOperation | undefined {
  for (const r of routes) {
    if (r.method !== method.toUpperCase()) continue;
    const m = r.regex.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { key: r.key, operationId: r.op.operationId, params };
  }
  return undefined;
}

/** Path and query values arrive as text: read them as the schema's type before validating. */
function typed(value: string, schema: Record<string, unknown>): unknown {
  if (schema.type === 'integer' || schema.type === 'number')
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function schemaErrors(schema: Record<string, unknown>, value: unknown, where: string): string[] {
  const v = validator(schema);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'}`);
}

/** Every way a request departs from GitHub's description; empty when it conforms. */
export function validateRequest(req: {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: unknown;
}): string[] {
  const match = matchOperation(req.method, req.pathname);
  if (!match) return [`${req.method} ${req.pathname} is not an operation the action is known to use`];
  const op = subset.operations[match.key]!;
  const errors: string[] = [];
  for (const p of op.parameters) {
    if (p.in === 'path') {
      errors.push(
        ...schemaErrors(p.schema, typed(match.params[p.name] ?? '', p.schema), `path parameter ${p.name}`),
      );
    } else if (p.in === 'query') {
      const raw = req.query.get(p.name);
      if (raw === null) {
        if (p.required) errors.push(`query parameter ${p.name} is required`);
        continue;
      }
      errors.push(...schemaErrors(p.schema, typed(raw, p.schema), `query parameter ${p.name}`));
    }
  }
  const known = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of req.query.keys())
    if (!known.has(name)) errors.push(`query parameter ${name} is not defined`);
  if (op.requestBody) {
    if (req.body === undefined) {
      if (op.requestBody.required) errors.push('request body is required');
    } else {
      errors.push(...schemaErrors(op.requestBody.schema, req.body, 'body'));
    }
  } else if (req.body !== undefined) {
    errors.push('the operation takes no request body');
  }
  return errors.map((e) => `${match.operationId}: ${e}`);
}

/** Checks a response the test server is about to send, where the description has its schema. */
export function validateResponse(method: string, pathname: string, status: number, body: unknown): string[] {
  const match = matchOperation(method, pathname);
  if (!match) return [];
  const response = subset.operations[match.key]!.responses[String(status)];
  if (!response) return [`${match.operationId}: status ${status} is not a documented response`];
  return response.schema ? schemaErrors(response.schema, body, `${match.operationId} response`) : [];
}
