// roqet (Debian rasqal-utils) queries the live SPARQL endpoint and dereferences a record IRI.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/archive/archive.ts';
import { hasTopLevelOrderBy } from '../conformance/query-runner.ts';
import { fromSparqlXml, fromTsv, type Row, rowDifference, sameRows } from '../conformance/results.ts';
import {
  describeWithTool,
  type LiveServer,
  roqetMissing,
  run,
  startFixtureServer,
} from '../helpers/serve-live.ts';
import { clientQueries, sparqlEndpointResult } from './client-queries.ts';

// roqet sends every protocol query with `Accept: application/sparql-results+xml` (it does not parse the query
// first), and rasqal 0.9.33's XML results reader ignores <boolean>: so SELECT queries only.
const selects = clientQueries().filter((q) => q.form === 'SELECT');

describeWithTool('roqet against a live server', roqetMissing(), () => {
  let server: LiveServer & { archive: string; records: StoredRecord[] };
  let endpoint: string;

  beforeAll(async () => {
    server = await startFixtureServer();
    endpoint = `${server.url}/archives/${server.archive}/sparql`;
  });
  afterAll(() => server?.close());

  for (const query of selects) {
    it(`reads the SPARQL XML results of ${query.name} over the protocol`, async () => {
      const expected = await sparqlEndpointResult(endpoint, query);
      const actual = fromSparqlXml(await run('roqet', ['-q', '-p', endpoint, '-e', query.text, '-r', 'xml']));
      if (expected.kind !== 'bindings' || actual.kind !== 'bindings') throw new Error('expected bindings');
      expect(actual.vars).toEqual(expected.vars);
      const same = sameRows(expected.rows, actual.rows, hasTopLevelOrderBy(query.text));
      expect(
        same ? '' : rowDifference(expected.rows, actual.rows),
        'same solutions (only expected = /sparql)',
      ).toBe('');
    });
  }

  it("dereferences a record IRI (-D) and finds the record's triples", async () => {
    const record = server.records[0];
    const url = `${server.url}/id/${server.archive}/${record.recordId}`;
    const tsv = await run('roqet', [
      '-q',
      '-D',
      url,
      '-e',
      'SELECT ?s ?p ?o WHERE { ?s ?p ?o }',
      '-r',
      'tsv',
    ]);
    const actual = fromTsv(tsv);
    const expected: Row[] = [...record.quads].map(
      (q) =>
        new Map([
          ['s', q.subject],
          ['p', q.predicate],
          ['o', q.object],
        ]),
    );
    if (actual.kind !== 'bindings') throw new Error('expected bindings');
    expect(actual.rows.length).toBe(expected.length);
    expect(sameRows(expected, actual.rows, false) ? '' : rowDifference(expected, actual.rows)).toBe('');
  });
});
