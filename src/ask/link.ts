// Entity linking: finds the question's phrases that name terms (taxa, anatomy, methods, interventions, sex, sides,
// formats, statuses, licences, archives, data values), time windows ("after day 7") and settings ("above 900 nm").
import { distance } from 'fastest-levenshtein';
import { prefixes } from '../namespaces.ts';
import type { TermIndex } from '../terms/index.ts';
import { normalizeKey, tokenize } from '../terms/normalize.ts';
import { type Catalogue, holds, PROPERTY_OF_KIND } from './catalogue.ts';
import { type Lexicon, WEAK_FORMATS } from './lexicon.ts';
import type { Comparison, DateWindow, LinkedTerm, Linking, SettingCondition, TimeWindow } from './types.ts';

export type LinkContext = { terms: TermIndex; lexicon: Lexicon; catalogue: Catalogue };

const MAX_WORDS = 8;
// Assays (OBI) and imaging methods (FBbi): what a session's modality is; other techniques are interventions.
const METHOD_ROOTS = [`${prefixes.obo}OBI_0000070`, `${prefixes.obo}FBbi_root_00000000`];

/** Links one question. Pure: everything it needs is in the context. */
export function linkQuestion(question: string, ctx: LinkContext): Linking {
  const tokens = tokenize(question);
  const taken = new Array<boolean>(tokens.length).fill(false);
  const terms: LinkedTerm[] = [];
  const text = question;

  const claim = (i: number, n: number, make: (start: number, end: number, phrase: string) => LinkedTerm | null): boolean => {
    if (taken.slice(i, i + n).some(Boolean)) return false;
    const start = tokens[i]!.start;
    const end = tokens[i + n - 1]!.end;
    const t = make(start, end, text.slice(start, end));
    if (t === null) return false;
    terms.push(t);
    for (let k = i; k < i + n; k++) taken[k] = true;
    return true;
  };

  // 1. Identifiers of records (M01, mCA1-03, VL-101-V1-L23) straight from the text, before tokenising splits them.
  for (const m of text.matchAll(/[A-Za-z0-9][A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*/g)) {
    const hit = ctx.catalogue.identifiers.get(m[0].toLowerCase().replace(/[.]$/, ''));
    if (hit === undefined) continue;
    const start = m.index;
    const end = start + m[0].replace(/[.]$/, '').length;
    // "M04's": the possessive belongs to the identifier's token.
    const covered = within(tokens, start, end, (t) => /^['\u2019]s$/.test(text.slice(end, t.end)));
    if (covered.some((k) => taken[k])) continue;
    for (const k of covered) taken[k] = true;
    terms.push({ kind: 'identifier', phrase: text.slice(start, end), label: `${hit.kind} ${hit.id}`, iris: [hit.iri], value: hit.kind, start, end, via: 'data' });
  }

  // Magnifications ("a 16x objective", "25X"): the objectives whose description names them.
  for (const m of text.matchAll(/(?<![\w.])(\d+(?:\.\d+)?)\s?[x×](?![\w])/gi)) {
    const value = `${m[1]}x`;
    const known = [...ctx.catalogue.literals.values()].some((l) => l.kind === 'objective' && new RegExp(`(?<![\\d.])${value.replace('.', '\\.')}\\b`, 'i').test(l.value));
    if (!known) continue;
    const start = m.index;
    const end = start + m[0].length;
    const covered = within(tokens, start, end);
    if (covered.length === 0 || covered.some((k) => taken[k])) continue;
    for (const k of covered) taken[k] = true;
    terms.push({ kind: 'objective', phrase: text.slice(start, end), label: `${value} objective`, iris: [], value, start, end, via: 'data' });
  }

  // 2. Frame phrases of several words ("brain regions", "imaging methods") are not terms: claim them first.
  for (let n = 3; n >= 2; n--) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).map((t) => t.norm).join(' ');
      if ((ctx.lexicon.targets.has(key) || ctx.lexicon.ignore.has(key)) && !taken.slice(i, i + n).some(Boolean)) for (let k = i; k < i + n; k++) taken[k] = true;
    }
  }

  // 3. Candidates from the curated phrases (lexicon, archives, formats, statuses, licences, data literals) and from
  // the term index (ontology labels and exact synonyms); the longest phrase wins, the curated one on a tie.
  type Candidate = { i: number; n: number; rank: number; make: (start: number, end: number, phrase: string) => LinkedTerm | null };
  const candidates: Candidate[] = [];
  const archivePhrases = archiveNames(ctx);
  for (let n = MAX_WORDS; n >= 1; n--) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens
        .slice(i, i + n)
        .map((t) => t.norm)
        .join(' ');
      const next = tokens[i + n]?.norm;
      let make = curated(key, next, ctx, archivePhrases);
      // Single words of software names are no better than the words of the question's frame ("recording").
      const curatedElsewhere = archivePhrases.has(key) || ctx.lexicon.terms.has(key) || ctx.lexicon.statuses.has(key) || ctx.lexicon.licenses.has(key) || ctx.lexicon.formats.has(key);
      if (n === 1 && !curatedElsewhere && literalWord(ctx, key) && (ctx.lexicon.glue.has(key) || ctx.lexicon.targets.has(key) || ctx.lexicon.dataWords.has(key))) make = null;
      // Names found in the data (instruments, indicators, strains) yield to an ontology term of the same words.
      const literal = ctx.catalogue.literals.get(key);
      if (make !== null) candidates.push({ i, n, rank: literal !== undefined && literal.kind !== 'keyword' && ctx.lexicon.terms.get(key) === undefined ? 0.5 : 2, make });
      // Study keywords and component titles ("capillaries", "place cells") rank below ontology terms.
      const keyword = literal;
      const frameWord = (w: string) => ctx.lexicon.glue.has(w) || ctx.lexicon.targets.has(w) || ctx.lexicon.dataWords.has(w);
      const rawPhrase = text.slice(tokens[i]!.start, tokens[i + n - 1]!.end);
      if (make === null && keyword?.kind === 'keyword' && !(n === 1 && frameWord(key)) && /\p{L}/u.test(rawPhrase)) {
        candidates.push({ i, n, rank: 0, make: (start, end, phrase) => ({ kind: 'keyword', phrase, label: keyword.value, iris: [], value: keyword.value, start, end, via: 'data' }) });
      }
    }
  }
  const mentions = ctx.terms.findMentions(text, ['taxon', 'anatomy', 'method', 'technique', 'sex', 'laterality', 'instrument']);
  for (const m of mentions) {
    const covered = within(tokens, m.start, m.end);
    if (covered.length === 0 || ctx.lexicon.ignore.has(normalizeKey(m.matched))) continue;
    // A lower-case word of the question's grammar is not a term, whatever the slims call it ("did" is not the dye DiD).
    // Capitalised only as the sentence's first word, it is still grammar ("Did anyone…" is not DiD either).
    const sentenceStart = /(?:^|[.!?]\s+)$/.test(text.slice(0, m.start));
    const lowerCase = m.matched === m.matched.toLowerCase() || (sentenceStart && m.matched.slice(1) === m.matched.slice(1).toLowerCase());
    if (covered.length === 1 && lowerCase && ctx.lexicon.glue.has(tokens[covered[0]!]!.norm)) continue;
    const kind = kindOf(ctx.terms, m.iri);
    if (kind === null) continue;
    // A term no record uses ranks below a study keyword of the same words ("capillary" data is the capillaries component).
    const property = PROPERTY_OF_KIND[kind];
    const inData = property === undefined || holds(ctx.catalogue, ctx.terms, property, m.iri);
    candidates.push({
      i: covered[0]!,
      n: covered.length,
      rank: inData ? 1 : -1,
      make: (start, end, phrase) => ({ kind, phrase, label: m.label, iris: [m.iri], start, end, via: 'terms' }),
    });
  }
  candidates.sort((a, b) => b.n - a.n || b.rank - a.rank || a.i - b.i);
  for (const c of candidates) claim(c.i, c.n, c.make);

  // 4. Elided heads: "the lateral or the anterolateral visual area" names the lateral visual area too.
  for (const t of [...terms]) {
    if (t.kind !== 'anatomy' && t.kind !== 'method') continue;
    const tail = t.phrase.split(/\s+/).slice(1).join(' ');
    if (tail === '') continue;
    const m = /(?:^|[\s,])([\p{L}-]+)\s+(?:or|and|\/)\s+(?:the\s+|an?\s+)?$/u.exec(text.slice(0, t.start));
    if (m === null) continue;
    const start = m.index + m[0].indexOf(m[1]!);
    const k = tokens.findIndex((x) => x.start === start);
    if (k < 0 || taken[k] || ctx.lexicon.glue.has(tokens[k]!.norm)) continue;
    const r = ctx.terms.resolve(`${m[1]} ${tail}`, t.kind === 'anatomy' ? 'anatomy' : 'method');
    if (r.status !== 'resolved' || r.match === 'fuzzy' || kindOf(ctx.terms, r.iri) !== t.kind) continue;
    claim(k, 1, (a, b, phrase) => ({ kind: t.kind, phrase, label: r.label, iris: [r.iri], start: a, end: b, via: 'terms', note: `'${phrase}' was read as '${r.label}' (the '${tail}' of '${t.phrase}' shared)` }));
  }

  // 5. Close spellings ("hipocampus", "MCAOs") of the words left that the question's grammar does not explain.
  for (let n = 2; n >= 1; n--) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const words = tokens.slice(i, i + n).map((t) => t.norm);
      const raw = text.slice(tokens[i]!.start, tokens[i + n - 1]!.end);
      const grammar = (w: string) => ctx.lexicon.glue.has(w) || ctx.lexicon.targets.has(w) || ctx.lexicon.units.has(w) || ctx.lexicon.dataWords.has(w);
      if (words.some(grammar) || /\d/.test(raw) || words.join('').length < 5) continue;
      claim(i, n, (start, end, phrase) => closeSpelling(phrase, words.join(' '), start, end, ctx));
    }
  }

  terms.sort((a, b) => a.start - b.start);
  const times = findTimes(text, terms, ctx.lexicon);
  const dates = findDates(text);
  const settings = findSettings(text, ctx.lexicon).filter((x) => !dates.some((d) => x.start < d.end && x.end > d.start));
  const unresolved = findUnresolved(text, tokens, taken, [...times, ...dates], settings, ctx);
  return { terms, times, dates, settings, unresolved };
}

/** The label of any IRI the linker may produce: term index, vocabulary, or the IRI's last segment. */
export function labelOf(ctx: { terms: TermIndex; lexicon: Lexicon }, iri: string): string {
  return ctx.terms.label(iri) ?? ctx.lexicon.vocabLabels.get(iri) ?? ctx.lexicon.licenseIds.get(iri) ?? iri.replace(/^.*[/#]/, '');
}

/** The label of an IRI when the slims, the vocabulary or the licence table know it; null otherwise. */
export function knownLabel(ctx: { terms: TermIndex; lexicon: Lexicon }, iri: string): string | null {
  return ctx.terms.label(iri) ?? ctx.lexicon.vocabLabels.get(iri) ?? ctx.lexicon.licenseIds.get(iri) ?? null;
}

/** A term of the lexicon or the slims one or two edits away from a phrase, with a note saying so; null when none. */
function closeSpelling(phrase: string, key: string, start: number, end: number, ctx: LinkContext): LinkedTerm | null {
  // Typos rarely touch the first letter; short words are too often other words one edit away.
  const limit = key.length >= 8 ? 2 : 1;
  let best: { key: string; d: number } | null = null;
  for (const k of ctx.lexicon.terms.keys()) {
    if (Math.abs(k.length - key.length) > limit || k[0] !== key[0]) continue;
    const d = distance(k, key);
    if (d <= limit && (best === null || d < best.d)) best = { key: k, d };
  }
  if (best !== null) {
    const lex = ctx.lexicon.terms.get(best.key)!;
    if (lex.iris.length > 0) {
      const label = lex.iris.map((iri) => labelOf(ctx, iri)).join(' or ');
      return { kind: lex.kind, phrase, label, iris: lex.iris, start, end, via: 'lexicon', note: `'${phrase}' was read as '${lex.phrase}' (${label}) by close spelling` };
    }
  }
  // The slims: anatomy and methods only (fifteen thousand taxa are too many near neighbours), and only close to the
  // term's own label.
  if (key.length < 8) return null;
  for (const branch of ['anatomy', 'method', 'technique'] as const) {
    const r = ctx.terms.resolve(phrase, branch);
    if (r.status !== 'resolved' || r.match !== 'fuzzy') continue;
    const label = normalizeKey(r.label);
    if (label[0] !== key[0] || distance(label, key) > (key.length >= 10 ? 2 : 1)) continue;
    const kind = kindOf(ctx.terms, r.iri);
    if (kind === null) continue;
    return { kind, phrase, label: r.label, iris: [r.iri], start, end, via: 'terms', note: r.warning ?? `'${phrase}' was read as '${r.label}' by close spelling` };
  }
  return null;
}

/** Indices of the tokens inside [start, end); `overhang` lets a token run past the end ("M04's"). */
function within(tokens: ReturnType<typeof tokenize>, start: number, end: number, overhang?: (t: ReturnType<typeof tokenize>[number]) => boolean): number[] {
  return tokens.map((t, k) => (t.start >= start && (t.end <= end || overhang?.(t) === true) ? k : -1)).filter((k) => k >= 0);
}

function literalWord(ctx: LinkContext, key: string): boolean {
  const literal = ctx.catalogue.literals.get(key);
  return literal !== undefined && (literal.kind === 'software' || literal.kind === 'keyword' || literal.kind === 'objective');
}

/** The curated link of a normalised phrase, if any: archive, lexicon term, status, licence, format or data literal. */
function curated(
  key: string,
  next: string | undefined,
  ctx: LinkContext,
  archivePhrases: Map<string, string>,
): ((start: number, end: number, phrase: string) => LinkedTerm | null) | null {
  const archive = archivePhrases.get(key);
  if (archive !== undefined) {
    return (start, end, phrase) => {
      const t: LinkedTerm = { kind: 'archive', phrase, label: archive, iris: [], value: archive, start, end, via: 'lexicon' };
      if (!ctx.catalogue.sources.some((s) => s.name === archive)) {
        t.note = `'${archive}' is not among the archives queried (${ctx.catalogue.sources.map((s) => s.name).join(', ') || 'none'})`;
      }
      return t;
    };
  }
  const lex = ctx.lexicon.terms.get(key);
  if (lex !== undefined) {
    return (start, end, phrase) =>
      lex.iris.length === 0
        ? { kind: lex.kind, phrase, label: lex.phrase, iris: [], start, end, via: 'lexicon', note: `'${phrase}' depends on another record's side and is not a fixed side; ignored` }
        : { kind: lex.kind, phrase, label: lex.iris.map((iri) => labelOf(ctx, iri)).join(' or '), iris: lex.iris, start, end, via: 'lexicon' };
  }
  const status = ctx.lexicon.statuses.get(key);
  if (status !== undefined) {
    return (start, end, phrase) => {
      const t: LinkedTerm = { kind: 'status', phrase, label: status.label, iris: status.iris, start, end, via: 'lexicon' };
      if (status.not) t.value = 'not-published';
      return t;
    };
  }
  const license = ctx.lexicon.licenses.get(key);
  if (license !== undefined) return (start, end, phrase) => ({ kind: 'license', phrase, label: license.label, iris: license.iris, start, end, via: 'lexicon' });
  const format = ctx.lexicon.formats.get(key);
  if (format !== undefined && (!WEAK_FORMATS.has(key) || next === 'file' || next === 'format')) {
    return (start, end, phrase) => ({ kind: 'format', phrase, label: labelOf(ctx, format.iri), iris: [format.iri], start, end, via: 'lexicon' });
  }
  const literal = ctx.catalogue.literals.get(key);
  if (literal !== undefined && literal.kind !== 'keyword') return (start, end, phrase) => ({ kind: literal.kind, phrase, label: literal.value, iris: [], value: literal.value, start, end, via: 'data' });
  return null;
}

function kindOf(terms: TermIndex, iri: string): LinkedTerm['kind'] | null {
  if (terms.inBranch(iri, 'sex')) return 'sex';
  if (terms.inBranch(iri, 'laterality')) return 'laterality';
  if (terms.inBranch(iri, 'taxon')) return 'taxon';
  if (terms.inBranch(iri, 'anatomy')) return 'anatomy';
  const ancestors = new Set([iri, ...terms.ancestors(iri)]);
  if (METHOD_ROOTS.some((r) => ancestors.has(r))) return 'method';
  if (terms.inBranch(iri, 'technique') || terms.inBranch(iri, 'method')) return 'intervention';
  if (terms.inBranch(iri, 'instrument')) return 'instrument';
  return null;
}

function archiveNames(ctx: LinkContext): Map<string, string> {
  const out = new Map<string, string>();
  const add = (phrase: string, name: string) => {
    const key = normalizeKey(phrase);
    if (key !== '' && !out.has(key)) out.set(key, name);
  };
  const names = new Set(ctx.catalogue.sources.map((s) => s.name));
  for (const s of ctx.catalogue.sources) {
    // "idr-study" next to "idr": "IDR studies" means the studies of idr, so the longer name needs its full spelling.
    const [head, last] = [s.name.replace(/-[^-]+$/, ''), s.name.replace(/^.*-/, '')];
    if (!(head !== s.name && names.has(head) && ctx.lexicon.targets.has(normalizeKey(last)))) add(s.name, s.name);
    else add(s.name.replace(/-/g, ''), s.name);
    if (s.title !== s.name) add(s.title, s.name);
  }
  for (const [name, aliases] of ctx.lexicon.archiveAliases) {
    add(name, name);
    for (const a of aliases) add(a, name);
  }
  for (const [archive, labs] of ctx.catalogue.labs) for (const lab of labs) add(lab, archive);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Time windows

const NUMBER_WORDS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, fourteen: 14, twenty: 20, thirty: 30,
};
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6 };
const NUM = String.raw`(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|twenty|thirty)`;
const UNIT = String.raw`(days?|d|weeks?|wks?|months?|hours?|hrs?|h)`;
const ANCHOR_WORDS = /^(?:[\s,]*(?:the|a|an|their|its|his|her)\s+)?(?:intervention|surgery|procedure|injury|lesion|treatment|operation|insult)\b/i;

function num(s: string): number {
  const n = NUMBER_WORDS[s.toLowerCase()];
  return n ?? Number(s);
}

function unitDays(u: string | undefined): number {
  if (u === undefined) return 1;
  const l = u.toLowerCase();
  if (l.startsWith('w')) return 7;
  if (l.startsWith('h')) return 1 / 24;
  if (l.startsWith('m')) return 30;
  return 1;
}

type TimeRule = { re: RegExp; make: (m: RegExpExecArray) => Comparison[] };

const TIME_RULES: TimeRule[] = [
  {
    re: new RegExp(String.raw`\b(?:in|during|within|over)?\s*the\s+first\s+(?:${NUM}\s+)?(day|week|month)s?\b`, 'gi'),
    make: (m) => [{ op: '>', value: 0 }, { op: '<=', value: (m[1] ? num(m[1]) : 1) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\b(first|second|third|fourth|fifth|sixth)\s+week\b`, 'gi'),
    make: (m) => {
      const k = ORDINALS[m[1]!.toLowerCase()]!;
      return [{ op: '>', value: 7 * (k - 1) }, { op: '<=', value: 7 * k }];
    },
  },
  {
    re: new RegExp(String.raw`\bwithin\s+${NUM}\s+${UNIT}\b`, 'gi'),
    make: (m) => [{ op: '>', value: 0 }, { op: '<=', value: num(m[1]!) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\bbetween\s+(?:days?\s+|weeks?\s+)?${NUM}\s*${UNIT}?\s+and\s+(?:days?\s+|weeks?\s+)?${NUM}\s*${UNIT}?`, 'gi'),
    make: (m) => {
      const u = unitDays(m[2] ?? m[4] ?? (/\bweeks?\b/i.test(m[0]) ? 'week' : undefined));
      return [{ op: '>=', value: num(m[1]!) * u }, { op: '<=', value: num(m[3]!) * u }];
    },
  },
  {
    re: new RegExp(String.raw`\b(?:from\s+)?(days?|weeks?)\s+${NUM}\s*(?:-|–|to|through|until)\s*(?:days?\s+|weeks?\s+)?${NUM}\b`, 'gi'),
    make: (m) => [{ op: '>=', value: num(m[2]!) * unitDays(m[1]) }, { op: '<=', value: num(m[3]!) * unitDays(m[1]) }],
  },
  {
    re: new RegExp(String.raw`\b(after|later than|beyond|past|since|from|starting (?:at|on|from))\s+(day|week)\s+${NUM}(?:\s+(?:on|onwards?))?\b`, 'gi'),
    make: (m) => [{ op: /^(after|later|beyond|past)/i.test(m[1]!) ? '>' : '>=', value: num(m[3]!) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\b(before|prior to|earlier than|until|up to|by|no later than)\s+(day|week)\s+${NUM}\b`, 'gi'),
    make: (m) => [{ op: /^(before|prior|earlier)/i.test(m[1]!) ? '<' : '<=', value: num(m[3]!) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\b(more than|over|later than|longer than|beyond|at least|no less than|less than|under|at most|up to|no more than|fewer than|earlier than|sooner than)\s+${NUM}\s+${UNIT}\s+(?:after|post|following|since|from)\b`, 'gi'),
    make: (m) => {
      const v = num(m[2]!) * unitDays(m[3]);
      const w = m[1]!.toLowerCase().replace(/then$/, 'than');
      const op = ['more than', 'over', 'later than', 'longer than', 'beyond'].includes(w) ? '>' : w === 'at least' || w === 'no less than' ? '>=' : w === 'less than' || w === 'under' || w === 'fewer than' || w === 'earlier than' || w === 'sooner than' ? '<' : '<=';
      return op.startsWith('<') ? [{ op: '>', value: 0 }, { op, value: v }] : [{ op, value: v }];
    },
  },
  {
    re: new RegExp(String.raw`\b${NUM}\s+${UNIT}\s+(?:after|post|following|later|from)\b`, 'gi'),
    make: (m) => [{ op: '=', value: num(m[1]!) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\b${NUM}\s+${UNIT}\s+(?:before|prior to|ahead of)\b`, 'gi'),
    make: (m) => [{ op: '=', value: -num(m[1]!) * unitDays(m[2]) }],
  },
  {
    re: new RegExp(String.raw`\b(?:(?:on|at)\s+)?(day|week)\s+(-?\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b`, 'gi'),
    make: (m) => [{ op: '=', value: num(m[2]!) * unitDays(m[1]) }],
  },
  {
    // "at each timepoint, baseline included": the baseline is not a condition but one of the timepoints.
    re: /\b(?:baseline\s+(?:included|too|as well)|including\s+(?:the\s+)?baselines?|baselines?\s+and\s+all)\b/gi,
    make: () => [],
  },
  {
    // Lab shorthand: "d7", "D14", "day7" (not inside identifiers such as M01-2P-D07).
    re: /(?<![\w-])(?:d|day)(\d{1,3})(?![\w-])/gi,
    make: (m) => [{ op: '=', value: Number(m[1]!) }],
  },
  {
    re: /\bpre-?(stroke|injury|surgery|operative|intervention|mcao|occlusion|injection)\b|\bbaseline\b/gi,
    make: () => [{ op: '<', value: 0 }],
  },
  {
    re: /\bpost-?(stroke|injury|surgery|operative|intervention|mcao|occlusion|injection)\b/gi,
    make: () => [{ op: '>', value: 0 }],
  },
];

/** "before|after (the) <intervention>" without a number: the side of day 0. */
const BARE_RELATION = /\b(before|prior to|after|following|since)\s+(?:the\s+|a\s+|their\s+|its\s+)?/gi;

function findTimes(text: string, terms: LinkedTerm[], lexicon: Lexicon): TimeWindow[] {
  const out: TimeWindow[] = [];
  const used: [number, number][] = [];
  const overlaps = (s: number, e: number) => used.some(([a, b]) => s < b && e > a);
  for (const rule of TIME_RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
      const start = m.index + (m[0].length - m[0].trimStart().length);
      const end = m.index + m[0].length;
      if (overlaps(start, end)) continue;
      used.push([start, end]);
      const window: TimeWindow = { comparisons: rule.make(m), phrase: text.slice(start, end).trim(), start, end };
      // "pre-stroke", "post-MCAO": the word after the prefix names the intervention.
      const prefixed = /^(?:pre|post)-?/i.test(m[0]) && m[1] !== undefined ? lexicon.terms.get(normalizeKey(m[1])) : undefined;
      if (prefixed !== undefined && prefixed.kind === 'intervention' && prefixed.iris.length > 0) {
        window.relativeTo = { kind: 'intervention', phrase: m[1]!, label: prefixed.phrase, iris: prefixed.iris, start, end, via: 'lexicon' };
        out.push(window);
        continue;
      }
      const anchor = anchorAfter(text, end, terms, /(after|post|following|since|from|before|prior)\s*$/i.test(m[0]));
      if (anchor !== undefined) {
        window.relativeTo = anchor.term;
        window.phrase = text.slice(start, anchor.end).trim();
        window.end = anchor.end;
      }
      out.push(window);
    }
  }
  // "after the stroke", "before the intervention": only where no numbered window already covers the phrase.
  BARE_RELATION.lastIndex = 0;
  for (let m = BARE_RELATION.exec(text); m !== null; m = BARE_RELATION.exec(text)) {
    const end = m.index + m[0].length;
    if (overlaps(m.index, end) || out.some((w) => w.relativeTo !== undefined && w.start <= m!.index && w.end >= end)) continue;
    const anchor = anchorAfter(text, end, terms, true);
    if (anchor === undefined) continue;
    const before = /^(before|prior)/i.test(m[1]!);
    used.push([m.index, anchor.end]);
    const w: TimeWindow = { comparisons: [{ op: before ? '<' : '>', value: 0 }], phrase: text.slice(m.index, anchor.end), start: m.index, end: anchor.end };
    if (anchor.term !== undefined) w.relativeTo = anchor.term;
    out.push(w);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The intervention a time phrase counts from: a linked intervention right after it, or a generic word. */
function anchorAfter(text: string, from: number, terms: LinkedTerm[], relational: boolean): { term?: LinkedTerm; end: number } | undefined {
  let rest = text.slice(from);
  let offset = from;
  if (!relational) {
    const rel = /^\s*(after|post|following|since|from|before|prior to|relative to)\b/i.exec(rest);
    if (rel === null) return undefined;
    offset += rel[0].length;
    rest = text.slice(offset);
  }
  const lead = /^[\s,]*(?:(?:the|a|an|their|its|his|her)\s+)?/i.exec(rest)![0].length;
  const term = terms.find((t) => t.kind === 'intervention' && t.start >= offset && t.start <= offset + lead + 1);
  if (term !== undefined) return { term, end: term.end };
  const generic = ANCHOR_WORDS.exec(rest);
  if (generic !== null) return { end: offset + generic[0].length };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar dates

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;
const ISO = String.raw`(\d{4}-\d{2}-\d{2})`;
const YEAR = String.raw`((?:19|20)\d{2})`;

function monthNumber(m: string): number {
  return MONTHS.findIndex((x) => x.startsWith(m.toLowerCase().slice(0, 3))) + 1;
}

/** The first day of a month and the first day of the next, as ISO dates. */
function monthRange(year: number, month: number): [string, string] {
  const next = month === 12 ? [year + 1, 1] : [year, month + 1];
  const pad = (n: number) => String(n).padStart(2, '0');
  return [`${year}-${pad(month)}-01`, `${next[0]}-${pad(next[1]!)}-01`];
}

type DateRule = { re: RegExp; make: (m: RegExpExecArray) => Comparison[] };

const DATE_RULES: DateRule[] = [
  { re: new RegExp(String.raw`\b(?:between|from)\s+${ISO}\s+(?:and|to|until)\s+${ISO}`, 'gi'), make: (m) => [{ op: '>=', value: m[1]! }, { op: '<=', value: `${m[2]!}~` }] },
  { re: new RegExp(String.raw`\b(before|until|by|after|since|from|on)\s+${ISO}`, 'gi'), make: (m) => dateComparisons(m[1]!, m[2]!, m[2]!, `${m[2]!}~`) },
  {
    re: new RegExp(String.raw`\b(in|during|before|after|since|from|until|by)?\s*${MONTH}\.?\s+(?:of\s+)?${YEAR}\b`, 'gi'),
    make: (m) => {
      const [a, b] = monthRange(Number(m[3]), monthNumber(m[2]!));
      return dateComparisons(m[1] ?? 'in', a, a, b, true);
    },
  },
  {
    re: new RegExp(String.raw`\b(in|during|before|after|since|from|until|by)\s+${YEAR}\b`, 'gi'),
    make: (m) => dateComparisons(m[1]!, `${m[2]}-01-01`, `${m[2]}-01-01`, `${Number(m[2]) + 1}-01-01`, true),
  },
  { re: new RegExp(String.raw`\b${ISO}\b`, 'gi'), make: (m) => [{ op: '>=', value: m[1]! }, { op: '<=', value: `${m[1]!}~` }] },
];

/**
 * Comparisons on date text for a period [from, to): "in" is the period, "before" ends at its start, "after" starts
 * at its end, "since"/"from" at its start, "until"/"by" end at its end. Text ending '~' sorts after every time of
 * that day ("2024-03-12T10:00" < "2024-03-12~").
 */
function dateComparisons(word: string, start: string, from: string, to: string, exclusiveEnd = false): Comparison[] {
  const w = word.toLowerCase();
  const endOp = exclusiveEnd ? '<' : '<=';
  if (w === 'before') return [{ op: '<', value: from }];
  if (w === 'after') return [{ op: exclusiveEnd ? '>=' : '>', value: exclusiveEnd ? to : to }];
  if (w === 'since' || w === 'from') return [{ op: '>=', value: start }];
  if (w === 'until' || w === 'by') return [{ op: endOp, value: to }];
  return [{ op: '>=', value: from }, { op: endOp, value: to }];
}

function findDates(text: string): DateWindow[] {
  const out: DateWindow[] = [];
  for (const rule of DATE_RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
      const start = m.index + (m[0].length - m[0].trimStart().length);
      const end = m.index + m[0].length;
      if (out.some((d) => start < d.end && end > d.start)) continue;
      out.push({ comparisons: rule.make(m), phrase: text.slice(start, end), start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------------------------
// Settings

const COMPARATORS: [RegExp, Comparison['op']][] = [
  [/^(?:above|over|greater th[ae]n|more th[ae]n|higher th[ae]n|larger th[ae]n|bigger th[ae]n|wider th[ae]n|heavier th[ae]n|faster th[ae]n|deeper th[ae]n|longer th[ae]n|older th[ae]n|exceeding|>)$/i, '>'],
  [/^(?:at least|no less th[ae]n|>=|≥|or more)$/i, '>='],
  [/^(?:below|under|less th[ae]n|lower th[ae]n|smaller th[ae]n|narrower th[ae]n|lighter th[ae]n|slower th[ae]n|shallower th[ae]n|shorter th[ae]n|younger th[ae]n|<)$/i, '<'],
  [/^(?:at most|no more th[ae]n|up to|<=|≤)$/i, '<='],
  [/^(?:of|at|=|equal to|exactly)$/i, '='],
];
const CMP = String.raw`(older th[ae]n|younger th[ae]n|above|over|greater th[ae]n|more th[ae]n|higher th[ae]n|larger th[ae]n|bigger th[ae]n|wider th[ae]n|heavier th[ae]n|faster th[ae]n|deeper th[ae]n|longer th[ae]n|exceeding|at least|no less th[ae]n|below|under|less th[ae]n|lower th[ae]n|smaller th[ae]n|narrower th[ae]n|lighter th[ae]n|slower th[ae]n|shallower th[ae]n|shorter th[ae]n|at most|no more th[ae]n|up to|of|at|equal to|exactly|>=|<=|≥|≤|>|<|=)`;
const VALUE = String.raw`(\d+(?:[.,]\d+)?)\s*(nm|nanomet(?:er|re)s?|µm|um|microns?|micromet(?:er|re)s?|mm|khz|hz|fps|frames? per second|mw|w|kb|mb|gb|tb|days?|weeks?|wks?|months?)?`;
const SETTING_VALUE = new RegExp(String.raw`\b${CMP}\s+${VALUE}(?![\w])`, 'gi');
const SETTING_RANGE = new RegExp(String.raw`\bbetween\s+(\d+(?:\.\d+)?)\s*([a-zµ ]*?)\s+and\s+${VALUE}(?![\w])`, 'gi');

function findSettings(text: string, lexicon: Lexicon): SettingCondition[] {
  const out: SettingCondition[] = [];
  const lower = text.toLowerCase();
  const add = (start: number, end: number, unitWord: string | undefined, comparisons: Comparison[], before: string, comparator = '') => {
    const spec = settingFor(lexicon, `${before} ${comparator}`, unitWord);
    if (spec === null) return;
    const unit = unitWord === undefined ? undefined : lexicon.units.get(unitWord.toLowerCase().replace(/s$/, '')) ?? lexicon.units.get(unitWord.toLowerCase());
    const factor = unit?.factor ?? 1;
    const existing = out.find((s) => s.property === spec.property);
    const scaled = comparisons.map((c) => ({ op: c.op, value: round(Number(c.value) * factor) }));
    if (existing !== undefined) {
      existing.comparisons.push(...scaled);
      existing.end = end;
      existing.phrase = text.slice(existing.start, end);
      return;
    }
    const near = nearestWord(before, spec);
    const s = near !== null ? Math.min(start, start - (before.length - near)) : start;
    out.push({ property: spec.property, label: spec.label, unit: spec.unit, comparisons: scaled, phrase: text.slice(Math.max(0, s), end).trim(), start: Math.max(0, s), end });
  };
  SETTING_RANGE.lastIndex = 0;
  const ranges: [number, number][] = [];
  for (let m = SETTING_RANGE.exec(lower); m !== null; m = SETTING_RANGE.exec(lower)) {
    const unitWord = m[5] ?? (m[2]!.trim() || undefined);
    const before = lower.slice(Math.max(0, m.index - 60), m.index);
    if (/\b(days?|weeks?)\s*$/.test(before) || (unitWord !== undefined && /^(days?|weeks?|months?)$/.test(unitWord))) continue;
    ranges.push([m.index, m.index + m[0].length]);
    add(m.index, m.index + m[0].length, unitWord, [{ op: '>=', value: parseNumber(m[1]!) }, { op: '<=', value: parseNumber(m[4]!) }], before);
  }
  SETTING_VALUE.lastIndex = 0;
  for (let m = SETTING_VALUE.exec(lower); m !== null; m = SETTING_VALUE.exec(lower)) {
    if (ranges.some(([a, b]) => m!.index >= a && m!.index < b)) continue;
    const unitWord = m[3];
    const age =
      /^(older|younger) th[ae]n$/i.test(m[1]!) ||
      /\b(age|aged|old)\b[^.?!]*$/.test(lower.slice(Math.max(0, m.index - 30), m.index)) ||
      /^\s*(?:old|of age)\b/.test(lower.slice(m.index + m[0].length));
    if (unitWord !== undefined && /^(days?|weeks?|wks?|months?)$/.test(unitWord) && !age) continue; // time windows, not settings
    const op = COMPARATORS.find(([re]) => re.test(m![1]!.trim()))?.[1] ?? '=';
    const before = lower.slice(Math.max(0, m.index - 60), m.index);
    // "at day 7", "of mice" and bare numbers without a unit or a setting word nearby are not settings.
    if (unitWord === undefined && settingWordIn(lexicon, before) === null) continue;
    if ((op === '=' && unitWord === undefined) || /\b(days?|weeks?)\s*$/.test(before)) continue;
    // "imaged below 350 µm": below the surface, so deeper.
    if (/^(?:below|under)$/i.test(m[1]!.trim()) && unitWord !== undefined && /^(?:µm|um|microns?|micromet(?:er|re)s?|mm)$/.test(unitWord) && /\b(?:imag\w*|record\w*|reach\w*)\s*$/.test(before)) {
      add(m.index, m.index + m[0].length, unitWord, [{ op: '>', value: parseNumber(m[2]!) }], `${before} depth`);
      continue;
    }
    add(m.index, m.index + m[0].length, unitWord, [{ op, value: parseNumber(m[2]!) }], before, m[1]!);
  }
  // "frame rate of 30 Hz" style with the value first: "30 Hz or more", "900+ nm".
  return out;
}

function parseNumber(s: string): number {
  return Number(s.replace(',', '.'));
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** The setting a comparison is about: the setting word nearest before it, else the one its unit implies. */
function settingFor(lexicon: Lexicon, before: string, unitWord: string | undefined): Lexicon['settings'][number] | null {
  const unit = unitWord === undefined ? undefined : lexicon.units.get(unitWord.toLowerCase()) ?? lexicon.units.get(unitWord.toLowerCase().replace(/s$/, ''));
  if (unit?.implies !== undefined) return lexicon.settings.find((s) => s.property === unit.implies) ?? null;
  const named = settingWordIn(lexicon, before, unit?.unit);
  if (named !== null) return named;
  if (unit === undefined) return null;
  const byUnit = lexicon.settings.filter((s) => s.unit === unit.unit);
  if (byUnit.length === 0) return null;
  // Without a word, nm means excitation, um pixel size, Hz frame rate (sampling rate when kHz), byte file size.
  if (unit.unit === 'Hz' && unitWord!.toLowerCase() === 'khz') return byUnit.find((s) => s.property === 'samplingRate') ?? byUnit[0]!;
  return byUnit[0]!;
}

function settingWordIn(lexicon: Lexicon, before: string, unit?: string): Lexicon['settings'][number] | null {
  // The setting word that ends nearest the value wins; of two ending at the same place, the longer
  // ("emission wavelength" over "wavelength").
  let best: { spec: Lexicon['settings'][number]; end: number; len: number } | null = null;
  for (const spec of lexicon.settings) {
    if (unit !== undefined && spec.unit !== unit) continue;
    for (const w of spec.words) {
      const re = new RegExp(String.raw`\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\b`, 'gi');
      for (const m of before.matchAll(re)) {
        const end = m.index + m[0].length;
        if (best === null || end > best.end || (end === best.end && w.length > best.len)) best = { spec, end, len: w.length };
      }
    }
  }
  return best?.spec ?? null;
}

function nearestWord(before: string, spec: Lexicon['settings'][number]): number | null {
  let best: number | null = null;
  for (const w of spec.words) {
    const i = before.lastIndexOf(w);
    if (i >= 0 && (best === null || i > best)) best = i;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// What was not understood

/** Words that name a technique, an intervention or a measurement: unknown, they name data the archives may not hold. */
const TECHNIQUE_WORD = /\b\w*(?:genetics?|graphy|graphic|scopy|scopic|metry|physiology|stimulation|ablation|lesions?|tomography|resonance|sequencing|omics?|assays?|staining|clamp)\b|\b(?:f?mri|eeg|meg|pet|ct|ecog|emg)\b/i;

function findUnresolved(
  text: string,
  tokens: ReturnType<typeof tokenize>,
  taken: boolean[],
  times: { start: number; end: number }[],
  settings: SettingCondition[],
  ctx: LinkContext,
): Linking['unresolved'] {
  const inSpan = (t: { start: number; end: number }) =>
    times.some((w) => t.start >= w.start && t.end <= w.end) || settings.some((s) => t.start >= s.start && t.end <= s.end);
  const out: Linking['unresolved'] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (taken[i] || inSpan(t)) continue;
    const w = t.norm;
    if (ctx.lexicon.glue.has(w) || ctx.lexicon.targets.has(w) || /^\d+(?:\.\d+)?$/.test(w) || w.length <= 1) continue;
    if (ctx.lexicon.units.has(w)) continue;
    // "the posteromedial visual area (PM)": an abbreviation in brackets right after a term restates it.
    const open = text.lastIndexOf('(', t.start);
    const close = text.indexOf(')', t.end);
    if (open >= 0 && close >= 0 && i > 0 && taken[i - 1] && tokens[i - 1]!.end <= open && text.slice(open + 1, t.start).trim() === '' && text.slice(t.end, close).trim() === '') continue;
    if (['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'zero'].includes(w)) continue;
    // Adjacent unknown words form one phrase ("capillary stall counts").
    const last = out[out.length - 1];
    if (last !== undefined && last.end >= tokens[i - 1]!.end && !taken[i - 1] && i > 0 && last.end === tokens[i - 1]!.end) {
      last.end = t.end;
      last.phrase = text.slice(last.start, last.end);
      continue;
    }
    out.push({ phrase: text.slice(t.start, t.end), start: t.start, end: t.end, reason: 'no term, archive or data value matches', critical: false });
  }
  // A phrase that looks like a name (capitalised inside the sentence, with a digit, or quoted) names something the
  // user means; dropping it would answer another question.
  for (const u of out) {
    const before = text.slice(0, u.start).trimEnd();
    const sentenceStart = before === '' || /[.!?:;]$/.test(before);
    const quoted = /["'“‘]$/.test(before) || /^["'”’]/.test(text.slice(u.end));
    u.critical = /\d/.test(u.phrase) || quoted || (/^[A-Z]/.test(u.phrase) && !sentenceStart) || /[A-Z]/.test(u.phrase.slice(1)) || TECHNIQUE_WORD.test(u.phrase);
    if (u.critical) u.reason = 'looks like a name, but no term, archive or data value matches it';
  }
  return out;
}
