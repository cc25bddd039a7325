// A scratch SPARQL store through the store module, where a source's RDF is mapped by the format's SPARQL queries.
import type { Quad } from '@rdfjs/types';
import { Writer } from 'n3';
import { addToStore, QueryError, queryStore, resetStore, scratchStore, type SparqlJsonTerm } from '../store/store.ts';

export type Scratch = {
  /** Replaces the store's content by these quads (all in the default graph). */
  reset(quads: Quad[]): void;
  /** Adds quads to the default graph. */
  add(quads: Quad[]): void;
  /** Runs a SELECT; rows map variable names to their bound terms as SPARQL JSON terms. */
  select(query: string): Record<string, SparqlJsonTerm>[];
  /** Runs a CONSTRUCT; the result quads are in the default graph. */
  construct(query: string): Quad[];
};

/** Opens an empty in-memory store (the store module owns oxigraph). */
export async function openScratch(): Promise<Scratch> {
  const store = scratchStore();
  return {
    reset(quads) {
      resetStore(store, ntriples(quads));
    },
    add(quads) {
      addToStore(store, ntriples(quads));
    },
    select(query) {
      const result = queryStore(store, query);
      if (result.form !== 'SELECT') throw new QueryError(`expected a SELECT query, found ${result.form}`);
      return result.results.results?.bindings ?? [];
    },
    construct(query) {
      const result = queryStore(store, query);
      if (result.form !== 'CONSTRUCT') throw new QueryError(`expected a CONSTRUCT query, found ${result.form}`);
      return result.quads;
    },
  };
}

/** N-Triples text of the quads (graphs dropped). */
function ntriples(quads: Quad[]): string {
  const writer = new Writer({ format: 'N-Triples' });
  return quads.map((q) => `${writer.quadToString(q.subject, q.predicate, q.object)}`).join('');
}
