// Federation benchmark (npm run bench:federation): ten generated archives (>= 1M triples) served over HTTP on this
// machine; per query of queries/: federated time against one in-process store holding the union, HTTP requests,
// time to first result, and the same for Comunica's own federation over the ten SPARQL endpoints.
// usage: node bench/federation.ts [--data DIR] [--runs 5] [--comunica-timeout 60] [--skip-comunica]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listArchives } from '../src/archive/archive.ts';
import { loadConfig } from '../src/config.ts';
import { parseFederation } from '../src/federate/config.ts';
import { createEngine } from '../src/federate/engine.ts';
import { createFederation } from '../src/federate/federation.ts';
import { generateFederation } from '../src/generate.ts';
import { expandInputs, ingest, loadPipeline } from '../src/main.ts';
import { defaultOntologyFiles } from '../src/serve/context.ts';
import { startServer } from '../src/serve/server.ts';
import { queryStore } from '../src/store/store.ts';
import { comparable, namedQueries, unionStore } from '../test/fixtures/federate/harness.ts';

const { values } = parseArgs({
  options: {
    'comunica-child': { type: 'string' },
    data: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'comunica-timeout': { type: 'string', default: '60' },
    'skip-comunica': { type: 'boolean', default: false },
  },
});
if (values['comunica-child']) {
  await comunicaChild(values['comunica-child']);
  process.exit(0);
}
const runs = Number(values.runs);
const comunicaTimeoutMs = Number(values['comunica-timeout']) * 1000;
const dataDir = values.data ?? join(tmpdir(), 'benchgraph-bench-federation');
const log = (m: string) => process.stderr.write(`${m}\n`);
const pad = (s: string | number, n: number) => String(s).padStart(n);
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

// 1. Ten generated archives, made once and kept for later runs.
let archives = (await listArchives(dataDir)).map((a) => a.name);
if (archives.length < 10) {
  log(`generating and ingesting 10 labs into ${dataDir} (about a minute)`);
  const out = join(dataDir, '..', 'benchgraph-bench-federation-records');
  if (!existsSync(join(out, 'lab-010'))) await generateFederation({ labs: 10, seed: 1, out });
  const config = loadConfig({ data: dataDir, base: 'http://localhost:8080/' }, {});
  const pipeline = await loadPipeline(config);
  for (let i = 1; i <= 10; i++) {
    const name = `lab-${String(i).padStart(3, '0')}`;
    if (!archives.includes(name)) await ingest(config, pipeline, name, await expandInputs([join(out, name)]), { strict: false });
  }
  archives = (await listArchives(dataDir)).map((a) => a.name);
}
const triples = (await listArchives(dataDir)).reduce((n, a) => n + a.triples, 0);
log(`${archives.length} archives, ${triples} triples`);

// 2. Served over HTTP; the union store in-process.
const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', baseIri: 'http://localhost:8080/', log: () => {} });
log(`serving at ${server.url} with ${server.handler.context.pool.stats().workers} workers`);
const store = await unionStore(dataDir, archives);
const endpoints = archives.map((a) => `${server.url}/archives/${a}`);
const federation = await createFederation({
  config: parseFederation(`sources:\n${archives.map((a, i) => `  - { name: ${a}, type: benchgraph, url: "${endpoints[i]}", timeout: 60s }`).join('\n')}\n`, 'bench'),
  ontologyFiles: defaultOntologyFiles(),
  queryTimeoutMs: 120_000,
  maxRows: 1_000_000,
  log,
});
let t = performance.now();
await federation.refresh();
log(`source summaries built in ${((performance.now() - t) / 1000).toFixed(1)} s (once; cached, refreshed when an archive changes)`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
type Row = { name: string; rows: number; union: number; fed: number; ratio: number; requests: number; ttfr: number; mode: string; ok: boolean; comunica?: string };
const table: Row[] = [];

for (const q of await namedQueries()) {
  const unionTimes: number[] = [];
  let unionResult: ReturnType<typeof queryStore> | undefined;
  for (let i = 0; i <= runs; i++) {
    t = performance.now();
    unionResult = queryStore(store, q.text);
    const elapsed = performance.now() - t;
    // A query that takes the union store more than 10 s is measured once.
    if (i > 0 || elapsed > 10_000) unionTimes.push(elapsed);
    if (elapsed > 10_000) break;
  }
  const want = 'results' in unionResult! ? unionResult.results : undefined;
  const vars = want?.head.vars ?? [];
  const wantRows = comparable(vars, (want?.results?.bindings ?? []) as never);
  const fedTimes: number[] = [];
  const firsts: number[] = [];
  let requests = 0;
  let ok = true;
  let mode = '';
  for (let i = 0; i <= runs; i++) {
    t = performance.now();
    const r = await federation.query(q.text);
    const ms = performance.now() - t;
    if (i === 0) continue; // warm-up
    fedTimes.push(ms);
    firsts.push(r.stats.firstResultMs ?? ms);
    requests = r.stats.requests;
    mode = r.plan.mode;
    ok &&= r.warnings.length === 0 && JSON.stringify(comparable(vars, r.bindings)) === JSON.stringify(wantRows);
  }
  const row: Row = {
    name: q.name,
    rows: wantRows.length,
    union: median(unionTimes),
    fed: median(fedTimes),
    ratio: median(fedTimes) / median(unionTimes),
    requests,
    ttfr: median(firsts),
    mode,
    ok,
  };
  if (!values['skip-comunica']) row.comunica = await comunicaDefault(q.text, vars, wantRows);
  table.push(row);
  log(`${q.name}: done`);
}

await server.close();
process.stdout.write(`\nFederation of ${archives.length} archives, ${triples} triples, over HTTP on one machine; medians of ${runs} runs after a warm-up.\n`);
process.stdout.write(`${'query'.padEnd(32)} ${pad('rows', 6)} ${pad('union', 9)} ${pad('federated', 10)} ${pad('ratio', 6)} ${pad('req', 4)} ${pad('1st row', 9)} ${'plan'.padEnd(11)} ok  Comunica default (time, requests, 1st row, answer)\n`);
for (const r of table) {
  process.stdout.write(
    `${r.name.padEnd(32)} ${pad(r.rows, 6)} ${pad(ms(r.union), 9)} ${pad(ms(r.fed), 10)} ${pad(r.ratio.toFixed(2), 6)} ${pad(r.requests, 4)} ${pad(ms(r.ttfr), 9)} ${r.mode.padEnd(11)} ${r.ok ? 'yes' : 'NO '} ${r.comunica ?? '-'}\n`,
  );
}
process.stdout.write(`median ratio federated / union store: ${median(table.map((r) => r.ratio)).toFixed(2)}\n`);

// Waits until the server has no query running or waiting (an abandoned run must not slow the next one down).
async function drained(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { workers, queued } = await (await fetch(`${server.url}/health`)).json();
    if (queued === 0 && workers.busy === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Comunica's own federation (the ten endpoints as sources, no plan of ours), once per query, in a child process
 * with a time limit: its memory and abandoned requests never reach the next measurement.
 */
async function comunicaDefault(text: string, vars: string[], wantRows: string[]): Promise<string> {
  const job = JSON.stringify({ text, vars, endpoints: endpoints.map((e) => `${e}/sparql`) });
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--comunica-child', job], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), comunicaTimeoutMs);
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  clearTimeout(timer);
  await drained();
  if (code !== 0) {
    const why = /heap out of memory/.test(err) ? 'out of memory' : code === null ? 'time limit' : `exit ${code}`;
    const requests = /requests=(\d+)/g;
    let last = '?';
    for (const m of err.matchAll(requests)) last = m[1]!;
    return `> ${ms(comunicaTimeoutMs)} (${why}), ${last} requests so far`;
  }
  const r = JSON.parse(out) as { ms: number; requests: number; first?: number; rows: number; digest: string };
  const same = r.digest === digest(wantRows);
  return `${ms(r.ms)}, ${r.requests} req, ${r.first === undefined ? '-' : ms(r.first)}, ${same ? 'same' : `differs (${r.rows} rows)`}`;
}

async function comunicaChild(job: string): Promise<void> {
  const { text, vars, endpoints: urls } = JSON.parse(job) as { text: string; vars: string[]; endpoints: string[] };
  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    // The parent reads the last count if it has to stop this process.
    if (requests % 50 === 0) process.stderr.write(`requests=${requests}\n`);
    return fetch(input, init);
  };
  const rows: Record<string, { type: string; value: string }>[] = [];
  let first: number | undefined;
  const started = performance.now();
  await createEngine().run(text, {
    form: 'SELECT',
    fetch: counting,
    sources: urls.map((value) => ({ type: 'sparql', value })),
    onRow: (row) => {
      first ??= performance.now() - started;
      rows.push(row);
    },
  });
  const answer = JSON.stringify({ ms: performance.now() - started, requests, first, rows: rows.length, digest: digest(comparable(vars, rows as never)) });
  await new Promise((done) => process.stdout.write(answer, done));
}

function digest(rows: string[]): string {
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}
