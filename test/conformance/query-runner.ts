// Runs one W3C SPARQL 1.1 query test (evaluation, CSV format or syntax) against a scratch store of the store module.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Term } from '@rdfjs/types';
import { isomorphic } from 'rdf-isomorphic';
import { QueryError, queryStore, queryStoreSerialized } from '../../src/store/store.ts';
import { type RdfDocument, storeFromDocuments } from '../../src/store/testing.ts';
import { type ManifestEntry, MF, QT, suitePath } from './manifest.ts';
import {
  describeResult,
  fromCsv,
  fromSparqlJson,
  fromSparqlXml,
  fromTsv,
  fromTurtle,
  type Result,
  rowDifference,
  sameRows,
} from './results.ts';

/** What happened to one test: `detail` says why it failed. */
export type Outcome = { passed: true } | { passed: false; detail: string };

const EVALUATION = new Set([`${MF}QueryEvaluationTest`, `${MF}CSVResultFormatTest`]);
const POSITIVE_SYNTAX = new Set([`${MF}PositiveSyntaxTest11`, `${MF}PositiveSyntaxTest`]);
const NEGATIVE_SYNTAX = new Set([`${MF}NegativeSyntaxTest11`, `${MF}NegativeSyntaxTest`]);

const DATA_TYPES: Record<string, string> = {
  '.ttl': 'text/turtle',
  '.nt': 'application/n-triples',
  '.rdf': 'application/rdf+xml',
  '.trig': 'application/trig',
  '.nq': 'application/n-quads',
};

/** The kind of test an entry is, or undefined for kinds this runner does not know. */
export function testKind(
  entry: ManifestEntry,
): 'evaluation' | 'positive-syntax' | 'negative-syntax' | undefined {
  if (entry.types.some((t) => EVALUATION.has(t))) return 'evaluation';
  if (entry.types.some((t) => POSITIVE_SYNTAX.has(t))) return 'positive-syntax';
  if (entry.types.some((t) => NEGATIVE_SYNTAX.has(t))) return 'negative-syntax';
  return undefined;
}

/** Runs one entry; never throws for a failing test (the outcome says why), only for a malformed manifest. */
export function runQueryTest(entry: ManifestEntry): Outcome {
  const kind = testKind(entry);
  if (kind === undefined) throw new Error(`${entry.iri}: unsupported test type ${entry.types.join(', ')}`);
  const action = entry.graph.one(entry.node, `${MF}action`);
  if (!action) throw new Error(`${entry.iri}: expected an mf:action`);
  if (kind !== 'evaluation') return runSyntaxTest(action.value, kind === 'positive-syntax');
  return runEvaluationTest(entry, action);
}

function runSyntaxTest(queryIri: string, positive: boolean): Outcome {
  const query = readFileSync(suitePath(queryIri), 'utf8');
  try {
    queryStore(storeFromDocuments([]), query, { baseIri: queryIri, unionDefaultGraph: false });
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return positive
      ? { passed: false, detail: `rejected a valid query: ${error.message}` }
      : { passed: true };
  }
  return positive
    ? { passed: true }
    : { passed: false, detail: 'accepted a query that is not valid SPARQL 1.1' };
}

function runEvaluationTest(entry: ManifestEntry, action: Term): Outcome {
  const { graph } = entry;
  const queryIri = graph.one(action, `${QT}query`)?.value;
  const resultIri = graph.one(entry.node, `${MF}result`)?.value;
  if (!queryIri || !resultIri) throw new Error(`${entry.iri}: expected qt:query and mf:result`);
  const query = readFileSync(suitePath(queryIri), 'utf8');
  const documents: RdfDocument[] = [
    ...graph.all(action, `${QT}data`).map((d) => dataDocument(d.value)),
    ...graph.all(action, `${QT}graphData`).map((d) => ({ ...dataDocument(d.value), graph: d.value })),
  ];
  const store = storeFromDocuments(documents);
  const options = { baseIri: queryIri, unionDefaultGraph: false };
  const ext = extname(resultIri);
  let actual: Result;
  try {
    if (ext === '.csv') {
      // CSV keeps no term kinds: compare the engine's CSV with the expected CSV, both read the same way.
      actual = fromCsv(queryStoreSerialized(store, query, 'text/csv', options));
    } else {
      const result = queryStore(store, query, options);
      actual = 'quads' in result ? { kind: 'graph', quads: result.quads } : fromSparqlJson(result.results);
    }
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return { passed: false, detail: `query failed: ${error.message}` };
  }
  return compare(readExpected(resultIri), actual, hasTopLevelOrderBy(query));
}

function dataDocument(iri: string): RdfDocument {
  const mediaType = DATA_TYPES[extname(iri)];
  if (mediaType === undefined) throw new Error(`${iri}: unknown data file type`);
  return { text: readFileSync(suitePath(iri), 'utf8'), mediaType, baseIri: iri };
}

function readExpected(iri: string): Result {
  const path = suitePath(iri);
  switch (extname(iri)) {
    case '.srx':
      return fromSparqlXml(readFileSync(path, 'utf8'));
    case '.srj':
      return fromSparqlJson(JSON.parse(readFileSync(path, 'utf8')));
    case '.tsv':
      return fromTsv(readFileSync(path, 'utf8'));
    case '.csv':
      return fromCsv(readFileSync(path, 'utf8'));
    case '.ttl':
    case '.nt':
      return fromTurtle(path, iri);
    default:
      throw new Error(`${iri}: unknown result file type`);
  }
}

function compare(expected: Result, actual: Result, ordered: boolean): Outcome {
  const differ = (why: string): Outcome => ({
    passed: false,
    detail: `${why}\nexpected: ${describeResult(expected)}\nactual:   ${describeResult(actual)}`,
  });
  if (expected.kind !== actual.kind) return differ(`expected a ${expected.kind} result, got ${actual.kind}`);
  if (expected.kind === 'boolean' && actual.kind === 'boolean') {
    return expected.value === actual.value ? { passed: true } : differ('different boolean');
  }
  if (expected.kind === 'graph' && actual.kind === 'graph') {
    return isomorphic(expected.quads, actual.quads) ? { passed: true } : differ('graphs are not isomorphic');
  }
  if (expected.kind === 'bindings' && actual.kind === 'bindings') {
    if (expected.vars && expected.vars.length > 0 && actual.vars) {
      const e = [...expected.vars].sort().join(' ');
      const a = [...actual.vars].sort().join(' ');
      if (e !== a) return differ(`different variables: expected ${e}, got ${a}`);
    }
    if (!sameRows(expected.rows, actual.rows, ordered)) {
      if (ordered && sameRows(expected.rows, actual.rows, false)) {
        return differ('same solutions in a different order (the query has ORDER BY)');
      }
      // Said explicitly, because it is the usual cause: oxigraph writes numbers and booleans in canonical form.
      const why = sameRows(expected.rows, actual.rows, ordered, true)
        ? 'solutions differ only in lexical forms of numeric or boolean literals (equal values)'
        : 'different solutions';
      return { passed: false, detail: `${why}\n${rowDifference(expected.rows, actual.rows)}` };
    }
    return { passed: true };
  }
  return differ('incomparable results');
}

/**
 * Whether the query orders its solutions: an ORDER BY outside every `{...}` group (one inside a subquery orders
 * only the subquery). Comments, strings and IRIs are removed first so their braces and words do not count.
 */
export function hasTopLevelOrderBy(query: string): boolean {
  const stripped = query.replace(
    /#[^\n\r]*|"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'|<[^<>"{}|^`\\\s]*>/g,
    ' ',
  );
  let depth = 0;
  let outside = '';
  for (const ch of stripped) {
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (depth === 0) outside += ch;
  }
  return /\bORDER\s+BY\b/i.test(outside);
}
