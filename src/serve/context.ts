// Server options and the archives a server instance serves, read once at start.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type ArchiveMeta, listArchives, openArchive } from '../archive/archive.ts';
import { loadConfig } from '../config.ts';
import { checkHash, readTokenHashes } from './auth.ts';
import type { Logger } from './errors.ts';
import { Metrics } from './metrics.ts';
import { WorkerPool } from './pool.ts';

/** Options of `createHandler` and `startServer`; only `dataDir` is required. */
export type ServeOptions = {
  /** Directory holding one subdirectory per archive. */
  dataDir: string;
  /** Serve only these archives (default: every archive in `dataDir`). */
  archives?: string[];
  /** Base of record IRIs: `{baseIri}id/{archive}/...` resolves here (default from config, `http://localhost:8080/`). */
  baseIri?: string;
  /** Time limit of one query in milliseconds (default from config, 30 s). */
  queryTimeoutMs?: number;
  /** Most rows (or triples) one SPARQL response may hold (default from config, 100,000). */
  maxResultRows?: number;
  /** Query worker threads (default: the machine's available parallelism). */
  workers?: number;
  /** Most queries waiting for a worker before new ones get 503 (default 64 per worker). */
  maxQueue?: number;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Extra token hashes per archive name (hex SHA-256 of each token, see `hashToken`), added to the archive's
   * `tokens.json`. They only matter for archives marked private.
   */
  tokens?: Record<string, string[]>;
  /**
   * Test mode for the W3C protocol tests: SPARQL Update is executed (in memory only, on a single worker) instead
   * of refused with 403. Never for a public deployment.
   */
  allowUpdates?: boolean;
  /** Ontology files loaded into every store's ontology graph (default: ontologies/slims/*.ttl and alignments.ttl). */
  ontologyFiles?: string[];
  /** Triples per TPF page (default 100). */
  tpfPageSize?: number;
  /** TPF counts stop at this many matches and are then reported as an estimate (default 1,000, about 1 ms). */
  tpfCountCap?: number;
  /**
   * Federation file (YAML, see examples/federation.yaml) of the federated endpoint `/sparql`; without it `/sparql`
   * federates every public archive this server serves.
   */
  federation?: string;
  /** Where errors and notices go (default: stderr). */
  log?: Logger;
};

/** What the main thread knows about one served archive. */
export type ServedArchive = {
  name: string;
  meta: ArchiveMeta;
  /** Token hashes allowed to read it; undefined for a public archive. */
  tokenHashes: string[] | undefined;
  /** Graph IRIs of its records (each record is one named graph). */
  graphs: Set<string>;
  records: number;
  triples: number;
};

/** Everything a request handler needs; built once by {@link createContext}. */
export type ServeContext = {
  /** The data directory the archives were read from. */
  dataDir: string;
  /** Federation file of `/sparql`; undefined: every public archive of this server. */
  federationFile: string | undefined;
  archives: Map<string, ServedArchive>;
  pool: WorkerPool;
  metrics: Metrics;
  log: Logger;
  baseIri: string;
  queryTimeoutMs: number;
  maxResultRows: number;
  maxBodyBytes: number;
  allowUpdates: boolean;
  tpfPageSize: number;
  tpfCountCap: number;
  /** Statistics per archive, computed on first use (see describe.ts). */
  statsCache: Map<string, Promise<unknown>>;
  /** TPF match counts by archive and pattern, so later pages of a fragment skip the count (see tpf.ts). */
  countCache: Map<string, number>;
};

/** The ontology files every store loads unless told otherwise: `slims/*.ttl` and `alignments.ttl`. */
export function defaultOntologyFiles(ontologiesDir = loadConfig({}).ontologiesDir): string[] {
  const slims = join(ontologiesDir, 'slims');
  const files = existsSync(slims)
    ? readdirSync(slims)
        .filter((f) => f.endsWith('.ttl'))
        .sort()
        .map((f) => join(slims, f))
    : [];
  const alignments = join(ontologiesDir, 'alignments.ttl');
  return existsSync(alignments) ? [...files, alignments] : files;
}

/**
 * Reads the archives, starts the query workers and waits until they have loaded the stores.
 * @throws Error for an unknown archive name, an invalid token entry or a store that does not load.
 */
export async function createContext(options: ServeOptions): Promise<ServeContext> {
  const config = loadConfig({});
  const log = options.log ?? ((message: string) => process.stderr.write(`benchgraph serve: ${message}\n`));
  const baseIri = options.baseIri ?? config.baseIri;
  if (!/^https?:\/\/[^\s]+\/$/.test(baseIri)) {
    throw new Error(`serve: baseIri must be an http(s) IRI ending in '/', found '${baseIri}'`);
  }
  const available = (await listArchives(options.dataDir)).map((a) => a.name);
  const names = options.archives ?? available;
  for (const name of names) {
    if (!available.includes(name)) {
      throw new Error(
        `serve: no archive "${name}" in ${options.dataDir}; archives there: ${available.join(', ') || '(none)'}`,
      );
    }
  }
  for (const name of Object.keys(options.tokens ?? {})) {
    if (!names.includes(name)) throw new Error(`serve: tokens are given for "${name}", which is not served`);
  }
  const archives = new Map<string, ServedArchive>();
  for (const name of names) {
    const archive = await openArchive(options.dataDir, name);
    const meta = archive.meta;
    // Ingest records the server base it minted under (archives written by hand may name the archive's own prefix).
    if (meta.baseIri !== baseIri && meta.baseIri !== `${baseIri}id/${name}/`) {
      log(
        `archive "${name}" was ingested with base ${meta.baseIri}, but this server resolves record IRIs under ` +
          `${baseIri}id/${name}/; start it with --base ${meta.baseIri} for them to dereference here`,
      );
    }
    const extra = (options.tokens?.[name] ?? []).map((h, i) =>
      checkHash(h, `serve: tokens["${name}"][${i}]`),
    );
    const records = archive.records();
    archives.set(name, {
      name,
      meta,
      tokenHashes: meta.private ? [...(await readTokenHashes(archive.dir)), ...extra] : undefined,
      graphs: new Set(records.map((r) => r.graph)),
      ...archive.stats(),
    });
  }
  const allowUpdates = options.allowUpdates ?? false;
  // Updates change one worker's in-memory store, so test mode keeps a single worker for every query to see them.
  const workers = allowUpdates ? 1 : (options.workers ?? availableParallelism());
  const queryTimeoutMs = options.queryTimeoutMs ?? config.queryTimeoutMs;
  const pool = new WorkerPool({
    size: workers,
    maxQueue: options.maxQueue ?? 64 * workers,
    timeoutMs: queryTimeoutMs,
    init: {
      dataDir: options.dataDir,
      archives: names,
      ontologyFiles: options.ontologyFiles ?? defaultOntologyFiles(config.ontologiesDir),
    },
    log,
  });
  try {
    await pool.ready();
  } catch (error) {
    await pool.close(0);
    throw error;
  }
  return {
    dataDir: options.dataDir,
    federationFile: options.federation,
    archives,
    pool,
    metrics: new Metrics(),
    log,
    baseIri,
    queryTimeoutMs,
    maxResultRows: options.maxResultRows ?? config.maxResultRows,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    allowUpdates,
    tpfPageSize: options.tpfPageSize ?? 100,
    tpfCountCap: options.tpfCountCap ?? 1000,
    statsCache: new Map(),
    countCache: new Map(),
  };
}
