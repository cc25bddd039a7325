// Writes RDF/JS quads built by the server (TPF pages, descriptions, record views) as Turtle, TriG, N-Triples,
// N-Quads or JSON-LD, with the project's prefixes.
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory, Writer } from 'n3';
import { prefixes as allPrefixes } from '../namespaces.ts';
import type { SparqlJsonTerm } from '../store/store.ts';
import { FORMATS, type Format } from './conneg.ts';

const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;

const RDF_TYPE = `${allPrefixes.rdf}type`;
const XSD_STRING = `${allPrefixes.xsd}string`;
const RDF_LANG_STRING = `${allPrefixes.rdf}langString`;

/** The RDF formats the server writes itself. */
export const RDF_FORMATS: Format[] = [
  FORMATS.turtle,
  FORMATS.jsonld,
  FORMATS.trig,
  FORMATS.nquads,
  FORMATS.ntriples,
];

/**
 * Serializes quads in `format`. Triple formats (Turtle, N-Triples) get every quad as a triple of the default graph;
 * TriG, N-Quads and JSON-LD keep graph names.
 */
export function writeRdf(
  quads: Quad[],
  format: Format,
  prefixes: Record<string, string> = allPrefixes,
): string {
  prefixes = usedPrefixes(quads, prefixes);
  switch (format.mediaType) {
    case FORMATS.turtle.mediaType:
      return writeN3(asTriples(quads), 'Turtle', prefixes);
    case FORMATS.ntriples.mediaType:
      return writeN3(asTriples(quads), 'N-Triples', {});
    case FORMATS.trig.mediaType:
      return writeN3(quads, 'TriG', prefixes);
    case FORMATS.nquads.mediaType:
      return writeN3(quads, 'N-Quads', {});
    case FORMATS.jsonld.mediaType:
      return `${JSON.stringify(toJsonLd(quads, prefixes), null, 2)}\n`;
    default:
      throw new Error(`writeRdf: cannot write ${format.mediaType}`);
  }
}

// Only the prefixes some IRI of the quads starts with, so documents do not open with a wall of unused ones.
function usedPrefixes(quads: Quad[], prefixes: Record<string, string>): Record<string, string> {
  const iris = new Set<string>();
  const visit = (t: Term) => {
    if (t.termType === 'NamedNode') iris.add(t.value);
    else if (t.termType === 'Literal') iris.add(t.datatype.value);
  };
  for (const q of quads) for (const t of [q.subject, q.predicate, q.object, q.graph]) visit(t);
  const namespaces = Object.entries(prefixes).filter(([, ns]) => [...iris].some((iri) => iri.startsWith(ns)));
  return Object.fromEntries(namespaces);
}

// The writer abbreviates only consecutive quads of one subject (and graph); this brings them together, keeping the
// order in which subjects first appear.
function grouped(quads: Quad[]): Quad[] {
  const groups = new Map<string, Quad[]>();
  for (const q of quads) {
    const key = `${q.graph.termType}|${q.graph.value}|${q.subject.termType}|${q.subject.value}`;
    const group = groups.get(key);
    if (group) group.push(q);
    else groups.set(key, [q]);
  }
  return [...groups.values()].flat();
}

function asTriples(quads: Quad[]): Quad[] {
  return quads.map((q) =>
    q.graph.termType === 'DefaultGraph' ? q : quad(q.subject, q.predicate, q.object, defaultGraph()),
  );
}

function writeN3(quads: Quad[], format: string, prefixes: Record<string, string>): string {
  const writer = new Writer({ format, prefixes });
  writer.addQuads(grouped(quads));
  let output: string | undefined;
  // Without an output stream the writer hands its text to this callback synchronously.
  writer.end((error, result) => {
    if (error) throw error;
    output = result;
  });
  if (output === undefined) throw new Error(`writeRdf: the ${format} writer produced no output`);
  return output;
}

type JsonLdValue = { '@id': string } | { '@value': string; '@type'?: string; '@language'?: string };
type JsonLdNode = { '@id': string; '@type'?: string[]; '@graph'?: JsonLdNode[]; [p: string]: unknown };

/**
 * JSON-LD in flattened form: one node object per subject, the prefixes as the context (so keys and IRIs are
 * compact), named graphs as `{"@id": graph, "@graph": [...]}`.
 */
export function toJsonLd(quads: Quad[], prefixes: Record<string, string>): object {
  const compact = (iri: string): string => {
    for (const [p, ns] of Object.entries(prefixes)) {
      if (iri.startsWith(ns) && /^[A-Za-z_][\w.-]*$/.test(iri.slice(ns.length)))
        return `${p}:${iri.slice(ns.length)}`;
    }
    return iri;
  };
  const id = (t: Term) => (t.termType === 'BlankNode' ? `_:${t.value}` : compact(t.value));
  const value = (t: Term): JsonLdValue => {
    if (t.termType !== 'Literal') return { '@id': id(t) };
    if (t.language) return { '@value': t.value, '@language': t.language };
    if (t.datatype.value === XSD_STRING) return { '@value': t.value };
    return { '@value': t.value, '@type': compact(t.datatype.value) };
  };
  const graphs = new Map<string, Map<string, JsonLdNode>>();
  for (const q of quads) {
    const g = q.graph.termType === 'DefaultGraph' ? '' : id(q.graph);
    let nodes = graphs.get(g);
    if (!nodes) {
      nodes = new Map();
      graphs.set(g, nodes);
    }
    const s = id(q.subject);
    let node = nodes.get(s);
    if (!node) {
      node = { '@id': s };
      nodes.set(s, node);
    }
    if (q.predicate.value === RDF_TYPE && q.object.termType !== 'Literal') {
      const types = node['@type'] ?? [];
      types.push(id(q.object));
      node['@type'] = types;
    } else {
      const key = compact(q.predicate.value);
      const values = (node[key] as JsonLdValue[] | undefined) ?? [];
      values.push(value(q.object));
      node[key] = values;
    }
  }
  const top = [...(graphs.get('')?.values() ?? [])];
  for (const [g, nodes] of graphs) {
    if (g === '') continue;
    const holder = top.find((n) => n['@id'] === g);
    if (holder) holder['@graph'] = [...nodes.values()];
    else top.push({ '@id': g, '@graph': [...nodes.values()] });
  }
  return { '@context': prefixes, '@graph': top };
}

/** An RDF/JS term from a SPARQL JSON results term (as the store's internal queries return them). */
export function termFromJson(t: SparqlJsonTerm): Quad['object'] {
  switch (t.type) {
    case 'uri':
      return namedNode(t.value);
    case 'bnode':
      return blankNode(t.value);
    case 'literal':
      if (t['xml:lang']) return literal(t.value, t['xml:lang']);
      return literal(
        t.value,
        t.datatype && t.datatype !== RDF_LANG_STRING ? namedNode(t.datatype) : undefined,
      );
    case 'triple':
      return quad(
        termFromJson(t.value.subject) as Quad['subject'],
        termFromJson(t.value.predicate) as Quad['predicate'],
        termFromJson(t.value.object),
      ) as unknown as Quad['object'];
  }
}
