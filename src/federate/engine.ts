// The one module that imports Comunica: runs plan queries (SERVICE blocks, VALUES) and, for comparison, Comunica's
// own federation over a list of endpoints.
import { QueryEngine } from '@comunica/query-sparql';
import type { Quad, Term } from '@rdfjs/types';
import type { JsonTerm } from './client.ts';

/** Rows of a SELECT as SPARQL JSON terms, one object per row. */
export type JsonRow = Record<string, JsonTerm>;

/** What a run gives back; rows arrive through `onRow` so callers can stop early and time the first one. */
export type EngineAnswer =
  | { form: 'SELECT' }
  | { form: 'ASK'; boolean: boolean }
  | { form: 'CONSTRUCT'; quads: Quad[] };

export type RunOptions = {
  form: 'SELECT' | 'ASK' | 'CONSTRUCT';
  /** The fetch every request goes through. */
  fetch: typeof fetch;
  signal?: AbortSignal;
  /** Called per row of a SELECT; return false to stop reading. */
  onRow?: (row: JsonRow) => boolean | void;
  /** Comunica sources; the federation passes none (plans reach sources through SERVICE only). */
  sources?: { type: 'sparql'; value: string }[];
};

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';

/**
 * Runs in flight, each with a way to fail it. Comunica can throw outside the promise and stream it hands back (for
 * one, a property path open at both ends inside a SERVICE block: turning its 'nodes' operation into SPARQL throws in
 * a detached iterator), which would end the process. Such an error fails the runs in flight instead: a server
 * answers that query with an error and keeps serving.
 */
const inFlight = new Set<(error: Error) => void>();
let guarded = false;

function isEngineError(error: Error): boolean {
  return error instanceof Error && /[\\/]node_modules[\\/]@(?:comunica|traqula)[\\/]/.test(error.stack ?? '');
}

function guardProcess(): void {
  if (guarded) return;
  guarded = true;
  process.on('uncaughtException', (error) => {
    if (!isEngineError(error)) {
      // Anything else ends the process as it would have without this listener.
      process.stderr.write(`${error.stack ?? String(error)}\n`);
      process.exit(1);
    }
    if (inFlight.size > 0) for (const fail of [...inFlight]) fail(new Error(`the query engine failed: ${error.message}`));
    else {
      // A command ends with this status; a server goes on.
      process.exitCode = 1;
      process.stderr.write(`benchgraph: the query engine failed outside a query (${error.message})\n`);
    }
  });
}

/** One engine per federation: Comunica keeps source objects (and their parsers) between queries. */
export function createEngine(): { run(query: string, opts: RunOptions): Promise<EngineAnswer> } {
  const engine = new QueryEngine();
  guardProcess();
  return {
    run(query, opts) {
      return new Promise<EngineAnswer>((resolve, reject) => {
        const fail = (error: Error) => {
          inFlight.delete(fail);
          reject(error);
        };
        inFlight.add(fail);
        runOnce(query, opts).then(
          (answer) => {
            inFlight.delete(fail);
            resolve(answer);
          },
          (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  };

  async function runOnce(query: string, opts: RunOptions): Promise<EngineAnswer> {
    // Comunica's context: no lenient mode, so a plan that cannot run fails loudly (source faults never reach it:
    // the source client answers them with empty results).
    const context = { sources: opts.sources ?? [], fetch: opts.fetch } as unknown as Parameters<QueryEngine['queryBindings']>[1];
    if (opts.form === 'ASK') return { form: 'ASK', boolean: await abortable(engine.queryBoolean(query, context), opts.signal) };
    if (opts.form === 'CONSTRUCT') {
      const stream = await abortable(engine.queryQuads(query, context), opts.signal);
      const quads: Quad[] = [];
      await drain(stream, (q) => {
        quads.push(q as Quad);
        return true;
      }, opts.signal);
      return { form: 'CONSTRUCT', quads };
    }
    const stream = await abortable(engine.queryBindings(query, context), opts.signal);
    await drain(stream, (bindings) => {
      const row: JsonRow = {};
      for (const [v, term] of bindings as unknown as Iterable<[{ value: string }, Term]>) row[v.value] = jsonTerm(term);
      return opts.onRow?.(row) !== false;
    }, opts.signal);
    return { form: 'SELECT' };
  }
}

/** An RDF/JS term as a SPARQL JSON results term. */
export function jsonTerm(term: Term): JsonTerm {
  switch (term.termType) {
    case 'NamedNode':
      return { type: 'uri', value: term.value };
    case 'BlankNode':
      return { type: 'bnode', value: term.value };
    case 'Literal': {
      const t: JsonTerm = { type: 'literal', value: term.value };
      if (term.language) t['xml:lang'] = term.language;
      else if (term.datatype.value !== XSD_STRING && term.datatype.value !== RDF_LANG_STRING) t.datatype = term.datatype.value;
      return t;
    }
    default:
      return { type: 'literal', value: term.value };
  }
}

type Stream<T> = {
  on(event: 'data', f: (item: T) => void): unknown;
  on(event: 'end', f: () => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  destroy(error?: Error): void;
  /** AsyncIterator: true once the stream has ended. */
  readonly done?: boolean;
};

function drain<T>(stream: Stream<T>, each: (item: T) => boolean, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => {
      stream.destroy();
      finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (item) => {
      if (done) return;
      if (!each(item)) {
        stream.destroy();
        finish();
      }
    });
    stream.on('end', () => finish());
    stream.on('error', (e) => finish(e));
    // Comunica can hand over a stream that has already ended (ORDER BY over an empty local pattern such as the
    // plan of a query no source can answer); its 'end' event is then never seen.
    if (stream.done) finish();
  });
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
