// Checks records against the versioned JSON Schema of their format (ajv), in words a curator can act on.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Issue } from './mapping.ts';

export type SchemaCheck = (record: Record<string, unknown>, fromTable: boolean) => Issue[];

/** Compiles a schema file once; table rows get their text cells coerced to the schema's types. */
export function loadSchema(file: string): SchemaCheck {
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  const strict = new Ajv2020({ allErrors: true, strict: false });
  const coercing = new Ajv2020({ allErrors: true, strict: false, coerceTypes: true });
  const check: ValidateFunction = strict.compile(schema);
  const checkTable: ValidateFunction = coercing.compile(schema);
  return (record, fromTable) => {
    const fn = fromTable ? checkTable : check;
    if (fn(record)) return [];
    return explain(fn.errors ?? [], record);
  };
}

function explain(errors: ErrorObject[], record: Record<string, unknown>): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const e of errors) {
    // `if/then` and `oneOf` wrappers repeat what their branches already said.
    // A quantity's anyOf reports each branch; one sentence for the whole says it better.
    if (e.keyword === 'if') continue;
    if (errors.some((x) => x.keyword === 'anyOf' && x !== e && e.schemaPath.startsWith(x.schemaPath.replace(/\/anyOf$/, '/anyOf/')))) continue;
    const field = toFieldPath(e.instancePath, e.keyword === 'required' ? String(e.params.missingProperty) : undefined);
    const message = describe(e, valueAt(record, e.instancePath));
    const key = `${field} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ severity: 'error', field: field || '(record)', message });
  }
  return out;
}

function toFieldPath(pointer: string, child?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child) parts.push(child);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function valueAt(record: unknown, pointer: string): unknown {
  let v: unknown = record;
  for (const p of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

function describe(e: ErrorObject, value: unknown): string {
  const found = value === undefined ? '' : ` (found ${JSON.stringify(value)?.slice(0, 60)})`;
  switch (e.keyword) {
    case 'required':
      return `is required but missing`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${found}`;
    case 'const':
      return `must be ${JSON.stringify(e.params.allowedValue)}${found}`;
    case 'pattern':
      return `has the wrong form${found}: expected to match ${e.params.pattern}`;
    case 'type':
      return `must be ${e.params.type}${found}`;
    case 'anyOf':
      return `must be a number, a string with a unit like '920 nm', or {value, unit}${found}`;
    default:
      return `${e.message ?? 'is not valid'}${found}`;
  }
}
