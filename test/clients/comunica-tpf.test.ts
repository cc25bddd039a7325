// Comunica's TPF client answers query sets through /tpf exactly as the server's /sparql endpoint does.
import type { Bindings } from '@comunica/types';
import { QueryEngine } from '@comunica/query-sparql';
import { isomorphic } from 'rdf-isomorphic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstList, readExpectedFailures } from '../conformance/expected-failures.ts';
import { hasTopLevelOrderBy } from '../conformance/query-runner.ts';
import { type Result, type Row, rowDifference, sameRows } from '../conformance/results.ts';
import { buildDemoArchives, FIXTURE_BASE } from '../helpers/serve-fixture.ts';
import { type LiveServer, startFixtureServer, startLiveServer, tempDataDir } from '../helpers/serve-live.ts';
import {
  type ClientQuery,
  clientQueries,
  REPOSITORY_QUERIES_DIR,
  readQueries,
  resultSize,
  sparqlEndpointResult,
} from './client-queries.ts';

const LIST = 'test/clients/expected-failures.yaml';
const expectedFailures = readExpectedFailures(new URL('./expected-failures.yaml', import.meta.url));
// Demo labs the repository's queries run on: mice and rats, YAML/CSV and JSON Lines sources.
const DEMO_ARCHIVES = ['stroke-lab', 'memory-lab'];

/** Comunica plus the fetches it started, so a server is only closed once they have all settled. */
class TpfClient {
  readonly engine = new QueryEngine();
  #inFlight = new Set<Promise<unknown>>();

  /** Comunica's answer to `query` over the TPF interface at `tpf`, and the URLs it fetched to get it. */
  async answer(tpf: string, query: ClientQuery): Promise<{ result: Result; fetched: string[] }> {
    const fetched: string[] = [];
    // No source type: Comunica must recognise the TPF interface from the page's hydra controls, as it would for
    // any URL a user gives it. (`type: 'hypermedia'` is refused by Comunica 5; 'qpf' would skip the detection.)
    const context = {
      sources: [tpf] as [string],
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        fetched.push(input instanceof Request ? input.url : String(input));
        const pending = fetch(input, init);
        this.#inFlight.add(pending);
        pending.finally(() => this.#inFlight.delete(pending)).catch(() => {});
        return pending;
      },
    };
    return { result: await this.#run(query, context), fetched };
  }

  /** Waits for fetches Comunica may still run in the background (it reads ahead) after the last answer. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #run(query: ClientQuery, context: { sources: [string]; fetch: typeof fetch }): Promise<Result> {
    if (query.form === 'ASK')
      return { kind: 'boolean', value: await this.engine.queryBoolean(query.text, context) };
    if (query.form === 'CONSTRUCT' || query.form === 'DESCRIBE') {
      return { kind: 'graph', quads: await (await this.engine.queryQuads(query.text, context)).toArray() };
    }
    const bindings: Bindings[] = await (await this.engine.queryBindings(query.text, context)).toArray();
    const rows: Row[] = bindings.map((b) => {
      const row: Row = new Map();
      for (const [variable, term] of b) row.set(variable.value, term);
      return row;
    });
    return { kind: 'bindings', vars: undefined, rows };
  }
}

describe('Comunica TPF client: the client query set on a small archive', () => {
  let server: LiveServer & { archive: string };
  const client = new TpfClient();

  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(async () => {
    await client.settle();
    await server?.close();
  });

  for (const query of clientQueries()) {
    it(`answers ${query.name} through /tpf as /sparql does`, async () => {
      const base = `${server.url}/archives/${server.archive}`;
      const viaSparql = await sparqlEndpointResult(`${base}/sparql`, query);
      const { result: viaTpf, fetched } = await client.answer(`${base}/tpf`, query);
      expectFragmentsFetched(fetched, `${base}/tpf`);
      await checkAgainstList(query.name, LIST, expectedFailures.get(query.name), () => {
        expect(resultSize(viaSparql), 'answer size through /sparql').toEqual(query.expect);
        expect(resultSize(viaTpf), 'answer size through /tpf').toEqual(query.expect);
        expectSameResult(viaTpf, viaSparql, hasTopLevelOrderBy(query.text));
      });
    });
  }
});

describe("Comunica TPF client: the repository's queries/ on the demo archives", () => {
  let server: LiveServer;
  const client = new TpfClient();
  const queries = readQueries(REPOSITORY_QUERIES_DIR, false);

  beforeAll(async () => {
    const dataDir = await tempDataDir('demo');
    await buildDemoArchives(dataDir, DEMO_ARCHIVES, FIXTURE_BASE);
    // The ontology slims are loaded (the default), as the queries climb subclass hierarchies.
    server = await startLiveServer(dataDir, { baseIri: FIXTURE_BASE, ontologyFiles: undefined });
  });
  afterAll(async () => {
    await client.settle();
    await server?.close();
  });

  it('has a query set to run', () => {
    expect(queries.length).toBeGreaterThan(0);
  });

  for (const archive of DEMO_ARCHIVES) {
    for (const query of queries) {
      const id = `${archive}/${query.name}`;
      it(`answers ${query.name} on ${archive} through /tpf as /sparql does`, async () => {
        const base = `${server.url}/archives/${archive}`;
        const viaSparql = await sparqlEndpointResult(`${base}/sparql`, query);
        const { result: viaTpf, fetched } = await client.answer(`${base}/tpf`, query);
        expectFragmentsFetched(fetched, `${base}/tpf`);
        await checkAgainstList(id, LIST, expectedFailures.get(id), () => {
          expectSameResult(viaTpf, viaSparql, hasTopLevelOrderBy(query.text));
        });
      });
    }
  }
});

// Comunica used the fragments' search form (pattern parameters), not the first page as a plain document.
function expectFragmentsFetched(fetched: string[], tpf: string): void {
  const patterns = fetched.filter(
    (u) => u.startsWith(`${tpf}?`) && /[?&](subject|predicate|object)=/.test(u),
  );
  expect(patterns.length, `fragment requests among ${fetched.join(', ')}`).toBeGreaterThan(0);
}

function expectSameResult(actual: Result, expected: Result, ordered: boolean): void {
  expect(actual.kind).toBe(expected.kind);
  if (actual.kind === 'boolean' && expected.kind === 'boolean') expect(actual.value).toBe(expected.value);
  if (actual.kind === 'graph' && expected.kind === 'graph') {
    expect(isomorphic(actual.quads, expected.quads), 'CONSTRUCT graphs are isomorphic').toBe(true);
  }
  if (actual.kind === 'bindings' && expected.kind === 'bindings') {
    // Numbers by value: Comunica computes aggregates itself and writes SUM of decimals as "1.0" where oxigraph
    // writes "1"; both are the same xsd:decimal, and which lexical form a sum gets is each engine's choice.
    const same = sameRows(expected.rows, actual.rows, ordered, true);
    expect(
      same ? '' : rowDifference(expected.rows, actual.rows),
      'same solutions (only expected = /sparql)',
    ).toBe('');
  }
}
