/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate
 * requests (z.toJSONSchema, input side), so the reference page is the contract.
 */
import { z } from 'zod';
import type { StaffRole } from '../db/index.js';
import { errorSchema } from './schemas.js';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/** What the document needs to know about an operation (RouteSpec is one). */
export interface OperationDoc {
  method: string;
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles allowed; 'staff' = any signed-in staff member; 'public' = no session needed. */
  roles: readonly StaffRole[] | 'public' | 'staff';
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  status?: number;
  response?: ResponseSpec;
  errors?: Record<number, string>;
}

type Json = Record<string, unknown>;

const STANDARD_ERRORS: Record<number, string> = {
  400: 'invalid_request: which field and why (`details.issues`).',
  401: 'unauthenticated: no valid session.',
  403: 'forbidden: the role may not call this, or csrf_failed.',
  413: 'payload_too_large: body over 100 kB.',
  415: 'unsupported_media_type: send application/json.',
  429: 'rate_limited: retry after the Retry-After header.',
  500: 'internal: quote `errorId`.',
};

export function buildOpenApi(ops: readonly OperationDoc[], info: { title: string; version: string; description?: string }): Json {
  const components: Record<string, unknown> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    delete json.$schema;
    const defs = json.$defs as Record<string, Json> | undefined;
    delete json.$defs;
    if (defs) for (const [k, v] of Object.entries(defs)) components[k] = rewriteRefs(v);
    return rewriteRefs(json);
  };
  const errorRef = { $ref: '#/components/schemas/Error' };
  components.Error = (() => {
    const j = convert(errorSchema, 'output');
    return j.$ref ? components.Error : j;
  })();

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const oasPath = op.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters: Json[] = [];
    for (const [where, schema] of [['path', op.params], ['query', op.query]] as const) {
      if (!schema) continue;
      const js = convert(schema, 'input');
      const props = (js.properties ?? {}) as Record<string, Json>;
      const required = new Set((js.required as string[] | undefined) ?? []);
      for (const [name, s] of Object.entries(props)) {
        const { description, ...rest } = s;
        parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) });
      }
    }
    const status = op.status ?? 200;
    const responses: Json = {
      [status]: op.response?.schema
        ? { description: op.response.description, content: { 'application/json': { schema: convert(op.response.schema, 'output') } } }
        : { description: op.response?.description ?? (status === 204 ? 'Done; no body.' : 'OK') },
    };
    const errs: Record<number, string> = { ...STANDARD_ERRORS, ...(op.errors ?? {}) };
    if (op.roles === 'public') delete errs[401];
    if (!op.body) {
      delete errs[413];
      delete errs[415];
    }
    for (const [code, description] of Object.entries(errs)) {
      responses[code] = { description, content: { 'application/json': { schema: errorRef } } };
    }
    const who = op.roles === 'public' ? 'Anyone.' : op.roles === 'staff' ? 'Any signed-in staff member.' : `Roles: ${op.roles.join(', ')}.`;
    paths[oasPath] ??= {};
    paths[oasPath][op.method] = {
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, who].filter(Boolean).join('\n\n'),
      operationId: `${op.method}${oasPath.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(op.roles === 'public' ? { security: [] } : { 'x-roles': op.roles }),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: convert(op.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ sessionCookie: [] }],
    paths,
    components: {
      securitySchemes: { sessionCookie: { type: 'apiKey', in: 'cookie', name: 'clinicpulse.sid', description: 'Set by POST /api/login.' } },
      schemas: components,
    },
  };
}

function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewriteRefs(v);
    }
    return out as T;
  }
  return value;
}
