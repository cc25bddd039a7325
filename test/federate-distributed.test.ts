// The distributed deployment of .ci/federation-up.sh: three `benchgraph serve` processes, one archive in Virtuoso and
// a federating server. Every query of queries/ must answer over it exactly as one store holding the four archives.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveStore } from '../src/store/store.ts';
import { allQueries, comparable, unionAnswer, unionStore } from './fixtures/federate/harness.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const ARCHIVES = ['lab-001', 'memory-lab', 'stroke-lab', 'visual-lab'];
const missing = (await Promise.all(['virtuoso-t', 'isql-vt'].map((t) => run('sh', ['-c', `command -v ${t}`]).then(() => undefined, () => t)))).filter(Boolean);
if (missing.length > 0 && process.env.CI === 'true') {
  throw new Error(`federate-distributed: ${missing.join(' and ')} not installed; CI must run bash .ci/setup-virtuoso.sh`);
}
if (missing.length > 0) {
  process.stderr.write(`federate-distributed: skipped, ${missing.join(' and ')} not installed (bash .ci/setup-virtuoso.sh installs them)\n`);
}

const queries = await allQueries();
let work: string;
let endpoints: Record<string, string>;
let store: ArchiveStore;

describe.skipIf(missing.length > 0)('the distributed federation (3 serve processes, Virtuoso, a federator)', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'benchgraph-distributed-'));
    try {
      await run('bash', [join(ROOT, '.ci/federation-up.sh'), work], { timeout: 170_000 });
    } catch (error) {
      const logs = await run('sh', ['-c', `tail -n 5 ${work}/logs/*.log`]).then((r) => r.stdout, (e: Error) => e.message);
      throw new Error(`.ci/federation-up.sh failed: ${(error as Error).message}\n${logs}`, { cause: error });
    }
    endpoints = Object.fromEntries(
      (await readFile(join(work, 'endpoints.env'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    store = await unionStore(endpoints.DATA_DIR!, ARCHIVES);
  }, 180_000);

  afterAll(async () => {
    if (!work) return;
    await run('bash', [join(ROOT, '.ci/federation-down.sh'), work]);
    await rm(work, { recursive: true, force: true });
  });

  it('serves the four archives from four processes', async () => {
    const response = await fetch(endpoints.FEDERATION_URL!, {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json' },
      body: 'PREFIX bg: <https://w3id.org/benchgraph/vocab#> SELECT ?_source (COUNT(*) AS ?n) WHERE { ?s a bg:Session } GROUP BY ?_source ORDER BY ?_source',
    });
    const body = await response.json();
    expect(body.results.bindings.map((b: Record<string, { value: string }>) => `${b._source!.value}=${b.n!.value}`)).toEqual([
      'lab-001=150',
      'memory-lab=60',
      'stroke-lab=143',
      'visual-lab=44',
    ]);
    expect(body.federation.sources.map((s: { name: string; kind: string }) => `${s.name}:${s.kind}`)).toEqual([
      'stroke-lab:benchgraph',
      'visual-lab:benchgraph',
      'memory-lab:benchgraph',
      'lab-001:sparql',
    ]);
  });

  it('answers POST /ask on the federator with rows from the remote archives and Virtuoso, as the union store counts them', async () => {
    const response = await fetch(endpoints.FEDERATION_URL!.replace(/\/sparql$/, '/ask'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How many sessions are there per archive?' }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { status: string; rows: { terms: Record<string, { value: string }> }[] };
    expect(answer.status).toBe('answered');
    const want = unionAnswer(store, 'PREFIX bg: <https://w3id.org/benchgraph/vocab#> SELECT DISTINCT ?s WHERE { ?s a bg:Session ; bg:subject ?x ; bg:modality ?m }');
    const perArchive = new Map<string, number>();
    for (const row of want.rows) {
      const archive = /\/id\/([^/]+)\//.exec(row)![1]!;
      perArchive.set(archive, (perArchive.get(archive) ?? 0) + 1);
    }
    expect(answer.rows.map((r) => `${r.terms.archive!.value}=${r.terms.sessions!.value}`)).toEqual(ARCHIVES.map((a) => `${a}=${perArchive.get(a)}`));
  });

  for (const q of queries) {
    it(`answers ${q.name} as one store holding the union does`, async () => {
      const want = unionAnswer(store, q.text);
      const response = await fetch(endpoints.FEDERATION_URL!, {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json' },
        body: q.text,
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.federation.warnings).toEqual([]);
      if (want.boolean !== undefined) expect(body.boolean).toBe(want.boolean);
      else expect(comparable(want.vars, body.results.bindings)).toEqual(want.rows);
    });
  }
});
