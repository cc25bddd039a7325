// Where the answers to a triple pattern can come from, and which joins between patterns can cross sources: the
// source-selection half of the planner, decided from source summaries and the local ontology without any request.
import type * as S from 'sparqljs';
import { prefixes } from '../namespaces.ts';
import type { LocalOntology } from './ontology.ts';
import { type SourceSummary, termKey, type ValueSet } from './summary.ts';

/** What the planner knows about one source that is available for this query. */
export type PlanSource = {
  name: string;
  endpoint: string;
  kind: 'archive' | 'benchgraph' | 'sparql' | 'tpf';
  summary: SourceSummary;
  /** Holds the same ontology graph as the federator: ontology patterns may be evaluated there. */
  ontology: boolean;
};

/**
 * onto: only the ontology graph can match; data: only record data can match; mixed: both (rdfs:label, a variable
 * predicate, rdf:type without a class).
 */
export type TripleKind = 'onto' | 'data' | 'mixed';

/** A triple pattern with what the analysis found. */
export type TripleInfo = {
  triple: S.Triple;
  kind: TripleKind;
  /** Sources whose record data can match it. */
  relevant: Set<string>;
};

/** One place a variable occurs in a data-capable triple. */
type Position = { info: TripleInfo; values: ValueSet; anchoring: boolean };

const RDF_TYPE = `${prefixes.rdf}type`;
const ANY: ValueSet = { local: true, shared: 'many' };

export const isVariable = (t: { termType?: string } | undefined): t is S.VariableTerm => t?.termType === 'Variable';
const isIri = (t: unknown): t is S.IriTerm => (t as { termType?: string })?.termType === 'NamedNode';
const isPath = (p: S.Triple['predicate']): p is S.PropertyPath => (p as { type?: string }).type === 'path';

/** IRIs used in a property path. */
function pathIris(p: S.PropertyPath | S.IriTerm): string[] {
  if (isIri(p)) return [p.value];
  return p.items.flatMap((i) => pathIris(i as S.PropertyPath | S.IriTerm));
}

/** Classifies and scores triple patterns against the sources and the ontology. */
export class Analyzer {
  readonly sources: PlanSource[];
  readonly ontology: LocalOntology;
  readonly #dataPredicates = new Set<string>();
  readonly #dataClasses = new Set<string>();

  constructor(sources: PlanSource[], ontology: LocalOntology) {
    this.sources = sources;
    this.ontology = ontology;
    for (const s of sources) {
      for (const p of s.summary.predicates.keys()) this.#dataPredicates.add(p);
      for (const c of s.summary.classes.keys()) this.#dataClasses.add(c);
    }
  }

  info(triple: S.Triple): TripleInfo {
    return { triple, kind: this.kind(triple), relevant: new Set(this.sources.filter((s) => this.relevant(triple, s)).map((s) => s.name)) };
  }

  kind(t: S.Triple): TripleKind {
    if (isVariable(t.predicate as S.Term)) return 'mixed';
    if (isIri(t.predicate) && t.predicate.value === RDF_TYPE && isIri(t.object)) {
      return this.#kindOf(this.ontology.classes.has(t.object.value), this.#dataClasses.has(t.object.value));
    }
    const iris = isPath(t.predicate) ? pathIris(t.predicate) : [(t.predicate as S.IriTerm).value];
    // A negated property set matches any other predicate, so it can match both.
    if (isPath(t.predicate) && JSON.stringify(t.predicate).includes('"pathType":"!"')) return 'mixed';
    return this.#kindOf(
      iris.some((p) => this.ontology.predicates.has(p)),
      iris.some((p) => this.#dataPredicates.has(p)),
    );
  }

  #kindOf(inOntology: boolean, inData: boolean): TripleKind {
    if (inOntology && !inData) return 'onto';
    if (inOntology && inData) return 'mixed';
    return 'data';
  }

  /** Whether the source's record data can match the triple (its predicates, classes, own IRIs and listed values). */
  relevant(t: S.Triple, s: PlanSource): boolean {
    const summary = s.summary;
    if (summary.open) return true;
    if (summary.predicates.size === 0) return false;
    if (!this.#constantFits(t.subject, s)) return false;
    if (isPath(t.predicate)) {
      // Zero-length paths match any node, so a path with * or ? may match anywhere.
      if (/"pathType":"[*?]"/.test(JSON.stringify(t.predicate))) return true;
      return pathIris(t.predicate).some((p) => summary.predicates.has(p));
    }
    if (isVariable(t.predicate)) return this.#constantFits(t.object, s);
    const p = (t.predicate as S.IriTerm).value;
    const stats = summary.predicates.get(p);
    if (!stats) return false;
    if (p === RDF_TYPE && isIri(t.object)) return summary.classes.has(t.object.value);
    if (!this.#constantFits(t.object, s)) return false;
    return fitsValues(t.subject, stats.subjects, summary.uriSpace) && fitsValues(t.object, stats.objects, summary.uriSpace);
  }

  // A constant IRI under some source's uriSpace lives in that source only.
  #constantFits(term: S.Term, s: PlanSource): boolean {
    if (!isIri(term)) return true;
    const owner = this.sources.find((o) => o.summary.uriSpace && term.value.startsWith(o.summary.uriSpace));
    return owner === undefined || owner.name === s.name;
  }

  /** The values one position of a triple can take in the record data of its relevant sources. */
  values(info: TripleInfo, role: 's' | 'o'): { values: ValueSet; anchoring: boolean } {
    const t = info.triple;
    if (!isIri(t.predicate)) return { values: ANY, anchoring: false };
    const p = t.predicate.value;
    let local = false;
    let shared: Set<string> | 'many' = new Set();
    let anchoring = info.relevant.size > 0;
    for (const name of info.relevant) {
      const s = this.sources.find((x) => x.name === name)!;
      if (s.summary.open) return { values: ANY, anchoring: false };
      const stats = s.summary.predicates.get(p);
      if (!stats) continue;
      let v = role === 's' ? stats.subjects : stats.objects;
      if (role === 's' && p === RDF_TYPE && isIri(t.object)) {
        // rdf:type of a class: the class's own subjects, which the summary knows by class.
        if (s.summary.classLocal.get(t.object.value) === true) v = { local: true, shared: new Set() };
      }
      local ||= v.local;
      if (v.shared === 'many' || shared === 'many') shared = 'many';
      else for (const k of v.shared) shared.add(k);
      // Anchoring: every value is the source's own IRI, so a join on it cannot leave the source.
      if (!(v.local && v.shared !== 'many' && v.shared.size === 0 && s.summary.uriSpace)) anchoring = false;
    }
    return { values: { local, shared }, anchoring };
  }

  /** Positions of every variable in the data-capable triples (subject, object; predicate variables match anything). */
  positions(infos: TripleInfo[]): Map<string, Position[]> {
    const out = new Map<string, Position[]>();
    const add = (v: S.Term, p: Position) => {
      if (!isVariable(v)) return;
      const list = out.get(v.value);
      if (list) list.push(p);
      else out.set(v.value, [p]);
    };
    for (const info of infos) {
      if (info.kind === 'onto') continue;
      const t = info.triple;
      const s = this.values(info, 's');
      const o = this.values(info, 'o');
      add(t.subject as S.Term, { info, values: s.values, anchoring: s.anchoring });
      add(t.object, { info, values: o.values, anchoring: o.anchoring });
      if (isVariable(t.predicate as S.Term)) add(t.predicate as S.Term, { info, values: ANY, anchoring: false });
    }
    return out;
  }

  /**
   * Variables on which answers from different sources may join: no occurrence pins them to one source's own IRIs,
   * and two occurrences can share a value (a term, a literal) that several sources hold.
   */
  crossSourceVariables(infos: TripleInfo[]): Set<string> {
    const out = new Set<string>();
    for (const [v, ps] of this.positions(infos)) {
      if (ps.some((p) => p.anchoring)) continue;
      for (let i = 0; i < ps.length && !out.has(v); i++) {
        for (let j = i + 1; j < ps.length; j++) {
          if (ps[i]!.info !== ps[j]!.info && sharedOverlap(ps[i]!.values, ps[j]!.values)) {
            out.add(v);
            break;
          }
        }
      }
    }
    return out;
  }

  /**
   * How a mixed triple behaves among the others: 'data' when it joins the record data through a source's own IRIs
   * (the ontology cannot match there), 'onto' when its record part can never join the others (it describes terms
   * the data points at, like a label of a region), 'both' otherwise.
   */
  acting(info: TripleInfo, all: TripleInfo[]): 'data' | 'onto' | 'both' {
    const t = info.triple;
    if (isIri(t.subject) && this.ontology.terms.has(t.subject.value)) {
      const key = termKey(t.subject);
      const sv = this.values(info, 's').values;
      if (sv.shared !== 'many' && !sv.shared.has(key)) return 'onto';
    }
    if (isIri(t.subject) && this.sources.some((s) => s.summary.uriSpace && (t.subject as S.IriTerm).value.startsWith(s.summary.uriSpace))) {
      return 'data';
    }
    const positions = this.positions(all.filter((i) => i.kind !== 'onto'));
    let onto = false;
    for (const term of [t.subject, t.object] as S.Term[]) {
      if (!isVariable(term)) continue;
      const mine = positions.get(term.value)?.filter((p) => p.info === info) ?? [];
      const others = positions.get(term.value)?.filter((p) => p.info !== info && p.info.kind === 'data') ?? [];
      for (const o of others) {
        if (o.anchoring) return 'data';
        if (mine.every((m) => !canJoin(m.values, o.values))) onto = true;
      }
    }
    return onto ? 'onto' : 'both';
  }
}

function fitsValues(term: S.Term, values: ValueSet, uriSpace: string | undefined): boolean {
  if (isVariable(term) || term.termType === 'BlankNode') return true;
  if (isIri(term) && uriSpace && term.value.startsWith(uriSpace)) return values.local;
  if (values.shared === 'many') return true;
  return values.shared.has(termKey(term as S.IriTerm | S.LiteralTerm));
}

/** Whether two positions can hold a common value that is not some source's own IRI. */
function sharedOverlap(a: ValueSet, b: ValueSet): boolean {
  if (a.shared === 'many') return b.shared === 'many' || b.shared.size > 0;
  if (b.shared === 'many') return a.shared.size > 0;
  for (const k of a.shared) if (b.shared.has(k)) return true;
  return false;
}

/** Whether two positions can hold a common value at all (own IRIs of one source included). */
function canJoin(a: ValueSet, b: ValueSet): boolean {
  return (a.local && b.local) || sharedOverlap(a, b);
}
