// Scratch stores built from raw RDF documents, for conformance runners that must load test data exactly as given.
import { namedNode, Store } from 'oxigraph';
import type { ArchiveStore } from './store.ts';

/** One RDF document to load: its text, media type (`text/turtle`, `application/rdf+xml`, ...), base IRI and graph. */
export type RdfDocument = {
  text: string;
  mediaType: string;
  /** Base against which relative IRIs in the document resolve. */
  baseIri?: string;
  /** Named graph to load the triples into; the default graph when absent. */
  graph?: string;
};

/**
 * A fresh in-memory store holding the given documents (strict parsing: test data must load as written).
 * Unlike archive stores, its default graph is a real graph, so query it with `unionDefaultGraph: false`.
 *
 * @throws Error naming the document (base IRI or index) that does not parse.
 */
export function storeFromDocuments(documents: RdfDocument[]): ArchiveStore {
  const store = new Store();
  documents.forEach((doc, index) => {
    const options: Parameters<ArchiveStore['load']>[1] = { format: doc.mediaType };
    if (doc.baseIri !== undefined) options.base_iri = doc.baseIri;
    if (doc.graph !== undefined) options.to_graph_name = namedNode(doc.graph);
    try {
      store.load(doc.text, options);
    } catch (error) {
      const where = doc.baseIri ?? `document ${index + 1}`;
      throw new Error(`${where} (${doc.mediaType}): ${(error as Error).message}`, { cause: error });
    }
  });
  return store;
}
