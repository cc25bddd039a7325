// Python clients (Debian's rdflib and SPARQLWrapper under /usr/bin/python3) read the live server's answers.
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { Parser } from 'n3';
import { isomorphic } from 'rdf-isomorphic';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/archive/archive.ts';
import { checkAgainstList, readExpectedFailures } from '../conformance/expected-failures.ts';
import { hasTopLevelOrderBy } from '../conformance/query-runner.ts';
import { fromSparqlJson, type Result, rowDifference, sameRows } from '../conformance/results.ts';
import { fixtureIri } from '../helpers/serve-fixture.ts';
import {
  DEBIAN_PYTHON,
  describeWithTool,
  type LiveServer,
  pythonClientsMissing,
  run,
  startFixtureServer,
} from '../helpers/serve-live.ts';
import { type ClientQuery, clientQueries, sparqlEndpointResult } from './client-queries.ts';

const SPARQLWRAPPER = fileURLToPath(new URL('./sparqlwrapper_query.py', import.meta.url));
const RDFLIB = fileURLToPath(new URL('./rdflib_dereference.py', import.meta.url));
const LIST = 'test/clients/expected-failures.yaml';
const expectedFailures = readExpectedFailures(new URL('./expected-failures.yaml', import.meta.url));
const queries = clientQueries();
const tabular = queries.filter((q) => q.form === 'SELECT' || q.form === 'ASK');
const graphs = queries.filter((q) => q.form === 'CONSTRUCT' || q.form === 'DESCRIBE');
// A query with ORDER BY, OPTIONAL and a typed literal, sent in each of the protocol's three ways.
const METHOD_QUERY = 'sessions-in-march-optional';

describeWithTool(
  'Python clients (rdflib, SPARQLWrapper) against a live server',
  pythonClientsMissing(),
  () => {
    let server: LiveServer & { archive: string; records: StoredRecord[] };
    let endpoint: string;

    beforeAll(async () => {
      server = await startFixtureServer();
      endpoint = `${server.url}/archives/${server.archive}/sparql`;
    });
    afterAll(() => server?.close());

    for (const query of tabular) {
      it(`SPARQLWrapper reads the JSON results of ${query.name} (GET)`, async () => {
        await expectSparqlWrapperReads(endpoint, query, 'get');
      });
    }

    for (const mode of ['post-form', 'post-direct'] as const) {
      it(`SPARQLWrapper reads the JSON results of ${METHOD_QUERY} (${mode})`, async () => {
        const query = queries.find((q) => q.name === METHOD_QUERY);
        if (!query) throw new Error(`test/clients/queries/${METHOD_QUERY}.rq is missing`);
        await expectSparqlWrapperReads(endpoint, query, mode);
      });
    }

    for (const query of graphs) {
      it(`SPARQLWrapper builds an rdflib graph from the RDF/XML answer to ${query.name}`, async () => {
        const expected = await sparqlEndpointResult(endpoint, query);
        const quads = parseNTriples(
          await run(DEBIAN_PYTHON, [SPARQLWRAPPER, endpoint, query.path, 'construct']),
        );
        expect(expected.kind === 'graph' && isomorphic(quads, expected.quads)).toBe(true);
      });
    }

    for (const [format, label] of [
      ['turtle', 'Turtle'],
      ['xml', 'RDF/XML'],
      ['json-ld', 'JSON-LD'],
      ['', 'its own content negotiation'],
    ] as const) {
      const id = `rdflib-dereference-${format || 'negotiated'}`;
      it(`rdflib dereferences a record IRI and parses ${label} into the record's triples`, async () => {
        const record = server.records[0];
        const url = `${server.url}/id/${server.archive}/${record.recordId}`;
        expect(record.graph).toBe(fixtureIri(record.recordId));
        const args = format ? [RDFLIB, url, format] : [RDFLIB, url];
        const quads = parseNTriples(await run(DEBIAN_PYTHON, args));
        await checkAgainstList(id, LIST, expectedFailures.get(id), () => {
          expect(quads.length, 'triples rdflib read').toBe([...record.quads].length);
          expect(isomorphic(quads, [...record.quads]), 'same triples as the record').toBe(true);
        });
      });
    }
  },
);

async function expectSparqlWrapperReads(endpoint: string, query: ClientQuery, mode: string): Promise<void> {
  const expected = await sparqlEndpointResult(endpoint, query);
  const actual = fromSparqlJson(
    JSON.parse(await run(DEBIAN_PYTHON, [SPARQLWRAPPER, endpoint, query.path, mode])),
  );
  expectSameTable(actual, expected, hasTopLevelOrderBy(query.text));
}

function expectSameTable(actual: Result, expected: Result, ordered: boolean): void {
  expect(actual.kind).toBe(expected.kind);
  if (actual.kind === 'boolean' && expected.kind === 'boolean') expect(actual.value).toBe(expected.value);
  if (actual.kind === 'bindings' && expected.kind === 'bindings') {
    expect(actual.vars).toEqual(expected.vars);
    const same = sameRows(expected.rows, actual.rows, ordered);
    expect(
      same ? '' : rowDifference(expected.rows, actual.rows),
      'same solutions (only expected = /sparql)',
    ).toBe('');
  }
}

function parseNTriples(text: string): Quad[] {
  return new Parser({ format: 'application/n-triples' }).parse(text);
}
