// What a query worker does: the jobs the server sends it and how each runs on the archive stores it loaded.
import type { QueryForm } from '../store/sparql-form.ts';
import { convertRdf, type ProtocolDataset, queryProtocol, updateStore } from '../store/query.ts';
import { type ArchiveStore, QueryError, queryStore, type SparqlJsonResults } from '../store/store.ts';
import { boundQuery, countRows } from './row-limit.ts';

/** A SPARQL Protocol query, answered in the engine's serialization `mediaType`. */
export type QueryJob = {
  kind: 'query';
  archive: string;
  query: string;
  form: QueryForm | undefined;
  mediaType: string;
  dataset?: ProtocolDataset;
  /** Base IRI for relative IRIs in the query (the protocol: the service URL). */
  baseIri?: string;
  maxRows: number;
};

/** Internal SELECT/ASK queries (TPF pages, statistics, HTML views), answered as SPARQL JSON objects. */
export type SelectJob = { kind: 'select'; archive: string; queries: string[] };

/** A SPARQL Update, applied in memory (test mode only). */
export type UpdateJob = { kind: 'update'; archive: string; update: string; baseIri?: string };

export type Job = QueryJob | SelectJob | UpdateJob;

export type JobValue = { body: string } | { results: SparqlJsonResults[] } | { updated: true };

/** Thrown when a result has more rows than the server's limit. */
export class ResultTooLargeError extends Error {
  override name = 'ResultTooLargeError';
}

/** The worker's message for a job: its value, or an error by name and message (errors do not cross threads whole). */
export type JobOutcome =
  | { ok: true; value: JobValue }
  | { ok: false; error: { name: string; message: string; stack?: string } };

const NTRIPLES = 'application/n-triples';

/** Runs one job on the worker's stores. */
export function runJob(stores: Map<string, ArchiveStore>, job: Job): JobOutcome {
  try {
    const store = stores.get(job.archive);
    if (!store) throw new Error(`worker has no store for archive "${job.archive}"`);
    return { ok: true, value: run(store, job) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
  }
}

function run(store: ArchiveStore, job: Job): JobValue {
  switch (job.kind) {
    case 'query':
      return { body: answer(store, job) };
    case 'select':
      return {
        results: job.queries.map((q) => {
          const result = queryStore(store, q);
          if (!('results' in result)) throw new Error(`internal query is not a SELECT or ASK: ${q}`);
          return result.results;
        }),
      };
    case 'update':
      updateStore(store, job.update, job.baseIri);
      return { updated: true };
  }
}

function answer(store: ArchiveStore, job: QueryJob): string {
  const { maxRows } = job;
  const opts = { dataset: job.dataset, baseIri: job.baseIri };
  if (job.form === 'SELECT') {
    const bounded = boundQuery(job.query, maxRows);
    let text: string;
    try {
      text = queryProtocol(store, bounded.query, job.mediaType, opts);
    } catch (error) {
      // A syntax error is reported on the query as the client wrote it, not on the bounded rewrite.
      if (!(error instanceof QueryError) || !bounded.counted) throw error;
      text = queryProtocol(store, job.query, job.mediaType, opts);
    }
    if (bounded.counted && countRows(text, job.mediaType) > maxRows) throw tooLarge(maxRows, 'rows');
    return text;
  }
  if (job.form === 'CONSTRUCT' || job.form === 'DESCRIBE') {
    // N-Triples has one triple per line, so the result is counted before it is converted to the asked format.
    const nt = queryProtocol(store, job.query, NTRIPLES, opts);
    if (countRows(nt, NTRIPLES) > maxRows) throw tooLarge(maxRows, 'triples');
    return job.mediaType === NTRIPLES ? nt : convertRdf(nt, NTRIPLES, job.mediaType);
  }
  return queryProtocol(store, job.query, job.mediaType, opts);
}

function tooLarge(maxRows: number, what: string): ResultTooLargeError {
  return new ResultTooLargeError(
    `the result has more than ${maxRows} ${what}, the most this server returns in one response; ` +
      'page through it with LIMIT and OFFSET (or narrow the query)',
  );
}
