// What the sources hold, read once through the executor: term values in use, data literals worth linking
// (indicators, strains, instruments), record identifiers, labs and the studies with what it takes to credit them.
import type { TermIndex } from '../terms/index.ts';
import { normalizeKey } from '../terms/normalize.ts';
import { archiveOfIri } from './executor.ts';
import { sparqlPrefixes } from './prefixes.ts';
import type { Executor, LinkKind, Row, SourceInfo, StudyCredit } from './types.ts';

export type Catalogue = {
  sources: SourceInfo[];
  /** Property local name (species, region, modality, procedure, sex, hemisphere, format, publicationStatus, license) -> IRIs in use. */
  used: Map<string, Set<string>>;
  /** Normalised text -> data literal (indicator, strain, instrument name, objective). */
  literals: Map<string, { kind: LinkKind; value: string }>;
  /** Lower-case identifier -> record. */
  identifiers: Map<string, { iri: string; id: string; kind: 'subject' | 'session' | 'study' }>;
  /** Archive -> the names its studies give their lab. */
  labs: Map<string, string[]>;
  studies: StudyCredit[];
};

const PREFIXES = sparqlPrefixes('bg', 'dcterms', 'schema', 'dcat');

// Properties whose values are terms the linker checks for presence in the data.
const USED = `${PREFIXES}SELECT DISTINCT ?p ?v WHERE {
  VALUES ?p { bg:species bg:region bg:modality bg:procedure bg:sex bg:hemisphere bg:format bg:publicationStatus dcterms:license bg:instrumentType bg:target }
  ?s ?p ?v . FILTER(isIRI(?v))
} LIMIT 100000`;

// Data values worth linking. Keywords and component titles count only where sessions can be reached through them
// (the keyword slot is a condition on sessions): the public archives' many study keywords would shadow plain words.
const LITERALS = `${PREFIXES}SELECT DISTINCT ?kind ?v WHERE {
  { ?s bg:indicator ?v . BIND("indicator" AS ?kind) }
  UNION { ?s bg:strain ?v . BIND("strain" AS ?kind) }
  UNION { ?i a bg:Instrument ; schema:name|schema:manufacturer ?v . BIND("instrument" AS ?kind) }
  UNION { ?q bg:objective ?v . BIND("objective" AS ?kind) }
  UNION { ?st a bg:Study ; dcat:keyword ?v . FILTER EXISTS { ?s1 a bg:Session ; bg:inStudy ?st } BIND("keyword" AS ?kind) }
  UNION { ?c a bg:StudyComponent ; dcterms:title ?v . FILTER EXISTS { ?s2 a bg:Session ; bg:inComponent ?c } BIND("keyword" AS ?kind) }
  UNION { ?a a bg:Analysis . { ?a bg:software ?v } UNION { ?a bg:method ?v } BIND("software" AS ?kind) }
  UNION { ?r1 bg:registration/bg:method ?v . BIND("software" AS ?kind) }
} LIMIT 100000`;

const IDENTIFIERS = `${PREFIXES}SELECT ?x ?id ?type WHERE {
  VALUES ?type { bg:Subject bg:Session bg:Study }
  ?x a ?type ; dcterms:identifier ?id .
  FILTER(!CONTAINS(STR(?id), "/"))
} LIMIT 1000000`;

const STUDIES = `${PREFIXES}SELECT ?study ?title ?license ?doi ?citation ?lab (GROUP_CONCAT(DISTINCT ?name; separator="; ") AS ?creators) WHERE {
  ?study a bg:Study .
  OPTIONAL { ?study dcterms:title ?title }
  OPTIONAL { ?study dcterms:license ?license }
  OPTIONAL { ?study bg:lab ?lab }
  OPTIONAL { ?study bg:publication ?p . OPTIONAL { ?p schema:sameAs ?doi } OPTIONAL { ?p schema:citation ?citation } }
  OPTIONAL { ?study dcterms:creator/schema:name ?name }
} GROUP BY ?study ?title ?license ?doi ?citation ?lab LIMIT 100000`;

/** Reads the catalogue through the executor (five small queries). */
export async function buildCatalogue(execute: Executor, sources: SourceInfo[], timeoutMs: number): Promise<Catalogue> {
  const run = (q: string) => execute(q, { timeoutMs });
  const [used, literals, ids, studies] = await Promise.all([run(USED), run(LITERALS), run(IDENTIFIERS), run(STUDIES)]);
  const cat: Catalogue = { sources, used: new Map(), literals: new Map(), identifiers: new Map(), labs: new Map(), studies: [] };
  for (const r of used.rows) {
    const p = r.p!.value.replace(/^.*[#/]/, '');
    let set = cat.used.get(p);
    if (set === undefined) cat.used.set(p, (set = new Set()));
    set.add(r.v!.value);
  }
  const add = (key: string, kind: LinkKind, value: string) => {
    // A keyword that is also an indicator or instrument name links as the more specific kind.
    if (!cat.literals.has(key) || (cat.literals.get(key)!.kind === 'keyword' && kind !== 'keyword')) cat.literals.set(key, { kind, value });
  };
  // Words of keywords, titles and software names, with the number of distinct values each occurs in.
  const words = new Map<string, { kind: LinkKind; word: string; values: Set<string> }>();
  for (const r of literals.rows) {
    const value = r.v!.value;
    const key = normalizeKey(value);
    const kind = r.kind!.value as LinkKind;
    if ((value.match(/\p{L}/gu) ?? []).length < 3) continue;
    if (kind !== 'keyword' || key.split(' ').length <= 4) add(key, kind, value);
    if (kind === 'keyword' || kind === 'software' || kind === 'objective') {
      for (const word of value.split(/[\s,;:()+/]+/)) {
        const w = normalizeKey(word);
        if (w.length < 5 || !/\p{L}{3}/u.test(word) || w.includes(' ')) continue;
        const entry = words.get(w) ?? { kind, word: word.toLowerCase().replace(/[^\p{L}\p{N}-]/gu, ''), values: new Set<string>() };
        entry.values.add(value);
        words.set(w, entry);
      }
    }
  }
  // A word is linked alone only when it is distinctive: found in at most two values ("perfusion", "suite2p").
  for (const [w, e] of words) if (e.values.size <= 2) add(w, e.kind, e.word);
  for (const r of ids.rows) {
    const id = r.id!.value;
    const kind = r.type!.value.replace(/^.*#/, '').toLowerCase() as 'subject' | 'session' | 'study';
    // Identifiers shared by records of several archives are ambiguous: keep none of them.
    const key = id.toLowerCase();
    if (cat.identifiers.has(key) && cat.identifiers.get(key)!.iri !== r.x!.value) cat.identifiers.set(key, { iri: '', id, kind });
    else cat.identifiers.set(key, { iri: r.x!.value, id, kind });
  }
  for (const [k, v] of cat.identifiers) if (v.iri === '') cat.identifiers.delete(k);
  const seen = new Set<string>();
  for (const r of studies.rows) {
    const iri = r.study!.value;
    if (seen.has(iri)) continue;
    seen.add(iri);
    const archive = archiveOf(r, studies.rowSources?.[studies.rows.indexOf(r)]);
    const credit: StudyCredit = { iri, archive, creators: r.creators?.value ? r.creators.value.split('; ') : [] };
    if (r.title) credit.title = r.title.value;
    if (r.license) credit.license = r.license.value;
    if (r.doi) credit.doi = decodeURIComponent(r.doi.value);
    if (r.citation) credit.citation = r.citation.value;
    cat.studies.push(credit);
    if (r.lab !== undefined && archive !== null) {
      const labs = cat.labs.get(archive) ?? [];
      // "Neurovascular Recovery Lab (stroke-lab)": the name, and the name without the parenthesis.
      for (const name of [r.lab.value, r.lab.value.replace(/\s*\([^)]*\)\s*$/, '')]) if (!labs.includes(name)) labs.push(name);
      cat.labs.set(archive, labs);
    }
  }
  return cat;
}

function archiveOf(row: Row, sources: string[] | undefined): string | null {
  if (sources !== undefined && sources.length === 1) return sources[0]!;
  return archiveOfIri(row.study!.value);
}

const closures = new WeakMap<Catalogue, Map<string, Set<string>>>();

/**
 * Whether the data holds a term under a property (`species`, `region`, `modality`, `procedure`, ...): the term
 * itself or a narrower one (a subclass or a part) is in use.
 */
export function holds(cat: Catalogue, terms: TermIndex, property: string, iri: string): boolean {
  let byProperty = closures.get(cat);
  if (byProperty === undefined) closures.set(cat, (byProperty = new Map()));
  let set = byProperty.get(property);
  if (set === undefined) {
    set = new Set<string>();
    for (const used of cat.used.get(property) ?? []) {
      set.add(used);
      for (const a of terms.ancestors(used)) set.add(a);
    }
    byProperty.set(property, set);
  }
  return set.has(iri);
}

/** The property that holds terms of a linked kind, for {@link holds}. */
export const PROPERTY_OF_KIND: Partial<Record<LinkKind, string>> = {
  taxon: 'species',
  anatomy: 'region',
  method: 'modality',
  intervention: 'procedure',
  sex: 'sex',
  laterality: 'hemisphere',
  format: 'format',
  status: 'publicationStatus',
  license: 'license',
};
