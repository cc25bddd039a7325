// The federator's own copy of the ontology slims: answers ontology-only patterns (closure, labels) without asking any
// source, and tells which predicates and classes belong to the ontology rather than to the data.
import { ONTOLOGY_GRAPH, prefixes } from '../namespaces.ts';
import { addOntologyFiles, type ArchiveStore, queryStore, scratchStore, type SparqlJsonResults } from '../store/store.ts';

/** The ontology graph every benchgraph archive also holds, loaded in-process. */
export type LocalOntology = {
  store: ArchiveStore;
  /** Predicates used in the ontology graph. */
  predicates: ReadonlySet<string>;
  /** Objects of rdf:type in the ontology graph (owl:Class, owl:Ontology, ...). */
  classes: ReadonlySet<string>;
  /** Subjects of the ontology graph: the terms (and slim headers). */
  terms: ReadonlySet<string>;
  /** Triples in the ontology graph; a source with the same number holds the same slims. */
  triples: number;
  /** Runs a SELECT over the ontology graph. */
  select(query: string): SparqlJsonResults;
};

const RDF_TYPE = `${prefixes.rdf}type`;

/** Loads ontology files (the same ones every archive store loads) into a store of their own, as archives do. */
export async function loadLocalOntology(files: string[]): Promise<LocalOntology> {
  const store = scratchStore();
  await addOntologyFiles(store, files);
  const select = (query: string): SparqlJsonResults => {
    const result = queryStore(store, query);
    if (!('results' in result)) throw new Error(`expected a SELECT or ASK query over the ontology: ${query}`);
    return result.results;
  };
  const column = (query: string, v: string) => new Set((select(query).results?.bindings ?? []).map((b) => b[v]!.value as string));
  const predicates = column(`SELECT DISTINCT ?p WHERE { GRAPH <${ONTOLOGY_GRAPH}> { ?s ?p ?o } }`, 'p');
  const classes = column(`SELECT DISTINCT ?c WHERE { GRAPH <${ONTOLOGY_GRAPH}> { ?s <${RDF_TYPE}> ?c } }`, 'c');
  const terms = column(`SELECT DISTINCT ?s WHERE { GRAPH <${ONTOLOGY_GRAPH}> { ?s ?p ?o } FILTER(isIRI(?s)) }`, 's');
  const count = select(`SELECT (COUNT(*) AS ?n) WHERE { GRAPH <${ONTOLOGY_GRAPH}> { ?s ?p ?o } }`);
  const triples = Number(count.results?.bindings[0]?.n?.value ?? 0);
  return { store, predicates, classes, terms, triples, select };
}

/** The query every source is asked to learn whether it holds the same ontology graph. */
export const ONTOLOGY_COUNT_QUERY = `SELECT (COUNT(*) AS ?n) WHERE { GRAPH <${ONTOLOGY_GRAPH}> { ?s ?p ?o } }`;
