// Reads W3C test manifests (mf:Manifest in Turtle) from ../shared into plain entries the runners iterate over.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Quad, Term } from '@rdfjs/types';
import { Parser } from 'n3';

/** The W3C rdf-tests SPARQL 1.1 directory in ../shared (absent on machines without the shared data). */
export const SPARQL11_DIR = fileURLToPath(
  new URL('../../../shared/conformance/sparql11-tests/sparql/sparql11/', import.meta.url),
);
/** IRI the suite is published under; every manifest, query and data file gets its IRI from here. */
export const SPARQL11_BASE = 'https://w3c.github.io/rdf-tests/sparql/sparql11/';

/** Why a W3C suite cannot run here, or undefined when it can. */
export function suiteMissing(): string | undefined {
  if (existsSync(`${SPARQL11_DIR}manifest-all.ttl`)) return undefined;
  return `W3C SPARQL 1.1 tests not found at ${SPARQL11_DIR} (../shared is absent): conformance tests skipped`;
}

// Test vocabularies of the W3C suites; test-only, so they live here rather than in src/namespaces.ts.
export const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
export const QT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-query#';
export const UT = 'http://www.w3.org/2009/sparql/tests/test-update#';
export const DAWGT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#';
export const RS = 'http://www.w3.org/2001/sw/DataAccess/tests/result-set#';
export const HT = 'http://www.w3.org/2011/http#';
export const CNT = 'http://www.w3.org/2011/content#';
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';

/** A parsed Turtle document indexed by subject, with helpers to read single values and lists. */
export type Graph = {
  quads: Quad[];
  /** Objects of `predicate` on `subject`, in document order. */
  all: (subject: Term, predicate: string) => Term[];
  /** The single object of `predicate` on `subject`, or undefined. */
  one: (subject: Term, predicate: string) => Term | undefined;
  /** Members of the RDF list whose head is `head`. */
  list: (head: Term) => Term[];
};

/** Parses a Turtle file with `baseIri` and indexes it; throws naming the file when it does not parse. */
export function readGraph(path: string, baseIri: string): Graph {
  let quads: Quad[];
  try {
    quads = new Parser({ baseIRI: baseIri }).parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const key = termKey(q.subject);
    const list = bySubject.get(key);
    if (list) list.push(q);
    else bySubject.set(key, [q]);
  }
  const all = (subject: Term, predicate: string) =>
    (bySubject.get(termKey(subject)) ?? [])
      .filter((q) => q.predicate.value === predicate)
      .map((q) => q.object);
  const one = (subject: Term, predicate: string) => all(subject, predicate)[0];
  const list = (head: Term) => {
    const out: Term[] = [];
    for (
      let node: Term | undefined = head;
      node && node.value !== `${RDF}nil`;
      node = one(node, `${RDF}rest`)
    ) {
      const first = one(node, `${RDF}first`);
      if (first === undefined) throw new Error(`${path}: RDF list node ${termKey(node)} has no rdf:first`);
      out.push(first);
    }
    return out;
  };
  return { quads, all, one, list };
}

function termKey(term: Term): string {
  return term.termType === 'BlankNode' ? `_:${term.value}` : term.value;
}

/** Maps a suite IRI back to its file in ../shared. */
export function suitePath(iri: string): string {
  if (!iri.startsWith(SPARQL11_BASE)) throw new Error(`expected an IRI under ${SPARQL11_BASE}, got <${iri}>`);
  return SPARQL11_DIR + decodeURIComponent(iri.slice(SPARQL11_BASE.length));
}

/** Short, stable id of a test entry: `<directory>/<local name>`, e.g. `aggregates/agg01`. */
export function shortId(entryIri: string): string {
  // Entries are named `<dir>/manifest#name` under various bases (w3.org, w3c.github.io); the last part is stable.
  const m = /([^/]+)\/manifest(?:\.ttl)?#(.+)$/.exec(entryIri);
  return m ? `${m[1]}/${m[2]}` : entryIri;
}

/** The manifests a top-level manifest includes (mf:include), as IRIs. */
export function includedManifests(topLevelFile: string): string[] {
  const iri = SPARQL11_BASE + topLevelFile;
  const graph = readGraph(suitePath(iri), iri);
  const self = graph.quads.find((q) => q.predicate.value === `${MF}include`);
  if (!self) throw new Error(`${suitePath(iri)}: expected an mf:include list`);
  return graph.list(self.object).map((t) => t.value);
}

/** One entry of a manifest's mf:entries list, with the manifest graph to read its details from. */
export type ManifestEntry = {
  iri: string;
  id: string;
  node: Term;
  types: string[];
  name: string;
  graph: Graph;
};

/** The entries of one manifest, in mf:entries order. */
export function manifestEntries(manifestIri: string): ManifestEntry[] {
  const graph = readGraph(suitePath(manifestIri), manifestIri);
  const head = graph.quads.find((q) => q.predicate.value === `${MF}entries`);
  if (!head) throw new Error(`${suitePath(manifestIri)}: expected an mf:entries list`);
  return graph.list(head.object).map((node) => ({
    iri: node.value,
    id: shortId(node.value),
    node,
    types: graph.all(node, `${RDF}type`).map((t) => t.value),
    name: graph.one(node, `${MF}name`)?.value ?? node.value,
    graph,
  }));
}
