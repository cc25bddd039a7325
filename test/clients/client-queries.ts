// Query sets for the real-client tests: the tests' own (with expected answer sizes) and the repository's queries/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type QueryForm, scanQuery } from '../../src/store/store.ts';
import { fromSparqlJson, type Result } from '../conformance/results.ts';

/** One query of a set, with the answer size it must have (rows, triples, or the ASK answer) when it says so. */
export type ClientQuery = {
  name: string;
  path: string;
  text: string;
  form: QueryForm;
  expect?: { rows: number } | { triples: number } | { boolean: boolean };
};

/** The client tests' own queries over the fixture archive; each says its answer size in an `# expect:` line. */
export const CLIENT_QUERIES_DIR = fileURLToPath(new URL('./queries/', import.meta.url));
/** The repository's query set (the question templates of src/ask, runnable as written), for the demo archives. */
export const REPOSITORY_QUERIES_DIR = fileURLToPath(new URL('../../queries/', import.meta.url));

/**
 * Reads every `.rq` file of `dir`, sorted by name. With `requireExpect`, each must have a line
 * `# expect: N rows`, `# expect: N triples` or `# expect: true|false`; an error names the file that does not.
 */
export function readQueries(dir: string, requireExpect: boolean): ClientQuery[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.rq'))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const form = scanQuery(text).form;
      if (form === undefined) throw new Error(`${path}: expected a SELECT, ASK, CONSTRUCT or DESCRIBE query`);
      const m = /^# expect: (?:(\d+) (rows|triples)|(true|false))$/m.exec(text);
      if (!m && requireExpect) {
        throw new Error(
          `${path}: expected a line "# expect: N rows", "# expect: N triples" or "# expect: true"`,
        );
      }
      const expect = !m
        ? undefined
        : m[3]
          ? { boolean: m[3] === 'true' }
          : m[2] === 'rows'
            ? { rows: Number(m[1]) }
            : { triples: Number(m[1]) };
      return { name: file.replace(/\.rq$/, ''), path, text, form, expect };
    });
}

/** The client tests' own queries (test/clients/queries). */
export function clientQueries(): ClientQuery[] {
  return readQueries(CLIENT_QUERIES_DIR, true);
}

/** The size of a result in the terms of `# expect:`, to compare with {@link ClientQuery.expect}. */
export function resultSize(result: Result): ClientQuery['expect'] {
  if (result.kind === 'boolean') return { boolean: result.value };
  if (result.kind === 'graph') return { triples: result.quads.length };
  return { rows: result.rows.length };
}

/** Asks the server's SPARQL endpoint (JSON results, or N-Triples for graphs) and reads the answer. */
export async function sparqlEndpointResult(endpoint: string, query: ClientQuery): Promise<Result> {
  const graph = query.form === 'CONSTRUCT' || query.form === 'DESCRIBE';
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/sparql-query',
      accept: graph ? 'application/n-triples' : 'application/sparql-results+json',
    },
    body: query.text,
  });
  const body = await response.text();
  if (response.status !== 200)
    throw new Error(`${query.name}: ${endpoint} answered ${response.status}: ${body}`);
  if (!graph) return fromSparqlJson(JSON.parse(body));
  const { Parser } = await import('n3');
  return { kind: 'graph', quads: new Parser({ format: 'application/n-triples' }).parse(body) };
}
