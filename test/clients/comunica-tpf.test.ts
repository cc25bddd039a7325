// Comunica's TPF client answers the client query set through /tpf exactly as the server's /sparql endpoint does.
import type { Bindings } from '@comunica/types';
import { QueryEngine } from '@comunica/query-sparql';
import { isomorphic } from 'rdf-isomorphic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstList, readExpectedFailures } from '../conformance/expected-failures.ts';
import { hasTopLevelOrderBy } from '../conformance/query-runner.ts';
import { type Result, type Row, rowDifference, sameRows } from '../conformance/results.ts';
import { type LiveServer, startFixtureServer } from '../helpers/serve-live.ts';
import { clientQueries, resultSize, sparqlEndpointResult } from './client-queries.ts';

const queries = clientQueries();
const LIST = 'test/clients/expected-failures.yaml';
const expectedFailures = readExpectedFailures(new URL('./expected-failures.yaml', import.meta.url));

describe('Comunica TPF client against a live server', () => {
  let server: LiveServer & { archive: string };
  let engine: QueryEngine;

  beforeAll(async () => {
    server = await startFixtureServer();
    engine = new QueryEngine();
  });
  afterAll(() => server?.close());

  for (const query of queries) {
    it(`answers ${query.name} through /tpf as /sparql does`, async () => {
      const viaSparql = await sparqlEndpointResult(`${server.url}/archives/${server.archive}/sparql`, query);
      const tpf = `${server.url}/archives/${server.archive}/tpf`;
      const { result: viaTpf, fetched } = await comunicaResult(engine, tpf, query.text, query.form);
      // Comunica used the fragments' search form (pattern parameters), not the first page as a plain document.
      expect(fetched.some((u) => u.startsWith(`${tpf}?`) && /[?&](subject|predicate|object)=/.test(u))).toBe(
        true,
      );
      await checkAgainstList(query.name, LIST, expectedFailures.get(query.name), () => {
        expect(resultSize(viaSparql), 'answer size through /sparql').toEqual(query.expect);
        expect(resultSize(viaTpf), 'answer size through /tpf').toEqual(query.expect);
        expectSameResult(viaTpf, viaSparql, hasTopLevelOrderBy(query.text));
      });
    });
  }
});

/** Comunica's answer, and the URLs it fetched to get it. */
async function comunicaResult(
  engine: QueryEngine,
  tpf: string,
  text: string,
  form: string,
): Promise<{ result: Result; fetched: string[] }> {
  const fetched: string[] = [];
  // No source type: Comunica must recognise the TPF interface from the page's hydra controls, as it would for
  // any URL a user gives it. (`type: 'hypermedia'` is refused by Comunica 5; 'qpf' would skip the detection.)
  const context = {
    sources: [tpf] as [string],
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
  };
  return { result: await comunicaAnswer(engine, text, form, context), fetched };
}

async function comunicaAnswer(
  engine: QueryEngine,
  text: string,
  form: string,
  context: { sources: [string]; fetch: typeof fetch },
): Promise<Result> {
  if (form === 'ASK') return { kind: 'boolean', value: await engine.queryBoolean(text, context) };
  if (form === 'CONSTRUCT' || form === 'DESCRIBE') {
    return { kind: 'graph', quads: await (await engine.queryQuads(text, context)).toArray() };
  }
  const bindings: Bindings[] = await (await engine.queryBindings(text, context)).toArray();
  const rows: Row[] = bindings.map((b) => {
    const row: Row = new Map();
    for (const [variable, term] of b) row.set(variable.value, term);
    return row;
  });
  return { kind: 'bindings', vars: undefined, rows };
}

function expectSameResult(actual: Result, expected: Result, ordered: boolean): void {
  expect(actual.kind).toBe(expected.kind);
  if (actual.kind === 'boolean' && expected.kind === 'boolean') expect(actual.value).toBe(expected.value);
  if (actual.kind === 'graph' && expected.kind === 'graph') {
    expect(isomorphic(actual.quads, expected.quads), 'CONSTRUCT graphs are isomorphic').toBe(true);
  }
  if (actual.kind === 'bindings' && expected.kind === 'bindings') {
    const same = sameRows(expected.rows, actual.rows, ordered);
    expect(
      same ? '' : rowDifference(expected.rows, actual.rows),
      'same solutions (only expected = /sparql)',
    ).toBe('');
  }
}
