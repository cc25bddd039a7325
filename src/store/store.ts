// The one module that owns oxigraph: loads archives into in-memory stores and answers SPARQL queries over them.
import { randomUUID } from 'node:crypto';
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

// Stores whose own default graph holds the RDF merge of their named graphs (a set: each triple once), maintained by
// addArchive, addOntologyFiles and reloadGraphs. Queries on them use that graph as their default graph instead of
// oxigraph 0.5's use_default_graph_as_union, which repeats a triple once per graph holding it (oxigraph #1919).
const mergedStores = new WeakSet<ArchiveStore>();

/** Options of {@link loadArchiveStore}. */
export type LoadOptions = {
  /** Ontology slims loaded into {@link ONTOLOGY_GRAPH}: Turtle (.ttl), N-Triples (.nt) or RDF/XML (.owl, .rdf). */
  ontologyFiles?: string[];
  /**
   * Check every IRI and language tag while loading records. Off by default: the archive wrote their quads itself
   * from checked terms, and skipping the checks loaded 1 million triples in about 3.7 s instead of 5 to 8 s
   * (2-core machine, measured before records were also copied to the default graph).
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
   * The query's default graph is the RDF merge of all graphs (default true), so `?s ?p ?o` sees every record, each
   * triple once. Archive stores keep that merge as their own default graph, so for them `false` gives the same
   * answers; for other stores (scratch, test documents) `false` means their own default graph only. Ignored when the
   * query has FROM/FROM NAMED, which then decide the dataset as SPARQL specifies.
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
 * ontology slims in {@link ONTOLOGY_GRAPH}; the store's default graph holds the RDF merge of all of them (each
 * triple once), which queries without FROM use. The archive's segment files are read one at a time and loaded a few
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
  await addOntologyFiles(store, opts.ontologyFiles ?? []);
  return store;
}

/**
 * Adds every record graph of an archive and its provenance graph to a new store or one built by this module (e.g.
 * one holding several archives), and their triples to its default graph; {@link loadArchiveStore} is this on a new
 * store, plus ontology slims.
 *
 * @throws Error naming the segment and record that does not parse.
 */
export async function addArchive(
  store: ArchiveStore,
  archive: Archive,
  opts: Pick<LoadOptions, 'strict'> = {},
): Promise<void> {
  mergedStores.add(store);
  await loadRecords(store, archive, undefined, opts.strict ?? false);
}

/**
 * Loads ontology slims into {@link ONTOLOGY_GRAPH} of a new store or one built by this module, and their triples into
 * its default graph: Turtle (.ttl), N-Triples (.nt) or RDF/XML (.owl, .rdf).
 *
 * @throws Error naming the file that does not parse or has an unknown type.
 */
export async function addOntologyFiles(store: ArchiveStore, files: string[]): Promise<void> {
  if (files.length === 0) return;
  mergedStores.add(store);
  for (const file of files) await loadOntology(store, file);
  // ADD keeps the blank nodes (OWL restrictions) of the ontology graph, so both copies share them.
  store.update(`ADD GRAPH <${ONTOLOGY_GRAPH}> TO DEFAULT`);
}

/**
 * Brings a loaded store up to date after {@link Archive.writeBatch} or {@link Archive.removeRecords}: drops the
 * given graphs (pass the batch result's `graphs`) and the provenance graph, removes from the default graph the
 * triples no other graph still holds, and loads the archive's current records in those graphs and its provenance.
 * Cheaper than a full reload for small batches.
 */
export async function reloadGraphs(store: ArchiveStore, archive: Archive, graphs: string[]): Promise<void> {
  const wanted = new Set(graphs);
  const dropped = [...wanted, PROVENANCE_GRAPH];
  for (const g of dropped) {
    if (/[\s<>"{}|^`\\]/.test(g)) throw new Error(`reloadGraphs: <${g}> is not a valid IRI`);
  }
  dropGraphs(store, dropped);
  await loadRecords(store, archive, (r) => wanted.has(r.graph), false);
}

/**
 * Runs a SPARQL query. SELECT and ASK give SPARQL JSON results; CONSTRUCT and DESCRIBE give RDF/JS (n3) quads.
 *
 * @throws QueryError when the engine rejects the query (the message is the engine's, with line and column).
 */
export function queryStore(store: ArchiveStore, sparql: string, opts: QueryOptions = {}): QueryResult {
  const shape = scanQuery(sparql);
  const options = queryOptions(store, shape.hasDataset, opts);
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
  const options = queryOptions(store, scanQuery(sparql).hasDataset, opts);
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

/**
 * Sizes of a store: `triples` counts quads in named graphs (plus, for stores not built from archives, their own
 * default graph), `graphs` the named graphs, and `defaultTriples` the triples of the store's own default graph (for
 * archive stores: the merge of the named graphs, each triple once).
 */
export function storeStats(store: ArchiveStore): { triples: number; graphs: number; defaultTriples: number } {
  const count = (sparql: string) => {
    const text = store.query(sparql, { results_format: 'application/sparql-results+json' }) as string;
    return Number((JSON.parse(text) as SparqlJsonResults).results?.bindings[0]?.n.value ?? 0);
  };
  const defaultTriples = count('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
  const graphs = count('SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g {} }');
  const triples = mergedStores.has(store) ? store.size - defaultTriples : store.size;
  return { triples, graphs, defaultTriples };
}

/**
 * Whether queries without FROM on this store see its own default graph, which holds the merge of its named graphs
 * (archive stores), rather than needing the engine's union option. For the protocol layer's dataset choice.
 */
export function hasMergedDefaultGraph(store: ArchiveStore): boolean {
  return mergedStores.has(store);
}

/** Serializes one named graph of the store (e.g. for a Linked Data view of a record). */
export function dumpGraph(store: ArchiveStore, graph: string, mediaType = 'text/turtle'): string {
  return store.dump({ format: mediaType, from_graph_name: namedNode(graph) });
}

// ---------------------------------------------------------------------------------------------------------------

type OxQueryOptions = NonNullable<Parameters<ArchiveStore['query']>[1]>;

function queryOptions(store: ArchiveStore, hasDataset: boolean, opts: QueryOptions): OxQueryOptions {
  const options: OxQueryOptions = {};
  // oxigraph's union flag overrides FROM clauses, so it is only set for queries that do not name their dataset; an
  // archive store's own default graph already is the merge, without the flag's repeated rows.
  if (!hasDataset && (opts.unionDefaultGraph ?? true) && !mergedStores.has(store)) {
    options.use_default_graph_as_union = true;
  }
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
// Every line ends with the graph term of `graph` (a record owns exactly one graph; provenance.nq has one graph).
type Piece = { buffer: Buffer; start: number; end: number; where: string; graph: string; recordId?: string };

// Loads the selected records (default: all) and provenance.nq, in load calls of about LOAD_CHUNK_BYTES: one call
// per chunk is much faster than one per record. Each call holds the chunk's quads followed by the same lines without
// their graph term, so that each triple also lands in the default graph (a set: duplicates vanish) and both copies
// share their blank nodes (oxigraph renames blank nodes per load call, so a separate load would not). Loads run
// without a transaction: a failed load throws and leaves the store incomplete either way, and skipping the transaction
// log pays for much of the copy (bench archive, 1.36M quads, CPU: 4.3 to 6.5 s instead of 6.9 to 9.3 s without copy).
async function loadRecords(
  store: ArchiveStore,
  archive: Archive,
  select: ((record: ArchiveRecord) => boolean) | undefined,
  strict: boolean,
): Promise<void> {
  const options = { format: NQUADS, lenient: !strict, no_transaction: true };
  let chunk: Piece[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    // Stripped lines are never longer than the quads they come from.
    const bytes = Buffer.allocUnsafe(2 * size);
    let at = 0;
    for (const p of chunk) at += p.buffer.copy(bytes, at, p.start, p.end);
    try {
      for (const p of chunk) at = copyAsTriples(p, bytes, at, archive);
    } catch (error) {
      // A line that is not canonical may not parse either: the parser's message says more.
      throw blame(chunk, options, archive) ?? error;
    }
    try {
      store.load(bytes.subarray(0, at), options);
    } catch (error) {
      throw (
        blame(chunk, options, archive) ??
        new Error(`loading ${chunk.length} archive records failed: ${(error as Error).message}`, { cause: error })
      );
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
      const graph = archive.record(r.recordId)?.graph;
      if (graph === undefined) throw new Error(`${segment.path}: record "${r.recordId}" is not in the manifest`);
      add({
        buffer: segment.bytes,
        start: r.offset,
        end: r.offset + r.length,
        where: segment.path,
        graph,
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
    add({ buffer: provenance, start, end, where: archive.provenancePath, graph: PROVENANCE_GRAPH });
    start = end;
  }
  flush();
}

// Writes the lines of `piece` into `out` from `at` without their graph term (`S P O <graph> .` becomes `S P O .`),
// and returns where the written bytes end. The archive writes its lines in this canonical form.
function copyAsTriples(piece: Piece, out: Buffer, at: number, archive: Archive): number {
  const { buffer, end } = piece;
  const suffix = Buffer.from(` <${piece.graph}> .`);
  let w = at;
  let line = 0;
  for (let pos = piece.start; pos < end; ) {
    let lineEnd = buffer.indexOf(10, pos);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    line++;
    if (lineEnd > pos) {
      const cut = lineEnd - suffix.length;
      if (cut <= pos || buffer.compare(suffix, 0, suffix.length, cut, lineEnd) !== 0) {
        throw new Error(
          `${describePiece(piece, archive)}: line ${line} does not end with its graph <${piece.graph}>; ` +
            'expected the archive\'s canonical N-Quads ("S P O <graph> .")',
        );
      }
      w += buffer.copy(out, w, pos, cut);
      w += out.write(' .\n', w, 'latin1');
    }
    pos = lineEnd + 1;
  }
  return w;
}

// Where a piece lies, for messages whose line numbers count from the piece's start.
function describePiece(p: Piece, archive: Archive): string {
  return p.recordId === undefined
    ? `${p.where}${p.start > 0 ? ` (from offset ${p.start})` : ''}`
    : `${p.where} (record "${p.recordId}" at offset ${archive.record(p.recordId)?.offset})`;
}

// Drops named graphs and removes from the default graph the triples that no remaining graph holds, in one update.
// The dropped graphs' triples are first copied to a scratch graph (keeping blank nodes), so the check is one index
// lookup per triple however many graphs are dropped.
function dropGraphs(store: ArchiveStore, graphs: string[]): void {
  const scratch = `urn:uuid:${randomUUID()}`;
  store.update(
    [
      `INSERT { GRAPH <${scratch}> { ?s ?p ?o } } WHERE { VALUES ?g { ${graphs.map((g) => `<${g}>`).join(' ')} } GRAPH ?g { ?s ?p ?o } }`,
      ...graphs.map((g) => `DROP SILENT GRAPH <${g}>`),
      `DELETE { ?s ?p ?o } WHERE { GRAPH <${scratch}> { ?s ?p ?o } FILTER NOT EXISTS { GRAPH ?h { ?s ?p ?o } FILTER (?h != <${scratch}>) } }`,
      `DROP SILENT GRAPH <${scratch}>`,
    ].join(' ;\n'),
  );
}

// A chunk failed to load: find its first bad piece by loading them one by one into a scratch store, so the error
// names the segment and record rather than a byte offset in a concatenation. Undefined when every piece parses.
function blame(chunk: Piece[], options: { format: string; lenient: boolean }, archive: Archive): Error | undefined {
  for (const p of chunk) {
    try {
      new Store().load(p.buffer.subarray(p.start, p.end), options);
    } catch (pieceError) {
      // The engine counts lines from the start of the piece, so the message says where that is in the file.
      return new Error(`${describePiece(p, archive)}: ${(pieceError as Error).message}`, { cause: pieceError });
    }
  }
  return undefined;
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
