// Federation benchmark (npm run bench:federation): ten generated archives (>= 1M triples) served over HTTP on this
// machine; per query of queries/: federated time against one in-process store holding the union, HTTP requests,
// time to first result, and the same for Comunica's own federation over the ten SPARQL endpoints.
// usage: node bench/federation.ts [--data DIR] [--runs 5] [--comunica-timeout 60] [--skip-comunica]
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
    data: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'comunica-timeout': { type: 'string', default: '60' },
    'skip-comunica': { type: 'boolean', default: false },
  },
});
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
const comunica = createEngine();

for (const q of await namedQueries()) {
  const unionTimes: number[] = [];
  let unionResult: ReturnType<typeof queryStore> | undefined;
  for (let i = 0; i <= runs; i++) {
    t = performance.now();
    unionResult = queryStore(store, q.text);
    if (i > 0) unionTimes.push(performance.now() - t);
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

// Comunica's own federation: the ten endpoints as sources, no plan of ours; one run, with a time limit.
async function comunicaDefault(text: string, vars: string[], wantRows: string[]): Promise<string> {
  let requests = 0;
  const controller = new AbortController();
  // Stops issuing requests once the time limit has passed (Comunica may still hold some in its queues).
  const counting: typeof fetch = (input, init) => {
    if (controller.signal.aborted) return Promise.reject(new Error('time limit'));
    requests++;
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal });
  };
  const timer = setTimeout(() => controller.abort(new Error('time limit')), comunicaTimeoutMs);
  const rows: Record<string, { type: string; value: string }>[] = [];
  let first: number | undefined;
  const started = performance.now();
  try {
    await comunica.run(text, {
      form: 'SELECT',
      fetch: counting,
      signal: controller.signal,
      sources: endpoints.map((e) => ({ type: 'sparql', value: `${e}/sparql` })),
      onRow: (row) => {
        first ??= performance.now() - started;
        rows.push(row);
      },
    });
  } catch (error) {
    await drained();
    return `> ${ms(comunicaTimeoutMs)} (${(error as Error).message.split('\n')[0]}), ${requests} requests so far`;
  } finally {
    clearTimeout(timer);
  }
  const same = JSON.stringify(comparable(vars, rows as never)) === JSON.stringify(wantRows);
  return `${ms(performance.now() - started)}, ${requests} req, ${first === undefined ? '-' : ms(first)}, ${same ? 'same' : `differs (${rows.length} rows)`}`;
}
