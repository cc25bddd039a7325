// Term index over the ontology slims: resolves free text, CURIEs and IRIs to terms, closure, phrase spotting.
import { readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { distance } from 'fastest-levenshtein';
import { Parser } from 'n3';
import { prefixes } from '../namespaces.ts';
import { STOPWORDS, lookupKeys, normalizeKey, tokenize } from './normalize.ts';
import { ONTOLOGIES_DIR, type SourcesConfig, readSources } from './sources.ts';

export type Branch =
  | 'taxon'
  | 'anatomy'
  | 'method'
  | 'assay'
  | 'instrument'
  | 'sex'
  | 'laterality'
  | 'unit'
  | 'technique'
  | 'any';

export const BRANCHES: readonly Branch[] = [
  'taxon',
  'anatomy',
  'method',
  'assay',
  'instrument',
  'sex',
  'laterality',
  'unit',
  'technique',
  'any',
];

export type Resolution =
  | {
      status: 'resolved';
      iri: string;
      label: string;
      match: 'iri' | 'curie' | 'exact' | 'normalized' | 'fuzzy';
      warning?: string;
    }
  | { status: 'unresolved'; value: string; warning: string };

export type Mention = { iri: string; label: string; start: number; end: number; matched: string };

/** How a name belongs to a term: its label (0); an exact synonym, a second label or the name of a term folded into it (1); a related, narrow or broad synonym (2). */
type Rank = 0 | 1 | 2;
type Entry = { iri: string; rank: Rank; text: string };
type Term = { iri: string; label: string | null };

const OBO = prefixes.obo;
const RDF_TYPE = `${prefixes.rdf}type`;
const LABEL = `${prefixes.rdfs}label`;
const SUBCLASS = `${prefixes.rdfs}subClassOf`;
const PART_OF = `${OBO}BFO_0000050`;
const EXACT_MATCH = `${prefixes.skos}exactMatch`;
const SYNONYM_RANK: Record<string, Rank> = {
  [`${prefixes.oboInOwl}hasExactSynonym`]: 1,
  [`${prefixes.oboInOwl}hasRelatedSynonym`]: 2,
  [`${prefixes.oboInOwl}hasNarrowSynonym`]: 2,
  [`${prefixes.oboInOwl}hasBroadSynonym`]: 2,
};
const TERM_TYPES = new Set([`${prefixes.owl}Class`, `${prefixes.owl}ObjectProperty`]);
/** Fuzzy matching: at most this many edits, and at most this share of the (normalised) length. */
const MAX_EDITS = 2;
const MAX_EDIT_SHARE = 0.2;
/** Longest phrase, in words, that findMentions tries. */
const MAX_PHRASE_WORDS = 10;

/** Loaded slims with lookup maps; build it with loadTermIndex(). */
export class TermIndex {
  /** The Turtle files loaded, in load order (slims, then alignments.ttl). */
  readonly files: string[];
  readonly #quads: Quad[];
  readonly #config: SourcesConfig;
  readonly #terms = new Map<string, Term>();
  /** Other IRIs of a term: openMINDS instances folded into OBO classes by skos:exactMatch. */
  readonly #alias = new Map<string, string>();
  readonly #parents = new Map<string, Set<string>>();
  readonly #children = new Map<string, Set<string>>();
  readonly #exact = new Map<string, Entry[]>();
  readonly #folded = new Map<string, Entry[]>();
  readonly #normalized = new Map<string, Entry[]>();
  readonly #compact = new Map<string, Entry[]>();
  readonly #branches = new Map<Branch, Set<string>>();
  readonly #fuzzyKeys = new Map<Branch, { key: string; entries: Entry[] }[]>();
  readonly #preferred = new Map<Branch, Map<string, string>>();
  /** Lower-case OBO prefix -> [canonical spelling, zero-padding width or null when unknown]. */
  readonly #oboPrefixes = new Map<string, [string, number | null]>();

  constructor(files: string[], quadsPerFile: Quad[][], config: SourcesConfig) {
    this.files = files;
    this.#quads = quadsPerFile.flat();
    this.#config = config;
    for (const [p, width] of config.oboPrefixes) this.#oboPrefixes.set(p.toLowerCase(), [p, width]);
    this.#build();
  }

  /** Every quad of the slims and alignments, for loading into the ontology graph of a store. */
  quads(): Quad[] {
    return this.#quads;
  }

  /** Number of distinct terms (after folding exact matches). */
  get size(): number {
    return this.#terms.size;
  }

  /** The label of a term (any accepted IRI or CURIE form), or null when it is not in the slims. */
  label(iri: string): string | null {
    const c = this.canonicalIri(iri);
    return c === null ? null : (this.#terms.get(c)?.label ?? null);
  }

  /** Whether a term is in a branch (by the rules in sources.yaml). */
  inBranch(iri: string, branch: Branch): boolean {
    const c = this.canonicalIri(iri);
    if (c === null || !this.#terms.has(c)) return false;
    return branch === 'any' || this.#branch(branch).has(c);
  }

  /** Superclasses and wholes of a term, transitively (rdfs:subClassOf and part of), nearest first. */
  ancestors(iri: string): string[] {
    return this.#walk(iri, this.#parents);
  }

  /** Subclasses and parts of a term, transitively, nearest first. */
  descendants(iri: string): string[] {
    return this.#walk(iri, this.#children);
  }

  /**
   * Normalises CURIE and IRI spellings to the canonical IRI (OBO PURL for OBO ids), or null when the value is
   * neither. Does not require the term to be in the slims: `UBERON:9999999` gives its PURL.
   */
  canonicalIri(value: string): string | null {
    let v = value.trim();
    if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1).trim();
    if (v === '' || /\s/.test(v)) return null;
    for (const r of this.#config.iriRewrites) {
      const m = r.pattern.exec(v);
      if (m !== null) {
        v = r.to.replace(/\$(\d)/g, (_s, n: string) => m[Number(n)] ?? '');
        break;
      }
    }
    let m = /^(?:https?:\/\/)?purl\.obolibrary\.org\/obo\/([A-Za-z][A-Za-z0-9]*)_([A-Za-z0-9_]+)$/i.exec(v);
    m ??= /^obo:([A-Za-z][A-Za-z0-9]*)_([A-Za-z0-9_]+)$/i.exec(v);
    if (m !== null) return this.#alias.get(this.#oboIri(m[1]!, m[2]!)) ?? this.#oboIri(m[1]!, m[2]!);
    m = /^([A-Za-z][A-Za-z0-9]*)[:_](\d+)$/.exec(v);
    if (m !== null && this.#oboPrefixes.has(m[1]!.toLowerCase())) return this.#oboIri(m[1]!, m[2]!);
    if (/^https?:\/\/\S+$/i.test(v)) {
      for (const candidate of [
        v,
        v.replace(/^https?:/i, (s) => (s.toLowerCase() === 'http:' ? 'https:' : 'http:')),
      ]) {
        const known = this.#alias.get(candidate) ?? (this.#terms.has(candidate) ? candidate : undefined);
        if (known !== undefined) return known;
      }
      return v;
    }
    return null;
  }

  /**
   * Resolves a value to a term of a branch: IRI/CURIE first, then a preferred sense from sources.yaml, then
   * exact label or synonym, then normalised text, then close spelling. Never guesses: ties between terms give
   * 'unresolved' with the candidates.
   */
  resolve(value: string, branch: Branch): Resolution {
    const v = value.trim();
    if (v === '') return { status: 'unresolved', value, warning: 'empty value' };
    const iri = this.canonicalIri(v);
    if (iri !== null) return this.#resolveIri(v, iri, branch);
    const members = branch === 'any' ? null : this.#branch(branch);
    const inScope = (e: Entry) => members === null || members.has(e.iri);
    const keys = lookupKeys(v);
    const preferred = this.#preferredFor(branch).get(keys.normalized);
    if (preferred !== undefined) return this.#resolvePreferred(v, keys.normalized, preferred, inScope);
    const stages: [Map<string, Entry[]>, string, 'exact' | 'normalized'][] = [
      [this.#exact, v, 'exact'],
      [this.#folded, keys.folded, 'normalized'],
      [this.#normalized, keys.normalized, 'normalized'],
      [this.#compact, keys.compact, 'normalized'],
    ];
    for (const [map, key, match] of stages) {
      const entries = (map.get(key) ?? []).filter(inScope);
      if (entries.length > 0) return this.#pick(v, entries, match, branch);
    }
    return this.#fuzzy(v, branch);
  }

  /**
   * Finds term names in free text, longest phrase first, over labels and exact synonyms of the given
   * branches. Skips names of one or two characters, single stopwords and names shared by several terms.
   */
  findMentions(text: string, branches: Branch[]): Mention[] {
    const sets = branches.includes('any') ? null : branches.map((b) => this.#branch(b));
    const inScope = (e: Entry) => e.rank <= 1 && (sets === null || sets.some((s) => s.has(e.iri)));
    const tokens = tokenize(text);
    const out: Mention[] = [];
    for (let i = 0; i < tokens.length; ) {
      let found = 0;
      for (let n = Math.min(MAX_PHRASE_WORDS, tokens.length - i); n >= 1 && found === 0; n--) {
        const words = tokens.slice(i, i + n).map((t) => t.norm);
        if (words.join('').length <= 2 || (n === 1 && STOPWORDS.has(words[0]!))) continue;
        const key = words.join(' ');
        const entries = (this.#normalized.get(key) ?? []).filter(inScope);
        const preferred = branches.map((b) => this.#preferredFor(b).get(key)).find((p) => p !== undefined);
        const iri = preferred ?? (entries.length > 0 ? unique(entries) : null);
        if (iri === null) continue;
        const start = tokens[i]!.start;
        const end = tokens[i + n - 1]!.end;
        out.push({
          iri,
          label: this.#terms.get(iri)?.label ?? iri,
          start,
          end,
          matched: text.slice(start, end),
        });
        found = n;
      }
      i += found > 0 ? found : 1;
    }
    return out;
  }

  #resolveIri(v: string, iri: string, branch: Branch): Resolution {
    const match = /^(?:https?:\/\/|purl\.)/i.test(v.replace(/^</, '')) ? 'iri' : 'curie';
    const term = this.#terms.get(iri);
    if (term !== undefined) {
      if (branch === 'any' || this.#branch(branch).has(iri)) {
        return { status: 'resolved', iri, label: term.label ?? shortId(iri), match };
      }
      return {
        status: 'unresolved',
        value: v,
        warning: `'${v}' is '${term.label ?? shortId(iri)}' (${shortId(iri)}), which is not a ${branch} term`,
      };
    }
    const outside = this.#config.branches.get(branch)?.outside ?? [];
    const accepted = branch === 'any' || outside.some((p) => iri.startsWith(this.#prefixBase(p)));
    if (accepted) {
      return {
        status: 'resolved',
        iri,
        label: curieOf(iri),
        match,
        warning:
          branch === 'any'
            ? `${shortId(iri)} is not in the local ontology slims, so its label was not checked`
            : `${shortId(iri)} is not in the local ontology slims, so its label and place in ${branch} were not checked`,
      };
    }
    return {
      status: 'unresolved',
      value: v,
      warning: `'${v}' is not in the local ontology slims and ${branch} terms come from ${outside.join(', ') || 'the slims only'}`,
    };
  }

  #resolvePreferred(v: string, key: string, iri: string, inScope: (e: Entry) => boolean): Resolution {
    const label = this.#terms.get(iri)?.label ?? shortId(iri);
    const match = (this.#exact.get(v) ?? []).some((e) => e.iri === iri) ? 'exact' : 'normalized';
    const others = [...new Set((this.#normalized.get(key) ?? []).filter(inScope).map((e) => e.iri))]
      .filter((o) => o !== iri)
      .map((o) => `'${this.#terms.get(o)?.label ?? shortId(o)}' (${shortId(o)})`);
    if (others.length === 0) return { status: 'resolved', iri, label, match };
    const warning = `'${v}' also names ${others.join(', ')}; taken as '${label}' (${shortId(iri)}) as preferred in sources.yaml`;
    return { status: 'resolved', iri, label, match, warning };
  }

  #pick(v: string, entries: Entry[], match: 'exact' | 'normalized', branch: Branch): Resolution {
    const best = Math.min(...entries.map((e) => e.rank));
    const top = entries.filter((e) => e.rank === best);
    const iris = [...new Set(top.map((e) => e.iri))];
    if (iris.length > 1) return this.#ambiguous(v, iris, branch);
    const iri = iris[0]!;
    const label = this.#terms.get(iri)?.label ?? shortId(iri);
    if (best < 2) return { status: 'resolved', iri, label, match };
    const warning = `'${v}' matched '${top[0]!.text}', a related (not exact) synonym of '${label}' (${shortId(iri)})`;
    return { status: 'resolved', iri, label, match, warning };
  }

  #fuzzy(v: string, branch: Branch): Resolution {
    const key = normalizeKey(v);
    const limit = Math.min(MAX_EDITS, Math.floor(key.length * MAX_EDIT_SHARE));
    let bestDistance = limit + 1;
    let best: Entry[] = [];
    if (limit > 0) {
      for (const k of this.#fuzzyList(branch)) {
        if (Math.abs(k.key.length - key.length) > limit) continue;
        const d = distance(key, k.key);
        if (d < bestDistance) {
          bestDistance = d;
          best = [...k.entries];
        } else if (d === bestDistance) best.push(...k.entries);
      }
    }
    if (best.length === 0) {
      const what = branch === 'any' ? 'term' : `${branch} term`;
      return { status: 'unresolved', value: v, warning: `no ${what} matches '${v}'; kept as text` };
    }
    // As for exact names, a label beats a synonym at the same distance; a tie between terms is ambiguous.
    const bestRank = Math.min(...best.map((e) => e.rank));
    const top = best.filter((e) => e.rank === bestRank);
    const iris = [...new Set(top.map((e) => e.iri))];
    if (iris.length > 1) return this.#ambiguous(v, iris, branch);
    const e = top[0]!;
    const label = this.#terms.get(e.iri)?.label ?? shortId(e.iri);
    const via = e.text === label ? '' : ` (a synonym of '${label}')`;
    return {
      status: 'resolved',
      iri: e.iri,
      label,
      match: 'fuzzy',
      warning: `'${v}' matched '${e.text}'${via} (${shortId(e.iri)}) by close spelling`,
    };
  }

  #ambiguous(v: string, iris: string[], branch: Branch): Resolution {
    const shown = iris
      .slice(0, 6)
      .map((i) => `'${this.#terms.get(i)?.label ?? shortId(i)}' (${shortId(i)})`)
      .join(', ');
    const more = iris.length > 6 ? ` and ${iris.length - 6} more` : '';
    const scope = branch === 'any' ? '' : ` among ${branch} terms`;
    return {
      status: 'unresolved',
      value: v,
      warning: `'${v}' is ambiguous${scope}: it matches ${shown}${more}`,
    };
  }

  #build(): void {
    const ontologies = new Set(
      this.#quads
        .filter((q) => q.predicate.value === RDF_TYPE && q.object.value === `${prefixes.owl}Ontology`)
        .map((q) => q.subject.value),
    );
    const labels = new Map<string, string[]>();
    const synonyms: [string, string, Rank][] = [];
    const exactMatch: [string, string][] = [];
    const links: [string, string][] = [];
    for (const q of this.#quads) {
      const s = q.subject.value;
      const p = q.predicate.value;
      // Ontology headers (slim provenance nodes) carry labels but are not terms.
      if (q.subject.termType !== 'NamedNode' || ontologies.has(s)) continue;
      if (p === LABEL) {
        const list = labels.get(s);
        if (list === undefined) labels.set(s, [q.object.value]);
        else if (!list.includes(q.object.value)) list.push(q.object.value);
      } else if (p === RDF_TYPE && TERM_TYPES.has(q.object.value)) {
        if (!labels.has(s)) labels.set(s, []);
      } else if (SYNONYM_RANK[p] !== undefined) synonyms.push([s, q.object.value, SYNONYM_RANK[p]!]);
      else if (p === EXACT_MATCH && q.object.termType === 'NamedNode') exactMatch.push([s, q.object.value]);
      else if ((p === SUBCLASS || p === PART_OF) && q.object.termType === 'NamedNode')
        links.push([s, q.object.value]);
    }
    // `A skos:exactMatch B` with B an OBO class folds A into B (see ontologies/alignments.ttl).
    for (const [a, b] of exactMatch) {
      if (b.startsWith(OBO) && !a.startsWith(OBO) && labels.has(b)) this.#alias.set(a, b);
    }
    const canon = (iri: string) => this.#alias.get(iri) ?? iri;
    for (const [iri, names] of labels) {
      if (this.#alias.has(iri)) continue;
      this.#terms.set(iri, { iri, label: names[0] ?? null });
      for (const [i, n] of names.entries()) this.#addName(iri, n, i === 0 ? 0 : 1);
    }
    for (const [iri, names] of labels) {
      const target = this.#alias.get(iri);
      if (target !== undefined) for (const n of names) this.#addName(target, n, 1);
    }
    for (const [iri, text, rank] of synonyms) this.#addName(canon(iri), text, rank);
    for (const [s, o] of links) {
      const child = canon(s);
      const parent = canon(o);
      if (child === parent) continue;
      addTo(this.#parents, child, parent);
      addTo(this.#children, parent, child);
    }
    for (const iri of this.#terms.keys()) {
      const m = /^http:\/\/purl\.obolibrary\.org\/obo\/([A-Za-z][A-Za-z0-9]*)_/.exec(iri);
      if (m !== null && !this.#oboPrefixes.has(m[1]!.toLowerCase()))
        this.#oboPrefixes.set(m[1]!.toLowerCase(), [m[1]!, null]);
    }
  }

  #addName(iri: string, text: string, rank: Rank): void {
    const entry = { iri, rank, text };
    const put = (map: Map<string, Entry[]>, key: string) => {
      if (key === '') return;
      const list = map.get(key);
      if (list === undefined) map.set(key, [entry]);
      else if (!list.some((e) => e.iri === iri && e.rank <= rank)) list.push(entry);
    };
    const keys = lookupKeys(text);
    put(this.#exact, text.trim());
    put(this.#folded, keys.folded);
    put(this.#normalized, keys.normalized);
    put(this.#compact, keys.compact);
  }

  #branch(branch: Branch): Set<string> {
    const cached = this.#branches.get(branch);
    if (cached !== undefined) return cached;
    const config = this.#config.branches.get(branch);
    if (config === undefined)
      throw new Error(`${this.#config.file}: branches: no rules for branch '${branch}'`);
    const members = new Set<string>();
    for (const rule of config.rules) {
      let candidates: Iterable<string> = this.#terms.keys();
      if (rule.under.length > 0) {
        const below = new Set<string>();
        for (const root of rule.under) {
          const r = this.canonicalIri(root);
          if (r === null || !this.#terms.has(r)) {
            throw new Error(`${this.#config.file}: branches.${branch}: '${root}' is not a term of the slims`);
          }
          below.add(r);
          for (const d of this.descendants(r)) below.add(d);
        }
        candidates = below;
      }
      const bases = rule.prefixes.map((p) => this.#prefixBase(p));
      for (const iri of candidates)
        if (bases.length === 0 || bases.some((b) => iri.startsWith(b))) members.add(iri);
    }
    this.#branches.set(branch, members);
    return members;
  }

  /** Preferred senses from sources.yaml, by normalised name; 'any' merges those of all branches. */
  #preferredFor(branch: Branch): Map<string, string> {
    const cached = this.#preferred.get(branch);
    if (cached !== undefined) return cached;
    const map = new Map<string, string>();
    for (const [b, names] of this.#config.preferred) {
      if (branch !== 'any' && b !== branch) continue;
      for (const [name, target] of names) {
        const iri = this.canonicalIri(target);
        if (iri === null || !this.#terms.has(iri)) {
          throw new Error(
            `${this.#config.file}: preferred.${b}.${name}: '${target}' is not a term of the slims`,
          );
        }
        map.set(normalizeKey(name), iri);
      }
    }
    this.#preferred.set(branch, map);
    return map;
  }

  #fuzzyList(branch: Branch): { key: string; entries: Entry[] }[] {
    const cached = this.#fuzzyKeys.get(branch);
    if (cached !== undefined) return cached;
    const members = branch === 'any' ? null : this.#branch(branch);
    const list: { key: string; entries: Entry[] }[] = [];
    for (const [key, entries] of this.#normalized) {
      const inScope = members === null ? entries : entries.filter((e) => members.has(e.iri));
      if (inScope.length > 0) list.push({ key, entries: inScope });
    }
    this.#fuzzyKeys.set(branch, list);
    return list;
  }

  /** A branch prefix from sources.yaml as an IRI base: an OBO prefix gives `.../obo/PREFIX_`. */
  #prefixBase(p: string): string {
    return /^https?:\/\//.test(p) ? p : `${OBO}${p}_`;
  }

  #oboIri(prefix: string, local: string): string {
    const known = this.#oboPrefixes.get(prefix.toLowerCase());
    if (known === undefined) return `${OBO}${prefix}_${local}`;
    const [canonical, width] = known;
    let id = local;
    if (width !== null && /^\d+$/.test(local)) {
      const digits = local.replace(/^0+(?=\d)/, '');
      id = width === 0 ? digits : digits.padStart(width, '0');
    }
    return `${OBO}${canonical}_${id}`;
  }

  #walk(iri: string, edges: Map<string, Set<string>>): string[] {
    const start = this.canonicalIri(iri) ?? iri;
    const seen = new Set([start]);
    const out: string[] = [];
    let frontier = [start];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const x of frontier) {
        for (const y of edges.get(x) ?? []) {
          if (seen.has(y)) continue;
          seen.add(y);
          out.push(y);
          next.push(y);
        }
      }
      frontier = next;
    }
    return out;
  }
}

const cache = new Map<string, Promise<TermIndex>>();

/**
 * Loads slims/*.ttl (in sources.yaml order) and alignments.ttl from an ontologies folder; cached per folder,
 * so repeated calls are free.
 */
export function loadTermIndex(dir = ONTOLOGIES_DIR): Promise<TermIndex> {
  const key = resolvePath(dir);
  let p = cache.get(key);
  if (p === undefined) {
    p = readIndex(key);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function readIndex(dir: string): Promise<TermIndex> {
  const config = readSources(join(dir, 'sources.yaml'));
  const files = [
    ...config.slims.map((s) => join(dir, 'slims', `${s.name}.ttl`)),
    join(dir, 'alignments.ttl'),
  ];
  const quads = await Promise.all(
    files.map(async (file) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new Error(`${file}: missing; build the slims with \`benchgraph slims\``, { cause: e });
        }
        throw e;
      }
      try {
        return new Parser({ baseIRI: `file://${file}` }).parse(text);
      } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
  return new TermIndex(files, quads, config);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

/** The one IRI at the best rank, or null when several terms share it. */
function unique(entries: Entry[]): string | null {
  const best = Math.min(...entries.map((e) => e.rank));
  const iris = new Set(entries.filter((e) => e.rank === best).map((e) => e.iri));
  return iris.size === 1 ? [...iris][0]! : null;
}

/** `http://purl.obolibrary.org/obo/UBERON_0001954` -> `UBERON:0001954`; other IRIs stay whole. */
function curieOf(iri: string): string {
  if (!iri.startsWith(OBO)) return iri;
  const local = iri.slice(OBO.length);
  const i = local.lastIndexOf('_');
  return i <= 0 ? local : `${local.slice(0, i)}:${local.slice(i + 1)}`;
}

/** `http://purl.obolibrary.org/obo/NCBITaxon_10090` -> `NCBITaxon_10090`; other IRIs stay whole. */
function shortId(iri: string): string {
  return iri.startsWith(OBO) ? iri.slice(OBO.length) : iri;
}
