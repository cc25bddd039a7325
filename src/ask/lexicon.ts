// Loads the ask lexicon (lexicon.yaml), the file formats of the mapping, the licence table and the vocabulary
// labels, and checks every IRI they name against the term index, so a typo fails at start, naming the entry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { parse } from 'yaml';
import { prefixes } from '../namespaces.ts';
import type { TermIndex } from '../terms/index.ts';
import { normalizeKey } from '../terms/normalize.ts';
import type { LinkKind } from './types.ts';

export const LEXICON_FILE = new URL('./lexicon.yaml', import.meta.url).pathname;

export type SettingSpec = { property: string; label: string; unit: string; words: string[] };
export type UnitSpec = { unit: string; factor: number; implies?: string };
export type StatusSpec = { iris: string[]; not: boolean; label: string };

/** Everything the linker and the offline translator read from curated files, keyed by normalised phrase. */
export type Lexicon = {
  file: string;
  terms: Map<string, { kind: LinkKind; iris: string[]; phrase: string }>;
  statuses: Map<string, StatusSpec & { phrase: string }>;
  /** Phrase -> licence IRIs (the commercial-use group, or one licence). */
  licenses: Map<string, { iris: string[]; label: string; phrase: string }>;
  formats: Map<string, { iri: string; phrase: string }>;
  archiveAliases: Map<string, string[]>;
  settings: SettingSpec[];
  units: Map<string, UnitSpec>;
  targets: Map<string, string>;
  modify: Set<string>;
  outOfScope: string[];
  opinion: string[];
  dataWords: Set<string>;
  ignore: Set<string>;
  glue: Set<string>;
  /** Labels of benchgraph vocabulary terms (formats, statuses, classes) from ontologies/benchgraph.ttl. */
  vocabLabels: Map<string, string>;
  /** Licence IRI -> SPDX identifier, and the licences that allow commercial use. */
  licenseIds: Map<string, string>;
  commercialUse: Set<string>;
};

type RawLexicon = {
  terms: Record<string, Record<string, string[]>>;
  status: Record<string, { iris?: string[]; not?: boolean; label: string }>;
  licenses: Record<string, string>;
  formats: Record<string, string>;
  archives: Record<string, string[]>;
  settings: Record<string, { label: string; unit: string; words: string[] }>;
  units: Record<string, UnitSpec>;
  targets: Record<string, string[]>;
  modify: string[];
  outOfScope: string[];
  opinion: string[];
  dataWords: string[];
  ignore: string[];
  glue: string[];
};

const KINDS = new Set<LinkKind>(['taxon', 'anatomy', 'method', 'intervention', 'sex', 'laterality']);
/** Format names that are also ordinary words or answer formats; linked only when "file" or "format" follows. */
export const WEAK_FORMATS = new Set(['json', 'mat', 'binary', 'png', 'bin']);

/**
 * Reads the lexicon and the project files it builds on (mapping value list of formats, licence table,
 * vocabulary labels). Fails with the file and entry when an IRI is not a known term.
 */
export function loadLexicon(
  terms: TermIndex,
  files: { lexicon?: string; mapping: string; licenses: string; ontologiesDir: string },
): Lexicon {
  const file = files.lexicon ?? LEXICON_FILE;
  const raw = parse(readFileSync(file, 'utf8')) as RawLexicon;
  const vocabLabels = readVocabLabels(join(files.ontologiesDir, 'benchgraph.ttl'));
  const known = (iri: string) => terms.label(iri) !== null || vocabLabels.has(iri);
  const expand = (value: string, where: string): string => {
    const iri = value.includes('://') ? value : terms.canonicalIri(value);
    if (iri === null || !known(iri)) throw new Error(`${file}: ${where}: '${value}' is not a term of the slims or the benchgraph vocabulary`);
    return iri;
  };

  const lex: Lexicon = {
    file,
    terms: new Map(),
    statuses: new Map(),
    licenses: new Map(),
    formats: new Map(),
    archiveAliases: new Map(Object.entries(raw.archives ?? {})),
    settings: Object.entries(raw.settings).map(([property, s]) => ({ property, ...s })),
    units: new Map(Object.entries(raw.units).map(([k, v]) => [k.toLowerCase(), v])),
    targets: new Map(),
    modify: new Set(raw.modify.map((w) => w.toLowerCase())),
    outOfScope: raw.outOfScope.map((w) => normalizeKey(w)),
    opinion: (raw.opinion ?? []).map((w) => normalizeKey(w)),
    dataWords: new Set(raw.dataWords.map((w) => normalizeKey(w))),
    ignore: new Set(raw.ignore.map((w) => normalizeKey(w))),
    glue: new Set(raw.glue.map((w) => normalizeKey(w))),
    vocabLabels,
    licenseIds: new Map(),
    commercialUse: new Set(),
  };
  for (const [kind, entries] of Object.entries(raw.terms)) {
    if (!KINDS.has(kind as LinkKind)) throw new Error(`${file}: terms.${kind}: unknown kind; expected one of ${[...KINDS].join(', ')}`);
    for (const [phrase, iris] of Object.entries(entries)) {
      const expanded = iris.map((v) => expand(v, `terms.${kind}.${phrase}`));
      lex.terms.set(normalizeKey(phrase), { kind: kind as LinkKind, iris: expanded, phrase });
    }
  }
  for (const [phrase, s] of Object.entries(raw.status)) {
    lex.statuses.set(normalizeKey(phrase), { phrase, iris: (s.iris ?? []).map((v) => expand(v, `status.${phrase}`)), not: s.not ?? false, label: s.label });
  }

  // Licences: SPDX ids and the commercial-use list come from mappings/licenses.yaml.
  const licenses = parse(readFileSync(files.licenses, 'utf8')) as { spdx: Record<string, string>; commercialUse: string[] };
  for (const iri of Object.values(licenses.spdx)) if (!lex.licenseIds.has(iri)) lex.licenseIds.set(iri, iri.replace(/^.*\//, ''));
  for (const iri of licenses.commercialUse) lex.commercialUse.add(iri);
  for (const [phrase, value] of Object.entries(raw.licenses)) {
    if (value === 'commercial') {
      lex.licenses.set(normalizeKey(phrase), { phrase, iris: [...lex.commercialUse], label: 'licences allowing commercial use' });
      continue;
    }
    const iri = licenses.spdx[value];
    if (iri === undefined) throw new Error(`${file}: licenses.${phrase}: '${value}' is not an SPDX id of ${files.licenses}`);
    lex.licenses.set(normalizeKey(phrase), { phrase, iris: [iri], label: value });
  }
  for (const [id, iri] of Object.entries(licenses.spdx)) {
    if (/^[A-Z]/.test(id) && !lex.licenses.has(normalizeKey(id))) lex.licenses.set(normalizeKey(id), { phrase: id, iris: [iri], label: id });
  }

  // Formats: the mapping's closed value list, the vocabulary's format labels, and the lexicon's extra words.
  const mapping = parse(readFileSync(files.mapping, 'utf8')) as { valueLists?: { formats?: Record<string, string> } };
  for (const [key, curie] of Object.entries(mapping.valueLists?.formats ?? {})) {
    if (key.includes('/')) continue; // media types are not words of a question
    const iri = curie.replace(/^bg:/, prefixes.bg);
    lex.formats.set(normalizeKey(key), { iri, phrase: key });
  }
  for (const [iri, label] of vocabLabels) {
    if (iri.startsWith(prefixes.bg) && isFormat(iri, mapping)) lex.formats.set(normalizeKey(label), { iri, phrase: label });
  }
  for (const [phrase, iri] of Object.entries(raw.formats)) lex.formats.set(normalizeKey(phrase), { iri: expand(iri, `formats.${phrase}`), phrase });

  for (const [target, words] of Object.entries(raw.targets)) for (const w of words) lex.targets.set(normalizeKey(w), target);
  return lex;
}

function isFormat(iri: string, mapping: { valueLists?: { formats?: Record<string, string> } }): boolean {
  const local = iri.slice(prefixes.bg.length);
  return Object.values(mapping.valueLists?.formats ?? {}).some((v) => v === `bg:${local}`);
}

/** English labels of the benchgraph vocabulary (classes, properties, formats, statuses). */
function readVocabLabels(file: string): Map<string, string> {
  const quads = new Parser().parse(readFileSync(file, 'utf8'));
  const labels = new Map<string, string>();
  for (const q of quads) {
    if (q.predicate.value === `${prefixes.rdfs}label` && q.subject.termType === 'NamedNode' && !labels.has(q.subject.value)) {
      labels.set(q.subject.value, q.object.value);
    }
  }
  return labels;
}
