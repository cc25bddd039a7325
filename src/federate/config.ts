// The federation file: which sources a federated query may reach, how to authenticate and how long to wait for each.
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';

/** How a source is reached. */
export type SourceKind =
  /** An archive served by this benchgraph server (answered in-process, no network). */
  | 'archive'
  /** A remote benchgraph archive: its `/archives/{name}` URL (SPARQL at `/sparql`, VoID at the URL itself). */
  | 'benchgraph'
  /** Any SPARQL 1.1 Protocol endpoint. */
  | 'sparql'
  /** A Triple Pattern Fragments interface (Comunica's TPF client evaluates the patterns sent there). */
  | 'tpf';

/** One configured source. */
export type SourceConfig = {
  /** Short name: the value of `?_source` in answers and the name in warnings. */
  name: string;
  kind: SourceKind;
  /** `archive`: the served archive's name (default: `name`); others: the URL. */
  url: string;
  /** A header sent with every request, its value read from an environment variable when the file is loaded. */
  auth?: { header: string; env: string; value: string };
  /** Time limit of one request to this source, in milliseconds. */
  timeoutMs: number;
  enabled: boolean;
  /**
   * Whether the source holds benchgraph's ontology graph (every benchgraph archive does). `auto` (default): detected
   * by comparing the size of its ontology graph with the local slims.
   */
  ontology: boolean | 'auto';
  /**
   * IRI prefix under which all the source's own resources are minted (`void:uriSpace`); benchgraph archives
   * publish it in their VoID. Joins on such IRIs are known to stay inside the source.
   */
  uriSpace?: string;
  /** Graphs of the source that are not its data (besides store system graphs, which are always left out). */
  ignoreGraphs?: string[];
  /** Licence and citation to report with answers when the source's own description has none. */
  license?: string;
  citation?: string;
};

/** Circuit breaker: a source failing `failures` times in a row is skipped for `cooldownMs`. */
export type BreakerConfig = { failures: number; cooldownMs: number };

/** A parsed federation file. */
export type FederationConfig = {
  sources: SourceConfig[];
  breaker: BreakerConfig;
  /** How often source descriptions are checked for changes (summaries are rebuilt when they change). */
  refreshMs: number;
  /** Where the configuration came from (file path or 'default'), for messages. */
  origin: string;
};

export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;
export const DEFAULT_BREAKER: BreakerConfig = { failures: 3, cooldownMs: 30_000 };
export const DEFAULT_REFRESH_MS = 30_000;

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const KINDS: readonly SourceKind[] = ['archive', 'benchgraph', 'sparql', 'tpf'];
const SOURCE_KEYS = new Set(['name', 'type', 'url', 'archive', 'auth', 'timeout', 'enabled', 'ontology', 'uriSpace', 'ignoreGraphs', 'license', 'citation']);
const TOP_KEYS = new Set(['sources', 'breaker', 'refresh', 'timeout']);

/** A federation file that does not say what is expected, with the file and line. */
export class FederationConfigError extends Error {
  override name = 'FederationConfigError';
}

/** Without a federation file: every archive the server serves, under its own name. */
export function defaultFederation(archives: string[]): FederationConfig {
  return {
    sources: archives.map((name) => ({
      name,
      kind: 'archive',
      url: name,
      timeoutMs: DEFAULT_SOURCE_TIMEOUT_MS,
      enabled: true,
      ontology: 'auto',
    })),
    breaker: DEFAULT_BREAKER,
    refreshMs: DEFAULT_REFRESH_MS,
    origin: 'default',
  };
}

/** Reads and checks a federation file (YAML); `env` supplies auth header values. */
export function loadFederationFile(path: string, env: Record<string, string | undefined> = process.env): FederationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FederationConfigError(`federation file ${path}: ${(error as Error).message}`);
  }
  return parseFederation(text, path, env);
}

/** Parses federation YAML; errors name `origin` and the line of the offending entry. */
export function parseFederation(text: string, origin: string, env: Record<string, string | undefined> = process.env): FederationConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new FederationConfigError(`${origin}${at ? `:${at.line}:${at.col}` : ''}: ${e.message}`);
  }
  const where = (node: unknown) => {
    const range = (node as { range?: [number, number] } | undefined)?.range;
    return range ? `${origin}:${lines.linePos(range[0]).line}` : origin;
  };
  const fail = (node: unknown, message: string): never => {
    throw new FederationConfigError(`${where(node)}: ${message}`);
  };
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'expected a mapping with a "sources" list');
  const top = doc.toJS() as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!TOP_KEYS.has(key)) fail(root, `unknown key "${key}"; expected ${[...TOP_KEYS].join(', ')}`);
  }
  const defaultTimeout = top.timeout === undefined ? DEFAULT_SOURCE_TIMEOUT_MS : duration(top.timeout, () => fail(root.get('timeout', true), 'timeout: expected milliseconds or a duration such as 10s'));
  const sourcesNode = root.get('sources', true);
  if (!isSeq(sourcesNode)) return fail(sourcesNode ?? root, 'expected "sources:" to be a list of sources');
  const sources: SourceConfig[] = [];
  sourcesNode.items.forEach((item, i) => {
    const raw = (item as { toJSON(): unknown }).toJSON() as Record<string, unknown>;
    const at = (key: string) => (isMap(item) ? (item.get(key, true) ?? item) : item);
    const bad = (key: string, message: string) => fail(at(key), `sources[${i}]${key ? `.${key}` : ''}: ${message}`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('', 'expected a mapping (name, type, url, ...)');
    for (const key of Object.keys(raw)) if (!SOURCE_KEYS.has(key)) bad(key, `unknown key; expected ${[...SOURCE_KEYS].join(', ')}`);
    const name = raw.name;
    if (typeof name !== 'string' || !SOURCE_NAME.test(name)) bad('name', `expected a name of letters, digits, '.', '_' or '-', found ${JSON.stringify(name)}`);
    if (sources.some((s) => s.name === name)) bad('name', `"${name}" is used by another source`);
    const kind = raw.type ?? (raw.archive !== undefined ? 'archive' : undefined);
    if (typeof kind !== 'string' || !KINDS.includes(kind as SourceKind)) bad('type', `expected one of ${KINDS.join(', ')}, found ${JSON.stringify(kind)}`);
    let url: string;
    if (kind === 'archive') {
      url = typeof raw.archive === 'string' ? raw.archive : (name as string);
    } else {
      if (typeof raw.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(raw.url)) bad('url', `expected an http(s) URL, found ${JSON.stringify(raw.url)}`);
      url = (raw.url as string).replace(/\/+$/, '');
    }
    const source: SourceConfig = {
      name: name as string,
      kind: kind as SourceKind,
      url,
      timeoutMs: raw.timeout === undefined ? defaultTimeout : duration(raw.timeout, () => bad('timeout', 'expected milliseconds or a duration such as 10s')),
      enabled: raw.enabled === undefined ? true : raw.enabled === true ? true : raw.enabled === false ? false : bad('enabled', 'expected true or false'),
      ontology: raw.ontology === undefined || raw.ontology === 'auto' ? 'auto' : typeof raw.ontology === 'boolean' ? raw.ontology : bad('ontology', 'expected true, false or auto'),
    };
    if (raw.auth !== undefined) {
      const auth = raw.auth as Record<string, unknown>;
      if (typeof auth !== 'object' || auth === null || typeof auth.env !== 'string') {
        bad('auth', 'expected { header: Authorization, env: VARIABLE, scheme: Bearer } (scheme and header optional)');
      }
      const header = typeof auth.header === 'string' ? auth.header : 'Authorization';
      const value = env[auth.env as string];
      // A disabled source may name a variable that is not set (it is never contacted).
      if ((value === undefined || value === '') && source.enabled) {
        bad('auth', `environment variable ${auth.env as string} is not set (it holds the ${header} value for "${name as string}")`);
      }
      const scheme = typeof auth.scheme === 'string' ? auth.scheme : header.toLowerCase() === 'authorization' ? 'Bearer' : '';
      source.auth = { header, env: auth.env as string, value: scheme ? `${scheme} ${value ?? ''}` : (value ?? '') };
    }
    if (raw.ignoreGraphs !== undefined) {
      if (!Array.isArray(raw.ignoreGraphs) || raw.ignoreGraphs.some((g) => typeof g !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(g))) {
        bad('ignoreGraphs', 'expected a list of graph IRIs');
      }
      source.ignoreGraphs = raw.ignoreGraphs as string[];
    }
    for (const key of ['uriSpace', 'license', 'citation'] as const) {
      if (raw[key] === undefined) continue;
      if (typeof raw[key] !== 'string') bad(key, 'expected a string');
      source[key] = raw[key] as string;
    }
    sources.push(source);
  });
  const breakerRaw = (top.breaker ?? {}) as Record<string, unknown>;
  const breaker: BreakerConfig = {
    failures: breakerRaw.failures === undefined ? DEFAULT_BREAKER.failures : positiveInt(breakerRaw.failures, () => fail(root.get('breaker', true), 'breaker.failures: expected a positive integer')),
    cooldownMs: breakerRaw.cooldown === undefined ? DEFAULT_BREAKER.cooldownMs : duration(breakerRaw.cooldown, () => fail(root.get('breaker', true), 'breaker.cooldown: expected milliseconds or a duration such as 30s')),
  };
  const refreshMs = top.refresh === undefined ? DEFAULT_REFRESH_MS : duration(top.refresh, () => fail(root.get('refresh', true), 'refresh: expected milliseconds or a duration such as 30s'));
  return { sources, breaker, refreshMs, origin };
}

/** `1500`, `'1500ms'`, `'10s'`, `'2m'` -> milliseconds. */
function duration(value: unknown, onError: () => never): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(value.trim()) : null;
  if (!m) return onError();
  const n = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
  return n > 0 ? n : onError();
}

function positiveInt(value: unknown, onError: () => never): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : onError();
}
