// The schema a generated query is checked against and the LLM is shown: class -> property -> range, from what the
// sources hold (read through the executor, like a VoID class/property partition) and what shapes/ and the
// vocabulary declare.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { prefixes } from '../namespaces.ts';
import type { Executor } from './types.ts';

export type SchemaSummary = {
  /** Classes with instances, and how many. */
  classes: Map<string, number>;
  /** Classes declared by the vocabulary or targeted by shapes that no record uses (e.g. bg:ImagingSession). */
  declaredOnly: Set<string>;
  /** Properties in use, and how often. */
  properties: Map<string, number>;
  /** Class -> property -> ranges: class IRIs, datatype IRIs, `IRI` (an untyped IRI), `literal`. */
  shape: Map<string, Map<string, Set<string>>>;
  labels: Map<string, string>;
  comments: Map<string, string>;
};

const RDF_TYPE = `${prefixes.rdf}type`;
const OWL_CLASS = `${prefixes.owl}Class`;

const PARTITION = `SELECT ?class ?p ?range (COUNT(*) AS ?n) WHERE {
  ?s a ?class ; ?p ?o .
  FILTER(?p != <${RDF_TYPE}>)
  OPTIONAL { ?o a ?oc }
  BIND(IF(isLiteral(?o), STR(DATATYPE(?o)), IF(BOUND(?oc), STR(?oc), "IRI")) AS ?range)
} GROUP BY ?class ?p ?range LIMIT 100000`;
const CLASSES = 'SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class LIMIT 100000';
const PROPERTIES = 'SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p LIMIT 100000';

/** Reads the partition of the sources and the declarations of shapes/ and the vocabulary. */
export async function buildSchema(execute: Executor, files: { shapesDir: string; ontologiesDir: string }, timeoutMs: number): Promise<SchemaSummary> {
  const [partition, classes, properties] = await Promise.all([
    execute(PARTITION, { timeoutMs }),
    execute(CLASSES, { timeoutMs }),
    execute(PROPERTIES, { timeoutMs }),
  ]);
  const s: SchemaSummary = { classes: new Map(), declaredOnly: new Set(), properties: new Map(), shape: new Map(), labels: new Map(), comments: new Map() };
  for (const r of classes.rows) s.classes.set(r.class!.value, Number(r.n!.value));
  for (const r of properties.rows) s.properties.set(r.p!.value, Number(r.n!.value));
  for (const r of partition.rows) {
    const c = r.class!.value;
    let props = s.shape.get(c);
    if (props === undefined) s.shape.set(c, (props = new Map()));
    let ranges = props.get(r.p!.value);
    if (ranges === undefined) props.set(r.p!.value, (ranges = new Set()));
    ranges.add(r.range!.value === '' ? 'literal' : r.range!.value);
  }
  const vocab = new Parser().parse(readFileSync(join(files.ontologiesDir, 'benchgraph.ttl'), 'utf8'));
  for (const q of vocab) {
    if (q.predicate.value === `${prefixes.rdfs}label` && !s.labels.has(q.subject.value)) s.labels.set(q.subject.value, q.object.value);
    if (q.predicate.value === `${prefixes.rdfs}comment` && !s.comments.has(q.subject.value)) s.comments.set(q.subject.value, q.object.value);
    if (q.predicate.value === RDF_TYPE && q.object.value === OWL_CLASS && !s.classes.has(q.subject.value)) s.declaredOnly.add(q.subject.value);
  }
  for (const file of readdirSync(files.shapesDir).filter((f) => f.endsWith('.ttl'))) {
    for (const q of new Parser().parse(readFileSync(join(files.shapesDir, file), 'utf8'))) {
      if (q.predicate.value === `${prefixes.sh}targetClass` && !s.classes.has(q.object.value)) s.declaredOnly.add(q.object.value);
    }
  }
  return s;
}

/** Whether any class of `classes` carries `property` in the data. */
export function classesWithProperty(s: SchemaSummary, property: string): string[] {
  return [...s.shape].filter(([, props]) => props.has(property)).map(([c]) => c);
}

/** A CURIE for an IRI when a project prefix covers it. */
export function curie(iri: string): string {
  for (const [p, base] of Object.entries(prefixes)) if (iri.startsWith(base) && /^[\w-]+$/.test(iri.slice(base.length))) return `${p}:${iri.slice(base.length)}`;
  return `<${iri}>`;
}

/**
 * The compact schema text for the LLM prompt: the record classes (bg:, schema:, prov: ...) with each property
 * and its range; ontology classes are summarised as "term". Only classes with instances are listed.
 */
export function schemaText(s: SchemaSummary): string {
  const lines: string[] = [];
  const recordClasses = [...s.shape.keys()].filter((c) => c.startsWith(prefixes.bg)).sort();
  for (const c of recordClasses) {
    const props = [...s.shape.get(c)!].sort(([a], [b]) => a.localeCompare(b));
    const parts = props.map(([p, ranges]) => `${curie(p)} -> ${[...ranges].map(rangeName).join('|')}`);
    lines.push(`${curie(c)} (${s.classes.get(c) ?? 0}): ${parts.join('; ')}`);
  }
  lines.push('Ontology terms (taxa, anatomy, methods, procedures, sex, sides) are owl:Class IRIs in the ontology graph, linked by rdfs:subClassOf and obo:BFO_0000050 (part of); use rdfs:subClassOf* for kinds and (rdfs:subClassOf|obo:BFO_0000050)* for parts.');
  if (s.declaredOnly.size > 0) lines.push(`Declared but never used (do not query): ${[...s.declaredOnly].map(curie).sort().join(', ')}.`);
  return lines.join('\n');
}

function rangeName(r: string): string {
  if (r === OWL_CLASS) return 'term';
  if (r === 'IRI' || r === 'literal') return r;
  if (r.startsWith(prefixes.xsd)) return `xsd:${r.slice(prefixes.xsd.length)}`;
  return curie(r);
}
