// The federation over the three demo archives of one server: source selection, plans, provenance, the /sparql
// protocol and formats, the CLI runner, and the federation file.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { runFederatedQuery } from '../src/federate/command.ts';
import { FederationConfigError, loadFederationFile, parseFederation } from '../src/federate/config.ts';
import type { Federation } from '../src/federate/federation.ts';
import { HttpError } from '../src/serve/errors.ts';
import { createFederation } from '../src/federate/federation.ts';
import { defaultOntologyFiles } from '../src/serve/context.ts';
import { federatedSparqlRoute, federationFor } from '../src/serve/federation-route.ts';
import { createHandler, type Handler } from '../src/serve/handler.ts';
import { startServer } from '../src/serve/server.ts';
import { demoDataDir, namedQueries } from './fixtures/federate/harness.ts';

const BG = 'PREFIX bg: <https://w3id.org/benchgraph/vocab#>\n';
const queries = new Map((await namedQueries()).map((q) => [q.name, q.text]));
let dataDir: string;
let handler: Handler;
let federation: Federation;
const sent: { source: string; query: string | undefined }[] = [];

beforeAll(async () => {
  dataDir = await demoDataDir('federate');
  handler = await createHandler({ dataDir, workers: 1, log: () => {} });
  federation = await federationFor(handler.context);
  await federation.refresh();
  federation.client.trace = (source, query) => sent.push({ source, query });
});

afterAll(async () => {
  await handler?.close(0);
  await rm(dataDir, { recursive: true, force: true });
});

async function traced(text: string) {
  sent.length = 0;
  const result = await federation.query(text);
  return { result, sent: sent.map((s) => s.source).sort() };
}

async function route(params: Record<string, string>, init: RequestInit = {}) {
  const url = new URL(`http://test.local/sparql?${new URLSearchParams(params)}`);
  return federatedSparqlRoute(handler.context, new Request(url, init), url);
}

async function routeError(params: Record<string, string>, init: RequestInit = {}): Promise<HttpError> {
  const error = await route(params, init).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

describe('source selection', () => {
  it('sends a query only to the archive whose values match it (the occlusion is stroke-lab only)', async () => {
    const { result, sent } = await traced(queries.get('sessions-after-stroke')!);
    expect(result.plan.mode).toBe('per-source');
    expect(sent).toEqual(['stroke-lab']);
    expect(result.bindings).toHaveLength(83);
  });

  it('answers subclass and part-of closure locally and prunes archives without matching regions', async () => {
    const { result, sent } = await traced(queries.get('sessions-by-taxon-and-region')!);
    expect(sent).toEqual(['memory-lab']);
    expect(result.plan.query).not.toContain('subClassOf');
    expect(new Set(result.bindings.map((b) => b.region!.value))).toEqual(
      new Set(['http://purl.obolibrary.org/obo/UBERON_0003881', 'http://purl.obolibrary.org/obo/UBERON_0001885']),
    );
  });

  it('answers an ordered query no source can answer with no rows and no request', async () => {
    // No demo archive has C. elegans: the plan is an empty pattern, and Comunica hands back its ORDER BY stream
    // already ended.
    const { result, sent } = await traced(`${BG}PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
      SELECT ?study ?sample WHERE {
        ?sample bg:inStudy ?study ; bg:species ?species .
        ?species rdfs:subClassOf* <http://purl.obolibrary.org/obo/NCBITaxon_6239> .
      } ORDER BY ?study`);
    expect(sent).toEqual([]);
    expect(result.bindings).toEqual([]);
  });

  it('writes a FILTER EXISTS turned into a join as valid SPARQL inside a UNION branch', async () => {
    const text = `${BG}PREFIX dcat: <http://www.w3.org/ns/dcat#>
      SELECT DISTINCT ?v WHERE {
        { ?st a bg:Study ; dcat:keyword ?v . FILTER EXISTS { ?x a bg:Session ; bg:inStudy ?st } }
        UNION { ?s bg:strain ?v }
      }`;
    const { result } = await traced(text);
    const expected = new Set<string>();
    for (const name of ['memory-lab', 'stroke-lab', 'visual-lab']) {
      const response = await handler(new Request(`http://test.local/archives/${name}/sparql?${new URLSearchParams({ query: text })}`));
      const json = (await response.json()) as { results: { bindings: { v: { value: string } }[] } };
      for (const b of json.results.bindings) expected.add(b.v.value);
    }
    expect(expected.size).toBeGreaterThan(3);
    expect(new Set(result.bindings.map((b) => b.v!.value))).toEqual(expected);
  });

  it('sends aggregates as partial counts, one row per archive, and sums them', async () => {
    const { result, sent } = await traced(queries.get('counts-per-archive')!);
    expect(sent).toEqual(['memory-lab', 'stroke-lab', 'visual-lab']);
    expect(result.plan.query).toMatch(/SUM\(\?_bg_a\d+\) AS \?sessions/);
    expect(result.sources.map((s) => [s.name, s.rows])).toEqual([
      ['memory-lab', 1],
      ['stroke-lab', 1],
      ['visual-lab', 1],
    ]);
  });

  it('groups by the variable of a COUNT(DISTINCT) at the sources and counts distinct values over their rows', async () => {
    const { result } = await traced(queries.get('modalities-in-several-archives')!);
    expect(result.plan.query).toMatch(/GROUP BY \?modality \?archive\n/);
    expect(result.plan.query).toContain('(COUNT(DISTINCT ?archive) AS ?archives)');
    expect(result.sources.map((s) => [s.name, s.rows])).toEqual([
      ['memory-lab', 2],
      ['stroke-lab', 3],
      ['visual-lab', 3],
    ]);
  });

  it('joins answers of different archives when they share a term (regions imaged in one lab, recorded in another)', async () => {
    const result = await federation.query(queries.get('regions-imaged-and-recorded')!);
    expect(result.plan.mode).toBe('decomposed');
    expect(result.plan.notes[0]).toBe('decomposed: answers of different sources may join on ?region');
    expect(result.bindings.map((b) => b.region!.value)).toEqual([
      'http://purl.obolibrary.org/obo/UBERON_0002436',
      'http://purl.obolibrary.org/obo/UBERON_0003881',
      'http://purl.obolibrary.org/obo/UBERON_0035894',
      'http://purl.obolibrary.org/obo/UBERON_0035895',
    ]);
  });

  it('sends a record IRI to its own archive only', async () => {
    const { result, sent } = await traced(
      `${BG}SELECT ?p WHERE { VALUES ?r { <http://localhost:8080/id/visual-lab/study/VIS-ORI> } ?r ?p ?o } LIMIT 1`,
    );
    expect(sent).toEqual(['visual-lab']);
    expect(result.bindings).toHaveLength(1);
  });
});

describe('provenance', () => {
  it('binds ?_source, ?_license and ?_citation per answer row', async () => {
    const result = await federation.query(`${BG}SELECT ?study ?_source ?_license WHERE { ?study a bg:Study } ORDER BY ?study`);
    expect(result.bindings.map((b) => [b.study!.value, b._source!.value, b._license!.value])).toEqual([
      ['http://localhost:8080/id/memory-lab/study/MEM-PLACE', 'memory-lab', 'http://spdx.org/licenses/CC-BY-4.0'],
      ['http://localhost:8080/id/stroke-lab/study/SR-2024', 'stroke-lab', 'http://spdx.org/licenses/CC-BY-4.0'],
      ['http://localhost:8080/id/visual-lab/study/VIS-ORI', 'visual-lab', 'http://spdx.org/licenses/CC0-1.0'],
    ]);
    const stroke = await federation.query(`${BG}SELECT DISTINCT ?_citation WHERE { ?s a bg:Session ; bg:inStudy <http://localhost:8080/id/stroke-lab/study/SR-2024> }`);
    expect(stroke.bindings.map((b) => b._citation!.value)).toEqual([
      'Varga I, Okafor T, Lindqvist M. Capillary stalling outlasts the recovery of surface blood flow after distal MCAO. Journal of Example Results (2024).',
    ]);
  });

  it('counts per archive with ?_source as a group key', async () => {
    const result = await federation.query(`${BG}SELECT ?_source (COUNT(*) AS ?n) WHERE { ?s a bg:Session } GROUP BY ?_source ORDER BY ?_source`);
    expect(result.bindings.map((b) => `${b._source!.value}=${b.n!.value}`)).toEqual(['memory-lab=60', 'stroke-lab=143', 'visual-lab=44']);
  });
});

describe('GET|POST /sparql', () => {
  it('answers SPARQL JSON with a federation member and names the archives that answered in a header', async () => {
    const response = await route({ query: queries.get('licences')! });
    expect(response.headers.get('content-type')).toBe('application/sparql-results+json');
    expect(response.headers.get('benchgraph-sources')).toBe('memory-lab, stroke-lab, visual-lab');
    expect(response.headers.get('benchgraph-warning')).toBeNull();
    const body = await response.json();
    expect(body.results.bindings).toHaveLength(3);
    expect(body.federation.complete).toBe(true);
    expect(body.federation.warnings).toEqual([]);
    expect(body.federation.sources.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'memory-lab:answered',
      'stroke-lab:answered',
      'visual-lab:answered',
    ]);
  });

  it('writes CSV, TSV and XML results as an archive endpoint does', async () => {
    const query = `${BG}SELECT ?study WHERE { ?study a bg:Study } ORDER BY ?study`;
    const csv = await route({ query }, { headers: { accept: 'text/csv' } });
    expect(await csv.text()).toBe(
      'study\r\nhttp://localhost:8080/id/memory-lab/study/MEM-PLACE\r\nhttp://localhost:8080/id/stroke-lab/study/SR-2024\r\nhttp://localhost:8080/id/visual-lab/study/VIS-ORI\r\n',
    );
    const tsv = await route({ query, format: 'tsv' });
    expect((await tsv.text()).split('\n').slice(0, 2)).toEqual(['?study', '<http://localhost:8080/id/memory-lab/study/MEM-PLACE>']);
    const xml = await route({ query }, { headers: { accept: 'application/sparql-results+xml' } });
    expect(await xml.text()).toContain('<binding name="study"><uri>http://localhost:8080/id/stroke-lab/study/SR-2024</uri></binding>');
  });

  it('answers ASK and CONSTRUCT', async () => {
    const ask = await route({ query: `${BG}ASK { ?s bg:modality bg:NeuropixelsRecording }` });
    expect((await ask.json()).boolean).toBe(true);
    const construct = await route(
      { query: `${BG}CONSTRUCT { ?s a bg:Study } WHERE { ?s a bg:Study }` },
      { headers: { accept: 'application/n-triples' } },
    );
    expect((await construct.text()).trim().split('\n').sort()).toEqual([
      '<http://localhost:8080/id/memory-lab/study/MEM-PLACE> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/benchgraph/vocab#Study> .',
      '<http://localhost:8080/id/stroke-lab/study/SR-2024> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/benchgraph/vocab#Study> .',
      '<http://localhost:8080/id/visual-lab/study/VIS-ORI> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/benchgraph/vocab#Study> .',
    ]);
  });

  it('takes POSTed queries and shows the plan with explain=true', async () => {
    const response = await route({ explain: 'true' }, { method: 'POST', headers: { 'content-type': 'application/sparql-query' }, body: queries.get('files-by-format')! });
    const body = await response.json();
    expect(body.results.bindings).toHaveLength(48);
    expect(body.federation.plan).toContain('SERVICE <http://benchgraph.local/archives/stroke-lab/sparql>');
  });

  it('refuses SERVICE clauses: only configured sources are ever contacted', async () => {
    const error = await routeError({ query: 'SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }' });
    expect([error.status, error.message]).toEqual([400, 'SERVICE is not allowed in federated queries: the federation chooses the sources']);
  });

  it('refuses FROM, dataset parameters, updates and malformed queries with what is expected', async () => {
    const from = await routeError({ query: 'SELECT * FROM <http://x/g> WHERE { ?s ?p ?o }' });
    expect([from.status, from.message]).toEqual([400, 'FROM and FROM NAMED are not supported by the federated endpoint; use GRAPH in the WHERE clause']);
    const dataset = await routeError({ query: 'SELECT * WHERE { ?s ?p ?o }', 'default-graph-uri': 'http://x/g' });
    expect(dataset.status).toBe(400);
    const update = await routeError({}, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: 'CLEAR ALL' });
    expect([update.status, update.message]).toEqual([403, 'SPARQL Update is not allowed on the federated endpoint: it is read-only']);
    const malformed = await routeError({ query: 'SELECT ?s WHERE { ?s ?p }' });
    expect(malformed.status).toBe(400);
    expect(malformed.message).toMatch(/^malformed query: Parse error on line 1/);
  });

  it('refuses a property path open at both ends, which Comunica cannot send to a source, and answers the next query', async () => {
    const open = await routeError({ query: 'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?a ?b WHERE { ?a rdfs:subClassOf* ?b } LIMIT 5' });
    expect([open.status, open.message]).toEqual([
      400,
      "the federated endpoint cannot evaluate a property path with * or + whose two ends are both variables (such as ?a rdfs:subClassOf* ?b); bind one end (a constant or VALUES) or ask an archive's own endpoint",
    ]);
    const next = await route({ query: 'SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/benchgraph/vocab#Study> }' });
    expect(next.status).toBe(200);
  });
});

describe('over HTTP', () => {
  it('federates archives served by another process through Comunica on Node 24 (undici 8)', async () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', workers: 1, log: () => {} });
    try {
      const yaml = `sources:\n${['memory-lab', 'stroke-lab', 'visual-lab'].map((n) => `  - { name: ${n}, type: benchgraph, url: "${server.url}/archives/${n}" }`).join('\n')}\n`;
      const remote = await createFederation({ config: parseFederation(yaml, 'http.yaml'), ontologyFiles: defaultOntologyFiles(), log: () => {} });
      const result = await remote.query(queries.get('sessions-by-taxon-and-region')!);
      expect(result.warnings).toEqual([]);
      expect(result.bindings).toHaveLength(59);
      expect(result.stats.requests).toBe(1);

      // A Triple Pattern Fragments interface as a source: Comunica's TPF client answers its patterns.
      const tpfYaml = [
        'sources:',
        `  - { name: stroke-tpf, type: tpf, url: "${server.url}/archives/stroke-lab/tpf" }`,
        `  - { name: visual-lab, type: benchgraph, url: "${server.url}/archives/visual-lab" }`,
      ].join('\n');
      const withTpf = await createFederation({ config: parseFederation(tpfYaml, 'tpf.yaml'), ontologyFiles: defaultOntologyFiles(), log: () => {} });
      const studies = await withTpf.query(`${BG}SELECT ?study ?_source WHERE { ?study a bg:Study } ORDER BY ?study`);
      expect(studies.warnings).toEqual([]);
      expect(studies.bindings.map((b) => `${b.study!.value} ${b._source!.value}`)).toEqual([
        'http://localhost:8080/id/stroke-lab/study/SR-2024 stroke-tpf',
        'http://localhost:8080/id/visual-lab/study/VIS-ORI visual-lab',
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('benchgraph serve --federation FILE', () => {
  it('federates only the sources of the file on /sparql', async () => {
    const file = join(dataDir, 'stroke-only.yaml');
    await writeFile(file, 'sources:\n  - { name: stroke, archive: stroke-lab }\n');
    const own = await createHandler({ dataDir, workers: 1, federation: file, log: () => {} });
    try {
      const response = await own(new Request(`http://test.local/sparql?${new URLSearchParams({ query: `${BG}SELECT DISTINCT ?_source WHERE { ?s a bg:Study }` })}`));
      expect(response.status).toBe(200);
      const rows = (await response.json()) as { results: { bindings: Record<string, { value: string }>[] } };
      expect(rows.results.bindings.map((b) => b._source!.value)).toEqual(['stroke']);
    } finally {
      await own.close(0);
    }
  });

  it('fails to start, naming the file, when the file names an archive the server does not serve', async () => {
    const file = join(dataDir, 'unknown.yaml');
    await writeFile(file, 'sources:\n  - { name: nowhere, archive: no-such-lab }\n');
    await expect(createHandler({ dataDir, workers: 1, federation: file, log: () => {} })).rejects.toThrow(/unknown\.yaml.*no-such-lab/);
  });
});

describe('benchgraph query --federated', () => {
  it('answers from the archives of a data directory', async () => {
    const out = await runFederatedQuery(loadConfig({ data: dataDir }, {}), `${BG}SELECT (COUNT(*) AS ?n) WHERE { ?s a bg:Session }`, { format: 'csv' });
    expect(out).toEqual({ status: 200, body: 'n\r\n247\r\n', mediaType: 'text/csv', warnings: [] });
  });

  it('returns the refusal of a bad query with its status', async () => {
    const out = await runFederatedQuery(loadConfig({ data: dataDir }, {}), 'SELECT', {});
    expect(out.status).toBe(400);
    expect(out.body).toMatch(/^malformed query: /);
  });
});

describe('federation file', () => {
  it('reads sources, durations, auth from the environment and the breaker', () => {
    const config = parseFederation(
      [
        'timeout: 5s',
        'breaker: { failures: 2, cooldown: 1m }',
        'sources:',
        '  - { name: stroke-lab, archive: stroke-lab }',
        '  - name: idr',
        '    type: sparql',
        '    url: https://idr.example.org/sparql/',
        '    auth: { env: IDR_TOKEN }',
        '    timeout: 1500',
        '    uriSpace: https://idr.example.org/id/',
        '  - { name: old, type: tpf, url: "http://tpf.example.org/dataset", enabled: false, ontology: false }',
      ].join('\n'),
      'federation.yaml',
      { IDR_TOKEN: 's3cret' },
    );
    expect(config.breaker).toEqual({ failures: 2, cooldownMs: 60_000 });
    expect(config.sources).toEqual([
      { name: 'stroke-lab', kind: 'archive', url: 'stroke-lab', timeoutMs: 5000, enabled: true, ontology: 'auto' },
      {
        name: 'idr',
        kind: 'sparql',
        url: 'https://idr.example.org/sparql',
        timeoutMs: 1500,
        enabled: true,
        ontology: 'auto',
        auth: { header: 'Authorization', env: 'IDR_TOKEN', value: 'Bearer s3cret' },
        uriSpace: 'https://idr.example.org/id/',
      },
      { name: 'old', kind: 'tpf', url: 'http://tpf.example.org/dataset', timeoutMs: 5000, enabled: false, ontology: false },
    ]);
  });

  it('documents every option in examples/federation.yaml, which loads', () => {
    const config = loadFederationFile(new URL('../examples/federation.yaml', import.meta.url).pathname, {});
    expect(config.sources.map((s) => `${s.name}:${s.kind}:${s.enabled}`)).toEqual([
      'stroke-lab:archive:true',
      'visual-lab:benchgraph:true',
      'memory-lab-virtuoso:sparql:true',
      'national-repository:sparql:false',
      'old-fragments:tpf:false',
    ]);
    expect([config.breaker, config.refreshMs]).toEqual([{ failures: 3, cooldownMs: 30_000 }, 30_000]);
  });

  it('names the file and line of what is wrong', () => {
    const bad = (text: string) => {
      try {
        parseFederation(text, 'fed.yaml', {});
      } catch (error) {
        expect(error).toBeInstanceOf(FederationConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a FederationConfigError');
    };
    expect(bad('sources:\n  - { name: a, type: sparql, url: "http://x/sparql", colour: red }\n')).toBe(
      'fed.yaml:2: sources[0].colour: unknown key; expected name, type, url, archive, auth, timeout, enabled, ontology, uriSpace, ignoreGraphs, license, citation',
    );
    expect(bad('sources:\n  - { name: a, type: sparql }\n')).toBe('fed.yaml:2: sources[0].url: expected an http(s) URL, found undefined');
    expect(bad('sources:\n  - { name: a, type: sparql, url: "http://x/s", auth: { env: NOPE } }\n')).toBe(
      'fed.yaml:2: sources[0].auth: environment variable NOPE is not set (it holds the Authorization value for "a")',
    );
    expect(bad('sources:\n  - { name: a, type: ftp, url: "http://x/s" }\n')).toBe('fed.yaml:2: sources[0].type: expected one of archive, benchgraph, sparql, tpf, found "ftp"');
  });
});
