// The real-client query set: test/clients/queries/*.rq, each with an `# expect:` line giving the size of its answer.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type QueryForm, scanQuery } from '../../src/store/store.ts';
import { fromSparqlJson, type Result } from '../conformance/results.ts';

/** One query of the set, with the answer size it must have (rows, triples, or the ASK answer). */
export type ClientQuery = {
  name: string;
  path: string;
  text: string;
  form: QueryForm;
  expect: { rows: number } | { triples: number } | { boolean: boolean };
};

export const QUERIES_DIR = fileURLToPath(new URL('./queries/', import.meta.url));

/** Reads every `.rq` file of test/clients/queries, sorted by name; throws naming a file without `# expect:`. */
export function clientQueries(): ClientQuery[] {
  return readdirSync(QUERIES_DIR)
    .filter((f) => f.endsWith('.rq'))
    .sort()
    .map((file) => {
      const path = QUERIES_DIR + file;
      const text = readFileSync(path, 'utf8');
      const form = scanQuery(text).form;
      if (form === undefined) throw new Error(`${path}: expected a SELECT, ASK, CONSTRUCT or DESCRIBE query`);
      const m = /^# expect: (?:(\d+) (rows|triples)|(true|false))$/m.exec(text);
      if (!m)
        throw new Error(
          `${path}: expected a line "# expect: N rows", "# expect: N triples" or "# expect: true"`,
        );
      const expect = m[3]
        ? { boolean: m[3] === 'true' }
        : m[2] === 'rows'
          ? { rows: Number(m[1]) }
          : { triples: Number(m[1]) };
      return { name: file.replace(/\.rq$/, ''), path, text, form, expect };
    });
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
