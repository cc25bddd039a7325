// Text normalisation for term lookup: Unicode folding, case, punctuation, simple plurals, digits as words.

export type Token = { norm: string; start: number; end: number };

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** Irregular plurals that matter for lab metadata (`mice` in "12 mice"); regular ones are handled by rule. */
const IRREGULAR: Record<string, string> = {
  mice: 'mouse',
  feet: 'foot',
  teeth: 'tooth',
  men: 'man',
  women: 'woman',
  areas: 'area',
};

/**
 * Words never reported as a mention on their own: English function words, and generic words that are also
 * labels of upper-level classes or units ("process", "second", "day") and would otherwise be tagged in any text.
 */
export const STOPWORDS = new Set(
  (
    'a an and are as at be but by for from has have in into is it its of on or the that this to was were with ' +
    'not no all any some each other than then there these those which who whom whose what when where why how ' +
    'one two three four five six seven eight nine ten ' +
    'process quality entity role function object system part site region area structure unit count ratio ' +
    'second minute hour day week month year degree percent gram meter liter byte bit ' +
    'material data information plan protocol device container specimen sample organism assay method'
  ).split(' '),
);

/**
 * Case-preserving fold: Unicode compatibility forms, no diacritics, micro sign and Greek mu as `u`, typographic
 * quotes and dashes as ASCII, runs of spaces as one. `µm` and `μm` both fold to `um`, while `mM` stays `mM`.
 */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u03bc\u00b5]/g, 'u')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits text into normalised word tokens with their character offsets in the original text. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  // Offsets are found on the original text; folding is applied per token so that offsets stay exact.
  for (const m of text.matchAll(WORD)) {
    const norm = normWord(fold(m[0]).toLowerCase());
    if (norm !== '') out.push({ norm, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Lookup key: lower case, words only, singular, small numbers as words ("2-Photon Microscopes" -> "two photon microscope"). */
export function normalizeKey(text: string): string {
  return words(text).join(' ');
}

/** Like normalizeKey without spaces, so "wide-field", "wide field" and "widefield" meet. */
export function compactKey(text: string): string {
  return words(text).join('');
}

/** The three lookup keys of a name at once (folded, normalised, compact), folding and splitting it only once. */
export function lookupKeys(text: string): { folded: string; normalized: string; compact: string } {
  const folded = fold(text);
  const w = wordsOfFolded(folded);
  return { folded, normalized: w.join(' '), compact: w.join('') };
}

/** Letters, digits and combining marks, with a possessive 's kept on the word. */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['\u2019]s\b)?/gu;

function words(text: string): string[] {
  return wordsOfFolded(fold(text));
}

function wordsOfFolded(folded: string): string[] {
  const out: string[] = [];
  for (const m of folded.toLowerCase().matchAll(WORD)) {
    const w = normWord(m[0]);
    if (w !== '') out.push(w);
  }
  return out;
}

/** Normalises one folded, lower-case word. */
function normWord(raw: string): string {
  const t = raw.replace(/['\u2019]s$/, 's').replace(/[^\p{L}\p{N}]/gu, '');
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 10 && String(n) === t ? DIGIT_WORDS[n]! : t;
  }
  return singular(t);
}

function singular(t: string): string {
  const irregular = IRREGULAR[t];
  if (irregular !== undefined) return irregular;
  if (t.length < 4 || /\d/.test(t)) return t;
  if (t.endsWith('ies') && t.length > 4) return `${t.slice(0, -3)}y`;
  if (t.endsWith('sses') || /(?:x|ch|sh)es$/.test(t)) return t.slice(0, -2);
  if (t.endsWith('s') && !/(?:ss|us|is|os|as)$/.test(t)) return t.slice(0, -1);
  return t;
}
