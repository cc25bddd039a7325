// The one typed configuration object: read once at start from flags and environment, failing fast and clearly.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The installed project's root (where mappings/, shapes/, ontologies/ and queries/ live). */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export type Config = {
  /** Directory holding one subdirectory per archive. */
  dataDir: string;
  /** Base of the IRIs minted for records; the server resolves them under the same base. */
  baseIri: string;
  host: string;
  port: number;
  mappingFile: string;
  licensesFile: string;
  shapesDir: string;
  ontologiesDir: string;
  queriesDir: string;
  /** Public data (../shared/data beside the project) that `start` imports into the demo federation when present. */
  sharedDataDir: string;
  /** Per-query time limit for SPARQL evaluation, in milliseconds. */
  queryTimeoutMs: number;
  /** Most result rows a query may return. */
  maxResultRows: number;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Builds the configuration from parsed CLI options (strings) over environment variables over defaults. */
export function loadConfig(options: Record<string, string | boolean | undefined> = {}, env: Env = process.env): Config {
  const pick = (flag: string, variable: string, fallback: string): string => {
    const v = options[flag];
    if (typeof v === 'string') return v;
    return env[variable] ?? fallback;
  };
  const port = Number(pick('port', 'BENCHGRAPH_PORT', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--port / BENCHGRAPH_PORT must be a port number 0–65535, found '${pick('port', 'BENCHGRAPH_PORT', '')}'`);
  }
  const host = pick('host', 'BENCHGRAPH_HOST', '127.0.0.1');
  const baseIri = pick('base', 'BENCHGRAPH_BASE', `http://localhost:${port}/`);
  if (!/^https?:\/\/[^\s]+\/$/.test(baseIri)) {
    throw new ConfigError(`--base / BENCHGRAPH_BASE must be an http(s) IRI ending in '/', found '${baseIri}'`);
  }
  const positive = (flag: string, variable: string, fallback: string): number => {
    const raw = pick(flag, variable, fallback);
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${flag} / ${variable} must be a positive number, found '${raw}'`);
    return n;
  };
  return {
    dataDir: resolve(pick('data', 'BENCHGRAPH_DATA', 'data')),
    baseIri,
    host,
    port,
    mappingFile: resolve(pick('mapping', 'BENCHGRAPH_MAPPING', join(projectRoot, 'mappings', 'bench-record.yaml'))),
    licensesFile: join(projectRoot, 'mappings', 'licenses.yaml'),
    shapesDir: resolve(pick('shapes', 'BENCHGRAPH_SHAPES', join(projectRoot, 'shapes'))),
    ontologiesDir: join(projectRoot, 'ontologies'),
    queriesDir: join(projectRoot, 'queries'),
    sharedDataDir: resolve(pick('shared', 'BENCHGRAPH_SHARED_DATA', join(projectRoot, '..', 'shared', 'data'))),
    queryTimeoutMs: positive('timeout', 'BENCHGRAPH_QUERY_TIMEOUT_MS', '30000'),
    maxResultRows: positive('max-rows', 'BENCHGRAPH_MAX_ROWS', '100000'),
  };
}
