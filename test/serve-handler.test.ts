// Every route of the HTTP handler, called in-process on the serve fixtures (demo, a private archive, generated data).
import type { Quad } from '@rdfjs/types';
import jsonld from 'jsonld';
import { Parser } from 'n3';
import { isomorphic } from 'rdf-isomorphic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixes } from '../src/namespaces.ts';
import { createHandler, type Handler } from '../src/serve/handler.ts';
import { BASE, buildServeData, FILE_TOKEN, OPTION_TOKEN, OPTION_TOKENS } from './fixtures/serve/archives.ts';

const ID = `${BASE}id/demo/`;
const PREFIXES = `PREFIX bg: <${prefixes.bg}> PREFIX rdfs: <${prefixes.rdfs}> `;
const SESSIONS = `${PREFIXES}SELECT ?s ?label WHERE { ?s a bg:Session ; rdfs:label ?label } ORDER BY ?s`;
const SESSIONS_JSON = JSON.stringify({
  head: { vars: ['s', 'label'] },
  results: {
    bindings: [1, 2, 3].map((n) => ({
      s: { type: 'uri', value: `${ID}session/S${n}` },
      label: { type: 'literal', value: `Session ${n}`, 'xml:lang': 'en' },
    })),
  },
});

let data: Awaited<ReturnType<typeof buildServeData>>;
let handler: Handler;
let logged: string[];

beforeAll(async () => {
  data = await buildServeData({ synthetic: 30 });
  logged = [];
  handler = await createHandler({
    dataDir: data.dataDir,
    baseIri: BASE,
    ontologyFiles: [],
    workers: 2,
    tokens: OPTION_TOKENS,
    maxBodyBytes: 4096,
    tpfPageSize: 10,
    log: (m) => logged.push(m),
  });
}, 30_000);

afterAll(async () => {
  await handler?.close();
  await data?.cleanup();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await handler(new Request(`http://test.example${path}`, init));
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const q = (query: string, extra = '') => `/archives/demo/sparql?query=${encodeURIComponent(query)}${extra}`;

function parseRdf(text: string, format: string): Quad[] {
  return new Parser({ format }).parse(text);
}

describe('SPARQL protocol', () => {
  it('answers a GET query with SPARQL JSON by default', async () => {
    const r = await call(q(SESSIONS));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/sparql-results+json');
    expect(r.headers.get('vary')).toBe('Accept');
    expect(r.body).toBe(SESSIONS_JSON);
  });

  it('gives the same answer to a form POST and an application/sparql-query POST', async () => {
    const form = await call('/archives/demo/sparql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: SESSIONS }).toString(),
    });
    const direct = await call('/archives/demo/sparql', {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query; charset=utf-8' },
      body: SESSIONS,
    });
    expect([form.status, form.body]).toEqual([200, SESSIONS_JSON]);
    expect([direct.status, direct.body]).toEqual([200, SESSIONS_JSON]);
  });

  it('negotiates results formats by q-value and by the format parameter', async () => {
    const query = `${PREFIXES}SELECT ?s ?note WHERE { ?s bg:note ?note }`;
    const tsv = await call(q(query), { headers: { accept: 'text/csv;q=0.5, text/tab-separated-values' } });
    expect(tsv.headers.get('content-type')).toBe('text/tab-separated-values; charset=utf-8');
    expect(tsv.body).toBe(`?s\t?note\n<${ID}session/S2>\t"line one\\nline two, with \\"quotes\\""\n`);
    const csv = await call(q(query, '&format=csv'), { headers: { accept: 'application/sparql-results+json' } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe(`s,note\r\n${ID}session/S2,"line one\nline two, with ""quotes"""\r\n`);
    const xml = await call(q(`${PREFIXES}ASK { ?s bg:note ?n }`), { headers: { accept: 'application/xml' } });
    expect(xml.headers.get('content-type')).toBe('application/sparql-results+xml');
    expect(xml.body).toBe(
      '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head></head><boolean>true</boolean></sparql>',
    );
  });

  it('answers CONSTRUCT in the RDF format asked for', async () => {
    const query = `${PREFIXES}CONSTRUCT WHERE { ?s a bg:Subject }`;
    const expected = [`<${ID}subject/M1> <${prefixes.rdf}type> <${prefixes.bg}Subject> .`, `<${ID}subject/M2> <${prefixes.rdf}type> <${prefixes.bg}Subject> .`];
    const nt = await call(q(query), { headers: { accept: 'application/n-triples, text/turtle;q=0.9' } });
    expect(nt.headers.get('content-type')).toBe('application/n-triples');
    expect(nt.body.trim().split('\n').sort()).toEqual(expected);
    const turtle = await call(q(query));
    expect(turtle.headers.get('content-type')).toBe('text/turtle; charset=utf-8');
    expect(isomorphic(parseRdf(turtle.body, 'Turtle'), parseRdf(nt.body, 'N-Triples'))).toBe(true);
    const ld = await call(q(query, '&format=jsonld'));
    expect(ld.headers.get('content-type')).toBe('application/ld+json');
    const fromLd = (await jsonld.toRDF(JSON.parse(ld.body), { format: 'application/n-quads' })) as unknown as string;
    expect(isomorphic(parseRdf(fromLd, 'N-Quads'), parseRdf(nt.body, 'N-Triples'))).toBe(true);
    const xml = await call(q(query), { headers: { accept: 'application/rdf+xml' } });
    expect(xml.headers.get('content-type')).toBe('application/rdf+xml');
    expect(xml.body).toContain(`rdf:about="${ID}subject/M2"`);
  });

  it('takes the dataset from default-graph-uri and named-graph-uri', async () => {
    const types = `${PREFIXES}SELECT ?s WHERE { ?s a ?c } ORDER BY ?s`;
    const r = await call(q(types, `&default-graph-uri=${encodeURIComponent(`${ID}session/S1`)}&format=tsv`));
    expect(r.body).toBe(`?s\n<${ID}session/S1>\n<${ID}subject/M1>\n`);
    const graphs = `SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g`;
    const named = await call(
      q(graphs, `&named-graph-uri=${encodeURIComponent(`${ID}subject/M1`)}&named-graph-uri=${encodeURIComponent(`${ID}subject/M2`)}&format=tsv`),
    );
    expect(named.body).toBe(`?g\t?n\n<${ID}subject/M1>\t4\n<${ID}subject/M2>\t4\n`);
    // Without the parameters the default graph is the union of every record (and the provenance).
    const all = await call(q(`${PREFIXES}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a bg:Session }`, '&format=csv'));
    expect(all.body).toBe('n\r\n3\r\n');
  });

  it('resolves relative IRIs in a query against the service URL', async () => {
    const r = await call(q('CONSTRUCT { <s> <p> 1 } WHERE {}'), { headers: { accept: 'application/n-triples' } });
    expect(r.body).toBe(
      '<http://test.example/archives/demo/s> <http://test.example/archives/demo/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
    );
  });

  it('describes the service when asked without a query', async () => {
    const r = await call('/archives/demo/sparql', { headers: { accept: 'text/turtle' } });
    expect(r.status).toBe(200);
    const quads = parseRdf(r.body, 'Turtle');
    expect(quads.some((x) => x.predicate.value === `${prefixes.sd}endpoint` && x.object.value === 'http://test.example/archives/demo/sparql')).toBe(true);
  });
});

describe('SPARQL protocol errors', () => {
  it('answers 400 for a malformed query with the parser messages and positions', async () => {
    const r = await call(q('SELECT * WHERE { ?s ?p }'));
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.body.split('\n').slice(0, 4)).toEqual([
      'malformed query: error at 1:25: expected one of LATERAL, SERVICE, [_]',
      'Parse error on line 1:',
      '...ECT * WHERE { ?s ?p }',
      '-----------------------^',
    ]);
    const prefix = await call(q('SELECT * WHERE { ?s ex:p ?o }'));
    expect(prefix.body).toBe('malformed query: error at 1:26: expected OPTIONAL\nUnknown prefix: ex\n');
  });

  it('answers 400 for an update sent as a query, two queries, and a bad dataset IRI', async () => {
    const update = await call(q('PREFIX x: <http://e/> INSERT DATA { x:a x:b x:c }'));
    expect([update.status, update.body]).toEqual([
      400,
      'expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE) but found an update (INSERT); updates are not accepted here, archives change through ingest\n',
    ]);
    const two = await call(`${q('ASK {}')}&query=ASK%7B%7D`);
    expect([two.status, two.body]).toEqual([400, 'expected one "query" parameter, found 2\n']);
    const dataset = await call(q('ASK {}', '&default-graph-uri=not%20an%20iri'));
    expect([dataset.status, dataset.body]).toEqual([400, 'default-graph-uri must be an absolute IRI, found "not an iri"\n']);
  });

  it('refuses updates with 403 on the public route', async () => {
    for (const init of [
      { headers: { 'content-type': 'application/sparql-update' }, body: 'CLEAR ALL' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'update=CLEAR%20ALL' },
    ]) {
      const r = await call('/archives/demo/sparql', { method: 'POST', ...init });
      expect([r.status, r.body]).toEqual([
        403,
        'SPARQL Update is not allowed on archive "demo": the endpoint is read-only; archives change through ingest (benchgraph ingest)\n',
      ]);
    }
    const still = await call(q(`${PREFIXES}SELECT (COUNT(*) AS ?n) WHERE { ?s a bg:Session }`, '&format=csv'));
    expect(still.body).toBe('n\r\n3\r\n');
  });

  it('answers 415 for an unsupported body type or charset', async () => {
    const plain = await call('/archives/demo/sparql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'ASK {}' });
    expect([plain.status, plain.body]).toEqual([
      415,
      'Content-Type text/plain is not accepted; send application/sparql-query, or application/x-www-form-urlencoded with a "query" field\n',
    ]);
    const latin = await call('/archives/demo/sparql', {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query; charset=ISO-8859-1' },
      body: 'ASK {}',
    });
    expect([latin.status, latin.body]).toEqual([415, 'the request body must be UTF-8; charset=iso-8859-1 is not supported\n']);
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await call('/archives/demo/sparql', {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query' },
      body: `ASK {} # ${'x'.repeat(5000)}`,
    });
    expect([r.status, r.body]).toEqual([413, 'the request body is larger than 4096 bytes, the most this server accepts\n']);
  });

  it('answers 406 when no acceptable format fits the query form', async () => {
    const r = await call(q('SELECT * WHERE { ?s ?p ?o } LIMIT 1'), { headers: { accept: 'text/turtle' } });
    expect(r.status).toBe(406);
    expect(r.body).toBe(
      'none of the requested media types (text/turtle) is available here; available: application/sparql-results+json, ' +
        'application/sparql-results+xml, text/csv, text/tab-separated-values\n',
    );
  });

  it('answers 405 with Allow for other methods, and 204 to a CORS preflight', async () => {
    const put = await call('/archives/demo/sparql', { method: 'PUT', body: 'x' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
    const options = await call('/archives/demo/sparql', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, OPTIONS');
    expect(options.headers.get('access-control-allow-headers')).toBe('Accept, Content-Type, Authorization');
  });

  it('answers 404 naming the public archives for an unknown one', async () => {
    for (const path of ['/archives/nope/sparql?query=ASK%7B%7D', '/archives/nope', '/id/nope/session/S1']) {
      const r = await call(path);
      expect([r.status, r.body]).toEqual([404, 'no archive "nope" here; archives: demo, synthetic\n']);
    }
    const other = await call('/elsewhere');
    expect(other.status).toBe(404);
  });

  it('answers 422 when a result exceeds the row limit, and the bounded result when it does not', async () => {
    const small = await createHandler({ dataDir: data.dataDir, archives: ['demo'], baseIri: BASE, ontologyFiles: [], workers: 1, maxResultRows: 5 });
    try {
      const ask = async (query: string, accept: string) => {
        const r = await small(new Request(`http://x${q(query)}`, { headers: { accept } }));
        return { status: r.status, body: await r.text() };
      };
      const many = await ask('SELECT * WHERE { ?s ?p ?o }', 'text/csv');
      expect(many).toEqual({
        status: 422,
        body:
          'the result has more than 5 rows, the most this server returns in one response; page through it with LIMIT ' +
          'and OFFSET (or narrow the query)\n',
      });
      const graph = await ask('CONSTRUCT WHERE { ?s ?p ?o }', 'text/turtle');
      expect(graph.status).toBe(422);
      expect(graph.body.startsWith('the result has more than 5 triples')).toBe(true);
      const exact = await ask(`${PREFIXES}SELECT DISTINCT ?s WHERE { ?s a bg:Subject } ORDER BY ?s`, 'text/tab-separated-values');
      expect(exact).toEqual({ status: 200, body: `?s\n<${ID}subject/M1>\n<${ID}subject/M2>\n` });
      const paged = await ask('SELECT ?s WHERE { ?s ?p ?o } LIMIT 5', 'application/sparql-results+json');
      expect(paged.status).toBe(200);
      expect(JSON.parse(paged.body).results.bindings).toHaveLength(5);
    } finally {
      await small.close();
    }
  });
});

describe('test mode for the W3C protocol tests', () => {
  it('executes updates by POST in memory only, and still refuses them by GET', async () => {
    const testing = await createHandler({ dataDir: data.dataDir, archives: ['demo'], baseIri: BASE, ontologyFiles: [], allowUpdates: true });
    const ask = 'ASK { GRAPH <http://e/g> { <http://e/a> <http://e/b> "c" } }';
    try {
      const send = async (path: string, init: RequestInit = {}) => {
        const r = await testing(new Request(`http://x${path}`, init));
        return { status: r.status, body: await r.text() };
      };
      expect(testing.context.pool.stats().workers).toBe(1);
      const direct = await send('/archives/demo/sparql', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: 'INSERT DATA { GRAPH <http://e/g> { <http://e/a> <http://e/b> "c" } }',
      });
      expect(direct).toEqual({ status: 204, body: '' });
      await send('/archives/demo/sparql', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: 'INSERT DATA { <http://e/a> <http://e/kept> "until restart" }',
      });
      expect((await send(q(ask))).body).toBe('{"head":{},"boolean":true}');
      const form = await send('/archives/demo/sparql', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ update: 'CLEAR GRAPH <http://e/g>' }).toString(),
      });
      expect(form.status).toBe(204);
      expect((await send(q(ask))).body).toBe('{"head":{},"boolean":false}');
      // The protocol's using-graph-uri sets the dataset of the update's WHERE clause.
      const using = await send(`/archives/demo/sparql?using-graph-uri=${encodeURIComponent(`${ID}subject/M2`)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: `INSERT { GRAPH <http://e/out> { ?s <http://e/seen> true } } WHERE { ?s a <${prefixes.bg}Subject> }`,
      });
      expect(using.status).toBe(204);
      expect((await send(q('SELECT ?s WHERE { GRAPH <http://e/out> { ?s ?p ?o } }', '&format=tsv'))).body).toBe(
        `?s\n<${ID}subject/M2>\n`,
      );
      // Relative IRIs resolve against the service URL.
      await send('/archives/demo/sparql', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: 'INSERT DATA { GRAPH <http://e/rel> { <s> <p> <o> } }',
      });
      expect((await send(q('SELECT ?s WHERE { GRAPH <http://e/rel> { ?s ?p ?o } }', '&format=tsv'))).body).toBe(
        '?s\n<http://x/archives/demo/s>\n',
      );
      expect(await send(`/archives/demo/sparql?update=${encodeURIComponent('CLEAR ALL')}`)).toEqual({
        status: 400,
        body: 'SPARQL Update must be sent by POST, not GET\n',
      });
      const bad = await send('/archives/demo/sparql', {
        method: 'POST',
        headers: { 'content-type': 'application/sparql-update' },
        body: 'INSERT DATA { <http://e/a> }',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.startsWith('malformed query: error at 1:')).toBe(true);
    } finally {
      await testing.close();
    }
    // Nothing reached the archive on disk: a server started afterwards does not see the update.
    const after = await createHandler({ dataDir: data.dataDir, archives: ['demo'], baseIri: BASE, ontologyFiles: [], workers: 1 });
    try {
      const r = await after(new Request(`http://x${q('ASK { <http://e/a> ?p ?o }')}`));
      expect(await r.text()).toBe('{"head":{},"boolean":false}');
    } finally {
      await after.close();
    }
  });
});

describe('Triple Pattern Fragments', () => {
  const typeFragment = `/archives/demo/tpf?predicate=${encodeURIComponent(`${prefixes.rdf}type`)}&graph=urn%3Aldf%3AdefaultGraph`;

  it('serves a fragment of the default graph with its count and controls in a metadata graph (TriG)', async () => {
    const r = await call(typeFragment, { headers: { accept: 'application/trig' } });
    expect(r.headers.get('content-type')).toBe('application/trig');
    const quads = parseRdf(r.body, 'TriG');
    const pageUrl = `http://test.example${typeFragment}`;
    const meta = quads.filter((x) => x.graph.value === `${pageUrl}#metadata`);
    const dataQuads = quads.filter((x) => x.graph.termType === 'DefaultGraph');
    expect(dataQuads).toHaveLength(10);
    expect(dataQuads.every((x) => x.predicate.value === `${prefixes.rdf}type`)).toBe(true);
    const value = (s: string, p: string) => meta.filter((x) => x.subject.value === s && x.predicate.value === p).map((x) => x.object.value);
    // 3 sessions, 2 subjects (M1's type sits in two records but counts once), 1 study, 5 provenance resources.
    expect(value(pageUrl, `${prefixes.hydra}totalItems`)).toEqual(['11']);
    expect(value(pageUrl, `${prefixes.void}triples`)).toEqual(['11']);
    expect(value(pageUrl, `${prefixes.hydra}itemsPerPage`)).toEqual(['10']);
    const dataset = 'http://test.example/archives/demo/tpf#dataset';
    expect(value(`${pageUrl}#metadata`, `${prefixes.foaf}primaryTopic`)).toEqual([dataset]);
    expect(value(dataset, `${prefixes.void}subset`)).toEqual([pageUrl]);
    expect(value(dataset, `${prefixes.sd}defaultGraph`)).toEqual(['urn:ldf:defaultGraph']);
    const base = `http://test.example/archives/demo/tpf?predicate=${encodeURIComponent(`${prefixes.rdf}type`)}&graph=urn%3Aldf%3AdefaultGraph`;
    expect(value(pageUrl, `${prefixes.hydra}first`)).toEqual([`${base}&page=1`]);
    expect(value(pageUrl, `${prefixes.hydra}next`)).toEqual([`${base}&page=2`]);
    expect(value(pageUrl, `${prefixes.hydra}previous`)).toEqual([]);
    const search = value(dataset, `${prefixes.hydra}search`)[0];
    expect(value(search, `${prefixes.hydra}template`)).toEqual(['http://test.example/archives/demo/tpf{?subject,predicate,object,graph}']);
    const mappings = value(search, `${prefixes.hydra}mapping`).map((m) => value(m, `${prefixes.hydra}property`)[0]);
    expect(mappings.sort()).toEqual([`${prefixes.rdf}object`, `${prefixes.rdf}predicate`, `${prefixes.rdf}subject`, `${prefixes.sd}graph`]);
  });

  it('pages through a pattern: every triple once, previous/next links, the last page short', async () => {
    const seen: Quad[] = [];
    let url: string | undefined = 'http://test.example/archives/demo/tpf?graph=urn%3Aldf%3AdefaultGraph';
    let pages = 0;
    let lastPrevious: string[] = [];
    while (url) {
      const r = await handler(new Request(url, { headers: { accept: 'application/n-quads' } }));
      const quads = parseRdf(await r.text(), 'N-Quads');
      const meta = quads.filter((x) => x.graph.termType !== 'DefaultGraph');
      seen.push(...quads.filter((x) => x.graph.termType === 'DefaultGraph'));
      const next = meta.find((x) => x.subject.value === url && x.predicate.value === `${prefixes.hydra}next`);
      lastPrevious = meta.filter((x) => x.subject.value === url && x.predicate.value === `${prefixes.hydra}previous`).map((x) => x.object.value);
      url = next?.object.value;
      pages++;
    }
    const all = await call(q('CONSTRUCT WHERE { ?s ?p ?o }'), { headers: { accept: 'application/n-triples' } });
    const expected = parseRdf(all.body, 'N-Triples');
    expect(seen).toHaveLength(expected.length);
    expect(pages).toBe(Math.ceil(expected.length / 10));
    expect(isomorphic(seen, expected)).toBe(true);
    expect(lastPrevious).toEqual([`http://test.example/archives/demo/tpf?graph=urn%3Aldf%3AdefaultGraph&page=${pages - 1}`]);
  });

  it('serves quads of one named graph, or of every graph when graph is not given', async () => {
    const s1 = `${ID}session/S1`;
    const one = await call(`/archives/demo/tpf?graph=${encodeURIComponent(s1)}`, { headers: { accept: 'application/n-quads' } });
    const dataQuads = parseRdf(one.body, 'N-Quads').filter((x) => x.graph.value === s1);
    expect(dataQuads).toHaveLength(7);
    const any = await call(`/archives/demo/tpf?subject=${encodeURIComponent(`${ID}subject/M1`)}&predicate=${encodeURIComponent(`${prefixes.rdf}type`)}`, {
      headers: { accept: 'application/n-quads' },
    });
    const graphs = parseRdf(any.body, 'N-Quads')
      .filter((x) => x.subject.value === `${ID}subject/M1`)
      .map((x) => x.graph.value)
      .sort();
    expect(graphs).toEqual([`${ID}session/S1`, `${ID}subject/M1`]);
  });

  it('writes fragments as Turtle, N-Triples, JSON-LD and HTML', async () => {
    const literal = `/archives/demo/tpf?object=${encodeURIComponent('"mouse M1"')}`;
    const turtle = await call(literal);
    expect(turtle.headers.get('content-type')).toBe('text/turtle; charset=utf-8');
    const triples = parseRdf(turtle.body, 'Turtle');
    expect(triples.filter((x) => x.object.value === 'mouse M1').map((x) => x.subject.value)).toEqual([`${ID}subject/M1`]);
    expect(triples.some((x) => x.predicate.value === `${prefixes.hydra}totalItems` && x.object.value === '1')).toBe(true);
    const nt = await call(literal, { headers: { accept: 'application/n-triples' } });
    expect(isomorphic(parseRdf(nt.body, 'N-Triples'), triples)).toBe(true);
    const ld = await call(`${literal}&format=jsonld`);
    const fromLd = parseRdf((await jsonld.toRDF(JSON.parse(ld.body), { format: 'application/n-quads' })) as unknown as string, 'N-Quads');
    expect(fromLd.filter((x) => x.object.value === 'mouse M1')).toHaveLength(1);
    const html = await call(literal, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<input name="object" value="&#34;mouse M1&#34;" size="80">');
  });

  it('answers 400 for a pattern it cannot match', async () => {
    const r = await call('/archives/demo/tpf?subject=_%3Ab1');
    expect([r.status, r.body]).toEqual([400, 'subject _:b1: blank nodes cannot be matched, they are local to the page that shows them\n']);
  });
});

describe('Linked Data', () => {
  const s1 = `${ID}session/S1`;
  const s1Graph = async () => {
    const r = await call(q(`CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <${s1}> { ?s ?p ?o } }`), { headers: { accept: 'application/n-triples' } });
    return parseRdf(r.body, 'N-Triples');
  };

  it('dereferences a record IRI to its graph as Turtle, JSON-LD (default graph) and TriG (named graph)', async () => {
    const expected = await s1Graph();
    expect(expected).toHaveLength(7);
    const turtle = await call('/id/demo/session/S1');
    expect([turtle.status, turtle.headers.get('content-type')]).toEqual([200, 'text/turtle; charset=utf-8']);
    expect(isomorphic(parseRdf(turtle.body, 'Turtle'), expected)).toBe(true);
    const ld = await call('/id/demo/session/S1', { headers: { accept: 'application/ld+json' } });
    const fromLd = parseRdf((await jsonld.toRDF(JSON.parse(ld.body), { format: 'application/n-quads' })) as unknown as string, 'N-Quads');
    expect(isomorphic(fromLd, expected)).toBe(true);
    const trig = await call('/id/demo/session/S1', { headers: { accept: 'application/trig' } });
    expect(parseRdf(trig.body, 'TriG').every((x) => x.graph.value === s1)).toBe(true);
    const xml = await call('/id/demo/session/S1?format=rdfxml');
    expect(xml.body).toContain(`rdf:about="${s1}"`);
  });

  it('shows people an HTML page with the triples and the provenance', async () => {
    const r = await call('/id/demo/session/S1', { headers: { accept: 'text/html' } });
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.body).toContain(`<title>${s1}</title>`);
    expect(r.body).toContain('<a href="https://w3id.org/benchgraph/vocab#pixelSize">bg:pixelSize</a>');
    expect(r.body).toContain('<h2>Provenance</h2>');
    expect(r.body).toContain('prov:wasGeneratedBy');
  });

  it('answers 404 for an IRI the archive does not hold', async () => {
    const r = await call('/id/demo/session/S9');
    expect([r.status, r.body]).toEqual([404, `archive "demo" has nothing about <${ID}session/S9>\n`]);
  });
});

describe('private archives', () => {
  const sameRefusal = {
    status: 401,
    body: 'archive "secret" is private: send "Authorization: Bearer <token>" with a token issued for it\n',
  };

  it('answers 401 on every route without a valid token, whether or not the record exists', async () => {
    for (const path of [
      '/archives/secret',
      '/archives/secret/sparql?query=ASK%7B%7D',
      '/archives/secret/tpf',
      '/id/secret/session/P1',
      '/id/secret/session/NOPE',
    ]) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
        const r = await call(path, { headers });
        expect({ status: r.status, body: r.body }).toEqual(sameRefusal);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="benchgraph"');
      }
    }
  });

  it('serves a client with a token from tokens.json or from the server options, never to shared caches', async () => {
    for (const token of [FILE_TOKEN, OPTION_TOKEN]) {
      const r = await call('/id/secret/session/P1', { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('private, no-store');
      expect(r.body).toContain('"Unpublished session"');
    }
    const missing = await call('/id/secret/session/NOPE', { headers: { authorization: `Bearer ${FILE_TOKEN}` } });
    expect(missing.status).toBe(404);
  });

  it('is left out of listings and of the names in 404 answers', async () => {
    const list = await call('/archives');
    expect(JSON.parse(list.body).archives.map((a: { name: string }) => a.name)).toEqual(['demo', 'synthetic']);
    const html = await call('/archives', { headers: { accept: 'text/html' } });
    expect(html.body).not.toContain('secret');
  });
});

describe('descriptions, listing, health and metrics', () => {
  it('describes an archive with VoID, SPARQL Service Description and DCAT', async () => {
    const r = await call('/archives/demo', { headers: { accept: 'text/turtle' } });
    expect(r.status).toBe(200);
    const quads = parseRdf(r.body, 'Turtle');
    const dataset = 'http://test.example/archives/demo#dataset';
    const objects = (s: string, p: string) => quads.filter((x) => x.subject.value === s && x.predicate.value === p).map((x) => x.object.value);
    expect(objects(dataset, `${prefixes.rdf}type`).sort()).toEqual([`${prefixes.void}Dataset`, `${prefixes.dcat}Dataset`].sort());
    expect(objects(dataset, `${prefixes.dcterms}title`)).toEqual(['Demo lab']);
    expect(objects(dataset, `${prefixes.dcterms}license`)).toEqual(['https://creativecommons.org/licenses/by/4.0/']);
    expect(objects(dataset, `${prefixes.void}sparqlEndpoint`)).toEqual(['http://test.example/archives/demo/sparql']);
    const triples = await call(q('SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT * WHERE { ?s ?p ?o } }', '&format=csv'));
    expect(objects(dataset, `${prefixes.void}triples`)).toEqual([triples.body.split('\r\n')[1]]);
    const sessionPartition = objects(dataset, `${prefixes.void}classPartition`).find(
      (p) => objects(p, `${prefixes.void}class`)[0] === `${prefixes.bg}Session`,
    );
    expect(objects(sessionPartition ?? '', `${prefixes.void}entities`)).toEqual(['3']);
    expect(objects(dataset, `${prefixes.void}uriSpace`)).toEqual([ID]);
    const service = 'http://test.example/archives/demo/sparql';
    expect(objects(service, `${prefixes.sd}endpoint`)).toEqual(['http://test.example/archives/demo/sparql']);
    expect(objects(service, `${prefixes.dcat}endpointURL`)).toEqual(['http://test.example/archives/demo/sparql']);
    expect(objects(service, `${prefixes.sd}supportedLanguage`)).toEqual([`${prefixes.sd}SPARQL11Query`]);
    const tpf = 'http://test.example/archives/demo#tpf-service';
    expect(objects(tpf, `${prefixes.dcat}endpointURL`)).toEqual(['http://test.example/archives/demo/tpf']);
  });

  it('gives the description as JSON-LD and as HTML', async () => {
    const ld = await call('/archives/demo?format=jsonld');
    const fromLd = parseRdf((await jsonld.toRDF(JSON.parse(ld.body), { format: 'application/n-quads' })) as unknown as string, 'N-Quads');
    const turtle = await call('/archives/demo?format=ttl');
    expect(isomorphic(fromLd, parseRdf(turtle.body, 'Turtle'))).toBe(true);
    const html = await call('/archives/demo', { headers: { accept: 'text/html' } });
    expect(html.body).toContain('<title>Demo lab</title>');
    expect(html.body).toContain('<form action="http://test.example/archives/demo/sparql" method="get">');
  });

  it('lists the public archives as JSON', async () => {
    const r = await call('/archives');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(r.body).archives[0]).toEqual({
      name: 'demo',
      title: 'Demo lab',
      description: 'Stroke recovery sessions of two mice.',
      records: 6,
      triples: 28,
      url: 'http://test.example/archives/demo',
      sparql: 'http://test.example/archives/demo/sparql',
      tpf: 'http://test.example/archives/demo/tpf',
    });
  });

  it('reports health, and answers HEAD without a body', async () => {
    const r = await call('/health');
    expect([r.status, JSON.parse(r.body)]).toEqual([
      200,
      { status: 'ok', archives: 2, workers: { total: 2, ready: 2, busy: 0 }, queued: 0 },
    ]);
    const head = await call('/archives/demo', { method: 'HEAD', headers: { accept: 'text/turtle' } });
    expect([head.status, head.body, head.headers.get('content-type')]).toEqual([200, '', 'text/turtle; charset=utf-8']);
  });

  it('gives the IRI space the records were minted in as void:uriSpace, even under another server base', async () => {
    const other = await createHandler({ dataDir: data.dataDir, archives: ['demo'], baseIri: 'http://elsewhere.example/', ontologyFiles: [], workers: 1, log: () => {} });
    try {
      const r = await other(new Request('http://test.example/archives/demo', { headers: { accept: 'application/n-triples' } }));
      const quads = parseRdf(await r.text(), 'N-Triples');
      expect(quads.filter((x) => x.predicate.value === `${prefixes.void}uriSpace`).map((x) => x.object.value)).toEqual([ID]);
    } finally {
      await other.close(0);
    }
  });

  it('counts requests by route template and status in Prometheus text', async () => {
    const fresh = await createHandler({ dataDir: data.dataDir, archives: ['demo'], baseIri: BASE, ontologyFiles: [], workers: 1 });
    try {
      for (const path of ['/archives/demo/sparql?query=ASK%7B%7D', '/archives/demo/sparql?query=ASK%7B%7D', '/archives/demo/sparql?query=ASK', '/id/demo/session/S1', '/nowhere']) {
        await fresh(new Request(`http://x${path}`));
      }
      const r = await fresh(new Request('http://x/metrics'));
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await r.text();
      const counters = text.split('\n').filter((l) => l.startsWith('benchgraph_http_requests_total{'));
      expect(counters).toEqual([
        'benchgraph_http_requests_total{route="/archives/{name}/sparql",method="GET",status="200"} 2',
        'benchgraph_http_requests_total{route="/archives/{name}/sparql",method="GET",status="400"} 1',
        'benchgraph_http_requests_total{route="/id/{archive}/{path}",method="GET",status="200"} 1',
        'benchgraph_http_requests_total{route="unmatched",method="GET",status="404"} 1',
      ]);
      expect(text).toContain('benchgraph_http_request_duration_seconds_count{route="/archives/{name}/sparql"} 3');
      expect(text).toContain('benchgraph_query_workers 1\n');
      expect(text).toContain('benchgraph_query_timeouts_total 0\n');
    } finally {
      await fresh.close();
    }
  });

  it('logged nothing unexpected', () => {
    expect(logged).toEqual([]);
  });
});
