// The one module that owns oxigraph: loads archives into in-memory stores and answers SPARQL queries over them.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { DataFactory, type Quad as N3Quad } from 'n3';
import { type Quad as OxQuad, namedNode, Store } from 'oxigraph';
import { type Archive, type ArchiveRecord, openArchive, PROVENANCE_GRAPH } from '../archive/archive.ts';
import { ONTOLOGY_GRAPH } from '../namespaces.ts';
import { scanQuery } from './sparql-form.ts';

export { type QueryForm, scanQuery } from './sparql-form.ts';

/** An in-memory SPARQL store (oxigraph). Other modules hold it and pass it back here; they never import oxigraph. */
export type ArchiveStore = Store;

/** Options of {@link loadArchiveStore}. */
export type LoadOptions = {
  /** Ontology slims loaded into {@link ONTOLOGY_GRAPH}: Turtle (.ttl), N-Triples (.nt) or RDF/XML (.owl, .rdf). */
  ontologyFiles?: string[];
  /**
   * Check every IRI and language tag while loading records. Off by default: the archive wrote their quads itself
   * from checked terms, and skipping the checks loads 1 million triples in about 3.7 s instead of 5 to 8 s
   * (2-core machine).
   */
  strict?: boolean;
};

/** SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/). */
export type SparqlJsonResults = {
  head: { vars?: string[]; link?: string[] };
  results?: { bindings: Record<string, SparqlJsonTerm>[] };
  boolean?: boolean;
};

/** One bound value in {@link SparqlJsonResults}. */
export type SparqlJsonTerm =
  | { type: 'uri'; value: string }
  | { type: 'bnode'; value: string }
  | { type: 'literal'; value: string; 'xml:lang'?: string; datatype?: string }
  | { type: 'triple'; value: { subject: SparqlJsonTerm; predicate: SparqlJsonTerm; object: SparqlJsonTerm } };

/** Result of {@link queryStore}: JSON results for SELECT/ASK, RDF/JS quads for CONSTRUCT/DESCRIBE. */
export type QueryResult =
  | { form: 'SELECT' | 'ASK'; results: SparqlJsonResults }
  | { form: 'CONSTRUCT' | 'DESCRIBE'; quads: Quad[] };

/** Options of {@link queryStore}. */
export type QueryOptions = {
  /**
   * The query's default graph is the union of all graphs (default true), so `?s ?p ?o` sees every record.
   * Ignored when the query has FROM/FROM NAMED, which then decide the dataset as SPARQL specifies.
   */
  unionDefaultGraph?: boolean;
  /** Base IRI against which relative IRIs in the query are resolved. */
  baseIri?: string;
};

/** A query the engine refused (syntax error, unsupported feature or result format): the client's fault. */
export class QueryError extends Error {
  override name = 'QueryError';
}

const NQUADS = 'application/n-quads';
const LOAD_CHUNK_BYTES = 8 << 20;

/**
 * Builds an in-memory store holding every record graph of an archive, its provenance graph and, if given, the
 * ontology slims in {@link ONTOLOGY_GRAPH}. The archive's segment files are read one at a time and loaded a few
 * megabytes per `load` call (records never share blank node labels, so any run of them may be loaded together).
 *
 * @param source an open archive, or the path of an archive directory (`<dataDir>/<name>`).
 * @throws Error naming the segment and record that does not parse.
 */
export async function loadArchiveStore(
  source: Archive | string,
  opts: LoadOptions = {},
): Promise<ArchiveStore> {
  const archive = typeof source === 'string' ? await openArchive(dirname(source), basename(source)) : source;
  const store = new Store();
  await addArchive(store, archive, opts);
  for (const file of opts.ontologyFiles ?? []) await loadOntology(store, file);
  return store;
}

/**
 * Adds every record graph of an archive and its provenance graph to an existing store (e.g. one holding several
 * archives); {@link loadArchiveStore} is this on a new store, plus ontology slims.
 *
 * @throws Error naming the segment and record that does not parse.
 */
export async function addArchive(
  store: ArchiveStore,
  archive: Archive,
  opts: Pick<LoadOptions, 'strict'> = {},
): Promise<void> {
  await loadRecords(store, archive, undefined, opts.strict ?? false);
}

/**
 * Brings a loaded store up to date after {@link Archive.writeBatch} or {@link Archive.removeRecords}: drops the
 * given graphs (pass the batch result's `graphs`), loads the archive's current records in those graphs, and
 * reloads the provenance graph. Cheaper than a full reload for small batches.
 */
export async function reloadGraphs(store: ArchiveStore, archive: Archive, graphs: string[]): Promise<void> {
  const wanted = new Set(graphs);
  for (const g of [...wanted, PROVENANCE_GRAPH]) {
    if (/[\s<>"{}|^`\\]/.test(g)) throw new Error(`reloadGraphs: <${g}> is not a valid IRI`);
    store.update(`DROP SILENT GRAPH <${g}>`);
  }
  await loadRecords(store, archive, (r) => wanted.has(r.graph), false);
}

/**
 * Runs a SPARQL query. SELECT and ASK give SPARQL JSON results; CONSTRUCT and DESCRIBE give RDF/JS (n3) quads.
 *
 * @throws QueryError when the engine rejects the query (the message is the engine's, with line and column).
 */
export function queryStore(store: ArchiveStore, sparql: string, opts: QueryOptions = {}): QueryResult {
  const shape = scanQuery(sparql);
  const options = queryOptions(shape.hasDataset, opts);
  if (shape.form === 'SELECT' || shape.form === 'ASK') {
    const text = runQuery(store, sparql, { ...options, results_format: 'application/sparql-results+json' });
    return { form: shape.form, results: JSON.parse(text as string) as SparqlJsonResults };
  }
  const result = runQuery(store, sparql, options);
  if (shape.form !== undefined && Array.isArray(result)) {
    // n3's fromQuad copies any RDF/JS-shaped quad into plain n3 terms, so no wasm-backed object escapes this module.
    const quads = (result as OxQuad[]).map((q) => DataFactory.fromQuad(q as unknown as N3Quad));
    return { form: shape.form, quads };
  }
  throw new QueryError('expected a SELECT, ASK, CONSTRUCT or DESCRIBE query');
}

/**
 * Runs a SPARQL query and returns the engine's own serialization: a results media type for SELECT/ASK
 * (`application/sparql-results+json`, `...+xml`, `text/csv`, `text/tab-separated-values`), an RDF media type for
 * CONSTRUCT/DESCRIBE (`text/turtle`, `application/n-triples`, `application/rdf+xml`, ...). Use {@link scanQuery}
 * first to choose the type by form.
 *
 * @throws QueryError when the query is rejected or the media type does not suit the query form.
 */
export function queryStoreSerialized(
  store: ArchiveStore,
  sparql: string,
  mediaType: string,
  opts: QueryOptions = {},
): string {
  const options = queryOptions(scanQuery(sparql).hasDataset, opts);
  const result = runQuery(store, sparql, { ...options, results_format: mediaType });
  if (typeof result !== 'string') throw new QueryError(`the engine gave no ${mediaType} serialization`);
  return result;
}

/**
 * An empty in-memory store holding the given RDF text (default graph), for pipeline steps that map a source's own
 * RDF with SPARQL (the import's CONSTRUCT mappings).
 */
export function scratchStore(text = '', mediaType = 'application/n-triples'): ArchiveStore {
  const store = new Store();
  if (text !== '') store.load(text, { format: mediaType });
  return store;
}

/** Replaces a scratch store's content by the given RDF text (default graph). */
export function resetStore(store: ArchiveStore, text: string, mediaType = 'application/n-triples'): void {
  store.update('CLEAR ALL');
  if (text !== '') store.load(text, { format: mediaType });
}

/** Adds RDF text (default graph) to a store. */
export function addToStore(store: ArchiveStore, text: string, mediaType = 'application/n-triples'): void {
  if (text !== '') store.load(text, { format: mediaType });
}

/** Quad count and named graph count of a store. */
export function storeStats(store: ArchiveStore): { triples: number; graphs: number } {
  const text = store.query('SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g {} }', {
    results_format: 'application/sparql-results+json',
  }) as string;
  const results = JSON.parse(text) as SparqlJsonResults;
  return { triples: store.size, graphs: Number(results.results?.bindings[0]?.n.value ?? 0) };
}

/** Serializes one named graph of the store (e.g. for a Linked Data view of a record). */
export function dumpGraph(store: ArchiveStore, graph: string, mediaType = 'text/turtle'): string {
  return store.dump({ format: mediaType, from_graph_name: namedNode(graph) });
}

// ---------------------------------------------------------------------------------------------------------------

type OxQueryOptions = NonNullable<Parameters<ArchiveStore['query']>[1]>;

function queryOptions(hasDataset: boolean, opts: QueryOptions): OxQueryOptions {
  const options: OxQueryOptions = {};
  // oxigraph's union flag overrides FROM clauses, so it is only set for queries that do not name their dataset.
  if (!hasDataset && (opts.unionDefaultGraph ?? true)) options.use_default_graph_as_union = true;
  if (opts.baseIri !== undefined) options.base_iri = opts.baseIri;
  return options;
}

function runQuery(store: ArchiveStore, sparql: string, options: OxQueryOptions) {
  try {
    return store.query(sparql, options);
  } catch (error) {
    throw new QueryError((error as Error).message, { cause: error });
  }
}

// N-Quads that must reach the engine in one load call (one record, or lines of provenance.nq, which has no blank
// nodes): the bytes of `buffer` from `start` to `end`, read from the file `where`, holding record `recordId` if any.
type Piece = { buffer: Buffer; start: number; end: number; where: string; recordId?: string };

// Loads the selected records (default: all) and provenance.nq, in load calls of about LOAD_CHUNK_BYTES: one call
// per chunk is much faster than one per record. A chunk of consecutive records of one segment is a view of the
// segment's bytes, not a copy.
async function loadRecords(
  store: ArchiveStore,
  archive: Archive,
  select: ((record: ArchiveRecord) => boolean) | undefined,
  strict: boolean,
): Promise<void> {
  const options = { format: NQUADS, lenient: !strict };
  let chunk: Piece[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    const first = chunk[0];
    const contiguous = chunk.every(
      (p, i) => p.buffer === first.buffer && (i === 0 || p.start === chunk[i - 1].end),
    );
    const bytes = contiguous
      ? first.buffer.subarray(first.start, chunk.at(-1)!.end)
      : Buffer.concat(chunk.map((p) => p.buffer.subarray(p.start, p.end)));
    try {
      store.load(bytes, options);
    } catch (error) {
      throw blame(chunk, options, error as Error, archive);
    }
    chunk = [];
    size = 0;
  };
  const add = (piece: Piece) => {
    chunk.push(piece);
    size += piece.end - piece.start;
    if (size >= LOAD_CHUNK_BYTES) flush();
  };
  for await (const segment of archive.readSegments(select)) {
    for (const r of segment.records) {
      add({
        buffer: segment.bytes,
        start: r.offset,
        end: r.offset + r.length,
        where: segment.path,
        recordId: r.recordId,
      });
    }
  }
  // provenance.nq has no blank nodes (provenanceQuads mints IRIs only), so it may be cut at any line end; loaded in
  // one piece, its tens of megabytes took several times longer than in chunks.
  const provenance = await readFile(archive.provenancePath);
  for (let start = 0; start < provenance.length; ) {
    const lineEnd = provenance.indexOf(10, start + LOAD_CHUNK_BYTES);
    const end = lineEnd === -1 ? provenance.length : lineEnd + 1;
    add({ buffer: provenance, start, end, where: archive.provenancePath });
    start = end;
  }
  flush();
}

// A chunk failed to load: find its first bad piece by loading them one by one into a scratch store, so the error
// names the segment and record rather than a byte offset in a concatenation.
function blame(
  chunk: Piece[],
  options: { format: string; lenient: boolean },
  error: Error,
  archive: Archive,
) {
  for (const p of chunk) {
    try {
      new Store().load(p.buffer.subarray(p.start, p.end), options);
    } catch (pieceError) {
      // The engine counts lines from the start of the piece, so the message says where that is in the file.
      const what =
        p.recordId === undefined
          ? `${p.where}${p.start > 0 ? ` (from offset ${p.start})` : ''}`
          : `${p.where} (record "${p.recordId}" at offset ${archive.record(p.recordId)?.offset})`;
      return new Error(`${what}: ${(pieceError as Error).message}`, { cause: pieceError });
    }
  }
  return new Error(`loading ${chunk.length} archive records failed: ${error.message}`, { cause: error });
}

const ONTOLOGY_FORMATS: Record<string, string> = {
  '.ttl': 'text/turtle',
  '.nt': 'application/n-triples',
  '.owl': 'application/rdf+xml',
  '.rdf': 'application/rdf+xml',
};

async function loadOntology(store: ArchiveStore, file: string): Promise<void> {
  const format = ONTOLOGY_FORMATS[extname(file).toLowerCase()];
  if (format === undefined) {
    throw new Error(
      `${file}: unknown ontology file type; expected one of ${Object.keys(ONTOLOGY_FORMATS).join(', ')}`,
    );
  }
  const text = await readFile(file, 'utf8');
  try {
    store.load(text, { format, to_graph_name: namedNode(ONTOLOGY_GRAPH) });
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
