// Loads a declarative mapping file (mappings/*.yaml) and turns records into RDF/JS quads, one named graph each.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BlankNode, Quad, Quad_Object, NamedNode } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { prefixes as knownPrefixes } from '../namespaces.ts';
import { toCanonical, canonicalUnits } from './units.ts';

const { namedNode, literal, blankNode, quad } = DataFactory;
const RDF_TYPE = namedNode(`${knownPrefixes.rdf}type`);
const RDF_VALUE = namedNode(`${knownPrefixes.rdf}value`);
const XSD = knownPrefixes.xsd;

/** What the mapper needs from the ontology term index (src/terms). */
export type Resolution =
  | { status: 'resolved'; iri: string; label: string; match: string; warning?: string }
  | { status: 'unresolved'; value: string; warning: string };
export interface TermResolver {
  resolve(value: string, branch: string): Resolution;
}

type Rule = {
  field: string;
  predicate: NamedNode;
  kind: 'literal' | 'datatype' | 'quantity' | 'resolve' | 'values' | 'license' | 'iri' | 'node';
  datatype?: string;
  unit?: string;
  branch?: string;
  values?: Map<string, string>;
  template?: string | true;
  node?: string;
};

type NodeSpec = { name: string; classes: NamedNode[]; rules: Map<string, Rule> };

/** A compiled mapping: readable YAML in, closures over plain Maps out. */
export type Mapping = {
  name: string;
  version: string;
  file: string;
  schemaFile: string;
  records: Map<string, { node: string; id: string }>;
  nodes: Map<string, NodeSpec>;
  reserved: Set<string>;
  /** The field name a predicate stands for on a node kind — to name fields in validation messages. */
  fieldOf(nodeKind: string, predicate: string): string | undefined;
};

export class MappingError extends Error {
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'MappingError';
  }
}

const RULE_KEYS = new Set(['predicate', 'datatype', 'quantity', 'resolve', 'values', 'license', 'iri', 'node']);
const DATATYPES = new Set(['date', 'dateTime', 'integer', 'decimal', 'boolean', 'anyURI', 'string']);

/** Reads and checks a mapping file; every mistake is reported with the file and line. */
export function loadMapping(file: string): Mapping {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new MappingError(file, lineCounter.linePos(e.pos[0]).line, `malformed YAML: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as YamlNode | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  const fail = (path: (string | number)[], message: string): never => {
    throw new MappingError(file, lineOf(path), message);
  };
  const raw = doc.toJS() as Record<string, unknown>;
  for (const key of ['name', 'version', 'schema', 'prefixes', 'records', 'nodes']) {
    if (raw[key] === undefined) fail([], `missing top-level key '${key}'`);
  }
  const prefixes = raw.prefixes as Record<string, string>;
  const expand = (curie: unknown, path: (string | number)[]): string => {
    if (typeof curie !== 'string') return fail(path, `expected a CURIE or IRI, found ${JSON.stringify(curie)}`);
    if (/^https?:\/\//.test(curie)) return curie;
    const i = curie.indexOf(':');
    const base = i > 0 ? prefixes[curie.slice(0, i)] : undefined;
    if (base === undefined) return fail(path, `unknown prefix in '${curie}' (declared: ${Object.keys(prefixes).join(', ')})`);
    return base + curie.slice(i + 1);
  };
  const valueLists = new Map<string, Map<string, string>>();
  for (const [name, list] of Object.entries((raw.valueLists ?? {}) as Record<string, Record<string, string>>)) {
    valueLists.set(
      name,
      new Map(Object.entries(list).map(([k, v]) => [normalizeKey(k), expand(v, ['valueLists', name, k])])),
    );
  }
  const nodes = new Map<string, NodeSpec>();
  const rawNodes = raw.nodes as Record<string, { classes?: string[]; fields?: Record<string, Record<string, unknown>> }>;
  for (const [name, spec] of Object.entries(rawNodes)) {
    const classes = (spec.classes ?? []).map((c, i) => namedNode(expand(c, ['nodes', name, 'classes', i])));
    const rules = new Map<string, Rule>();
    for (const [field, r] of Object.entries(spec.fields ?? {})) {
      const at = ['nodes', name, 'fields', field];
      if (typeof r !== 'object' || r === null) fail(at, `rule for field '${field}' must be a mapping`);
      for (const key of Object.keys(r)) {
        if (!RULE_KEYS.has(key)) fail([...at, key], `unknown rule key '${key}' (expected one of ${[...RULE_KEYS].join(', ')})`);
      }
      const rule: Rule = { field, predicate: namedNode(expand(r.predicate, [...at, 'predicate'])), kind: 'literal' };
      if (r.datatype !== undefined) {
        const dt = String(r.datatype).replace(/^xsd:/, '');
        if (!DATATYPES.has(dt)) fail([...at, 'datatype'], `unsupported datatype '${r.datatype}' (use xsd:${[...DATATYPES].join(', xsd:')})`);
        Object.assign(rule, { kind: 'datatype', datatype: dt });
      } else if (r.quantity !== undefined) {
        if (!canonicalUnits.includes(String(r.quantity))) fail([...at, 'quantity'], `unknown unit '${r.quantity}' (known: ${canonicalUnits.join(', ')})`);
        Object.assign(rule, { kind: 'quantity', unit: String(r.quantity) });
      } else if (r.resolve !== undefined) {
        Object.assign(rule, { kind: 'resolve', branch: String(r.resolve) });
      } else if (r.values !== undefined) {
        const values =
          typeof r.values === 'string'
            ? valueLists.get(r.values)
            : new Map(Object.entries(r.values as Record<string, string>).map(([k, v]) => [normalizeKey(k), expand(v, [...at, 'values', k])]));
        if (!values) fail([...at, 'values'], `unknown value list '${r.values}'`);
        Object.assign(rule, { kind: 'values', values });
      } else if (r.license === true) {
        rule.kind = 'license';
      } else if (r.iri !== undefined) {
        Object.assign(rule, { kind: 'iri', template: r.iri === true ? true : String(r.iri) });
      } else if (r.node !== undefined) {
        Object.assign(rule, { kind: 'node', node: String(r.node) });
      }
      rules.set(field, rule);
    }
    nodes.set(name, { name, classes, rules });
  }
  for (const [name, spec] of nodes) {
    for (const rule of spec.rules.values()) {
      if (rule.kind === 'node' && !nodes.has(rule.node!)) fail(['nodes', name, 'fields', rule.field, 'node'], `unknown node kind '${rule.node}'`);
    }
  }
  const records = new Map<string, { node: string; id: string }>();
  for (const [kind, r] of Object.entries(raw.records as Record<string, { node: string; id: string }>)) {
    if (!nodes.has(r.node)) fail(['records', kind, 'node'], `unknown node kind '${r.node}'`);
    records.set(kind, r);
  }
  const fieldIndex = new Map<string, string>();
  for (const [name, spec] of nodes) for (const rule of spec.rules.values()) fieldIndex.set(`${name} ${rule.predicate.value}`, rule.field);
  return {
    name: String(raw.name),
    version: String(raw.version),
    file,
    schemaFile: join(dirname(file), String(raw.schema)),
    records,
    nodes,
    reserved: new Set((raw.reserved as string[] | undefined) ?? ['kind', 'id']),
    fieldOf: (nodeKind, predicate) => fieldIndex.get(`${nodeKind} ${predicate}`),
  };
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[\s_]+/g, '-');
}

/** Things a record's mapping noticed: a person should read each. */
export type Issue = {
  severity: 'error' | 'warning' | 'info';
  /** Field path as the lab wrote it: `settings.pixelSize`, `files[1].format`. */
  field: string;
  message: string;
};

export type MappedRecord = {
  /** `kind/id`, unique within an archive. */
  recordId: string;
  graph: string;
  quads: Quad[];
  issues: Issue[];
  /** Every node the record produced: its IRI -> node kind and field path (for messages). */
  nodes: Map<string, { kind: string; path: string }>;
};

export type MapContext = {
  base: string;
  archive: string;
  terms: TermResolver;
  licenses: LicenseTable;
};

export type LicenseTable = { resolve(value: string): string | undefined };

/** Loads mappings/licenses.yaml (or another table in that form). */
export function loadLicenses(file: string): LicenseTable & { commercialUse: Set<string> } {
  const raw = parseDocument(readFileSync(file, 'utf8')).toJS() as {
    spdx: Record<string, string>;
    urls: Record<string, string>;
    commercialUse: string[];
  };
  const ids = new Map(Object.entries(raw.spdx).map(([k, v]) => [k.toLowerCase(), v]));
  const urls = Object.entries(raw.urls);
  return {
    commercialUse: new Set(raw.commercialUse),
    resolve(value) {
      const v = value.trim();
      const byId = ids.get(v.toLowerCase());
      if (byId) return byId;
      const bare = v.replace(/^https?:\/\//, '').replace(/\/(legalcode|deed\.\w+)?$/, '').replace(/\/$/, '');
      return urls.find(([u]) => bare.toLowerCase() === u.toLowerCase())?.[1];
    },
  };
}

/** Maps one record (already checked against the JSON Schema) to the quads of its named graph. */
export function mapRecord(mapping: Mapping, record: Record<string, unknown>, ctx: MapContext): MappedRecord {
  const kind = String(record.kind);
  const spec = mapping.records.get(kind);
  if (!spec) throw new Error(`no mapping for record kind '${kind}'`);
  const id = String(record.id);
  const vars: Record<string, unknown> = { ...record, base: ctx.base, archive: ctx.archive };
  const subject = namedNode(fillTemplate(spec.id, { ...vars, value: id }));
  const graph = subject;
  const out: Quad[] = [];
  const issues: Issue[] = [];
  const nodes = new Map<string, { kind: string; path: string }>();

  const emit = (s: NamedNode | BlankNode, p: NamedNode, o: Quad_Object) => out.push(quad(s, p, o, graph));

  const mapNode = (node: NamedNode, nodeKind: string, data: Record<string, unknown>, path: string, skip: Set<string>) => {
    const nodeSpec = mapping.nodes.get(nodeKind)!;
    nodes.set(node.value, { kind: nodeKind, path });
    for (const c of nodeSpec.classes) emit(node, RDF_TYPE, c);
    for (const [field, value] of Object.entries(data)) {
      if (value === null || value === undefined || (skip.has(field) && !nodeSpec.rules.has(field))) continue;
      const fieldPath = path ? `${path}.${field}` : field;
      const rule = nodeSpec.rules.get(field);
      if (!rule) {
        issues.push({ severity: 'warning', field: fieldPath, message: `unknown field '${field}' is kept as text but not mapped` });
        const b = blankNode();
        emit(node, namedNode(`${knownPrefixes.bg}unmappedField`), b);
        emit(b, namedNode(`${knownPrefixes.bg}fieldName`), literal(fieldPath));
        emit(b, RDF_VALUE, literal(JSON.stringify(value)));
        continue;
      }
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, i) => {
        const itemPath = Array.isArray(value) ? `${fieldPath}[${i}]` : fieldPath;
        if (rule.kind === 'node') {
          if (typeof item !== 'object' || item === null || Array.isArray(item)) {
            issues.push({ severity: 'error', field: itemPath, message: `expected an object, found ${JSON.stringify(item)}` });
            return;
          }
          const itemId = (item as Record<string, unknown>).id;
          const suffix = Array.isArray(value) ? `${field}-${itemId ?? i}` : field;
          const child = namedNode(`${node.value.split('#')[0]}#${path ? `${fragmentOf(node)}-` : ''}${encodeFragment(suffix)}`);
          emit(node, rule.predicate, child);
          mapNode(child, rule.node!, item as Record<string, unknown>, itemPath, new Set());
          return;
        }
        const term = objectFor(rule, item, itemPath, vars, ctx, issues);
        if (term) emit(node, rule.predicate, term);
      });
    }
  };

  mapNode(subject, spec.node, record, '', mapping.reserved);
  return { recordId: `${kind}/${id}`, graph: graph.value, quads: out, issues, nodes };
}

function fragmentOf(node: NamedNode): string {
  const i = node.value.indexOf('#');
  return i === -1 ? '' : node.value.slice(i + 1);
}

function encodeFragment(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

function fillTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined || v === null) throw new TemplateError(name);
    return name === 'base' ? String(v) : encodeURIComponent(String(v));
  });
}

class TemplateError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`the IRI template needs the field '${variable}', which the record does not have`);
    this.variable = variable;
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

function objectFor(
  rule: Rule,
  value: unknown,
  path: string,
  vars: Record<string, unknown>,
  ctx: MapContext,
  issues: Issue[],
): Quad_Object | undefined {
  const problem = (message: string, severity: Issue['severity'] = 'error') => {
    issues.push({ severity, field: path, message });
    return undefined;
  };
  if (typeof value === 'object' && value !== null && rule.kind !== 'quantity') {
    return problem(`expected a single value, found ${JSON.stringify(value).slice(0, 60)}`);
  }
  const text = String(value);
  switch (rule.kind) {
    case 'literal':
      return literal(text);
    case 'datatype': {
      const dt = rule.datatype!;
      if (dt === 'date' || dt === 'dateTime') {
        if (DATE.test(text) && !Number.isNaN(Date.parse(text))) return literal(text, namedNode(`${XSD}date`));
        if (DATE_TIME.test(text) && !Number.isNaN(Date.parse(text))) return literal(text, namedNode(`${XSD}dateTime`));
        return problem(`'${text}' is not an ISO 8601 date (YYYY-MM-DD) or date-time`);
      }
      if (dt === 'decimal' || dt === 'integer') {
        const n = typeof value === 'number' ? value : Number(text);
        if (!Number.isFinite(n) || (dt === 'integer' && !Number.isInteger(n))) return problem(`'${text}' is not ${dt === 'integer' ? 'an integer' : 'a number'}`);
        return literal(decimalText(n), namedNode(`${XSD}${dt}`));
      }
      if (dt === 'boolean') {
        if (!/^(true|false)$/i.test(text)) return problem(`'${text}' is not true or false`);
        return literal(text.toLowerCase(), namedNode(`${XSD}boolean`));
      }
      return literal(text, namedNode(`${XSD}${dt}`));
    }
    case 'quantity': {
      const q = toCanonical(value, rule.unit!);
      if (!q.ok) return problem(q.message);
      return literal(decimalText(q.value), namedNode(`${XSD}decimal`));
    }
    case 'resolve': {
      const r = ctx.terms.resolve(text, rule.branch!);
      if (r.status === 'resolved') {
        if (r.warning) issues.push({ severity: 'warning', field: path, message: r.warning });
        return namedNode(r.iri);
      }
      issues.push({ severity: 'warning', field: path, message: r.warning });
      return literal(text);
    }
    case 'values': {
      const iri = rule.values!.get(normalizeKey(text));
      if (iri) return namedNode(iri);
      issues.push({ severity: 'warning', field: path, message: `'${text}' is not one of the known values (${[...new Set(rule.values!.keys())].slice(0, 12).join(', ')}); kept as text` });
      return literal(text);
    }
    case 'license': {
      const iri = ctx.licenses.resolve(text);
      if (iri) return namedNode(iri);
      if (/^https?:\/\/\S+$/.test(text)) return namedNode(text);
      issues.push({ severity: 'warning', field: path, message: `licence '${text}' is not a known SPDX identifier or licence URL; kept as text` });
      return literal(text);
    }
    case 'iri': {
      if (rule.template === true) {
        if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(text)) return problem(`'${text}' is not an absolute IRI`);
        return namedNode(text);
      }
      const bare = text.replace(/^https:\/\/(doi|orcid)\.org\//, '');
      try {
        return namedNode(fillTemplate(rule.template!, { ...vars, value: bare, [rule.field]: bare }));
      } catch (err) {
        if (err instanceof TemplateError) return problem(err.message);
        throw err;
      }
    }
    default:
      return problem(`rule kind ${rule.kind} cannot take a plain value`);
  }
}

/** xsd:decimal lexical form: no exponent, no trailing dot. */
function decimalText(n: number): string {
  if (Number.isInteger(n)) return n.toFixed(0);
  const s = String(n);
  return s.includes('e') ? n.toFixed(20).replace(/0+$/, '') : s;
}
