// The serving layer's pure parts: content negotiation, the row limit, TPF parameters, JSON-LD output, tokens.
import jsonld from 'jsonld';
import { DataFactory, Parser } from 'n3';
import { isomorphic } from 'rdf-isomorphic';
import { describe, expect, it } from 'vitest';
import { prefixes } from '../src/namespaces.ts';
import { hashToken, requireToken } from '../src/serve/auth.ts';
import { FORMATS, negotiate, parseAccept } from '../src/serve/conneg.ts';
import { HttpError } from '../src/serve/errors.ts';
import { writeRdf } from '../src/serve/rdf-out.ts';
import { boundQuery, countRows } from '../src/serve/row-limit.ts';
import { withUsing } from '../src/serve/sparql.ts';
import { fragmentQueries, parseFragmentRequest } from '../src/serve/tpf.ts';

const RESULTS = [FORMATS.sparqlJson, FORMATS.sparqlXml, FORMATS.csv, FORMATS.tsv];
const GRAPHS = [FORMATS.turtle, FORMATS.ntriples, FORMATS.jsonld, FORMATS.rdfxml];

function statusOf(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('content negotiation', () => {
  it('gives the first offer when there is no Accept header or it is */*', () => {
    expect(negotiate(RESULTS, null).mediaType).toBe('application/sparql-results+json');
    expect(negotiate(GRAPHS, '*/*').mediaType).toBe('text/turtle');
  });

  it('picks the highest q-value, the most specific range deciding each type', () => {
    const accept = 'text/*;q=0.3, text/csv;q=0.9, application/sparql-results+xml;q=0.5, */*;q=0.1';
    expect(negotiate(RESULTS, accept).mediaType).toBe('text/csv');
    expect(negotiate(RESULTS, 'text/csv;q=0, text/*;q=0.8').mediaType).toBe('text/tab-separated-values');
  });

  it('breaks ties in the server order and accepts aliases such as application/json', () => {
    expect(negotiate(RESULTS, 'text/tab-separated-values, text/csv').mediaType).toBe('text/csv');
    expect(negotiate(RESULTS, 'application/json').mediaType).toBe('application/sparql-results+json');
    expect(negotiate(GRAPHS, 'application/json').mediaType).toBe('application/ld+json');
    expect(negotiate(GRAPHS, 'application/xml').mediaType).toBe('application/rdf+xml');
  });

  it('lets a format parameter override Accept, by short name or media type', () => {
    expect(negotiate(RESULTS, 'application/sparql-results+json', 'tsv').mediaType).toBe('text/tab-separated-values');
    expect(negotiate(GRAPHS, null, 'application/n-triples').mediaType).toBe('application/n-triples');
    expect(negotiate(GRAPHS, null, 'json').mediaType).toBe('application/ld+json');
  });

  it('answers 406 naming what is available', () => {
    expect(statusOf(() => negotiate(RESULTS, 'text/turtle, image/png;q=0.5'))).toEqual({
      status: 406,
      message:
        'none of the requested media types (text/turtle, image/png;q=0.5) is available here; available: ' +
        'application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values',
    });
    expect(statusOf(() => negotiate(RESULTS, null, 'turtle'))).toEqual({
      status: 406,
      message:
        'format=turtle is not available here; use one of json, xml, csv, tsv (or the media types ' +
        'application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values)',
    });
  });

  it('skips malformed Accept entries', () => {
    expect(parseAccept('text/csv;q=2, nonsense, */json, text/tsv;q=0.5').map((r) => `${r.type}/${r.subtype}`)).toEqual([
      'text/tsv',
    ]);
  });
});

describe('result row limit', () => {
  it('adds LIMIT max+1 to a SELECT without one, after any comment', () => {
    expect(boundQuery('SELECT * WHERE { ?s ?p ?o } # all', 10)).toEqual({
      query: 'SELECT * WHERE { ?s ?p ?o } # all\nLIMIT 11\n',
      counted: true,
    });
  });

  it('lowers a LIMIT above the maximum and keeps one within it', () => {
    expect(boundQuery('SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 500 OFFSET 3', 10).query).toBe(
      'SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 11 OFFSET 3',
    );
    expect(boundQuery('select * { ?s ?p ?o } limit 10', 10)).toEqual({
      query: 'select * { ?s ?p ?o } limit 10',
      counted: false,
    });
  });

  it('ignores LIMITs of subqueries and keywords inside strings and IRIs', () => {
    const q = 'PREFIX x: <http://e/LIMIT#> SELECT * { { SELECT ?s { ?s ?p "LIMIT 3" } LIMIT 3 } }';
    expect(boundQuery(q, 10).query).toBe(`${q}\nLIMIT 11\n`);
  });

  it('puts the LIMIT before a trailing VALUES clause', () => {
    expect(boundQuery('SELECT * { ?s ?p ?o } VALUES ?s { <http://e/a> }', 10).query).toBe(
      'SELECT * { ?s ?p ?o } LIMIT 11\nVALUES ?s { <http://e/a> }',
    );
  });

  it('leaves ASK, CONSTRUCT and DESCRIBE alone', () => {
    for (const q of ['ASK { ?s ?p ?o }', 'CONSTRUCT WHERE { ?s ?p ?o }', 'DESCRIBE <http://e/a>']) {
      expect(boundQuery(q, 10)).toEqual({ query: q, counted: false });
    }
  });

  it('counts rows in every results format without being fooled by values', () => {
    const json =
      '{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"literal","value":"{\\"a\\"}"}},{"o":{"type":"uri","value":"http://e/{"}}]}}';
    expect(countRows(json, 'application/sparql-results+json')).toBe(2);
    expect(countRows('{"head":{"vars":[]},"results":{"bindings":[]}}', 'application/sparql-results+json')).toBe(0);
    expect(countRows('o\r\n"a\r\n""b"""\r\nc\r\n', 'text/csv')).toBe(2);
    expect(countRows('?o\n"a\\nb"\n<http://e/x>\n', 'text/tab-separated-values')).toBe(2);
    expect(countRows('<sparql><results><result>&lt;result></result></results></sparql>', 'application/sparql-results+xml')).toBe(1);
    expect(countRows('<a> <b> "c\\n" .\n<a> <b> <d> .\n', 'application/n-triples')).toBe(2);
  });
});

describe('protocol dataset of an update', () => {
  it('adds USING and USING NAMED before the WHERE of every DELETE/INSERT operation, not DELETE WHERE', () => {
    const update =
      'PREFIX x: <http://e/> CLEAR ALL ; INSERT { GRAPH x:out { ?s a x:Doc } } WHERE { ?s a x:In } ; ' +
      'DELETE WHERE { ?s x:gone ?o } ; DELETE { ?s x:p "WHERE" } INSERT { ?s x:q 1 } WHERE { ?s x:p ?o }';
    expect(withUsing(update, ['http://e/g1'], ['http://e/g2'])).toBe(
      'PREFIX x: <http://e/> CLEAR ALL ; INSERT { GRAPH x:out { ?s a x:Doc } } USING <http://e/g1> USING NAMED <http://e/g2> WHERE { ?s a x:In } ; ' +
        'DELETE WHERE { ?s x:gone ?o } ; DELETE { ?s x:p "WHERE" } INSERT { ?s x:q 1 } USING <http://e/g1> USING NAMED <http://e/g2> WHERE { ?s x:p ?o }',
    );
  });

  it('answers 400 when the update names its own dataset too', () => {
    expect(statusOf(() => withUsing('WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }', [], ['http://e/n']))).toEqual({
      status: 400,
      message: 'the update has its own WITH clause, so using-graph-uri / using-named-graph-uri cannot also be given',
    });
  });
});

describe('TPF requests', () => {
  const parse = (query: string) => parseFragmentRequest(new URLSearchParams(query));

  it('reads IRIs, literals in the explicit representation and variables', () => {
    const req = parse('subject=http%3A%2F%2Fe%2Fs&predicate=%3Fp&object=%22caf%C3%A9%22%40fr&page=3');
    expect(fragmentQueries(req, 100, 1000)).toEqual({
      page: 'SELECT ?p ?g WHERE { GRAPH ?g { <http://e/s> ?p "café"@fr } } LIMIT 101 OFFSET 200',
      count: 'SELECT (COUNT(*) AS ?n) WHERE { SELECT ?p ?g WHERE { GRAPH ?g { <http://e/s> ?p "café"@fr } } LIMIT 1000 }',
    });
  });

  it('matches the union default graph with DISTINCT when graph is the default graph IRI', () => {
    const req = parse(
      `object=${encodeURIComponent('"5"^^http://www.w3.org/2001/XMLSchema#integer')}&graph=urn%3Aldf%3AdefaultGraph`,
    );
    expect(fragmentQueries(req, 10, 50).page).toBe(
      'SELECT DISTINCT ?s ?p WHERE { ?s ?p "5"^^<http://www.w3.org/2001/XMLSchema#integer> } LIMIT 11 OFFSET 0',
    );
  });

  it('escapes literal text and matches one named graph', () => {
    const req = parse(`object=${encodeURIComponent('"say "hi"\n"')}&graph=http%3A%2F%2Fe%2Fg`);
    expect(fragmentQueries(req, 10, 50).page).toBe(
      'SELECT ?s ?p WHERE { GRAPH <http://e/g> { ?s ?p "say \\"hi\\"\\n" } } LIMIT 11 OFFSET 0',
    );
  });

  it('answers 400 for blank nodes, relative IRIs, literal subjects and bad pages', () => {
    expect(statusOf(() => parse('subject=_%3Ab0'))).toEqual({
      status: 400,
      message: 'subject _:b0: blank nodes cannot be matched, they are local to the page that shows them',
    });
    expect(statusOf(() => parse('predicate=knows')).message).toBe(
      'predicate must be an absolute IRI, a literal or a variable, found "knows"',
    );
    expect(statusOf(() => parse('subject=%22a%22')).message).toBe('subject cannot be a literal: "a"');
    expect(statusOf(() => parse('page=0')).message).toBe('page must be a positive integer, found "0"');
  });
});

describe('RDF output', () => {
  const text = `@prefix bg: <${prefixes.bg}> .
<http://e/s> a bg:Session ; bg:label "Séance"@fr, "x\\ny" ; bg:n 3 ; bg:b [ bg:v "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> ] .
<http://e/g> { <http://e/s> bg:inGraph <http://e/t> . }`;
  const quads = new Parser({ format: 'TriG' }).parse(text);

  it('writes JSON-LD that reads back as the same dataset', async () => {
    const doc = JSON.parse(writeRdf(quads, FORMATS.jsonld));
    expect(doc['@context']).toEqual({ bg: prefixes.bg, xsd: prefixes.xsd, rdf: prefixes.rdf });
    const nquads = (await jsonld.toRDF(doc, { format: 'application/n-quads' })) as unknown as string;
    expect(isomorphic(new Parser({ format: 'N-Quads' }).parse(nquads), quads)).toBe(true);
  });

  it('writes Turtle with only the prefixes it uses, dropping graph names', () => {
    const turtle = writeRdf(quads, FORMATS.turtle);
    expect(turtle.split('\n').filter((l) => l.startsWith('@prefix'))).toEqual([
      `@prefix bg: <${prefixes.bg}>.`,
      `@prefix rdf: <${prefixes.rdf}>.`,
      `@prefix xsd: <${prefixes.xsd}>.`,
    ]);
    const back = new Parser({ format: 'Turtle' }).parse(turtle);
    const asTriples = quads.map((q) => DataFactory.quad(q.subject, q.predicate, q.object));
    expect(isomorphic(back, asTriples)).toBe(true);
  });

  it('writes TriG and N-Quads keeping graph names', () => {
    for (const format of [FORMATS.trig, FORMATS.nquads]) {
      const back = new Parser({ format: format === FORMATS.trig ? 'TriG' : 'N-Quads' }).parse(writeRdf(quads, format));
      expect(isomorphic(back, quads)).toBe(true);
    }
  });
});

describe('bearer tokens', () => {
  const hashes = [hashToken('right')];
  const request = (authorization?: string) =>
    new Request('http://x/', authorization ? { headers: { authorization } } : undefined);

  it('accepts a token whose SHA-256 is configured', () => {
    expect(hashToken('right')).toBe('27042f4e6eca7d0b2a7ee4026df2ecfa51d3339e6d122aa099118ecd8563bad9');
    expect(() => requireToken(request('Bearer right'), 'secret', hashes)).not.toThrow();
  });

  it('answers 401 with a Bearer challenge, the same for a missing and a wrong token', () => {
    const missing = statusOf(() => requireToken(request(), 'secret', hashes));
    const wrong = statusOf(() => requireToken(request('Bearer wrong'), 'secret', hashes));
    expect(missing).toEqual(wrong);
    expect(missing).toEqual({
      status: 401,
      message: 'archive "secret" is private: send "Authorization: Bearer <token>" with a token issued for it',
    });
  });
});
