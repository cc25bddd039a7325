// Source summaries: which predicates and classes each source holds, which of their values are the source's own IRIs
// (joins on those never leave the source) and which shared values (terms, literals) occur; plus licence and citation.
import { Parser } from 'n3';
import { ONTOLOGY_GRAPH, prefixes } from '../namespaces.ts';
import type { JsonResults, JsonTerm, SourceClient } from './client.ts';
import { ONTOLOGY_COUNT_QUERY } from './ontology.ts';

/** Values seen in one position (subject or object) of one predicate at one source. */
export type ValueSet = {
  /** Whether some values are IRIs of the source's own uriSpace. */
  local: boolean;
  /** The other values (terms as {@link termKey}), or 'many' when there are more than {@link MAX_VALUES}. */
  shared: ReadonlySet<string> | 'many';
};

export type PredicateSummary = { triples: number; subjects: ValueSet; objects: ValueSet };

/** What the planner knows about a source. */
export type SourceSummary = {
  predicates: ReadonlyMap<string, PredicateSummary>;
  /** Classes (objects of rdf:type) with their number of rdf:type triples. */
  classes: ReadonlyMap<string, number>;
  /** Classes whose instances are all the source's own IRIs. */
  classLocal: ReadonlyMap<string, boolean>;
  /** Triples in the source's copy of the ontology graph (0: none). */
  ontologyTriples: number;
  uriSpace?: string;
  /** Nothing is known about the source (a TPF interface): it may match any pattern. */
  open?: boolean;
  /** The description's dcterms:modified (benchgraph archives), to notice changes. */
  version?: string;
  title?: string;
  license?: string;
  citation?: string;
  builtAt: number;
};

/** Shared values listed per position before the set is summarized as 'many'. */
export const MAX_VALUES = 500;

const NEVER = 'urn:benchgraph:no-uri-space:';
/** Graphs SPARQL stores keep for themselves (Virtuoso's schema and server graphs), left out of every summary. */
export const SYSTEM_GRAPHS = ['http://www.openlinksw.com/schemas/virtrdf#', 'http://www.w3.org/ns/ldp#', 'http://localuriqaserver/sparql'];
const { rdf, dcterms, foaf, void: voidNs, xsd } = prefixes;
const bg = prefixes.bg;
const schema = prefixes.schema;

/** A term as a comparable string: `<iri>`, `_:b`, or an N-Triples literal. */
export function termKey(t: JsonTerm | { termType: string; value: string; language?: string; datatype?: { value: string } }): string {
  const type = 'termType' in t ? t.termType : t.type;
  if (type === 'uri' || type === 'NamedNode') return `<${t.value}>`;
  if (type === 'bnode' || type === 'BlankNode') return `_:${t.value}`;
  const lang = 'termType' in t ? t.language : t['xml:lang'];
  const datatype = 'termType' in t ? t.datatype?.value : t.datatype;
  const v = JSON.stringify(t.value);
  if (lang) return `${v}@${lang.toLowerCase()}`;
  if (datatype && datatype !== `${xsd}string`) return `${v}^^<${datatype}>`;
  return v;
}

/** Metadata read from a benchgraph archive's VoID/DCAT description. */
export type Description = { uriSpace?: string; version?: string; title?: string; license?: string; publisher?: string };

/** Reads the dataset entry of a VoID/DCAT description (Turtle or N-Triples). */
export function parseDescription(text: string, baseIri: string): Description {
  const quads = new Parser({ baseIRI: baseIri }).parse(text);
  const dataset = quads.find((q) => q.predicate.value === `${rdf}type` && q.object.value === `${voidNs}Dataset`)?.subject;
  if (!dataset) return {};
  const one = (p: string, s = dataset) => quads.find((q) => q.subject.equals(s) && q.predicate.value === p)?.object;
  const publisher = one(`${dcterms}publisher`);
  return {
    uriSpace: one(`${voidNs}uriSpace`)?.value,
    version: one(`${dcterms}modified`)?.value,
    title: one(`${dcterms}title`)?.value,
    license: one(`${dcterms}license`)?.value,
    publisher: publisher ? (one(`${foaf}name`, publisher as typeof dataset)?.value ?? publisher.value) : undefined,
  };
}

/**
 * Builds a source's summary with a handful of aggregate queries (run in parallel). `uriSpace` comes from the
 * description or the federation file; without it every value counts as shared, which is always correct but
 * lets fewer joins stay inside the source.
 */
export async function buildSummary(client: SourceClient, name: string, description: Description): Promise<SourceSummary> {
  const source = client.source(name);
  const uriSpace = source.uriSpace ?? description.uriSpace;
  const ns = JSON.stringify(uriSpace ?? NEVER);
  // The ontology graph is the federation's own; store system graphs (Virtuoso's) are not data either.
  const notOntology = `FILTER(?g NOT IN (${[ONTOLOGY_GRAPH, ...SYSTEM_GRAPHS, ...(source.ignoreGraphs ?? [])].map((g) => `<${g}>`).join(', ')}))`;
  const localS = `(isIRI(?s) && STRSTARTS(STR(?s), ${ns}))`;
  const localO = `(isIRI(?o) && STRSTARTS(STR(?o), ${ns}))`;
  // One query at a time, with a long time limit: aggregates over a whole archive take seconds on a busy server.
  const timeoutMs = Math.max(60_000, source.timeoutMs * 6);
  const run = (q: string) => client.select(name, q, timeoutMs);
  const [counts, classes, sharedS, sharedO, ontology, studies] = await sequence([
    () => run(`SELECT ?p (COUNT(*) AS ?n) (SUM(IF(${localS}, 1, 0)) AS ?ls) (SUM(IF(${localO}, 1, 0)) AS ?lo)
         WHERE { GRAPH ?g { ?s ?p ?o } ${notOntology} } GROUP BY ?p`),
    () => run(`SELECT ?c (COUNT(*) AS ?n) (SUM(IF(${localS}, 1, 0)) AS ?ls)
         WHERE { GRAPH ?g { ?s <${rdf}type> ?c } ${notOntology} } GROUP BY ?c`),
    () => run(`SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } ${notOntology} FILTER(!${localS}) } GROUP BY ?p`),
    () => run(`SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } ${notOntology} FILTER(!${localO}) } GROUP BY ?p`),
    () => run(ONTOLOGY_COUNT_QUERY),
    () => run(`SELECT DISTINCT ?study ?license ?citation WHERE {
           ?study <${rdf}type> <${bg}Study> .
           OPTIONAL { ?study <${dcterms}license> ?license }
           OPTIONAL { ?study <${bg}publication> ?pub . ?pub <${schema}citation> ?citation } }`),
  ]);
  const few = (r: JsonResults) =>
    rows(r)
      .filter((b) => Number(b.n?.value ?? 0) <= MAX_VALUES && Number(b.n?.value ?? 0) > 0)
      .map((b) => b.p!.value);
  const manyOf = (r: JsonResults) => new Set(rows(r).filter((b) => Number(b.n?.value ?? 0) > MAX_VALUES).map((b) => b.p!.value));
  const [valuesS, valuesO] = await sequence([
    () => listValues(run, few(sharedS), 's', `FILTER(!${localS})`, notOntology),
    () => listValues(run, few(sharedO), 'o', `FILTER(!${localO})`, notOntology),
  ]);
  const manyS = manyOf(sharedS);
  const manyO = manyOf(sharedO);
  const predicates = new Map<string, PredicateSummary>();
  for (const b of rows(counts)) {
    const p = b.p!.value;
    predicates.set(p, {
      triples: Number(b.n!.value),
      subjects: { local: Number(b.ls?.value ?? 0) > 0, shared: manyS.has(p) ? 'many' : (valuesS.get(p) ?? new Set()) },
      objects: { local: Number(b.lo?.value ?? 0) > 0, shared: manyO.has(p) ? 'many' : (valuesO.get(p) ?? new Set()) },
    });
  }
  const licenses = new Set(rows(studies).flatMap((b) => (b.license ? [b.license.value] : [])));
  const citations = new Set(rows(studies).flatMap((b) => (b.citation ? [b.citation.value] : [])));
  const title = description.title ?? (uriSpace ? undefined : source.name);
  const license = source.license ?? description.license ?? (licenses.size > 0 ? [...licenses].sort().join(' ') : undefined);
  const citation =
    source.citation ??
    (citations.size > 0
      ? [...citations].sort().join(' | ')
      : description.title
        ? `${description.publisher ? `${description.publisher}. ` : ''}${description.title}. benchgraph archive "${source.name}", ${source.description ?? source.endpoint}`
        : undefined);
  return {
    predicates,
    classes: new Map(rows(classes).map((b) => [b.c!.value, Number(b.n!.value)])),
    classLocal: new Map(rows(classes).map((b) => [b.c!.value, uriSpace !== undefined && Number(b.ls?.value ?? 0) === Number(b.n!.value)])),
    ontologyTriples: Number(rows(ontology)[0]?.n?.value ?? 0),
    uriSpace,
    version: description.version,
    title,
    license,
    citation,
    builtAt: Date.now(),
  };
}

// Runs thunks one after the other (Promise.all's shape, without the concurrency).
async function sequence<T>(thunks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const t of thunks) out.push(await t());
  return out;
}

function rows(r: JsonResults): Record<string, JsonTerm>[] {
  return r.results?.bindings ?? [];
}

// The shared values of the predicates that have few, in one query per position.
async function listValues(
  run: (q: string) => Promise<JsonResults>,
  predicates: string[],
  position: 's' | 'o',
  filter: string,
  notOntology: string,
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (predicates.length === 0) return out;
  const values = predicates.map((p) => `<${p}>`).join(' ');
  const r = await run(`SELECT DISTINCT ?p ?${position} WHERE { VALUES ?p { ${values} } GRAPH ?g { ?s ?p ?o } ${notOntology} ${filter} }`);
  for (const b of rows(r)) {
    const p = b.p!.value;
    let set = out.get(p);
    if (!set) out.set(p, (set = new Set()));
    set.add(termKey(b[position]!));
  }
  return out;
}
