// Benchmark `npm run bench:serve`: HTTP throughput and p50/p99 latency of the server over a >= 1M-triple archive,
// at 1 and 32 clients (autocannon), and the HTTP/in-process latency ratio at one client. Prints figures only.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../src/archive/archive.ts';
import { loadConfig, projectRoot } from '../src/config.ts';
import { generateFederation } from '../src/generate.ts';
import { checkFiles } from '../src/ingest/pipeline.ts';
import { loadPipeline } from '../src/main.ts';
import { defaultOntologyFiles } from '../src/serve/context.ts';
import { boundQuery } from '../src/serve/row-limit.ts';
import { startServer } from '../src/serve/server.ts';
import { DEFAULT_GRAPH_IRI, fragmentQueries, parseFragmentRequest } from '../src/serve/tpf.ts';
import {
  type ArchiveStore,
  loadArchiveStore,
  queryStore,
  queryStoreSerialized,
  storeStats,
} from '../src/store/store.ts';

const LABS = Number(process.env.BENCH_LABS ?? 10);
const SEED = Number(process.env.BENCH_SEED ?? 1);
/** Seconds of measured load per (query, concurrency) cell; one more second of warm-up precedes each. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = [1, 32];
const ARCHIVE = 'bench';
const BASE = 'http://localhost:8080/';
const JSON_RESULTS = 'application/sparql-results+json';
const PAGE_SIZE = 100;
const COUNT_CAP = 10_000;

const work = join(projectRoot, '.tmp', 'bench', 'serve');
const generated = join(work, `generated-${LABS}-${SEED}`);
const dataDir = join(work, `data-${LABS}-${SEED}`);
const builtMarker = join(dataDir, 'built.json');

/** One benchmarked request kind: the HTTP requests autocannon cycles through and their in-process equivalents. */
type Workload = {
  name: string;
  requests: { path: string; accept: string }[];
  /** Runs request `i`'s work in-process: the same SPARQL the server runs, serialized, without HTTP. */
  inProcess: (store: ArchiveStore, i: number) => void;
  /** The SPARQL SELECT queries behind the requests, when they are plain queries (for the answer sizes). */
  queries?: string[];
};

if (process.argv[2] === '--serve-child') await serveChild(process.argv[3]);
else await main();

async function main(): Promise<void> {
  const autocannon = await loadAutocannon();
  const t0 = performance.now();
  // Figures from a busy machine are not comparable; the load average says how busy it was.
  const loadBefore = loadavg()[0];
  await buildArchive();
  const workloads = await defineWorkloads();

  // The in-process store stays loaded next to the server (plenty of memory); each workload is timed in-process
  // right before its HTTP runs, with the server idle, so both see the same machine (it is shared and noisy).
  const { store, stats } = await loadInProcess(workloads);

  console.log('starting the server (child process) ...');
  const server = await startChild();
  const rows: string[][] = [];
  const ratios: string[][] = [];
  let floor: number | undefined;
  try {
    // The cost of an HTTP round trip that runs no query, to read the ratios against.
    const health: Workload = {
      name: 'health',
      requests: [{ path: '/health', accept: '*/*' }],
      inProcess: () => {},
    };
    await load(autocannon, server.url, health, 1, 1);
    floor = quantile((await load(autocannon, server.url, health, 1, 3)).latencies, 0.5);
    for (const w of workloads) {
      const local = inProcessLatencies(store, w);
      for (const connections of CONCURRENCY) {
        await load(autocannon, server.url, w, connections, 1); // warm-up, not reported
        const r = await load(autocannon, server.url, w, connections, SECONDS);
        rows.push([
          w.name,
          String(connections),
          r.throughput.toFixed(0),
          quantile(r.latencies, 0.5).toFixed(2),
          quantile(r.latencies, 0.99).toFixed(2),
          String(r.errors),
        ]);
        if (connections === 1) {
          const httpP50 = quantile(r.latencies, 0.5);
          const localP50 = quantile(local, 0.5);
          ratios.push([
            w.name,
            localP50.toFixed(3),
            httpP50.toFixed(3),
            (httpP50 - localP50).toFixed(3),
            (httpP50 / localP50).toFixed(2),
            httpP50 / localP50 <= 1.3 ? 'yes' : 'no',
          ]);
        }
      }
    }
  } finally {
    await server.stop();
  }

  console.log(
    `\narchive "${ARCHIVE}": ${stats.triples.toLocaleString('en')} quads in ${stats.graphs.toLocaleString('en')} ` +
      `graphs (${LABS} generated labs, seed ${SEED}); ${SECONDS} s per cell after 1 s warm-up; ` +
      `server and load generator share this machine (${availableParallelism()} CPUs, load average before the ` +
      `run ${loadBefore.toFixed(1)}, after ${loadavg()[0].toFixed(1)})\n`,
  );
  printTable(['workload', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows);
  console.log('\nHTTP vs in-process at one client (p50; target HTTP <= 1.3x in-process):');
  printTable(['workload', 'in-process ms', 'HTTP ms', 'added ms', 'ratio', '<= 1.3x'], ratios);
  console.log(
    `(an HTTP request that runs no query, GET /health, takes ${floor?.toFixed(3)} ms p50 at one client)`,
  );
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- the archive -----------------------------------------------------------------------------------------------

// Generated labs through the real ingest pipeline into one archive, built once and reused (.tmp is gitignored);
// BENCH_REBUILD=1 rebuilds it, e.g. after a change of the archive format.
async function buildArchive(): Promise<void> {
  if (existsSync(builtMarker) && process.env.BENCH_REBUILD !== '1') {
    const built = JSON.parse(await readFile(builtMarker, 'utf8')) as { triples: number; seconds: number };
    console.log(`reusing ${dataDir} (${built.triples.toLocaleString('en')} triples)`);
    return;
  }
  const t = performance.now();
  if (!existsSync(generated)) await generateFederation({ labs: LABS, seed: SEED, out: generated });
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const config = loadConfig({ data: dataDir }, {});
  const pipeline = await loadPipeline(config);
  const archive = await openArchive(dataDir, ARCHIVE, {
    create: true,
    meta: { baseIri: BASE, title: 'bench' },
  });
  let triples = 0;
  for (let lab = 1; lab <= LABS; lab++) {
    const dir = join(generated, `lab-${String(lab).padStart(3, '0')}`);
    for (const file of (await readdir(dir)).sort()) {
      // Each lab keeps its own IRI space (id/lab-N/...): generated record ids repeat from lab to lab.
      const result = await checkFiles(
        [join(dir, file)],
        { base: BASE, archive: `lab-${lab}` },
        pipeline.deps,
      );
      const accepted = result.records.filter((r) => r.accepted && r.graph !== undefined);
      await archive.writeBatch(
        accepted.map((r) => ({
          recordId: `lab-${lab}/${r.recordId}`,
          graph: r.graph as string,
          quads: r.quads,
          sourceFile: r.file,
          sourceLine: r.line,
        })),
        { mapping: pipeline.mapping.name, mappingVersion: pipeline.mapping.version },
      );
      triples += accepted.reduce((n, r) => n + r.quads.length, 0);
    }
    console.log(`  ingested lab ${lab}/${LABS} (${triples.toLocaleString('en')} triples)`);
  }
  if (triples < 1_000_000)
    throw new Error(`the bench archive has ${triples} triples; raise BENCH_LABS for >= 1M`);
  const seconds = (performance.now() - t) / 1000;
  await writeFile(builtMarker, JSON.stringify({ triples, seconds }));
  console.log(`built ${dataDir}: ${triples.toLocaleString('en')} triples in ${seconds.toFixed(0)} s`);
}

// ---- workloads -------------------------------------------------------------------------------------------------

async function defineWorkloads(): Promise<Workload[]> {
  const archive = await openArchive(dataDir, ARCHIVE);
  const records = archive.records();
  const sessions = records.filter((r) => r.recordId.includes('/session/'));
  // 64 sessions spread over the archive, so the point lookups do not all hit one spot.
  const picked = Array.from({ length: 64 }, (_, i) => sessions[Math.floor((i * sessions.length) / 64)].graph);
  const studies = [...new Set(records.filter((r) => r.recordId.includes('/study/')).map((r) => r.graph))];
  const bg = 'https://w3id.org/benchgraph/vocab#';
  const sparqlPath = (query: string) => `/archives/${ARCHIVE}/sparql?query=${encodeURIComponent(query)}`;
  // In-process runs what the server's query job runs: the query with its row bound (an added LIMIT), as JSON.
  const maxRows = loadConfig({}, {}).maxResultRows;
  const sparqlWorkload = (name: string, queries: string[]): Workload => ({
    name,
    queries,
    requests: queries.map((q) => ({ path: sparqlPath(q), accept: JSON_RESULTS })),
    inProcess: (store, i) => {
      queryStoreSerialized(store, boundQuery(queries[i % queries.length], maxRows).query, JSON_RESULTS);
    },
  });

  const point = picked.map((iri) => `SELECT ?p ?o WHERE { <${iri}> ?p ?o }`);
  // Rat sessions of one study: the kind of question a lab asks, three patterns joined on ?session and ?subject.
  const join = studies.map(
    (study) =>
      `PREFIX bg: <${bg}> PREFIX obo: <http://purl.obolibrary.org/obo/> ` +
      `SELECT ?session ?subject WHERE { ?session bg:inStudy <${study}> . ?session bg:subject ?subject . ` +
      '?subject bg:species obo:NCBITaxon_10116 . }',
  );
  // The first ten pages of "every session", as Comunica asks for them (graph = the default graph).
  const tpfParams = Array.from({ length: 10 }, (_, i) => {
    const p = new URLSearchParams({
      predicate: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type',
      object: `${bg}Session`,
      graph: DEFAULT_GRAPH_IRI,
      page: String(i + 1),
    });
    return p;
  });
  const tpfQueries = tpfParams.map((p) => fragmentQueries(parseFragmentRequest(p), PAGE_SIZE, COUNT_CAP));
  const counted = new Set<string>();
  const tpf: Workload = {
    name: 'TPF page',
    requests: tpfParams.map((p) => ({ path: `/archives/${ARCHIVE}/tpf?${p}`, accept: 'text/turtle' })),
    // The SPARQL the TPF route runs, without HTTP or RDF writing: the page query every time, the capped count
    // once per pattern (the route caches counts, so a steady stream of pages costs one query each).
    inProcess: (store, i) => {
      const q = tpfQueries[i % tpfQueries.length];
      queryStoreSerialized(store, q.page, JSON_RESULTS);
      if (!counted.has(q.count)) {
        queryStoreSerialized(store, q.count, JSON_RESULTS);
        counted.add(q.count);
      }
    },
  };
  return [sparqlWorkload('point lookup', point), sparqlWorkload('3-pattern join', join), tpf];
}

// ---- measuring -------------------------------------------------------------------------------------------------

// Loads the archive as the server's workers do (with the ontology slims) and prints each workload's answer sizes.
async function loadInProcess(
  workloads: Workload[],
): Promise<{ store: ArchiveStore; stats: { triples: number; graphs: number } }> {
  console.log('loading the archive in-process for the baseline ...');
  const store = await loadArchiveStore(await openArchive(dataDir, ARCHIVE), {
    ontologyFiles: defaultOntologyFiles(),
  });
  for (const w of workloads) {
    if (!w.queries) continue;
    const sizes = w.queries.map((q) => {
      const r = queryStore(store, q);
      return 'results' in r ? (r.results.results?.bindings.length ?? 0) : 0;
    });
    console.log(
      `  ${w.name}: ${w.queries.length} queries, ${Math.min(...sizes)}-${Math.max(...sizes)} rows each`,
    );
  }
  return { store, stats: storeStats(store) };
}

// Latencies (ms) of the in-process equivalent, one call at a time, for SECONDS (at most 20,000 calls).
function inProcessLatencies(store: ArchiveStore, w: Workload): number[] {
  for (let i = 0; i < 20; i++) w.inProcess(store, i); // warm-up
  const out: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  for (let i = 0; performance.now() < end && i < 20_000; i++) {
    const t = performance.now();
    w.inProcess(store, i);
    out.push(performance.now() - t);
  }
  return out;
}

type AutocannonResponse = (client: unknown, status: number, bytes: number, ms: number) => void;
type AutocannonInstance = {
  on: (event: 'response', f: AutocannonResponse) => void;
};
type Autocannon = (
  opts: Record<string, unknown>,
  done: (error: Error | null, result: { non2xx: number; errors: number; timeouts: number }) => void,
) => AutocannonInstance;

async function loadAutocannon(): Promise<Autocannon> {
  // A variable specifier keeps the type check independent of whether the devDependency is installed yet.
  const name = 'autocannon';
  try {
    return ((await import(name)) as { default: Autocannon }).default;
  } catch (error) {
    throw new Error(`bench/serve.ts needs the autocannon package (npm install --save-dev autocannon)`, {
      cause: error,
    });
  }
}

// Runs autocannon against one workload; latencies come from its per-response timings (float ms), because its own
// histogram keeps whole milliseconds, too coarse for sub-millisecond queries.
function load(
  autocannon: Autocannon,
  url: string,
  w: Workload,
  connections: number,
  seconds: number,
): Promise<{ latencies: number[]; throughput: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: w.requests.map((r) => ({ method: 'GET', path: r.path, headers: { accept: r.accept } })),
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            latencies,
            throughput: latencies.length / seconds,
            errors: result.non2xx + result.errors + result.timeouts,
          });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---- the server in its own process ------------------------------------------------------------------------------

// The server runs in a child process, as deployed, so the load generator never shares its event loop.
async function startChild(): Promise<{
  url: string;
  stop: () => Promise<void>;
}> {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--serve-child', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('listening '));
      if (line) resolve(line.slice('listening '.length).trim());
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code} before listening`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function serveChild(dir: string): Promise<void> {
  const server = await startServer({ dataDir: dir, port: 0, host: '127.0.0.1', baseIri: BASE });
  process.stdout.write(`listening ${server.url}\n`);
  process.once('SIGTERM', () => {
    server.close().then(() => process.exit(0));
  });
}
