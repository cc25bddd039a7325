// SPARQL Protocol extras over an archive store: a dataset given by the request, format conversion, test-mode updates.
import { defaultGraph, namedNode, Store } from 'oxigraph';
import { type ArchiveStore, hasMergedDefaultGraph, QueryError, scanQuery } from './store.ts';

/** The RDF dataset a SPARQL Protocol request names with `default-graph-uri` / `named-graph-uri`. */
export type ProtocolDataset = { defaultGraphs: string[]; namedGraphs: string[] };

type OxQueryOptions = NonNullable<Parameters<ArchiveStore['query']>[1]>;

/**
 * Runs a query and returns the engine's serialization in `mediaType` (a SPARQL results type for SELECT/ASK, an
 * RDF type for CONSTRUCT/DESCRIBE). With a `dataset`, exactly those graphs make up the default graph and the named
 * graphs, overriding FROM/FROM NAMED as the protocol requires; without one, the default graph is the RDF merge of
 * all graphs (each triple once) unless the query has its own FROM clauses. Relative IRIs in the query resolve
 * against `baseIri`.
 *
 * @throws QueryError when the engine rejects the query (its message carries line and column).
 */
export function queryProtocol(
  store: ArchiveStore,
  sparql: string,
  mediaType: string,
  opts: { dataset?: ProtocolDataset; baseIri?: string } = {},
): string {
  const { dataset, baseIri } = opts;
  const options: OxQueryOptions = { results_format: mediaType };
  if (baseIri !== undefined) options.base_iri = baseIri;
  if (dataset) {
    options.default_graph = dataset.defaultGraphs.map((g) => namedNode(g));
    options.named_graphs = dataset.namedGraphs.map((g) => namedNode(g));
  } else if (!hasMergedDefaultGraph(store) && !scanQuery(sparql).hasDataset) {
    // An archive store's own default graph is the merge already; oxigraph's union flag would repeat a triple once per
    // graph holding it. The flag overrides FROM clauses, so it is only set for queries that do not name their dataset.
    options.use_default_graph_as_union = true;
  }
  let result: ReturnType<ArchiveStore['query']>;
  try {
    result = store.query(sparql, options);
  } catch (error) {
    throw new QueryError((error as Error).message, { cause: error });
  }
  if (typeof result !== 'string') throw new QueryError(`the engine gave no ${mediaType} serialization`);
  return result;
}

/** Re-serializes an RDF document (e.g. N-Triples to Turtle or JSON-LD) through a scratch store. */
export function convertRdf(text: string, fromMediaType: string, toMediaType: string): string {
  const scratch = new Store();
  scratch.load(text, { format: fromMediaType });
  // Triple formats must be told which graph to write; the converted document only has the default graph.
  return scratch.dump({ format: toMediaType, from_graph_name: defaultGraph() });
}

/**
 * Applies a SPARQL Update to the in-memory store only (never to the archive on disk). Used by the server's test mode
 * for the W3C protocol tests; archives change through ingest.
 *
 * @throws QueryError when the engine rejects the update.
 */
export function updateStore(store: ArchiveStore, sparql: string, baseIri?: string): void {
  try {
    store.update(sparql, baseIri === undefined ? {} : { base_iri: baseIri });
  } catch (error) {
    throw new QueryError((error as Error).message, { cause: error });
  }
}
