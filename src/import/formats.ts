// Loads the import settings (mappings/import.yaml) and the format descriptors (mappings/<format>.yaml) with
// their SPARQL mappings and local JSON-LD contexts; every mistake names the file and line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Branch } from '../terms/index.ts';
import { BRANCHES } from '../terms/index.ts';

/** The formats `benchgraph import --format` accepts. */
export const FORMAT_NAMES = ['gide', 'idr-study', 'dandi', 'ome-xml'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/** How a format's files become JSON-LD documents (src/import/readers.ts). */
export type ReaderName = 'json-ld' | 'idr-study' | 'dandi' | 'ome-xml';
const READERS: ReaderName[] = ['json-ld', 'idr-study', 'dandi', 'ome-xml'];

export type Query = { file: string; text: string };

export type ImportFormat = {
  name: FormatName;
  version: string;
  title: string;
  /** The descriptor file (also the mapping named in the archive's provenance). */
  file: string;
  reader: ReaderName;
  /** File names a directory import picks up. */
  files: RegExp;
  record: Query;
  noRecord: string;
  construct: Query[];
  /** Remote context URL -> local file, on top of the shared ones. */
  contexts: Map<string, string>;
  /** Known names of an archive's own vocabulary -> term IRI, per term predicate IRI (applied before resolving). */
  values: Map<string, Map<string, string>>;
  /** Everything else in the descriptor, for the reader (e.g. the study-file layout, DANDI schema versions). */
  options: Record<string, unknown>;
};

export type ImportSettings = {
  version: string;
  file: string;
  contexts: Map<string, string>;
  /** Term predicate IRI -> branch of the term index. */
  terms: Map<string, Branch>;
  licenses: Set<string>;
  enrichment: {
    method: string;
    branches: Branch[];
    fields: Set<string>;
    confidence: { label: number; synonym: number };
  };
};

export class FormatError extends Error {
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'FormatError';
  }
}

/** A YAML file with helpers that fail with the file and line of the offending key. */
function readYaml(file: string) {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new FormatError(file, lineCounter.linePos(e.pos[0]).line, `malformed YAML: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: (string | number)[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  const fail = (path: (string | number)[], message: string): never => {
    throw new FormatError(file, lineOf(path), message);
  };
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  const str = (key: string): string => {
    const v = raw[key];
    if (typeof v !== 'string' || v === '') fail([key], `expected '${key}' to be a non-empty string`);
    return v as string;
  };
  const map = (key: string): Record<string, unknown> => {
    const v = raw[key] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail([key], `expected '${key}' to be a mapping`);
    return v as Record<string, unknown>;
  };
  return { raw, fail, str, map };
}

/** Expands `bg:species` with the prefixes of the file, or takes an absolute IRI as it is. */
function expander(prefixes: Record<string, string>, fail: (path: (string | number)[], m: string) => never) {
  return (value: unknown, path: (string | number)[]): string => {
    if (typeof value !== 'string') return fail(path, `expected a CURIE or IRI, found ${JSON.stringify(value)}`);
    if (/^https?:\/\//.test(value)) return value;
    const i = value.indexOf(':');
    const base = i > 0 ? prefixes[value.slice(0, i)] : undefined;
    if (base === undefined) {
      return fail(path, `unknown prefix in '${value}' (declared: ${Object.keys(prefixes).join(', ')})`);
    }
    return base + value.slice(i + 1);
  };
}

function contextsOf(
  entries: Record<string, unknown>,
  mappingsDir: string,
  fail: (path: (string | number)[], m: string) => never,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [url, file] of Object.entries(entries)) {
    if (typeof file !== 'string') fail(['contexts', url], `expected a file name under mappings/contexts/`);
    out.set(url, join(mappingsDir, 'contexts', file as string));
  }
  return out;
}

/** Reads mappings/import.yaml. */
export function loadImportSettings(mappingsDir: string): ImportSettings {
  const file = join(mappingsDir, 'import.yaml');
  const { raw, fail, str, map } = readYaml(file);
  const prefixes = map('prefixes') as Record<string, string>;
  const expand = expander(prefixes, fail);
  const terms = new Map<string, Branch>();
  for (const [predicate, branch] of Object.entries(map('terms'))) {
    if (!BRANCHES.includes(branch as Branch)) {
      fail(['terms', predicate], `unknown branch '${branch}' (expected one of ${BRANCHES.join(', ')})`);
    }
    terms.set(expand(predicate, ['terms', predicate]), branch as Branch);
  }
  const licenses = new Set(((raw.licenses as unknown[]) ?? []).map((p, i) => expand(p, ['licenses', i])));
  const e = map('enrichment');
  const branches = (e.branches as unknown[] | undefined) ?? [];
  for (const [i, b] of branches.entries()) {
    if (!BRANCHES.includes(b as Branch)) fail(['enrichment', 'branches', i], `unknown branch '${b}'`);
  }
  const confidence = (e.confidence ?? {}) as { label?: unknown; synonym?: unknown };
  for (const k of ['label', 'synonym'] as const) {
    const v = confidence[k];
    if (typeof v !== 'number' || v < 0 || v > 1) fail(['enrichment', 'confidence', k], 'expected a number from 0 to 1');
  }
  return {
    version: str('version'),
    file,
    contexts: contextsOf(map('contexts'), mappingsDir, fail),
    terms,
    licenses,
    enrichment: {
      method: expand(e.method, ['enrichment', 'method']),
      branches: branches as Branch[],
      fields: new Set(((e.fields as unknown[]) ?? []).map((f, i) => expand(f, ['enrichment', 'fields', i]))),
      confidence: confidence as { label: number; synonym: number },
    },
  };
}

/** Reads mappings/<name>.yaml and the SPARQL files it names. */
export function loadFormat(mappingsDir: string, name: FormatName): ImportFormat {
  const file = join(mappingsDir, `${name}.yaml`);
  const { raw, fail, str, map } = readYaml(file);
  if (raw.name !== name) fail(['name'], `expected name: ${name}`);
  const reader = str('reader') as ReaderName;
  if (!READERS.includes(reader)) fail(['reader'], `unknown reader '${reader}' (expected one of ${READERS.join(', ')})`);
  let files: RegExp;
  try {
    files = new RegExp(str('files'), 'i');
  } catch (err) {
    return fail(['files'], `not a regular expression: ${(err as Error).message}`);
  }
  const query = (path: (string | number)[], value: unknown): Query => {
    if (typeof value !== 'string') return fail(path, 'expected the path of a .rq file under mappings/');
    const queryFile = join(mappingsDir, value);
    try {
      return { file: queryFile, text: readFileSync(queryFile, 'utf8') };
    } catch (err) {
      return fail(path, `cannot read ${queryFile} (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  };
  const construct = raw.construct;
  if (!Array.isArray(construct) || construct.length === 0) fail(['construct'], 'expected a list of .rq files');
  const prefixes = { ...(map('prefixes') as Record<string, string>) };
  const expand = expander(prefixes, fail);
  const values = new Map<string, Map<string, string>>();
  for (const [predicate, list] of Object.entries(map('values'))) {
    const entries = new Map<string, string>();
    for (const [text, iri] of Object.entries((list ?? {}) as Record<string, unknown>)) {
      entries.set(text.trim().toLowerCase(), expand(iri, ['values', predicate, text]));
    }
    values.set(expand(predicate, ['values', predicate]), entries);
  }
  const known = new Set(['name', 'version', 'title', 'reader', 'files', 'record', 'noRecord', 'construct', 'contexts', 'values', 'prefixes']);
  return {
    name,
    version: str('version'),
    title: str('title'),
    file,
    reader,
    files,
    record: query(['record'], raw.record),
    noRecord: str('noRecord'),
    construct: (construct as unknown[]).map((c, i) => query(['construct', i], c)),
    contexts: contextsOf(map('contexts'), mappingsDir, fail),
    values,
    options: Object.fromEntries(Object.entries(raw).filter(([k]) => !known.has(k))),
  };
}
