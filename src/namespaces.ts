// Every namespace IRI benchgraph uses, in one place; the rest of src/ builds IRIs from these.
import { DataFactory, type NamedNode } from 'n3';

/** The project's own persistent namespace (documented in README and ontologies/benchgraph.ttl). */
export const BENCHGRAPH = 'https://w3id.org/benchgraph/';

export const prefixes = {
  bg: `${BENCHGRAPH}vocab#`,
  bggraph: `${BENCHGRAPH}graph/`,
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  sh: 'http://www.w3.org/ns/shacl#',
  obo: 'http://purl.obolibrary.org/obo/',
  oboInOwl: 'http://www.geneontology.org/formats/oboInOwl#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  dcterms: 'http://purl.org/dc/terms/',
  dcat: 'http://www.w3.org/ns/dcat#',
  prov: 'http://www.w3.org/ns/prov#',
  schema: 'http://schema.org/',
  void: 'http://rdfs.org/ns/void#',
  sd: 'http://www.w3.org/ns/sparql-service-description#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  foaf: 'http://xmlns.com/foaf/0.1/',
  formats: 'http://www.w3.org/ns/formats/',
  bgsh: `${BENCHGRAPH}shapes#`,
} as const;

export type Prefix = keyof typeof prefixes;

/** A term builder per namespace: `ns.bg('Session')` is the named node bg:Session. */
export const ns = Object.fromEntries(
  Object.entries(prefixes).map(([p, base]) => [p, (local: string) => DataFactory.namedNode(base + local)]),
) as unknown as Record<Prefix, (local: string) => NamedNode>;

/** Expands a CURIE with a known prefix (`bg:Session`), or returns null. */
export function expandCurie(curie: string): string | null {
  const i = curie.indexOf(':');
  if (i <= 0) return null;
  const base = (prefixes as Record<string, string>)[curie.slice(0, i)];
  return base === undefined ? null : base + curie.slice(i + 1);
}

/** Graph holding the ontology slims inside every archive store, so closure queries work per archive. */
export const ONTOLOGY_GRAPH = `${BENCHGRAPH}graph/ontologies`;
