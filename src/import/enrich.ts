// Enrichment: ontology terms named in a record's texts, found through the label index, recorded as derived terms
// of the record (with the text, field and method they came from and a confidence), apart from asserted values.
import type { Quad } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ns, prefixes } from '../namespaces.ts';
import type { Branch, TermIndex } from '../terms/index.ts';
import { normalizeKey } from '../terms/normalize.ts';

const { namedNode, literal, quad } = DataFactory;

export type EnrichOptions = {
  recordIri: string;
  terms: TermIndex;
  branches: Branch[];
  /** Predicates whose literal values are searched. */
  fields: Set<string>;
  method: string;
  confidence: { label: number; synonym: number };
};

/**
 * The derived-term quads for a record: one bg:DerivedTerm per (term, node, field) where a term's label or exact
 * synonym occurs in the text, unless the record already asserts that term somewhere. Deterministic: the same
 * quads give the same derived nodes and IRIs.
 */
export function deriveTerms(quads: Quad[], opts: EnrichOptions): Quad[] {
  const asserted = new Set<string>();
  for (const q of quads) if (q.object.termType === 'NamedNode') asserted.add(q.object.value);
  type Found = { iri: string; label: string; node: string; field: string; matched: string; confidence: number };
  const found = new Map<string, Found>();
  for (const q of quads) {
    if (q.object.termType !== 'Literal' || !opts.fields.has(q.predicate.value) || q.subject.termType !== 'NamedNode') continue;
    for (const m of opts.terms.findMentions(q.object.value, opts.branches)) {
      if (asserted.has(m.iri)) continue;
      const key = `${m.iri}\n${q.subject.value}\n${q.predicate.value}`;
      if (found.has(key)) continue;
      const confidence = normalizeKey(m.matched) === normalizeKey(m.label) ? opts.confidence.label : opts.confidence.synonym;
      found.set(key, { iri: m.iri, label: m.label, node: q.subject.value, field: q.predicate.value, matched: m.matched, confidence });
    }
  }
  const record = namedNode(opts.recordIri);
  const out: Quad[] = [];
  const perTerm = new Map<string, number>();
  const sorted = [...found.values()].sort((a, b) => compare(a.iri, b.iri) || compare(a.node, b.node) || compare(a.field, b.field));
  for (const f of sorted) {
    const n = (perTerm.get(f.iri) ?? 0) + 1;
    perTerm.set(f.iri, n);
    const d = namedNode(`${opts.recordIri}#derived-${termSlug(f.iri)}${n > 1 ? `-${n}` : ''}`);
    out.push(
      quad(record, ns.bg('derivedTerm'), d),
      quad(d, ns.rdf('type'), ns.bg('DerivedTerm')),
      quad(d, ns.bg('term'), namedNode(f.iri)),
      quad(d, ns.rdfs('label'), literal(f.label)),
      quad(d, ns.prov('wasDerivedFrom'), namedNode(f.node)),
      quad(d, ns.bg('sourceProperty'), namedNode(f.field)),
      quad(d, ns.bg('matchedText'), literal(f.matched)),
      quad(d, ns.bg('derivationMethod'), namedNode(opts.method)),
      quad(d, ns.bg('confidence'), literal(String(f.confidence), ns.xsd('decimal'))),
    );
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `http://purl.obolibrary.org/obo/UBERON_0000955` -> `UBERON_0000955`; other IRIs by their last segment. */
function termSlug(iri: string): string {
  const tail = iri.startsWith(prefixes.obo) ? iri.slice(prefixes.obo.length) : iri.slice(Math.max(iri.lastIndexOf('/'), iri.lastIndexOf('#')) + 1);
  return tail.replace(/[^A-Za-z0-9._-]+/g, '-');
}
