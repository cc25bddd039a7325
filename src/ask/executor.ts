// The executor contract's first implementation: one in-memory store holding the union of the archives. The
// federated executor (src/federate/) plugs in behind the same `Executor` type.
import { loadUnionStore, type UnionStore } from '../store/union.ts';
import { QueryError, queryStore, type SparqlJsonTerm } from '../store/store.ts';
import type { ExecuteResult, Executor, Row, RowTerm, SourceInfo } from './types.ts';

/** The archive named by a record IRI of the form `{base}id/{archive}/{kind}/{id}[#fragment]`, or null. */
export function archiveOfIri(iri: string): string | null {
  const m = /\/id\/([a-z0-9][a-z0-9-]{0,62})\/[^/]+\/[^/#]+(?:#.*)?$/.exec(iri);
  return m === null ? null : m[1]!;
}

/** Where each row came from: the archives of the record graphs its IRIs belong to, or an `archive` column. */
export function rowArchives(rows: Row[], archiveOfGraph: (graph: string) => string | undefined, known: ReadonlySet<string>): string[][] {
  return rows.map((row) => {
    const found = new Set<string>();
    for (const term of Object.values(row)) {
      if (term.type === 'uri') {
        const graph = term.value.replace(/#.*$/, '');
        const archive = archiveOfGraph(graph) ?? archiveOfIri(term.value);
        if (archive !== null && archive !== undefined && known.has(archive)) found.add(archive);
      }
    }
    const column = row.archive;
    if (found.size === 0 && column?.type === 'literal' && known.has(column.value)) found.add(column.value);
    return [...found].sort();
  });
}

/**
 * An executor over a union store. oxigraph runs queries synchronously, so the time limit is checked when the
 * query returns (the federated executor cancels for real); the query itself always carries a LIMIT.
 */
export function unionExecutor(union: UnionStore): { execute: Executor; sources: SourceInfo[] } {
  const names = union.archives.map((a) => a.name);
  const known = new Set(names);
  const sources: SourceInfo[] = union.archives.map((a) => {
    const s: SourceInfo = { name: a.name, title: a.title };
    if (a.license !== undefined) s.license = a.license;
    return s;
  });
  const execute: Executor = async (sparql, opts) => {
    if (opts.signal?.aborted) throw new QueryError('the query was cancelled before it ran');
    const started = performance.now();
    const result = queryStore(union.store, sparql);
    const elapsed = performance.now() - started;
    if (elapsed > opts.timeoutMs) throw new QueryError(`the query ran for ${Math.round(elapsed)} ms, over its limit of ${opts.timeoutMs} ms`);
    if (result.form === 'ASK') return { vars: [], rows: [], sources: names, boolean: result.results.boolean ?? false };
    if (result.form !== 'SELECT') throw new QueryError(`expected a SELECT or ASK query, found ${result.form}`);
    const rows = (result.results.results?.bindings ?? []).map(toRow);
    const out: ExecuteResult = {
      vars: result.results.head.vars ?? [],
      rows,
      sources: names,
      rowSources: rowArchives(rows, (g) => union.archiveOfGraph.get(g), known),
    };
    return out;
  };
  return { execute, sources };
}

/** Loads every archive of a data directory (or the named ones) into one store and returns its executor. */
export async function loadUnionExecutor(dataDir: string, opts: { archives?: string[]; ontologyFiles?: string[] } = {}) {
  const union = await loadUnionStore(dataDir, opts);
  return { ...unionExecutor(union), union };
}

/** SPARQL JSON bindings as rows; RDF-star triple terms become literals of their N-Triples text. */
export function toRow(binding: Record<string, SparqlJsonTerm>): Row {
  const row: Row = {};
  for (const [k, v] of Object.entries(binding)) row[k] = toRowTerm(v);
  return row;
}

function toRowTerm(t: SparqlJsonTerm): RowTerm {
  if (t.type !== 'triple') return t;
  const part = (x: SparqlJsonTerm): string => {
    if (x.type === 'triple') return `<< ${part(x.value.subject)} ${part(x.value.predicate)} ${part(x.value.object)} >>`;
    return x.type === 'uri' ? `<${x.value}>` : x.type === 'bnode' ? `_:${x.value}` : JSON.stringify(x.value);
  };
  return { type: 'literal', value: part(t) };
}
